// bench/encode: records/s for encoding a 10-column mixed-type row (key + value, single-object framed) on
// one core, with two same-run baselines: avsc writing the already-lowered record (the floor of Avro work)
// and JSON.stringify of the row. Usage: npm run bench:encode [-- --seconds 3 --workers 1,2]
import { performance } from 'node:perf_hooks';
import type { ChangeEvent } from '../src/model/change-event.js';
import type { TableSchema } from '../src/model/table-schema.js';
import { EventEncoder } from '../src/events/event-encoder.js';
import { SchemaCatalog } from '../src/schema/schema-catalog.js';
import { singleObjectWire } from '../src/schema/wire-format.js';
import { tableAvroSchemas } from '../src/avro/table-avro-schema.js';
import { compileRowCodec } from '../src/avro/row-codec.js';
import { EncodePool, type PendingRecords } from '../src/encoding/encode-pool.js';
import { silentLogger } from '../src/logger.js';

const flag = process.argv.indexOf('--seconds');
const seconds = flag === -1 ? 3 : Number(process.argv[flag + 1]);

const table: TableSchema = {
  id: { namespace: 'public', name: 'orders' },
  columns: [
    { name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' },
    { name: 'customer_id', type: { kind: 'int', bits: 32 }, nullable: false, sourceType: 'integer' },
    { name: 'status', type: { kind: 'enum', name: 'order_status', symbols: ['new', 'paid', 'shipped', 'cancelled'] }, nullable: false, sourceType: 'order_status' },
    { name: 'total', type: { kind: 'decimal', precision: 12, scale: 2, specials: true }, nullable: false, sourceType: 'numeric(12,2)' },
    { name: 'note', type: { kind: 'string' }, nullable: true, sourceType: 'text' },
    { name: 'placed_at', type: { kind: 'timestamp-micros', zoned: true }, nullable: false, sourceType: 'timestamp with time zone' },
    { name: 'ship_date', type: { kind: 'date' }, nullable: true, sourceType: 'date' },
    { name: 'paid', type: { kind: 'boolean' }, nullable: false, sourceType: 'boolean' },
    { name: 'weight', type: { kind: 'double' }, nullable: true, sourceType: 'double precision' },
    { name: 'ref', type: { kind: 'uuid' }, nullable: false, sourceType: 'uuid' },
  ],
  key: ['id'],
};

const rows = Array.from({ length: 1024 }, (_, i) => ({
  id: BigInt(1_000_000 + i),
  customer_id: 4000 + (i % 97),
  status: ['new', 'paid', 'shipped', 'cancelled'][i % 4]!,
  total: `${(i * 37) % 100000}.${String(i % 100).padStart(2, '0')}`,
  note: i % 3 === 0 ? null : `gift wrap please, order ${i}`,
  placed_at: 1_700_000_000_000_000n + BigInt(i) * 1_234_567n,
  ship_date: i % 5 === 0 ? null : 19_700 + (i % 365),
  paid: i % 2 === 0,
  weight: i % 7 === 0 ? null : i * 0.125,
  ref: `0e3f8b2c-6a1d-4f7e-9c3b-${(0x100000000000 + i).toString(16).slice(-12)}`,
}));

function measure(name: string, fn: (i: number) => unknown): number {
  // Warm up the JIT, then count whole batches until the time is up.
  for (let i = 0; i < 20_000; i++) fn(i);
  let n = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 1000; i++) fn(n + i);
    n += 1000;
  }
  const perSecond = n / ((performance.now() - t0) / 1000);
  console.log(`${name.padEnd(58)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} records/s`);
  return perSecond;
}

const encoder = new EventEncoder({
  topicPrefix: 'bench', envelope: 'entity', source: { connector: 'postgresql', database: 'bench', version: 'bench' },
  catalog: new SchemaCatalog('fail'), wire: singleObjectWire,
});
await encoder.prepare(table, async () => {});
const events: ChangeEvent[] = rows.map((after, i) => ({ table, op: 'u', after, position: { token: `0/${(0x1000000 + i * 64).toString(16)}`, display: '' }, txId: String(900 + i), commitTimeMicros: after.placed_at, snapshot: false }));

const avro = tableAvroSchemas(table, 'bench.public.orders');
const valueCodec = compileRowCodec(table, avro.value);
const keyCodec = compileRowCodec(table, avro.key!);
const lowered = rows.map((r) => ({ key: keyCodec.lower(r), value: valueCodec.lower(r) }));
const jsonRows = rows.map((r) => ({ ...r, id: r.id.toString(), placed_at: r.placed_at.toString() }));

console.log(`bench/encode — 10-column row, key + value, one core, ${seconds}s each, node ${process.version}`);
const ours = measure('logtap EventEncoder.encode (entity, single-object framed)', (i) => encoder.encode(events[i & 1023]!));
if (process.argv.includes('--only-logtap') && !process.argv.includes('--workers')) process.exit(0);
const floor = measure('baseline: avsc toBuffer of pre-lowered key + value', (i) => {
  const l = lowered[i & 1023]!;
  keyCodec.type.toBuffer(l.key);
  valueCodec.type.toBuffer(l.value);
});
const json = measure('baseline: JSON.stringify key + value', (i) => {
  const r = jsonRows[i & 1023]!;
  JSON.stringify({ id: r.id });
  JSON.stringify(r);
});
console.log(`ratio logtap / avsc floor: ${(ours / floor).toFixed(2)}; logtap / JSON: ${(ours / json).toFixed(2)}; target ≥ 300,000 records/s: ${ours >= 300_000 ? 'met' : 'NOT met'}`);

// Encoding workers (config `workers`): records/s through the pool, and the main thread's busy time per record
// (what it still spends per change: handing it over, unpacking its records), beside the in-thread encode above.
const WORKERS = process.argv.includes('--workers') ? process.argv[process.argv.indexOf('--workers') + 1]!.split(',').map(Number) : [];
for (const workers of WORKERS) {
  const pool = new EncodePool({ workers, encoder, log: silentLogger });
  const snapshotEvents: ChangeEvent[] = events.map((e) => ({ ...e, op: 'r', snapshot: true, txId: undefined, commitTimeMicros: undefined }));
  for (const [label, list] of [['stream', events], ['snapshot', snapshotEvents]] as const) {
    const run = async (n: number) => {
      const pending: PendingRecords[] = [];
      for (let i = 0; i < n; i++) {
        pending.push(pool.submit(list[i & 1023]!, null)!);
        // As the pipeline: a flush every 5,000 changes waits for their records (and another batch fills meanwhile).
        if (pending.length === 5000) {
          pool.dispatch();
          await settle(pending.splice(0));
        }
      }
      pool.dispatch();
      await settle(pending);
    };
    await run(50_000);
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    const n = Math.round(seconds * 100_000);
    await run(n);
    const wall = (performance.now() - t0) / 1000;
    const elu = performance.eventLoopUtilization(elu0);
    console.log(`${`EncodePool, ${workers} worker${workers === 1 ? '' : 's'}, ${label} changes`.padEnd(58)} ${Math.round(n / wall).toLocaleString('en-US').padStart(12)} records/s; main thread busy ${(elu.active * 1000 / n).toFixed(2)} µs per record`);
  }
  await pool.close();
}
const inThreadSnapshot = measure('in-thread EventEncoder.encode, snapshot changes (event id digest)', (i) => encoder.encode({ ...events[i & 1023]!, op: 'r', snapshot: true }));
console.log(`  (in-thread: ${(1e6 / ours).toFixed(2)} µs per stream record, ${(1e6 / inThreadSnapshot).toFixed(2)} µs per snapshot record, all on the main thread)`);

async function settle(pending: PendingRecords[]): Promise<void> {
  let last: PendingRecords['batch'] | undefined;
  for (const p of pending) {
    if (p.batch !== last) {
      last = p.batch;
      await last.done;
    }
    p.records();
  }
}
