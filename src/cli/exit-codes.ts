import { ConfigError, LogtapError } from '../errors.js';
import { redactUrl } from '../config/load-config.js';

/** 0 ok, 1 runtime failure, 2 usage or configuration error, 3 `replay --verify` found tables that differ. */
export const EXIT = { ok: 0, failure: 1, usage: 2, differs: 3 } as const;

/** The code of the error `replay --verify` ends with when it compared every table and some differ. */
export const VERIFY_DIFFERS = 'VERIFY_DIFFERS';

/** One line for the user on stderr and the exit code; the stack only with LOGTAP_DEBUG=1. */
export function reportFailure(err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`logtap: ${redactUrl(message.split('\n')[0] ?? message)}\n`);
  if (process.env.LOGTAP_DEBUG === '1' && err instanceof Error && err.stack) process.stderr.write(`${redactUrl(err.stack)}\n`);
  if (err instanceof LogtapError && err.code === VERIFY_DIFFERS) return EXIT.differs;
  return err instanceof ConfigError || (err as { usage?: boolean }).usage ? EXIT.usage : EXIT.failure;
}
