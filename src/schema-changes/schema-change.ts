import type { TableId } from '../model/table-schema.js';

/**
 * Why a DDL statement changed the values of existing rows without writing row events into the log (the source
 * rewrote the table in place): the topic still holds the old values of every row nobody touched since.
 */
export type RowRewriteReason =
  /** An added column whose default is an expression evaluated per row (gen_random_uuid(), clock_timestamp(), UUID(), CURRENT_TIMESTAMP). */
  | 'volatile-default'
  /** An added identity column (PostgreSQL): existing rows got sequence values. */
  | 'identity-column'
  /** An added STORED/PERSISTENT generated column (MariaDB/MySQL; PostgreSQL from 18, which publishes them). */
  | 'stored-generated-column'
  /** ALTER COLUMN … TYPE (PostgreSQL), MODIFY/CHANGE (MariaDB/MySQL): values converted to the new type. */
  | 'column-type-changed'
  /** CONVERT TO CHARACTER SET (MariaDB/MySQL): every text column re-encoded. */
  | 'charset-converted'
  /**
   * A table a `source.tables` glob matches appeared while streaming (PostgreSQL): added to the publication then,
   * its rows from before are in no change event.
   */
  | 'new-table';

/** A change of a captured table's definition that the connector saw in the log. */
export interface SchemaChange {
  table: TableId;
  /** Existing rows got new values without row events: the table must be published again to converge. */
  rewritesRows: boolean;
  /** Why, when `rewritesRows`. */
  reason?: RowRewriteReason;
  /** The columns concerned (added or retyped; every text column for a character-set conversion). */
  columns: string[];
  /** The DDL statement when the log carries it (MariaDB/MySQL), shortened. */
  statement?: string;
}

/** The first `max` characters of a statement, for logs. */
export const shortStatement = (sql: string, max = 200): string => (sql.length <= max ? sql : `${sql.slice(0, max)}…`);
