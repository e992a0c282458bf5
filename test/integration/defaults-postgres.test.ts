import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { testBed } from '../helpers/test-bed.js';
import { mysqlConnectionOptions, pgUrlFor } from '../helpers/test-bed-databases.js';
import { type CliResult, runLogtap } from '../helpers/logtap-cli.js';
import { uniqueName } from '../helpers/names.js';
import { waitPgCheckpointed } from '../helpers/postgres-checkpoint.js';
import { whileStreaming, writeConfig } from '../helpers/daemon.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';
import { readWithLatestValueSchema } from '../helpers/latest-schema-read.js';
import type { Pgoutput } from 'pg-logical-replication';
import { introspectTable } from '../../connectors/postgres/introspect-columns.js';
import { describeRelation } from '../../connectors/postgres/describe-relation.js';
import { mapTable } from '../../connectors/postgres/column-mapping.js';
import { compileRowDecoder } from '../../connectors/postgres/text-decoder.js';
import { REQUIRED_SESSION_SETTINGS } from '../../connectors/postgres/session-settings.js';

/*
 * Columns added with a default while streaming (PostgreSQL): a real `logtap run` with the default config (no table
 * list) on a fresh database. The rows that existed before the ADD COLUMN read the default at the source without any
 * WAL record saying so (attmissingval); the topic and the replayed table must read it too.
 */

const bed = testBed();
const admin = new pg.Client({ connectionString: bed.pgUrl });
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const name = uniqueName('dflt');
const prefix = uniqueName('dpg');
const source = uniqueName('dflt_src');
const databases: string[] = [];
const mysqlDatabases: string[] = [];
const mysqlConnection = mysqlConnectionOptions();
let sql: pg.Client;
let configFile = '';
let daemonLog = '';

const replay = (args: string[]): Promise<CliResult> => runLogtap(['replay', '--config', configFile, ...args]);

async function tableRows(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT coalesce(json_agg(x ORDER BY x.id), '[]')::text AS rows FROM public.loan x`);
    return (rows[0] as { rows: string }).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await admin.connect();
  await admin.query(`CREATE DATABASE ${source}`);
  databases.push(source);
  sql = new pg.Client({ connectionString: pgUrlFor(source) });
  await sql.connect();
  await sql.query('CREATE TABLE loan (id int PRIMARY KEY, title text NOT NULL)');
  await sql.query(`INSERT INTO loan SELECT g, 'before the snapshot ' || g FROM generate_series(1, 20) g`);
  configFile = writeConfig({ name, source: { url: pgUrlFor(source) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix });
  daemonLog = await whileStreaming(configFile, async (daemon) => {
    await sql.query(`INSERT INTO loan SELECT g, 'streamed ' || g FROM generate_series(21, 40) g`);
    await sql.query(`ALTER TABLE loan ADD COLUMN channel text NOT NULL DEFAULT 'web'`);
    await sql.query('ALTER TABLE loan ADD COLUMN points int DEFAULT 10');
    await sql.query(`INSERT INTO loan (id, title, channel, points) VALUES (41, 'after', 'app', NULL), (42, 'after too', 'shop', 3)`);
    await sql.query(`INSERT INTO loan (id, title) VALUES (43, 'defaults')`);
    await sql.query(`UPDATE loan SET title = 'updated after' WHERE id = 5`);
    await waitPgCheckpointed(sql, new CheckpointStore(kafka, prefix, name), 90_000, daemon);
    expect(daemon.child.exitCode).toBeNull();
  });
}, 180_000);

afterAll(async () => {
  await sql?.end().catch(() => {});
  await dropConnectorObjects(admin, name).catch(() => {});
  const inSource = new pg.Client({ connectionString: pgUrlFor(source) });
  await inSource.connect().then(() => dropConnectorObjects(inSource, name)).catch(() => {});
  await inSource.end().catch(() => {});
  for (const database of databases) await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
  if (mysqlDatabases.length > 0) {
    const my = await mysql.createConnection(mysqlConnection);
    for (const database of mysqlDatabases) await my.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
    await my.end();
  }
  await admin.end();
});

describe('a column added with a default while streaming from PostgreSQL', () => {
  it('keeps the daemon running: the new schema is a compatible change', () => {
    expect(daemonLog).not.toMatch(/cannot read records of version/);
    expect(daemonLog).not.toMatch(/"level":"error"/);
  });

  it('reads the default on the rows written before the change, from the topic with the latest value schema', async () => {
    const { rows, versions } = await readWithLatestValueSchema(kafka, prefix, `${prefix}.public.loan`, 'id');
    expect(versions).toBeGreaterThanOrEqual(2);
    expect(rows.size).toBe(43);
    for (const id of [1, 20, 21, 40]) expect(rows.get(String(id))).toMatchObject({ id, channel: 'web', points: 10 });
    expect(rows.get('5')).toMatchObject({ title: 'updated after', channel: 'web', points: 10 });
    expect(rows.get('41')).toMatchObject({ channel: 'app', points: null });
    expect(rows.get('42')).toMatchObject({ channel: 'shop', points: 3 });
    expect(rows.get('43')).toMatchObject({ channel: 'web', points: 10 });
  }, 120_000);

  it('replays into an empty database equal to the source (--verify), with the defaults on the table', async () => {
    const database = uniqueName('dflt_target');
    await admin.query(`CREATE DATABASE ${database}`);
    databases.push(database);
    const result = await replay(['--target', pgUrlFor(database), '--verify']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^equal public\.loan: source 43 rows /m);
    expect(await tableRows(pgUrlFor(database))).toBe(await tableRows(pgUrlFor(source)));

    const target = new pg.Client({ connectionString: pgUrlFor(database) });
    await target.connect();
    try {
      await target.query(`INSERT INTO loan (id, title) VALUES (100, 'new')`);
      expect((await target.query('SELECT channel, points FROM loan WHERE id = 100')).rows).toEqual([{ channel: 'web', points: 10 }]);
    } finally {
      await target.end();
    }
  }, 240_000);

  it('replays into an empty MariaDB database equal to the source (--verify): the defaults as constants', async () => {
    const database = uniqueName('dflt_target');
    const my = await mysql.createConnection(mysqlConnection);
    try {
      await my.query(`CREATE DATABASE ${database}`);
      mysqlDatabases.push(database);
      const result = await replay(['--target', `${bed.mysqlUrl.replace(/\/[^/]*$/, '')}/${database}`, '--verify']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^equal public\.loan: source 43 rows /m);
      const [defaults] = await my.query('SELECT COLUMN_NAME AS c, COLUMN_DEFAULT AS d FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND COLUMN_NAME IN (\'channel\', \'points\') ORDER BY c', [database]);
      expect(defaults).toEqual([{ c: 'channel', d: "'web'" }, { c: 'points', d: '10' }]);
    } finally {
      await my.end();
    }
  }, 240_000);
});

describe('the catalog\'s value for older rows (attmissingval), as both descriptions of a table read it', () => {
  it('introspection and the Relation-message description give each added column the value an old row reads', async () => {
    const mood = uniqueName('mood');
    await sql.query(`CREATE TYPE ${mood} AS ENUM ('sad', 'it''s ok')`);
    await sql.query('CREATE TABLE shapes (id int PRIMARY KEY)');
    await sql.query('INSERT INTO shapes VALUES (1)');
    await sql.query(`ALTER TABLE shapes ADD COLUMN at timestamptz NOT NULL DEFAULT now(), ADD COLUMN n numeric(6,2) DEFAULT 1.5,
      ADD COLUMN a int[] DEFAULT '{1,NULL}', ADD COLUMN b box DEFAULT '(1,1),(0,0)', ADD COLUMN m ${mood} DEFAULT 'it''s ok',
      ADD COLUMN t text DEFAULT e'q"\\\\{x}', ADD COLUMN none int, ADD COLUMN nul int DEFAULT NULL`);
    for (const [setting, value] of Object.entries(REQUIRED_SESSION_SETTINGS)) await sql.query(`SELECT set_config($1, $2, false)`, [setting, value]);

    const fromCatalog = mapTable(await introspectTable(sql, { namespace: 'public', name: 'shapes' }));
    // The Relation message's columns, as pgoutput would send them.
    const { rows: attributes } = await sql.query<{ name: string; oid: number; typmod: number; rel: number }>(
      `SELECT attname AS name, atttypid::int AS oid, atttypmod AS typmod, attrelid::int AS rel FROM pg_attribute WHERE attrelid = 'shapes'::regclass AND attnum > 0 ORDER BY attnum`);
    const relation = {
      tag: 'relation', relationOid: attributes[0]!.rel, schema: 'public', name: 'shapes', replicaIdentity: 'default', keyColumns: ['id'],
      columns: attributes.map((a) => ({ name: a.name, flags: 0, typeOid: a.oid, typeMod: a.typmod, typeSchema: null, typeName: null, parser: (raw: unknown) => raw })),
    } as Pgoutput.MessageRelation;
    const fromRelation = mapTable(await describeRelation(sql, relation));

    // What the old row reads, through the same text decoder.
    const { rows: [old] } = await sql.query({ text: 'SELECT * FROM shapes WHERE id = 1', types: { getTypeParser: () => (text: string) => text } });
    const oldRow = compileRowDecoder(fromCatalog.columns)(old as Record<string, string | null>);
    for (const mapped of [fromCatalog, fromRelation]) {
      const byName = Object.fromEntries(mapped.schema.columns.map((c) => [c.name, c]));
      for (const name of ['at', 'n', 'a', 'b', 'm', 't']) expect(byName[name]!.missingValue, name).toEqual(oldRow[name]);
      expect(byName.n).toMatchObject({ missingValue: '1.50', defaultExpression: '1.5' });
      expect(byName.a!.missingValue).toEqual([1, null]);
      expect(byName.m!.missingValue).toBe("it's ok");
      expect(byName.t!.missingValue).toBe('q"\\{x}');
      expect(byName.at!.defaultExpression).toBe('now()');
      expect(byName.none).not.toHaveProperty('missingValue');
      expect(byName.none).not.toHaveProperty('defaultExpression');
      expect(byName.nul).not.toHaveProperty('missingValue');
    }
    await sql.query('DROP TABLE shapes');
    await sql.query(`DROP TYPE ${mood}`);
  }, 60_000);

  it('a partitioned table (published through its root) reads the value from its partitions', async () => {
    await sql.query('CREATE TABLE parted (id int, k int, PRIMARY KEY (id, k)) PARTITION BY RANGE (k)');
    await sql.query('CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10)');
    await sql.query('INSERT INTO parted VALUES (1, 1)');
    await sql.query(`ALTER TABLE parted ADD COLUMN channel text NOT NULL DEFAULT 'web'`);
    const columns = mapTable(await introspectTable(sql, { namespace: 'public', name: 'parted' })).schema.columns;
    expect(columns.find((c) => c.name === 'channel')).toMatchObject({ missingValue: 'web', defaultExpression: "'web'::text" });
    await sql.query('DROP TABLE parted');
  }, 60_000);

  it('a volatile default (the table is rewritten, each row gets its own value) claims no value for older rows', async () => {
    await sql.query('CREATE TABLE rewritten (id int PRIMARY KEY)');
    await sql.query('INSERT INTO rewritten VALUES (1), (2)');
    await sql.query(`ALTER TABLE rewritten ADD COLUMN u uuid NOT NULL DEFAULT gen_random_uuid(), ADD COLUMN channel text DEFAULT 'web'`);
    const columns = mapTable(await introspectTable(sql, { namespace: 'public', name: 'rewritten' })).schema.columns;
    expect(columns.find((c) => c.name === 'u')).toEqual({ name: 'u', type: { kind: 'uuid' }, nullable: false, sourceType: 'uuid', defaultExpression: 'gen_random_uuid()' });
    // The rewrite stored 'web' in every row: no missing value either (the rows' own values say it).
    expect(columns.find((c) => c.name === 'channel')).not.toHaveProperty('missingValue');
    await sql.query('DROP TABLE rewritten');
  }, 60_000);
});
