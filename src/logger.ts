import pino from 'pino';
import { redactUrl } from './config/load-config.js';

/** The smallest logging surface the core and the connectors use (pino's shape). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): Logger;
}

/**
 * JSON lines on stderr (stdout stays for command output). Passwords in URLs are masked wherever they
 * appear in a message, and keys that name secrets are redacted.
 */
export function createLogger(level: string = process.env.LOGTAP_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { app: 'logtap' },
    redact: { paths: ['password', '*.password', 'url', '*.url', 'sasl', '*.sasl', 'token', '*.token'], censor: '***' },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? redactUrl(a) : a));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
    formatters: { level: (label) => ({ level: label }) },
  }, pino.destination(2));
}

/** For tests and tools that want no output. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child() { return silentLogger; } };
