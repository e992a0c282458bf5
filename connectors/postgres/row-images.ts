import { EncodingError } from '../../src/errors.js';
import type { Row } from '../../src/model/change-event.js';
import { tableIdText } from '../../src/model/table-schema.js';
import type { RawTuple } from './text-decoder.js';
import type { TableVersion } from './relation-cache.js';
import { quoteIdent, quoteTable } from './pg-identifiers.js';

/** The text of the row after an insert or update, and the columns whose values pgoutput did not send. */
export interface AfterTuple {
  tuple: RawTuple;
  /** Unchanged TOASTed columns nothing carried (empty under REPLICA IDENTITY FULL). */
  missing: string[];
}

/**
 * The row after an insert or update. pgoutput leaves out a TOASTed value the update did not change
 * (`undefined` in the raw tuple). Under REPLICA IDENTITY FULL the old row carries every value (PostgreSQL
 * writes it detoasted) and fills the gap; otherwise the columns are reported as missing, for the stream's
 * TOAST policy (unchanged-toast.ts) to read back or refuse. A row with a missing or guessed value is never published.
 */
export function afterTuple(version: TableVersion, tuple: RawTuple, old: RawTuple | null): AfterTuple {
  let complete: Record<string, string | null | undefined> | null = null;
  const missing: string[] = [];
  for (const column of version.columns) {
    const name = column.name;
    if (tuple[name] !== undefined) continue;
    const fallback = old?.[name];
    if (fallback === undefined) {
      missing.push(name);
      continue;
    }
    complete ??= { ...tuple };
    complete[name] = fallback;
  }
  return { tuple: complete ?? tuple, missing };
}

/** The row before an update or delete: the whole old row (REPLICA IDENTITY FULL) or its key columns only. */
export function beforeImage(version: TableVersion, old: RawTuple | null, key: RawTuple | null): Row | undefined {
  const tuple = old ?? key;
  return tuple ? version.decode(tuple) : undefined;
}

/** Under `toast.unchanged: fail`: the stream stops at such an update, saying how to go on. */
export function unchangedToastError(version: TableVersion, columns: string[], where: string): EncodingError {
  const table = tableIdText(version.schema.id);
  return new EncodingError(
    `cannot publish the update of ${table} at ${where}: PostgreSQL did not send the unchanged TOASTed value of ` +
      `${columns.length === 1 ? 'column' : 'columns'} ${columns.map(quoteIdent).join(', ')} (REPLICA IDENTITY ${version.replicaIdentity.toUpperCase()} logs only the key), ` +
      `and toast.unchanged is fail — set toast.unchanged: read-back (the default) and restart to read the value back from the table; ` +
      `or pass over this transaction with logtap offsets skip-current-transaction and re-read the table with logtap snapshot --table ${table}; ` +
      `ALTER TABLE ${quoteTable(version.schema.id)} REPLICA IDENTITY FULL; makes later updates carry the value (not this one, already logged)`,
  );
}
