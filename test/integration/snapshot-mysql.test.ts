import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable } from '../helpers/topic-table.js';

// The initial snapshot of MariaDB tables under a concurrent write workload (exact final state, also across a
// kill -9 in the middle of the snapshot), and snapshot values equal to streamed values of the same rows for
// the tricky types of docs/types-mysql.md.
const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const base = new URL(bed.mysqlUrl);
const connection = { host: base.hostname, port: Number(base.port), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password), multipleStatements: true };
const urlFor = (database: string) => `${bed.mysqlUrl.replace(/\/[^/]*$/, '')}/${database}`;
let sql: mysql.Connection;

beforeAll(async () => { sql = await mysql.createConnection(connection); });
afterAll(() => sql.end());

const ROWS = 20_000;

async function createFilledTable(db: string): Promise<void> {
  await sql.query(`CREATE DATABASE ${db}`);
  await sql.query(`CREATE TABLE ${db}.items (id INT PRIMARY KEY, qty INT NOT NULL, note MEDIUMTEXT, amount DECIMAL(12,2) NOT NULL)`);
  await sql.query(`INSERT INTO ${db}.items SELECT seq, seq % 1000, IF(seq % 5000 = 0, REPEAT('w', 100000), CONCAT('row ', seq)), seq * 1.25 FROM ${db}.seq_1_to_${ROWS}`);
}

function startWorkload(db: string): { stop(): Promise<number> } {
  let running = true;
  let count = 0;
  const done = (async () => {
    const client = await mysql.createConnection(connection);
    let next = ROWS + 1;
    while (running) {
      const id = 1 + Math.floor(Math.random() * ROWS);
      await client.query('START TRANSACTION');
      await client.query(`UPDATE ${db}.items SET qty = qty + 1, note = CONCAT(note, '+') WHERE id = ?`, [id]);
      await client.query(`INSERT INTO ${db}.items VALUES (?, 1, 'new', 9.99)`, [next++]);
      await client.query(`DELETE FROM ${db}.items WHERE id = ?`, [1 + Math.floor(Math.random() * ROWS)]);
      await client.query('COMMIT');
      count++;
    }
    await client.end();
    return count;
  })();
  return { async stop() { running = false; return done; } };
}

async function expectTopicEqualsTable(prefix: string, db: string): Promise<number> {
  const read = await readTopicAsTable(kafka, prefix, `${prefix}.${db}.items`, (k) => String(k.id));
  const [rows] = await sql.query(`SELECT id, qty, note, CAST(amount AS CHAR) AS amount FROM ${db}.items ORDER BY id`) as unknown as [Array<Record<string, unknown>>];
  const topic = [...read.table.values()].map((r) => ({ id: r.id, qty: r.qty, note: r.note, amount: r.amount })).sort((a, b) => Number(a.id) - Number(b.id));
  expect(topic.length).toBe(rows.length);
  expect(topic).toEqual(rows);
  return read.positions.filter((p) => p.startsWith('mysnap1:')).length;
}

/** Waits until a checkpoint covers every transaction committed so far. */
async function waitCaughtUp(prefix: string, name: string): Promise<void> {
  const [[{ pos }]] = await sql.query('SELECT @@gtid_binlog_pos AS pos') as unknown as [[{ pos: string }]];
  const seq = Number(pos.split('-').at(-1));
  const checkpoints = new CheckpointStore(kafka, prefix, name);
  await waitFor('the stream to catch up', async () => {
    const token = (await checkpoints.load())?.position.token ?? '';
    const at = Number(/^my1:gtid=\d+-\d+-(\d+)/.exec(token)?.[1] ?? -1);
    return at >= seq && !token.includes(';in=') ? true : undefined;
  }, 240_000, 300);
}

const logLines = (daemon: Daemon, msg: string): Array<Record<string, unknown>> =>
  daemon.log().split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('initial snapshot of MariaDB', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  it('publishes the whole table at a consistent binlog point and streams on from it (concurrent writes): the topic equals the table', async () => {
    const name = uniqueName('msnap');
    const prefix = uniqueName('ms');
    const db = uniqueName('snapdb');
    await createFilledTable(db);
    cleanup.push(() => sql.query(`DROP DATABASE ${db}`));
    const workload = startWorkload(db);
    cleanup.push(() => workload.stop());
    const daemon = startDaemon(writeConfig({
      name, source: { url: urlFor(db) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
      heartbeatIntervalMs: 300, snapshot: { chunkRows: 1500 },
    }));
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; });
    await waitFor('the snapshot to finish', () => {
      if (daemon.child.exitCode !== null) throw new Error(`the daemon exited: ${daemon.log().slice(-2000)}`);
      return logLines(daemon, 'snapshot finished').length > 0 ? true : undefined;
    }, 240_000, 200);
    const writes = await workload.stop();
    expect(writes).toBeGreaterThan(0);
    await waitCaughtUp(prefix, name);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);

    const [started] = logLines(daemon, 'snapshot started');
    expect(started!.consistency).toMatch(/^consistent snapshot at .+:\d+ \(gtid [\d-]+\)$/);
    expect(started!.parallelism).toBe(1);
    const snapshotRecords = await expectTopicEqualsTable(prefix, db);
    expect(snapshotRecords).toBe(logLines(daemon, 'snapshot finished')[0]!.rows);
    expect(snapshotRecords).toBeGreaterThanOrEqual(ROWS - writes);
  }, 600_000);

  it('resumes from the last checkpointed chunk after kill -9 in the middle of the snapshot, and the topic equals the table', async () => {
    const name = uniqueName('msnapkill');
    const prefix = uniqueName('mk');
    const db = uniqueName('snapkill');
    await createFilledTable(db);
    cleanup.push(() => sql.query(`DROP DATABASE ${db}`));
    const workload = startWorkload(db);
    cleanup.push(() => workload.stop());
    const config = writeConfig({
      name, source: { url: urlFor(db) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
      heartbeatIntervalMs: 300, batch: { maxRecords: 200, maxBytes: 1 << 20, maxDelayMs: 20 }, snapshot: { chunkRows: 200 },
    });
    const first = startDaemon(config);
    cleanup.push(async () => { first.child.kill('SIGKILL'); await first.exited; });
    const checkpoints = new CheckpointStore(kafka, prefix, name);
    const keyOf = (token: string) => Number(/\["(\d+)"\]\]$/.exec(token)?.[1] ?? 0);
    const reached = await waitFor('a checkpoint inside the snapshot', async () => {
      if (first.child.exitCode !== null) throw new Error(`the daemon exited: ${first.log().slice(-2000)}`);
      const token = (await checkpoints.load().catch(() => null))?.position.token;
      return token && token.startsWith('mysnap1:') && keyOf(token) >= 3000 ? token : undefined;
    }, 240_000, 50);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(logLines(first, 'snapshot finished')).toEqual([]);

    const second = startDaemon(config);
    cleanup.push(async () => { second.child.kill('SIGKILL'); await second.exited; });
    await waitFor('the resumed snapshot to finish', () => {
      if (second.child.exitCode !== null) throw new Error(`the daemon exited: ${second.log().slice(-2000)}`);
      return logLines(second, 'snapshot finished').length > 0 ? true : undefined;
    }, 240_000, 200);
    const writes = await workload.stop();
    await waitCaughtUp(prefix, name);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    const [started] = logLines(second, 'snapshot started');
    const resumedAt = Number(/up to key \((\d+)\)/.exec(String(started!.start))?.[1]);
    expect(resumedAt).toBeGreaterThanOrEqual(keyOf(reached));
    expect(logLines(second, 'snapshot finished')[0]!.rows).toBeLessThan(ROWS + writes - resumedAt + 1);
    expect(started!.consistency).toMatch(/after the stream start point/);
    await expectTopicEqualsTable(prefix, db);
  }, 600_000);

  it('lets a TRUNCATE and ALTER TABLE of a captured table through during the snapshot, and the topics still equal the tables', async () => {
    const name = uniqueName('msnapddl');
    const prefix = uniqueName('md');
    const db = uniqueName('snapddl');
    await createFilledTable(db);
    cleanup.push(() => sql.query(`DROP DATABASE ${db}`));
    await sql.query(`CREATE TABLE ${db}.later (id INT PRIMARY KEY, note VARCHAR(20)); INSERT INTO ${db}.later VALUES (1, 'one'), (2, 'two')`);
    const daemon = startDaemon(writeConfig({
      name, source: { url: urlFor(db) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
      heartbeatIntervalMs: 300, batch: { maxRecords: 200, maxBytes: 1 << 20, maxDelayMs: 20 }, snapshot: { chunkRows: 200 },
    }));
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; });
    // While `items` is read (tables go in name order), DDL hits `later`: it waits for the snapshot's transaction.
    await waitFor('the snapshot to be under way', () => (logLines(daemon, 'snapshot chunk').length > 3 ? true : undefined), 120_000, 20);
    await sql.query(`TRUNCATE TABLE ${db}.later`);
    await sql.query(`ALTER TABLE ${db}.later ADD COLUMN extra INT NULL`);
    await sql.query(`INSERT INTO ${db}.later VALUES (3, 'three', 3)`);
    await waitFor('the snapshot to finish', () => {
      if (daemon.child.exitCode !== null) throw new Error(`the daemon exited: ${daemon.log().slice(-2000)}`);
      return logLines(daemon, 'snapshot finished').length > 0 ? true : undefined;
    }, 240_000, 200);
    await waitCaughtUp(prefix, name);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);

    // Reading `later` in the first snapshot failed (its definition changed, or its lock timed out): resumed in a new one.
    const restarts = logLines(daemon, 'streaming stopped; restarting from the last checkpoint').map((l) => String(l.err));
    expect(restarts.length).toBeGreaterThan(0);
    expect(restarts.every((e) => /changed its definition during the snapshot|Lock wait timeout/.test(e)), restarts.join('\n')).toBe(true);
    expect(logLines(daemon, 'snapshot started').length).toBe(restarts.length + 1);
    await expectTopicEqualsTable(prefix, db);
    const later = await readTopicAsTable(kafka, prefix, `${prefix}.${db}.later`, (k) => String(k.id));
    expect([...later.table.values()].map((r) => ({ id: r.id, note: r.note, extra: r.extra ?? null }))).toEqual([{ id: 3, note: 'three', extra: 3 }]);
  }, 600_000);

  it('gives snapshot values equal to the streamed values of the same rows, for the tricky types', async () => {
    const name = uniqueName('mtypes');
    const prefix = uniqueName('mt');
    const db = uniqueName('snaptypes');
    await sql.query(`CREATE DATABASE ${db}`);
    cleanup.push(() => sql.query(`DROP DATABASE ${db}`));
    await sql.query(`CREATE TABLE ${db}.t (id INT PRIMARY KEY, f FLOAT, d DOUBLE, dc DECIMAL(65,30), bu BIGINT UNSIGNED, bi BIGINT, iu INT UNSIGNED,
      dt DATETIME(6), ts TIMESTAMP(6) NULL, tm TIME(6), tm0 TIME, y YEAR, dd DATE, l VARCHAR(10) CHARACTER SET latin1, e ENUM('a', 'b,c', 'it''s'), s SET('x', 'y', ''),
      b BIT(10), bin BINARY(5), vb VARBINARY(20), u UUID, i6 INET6, i4 INET4, j JSON, g GEOMETRY, txt TEXT CHARACTER SET utf8mb4, ch CHAR(5))`);
    const values = [
      `(1, 3.1415927, 0.1e0 + 0.2e0, 12.5, 18446744073709551615, -9223372036854775808, 4294967295, '1000-01-01 00:00:00', '2038-01-19 03:14:07.999999', '-838:59:59', '-01:00:00', 2155, '9999-12-31',
        x'80e9', 'b,c', 'y,', b'1000000001', x'0102', x'00ff00', '123e4567-e89b-12d3-a456-426614174000', '2001:db8::1', '10.0.0.1', '{"a": 1.50e10, "b": [1, 2]}',
        ST_GeomFromText('LINESTRING(0 0, 1 1)', 4326), '😀 ünï', 'ab')`,
      `(2, -0.1, 1.7e308, -0.000000000000000000000000000001, 0, 9223372036854775807, 0, '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01', '838:59:59.999999', '-00:00:01', 0, '1000-01-01',
        'plain', 'it''s', '', b'0', x'', x'', '00000000-0000-0000-0000-000000000000', '::', '0.0.0.0', '"text"', ST_GeomFromText('POINT(1 2)'), '', '')`,
      '(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)',
    ];
    await sql.query(`INSERT INTO ${db}.t VALUES ${values.join(', ')}`);
    const daemon = startDaemon(writeConfig({ name, source: { url: urlFor(db) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 300 }));
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; });
    await waitFor('the snapshot to finish', () => {
      if (daemon.child.exitCode !== null) throw new Error(`the daemon exited: ${daemon.log().slice(-2000)}`);
      return logLines(daemon, 'snapshot finished').length > 0 ? true : undefined;
    }, 120_000, 200);
    // The same values again, through the binlog.
    await sql.query(`INSERT INTO ${db}.t SELECT id + 1000, f, d, dc, bu, bi, iu, dt, ts, tm, tm0, y, dd, l, e, s, b, bin, vb, u, i6, i4, j, g, txt, ch FROM ${db}.t`);
    await waitCaughtUp(prefix, name);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);

    const read = await readTopicAsTable(kafka, prefix, `${prefix}.${db}.t`, (k) => String(k.id));
    expect(read.table.size).toBe(6);
    for (const id of [1, 2, 3]) {
      const { id: _a, ...snapshotted } = read.table.get(String(id))!;
      const { id: _b, ...streamed } = read.table.get(String(id + 1000))!;
      expect(snapshotted).toEqual(streamed);
    }
    // And a few exact values, so that equal-but-wrong cannot pass.
    const first = read.table.get('1')!;
    expect(first.f).toBe(Math.fround(3.1415927));
    expect(first.d).toBe(0.30000000000000004);
    expect(first.l).toBe('€é');
    expect(first.tm).toBe(-3020399000000n);
    expect(first.tm0).toBe(-3600000000n);
    expect(first.s).toEqual(['y', '']);
    expect(first.bu).toBe('18446744073709551615');
  }, 300_000);
});
