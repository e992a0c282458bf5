import type { Kafka } from 'kafkajs';
import type { Row } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';
import { readTableRecord } from '../avro/table-avro-schema.js';
import { mergedTopicTables } from '../replay/replay-plan.js';
import { EntityEventDecoder, schemaTopicResolver } from '../events/event-decoder.js';
import { readTopicToEnd } from '../kafka/read-to-end.js';
import type { SchemaEntry } from '../schema/schema-catalog.js';
import { keyText } from '../backfill/key-text.js';
import type { TableRowReader } from '../replay/replay-target.js';

/** Source rows scanned at most to find the rows shown (a preview, not a verification: `replay --verify` is that). */
const SOURCE_SCAN_LIMIT = 200_000;

export interface DualityRow {
  key: string;
  /** The row as the topic says it is (last value of its key), or null when the topic has no such key. */
  topic: Row | null;
  /** The row as the source holds it now, or null when it is not there (or not among the rows scanned). */
  source: Row | null;
  /** Columns whose values differ (every column when one side is missing). */
  differs: string[];
}

export interface DualityView {
  table: TableSchema;
  rows: DualityRow[];
  /** Rows the topic describes (keys with a live value). */
  topicRows: number;
  /** Source rows read to find the rows shown; `sourceScanComplete` false when the scan stopped at its limit. */
  sourceRowsScanned: number;
  sourceScanComplete: boolean;
}

/** A canonical value as text for people, and for comparing two sides (bigint, bytes and nested values spelled out). */
export function displayValue(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? `\\x${Buffer.from(v).toString('hex')}` : v));
}

/** Orders key texts as their values order (numbers as numbers), so "the first rows" are the smallest keys. */
function compareKeys(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    const numeric = (v: unknown) => typeof v === 'number' || typeof v === 'bigint';
    const c = numeric(x) && numeric(y) ? (BigInt(x as number) < BigInt(y as number) ? -1 : BigInt(x as number) > BigInt(y as number) ? 1 : 0)
      : displayValue(x) < displayValue(y) ? -1 : displayValue(x) > displayValue(y) ? 1 : 0;
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/**
 * The table–stream duality, for one keyed table: its compacted topic folded into the table it describes (last value
 * per key; tombstones delete; a truncate marker empties the keys last written to its partition), the `limit`
 * smallest keys of it, and the same rows read from the source now, column by column.
 */
export async function dualityView(kafka: Kafka, topic: string, entries: readonly SchemaEntry[], reader: TableRowReader, limit = 20): Promise<DualityView> {
  const latest = (subject: string) => entries.filter((e) => e.subject === subject).sort((a, b) => b.version - a.version)[0];
  const valueEntry = latest(`${topic}-value`);
  const keyEntry = latest(`${topic}-key`);
  if (!valueEntry) throw new Error(`no schema for ${topic} in the schema topic yet`);
  if (mergedTopicTables(topic, entries)) throw new Error(`${topic} holds several tables (topics.routes): no side-by-side view of one table`);
  if (!keyEntry) throw new Error(`${topic} is a change log (the table has no key): compare it with \`logtap replay --verify\``);
  const table = readTableRecord(valueEntry.schema, 'value').table;
  const keyColumns = readTableRecord(keyEntry.schema, 'key').table.columns.map((c) => c.name);
  const withKey: TableSchema = { ...table, key: keyColumns };

  const decoder = new EntityEventDecoder(schemaTopicResolver(entries));
  const folded = new Map<string, { partition: number; key: unknown[]; row: Row }>();
  await readTopicToEnd(kafka, topic, async ({ partition, message }) => {
    const event = await decoder.decode({ key: message.key, value: message.value, headers: message.headers as Record<string, Buffer> });
    if (event.kind === 'truncate') {
      for (const [k, v] of folded) if (v.partition === partition) folded.delete(k);
    } else if (event.kind === 'tombstone') {
      if (event.key) folded.delete(keyText(event.key, keyColumns));
    } else {
      const key = keyText(event.key ?? event.row, keyColumns);
      folded.set(key, { partition, key: keyColumns.map((c) => (event.key ?? event.row)[c]), row: event.row });
    }
  });
  const shown = [...folded.entries()].sort((a, b) => compareKeys(a[1].key, b[1].key)).slice(0, limit);
  const wanted = new Map(shown.map(([k]) => [k, null as Row | null]));

  let scanned = 0;
  let found = 0;
  let complete = true;
  for await (const row of reader.readRows(withKey, 'source')) {
    scanned++;
    const k = keyText(row, keyColumns);
    if (wanted.has(k)) {
      wanted.set(k, row);
      found++;
    }
    if (found === wanted.size) break;
    if (scanned >= SOURCE_SCAN_LIMIT) {
      complete = false;
      break;
    }
  }
  const rows = shown.map(([key, { row }]): DualityRow => {
    const source = wanted.get(key) ?? null;
    const differs = table.columns.map((c) => c.name).filter((c) => source === null || displayValue(row[c]) !== displayValue(source[c]));
    return { key, topic: row, source, differs };
  });
  return { table: withKey, rows, topicRows: folded.size, sourceRowsScanned: scanned, sourceScanComplete: complete };
}
