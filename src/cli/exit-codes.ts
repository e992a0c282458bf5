import { ConfigError } from '../errors.js';
import { redactUrl } from '../config/load-config.js';

/** 0 ok, 1 runtime failure, 2 usage or configuration error (docs/cli.md). */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** One line for the user on stderr and the exit code; the stack only with LOGTAP_DEBUG=1. */
export function reportFailure(err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`logtap: ${redactUrl(message.split('\n')[0] ?? message)}\n`);
  if (process.env.LOGTAP_DEBUG === '1' && err instanceof Error && err.stack) process.stderr.write(`${redactUrl(err.stack)}\n`);
  return err instanceof ConfigError || (err as { usage?: boolean }).usage ? EXIT.usage : EXIT.failure;
}
