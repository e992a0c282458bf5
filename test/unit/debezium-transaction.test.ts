import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import { EventEncoder } from '../../src/events/event-encoder.js';
import { SchemaCatalog, type SchemaEntry } from '../../src/schema/schema-catalog.js';
import { singleObjectWire } from '../../src/schema/wire-format.js';
import { readSingleObjectHeader } from '../../src/avro/single-object.js';
import { avroType } from '../../src/avro/avro-type.js';
import type { KafkaRecord } from '../../src/events/kafka-record.js';

const table = (name: string): TableSchema => ({
  id: { namespace: 'public', name },
  columns: [{ name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' }, { name: 'note', type: { kind: 'string' }, nullable: true, sourceType: 'text' }],
  key: ['id'],
});
const orders = table('orders');
const lines = table('lines');

async function setup(transactionMetadata: boolean | undefined, connector: 'postgresql' | 'mysql' = 'postgresql', truncateEvents?: boolean) {
  const published: SchemaEntry[] = [];
  const encoder = new EventEncoder({
    topicPrefix: 'shop', envelope: 'debezium', source: { connector, database: 'shopdb', version: '0.1.0' },
    catalog: new SchemaCatalog('fail'), wire: singleObjectWire,
    ...(transactionMetadata === undefined ? {} : { debezium: { transactionMetadata, ...(truncateEvents === undefined ? {} : { truncateEvents }) } }),
  });
  for (const t of [orders, lines]) await encoder.prepare(t, async (e) => {
    published.push(e);
  });
  const decode = (record: KafkaRecord) => {
    const header = readSingleObjectHeader(record.value!);
    const entry = published.find((e) => e.fingerprintHex === header.fingerprintHex)!;
    return avroType(entry.schema).fromBuffer(header.body) as Record<string, any>;
  };
  return { encoder, decode };
}

let lsn = 0;
const change = (t: TableSchema, op: ChangeEvent['op'], id: bigint, txId: string | undefined, extra: Partial<ChangeEvent> = {}): ChangeEvent => ({
  table: t, op, position: { token: `pg1:0/${(++lsn).toString(16)}`, display: '' }, snapshot: false,
  ...(txId === undefined ? {} : { txId, commitTimeMicros: 1700000000123456n }),
  ...(op === 'd' ? { before: { id, note: 'x' } } : { after: { id, note: 'x' } }),
  ...extra,
});

describe('Debezium transaction block', () => {
  it('is null by default, like Debezium with provide.transaction.metadata=false', async () => {
    const { encoder, decode } = await setup(undefined);
    const [record] = encoder.encode(change(orders, 'c', 1n, '501'));
    expect(decode(record!).transaction).toBeNull();
  });

  it('numbers the events of each transaction in total and per table, starting again with each transaction', async () => {
    const { encoder, decode } = await setup(true);
    const blocks = [
      change(orders, 'c', 1n, '501'),
      change(lines, 'c', 10n, '501'),
      change(lines, 'c', 11n, '501'),
      change(orders, 'u', 1n, '501'),
      change(orders, 'd', 2n, '501'), // an envelope and a tombstone: only the envelope is an event
      change(lines, 'c', 12n, '502'),
      change(orders, 'c', 3n, '502'),
    ].flatMap((e) => encoder.encode(e)).filter((r) => r.value !== null).map((r) => decode(r).transaction);
    expect(blocks).toEqual([
      { id: '501', total_order: 1n, data_collection_order: 1n },
      { id: '501', total_order: 2n, data_collection_order: 1n },
      { id: '501', total_order: 3n, data_collection_order: 2n },
      { id: '501', total_order: 4n, data_collection_order: 2n },
      { id: '501', total_order: 5n, data_collection_order: 3n },
      { id: '502', total_order: 1n, data_collection_order: 1n },
      { id: '502', total_order: 2n, data_collection_order: 1n },
    ]);
  });

  it('counts both events of a key change, and leaves snapshot reads (no transaction) without a block', async () => {
    const { encoder, decode } = await setup(true);
    const keyChange = encoder.encode(change(orders, 'u', 2n, '600', { before: { id: 1n, note: 'x' } }));
    expect(keyChange.map((r) => (r.value === null ? 'tombstone' : [decode(r).op, decode(r).transaction.total_order]))).toEqual([['d', 1n], 'tombstone', ['c', 2n]]);
    const [read] = encoder.encode(change(orders, 'r', 5n, undefined, { snapshot: true }));
    expect(decode(read!).transaction).toBeNull();
  });

  it('fills the PostgreSQL source block: txId as a long, schema and table, commit time in ms/µs/ns', async () => {
    const { encoder, decode } = await setup(false);
    const [record] = encoder.encode(change(orders, 'c', 1n, '742'));
    expect(decode(record!).source).toEqual({
      version: '0.1.0', connector: 'postgresql', name: 'shop', ts_ms: 1700000000123n, snapshot: 'false', db: 'shopdb', sequence: null,
      ts_us: 1700000000123456n, ts_ns: 1700000000123456000n, schema: 'public', table: 'orders', txId: 742n, lsn: null, xmin: null,
    });
  });

  it('fills the MySQL source block: the table\'s database as db, a GTID as gtid; with truncateEvents a truncate is a \'t\' envelope without key', async () => {
    const { encoder, decode } = await setup(true, 'mysql', true);
    const [record] = encoder.encode(change(orders, 'c', 1n, '0-1-42'));
    expect(decode(record!)).toMatchObject({ op: 'c', source: { connector: 'mysql', db: 'public', table: 'orders', gtid: '0-1-42', snapshot: 'false' }, transaction: { id: '0-1-42' } });
    const [truncate, ...rest] = encoder.encode({ table: orders, op: 't', position: { token: 'x', display: 'x' }, snapshot: false, txId: '0-1-43' });
    expect(rest).toEqual([]);
    expect(truncate!.key).toBeNull();
    expect(decode(truncate!)).toMatchObject({ op: 't', before: null, after: null });
  });

  it('publishes nothing for a truncate by default, as Debezium (skipped.operations=t)', async () => {
    const { encoder } = await setup(undefined);
    expect(encoder.encode({ table: orders, op: 't', position: { token: 'x', display: 'x' }, snapshot: false, txId: '9' })).toEqual([]);
  });
});

describe('Debezium transaction block in a transaction a checkpoint cut', () => {
  it('counts on from the events published before (as the END record counts them)', async () => {
    const { encoder, decode } = await setup(true);
    encoder.resumeTransaction({ id: '601', commitTimeMicros: null, counts: [['public.orders', 2], ['public.lines', 1]] });
    const [record] = encoder.encode(change(orders, 'c', 5n, '601'));
    expect(decode(record!).transaction).toEqual({ id: '601', total_order: 4n, data_collection_order: 3n });
    const [next] = encoder.encode(change(orders, 'c', 6n, '602'));
    expect(decode(next!).transaction).toEqual({ id: '602', total_order: 1n, data_collection_order: 1n });
  });
});
