import type { TableSchema } from './table-schema.js';

/** c insert, u update, d delete, r snapshot read, t truncate. */
export type Operation = 'c' | 'u' | 'd' | 'r' | 't';

/** A row as canonical values keyed by source column name (see ColumnType for each kind's form). */
export type Row = Record<string, unknown>;

/**
 * Where a change sits in the source's log. Opaque to the core: the connector encodes and decodes `token`;
 * `display` is for people (logs, headers, errors).
 */
export interface SourcePosition {
  token: string;
  display: string;
}

/** Debezium `source` block fields a connector knows of a change (ChangeEvent.sourceFields). */
export type SourceFields = Readonly<Record<string, string | number | bigint | null>>;

export interface ChangeEvent {
  table: TableSchema;
  op: Operation;
  /** Row after the change (c, u, r); absent for d and t. */
  after?: Row;
  /** Row before the change, when the source has it (u, d). */
  before?: Row;
  position: SourcePosition;
  /** The source's transaction id, as text. */
  txId?: string;
  /** Commit time of the source transaction, microseconds since the epoch. */
  commitTimeMicros?: bigint;
  snapshot: boolean;
  /**
   * Where the change sits in the source's log, in the terms Debezium's `source` block uses (PostgreSQL `lsn`,
   * `sequence`; MySQL `file`, `pos`, `row`, `server_id`, `thread`), filled by the connector. The core copies
   * them into that block and reads none: positions stay opaque.
   */
  sourceFields?: SourceFields;
  /**
   * The source's next change belongs to the same indivisible group (a parent row and the foreign-key cascade
   * effects a connector derived from it, which share its position): no checkpoint may fall before the group's
   * last event, which carries no flag.
   */
  continuesGroup?: true;
}
