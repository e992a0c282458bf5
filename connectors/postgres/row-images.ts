import { EncodingError } from '../../src/errors.js';
import type { Row } from '../../src/model/change-event.js';
import { tableIdText } from '../../src/model/table-schema.js';
import type { RawTuple } from './text-decoder.js';
import type { TableVersion } from './relation-cache.js';
import { quoteIdent } from './pg-identifiers.js';

/**
 * The row after an insert or update. pgoutput leaves out a TOASTed value the update did not change
 * (`undefined` in the raw tuple). Policy: fill it from the old row when the table has REPLICA IDENTITY
 * FULL (the old row then carries every value, detoasted); otherwise the value is unknown, and the change
 * is refused — a row with a missing or guessed value is never published.
 */
export function afterImage(version: TableVersion, tuple: RawTuple, old: RawTuple | null, where: string): Row {
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
  if (missing.length > 0) throw unchangedToastError(version, missing, where);
  return version.decode(complete ?? tuple);
}

/** The row before an update or delete: the whole old row (REPLICA IDENTITY FULL) or its key columns only. */
export function beforeImage(version: TableVersion, old: RawTuple | null, key: RawTuple | null): Row | undefined {
  const tuple = old ?? key;
  return tuple ? version.decode(tuple) : undefined;
}

function unchangedToastError(version: TableVersion, columns: string[], where: string): EncodingError {
  const table = tableIdText(version.schema.id);
  const named = columns.map((c) => quoteIdent(c)).join(', ');
  return new EncodingError(
    `cannot publish the update of ${table} at ${where}: PostgreSQL did not send the unchanged TOASTed value of column ${named} ` +
      `(REPLICA IDENTITY ${version.replicaIdentity.toUpperCase()}) and logtap never publishes a guessed value — ` +
      `run ALTER TABLE ${quoteIdent(version.schema.id.namespace)}.${quoteIdent(version.schema.id.name)} REPLICA IDENTITY FULL; ` +
      `for later changes, and re-snapshot the table to get past this one`,
  );
}
