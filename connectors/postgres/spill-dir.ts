import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';

let sessions = 0;

/**
 * A fresh directory for one replication session's spill files (stream-spool.ts), `session-<pid>-<n>` under
 * `spillDir`. The spill files of earlier sessions of this process and of processes that no longer run are
 * deleted first: the server resends every transaction they held. Those of another running process (an
 * instance of the same name on this machine, waiting as a standby or between its sessions) are left alone.
 */
export async function openSessionSpillDir(spillDir: string): Promise<string> {
  try {
    await mkdir(spillDir, { recursive: true });
    for (const entry of await readdir(spillDir)) {
      const owner = /^session-(\d+)-\d+$/.exec(entry);
      if (owner && !runsElsewhere(Number(owner[1]))) await rm(join(spillDir, entry), { recursive: true, force: true });
    }
    const dir = join(spillDir, `session-${process.pid}-${++sessions}`);
    await mkdir(dir);
    return dir;
  } catch (err) {
    throw new ConfigError(`cannot use ${spillDir} for the spill files of large transactions: ${(err as Error).message} — set streaming.spillDir to a writable directory, or streaming.mode: off`, { cause: err });
  }
}

/** Removes a session's spill directory (its transactions ended, or the server resends them). */
export async function removeSessionSpillDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => {});
}

function runsElsewhere(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists (another user's).
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
