import type { Row, SourcePosition } from '../model/change-event.js';
import type { TableId, TableSchema } from '../model/table-schema.js';

/**
 * The online-backfill half of a connector (docs/backfill.md): a watermark channel through the source's log,
 * and "read the rows of a key range now". The core (src/backfill/) runs the DBLog watermark windows; the
 * connector only writes watermarks and reads ranges, with a plain read at the current state (no exported
 * snapshot). Watermarks travel as rows of a signal table that the stream captures but never publishes, or
 * (PostgreSQL without `signal`) as logical messages handed to SourceHandler.onWatermark.
 */
export interface BackfillSource {
  /** The signal table (columns id, type, data): its changes arrive in the stream and are never published; absent: no table. */
  readonly signalTable?: TableId | undefined;
  /** Where watermarks travel: signal-table rows, or the log's own messages (no table in the source). */
  readonly watermarks: 'signal-table' | 'log-message';
  /** `logtap snapshot` requests (execute-snapshot signal rows) are taken (config `signal.enabled`). */
  readonly takesRequests: boolean;
  /** Creates the signal table when it is missing (before the stream starts: PostgreSQL publishes it by name). */
  prepare(): Promise<void>;
  /** A session for windows: signal writes and range reads on its own connection. */
  open(): Promise<BackfillSession>;
}

/** A watermark as the connector's log-message channel carries it (the shape of a signal row, with where it is). */
export interface Watermark {
  id: string;
  type: string;
  data: string;
  /** Like a change's position: the stream may restart after it. */
  position: SourcePosition;
  txId?: string;
  commitTimeMicros?: bigint;
}

/** The source cannot carry watermarks now (e.g. the signal table cannot be created): internal backfills are skipped. */
export class BackfillUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BackfillUnavailableError';
  }
}

export interface SignalRow {
  id: string;
  type: string;
  data: string;
}

export interface BackfillSession {
  /** Inserts a signal row in its own transaction (committed when this resolves); signal-table channel only. */
  writeSignal(row: SignalRow): Promise<void>;
  /**
   * Removes earlier watermark rows of `removeTypes` and inserts `row`, in one transaction (the signal table
   * stays small). Resolves once it is committed and every transaction committed before it in the log is
   * visible to reads that start afterwards (the window's chunk read must see them all).
   */
  writeWatermark(row: SignalRow, removeTypes: readonly string[]): Promise<void>;
  /**
   * The table as the backfill reads it, or a reason it cannot be backfilled (missing, not captured by this
   * connector, no primary key).
   */
  table(id: TableId): Promise<BackfillTable | { problem: string }>;
  close(): Promise<void>;
}

export interface BackfillTable {
  schema: TableSchema;
  /** Rows of the table by the database's estimate (statistics), for progress; null when unknown. */
  estimatedRows: number | null;
  /**
   * The next chunk after `after` (null: from the first row): at most `limit` rows in key order, read now (a
   * plain read that sees every transaction committed before it), as canonical values, and the upper key
   * bound of the range it covers as key text (null: the range ran to the table's end).
   */
  readChunk(after: string[] | null, limit: number): Promise<{ rows: Row[]; upTo: string[] | null }>;
}
