import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';
import { testBed } from '../helpers/test-bed.js';
import { mysqlConnectionOptions, mysqlUrlFor, pgUrlFor } from '../helpers/test-bed-databases.js';
import { type CliResult, runLogtap } from '../helpers/logtap-cli.js';
import { uniqueName } from '../helpers/names.js';
import { waitPgCheckpointed } from '../helpers/postgres-checkpoint.js';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../helpers/free-port.js';
import { startDaemon, userLines, waitStreaming, whileStreaming, writeConfig } from '../helpers/daemon.js';
import { connectorObjectPattern, dropConnectorObjects } from '../helpers/pg-connector-objects.js';

/*
 * PostgreSQL → Kafka (a real `logtap run`) → `logtap replay` into empty PostgreSQL databases: every type of
 * the matrix with edge values after inserts, updates, deletes, a key change, a truncate and an ADD COLUMN;
 * --verify, a second run, --until a commit time, and the bad inputs.
 */

const bed = testBed();
const sql = new pg.Client({ connectionString: bed.pgUrl });
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const name = uniqueName('replay');
const prefix = uniqueName('rpg');
const table = uniqueName('every_type');
const mood = uniqueName('mood');
const posint = uniqueName('posint');
const portable = uniqueName('portable');
const databases: string[] = [];
const mysqlDatabases: string[] = [];
let configFile = '';
/** The source rows (as JSON text) right after phase one, and the commit time to replay up to. */
let phaseOne: { rows: string; until: string };

async function createDatabase(): Promise<string> {
  const database = uniqueName('replay_db');
  await sql.query(`CREATE DATABASE ${database}`);
  databases.push(database);
  return database;
}

const replay = (args: string[]): Promise<CliResult> => runLogtap(['replay', '--config', configFile, ...args]);

/** Every row of a table as JSON text, in key order: what "the same table" means here. */
async function tableRows(url: string, t = table): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT coalesce(json_agg(x ORDER BY x.id), '[]')::text AS rows FROM public.${t} x`);
    return (rows[0] as { rows: string }).rows;
  } finally {
    await client.end();
  }
}

async function tableAbsent(database: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: pgUrlFor(database) });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT to_regclass('public.${table}') IS NULL AS absent`);
    return (rows[0] as { absent: boolean }).absent;
  } finally {
    await client.end();
  }
}

const COLUMNS = `id int8 PRIMARY KEY, c_bool bool, c_int2 int2, c_int4 int4 NOT NULL, c_int8 int8, c_float4 float4, c_float8 float8,
  c_num numeric(50,10), c_numeric numeric, c_money money, c_text text, c_varchar varchar(20), c_char char(3), c_bytea bytea,
  c_bit bit(8), c_varbit varbit, c_date date, c_time time, c_timetz timetz, c_ts timestamp, c_tstz timestamptz,
  c_interval interval, c_json json, c_jsonb jsonb, c_uuid uuid, c_enum ${mood}, c_domain ${posint}, c_inet inet, c_point point,
  c_range int4range, a_int4 int4[], a_int2d int4[][], a_text text[], a_tstz timestamptz[], a_enum ${mood}[]`;

const ROWS = [
  `(1, true, 32767, 2147483647, 9223372036854775807, '3.4028235e38', '1.7976931348623157e308', '9999999999999999999999999999999999999999.9999999999',
    'NaN', '92233720368547758.07', e'tab\\there "quoted" \\\\ ü 😀', 'twenty characters ok', 'ab', '\\x00ff00', B'10101010', B'', '5874897-12-31',
    '24:00:00', '24:00:00-15:59', '99999-12-31 23:59:59.999999', '99999-12-31 23:59:59.999999+00', '-178000000 years -2 days -00:00:00.000001',
    '{"b":1, "a" : [1.50, 2e5]}', '{"b":1, "a" : [1.50, 2e5]}', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'it''s "great"', 2147483647, '::ffff:1.2.3.4/128',
    '(1.5,-2)', '[1,10)', '{1,NULL,3}', '{{1,NULL},{3,4}}', '{"a,b","NULL",NULL,"{}","back\\\\slash","q\\"uote",""}',
    '{infinity,-infinity,"2020-06-01 12:00:00.000001+05:45",NULL,"0044-03-15 12:00:00+00 BC"}', '{sad,NULL,"back\\\\slash"}')`,
  `(2, false, -32768, -2147483648, -9223372036854775808, '-Infinity', '5e-324', '-1234567890123456789012345678901234567890.0000000001',
    'Infinity', '-92233720368547758.08', '', '', '', '\\x', B'00000000', B'1', '4713-01-01 BC', '00:00:00', '00:00:00+15:59',
    '4714-11-24 00:00:00 BC', '4714-11-24 00:00:00+00 BC', '178000000 years 11 months 30 days 23:59:59.999999', '""', '""',
    '00000000-0000-0000-0000-000000000000', 'sad', 1, '10.0.0.0/8', '(0,0)', 'empty', '{}', '{}', '{}', '{}', '{}')`,
  `(3, NULL, 0, 0, 0, 'NaN', 'NaN', 'NaN', '-0.000000000000000000000000000001', '0', 'x', 'x', 'x', '\\xdeadbeef', B'11111111',
    B'0101010101010101010101', 'infinity', '23:59:59.999999', '12:00:00+05:30:15', 'infinity', 'infinity', '0', 'null', 'null',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'NULL', 42, '2001:db8::1', '(1e300,-1e-300)', '(,)', '{-2147483648,2147483647}', '{{NULL,NULL}}', '{NULL}', '{NULL}', '{NULL}')`,
  `(4, true, 1, 1, 9007199254740993, '-0', '-0', '0', '123456789012345678901234567890123456789012.5', '-0.01', 'four', 'four', 'abc', '\\x5c22',
    B'00000001', B'11', '-infinity', '00:00:00.000001', '01:02:03-00:00:30', '-infinity', '-infinity', '1 mon -1 days 00:00:01',
    '[]', '{"k": {"nested": [true, false, null]}}', '{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a12}', 'ok so-so', 7, '192.168.0.1', '(0.1,0.2)', '[-5,5]',
    '{0}', '{{5,6}}', '{""}', '{"1970-01-01 00:00:00+00"}', '{}')`,
  `(5, false, 42, 42, -1, '0.1', '0.1', '1.5', '1e-20', '1234.5', 'five', 'five', 'f', '\\x00', B'10000000', B'0', '2020-02-29', '13:00',
    '10:00:00+00', '2020-06-01 12:00:00.000001', '2020-06-01 12:00:00.000001+05:45', 'P1Y2M3DT4H5M6.789S', '{"x":1}', '{"x":1}',
    'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A13', ',{} x', 8, '::1', '(3,4)', '(1,2]', '{5}', '{{7,8},{9,NULL}}', '{"π","∞"}', '{}', '{"ok so-so"}')`,
];

/** Types MariaDB has an equivalent for, with values inside its ranges. */
const PORTABLE = `id int8 PRIMARY KEY, b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric(12,2), t text, v varchar(20),
  by bytea, bt bit(8), d date, tm time, ts timestamp, tz timestamptz, j json, jb jsonb, u uuid, e ${mood}`;
const PORTABLE_ROWS = [
  `(1, true, -32768, 2147483647, -9223372036854775808, '3.4028235e38', '1.7976931348623157e308', '-9999999999.99', e'ü 😀 "q" \\\\', 'twenty characters ok',
    '\\x00ff', B'10101010', '9999-12-31', '24:00:00', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999+00', '{"b":1, "a" : [1.50, 2e5]}',
    '{"b":1, "a" : [1.50, 2e5]}', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'it''s "great"')`,
  `(2, false, 0, 0, 9223372036854775807, '0.1', '5e-324', '0.01', '', '', '\\x', B'00000000', '1000-01-01', '00:00:00.000001',
    '1000-01-01 00:00:00', '1970-01-01 00:00:00+05:45', 'null', '[]', '00000000-0000-0000-0000-000000000000', 'sad')`,
  `(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
];

beforeAll(async () => {
  await sql.connect();
  await sql.query(`CREATE TYPE ${mood} AS ENUM ('sad', 'ok so-so', 'it''s "great"', 'back\\slash', ',{} x', 'NULL')`);
  await sql.query(`CREATE DOMAIN ${posint} AS integer CHECK (VALUE > 0)`);
  await sql.query(`CREATE TABLE ${table} (${COLUMNS})`);
  await sql.query(`CREATE TABLE ${portable} (${PORTABLE})`);
  configFile = writeConfig({ name, source: { url: bed.pgUrl, tables: [`public.${table}`, `public.${portable}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, snapshot: { mode: 'never' } });
  await whileStreaming(configFile, async () => {
    await waitFor('the slot', async () => ((await sql.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND active`, [connectorObjectPattern(name)])).rowCount ? true : undefined));

    // Phase one: rows that a truncate later removes, then the rows --until must reproduce.
    await sql.query(`INSERT INTO ${table} (id, c_int4, c_text) VALUES (100, 1, 'gone'), (101, 2, 'gone too')`);
    await sql.query(`TRUNCATE ${table}`);
    await sql.query(`INSERT INTO ${table} VALUES ${ROWS.join(', ')}`);
    await sql.query(`INSERT INTO ${portable} VALUES ${PORTABLE_ROWS.join(', ')}`);
    await sql.query(`UPDATE ${portable} SET t = 'updated' WHERE id = 2`);
    await sql.query(`UPDATE ${table} SET c_text = 'updated', c_float8 = 'Infinity' WHERE id = 2`);
    await sql.query(`DELETE FROM ${table} WHERE id = 3`);
    const { rows: [mark] } = await sql.query<{ now: string }>(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS now`);
    phaseOne = { rows: await tableRows(bed.pgUrl), until: mark!.now };
    await new Promise((r) => setTimeout(r, 50));

    // Phase two: a key change, an ADD COLUMN, more changes after it.
    await sql.query(`UPDATE ${table} SET id = 40 WHERE id = 4`);
    await sql.query(`ALTER TABLE ${table} ADD COLUMN c_added text`);
    await sql.query(`INSERT INTO ${table} (id, c_int4, c_added) VALUES (6, 6, 'after ADD COLUMN')`);
    await sql.query(`UPDATE ${table} SET c_added = 'set later', c_bool = NULL WHERE id = 1`);
    await sql.query(`DELETE FROM ${table} WHERE id = 2`);
    // The checkpoint is committed in the same Kafka transaction as the changes it covers.
    await waitPgCheckpointed(sql, new CheckpointStore(kafka, prefix, name), 60_000);
  });
}, 180_000);

afterAll(async () => {
  await dropConnectorObjects(sql, name).catch(() => {});
  for (const database of databases) await sql.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
  await sql.query(`DROP TABLE IF EXISTS ${table}, ${portable}`);
  if (mysqlDatabases.length > 0) {
    const my = await mysql.createConnection(mysqlConnectionOptions());
    for (const database of mysqlDatabases) await my.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
    await my.end();
  }
  await sql.query(`DROP TYPE IF EXISTS ${mood} CASCADE`);
  await sql.query(`DROP DOMAIN IF EXISTS ${posint} CASCADE`);
  await sql.end();
});

describe('logtap replay into PostgreSQL', () => {
  it('rebuilds the table exactly in an empty database (--verify reports equal), and a second run changes nothing', async () => {
    const target = pgUrlFor(await createDatabase());
    const first = await replay(['--target', target, '--verify']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^equal public\\.${table}: source 4 rows `, 'm'));
    const rebuilt = await tableRows(target);
    expect(rebuilt).toBe(await tableRows(bed.pgUrl));

    const second = await replay(['--target', target, '--verify']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^equal /m);
    expect(await tableRows(target)).toBe(rebuilt);
  }, 240_000);

  it('--until a commit time reproduces the rows as they were then', async () => {
    const target = pgUrlFor(await createDatabase());
    const result = await replay(['--target', target, '--until', phaseOne.until]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await tableRows(target)).toBe(phaseOne.rows);
  }, 240_000);

  it('--until a source position (the logtap.position of a change) reproduces the rows as they were after that change', async () => {
    // The last change committed by phase one's end, as a consumer sees it in the headers.
    let last = '';
    const untilMicros = BigInt(Date.parse(phaseOne.until)) * 1000n + BigInt(phaseOne.until.slice(20, 26).padEnd(6, '0').slice(3));
    await readTopicToEnd(kafka, `${prefix}.public.${table}`, ({ message }) => {
      if (BigInt(String(message.headers?.['logtap.commit_us'])) <= untilMicros) last = String(message.headers?.['logtap.position']);
    });
    expect(last).toMatch(/^pg1:[0-9A-F]+\/[0-9A-F]+#\d+$/);
    const target = pgUrlFor(await createDatabase());
    const result = await replay(['--target', target, '--table', `public.${table}`, '--until', last]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await tableRows(target)).toBe(phaseOne.rows);
  }, 240_000);

  it('--verify names the table and the first differing key when the rebuilt table differs (exit 3)', async () => {
    const database = await createDatabase();
    const target = pgUrlFor(database);
    expect((await replay(['--target', target])).code).toBe(0);
    const client = new pg.Client({ connectionString: target });
    await client.connect();
    await client.query(`UPDATE public.${table} SET c_text = 'tampered' WHERE id = 5`);
    await client.end();
    const result = await replay(['--target', target, '--verify', '--until', '2000-01-01T00:00:00Z']);
    expect(result.code).toBe(3);
    expect(userLines(result.stderr)).toEqual([expect.stringMatching(new RegExp(`verify: .*public\\.${table} .*first differing key id=`))]);
  }, 240_000);

  it('rebuilds a table into MariaDB where every type has an equivalent (--verify reports equal)', async () => {
    const database = uniqueName('replay_db');
    const my = await mysql.createConnection(mysqlConnectionOptions());
    await my.query(`CREATE DATABASE ${database}`);
    mysqlDatabases.push(database);
    try {
      const result = await replay(['--target', mysqlUrlFor(database), '--table', `public.${portable}`, '--verify']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^equal public\\.${portable}: source 3 rows `, 'm'));

      // A column MariaDB has no type for (numeric without precision) is named, and nothing is written.
      const refused = await replay(['--target', mysqlUrlFor(database), '--table', `public.${table}`]);
      expect(refused.code).toBe(2);
      expect(userLines(refused.stderr)).toEqual([expect.stringContaining(`public.${table}.c_numeric (numeric)`)]);
      const [tables] = await my.query(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`, [database]);
      expect(tables).toEqual([{ t: portable }]);
    } finally {
      await my.end();
    }
  }, 240_000);

  describe('bad input: one line, exit code ≠ 0, nothing written', () => {
    it('an unreachable target', async () => {
      const port = await freePort();
      const result = await replay(['--target', `postgres://someone:s3cret-pw@127.0.0.1:${port}/nowhere`]);
      expect(result.code).toBe(1);
      const lines = userLines(result.stderr);
      expect(lines).toEqual([expect.stringContaining(`127.0.0.1:${port}`)]);
      expect(result.stderr).not.toContain('s3cret-pw');
    });

    it('a target table with a conflicting definition', async () => {
      const database = await createDatabase();
      const client = new pg.Client({ connectionString: pgUrlFor(database) });
      await client.connect();
      try {
        await client.query(`CREATE TABLE public.${table} (id int8 PRIMARY KEY, c_int4 text)`);
        await client.query(`INSERT INTO public.${table} VALUES (1, 'mine')`);
        const result = await replay(['--target', pgUrlFor(database)]);
        expect(result.code).toBe(2);
        expect(userLines(result.stderr)).toEqual([expect.stringMatching(new RegExp(`${table} .*column c_int4`))]);
        expect((await client.query(`SELECT * FROM public.${table}`)).rows).toEqual([{ id: '1', c_int4: 'mine' }]);
      } finally {
        await client.end();
      }
    });

    it('the source database itself as the target', async () => {
      const result = await replay(['--target', bed.pgUrl]);
      expect(result.code).toBe(2);
      expect(userLines(result.stderr)).toEqual(['logtap: --target names the source database of the config: replay into another database (it would write over the tables it reads)']);
    });

    it('a topic that does not exist', async () => {
      const database = await createDatabase();
      const result = await replay(['--target', pgUrlFor(database), '--table', 'public.no_such_table']);
      expect(result.code).toBe(2);
      expect(userLines(result.stderr)).toEqual([expect.stringContaining(`topic ${prefix}.public.no_such_table does not exist`)]);
      expect(await tableAbsent(database)).toBe(true);
    });

    it('an --until in no known form', async () => {
      const database = await createDatabase();
      const result = await replay(['--target', pgUrlFor(database), '--until', 'yesterday']);
      expect(result.code).toBe(2);
      expect(userLines(result.stderr)).toEqual([expect.stringContaining('--until "yesterday" is neither an ISO-8601 time')]);
      expect(await tableAbsent(database)).toBe(true);
    });
  });

  it('--follow keeps the rebuilt table up to date while logtap run streams, logs its progress, and exits 0 on SIGTERM', async () => {
    const target = pgUrlFor(await createDatabase());
    const daemon = startDaemon(configFile);
    const follower = spawn(process.execPath, ['bin/logtap.js', 'replay', '--config', configFile, '--target', target, '--table', `public.${table}`, '--follow'], {
      env: { ...process.env, LOGTAP_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    follower.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise<number | null>((done) => follower.once('exit', (code) => done(code)));
    const inStep = async () => ((await tableRows(target).catch(() => '')) === (await tableRows(bed.pgUrl)) ? true : undefined);
    try {
      await waitStreaming(daemon);
      await waitFor('the follower to catch up', inStep, 90_000, 300);
      await sql.query(`INSERT INTO ${table} (id, c_int4, c_added) VALUES (7, 7, 'followed')`);
      await sql.query(`UPDATE ${table} SET c_text = 'followed too' WHERE id = 1`);
      await sql.query(`DELETE FROM ${table} WHERE id = 5`);
      await waitFor('the new changes to reach the rebuilt table', inStep, 90_000, 300);
      follower.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toMatch(new RegExp(`"table":"public\\.${table}".*"msg":"replaying"`));
      expect(stderr).toMatch(/"msg":"following"/);
    } finally {
      follower.kill('SIGKILL');
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
  }, 240_000);
});
