import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { SchemaTopic } from '../../src/kafka/schema-topic.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, runFailing as runLogtapFailing, startDaemon, userLines as oneLine, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { startTemporaryPostgres } from '../helpers/temp-postgres.js';
import { connectorObjectPattern, dropConnectorObjects } from '../helpers/pg-connector-objects.js';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';
import { defaultWorkers } from '../../src/encoding/encode-pool.js';

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const sql = new pg.Client({ connectionString: bed.pgUrl });
const slotName = connectorObjectPattern;

beforeAll(() => sql.connect());
afterAll(() => sql.end());

const runFailing = (config: Record<string, unknown>) => runLogtapFailing({ kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('bad'), ...config });

describe('logtap run with PostgreSQL', () => {
  // After each test, not at the end of the file: a daemon left running would decode the next tests' WAL
  // too, and every connector on a database publishes every logtap.outbox message (not limited by its publication).
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  // The default (docs/configuration.md#workers: on this 2-core machine, the daemon's own thread), and once more through a worker thread.
  it.each([{ workers: undefined, threads: defaultWorkers() }, { workers: 1, threads: 1 }])('turns inserts, updates, deletes, a key change, a truncate and ADD/DROP COLUMN into a topic that is the table; SIGTERM exits 0 after checkpointing (workers: $workers)', async ({ workers, threads }) => {
    const name = uniqueName('run');
    const prefix = uniqueName('rp');
    const table = uniqueName('orders');
    await sql.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, note text, total numeric(12,2) NOT NULL)`);
    cleanup.push(() => sql.query(`DROP TABLE ${table}`));
    const daemon: Daemon = startDaemon(writeConfig({ name, source: { url: bed.pgUrl, tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, ...(workers === undefined ? {} : { workers }) }));
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; await dropConnectorObjects(sql, name); });
    await waitStreaming(daemon);
    expect(daemon.log()).toContain(`"encodingWorkers":${threads}`);
    await waitFor('the slot', async () => ((await sql.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND active`, [slotName(name)])).rowCount ? true : undefined));

    await sql.query(`INSERT INTO ${table} VALUES (1, 'one', 1.10), (2, 'two', 2.20), (3, 'three', 3.30)`);
    await sql.query(`TRUNCATE ${table}`);
    await sql.query(`INSERT INTO ${table} VALUES (4, 'four', 4.40), (5, 'five', 5.50), (6, 'six', 6.60)`);
    await sql.query(`UPDATE ${table} SET note = 'FOUR', total = total * 2 WHERE id = 4`);
    await sql.query(`DELETE FROM ${table} WHERE id = 5`);
    await sql.query(`UPDATE ${table} SET id = 60 WHERE id = 6`);
    await sql.query(`ALTER TABLE ${table} ADD COLUMN coupon text`);
    await sql.query(`INSERT INTO ${table} VALUES (7, 'seven', 7.70, 'SAVE10')`);
    await sql.query(`ALTER TABLE ${table} DROP COLUMN note`);
    await sql.query(`INSERT INTO ${table} VALUES (8, 8.80, NULL)`);
    const { rows: [end] } = await sql.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    await waitFor('the changes to be released', async () => ((await sql.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND confirmed_flush_lsn >= $2::pg_lsn`, [slotName(name), end!.lsn])).rowCount ? true : undefined), 30_000);

    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    expect(daemon.log()).toMatch(/"msg":"stopped"/);

    const read = await readTopicAsTable(kafka, prefix, `${prefix}.public.${table}`, (k) => String(k.id));
    const { rows } = await sql.query(`SELECT id::text, total::text, coupon FROM ${table} ORDER BY ${table}.id`);
    expect([...read.table.values()].map((r) => ({ id: String(r.id), total: r.total, coupon: r.coupon ?? null })).sort((a, b) => Number(a.id) - Number(b.id))).toEqual(rows);
    // Each shape of the table got its own schema version before the first row that used it.
    const versions = ((await new SchemaTopic(kafka, prefix).readAll()) ?? []).filter((e) => e.subject.endsWith('-value')).map((e) => e.version).sort();
    expect(versions).toEqual([1, 2, 3]);
    expect((await new CheckpointStore(kafka, prefix, name).load())?.position.token).toMatch(/^pg1:/);
  });

  it('keeps the slot\'s retained WAL bounded while only an unpublished table is written', async () => {
    const name = uniqueName('idle');
    const published = uniqueName('quiet');
    const busy = uniqueName('busy');
    await sql.query(`CREATE TABLE ${published} (id int PRIMARY KEY); CREATE TABLE ${busy} (id serial PRIMARY KEY, filler text)`);
    cleanup.push(() => sql.query(`DROP TABLE ${published}, ${busy}`));
    const daemon = startDaemon(writeConfig({ name, source: { url: bed.pgUrl, tables: [`public.${published}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('ip'), heartbeatIntervalMs: 300 }));
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; await dropConnectorObjects(sql, name); });
    await waitStreaming(daemon);
    await waitFor('the slot', async () => ((await sql.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND active`, [slotName(name)])).rowCount ? true : undefined));

    // About 30 MB of WAL in a table the connector does not publish.
    for (let i = 0; i < 30; i++) await sql.query(`INSERT INTO ${busy} (filler) SELECT repeat('x', 1000) FROM generate_series(1, 1000)`);
    const retained = async () => Number((await sql.query(`SELECT pg_current_wal_lsn() - confirmed_flush_lsn AS bytes FROM pg_replication_slots WHERE slot_name LIKE $1`, [slotName(name)])).rows[0].bytes);
    await waitFor('the retained WAL to shrink under 1 MB', async () => ((await retained()) < 1 << 20 ? true : undefined), 30_000, 200);
  });

  it('publishes outbox messages written with pg_logical_emit_message to the topic they name, with their transaction', async () => {
    const name = uniqueName('outbox');
    const table = uniqueName('payments');
    const outboxTopic = uniqueName('payment-events');
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY, amount numeric(10,2) NOT NULL)`);
    cleanup.push(() => sql.query(`DROP TABLE ${table}`));
    const daemon = startDaemon(writeConfig({ name, source: { url: bed.pgUrl, tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('op'), heartbeatIntervalMs: 300, outbox: { enabled: true } }));
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; await dropConnectorObjects(sql, name); });
    await waitStreaming(daemon);
    await waitFor('the slot', async () => ((await sql.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND active`, [slotName(name)])).rowCount ? true : undefined));
    const message = (id: number) => JSON.stringify({ topic: outboxTopic, key: `payment-${id}`, value: { id, amount: '12.50', tags: ['a', 'é'] } });
    await sql.query(`BEGIN; INSERT INTO ${table} VALUES (1, 12.50); SELECT pg_logical_emit_message(true, 'logtap.outbox', $1::text); COMMIT`.replace('$1::text', `'${message(1)}'`));
    await sql.query(`SELECT pg_logical_emit_message(false, 'logtap.outbox', '${message(2)}')`);
    // A message with another prefix is not logtap's.
    await sql.query(`SELECT pg_logical_emit_message(true, 'someone.else', 'ignored')`);
    const seen: Array<{ key: string; value: unknown; kind: string }> = [];
    const positions: string[] = [];
    await waitFor('both outbox messages', async () => {
      seen.length = 0;
      positions.length = 0;
      const exists = await readTopicToEnd(kafka, outboxTopic, ({ message: m }) => {
        seen.push({ key: m.key!.toString(), value: JSON.parse(m.value!.toString()), kind: String(m.headers!['logtap.kind']) });
        positions.push(String(m.headers!['logtap.position']));
      });
      return exists && seen.length === 2 ? true : undefined;
    }, 30_000, 500).catch((err) => { writeFileSync('/tmp/outbox-daemon.log', daemon.log()); throw err; });
    expect(seen).toEqual([
      { key: 'payment-1', value: { id: 1, amount: '12.50', tags: ['a', 'é'] }, kind: 'outbox' },
      { key: 'payment-2', value: { id: 2, amount: '12.50', tags: ['a', 'é'] }, kind: 'outbox' },
    ]);
    // The transactional message is its transaction's second change (after the row); the other one stands alone.
    expect(positions[0]).toMatch(/^pg1:[0-9A-F]+\/[0-9A-F]+#2$/i);
    expect(positions[1]).toMatch(/^pg1:[0-9A-F]+\/[0-9A-F]+$/i);
  });

  describe('refuses bad input with one clear line and a non-zero exit code', () => {
    const tableName = uniqueName('t');
    beforeAll(() => sql.query(`CREATE TABLE ${tableName} (id int PRIMARY KEY)`));
    afterAll(() => sql.query(`DROP TABLE ${tableName}`));
    const url = new URL(bed.pgUrl);
    
    it('an unreachable server', async () => {
      const r = await runFailing({ name: uniqueName('b'), source: { url: `postgres://postgres:secret-pw@127.0.0.1:1/postgres`, tables: [`public.${tableName}`] } });
      expect(r.code).not.toBe(0);
      expect(oneLine(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(/127\.0\.0\.1:1/);
      expect(r.stderr).not.toContain('secret-pw');
    });

    it('a wrong password', async () => {
      const bad = new URL(bed.pgUrl);
      bad.password = 'wrong-pw';
      const r = await runFailing({ name: uniqueName('b'), source: { url: bad.toString(), tables: [`public.${tableName}`] } });
      expect(r.code).not.toBe(0);
      expect(oneLine(r.stderr)[0]).toMatch(/password/i);
      expect(r.stderr).not.toContain('wrong-pw');
    });

    it('a missing table', async () => {
      const r = await runFailing({ name: uniqueName('b'), source: { url: bed.pgUrl, tables: ['public.no_such_table_here'] } });
      expect(r.code).not.toBe(0);
      expect(oneLine(r.stderr)[0]).toMatch(/no_such_table_here/);
    });

    it('a role without the REPLICATION privilege', async () => {
      const role = uniqueName('norepl');
      await sql.query(`CREATE ROLE ${role} LOGIN PASSWORD 'role-pw'; GRANT SELECT ON ${tableName} TO ${role}`);
      try {
        const r = await runFailing({ name: uniqueName('b'), source: { url: `postgres://${role}:role-pw@${url.host}/postgres`, tables: [`public.${tableName}`] } });
        expect(r.code).not.toBe(0);
        expect(oneLine(r.stderr)[0]).toMatch(/REPLICATION/);
        expect(r.stderr).not.toContain('role-pw');
      } finally {
        await sql.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      }
    });

    it('a server with wal_level=replica', async () => {
      const temp = await startTemporaryPostgres({ wal_level: 'replica' });
      try {
        const r = await runFailing({ name: uniqueName('b'), source: { url: temp.url, tables: ['public.x'] } });
        expect(r.code).not.toBe(0);
        expect(oneLine(r.stderr)[0]).toMatch(/wal_level/);
        expect(r.stderr).not.toContain('temp-pass');
      } finally {
        temp.stop();
      }
    });
  });
});
