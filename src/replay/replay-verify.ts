import { tableIdText } from '../model/table-schema.js';
import type { TableSchema } from '../model/table-schema.js';
import type { TableRowReader } from './replay-target.js';
import {
  RowHasher, checksumRows, firstDifferingKey, hashesByKey, keyText, multisetDifference, rowCounts, type TableChecksum,
} from './table-checksum.js';

/** The outcome for one table: the same rows, other rows, or no answer (the reason in one line). */
export type VerifyResult =
  | { table: string; status: 'equal'; source: TableChecksum; target: TableChecksum }
  | {
    table: string; status: 'differs'; source: TableChecksum; target: TableChecksum;
    /** A table with a key: the first key (in key-byte order) whose rows differ, as text. */
    firstDifferingKey?: string;
    /** A table without a key (a multiset of rows): rows of one side missing on the other, each way. */
    onlyInSource?: number;
    onlyInTarget?: number;
  }
  | { table: string; status: 'failed'; reason: string };

/**
 * Compares a rebuilt table with its source: row count and order-independent checksum, each side read
 * through its own connector's type layer and hashed as the topic's canonical values (a sum of row hashes,
 * so a table without a key compares as a multiset: duplicates count). On a difference a second pass finds
 * the first differing key, or for a keyless table how many rows each side has beyond the other. A table
 * that cannot be read or hashed is `failed`, not thrown: the other tables are still compared.
 */
export async function verifyTable(table: TableSchema, source: TableRowReader, target: TableRowReader): Promise<VerifyResult> {
  const name = tableIdText(table.id);
  try {
    const hasher = new RowHasher(table);
    const [a, b] = await both(checksumRows(source.readRows(table, 'source'), hasher), checksumRows(target.readRows(table, 'target'), hasher));
    if (a.rows === b.rows && a.sum === b.sum) return { table: name, status: 'equal', source: a, target: b };
    if (table.key.length === 0) {
      const [sa, sb] = await both(rowCounts(source.readRows(table, 'source'), hasher), rowCounts(target.readRows(table, 'target'), hasher));
      return { table: name, status: 'differs', source: a, target: b, ...multisetDifference(sa, sb) };
    }
    const [sa, sb] = await both(hashesByKey(source.readRows(table, 'source'), hasher), hashesByKey(target.readRows(table, 'target'), hasher));
    const key = firstDifferingKey(sa, sb);
    return { table: name, status: 'differs', source: a, target: b, ...(key ? { firstDifferingKey: keyText(key) } : {}) };
  } catch (err) {
    return { table: name, status: 'failed', reason: (err instanceof Error ? err.message : String(err)).split('\n')[0]! };
  }
}

/**
 * Both sides' reads, each to its end even when the other fails: a read left running would still hold its
 * reader's connection when the next table is read.
 */
async function both<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}

/** One line per table for stdout. */
export function verifyLine(r: VerifyResult): string {
  if (r.status === 'failed') return `FAILED ${r.table}: ${r.reason}`;
  const counts = `source ${r.source.rows} rows ${r.source.sum}, target ${r.target.rows} rows ${r.target.sum}`;
  if (r.status === 'equal') return `equal ${r.table}: ${counts}`;
  return `DIFFERENT ${r.table}: ${counts}; ${differenceText(r)}`;
}

function differenceText(r: Extract<VerifyResult, { status: 'differs' }>): string {
  if (r.onlyInSource !== undefined) return `${r.onlyInSource} row(s) only in the source, ${r.onlyInTarget ?? 0} only in the target`;
  return `first differing key ${r.firstDifferingKey ?? 'unknown'}`;
}

/** The summary of all tables: null when all are equal, else the one line a user sees and whether a table failed. */
export function verifySummary(results: readonly VerifyResult[]): { failed: boolean; message: string } | null {
  const failed = results.filter((r) => r.status === 'failed');
  const differing = results.filter((r): r is Extract<VerifyResult, { status: 'differs' }> => r.status === 'differs');
  if (failed.length === 0 && differing.length === 0) return null;
  const parts: string[] = [];
  if (differing.length > 0) {
    parts.push(`${differing.length} of ${results.length} table(s) differ from the source: ${differing.map((r) => `${r.table} (source ${r.source.rows} rows, target ${r.target.rows}; ${differenceText(r)})`).join('; ')}`);
  }
  if (failed.length > 0) parts.push(`${failed.length} of ${results.length} table(s) could not be compared: ${failed.map((r) => `${r.table} (${r.reason})`).join('; ')}`);
  return { failed: failed.length > 0, message: `verify: ${parts.join('; ')}` };
}
