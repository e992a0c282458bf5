/**
 * One base error for everything logtap reports: a stable `code` for scripts and metrics, and whether
 * retrying the same operation may succeed. A user sees `message` as one line; the stack goes to debug logs.
 */
export class LogtapError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** Bad configuration or usage: fix the input and start again. */
export class ConfigError extends LogtapError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONFIG', message, { ...options, retriable: false });
  }
}

/** The source or Kafka could not be reached or dropped the connection. */
export class ConnectionError extends LogtapError {
  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super('CONNECTION', message, { retriable: true, ...options });
  }
}

/** The source no longer holds the log from the checkpoint on (slot dropped, binlog purged). */
export class PositionLostError extends LogtapError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('POSITION_LOST', message, { ...options, retriable: false });
  }
}

/** A value does not fit its schema: nothing is coerced, the change is not published. */
export class EncodingError extends LogtapError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ENCODING', message, { ...options, retriable: false });
  }
}

/** A schema change that consumers could not follow, under the configured policy. */
export class SchemaEvolutionError extends LogtapError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('SCHEMA_EVOLUTION', message, { ...options, retriable: false });
  }
}

/** Kafka refused or failed a write. */
export class SinkError extends LogtapError {
  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super('SINK', message, { retriable: true, ...options });
  }
}
