import { tableIdText } from '../model/table-schema.js';
import type { TableSchema } from '../model/table-schema.js';
import type { TableRowReader } from './replay-target.js';
import { RowHasher, checksumRows, firstDifferingKey, hashesByKey, keyText, type TableChecksum } from './table-checksum.js';

export interface VerifyResult {
  table: string;
  source: TableChecksum;
  target: TableChecksum;
  equal: boolean;
  /** On a difference: the first key (in key-byte order) whose rows differ, as text. */
  firstDifferingKey?: string;
}

/**
 * Compares a rebuilt table with its source: row count and order-independent checksum, each side read
 * through its own connector's type layer and hashed as the topic's canonical values. On a difference a
 * second pass finds the first differing key.
 */
export async function verifyTable(table: TableSchema, source: TableRowReader, target: TableRowReader): Promise<VerifyResult> {
  const hasher = new RowHasher(table);
  const [a, b] = await Promise.all([checksumRows(source.readRows(table, 'source'), hasher), checksumRows(target.readRows(table, 'target'), hasher)]);
  const result: VerifyResult = { table: tableIdText(table.id), source: a, target: b, equal: a.rows === b.rows && a.sum === b.sum };
  if (!result.equal) {
    const [sa, sb] = await Promise.all([hashesByKey(source.readRows(table, 'source'), hasher), hashesByKey(target.readRows(table, 'target'), hasher)]);
    const key = firstDifferingKey(sa, sb);
    if (key) result.firstDifferingKey = keyText(key);
  }
  return result;
}
