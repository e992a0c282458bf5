import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';
import { parseLsn } from '../../connectors/postgres/lsn.js';
import { testBed } from '../helpers/test-bed.js';
import { pgUrlFor } from '../helpers/test-bed-databases.js';
import { type CliResult, runLogtap } from '../helpers/logtap-cli.js';
import { uniqueName } from '../helpers/names.js';
import { waitPgCheckpointed } from '../helpers/postgres-checkpoint.js';
import { whileStreaming, writeConfig } from '../helpers/daemon.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';

/*
 * Declarative partitioned tables and truncates over several Kafka partitions, with the default config (no
 * table list: FOR ALL TABLES) in a fresh database and `topics.partitions: 6`: a range-partitioned table with a
 * hash-partitioned partition (rows before the start → snapshot; inserts into several partitions; updates that
 * move rows between partitions; a delete), a keyless list-partitioned table (REPLICA IDENTITY FULL on each
 * partition), a hash-partitioned table truncated between rows, and an inheritance parent whose trigger routes
 * rows to a child. A real `logtap run`, then `logtap replay --verify`
 * into an empty database.
 */

const bed = testBed();
const sql = new pg.Client({ connectionString: bed.pgUrl });
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const name = uniqueName('parts');
const prefix = uniqueName('ppg');
const database = uniqueName('parts_db');
const databases: string[] = [database];
let source: pg.Client;
let configFile = '';
/** The commit LSN (start of the commit record) of the transaction that moved row 2 from January to February. */
let moveCommit = '';

const run = (command: string, args: string[]): Promise<CliResult> => runLogtap([command, '--config', configFile, ...args]);

/** Every row of a table as JSON text, in a total order: what "the same table" means here. */
async function tableRows(url: string, table: string, order: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT coalesce(json_agg(x ORDER BY ${order}), '[]')::text AS rows FROM (SELECT * FROM public.${table}) x`);
    return (rows[0] as { rows: string }).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await sql.connect();
  await sql.query(`CREATE DATABASE ${database}`);
  source = new pg.Client({ connectionString: pgUrlFor(database) });
  await source.connect();
  await source.query(`CREATE TABLE measurements (id int8, day date, reading numeric(8,2), note text, PRIMARY KEY (id, day)) PARTITION BY RANGE (day)`);
  await source.query(`CREATE TABLE measurements_2024_01 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')`);
  await source.query(`CREATE TABLE measurements_2024_02 PARTITION OF measurements FOR VALUES FROM ('2024-02-01') TO ('2024-03-01')`);
  // A partition partitioned again: its rows are published under the root too.
  await source.query(`CREATE TABLE measurements_2024_03 PARTITION OF measurements FOR VALUES FROM ('2024-03-01') TO ('2024-04-01') PARTITION BY HASH (id)`);
  await source.query(`CREATE TABLE measurements_2024_03_h0 PARTITION OF measurements_2024_03 FOR VALUES WITH (MODULUS 2, REMAINDER 0)`);
  await source.query(`CREATE TABLE measurements_2024_03_h1 PARTITION OF measurements_2024_03 FOR VALUES WITH (MODULUS 2, REMAINDER 1)`);
  await source.query(`CREATE TABLE measurements_other PARTITION OF measurements DEFAULT`);
  // Keyless: no primary key anywhere, REPLICA IDENTITY FULL on each partition (PostgreSQL checks it there
  // before UPDATE and DELETE, and logs the old row as it says) and on the root (pgoutput sends the old row as
  // the root's identity says).
  await source.query(`CREATE TABLE audit (kind text NOT NULL, at int4 NOT NULL, body text) PARTITION BY LIST (kind)`);
  await source.query(`ALTER TABLE audit REPLICA IDENTITY FULL`);
  for (const kind of ['login', 'logout']) {
    await source.query(`CREATE TABLE audit_${kind} PARTITION OF audit FOR VALUES IN ('${kind}')`);
    await source.query(`ALTER TABLE audit_${kind} REPLICA IDENTITY FULL`);
  }
  // Partitioned too: TRUNCATE of the root is published as the root's.
  await source.query(`CREATE TABLE truncated (id int8 PRIMARY KEY, note text) PARTITION BY HASH (id)`);
  for (const r of [0, 1, 2]) await source.query(`CREATE TABLE truncated_${r} PARTITION OF truncated FOR VALUES WITH (MODULUS 3, REMAINDER ${r})`);
  // Partitioning by inheritance: a trigger routes the parent's inserts to a child. Each is a table of its own.
  await source.query(`CREATE TABLE legacy (id int8 PRIMARY KEY, year int4 NOT NULL, note text)`);
  await source.query(`CREATE TABLE legacy_2024 (PRIMARY KEY (id), CHECK (year = 2024)) INHERITS (legacy)`);
  await source.query(`CREATE FUNCTION legacy_route() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO legacy_2024 VALUES (NEW.*); RETURN NULL; END $$`);
  await source.query(`CREATE TRIGGER legacy_route BEFORE INSERT ON legacy FOR EACH ROW EXECUTE FUNCTION legacy_route()`);
  await source.query(`INSERT INTO legacy SELECT g, 2024, 'before' FROM generate_series(1, 5) g`);
  // Before the start: the snapshot reads these.
  await source.query(`INSERT INTO measurements SELECT g, date '2024-01-01' + (g * 7) % 100, g * 1.5, 'before' FROM generate_series(1, 40) g`);
  await source.query(`INSERT INTO audit VALUES ('login', 1, 'a'), ('logout', 2, 'b'), ('login', 3, 'c')`);
  await source.query(`INSERT INTO truncated SELECT g, 'before' FROM generate_series(1, 30) g`);

  configFile = writeConfig({ name, source: { url: pgUrlFor(database) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, topics: { partitions: 6 } });
  await whileStreaming(configFile, async () => {
    await source.query(`INSERT INTO measurements VALUES (101, '2024-01-05', 1, 'jan'), (102, '2024-02-05', 2, 'feb'), (103, '2024-03-05', 3, 'mar'), (104, '2024-03-06', 4, 'mar'), (105, '2025-01-01', 5, 'other')`);
    // Moves: January → February (its own transaction, inspected below), February → the hash-partitioned March, March → the default partition.
    await source.query('BEGIN');
    await source.query(`UPDATE measurements SET day = '2024-02-20', note = 'moved' WHERE id = 101`);
    moveCommit = (await source.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]!.lsn;
    await source.query('COMMIT');
    await source.query(`UPDATE measurements SET day = '2024-03-20', note = 'moved twice' WHERE id = 101`);
    await source.query(`UPDATE measurements SET day = '2026-01-01' WHERE id IN (103, 104)`);
    await source.query(`UPDATE measurements SET reading = 99 WHERE id = 102`);
    await source.query(`DELETE FROM measurements WHERE id IN (105, 3)`);
    // A delete and an insert of another row in one transaction stay a delete and an insert of their own keys.
    await source.query(`BEGIN; DELETE FROM measurements WHERE id = 4; INSERT INTO measurements VALUES (106, '2024-01-09', 6, 'new'); COMMIT`);
    await source.query(`INSERT INTO audit VALUES ('logout', 4, 'd')`);
    await source.query(`UPDATE audit SET kind = 'logout' WHERE at = 1`);
    await source.query(`DELETE FROM audit WHERE at = 3`);
    await source.query(`INSERT INTO truncated SELECT g, 'gone' FROM generate_series(31, 60) g`);
    await source.query(`TRUNCATE truncated`);
    await source.query(`INSERT INTO truncated SELECT g, 'after' FROM generate_series(100, 130) g`);
    await source.query(`INSERT INTO legacy VALUES (6, 2024, 'streamed')`);
    await source.query(`UPDATE legacy SET note = 'updated' WHERE id = 1`);
    await waitPgCheckpointed(source, new CheckpointStore(kafka, prefix, name), 120_000);
  }, { streamingTimeoutMs: 120_000, logged: /"level":"(error|warn)"/ });
}, 300_000);

afterAll(async () => {
  await source?.end().catch(() => {});
  for (const db of databases) {
    const client = new pg.Client({ connectionString: pgUrlFor(db) });
    await client.connect().then(() => dropConnectorObjects(client, name)).catch(() => {}).finally(() => client.end().catch(() => {}));
    await sql.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
  }
  await sql.end();
});

describe('partitioned tables and truncates across Kafka partitions (default config, topics.partitions: 6)', () => {
  it('logtap check passes', async () => {
    const result = await run('check', []);
    expect(result.stdout).not.toMatch(/ERROR/);
    expect(result.code).toBe(0);
  }, 120_000);

  it('logtap check says what a partition named in source.tables becomes', async () => {
    const listed = writeConfig({
      name: uniqueName('parts_listed'), source: { url: pgUrlFor(database), tables: ['public.measurements', 'public.measurements_2024_01', 'public.measurements_2024_03_h0'] },
      kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
    });
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/logtap.js', 'check', '--config', listed], { timeout: 120_000, env: { ...process.env, LOGTAP_LOG_LEVEL: 'warn' } });
    expect(stdout).toMatch(/warning partition_listed:public\.measurements_2024_01: source\.tables names public\.measurements_2024_01, a partition of public\.measurements, which it also names/);
    expect(stdout).toMatch(/warning partition_listed:public\.measurements_2024_03_h0: .*a partition of public\.measurements, which it also names/);
    expect(stdout).toMatch(/^ok: nothing blocks streaming/m);
    const alone = writeConfig({
      name: uniqueName('parts_alone'), source: { url: pgUrlFor(database), tables: ['public.measurements_2024_02'] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
    });
    const second = await promisify(execFile)(process.execPath, ['bin/logtap.js', 'check', '--config', alone], { timeout: 120_000, env: { ...process.env, LOGTAP_LOG_LEVEL: 'warn' } });
    expect(second.stdout).toMatch(/warning partition_listed:public\.measurements_2024_02: .*captured as a table of its own/);
  }, 120_000);

  it('gives each partitioned table one topic, named for its root, and none to its partitions', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`)).sort();
    await admin.disconnect();
    expect(topics).toEqual([
      // public.legacy, the inheritance parent, holds no rows of its own: its topic is made with the snapshot's tables.
      `${prefix}._offsets`, `${prefix}._schemas`, `${prefix}.public.audit`, `${prefix}.public.legacy`, `${prefix}.public.legacy_2024`, `${prefix}.public.measurements`, `${prefix}.public.truncated`,
    ]);
  });

  it('captures an inheritance child as a table of its own, and its rows only there (not again in the parent)', async () => {
    let rows = 0;
    await readTopicToEnd(kafka, `${prefix}.public.legacy_2024`, ({ message }) => { if (message.value) rows++; });
    // 5 snapshot reads, an insert, an update.
    expect(rows).toBe(7);
    // The parent holds no rows of its own: its snapshot read none (its topic would exist with any record).
  });

  it('publishes a row moved between partitions as one update: the old key\'s tombstone and the row, both of the one change', async () => {
    const records: Array<{ op: string; position: string; tombstone: boolean }> = [];
    await readTopicToEnd(kafka, `${prefix}.public.measurements`, ({ message }) => {
      const position = String(message.headers?.['logtap.position']);
      if (position.startsWith(`pg1:`) && parseLsn(position.slice(4).split('#')[0]!) === parseLsn(moveCommit)) {
        records.push({ op: String(message.headers?.['logtap.op']), position, tombstone: message.value === null });
      }
    });
    expect(records.map((r) => `${r.op}${r.tombstone ? ' tombstone' : ''}`).sort()).toEqual(['d tombstone', 'u']);
    expect(new Set(records.map((r) => r.position)).size).toBe(1);
  }, 60_000);

  it('writes the truncate marker to every Kafka partition of the table\'s topic', async () => {
    const markers = new Set<number>();
    await readTopicToEnd(kafka, `${prefix}.public.truncated`, ({ partition, message }) => {
      if (String(message.headers?.['logtap.op']) === 't') markers.add(partition);
    });
    expect([...markers].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  }, 60_000);

  it('replay --verify rebuilds the partitioned and the truncated table exactly in an empty database', async () => {
    const target = uniqueName('parts_target');
    await sql.query(`CREATE DATABASE ${target}`);
    databases.push(target);
    const result = await run('replay', ['--target', pgUrlFor(target), '--table', 'public.measurements', '--table', 'public.truncated', '--table', 'public.legacy_2024', '--verify']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^equal public\.measurements: /m);
    expect(result.stdout).toMatch(/^equal public\.truncated: source 31 rows /m);
    expect(await tableRows(pgUrlFor(target), 'measurements', 'x.id')).toBe(await tableRows(pgUrlFor(database), 'measurements', 'x.id'));
    expect(await tableRows(pgUrlFor(target), 'truncated', 'x.id')).toBe(await tableRows(pgUrlFor(database), 'truncated', 'x.id'));
    expect(result.stdout).toMatch(/^equal public\.legacy_2024: source 6 rows /m);
  }, 240_000);

  it('logtap check names a partition without replica identity, and a keyless root without FULL, with the fix', async () => {
    await source.query(`CREATE TABLE unkeyed (kind text NOT NULL, n int4) PARTITION BY LIST (kind)`);
    await source.query(`CREATE TABLE unkeyed_a PARTITION OF unkeyed FOR VALUES IN ('a')`);
    await source.query(`CREATE TABLE unkeyed_b PARTITION OF unkeyed FOR VALUES IN ('b')`);
    await source.query(`ALTER TABLE unkeyed_b REPLICA IDENTITY FULL`);
    try {
      const result = await run('check', []);
      expect(result.code).toBe(1);
      const errors = result.stdout.split('\n').filter((l) => l.startsWith('ERROR'));
      expect(errors).toEqual([
        expect.stringMatching(/^ERROR +no_primary_key:public\.unkeyed_a: partition public\.unkeyed_a of public\.unkeyed has no primary key and REPLICA IDENTITY DEFAULT/),
        expect.stringMatching(/^ERROR +no_primary_key:public\.unkeyed: partitioned table public\.unkeyed has no primary key and REPLICA IDENTITY DEFAULT/),
      ]);
      expect(result.stdout).toContain('ALTER TABLE "public"."unkeyed_a" REPLICA IDENTITY FULL;');
      expect(result.stdout).toContain('ALTER TABLE "public"."unkeyed" REPLICA IDENTITY FULL;');
    } finally {
      await source.query('DROP TABLE unkeyed');
    }
  }, 120_000);

  it('captures the keyless partitioned table under its root: the snapshot rows and every change', async () => {
    const ops: string[] = [];
    await readTopicToEnd(kafka, `${prefix}.public.audit`, ({ message }) => {
      ops.push(String(message.headers?.['logtap.op']));
    });
    // A keyless table's change log (events.md): the snapshot's truncate marker and 3 reads, an insert, the move (one
    // update: its old row as `d`, then the new row as `u`), a delete.
    expect(ops.sort()).toEqual(['c', 'd', 'd', 'r', 'r', 'r', 't', 'u']);
  }, 60_000);
});
