import { afterEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import { EventEncoder } from '../../src/events/event-encoder.js';
import type { KafkaRecord } from '../../src/events/kafka-record.js';
import { SchemaCatalog } from '../../src/schema/schema-catalog.js';
import { singleObjectWire } from '../../src/schema/wire-format.js';
import { EncodePool, type PendingRecords } from '../../src/encoding/encode-pool.js';
import { EncodingError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';

const orders: TableSchema = {
  id: { namespace: 'public', name: 'orders' },
  columns: [
    { name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' },
    { name: 'total', type: { kind: 'decimal', precision: 12, scale: 2, specials: true }, nullable: false, sourceType: 'numeric(12,2)' },
    { name: 'note', type: { kind: 'string' }, nullable: true, sourceType: 'text' },
    { name: 'blob', type: { kind: 'bytes' }, nullable: true, sourceType: 'bytea' },
  ],
  key: ['id'],
};
const logs: TableSchema = { ...orders, id: { namespace: 'public', name: 'logs' }, key: [] };

const change = (i: number, over: Partial<ChangeEvent> = {}): ChangeEvent => ({
  table: orders, op: 'u', position: { token: `0/${(0x100 + Math.floor(i / 2)).toString(16)}`, display: '' }, snapshot: false, txId: String(700 + i),
  commitTimeMicros: 1_700_000_000_000_000n + BigInt(i),
  after: { id: BigInt(i), total: `${i}.25`, note: i % 3 === 0 ? null : `note ${i}`, blob: i % 2 === 0 ? Buffer.from([i & 255, 1, 2]) : null },
  before: i % 5 === 0 ? { id: BigInt(i + 1_000_000), total: '0', note: null, blob: null } : undefined,
  ...over,
});

async function encoders() {
  const make = () => new EventEncoder({
    topicPrefix: 'shop', envelope: 'entity', deleteEvents: true, source: { connector: 'postgresql', database: 'shop', version: '0.1.0' },
    catalog: new SchemaCatalog('fail'), wire: singleObjectWire,
  });
  const inThread = make();
  const forPool = make();
  for (const e of [inThread, forPool]) {
    await e.prepare(orders, async () => {}, 3);
    await e.prepare(logs, async () => {});
  }
  return { inThread, forPool };
}

const plain = (records: KafkaRecord[]) => records.map((r) => ({ ...r, key: r.key && Buffer.from(r.key).toString('hex'), value: r.value && Buffer.from(r.value).toString('hex') }));

async function recordsOf(pending: PendingRecords[]): Promise<KafkaRecord[]> {
  const out: KafkaRecord[] = [];
  for (const p of pending) {
    await p.batch.done;
    out.push(...p.records());
  }
  return out;
}

let pool: EncodePool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('EncodePool', () => {
  it('gives every change the records the main thread would, in source order, across workers and batches', async () => {
    const { inThread, forPool } = await encoders();
    pool = new EncodePool({ workers: 2, encoder: forPool, log: silentLogger, batchChanges: 7 });
    const events = [
      ...Array.from({ length: 60 }, (_, i) => change(i)),
      change(60, { op: 'd', after: undefined, before: { id: 60n, total: '1.00', note: 'gone', blob: null } }),
      change(61, { op: 't', after: undefined, before: undefined }),
      change(62, { table: logs, op: 'c' }),
      ...Array.from({ length: 20 }, (_, i) => change(63 + i, { op: 'r', snapshot: true, txId: undefined, commitTimeMicros: undefined, before: undefined })),
    ];
    const expected = events.flatMap((e) => inThread.encode(e));
    const pending = events.map((e) => pool!.submit(e, null)!);
    pool.dispatch();
    expect(plain(await recordsOf(pending))).toEqual(plain(expected));
  });

  it('keeps each change in its place when a later batch is answered first', async () => {
    const { inThread, forPool } = await encoders();
    pool = new EncodePool({ workers: 2, encoder: forPool, log: silentLogger, batchChanges: 1 });
    // Both workers started (one change each), then the first batch is large (slow): the second worker answers first.
    const warm = [pool.submit(change(5), null)!, pool.submit(change(6), null)!];
    await Promise.all(warm.map((p) => p.batch.done));
    const big = change(0, { after: { id: 0n, total: '1', note: 'x'.repeat(20_000_000), blob: null } });
    const small = change(1);
    const expected = [...inThread.encode(big), ...inThread.encode(small)];
    const first = pool.submit(big, null)!;
    const second = pool.submit(small, null)!;
    const order: string[] = [];
    await Promise.all([first.batch.done.then(() => order.push('first')), second.batch.done.then(() => order.push('second'))]);
    expect(order).toEqual(['second', 'first']);
    expect(plain(await recordsOf([first, second]))).toEqual(plain(expected));
  });

  it('fails the change that cannot be encoded with its one-line error, and keeps the changes before it', async () => {
    const { inThread, forPool } = await encoders();
    pool = new EncodePool({ workers: 1, encoder: forPool, log: silentLogger });
    const good = change(1);
    const bad = change(2, { after: { id: 2n, total: 'not a number', note: null, blob: null } });
    const expected = inThread.encode(good);
    const pending = [pool.submit(good, null)!, pool.submit(bad, null)!, pool.submit(change(3), null)!];
    pool.dispatch();
    await pending[0]!.batch.done;
    expect(plain(pending[0]!.records())).toEqual(plain(expected));
    expect(() => pending[1]!.records()).toThrow(EncodingError);
    expect(() => pending[1]!.records()).toThrow(/public\.orders\.total at 0\/101/);
    expect(() => pending[2]!.records()).toThrow(EncodingError);
  });

  it('a worker that dies fails its batches and every later one with one line, at once', async () => {
    const { forPool } = await encoders();
    pool = new EncodePool({ workers: 1, encoder: forPool, log: silentLogger });
    const failures: Error[] = [];
    pool.onFailure = (err) => failures.push(err);
    const pending = pool.submit(change(1), null)!;
    pool.dispatch();
    await pending.batch.done;
    const worker = (pool as unknown as { slots: Array<{ worker: import('node:worker_threads').Worker }> }).slots[0]!.worker;
    const next = pool.submit(change(2), null)!;
    await worker.terminate();
    pool.dispatch();
    await expect(next.batch.done).rejects.toThrow(/^encoding worker 0 exited \(code 1\)$/);
    expect(failures.map((e) => e.message)).toEqual(['encoding worker 0 exited (code 1)']);
    const later = pool.submit(change(3), null)!;
    pool.dispatch();
    await expect(later.batch.done).rejects.toThrow(EncodingError);
  });

  it('close() leaves no worker thread running', async () => {
    const { forPool } = await encoders();
    pool = new EncodePool({ workers: 2, encoder: forPool, log: silentLogger });
    const exited: number[] = [];
    const workers = (pool as unknown as { slots: Array<{ worker: import('node:worker_threads').Worker }> }).slots.map((s) => s.worker);
    for (const w of workers) w.on('exit', (code) => exited.push(code));
    const pending = pool.submit(change(1), null)!;
    await pool.close();
    pool = undefined;
    await expect(pending.batch.done).rejects.toThrow(/stopped/);
    expect(exited).toHaveLength(2);
    expect(workers.every((w) => w.threadId === -1)).toBe(true);
  });
});
