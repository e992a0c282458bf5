import { createHash } from 'node:crypto';
import type { Row } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';
import { tableAvroSchemas } from '../avro/table-avro-schema.js';
import { compileRowCodec } from '../avro/row-codec.js';
import { conformValue } from './conform-value.js';

/** Row count and an order-independent checksum of a table's rows, as canonical values. */
export interface TableChecksum {
  rows: number;
  /** Sum modulo 2^128 of the first 16 bytes of each row's SHA-256, as 32 hex digits. */
  sum: string;
}

const MOD = 1n << 128n;

/**
 * Hashes rows the same way whichever database they come from: each value is conformed to the topic's
 * column type, the row is encoded with the table's Avro value codec (one exact byte form per value), and
 * the per-row hashes are added up, so row order does not matter.
 */
export class RowHasher {
  private readonly encodeRow: (row: Row) => Buffer;
  private readonly encodeKey: (row: Row) => Buffer;

  constructor(readonly table: TableSchema) {
    const avro = tableAvroSchemas(table, 'replay.verify');
    const value = compileRowCodec(table, avro.value);
    const key = avro.key && compileRowCodec(table, avro.key);
    const conform = (row: Row): Row => {
      const out: Row = {};
      for (const c of table.columns) out[c.name] = conformValue(row[c.name], c.type);
      return out;
    };
    this.encodeRow = (row) => value.encode(conform(row));
    this.encodeKey = (row) => (key ? key.encode(conform(row)) : Buffer.alloc(0));
  }

  /** The row's hash (16 bytes as a bigint) and its key's bytes (hex, for naming and lookups). */
  hash(row: Row): { hash: bigint; keyHex: string; key: Row } {
    const digest = createHash('sha256').update(this.encodeRow(row)).digest();
    const keyRow: Row = {};
    for (const k of this.table.key) keyRow[k] = conformValue(row[k], this.table.columns.find((c) => c.name === k)!.type);
    return { hash: BigInt(`0x${digest.subarray(0, 16).toString('hex')}`), keyHex: this.encodeKey(row).toString('hex'), key: keyRow };
  }
}

export async function checksumRows(rows: AsyncIterable<Row>, hasher: RowHasher): Promise<TableChecksum> {
  let count = 0;
  let sum = 0n;
  for await (const row of rows) {
    count++;
    sum = (sum + hasher.hash(row).hash) % MOD;
  }
  return { rows: count, sum: sum.toString(16).padStart(32, '0') };
}

/** Every row's hash by key, to name the first key whose rows differ (a second pass, only on a mismatch). */
export async function hashesByKey(rows: AsyncIterable<Row>, hasher: RowHasher): Promise<Map<string, { hash: bigint; key: Row }>> {
  const byKey = new Map<string, { hash: bigint; key: Row }>();
  for await (const row of rows) {
    const { hash, keyHex, key } = hasher.hash(row);
    byKey.set(keyHex, { hash, key });
  }
  return byKey;
}

/** The first key (in key-byte order) present on one side only or with different rows; undefined when equal. */
export function firstDifferingKey(source: Map<string, { hash: bigint; key: Row }>, target: Map<string, { hash: bigint; key: Row }>): Row | undefined {
  const keys = [...new Set([...source.keys(), ...target.keys()])].sort();
  for (const k of keys) {
    const a = source.get(k);
    const b = target.get(k);
    if (!a || !b || a.hash !== b.hash) return (a ?? b)!.key;
  }
  return undefined;
}

/** Every row's hash with its count: a table without a key compared as a multiset (duplicates count). */
export async function rowCounts(rows: AsyncIterable<Row>, hasher: RowHasher): Promise<Map<bigint, number>> {
  const counts = new Map<bigint, number>();
  for await (const row of rows) {
    const { hash } = hasher.hash(row);
    counts.set(hash, (counts.get(hash) ?? 0) + 1);
  }
  return counts;
}

/** How many rows one multiset has beyond the other, each way. */
export function multisetDifference(source: Map<bigint, number>, target: Map<bigint, number>): { onlyInSource: number; onlyInTarget: number } {
  let onlyInSource = 0;
  let onlyInTarget = 0;
  for (const [hash, n] of source) onlyInSource += Math.max(0, n - (target.get(hash) ?? 0));
  for (const [hash, n] of target) onlyInTarget += Math.max(0, n - (source.get(hash) ?? 0));
  return { onlyInSource, onlyInTarget };
}

/** A key as people read it: `id=5, region="eu"`. */
export const keyText = (key: Row): string =>
  Object.entries(key).map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : typeof v === 'bigint' ? v.toString() : JSON.stringify(v)}`).join(', ');
