import type { Row } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';
import type { Logger } from '../logger.js';

/** Which database wrote the topics: a target uses it to rebuild the source's own column types when it can. */
export type SourceKind = 'postgres' | 'mysql';

/**
 * One step of a batch, applied in order inside the batch's transaction. Within a `changes` step every key
 * occurs once (the engine keeps the last change of each key), so deletes and upserts do not interfere.
 * A table without a key gets `row-log` steps instead: its changes in topic order.
 */
export type ReplayStep =
  | { kind: 'truncate' }
  | { kind: 'changes'; deletes: Row[]; upserts: Row[] }
  | { kind: 'row-log'; changes: RowLogChange[] };

/**
 * A change of a table without a key, where a row is its own identity: `insert` adds the row; `delete` removes
 * one row equal to it in every column (NULL equal to NULL), any one of its duplicates, as PostgreSQL's logical
 * replication does for REPLICA IDENTITY FULL.
 */
export interface RowLogChange {
  op: 'insert' | 'delete';
  row: Row;
}

/**
 * A database that replay writes into (connectors/<db>/replay-target.ts). Tables are named by the source's
 * table id; where the target puts them (PostgreSQL: same schema and name; MySQL: the URL's database) is its
 * own business.
 */
export interface ReplayTarget {
  /**
   * Checks, before anything is written, that every column of every version can be rebuilt here and that an
   * existing table does not conflict (other key, other column types). Throws a ConfigError naming the
   * table and column.
   */
  check(versions: readonly TableSchema[], source: SourceKind): Promise<void>;
  /**
   * Creates the table from `table` when missing; otherwise adds the columns it lacks and drops the columns
   * that `dropped` names (columns of earlier versions met in this run that `table` no longer has).
   */
  ensureTable(table: TableSchema, dropped: readonly string[], source: SourceKind): Promise<void>;
  /**
   * Applies the steps in one transaction; `table` is the version the rows were written with. A `row-log`
   * delete that finds no equal row is logged as a warning (the target then differs from the source).
   */
  apply(table: TableSchema, steps: readonly ReplayStep[]): Promise<void>;
  /**
   * After the table's rows are written: brings what numbers new rows past them (PostgreSQL identity and serial
   * sequences, MySQL AUTO_INCREMENT counters), so the replica's next insert does not collide.
   */
  finishTable(table: TableSchema): Promise<void>;
  close(): Promise<void>;
}

/**
 * Reads the rows of a table through a connector's own type layer, as canonical values of `table`'s column
 * types (for --verify, on the source and on the target). `where` says which side, for messages.
 */
export interface TableRowReader {
  readRows(table: TableSchema, side: 'source' | 'target'): AsyncIterable<Row>;
  close(): Promise<void>;
}

/**
 * Parses and orders a connector's position tokens (the core keeps them opaque): `parse` throws on a token
 * that is not this connector's; `compare` < 0 when a comes first in the source's log.
 */
export interface PositionOrder {
  readonly example: string;
  parse(token: string): unknown;
  compare(a: unknown, b: unknown): number;
}

/** What replay needs of one database, picked by URL scheme (src/cli/replay-targets.ts). */
export interface ReplayConnector {
  kind: SourceKind;
  openTarget(url: string, log: Logger): Promise<ReplayTarget>;
  /** A reader over the source database of the config (`namespace` = schema or database) or over a target. */
  openReader(url: string, role: 'source' | 'target'): Promise<TableRowReader>;
  positionOrder: PositionOrder;
}
