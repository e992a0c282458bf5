import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import { EventEncoder, type Envelope } from '../../src/events/event-encoder.js';
import { SchemaCatalog } from '../../src/schema/schema-catalog.js';
import { singleObjectWire } from '../../src/schema/wire-format.js';
import { tableEnvelopeFor } from '../../src/config/table-envelope.js';
import { EventContract, type EventContractState } from '../../src/pipeline/event-contract.js';
import type { KafkaRecord } from '../../src/events/kafka-record.js';

const table = (name: string, key = ['id']): TableSchema => ({
  id: { namespace: 'public', name },
  columns: [{ name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' }, { name: 'v', type: { kind: 'string' }, nullable: true, sourceType: 'text' }],
  key,
});
const orders = table('orders');
const at = (token: string) => ({ token, display: token });
const change = (e: Partial<ChangeEvent> & Pick<ChangeEvent, 'op'>, t = orders): ChangeEvent => ({ table: t, position: at('pg1:0/10#1'), snapshot: false, txId: '7', commitTimeMicros: 1_000n, ...e });

async function encoderFor(envelope: Envelope, tables: Record<string, { envelope?: Envelope }> = {}, deleteEvents = false) {
  const encoder = new EventEncoder({
    topicPrefix: 'shop', envelope, deleteEvents, envelopeOf: (id) => tableEnvelopeFor({ envelope, tables }, id.namespace, id.name),
    source: { connector: 'postgresql', database: 'shop', version: '0' }, catalog: new SchemaCatalog('fail'), wire: singleObjectWire,
  });
  return { encoder, prepare: (t: TableSchema) => encoder.prepare(t, async () => {}) };
}
const ids = (records: KafkaRecord[]) => records.map((r) => r.headers['logtap.id']);

describe('event ids', () => {
  it('tell apart every record of a change in each envelope, from its position and role', async () => {
    for (const envelope of ['entity', 'debezium', 'key-only'] as const) {
      const { encoder, prepare } = await encoderFor(envelope, {}, true);
      await prepare(orders);
      const keyChange = ids(encoder.encode(change({ op: 'u', before: { id: 1n, v: 'a' }, after: { id: 2n, v: 'a' } })));
      expect(new Set(keyChange).size, envelope).toBe(keyChange.length);
      expect(keyChange.length, envelope).toBeGreaterThan(1);
      for (const id of keyChange) expect(id!.startsWith('pg1:0/10#1/'), envelope).toBe(true);
      const deleted = ids(encoder.encode(change({ op: 'd', position: at('pg1:0/10#2'), before: { id: 2n, v: 'a' } })));
      expect(new Set(deleted).size).toBe(deleted.length);
    }
  });

  it('are the same for the same change encoded again, and count changes that share a position', async () => {
    const first = await encoderFor('entity');
    const again = await encoderFor('entity');
    await first.prepare(orders);
    await again.prepare(orders);
    const group = [change({ op: 'c', after: { id: 1n, v: 'x' } }), change({ op: 'd', before: { id: 5n, v: null } })];
    const a = group.flatMap((e) => ids(first.encoder.encode(e)));
    const b = group.flatMap((e) => ids(again.encoder.encode(e)));
    expect(a).toEqual(b);
    expect(a).toEqual(['pg1:0/10#1/c', 'pg1:0/10#1.1/d~']);
  });

  it('name snapshot rows by their key (they share one position), and keyless rows by their content', async () => {
    const { encoder, prepare } = await encoderFor('entity');
    const keyless = table('log', []);
    await prepare(orders);
    await prepare(keyless);
    const read = (t: TableSchema, after: Record<string, unknown>) => ids(encoder.encode(change({ op: 'r', snapshot: true, position: at('pg1:snap'), after }, t)))[0]!;
    const one = read(orders, { id: 1n, v: 'a' });
    expect(read(orders, { id: 1n, v: 'changed' })).toBe(one);
    expect(read(orders, { id: 2n, v: 'a' })).not.toBe(one);
    expect(read(keyless, { id: 1n, v: 'a' })).not.toBe(read(keyless, { id: 1n, v: 'b' }));
    expect(one.startsWith('pg1:snap/public.orders/')).toBe(true);
    // The documented digest (ids stay stable across versions): SHA-256 of `<table>\0<key as encoded>`, base64url, 22 characters.
    const [record] = encoder.encode(change({ op: 'r', snapshot: true, position: at('pg1:snap'), after: { id: 1n, v: 'a' } }, orders));
    const digest = createHash('sha256').update('public.orders').update('\0').update(record!.key!).digest('base64url').slice(0, 22);
    expect(one).toBe(`pg1:snap/public.orders/${digest}/r`);
  });
});

describe('per-table envelope', () => {
  it('takes the exact name over the first matching glob (file order) over the global envelope', () => {
    const tables = { 'public.pi*': { envelope: 'key-only' as const }, 'public.*': { envelope: 'debezium' as const }, 'public.pings_x': { envelope: 'entity' as const } };
    expect(tableEnvelopeFor({ envelope: 'entity', tables }, 'public', 'pings')).toBe('key-only');
    expect(tableEnvelopeFor({ envelope: 'entity', tables }, 'public', 'pings_x')).toBe('entity');
    expect(tableEnvelopeFor({ envelope: 'entity', tables }, 'public', 'orders')).toBe('debezium');
    expect(tableEnvelopeFor({ envelope: 'entity', tables }, 'other', 'orders')).toBe('entity');
    expect(tableEnvelopeFor({ envelope: 'entity', tables: { 'a.b.c*': {} } }, 'a', 'bx')).toBe('entity');
  });

  it('encodes each table in its own envelope', async () => {
    const { encoder, prepare } = await encoderFor('entity', { 'public.pings': { envelope: 'key-only' } });
    const pings = table('pings');
    await prepare(orders);
    await prepare(pings);
    const [row] = encoder.encode(change({ op: 'c', after: { id: 1n, v: 'a' } }));
    const [note] = encoder.encode(change({ op: 'c', after: { id: 1n, v: 'a' } }, pings));
    expect(note!.value!.length).toBeLessThan(row!.value!.length + 20);
    expect(note!.value!.includes(Buffer.from('pg1:0/10#1'))).toBe(true);
    expect(row!.value!.includes(Buffer.from('pg1:0/10#1'))).toBe(false);
  });
});

describe('event contract', () => {
  const contract = (restored: EventContractState | null, checkpointPosition: string | null, stale: string[] = []) => new EventContract({
    connector: 'c', transactionsTopic: 'p._transactions', watermarksTopic: 'p._watermarks', watermarkHeader: true, restored, checkpointPosition,
    stateRecord: (state) => ({ topic: 'p._offsets', key: null, value: Buffer.from(JSON.stringify(state)), headers: {} }), onStale: (id) => stale.push(id),
  });
  const json = (r: KafkaRecord) => JSON.parse(r.value!.toString()) as Record<string, unknown>;

  it('continues a transaction a checkpoint cut: one BEGIN, an END with every change counted', () => {
    const first = contract(null, null);
    expect(first.beforeChange(change({ op: 'c' })).map(json)).toMatchObject([{ status: 'BEGIN', id: '7' }]);
    expect(first.beforeChange(change({ op: 'c' }))).toEqual([]);
    const point = first.point();
    const kept = first.commitRecords(point, at('pg1:0/10#2')).find((r) => r.topic === 'p._offsets')!;
    const resumed = contract(json(kept) as unknown as EventContractState, 'pg1:0/10#2');
    expect(resumed.beforeChange(change({ op: 'u', table: table('lines') }))).toEqual([]);
    expect(resumed.onCommit(at('pg1:0/20'), { txId: '7', commitTimeMicros: 1_000n }).map(json)).toEqual([{
      status: 'END', id: '7', event_count: 3, data_collections: [{ data_collection: 'public.orders', event_count: 2 }, { data_collection: 'public.lines', event_count: 1 }], ts_ms: 1, commit_us: 1000,
    }]);
  });

  it('drops a kept transaction when the checkpoint moved (logtap offsets), and keeps the watermark', () => {
    const stale: string[] = [];
    const state: EventContractState = { position: 'pg1:0/10#2', openTransaction: { id: '7', commitTimeMicros: '1000', counts: [['public.orders', 2]] }, watermarkMicros: '500' };
    const moved = contract(state, 'pg1:0/99', stale);
    expect(stale).toEqual(['7']);
    expect(moved.beforeChange(change({ op: 'c', txId: '8' })).map(json)).toMatchObject([{ status: 'BEGIN', id: '8' }]);
    // Not below the kept watermark, even from an older source time.
    moved.onHeartbeat({ sourceTimeMicros: 400n });
    expect(moved.advances(moved.point())).toBe(false);
    moved.onHeartbeat({ sourceTimeMicros: 900n });
    const records = moved.commitRecords(moved.point(), at('pg1:0/100'));
    expect(json(records.find((r) => r.topic === 'p._watermarks')!)).toMatchObject({ watermark_us: 899 });
  });

  it('follows commit times only where they bound later commits (MariaDB), not where the log may run out of time order (PostgreSQL)', () => {
    const unordered = contract(null, null);
    unordered.onCommit(at('pg1:0/10'), { commitTimeMicros: 2_000n });
    expect(unordered.point().sourceTimeMicros).toBeNull();
    expect(unordered.advances(unordered.point())).toBe(false);
  });

  it('says a transaction that commits at or before a watermark in use, and nothing for later ones', () => {
    const late: { commitTimeMicros: bigint; watermarkMicros: bigint; transactionId: string | undefined }[] = [];
    const c = new EventContract({
      connector: 'c', transactionsTopic: null, watermarksTopic: 'p._watermarks', watermarkHeader: false, restored: null, checkpointPosition: null,
      stateRecord: (state) => ({ topic: 'p._offsets', key: null, value: Buffer.from(JSON.stringify(state)), headers: {} }), onStale: () => {},
      onLateCommit: (l) => late.push(l),
    });
    c.onCommit(at('my1:a'), { commitTimeMicros: 2_000_000n, boundsLaterCommits: true, txId: '1' });
    c.onCommit(at('my1:b'), { commitTimeMicros: 2_000_000n, boundsLaterCommits: true, txId: '2' });
    expect(late).toEqual([]);
    // A statement that started a second earlier and committed after: its time is below the watermark 1,999,999.
    c.onCommit(at('my1:c'), { commitTimeMicros: 1_000_000n, boundsLaterCommits: true, txId: '3' });
    expect(late).toEqual([{ commitTimeMicros: 1_000_000n, watermarkMicros: 1_999_999n, transactionId: '3' }]);
  });

  it('publishes a watermark just below the last commit time, and puts the previous one on records', () => {
    const c = contract(null, null);
    c.onCommit(at('pg1:0/10'), { commitTimeMicros: 2_000n, boundsLaterCommits: true });
    const records: KafkaRecord[] = [{ topic: 't', key: null, value: null, headers: {} }];
    c.decorate(records);
    expect(records[0]!.headers['logtap.watermark']).toBe('1999');
    const point = c.point();
    expect(json(c.commitRecords(point, at('pg1:0/10')).find((r) => r.topic === 'p._watermarks')!)).toMatchObject({ watermark_us: 1999, ts_ms: 1 });
    c.committed(point);
    expect(c.advances(c.point())).toBe(false);
  });
});

describe('event contract config', () => {
  const base = { name: 'x', source: { url: 'postgres://u@h/db' }, kafka: { brokers: ['h:9092'] }, topicPrefix: 'p' };
  it('is off by default and takes per-table envelopes by name or glob', async () => {
    const { configSchema } = await import('../../src/config/config-schema.js');
    const defaults = configSchema.parse(base);
    expect({ transactions: defaults.transactions, watermarks: defaults.watermarks, tables: defaults.tables }).toEqual({ transactions: { topic: false }, watermarks: { topic: false, header: false }, tables: {} });
    expect(configSchema.parse({ ...base, tables: { 'shop.audit_*': { envelope: 'key-only' } } }).tables).toEqual({ 'shop.audit_*': { envelope: 'key-only' } });
    const bad = configSchema.safeParse({ ...base, tables: { orders: { envelope: 'key-only' } } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['tables', 'orders']);
  });
});
