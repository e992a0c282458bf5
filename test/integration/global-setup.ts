import { allRunning, down, up } from '../../scripts/services.mjs';

// Brings the test bed up when it is not running, and takes down only what it started itself
// (set LOGTAP_KEEP_SERVICES=1 to keep them for the next run).
export default async function setup(): Promise<() => Promise<void>> {
  if (await allRunning()) return async () => {};
  await up();
  return async () => {
    if (process.env.LOGTAP_KEEP_SERVICES !== '1') await down();
  };
}
