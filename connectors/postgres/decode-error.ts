/** A value whose PostgreSQL text does not have the shape its column type promises (no position or column yet). */
export class ValueFormatError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ValueFormatError';
  }
}

const MAX_SHOWN = 120;

/**
 * A column value that cannot be turned into its canonical form. Not retriable: the same WAL record
 * fails the same way until the mapping or the session settings change.
 */
export class PgValueDecodeError extends Error {
  readonly code = 'PG_VALUE_DECODE';
  readonly retriable = false;
  constructor(
    readonly column: string,
    readonly sourceType: string | undefined,
    readonly text: string,
    readonly reason: string,
  ) {
    const shown = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…(${text.length} chars)` : text;
    super(`column ${JSON.stringify(column)}${sourceType ? ` (${sourceType})` : ''}: cannot decode ${JSON.stringify(shown)}: ${reason}`);
    this.name = 'PgValueDecodeError';
  }
}

export function decodeError(column: string, sourceType: string | undefined, text: string, cause: unknown): PgValueDecodeError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new PgValueDecodeError(column, sourceType, text, reason);
}
