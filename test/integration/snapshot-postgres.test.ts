import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import type { Row } from '../../src/model/change-event.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { connectorObjectPattern, dropConnectorObjects } from '../helpers/pg-connector-objects.js';

// The initial snapshot of PostgreSQL tables under a concurrent write workload: afterwards the topic's last
// value per key equals the table exactly — with one reader, with parallel readers, and across a kill -9
// in the middle of the snapshot (which resumes from its last checkpointed chunk).
const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const sql = new pg.Client({ connectionString: bed.pgUrl });

beforeAll(() => sql.connect());
afterAll(() => sql.end());

const ROWS = 20_000;

async function createFilledTable(table: string): Promise<void> {
  await sql.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, qty integer NOT NULL, note text, amount numeric(12,2) NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT '2024-02-29 12:34:56.789012+00', payload bytea)`);
  // A few wide rows (100 kB values) among many small ones.
  await sql.query(`INSERT INTO ${table} SELECT g, g % 1000, CASE WHEN g % 5000 = 0 THEN repeat('w', 100000) ELSE 'row ' || g END,
    (g * 1.25)::numeric(12,2), '2024-02-29 12:34:56.789012+00'::timestamptz + g * interval '1 microsecond', decode(md5(g::text), 'hex')
    FROM generate_series(1, ${ROWS}) g`);
}

/** Small transactions of updates, inserts and deletes until stopped; returns how many ran. */
function startWorkload(table: string): { stop(): Promise<number> } {
  const client = new pg.Client({ connectionString: bed.pgUrl });
  let running = true;
  let count = 0;
  const done = (async () => {
    await client.connect();
    let next = ROWS + 1;
    while (running) {
      const id = 1 + Math.floor(Math.random() * ROWS);
      await client.query('BEGIN');
      await client.query(`UPDATE ${table} SET qty = qty + 1, note = note || '+', updated_at = now() WHERE id = $1`, [id]);
      await client.query(`INSERT INTO ${table} (id, qty, note, amount, payload) VALUES ($1, 1, 'new', 9.99, '\\x00ff')`, [next++]);
      await client.query(`DELETE FROM ${table} WHERE id = $1`, [1 + Math.floor(Math.random() * ROWS)]);
      await client.query('COMMIT');
      count++;
    }
    await client.end();
    return count;
  })();
  return {
    async stop() {
      running = false;
      return done;
    },
  };
}

const asTopicRow = (r: Row) => ({
  id: String(r.id), qty: r.qty, note: r.note, amount: r.amount, updated: String(r.updated_at),
  payload: r.payload === null ? null : Buffer.from(r.payload as Uint8Array).toString('hex'),
});

async function expectTopicEqualsTable(prefix: string, table: string): Promise<number> {
  const read = await readTopicAsTable(kafka, prefix, `${prefix}.public.${table}`, (k) => String(k.id));
  const { rows } = await sql.query(`SELECT id::text AS id, qty, note, amount::text AS amount,
    (extract(epoch from updated_at) * 1000000)::bigint::text AS updated, encode(payload, 'hex') AS payload FROM ${table} ORDER BY ${table}.id`);
  const topic = [...read.table.values()].map(asTopicRow).sort((a, b) => Number(a.id) - Number(b.id));
  expect(topic.length).toBe(rows.length);
  expect(topic).toEqual(rows);
  return read.positions.filter((p) => p.startsWith('pgsnap1:')).length;
}

/** Waits until the slot confirmed everything written so far (the stream caught up and checkpointed). */
async function waitCaughtUp(name: string): Promise<void> {
  // The insert position: with asynchronous commit the written position may still lag behind the last commit.
  const { rows: [end] } = await sql.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
  await waitFor('the stream to catch up', async () => ((await sql.query('SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND confirmed_flush_lsn >= $2::pg_lsn', [connectorObjectPattern(name), end!.lsn])).rowCount ? true : undefined), 240_000, 200);
}

const logLines = (daemon: Daemon, msg: string): Array<Record<string, unknown>> =>
  daemon.log().split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('initial snapshot of PostgreSQL', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  for (const parallelism of [1, 4]) {
    it(`publishes the whole table and then streams from the slot's consistent point (${parallelism} reader(s), concurrent writes): the topic equals the table`, async () => {
      const name = uniqueName('snap');
      const prefix = uniqueName('sp');
      const table = uniqueName('snap_items');
      await createFilledTable(table);
      cleanup.push(() => sql.query(`DROP TABLE ${table}`));
      const workload = startWorkload(table);
      cleanup.push(() => workload.stop());
      const daemon = startDaemon(writeConfig({
        name, source: { url: bed.pgUrl, tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
        heartbeatIntervalMs: 300, snapshot: { parallelism, chunkRows: 1500 },
      }));
      cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; await dropConnectorObjects(sql, name); });
      await waitFor('the snapshot to finish', () => (logLines(daemon, 'snapshot finished').length > 0 ? true : undefined), 240_000, 200);
      const writes = await workload.stop();
      expect(writes).toBeGreaterThan(0);
      await waitCaughtUp(name);
      daemon.child.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);

      const [started] = logLines(daemon, 'snapshot started');
      expect(started!.consistency).toMatch(/exported snapshot at its consistent point/);
      expect(started!.parallelism).toBe(parallelism);
      const snapshotRecords = await expectTopicEqualsTable(prefix, table);
      // Every row of the table at the consistent point, once (the daemon ran without a crash).
      expect(snapshotRecords).toBe(logLines(daemon, 'snapshot finished')[0]!.rows);
      expect(snapshotRecords).toBeGreaterThanOrEqual(ROWS - writes);
      expect((await new CheckpointStore(kafka, prefix, name).load())?.position.token).toMatch(/^pg1:/);
    }, 600_000);
  }

  it('checkpoints a finished snapshot (of an empty table) at the stream start point before it streams, also when nothing follows', async () => {
    const name = uniqueName('snapend');
    const prefix = uniqueName('se');
    const table = uniqueName('snap_end');
    await sql.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, note text)`);
    cleanup.push(() => sql.query(`DROP TABLE ${table}`));
    const daemon = startDaemon(writeConfig({
      name, source: { url: bed.pgUrl, tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 300,
    }));
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; await dropConnectorObjects(sql, name); });
    await waitStreaming(daemon);
    // No change and no keepalive needed: a restart from here streams, it does not snapshot again.
    const [finished] = logLines(daemon, 'snapshot finished');
    expect(finished!.rows).toBe(0);
    const streamFrom = String(finished!.streamFrom).replace(/^lsn /, '');
    expect((await new CheckpointStore(kafka, prefix, name).load())?.position.token).toBe(`pg1:${streamFrom}`);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  }, 120_000);

  it('snapshot.mode: never only streams; always snapshots again at the next start and the topic still equals the table', async () => {
    const name = uniqueName('snapmode');
    const prefix = uniqueName('sm');
    const table = uniqueName('snap_mode');
    await sql.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, qty integer NOT NULL, note text, amount numeric(12,2) NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), payload bytea)`);
    await sql.query(`INSERT INTO ${table} (id, qty, note, amount) SELECT g, g, 'before', 1 FROM generate_series(1, 100) g`);
    cleanup.push(() => sql.query(`DROP TABLE ${table}`));
    const config = (mode: string) => writeConfig({
      name, source: { url: bed.pgUrl, tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 300, snapshot: { mode, chunkRows: 30 },
    });
    const never = startDaemon(config('never'));
    cleanup.push(async () => { never.child.kill('SIGKILL'); await never.exited; });
    await waitFor('the slot', async () => ((await sql.query('SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND active', [connectorObjectPattern(name)])).rowCount ? true : undefined), 60_000, 100);
    await sql.query(`INSERT INTO ${table} (id, qty, note, amount) VALUES (1000, 1, 'streamed', 2)`);
    await waitCaughtUp(name);
    never.child.kill('SIGTERM');
    expect((await never.exited).code).toBe(0);
    expect(logLines(never, 'snapshot started')).toEqual([]);
    const streamedOnly = await readTopicAsTable(kafka, prefix, `${prefix}.public.${table}`, (k) => String(k.id));
    expect([...streamedOnly.table.keys()]).toEqual(['1000']);

    // Changed while no daemon runs: the stream from the checkpoint carries these, the snapshot reads the result.
    await sql.query(`UPDATE ${table} SET note = 'after' WHERE id <= 50; DELETE FROM ${table} WHERE id > 90 AND id < 1000`);
    const always = startDaemon(config('always'));
    cleanup.push(async () => { always.child.kill('SIGKILL'); await always.exited; await dropConnectorObjects(sql, name); });
    await waitFor('the snapshot to finish', () => (logLines(always, 'snapshot finished').length > 0 ? true : undefined), 120_000, 200);
    await waitCaughtUp(name);
    always.child.kill('SIGTERM');
    expect((await always.exited).code).toBe(0);
    expect(logLines(always, 'snapshot started')[0]!.consistency).toMatch(/after the stream start point/);
    expect(logLines(always, 'snapshot finished')[0]!.rows).toBe(91);
    await expectTopicEqualsTable(prefix, table);
  }, 600_000);

  it('gives snapshot values equal to the streamed values of the same rows, for tricky types, in chunks of a composite text key', async () => {
    const name = uniqueName('snaptypes');
    const prefix = uniqueName('st');
    const table = uniqueName('snap_types');
    const mood = `${table}_mood`;
    await sql.query(`CREATE TYPE ${mood} AS ENUM ('sad', 'ok', 'happy')`);
    await sql.query(`CREATE TABLE ${table} (tenant text, id int, n numeric, n2 numeric(30,10), f4 real, f8 double precision, ts timestamp(6), tstz timestamptz,
      iv interval, d date, t time, b bytea, arr int[], tarr text[], js jsonb, j json, m money, u uuid, e ${mood}, bits bit varying(10), big bigint, PRIMARY KEY (tenant, id))`);
    cleanup.push(() => sql.query(`DROP TABLE ${table}; DROP TYPE ${mood}`));
    await sql.query(`INSERT INTO ${table} VALUES
      ('a', 1, 'NaN', 12345678901234567890.0123456789, 3.1415927, 0.1::float8 + 0.2::float8, '2024-02-29 23:59:59.999999', 'infinity', '1 year -2 days 03:04:05.678901', '-infinity', '24:00:00',
        '\\x00ff', '{1,NULL,3}', '{"a b","it''s","\\"q\\"",NULL}', '{"b": 1, "a": [1.50, "x"]}', '{"b":1,   "a":2}', '-1234.56', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'happy', B'101', -9223372036854775808),
      ('B', 2, '-0.000000001', NULL, '-Infinity', 1e308, '0001-01-01 00:00:00 BC', '1970-01-01 00:00:00.000001+05:30', 'P0D', '2000-02-29', '00:00:00.000001',
        '\\x', '{}', '{}', '[]', 'null', '0', '00000000-0000-0000-0000-000000000000', 'sad', B'', 9223372036854775807),
      ('é', 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      ('a b', 4, 1, 1, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, '{5,6}', NULL, '"s"', '"s"', NULL, NULL, 'ok', NULL, 0),
      ('o''q', 5, 2, 2, 2, 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1),
      ('a', 6, 3, 3, 3, 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 2)`);
    const daemon = startDaemon(writeConfig({
      name, source: { url: bed.pgUrl, tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 300, snapshot: { parallelism: 2, chunkRows: 2 },
    }));
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; await dropConnectorObjects(sql, name); });
    await waitFor('the snapshot to finish', () => {
      if (daemon.child.exitCode !== null) throw new Error(`the daemon exited: ${daemon.log().slice(-2000)}`);
      return logLines(daemon, 'snapshot finished').length > 0 ? true : undefined;
    }, 120_000, 200);
    // The same values again, through the WAL.
    await sql.query(`INSERT INTO ${table} SELECT tenant, id + 1000, n, n2, f4, f8, ts, tstz, iv, d, t, b, arr, tarr, js, j, m, u, e, bits, big FROM ${table}`);
    await waitCaughtUp(name);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);

    expect(logLines(daemon, 'snapshot of table finished')[0]!.chunks).toBe(4);
    const read = await readTopicAsTable(kafka, prefix, `${prefix}.public.${table}`, (k) => `${k.tenant}/${k.id}`);
    expect(read.table.size).toBe(12);
    const { rows } = await sql.query<{ tenant: string; id: number }>(`SELECT tenant, id FROM ${table} WHERE id < 1000`);
    for (const { tenant, id } of rows) {
      const { id: _a, ...snapshotted } = read.table.get(`${tenant}/${id}`)!;
      const { id: _b, ...streamed } = read.table.get(`${tenant}/${id + 1000}`)!;
      expect(snapshotted, `${tenant}/${id}`).toEqual(streamed);
    }
    const first = read.table.get('a/1')!;
    expect(first.n).toBe('NaN');
    expect(first.n2).toBe('12345678901234567890.0123456789');
    expect(first.f4).toBe(Math.fround(3.1415927));
    expect(first.f8).toBe(0.30000000000000004);
    expect(first.tarr).toEqual(['a b', "it's", '"q"', null]);
  }, 300_000);

  it('resumes from the last checkpointed chunk after kill -9 in the middle of the snapshot, and the topic equals the table', async () => {
    const name = uniqueName('snapkill');
    const prefix = uniqueName('sk');
    const table = uniqueName('snap_kill');
    await createFilledTable(table);
    cleanup.push(() => sql.query(`DROP TABLE ${table}`));
    const workload = startWorkload(table);
    cleanup.push(() => workload.stop());
    const config = writeConfig({
      name, source: { url: bed.pgUrl, tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
      heartbeatIntervalMs: 300, batch: { maxRecords: 200, maxBytes: 1 << 20, maxDelayMs: 20 }, snapshot: { parallelism: 2, chunkRows: 200 },
    });
    const first = startDaemon(config);
    cleanup.push(async () => { first.child.kill('SIGKILL'); await first.exited; });
    const checkpoints = new CheckpointStore(kafka, prefix, name);
    // Killed once a checkpoint inside the snapshot names a published chunk (and well before its end).
    const reached = await waitFor('a checkpoint inside the snapshot', async () => {
      if (first.child.exitCode !== null) throw new Error(`the daemon exited: ${first.log().slice(-2000)}`);
      const token = (await checkpoints.load().catch(() => null))?.position.token;
      return token && /^pgsnap1:.*\|\[/.test(token) && Number(/\[\"(\d+)\"\]\]$/.exec(token)?.[1] ?? 0) >= 3000 ? token : undefined;
    }, 240_000, 50);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(logLines(first, 'snapshot finished')).toEqual([]);

    const second = startDaemon(config);
    cleanup.push(async () => { second.child.kill('SIGKILL'); await second.exited; await dropConnectorObjects(sql, name); });
    await waitFor('the resumed snapshot to finish', () => {
      if (second.child.exitCode !== null) throw new Error(`the daemon exited: ${second.log().slice(-2000)}`);
      return logLines(second, 'snapshot finished').length > 0 ? true : undefined;
    }, 240_000, 200);
    const writes = await workload.stop();
    await waitCaughtUp(name);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    // The second run started at a checkpointed chunk at or after the one seen before the kill, not from scratch.
    const [started] = logLines(second, 'snapshot started');
    const resumedAt = Number(/up to key \((\d+)\)/.exec(String(started!.start))?.[1]);
    expect(resumedAt).toBeGreaterThanOrEqual(Number(/\[\"(\d+)\"\]\]$/.exec(reached)![1]));
    const [finished] = logLines(second, 'snapshot finished');
    expect(finished!.rows).toBeLessThan(ROWS + writes - resumedAt + 1);
    expect(started!.consistency).toMatch(/after the stream start point/);
    await expectTopicEqualsTable(prefix, table);
  }, 600_000);
});
