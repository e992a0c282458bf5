import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { runLogtap } from '../helpers/logtap-cli.js';

/*
 * docker-compose.yml runs logtap under the roles deploy/compose/*-init.sql create. No Docker engine runs here, so the
 * same scripts are applied to the test bed's servers (names made unique) and logtap runs as those roles exactly as
 * the compose file configures it: `check` passes, the initial snapshot and the stream reach Kafka.
 */

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const script = (file: string) => readFileSync(new URL(`../../deploy/compose/${file}`, import.meta.url), 'utf8');
const passwordOf = (sql: string) => /(?:PASSWORD|IDENTIFIED BY) '([^']+)'/.exec(sql)![1]!;
const daemons: Daemon[] = [];

const check = (configFile: string) => runLogtap(['check', '--config', configFile], { logLevel: 'silent' });

afterAll(() => {
  for (const daemon of daemons) daemon.child.kill('SIGKILL');
});

describe('the compose file\'s PostgreSQL role (deploy/compose/postgres-init.sql)', () => {
  const admin = new pg.Client({ connectionString: bed.pgUrl });
  const name = uniqueName('cgpg');
  const role = uniqueName('lt');
  const database = uniqueName('shop');
  const prefix = uniqueName('cg');
  const init = script('postgres-init.sql').replaceAll('logtap_shop_pg', `logtap_${name}`).replace(/\blogtap\b(?!-)/g, role).replace(/\bshop\b/g, database);
  const urlAs = (user: string, password: string) => {
    const url = new URL(bed.pgUrl);
    url.username = user;
    url.password = password;
    url.pathname = `/${database}`;
    return url.toString();
  };
  let db: pg.Client;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    db = new pg.Client({ connectionString: urlAs(new URL(bed.pgUrl).username, decodeURIComponent(new URL(bed.pgUrl).password)) });
    await db.connect();
    await db.query('CREATE TABLE public.before_grants (id int PRIMARY KEY, v text)');
    await db.query(`INSERT INTO public.before_grants VALUES (1, 'snapshotted')`);
    await db.query(init);
    await db.query('CREATE TABLE public.after_grants (id int PRIMARY KEY, v text)');
  });

  afterAll(async () => {
    await db.end().catch(() => {});
    await dropConnectorObjects(admin, name).catch(() => {});
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await admin.end();
  });

  it('is no superuser, passes check, snapshots and streams every table of the database', async () => {
    const { rows } = await admin.query('SELECT rolsuper, rolreplication FROM pg_roles WHERE rolname = $1', [role]);
    expect(rows).toEqual([{ rolsuper: false, rolreplication: true }]);
    const configFile = writeConfig({ name, source: { url: urlAs(role, passwordOf(init)) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix });
    const checked = await check(configFile);
    expect(checked.stdout).not.toMatch(/^error/m);
    expect(checked.code).toBe(0);

    const daemon = startDaemon(configFile);
    daemons.push(daemon);
    await waitStreaming(daemon, 120_000);
    await db.query(`INSERT INTO public.after_grants VALUES (1, 'a'), (2, 'b')`);
    await db.query(`UPDATE public.before_grants SET v = 'streamed' WHERE id = 1`);
    await db.query('DELETE FROM public.after_grants WHERE id = 2');
    await waitFor('both tables in Kafka', async () => {
      if (daemon.child.exitCode !== null) throw new Error(`the daemon stopped: ${daemon.log().slice(-2000)}`);
      const before = await readTopicAsTable(kafka, prefix, `${prefix}.public.before_grants`, (k) => String(k.id));
      const after = await readTopicAsTable(kafka, prefix, `${prefix}.public.after_grants`, (k) => String(k.id));
      return before.table.get('1')?.v === 'streamed' && after.table.size === 1 && after.table.get('1')?.v === 'a' ? true : undefined;
    }, 90_000, 1000);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  }, 240_000);
});

describe('the compose file\'s MariaDB account (deploy/compose/mariadb-init.sql)', () => {
  const base = new URL(bed.mysqlUrl);
  const connection = { host: base.hostname, port: Number(base.port), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password), multipleStatements: true };
  const name = uniqueName('cgmy');
  const user = uniqueName('lt');
  const database = uniqueName('shop');
  const prefix = uniqueName('cg');
  const init = script('mariadb-init.sql').replace(/'logtap'@/g, `'${user}'@`).replace(/\bshop\.\*/g, `${database}.*`);
  let sql: mysql.Connection;

  beforeAll(async () => {
    sql = await mysql.createConnection(connection);
    await sql.query(`CREATE DATABASE ${database}`);
    await sql.query(`CREATE TABLE ${database}.item (id int PRIMARY KEY, v varchar(20))`);
    await sql.query(`INSERT INTO ${database}.item VALUES (1, 'snapshotted')`);
    await sql.query(init);
  });

  afterAll(async () => {
    await sql.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
    await sql.query(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => {});
    await sql.end();
  });

  it('has no global privilege beyond the binlog\'s, passes check, snapshots and streams the database', async () => {
    const [grants] = await sql.query(`SHOW GRANTS FOR '${user}'@'%'`) as unknown as [Record<string, string>[]];
    const lines = grants.map((g) => Object.values(g)[0]!);
    expect(lines.filter((l) => / ON \*\.\* /.test(l)).map((l) => /^GRANT (.+) ON/.exec(l)![1])).toEqual(['REPLICATION SLAVE, BINLOG MONITOR']);
    const url = `mariadb://${user}:${passwordOf(init)}@${base.host}/${database}`;
    const configFile = writeConfig({ name, source: { url }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix });
    const checked = await check(configFile);
    expect(checked.stdout).not.toMatch(/^error/m);
    expect(checked.code).toBe(0);

    const daemon = startDaemon(configFile);
    daemons.push(daemon);
    await waitStreaming(daemon, 120_000);
    await sql.query(`INSERT INTO ${database}.item VALUES (2, 'b'), (3, 'c')`);
    await sql.query(`UPDATE ${database}.item SET v = 'streamed' WHERE id = 1`);
    await sql.query(`DELETE FROM ${database}.item WHERE id = 3`);
    await waitFor('the table in Kafka', async () => {
      if (daemon.child.exitCode !== null) throw new Error(`the daemon stopped: ${daemon.log().slice(-2000)}`);
      const { table } = await readTopicAsTable(kafka, prefix, `${prefix}.${database}.item`, (k) => String(k.id));
      return table.size === 2 && table.get('1')?.v === 'streamed' && table.get('2')?.v === 'b' ? true : undefined;
    }, 90_000, 1000);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  }, 240_000);
});
