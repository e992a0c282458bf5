import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import { EventEncoder, type Envelope } from '../../src/events/event-encoder.js';
import { EntityEventDecoder } from '../../src/events/event-decoder.js';
import { SchemaCatalog, type SchemaEntry } from '../../src/schema/schema-catalog.js';
import { singleObjectWire } from '../../src/schema/wire-format.js';
import { readSingleObjectHeader } from '../../src/avro/single-object.js';
import { avroType } from '../../src/avro/avro-type.js';
import { SchemaEvolutionError } from '../../src/errors.js';

const orders: TableSchema = {
  id: { namespace: 'public', name: 'orders' },
  columns: [
    { name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' },
    { name: 'total', type: { kind: 'decimal', precision: 12, scale: 2, specials: true }, nullable: false, sourceType: 'numeric(12,2)' },
    { name: 'note', type: { kind: 'string' }, nullable: true, sourceType: 'text' },
  ],
  key: ['id'],
};

const at = (lsn: string) => ({ token: lsn, display: `lsn ${lsn}` });
const event = (e: Partial<ChangeEvent> & Pick<ChangeEvent, 'op'>, table = orders): ChangeEvent => ({ table, position: at('0/10'), snapshot: false, txId: '742', commitTimeMicros: 1700000000123456n, ...e });

function setup(envelope: Envelope = 'entity', options: { deleteEvents?: boolean; catalog?: SchemaCatalog } = {}) {
  const catalog = options.catalog ?? new SchemaCatalog('fail');
  const published: SchemaEntry[] = [];
  const encoder = new EventEncoder({
    topicPrefix: 'shop', envelope, deleteEvents: options.deleteEvents ?? false,
    source: { connector: 'postgresql', database: 'shop', version: '0.1.0' }, catalog, wire: singleObjectWire,
  });
  const byFingerprint = new Map<string, SchemaEntry>();
  const publish = async (entry: SchemaEntry) => {
    published.push(entry);
    byFingerprint.set(entry.fingerprintHex, entry);
  };
  const decoder = new EntityEventDecoder((ref) => ('fingerprintHex' in ref ? byFingerprint.get(ref.fingerprintHex)?.schema : undefined));
  return { encoder, catalog, published, publish, decoder };
}

describe('entity envelope', () => {
  it('publishes the key and value schemas before encoding, and encodes an insert as key + full row + headers', async () => {
    const { encoder, published, publish, decoder } = setup();
    expect(encoder.isPrepared(orders)).toBe(false);
    await encoder.prepare(orders, publish);
    expect(published.map((e) => [e.subject, e.version])).toEqual([
      ['shop.public.orders-key', 1], ['shop.public.orders-value', 1], ['logtap.TruncateKey', 1], ['logtap.Truncate', 1],
    ]);
    const [record, ...rest] = encoder.encode(event({ op: 'c', after: { id: 7n, total: '19.99', note: null } }));
    expect(rest).toEqual([]);
    expect(record!.topic).toBe('shop.public.orders');
    expect(record!.headers).toEqual({ 'logtap.op': 'c', 'logtap.position': '0/10', 'logtap.snapshot': 'false', 'logtap.txid': '742', 'logtap.commit_us': '1700000000123456', 'logtap.id': '0/10/c' });
    // Both parts are single-object encoded with the fingerprints of the published schemas.
    expect(readSingleObjectHeader(record!.key!).fingerprintHex).toBe(published[0]!.fingerprintHex);
    expect(readSingleObjectHeader(record!.value!).fingerprintHex).toBe(published[1]!.fingerprintHex);
    const decoded = await decoder.decode(record!);
    expect(decoded).toMatchObject({ kind: 'row', op: 'c', key: { id: 7n }, row: { id: 7n, total: '19.99', note: null }, position: '0/10', commitTimeMicros: 1700000000123456n });
  });

  it('carries NaN of a numeric explicitly', async () => {
    const { encoder, publish, decoder } = setup();
    await encoder.prepare(orders, publish);
    const [record] = encoder.encode(event({ op: 'u', after: { id: 1n, total: 'NaN', note: 'x' } }));
    expect(await decoder.decode(record!)).toMatchObject({ kind: 'row', op: 'u', row: { total: 'NaN' } });
  });

  it('turns a delete into a tombstone, preceded by a delete event with the before-image when asked', async () => {
    const plain = setup();
    await plain.encoder.prepare(orders, plain.publish);
    const before = { id: 7n, total: '19.99', note: 'gift' };
    const tomb = plain.encoder.encode(event({ op: 'd', before }));
    expect(tomb.map((r) => [r.headers['logtap.op'], r.value === null])).toEqual([['d', true]]);
    expect(await plain.decoder.decode(tomb[0]!)).toMatchObject({ kind: 'tombstone', key: { id: 7n } });

    const withEvents = setup('entity', { deleteEvents: true });
    await withEvents.encoder.prepare(orders, withEvents.publish);
    const records = withEvents.encoder.encode(event({ op: 'd', before }));
    expect(records.map((r) => [r.headers['logtap.op'], r.value === null])).toEqual([['d', false], ['d', true]]);
    expect(await withEvents.decoder.decode(records[0]!)).toMatchObject({ kind: 'row', op: 'd', row: before });
    // Only the key is known (REPLICA IDENTITY DEFAULT): no delete event, just the tombstone.
    expect(withEvents.encoder.encode(event({ op: 'd', before: { id: 7n } })).map((r) => r.value)).toEqual([null]);
  });

  it('turns a key change into a tombstone for the old key, then the row under the new key', async () => {
    const { encoder, publish, decoder } = setup();
    await encoder.prepare(orders, publish);
    const records = encoder.encode(event({ op: 'u', before: { id: 1n }, after: { id: 2n, total: '1.00', note: null } }));
    expect(await Promise.all(records.map((r) => decoder.decode(r)))).toMatchObject([
      { kind: 'tombstone', key: { id: 1n } },
      { kind: 'row', op: 'u', key: { id: 2n }, row: { id: 2n } },
    ]);
    // An update whose before-image has the same key is one record.
    expect(encoder.encode(event({ op: 'u', before: { id: 2n }, after: { id: 2n, total: '2.00', note: null } }))).toHaveLength(1);
  });

  it('writes a truncate marker keyed by the table, so only the latest survives compaction', async () => {
    const { encoder, publish, decoder } = setup();
    await encoder.prepare(orders, publish);
    const [a] = encoder.encode(event({ op: 't', position: at('0/20') }));
    const [b] = encoder.encode(event({ op: 't', position: at('0/30') }));
    expect(a!.key!.equals(b!.key!)).toBe(true);
    expect(await decoder.decode(b!)).toEqual({ kind: 'truncate', op: 't', table: 'public.orders', position: '0/30', commitTimeMicros: 1700000000123456n, partitions: 1 });
    expect(a!.partition).toBe(0);
  });

  it('writes a truncate marker to every partition of the topic, each naming how many there are', async () => {
    const { encoder, publish, decoder } = setup();
    await encoder.prepare(orders, publish, 6);
    const markers = encoder.encode(event({ op: 't', position: at('0/20') }));
    expect(markers.map((m) => m.partition)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const m of markers) {
      expect(m.key!.equals(markers[0]!.key!)).toBe(true);
      expect(await decoder.decode(m)).toEqual({ kind: 'truncate', op: 't', table: 'public.orders', position: '0/20', commitTimeMicros: 1700000000123456n, partitions: 6 });
    }
    // Rows keep the key's partition (Kafka's partitioner).
    expect(encoder.encode(event({ op: 'c', after: { id: 7n, total: '1.00', note: null } }))[0]!.partition).toBeUndefined();
  });

  it('gives rows of a keyless table a null key', async () => {
    const keyless: TableSchema = { ...orders, key: [] };
    const { encoder, publish } = setup();
    await encoder.prepare(keyless, publish);
    const [record] = encoder.encode(event({ op: 'c', after: { id: 1n, total: '1.00', note: null } }, keyless));
    expect(record!.key).toBeNull();
  });

  it('publishes a keyless table as a change log of whole rows: an update is the old row (d) then the new one, a delete the old row once', async () => {
    const keyless: TableSchema = { ...orders, key: [] };
    const { encoder, publish, decoder } = setup('entity', { deleteEvents: true });
    await encoder.prepare(keyless, publish);
    const old = { id: 1n, total: '1.00', note: null };
    const updated = { id: 1n, total: '2.00', note: 'x' };
    const update = encoder.encode(event({ op: 'u', before: old, after: updated }, keyless));
    expect(update.map((r) => [r.key, r.headers['logtap.op']])).toEqual([[null, 'd'], [null, 'u']]);
    expect(await decoder.decode(update[0]!)).toMatchObject({ kind: 'row', op: 'd', row: old, position: '0/10' });
    expect(await decoder.decode(update[1]!)).toMatchObject({ kind: 'row', op: 'u', row: updated, position: '0/10' });
    // deleteEvents adds nothing: the delete already carries the old row, and twice would remove two rows.
    const del = encoder.encode(event({ op: 'd', before: updated }, keyless));
    expect(del).toHaveLength(1);
    expect(await decoder.decode(del[0]!)).toMatchObject({ kind: 'row', op: 'd', row: updated });
  });

  it('refuses a keyless update or delete without the whole old row, naming the table and the fix', async () => {
    const keyless: TableSchema = { ...orders, key: [] };
    const { encoder, publish } = setup();
    await encoder.prepare(keyless, publish);
    expect(() => encoder.encode(event({ op: 'u', after: { id: 1n, total: '1.00', note: null } }, keyless))).toThrow(/update of public\.orders at 0\/10: the table has no primary key .*REPLICA IDENTITY FULL/);
    expect(() => encoder.encode(event({ op: 'd', before: { id: 1n } }, keyless))).toThrow(/delete of public\.orders/);
  });
});

describe('debezium envelope', () => {
  it('writes before, after, source and op in an Envelope record', async () => {
    const { encoder, publish, published } = setup('debezium');
    await encoder.prepare(orders, publish);
    const valueEntry = published.find((e) => e.subject === 'shop.public.orders-value')!;
    expect((valueEntry.schema as { name: string }).name).toBe('Envelope');
    const type = avroType(valueEntry.schema);
    const [record] = encoder.encode(event({ op: 'u', before: { id: 3n, total: '1.00', note: null }, after: { id: 3n, total: '2.50', note: 'x' } }));
    const envelope = type.fromBuffer(readSingleObjectHeader(record!.value!).body) as Record<string, any>;
    expect(envelope.op).toBe('u');
    expect(envelope.after.id).toBe(3n);
    expect(envelope.before.id).toBe(3n);
    expect(envelope.source).toMatchObject({ connector: 'postgresql', name: 'shop', db: 'shop', schema: 'public', table: 'orders', txId: 742n, ts_us: 1700000000123456n, ts_ms: 1700000000123n });
  });

  it('emits a delete envelope followed by a tombstone', async () => {
    const { encoder, publish } = setup('debezium');
    await encoder.prepare(orders, publish);
    const records = encoder.encode(event({ op: 'd', before: { id: 3n, total: '1.00', note: null } }));
    expect(records.map((r) => [r.headers['logtap.op'], r.value === null])).toEqual([['d', false], ['d', true]]);
  });
});

describe('key-only envelope', () => {
  it('writes the key with op and position, never the row', async () => {
    const { encoder, publish, published } = setup('key-only');
    await encoder.prepare(orders, publish);
    const valueEntry = published.find((e) => e.subject === 'shop.public.orders-value')!;
    const [record] = encoder.encode(event({ op: 'd', before: { id: 9n } }));
    const value = avroType(valueEntry.schema).fromBuffer(readSingleObjectHeader(record!.value!).body) as Record<string, unknown>;
    expect(value).toMatchObject({ op: 'd', position: '0/10', txId: '742', commitTimeMicros: 1700000000123456n });
    expect(Object.keys(value)).not.toContain('total');
  });
});

describe('schema evolution', () => {
  const withColumn = (column: TableSchema['columns'][number]): TableSchema => ({ ...orders, columns: [...orders.columns, column] });

  it('gives an added nullable column a new, backward-compatible version; older records still decode', async () => {
    const { encoder, publish, published, decoder } = setup();
    await encoder.prepare(orders, publish);
    const [old] = encoder.encode(event({ op: 'c', after: { id: 1n, total: '1.00', note: null } }));
    const v2 = withColumn({ name: 'coupon', type: { kind: 'string' }, nullable: true, sourceType: 'text' });
    await encoder.prepare(v2, publish);
    const [next] = encoder.encode(event({ op: 'c', after: { id: 2n, total: '1.00', note: null, coupon: 'X' } }, v2));
    expect(published.filter((e) => e.subject.endsWith('-value')).map((e) => e.version)).toEqual([1, 2]);
    // The new schema reads records written with the old one (the avsc resolver is Avro's schema resolution).
    const [v1Entry, v2Entry] = published.filter((e) => e.subject.endsWith('-value'));
    const reader = avroType(v2Entry!.schema);
    const resolver = reader.createResolver(avroType(v1Entry!.schema));
    expect(reader.fromBuffer(readSingleObjectHeader(old!.value!).body, resolver)).toMatchObject({ id: 1n, coupon: null });
    expect(await decoder.decode(old!)).toMatchObject({ row: { id: 1n } });
    expect(await decoder.decode(next!)).toMatchObject({ row: { id: 2n, coupon: 'X' } });
  });

  it('gives a dropped column a new version', async () => {
    const { encoder, publish, published } = setup();
    await encoder.prepare(orders, publish);
    await encoder.prepare({ ...orders, columns: orders.columns.filter((c) => c.name !== 'note') }, publish);
    expect(published.filter((e) => e.subject.endsWith('-value')).map((e) => e.version)).toEqual([1, 2]);
  });

  it('refuses a new NOT NULL column under the fail policy, naming the subject and the way out', async () => {
    const { encoder, publish } = setup();
    await encoder.prepare(orders, publish);
    const v2 = withColumn({ name: 'qty', type: { kind: 'int', bits: 32 }, nullable: false, sourceType: 'integer' });
    await expect(encoder.prepare(v2, publish)).rejects.toThrow(SchemaEvolutionError);
    await expect(encoder.prepare(v2, publish)).rejects.toThrow(/shop\.public\.orders-value: the new schema cannot read records of version 1 .*onIncompatible: allow/);
  });

  it('publishes it as the next version under the allow policy', async () => {
    const { encoder, publish, published } = setup('entity', { catalog: new SchemaCatalog('allow') });
    await encoder.prepare(orders, publish);
    await encoder.prepare(withColumn({ name: 'qty', type: { kind: 'int', bits: 32 }, nullable: false, sourceType: 'integer' }), publish);
    expect(published.filter((e) => e.subject.endsWith('-value')).map((e) => e.version)).toEqual([1, 2]);
  });

  it('keeps counting versions across restarts from the schemas already published', async () => {
    const first = setup();
    await first.encoder.prepare(orders, first.publish);
    // A restart: a new catalog seeded from the schema topic, the same table seen again and then changed.
    const second = setup('entity', { catalog: new SchemaCatalog('fail', first.published) });
    await second.encoder.prepare({ ...orders }, second.publish);
    expect(second.published).toEqual([]);
    await second.encoder.prepare({ ...orders, columns: orders.columns.slice(0, 2) }, second.publish);
    expect(second.published.map((e) => [e.subject, e.version])).toEqual([['shop.public.orders-value', 2]]);
  });
});
