import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { freePort } from '../helpers/free-port.js';
import { userLines } from '../helpers/daemon.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';
import { runLogtap } from '../helpers/logtap-cli.js';

/*
 * `logtap init` as a newcomer uses it: pointed at a database with an administrator's URL, it writes a config and the
 * SQL a DBA runs; once the DBA ran that SQL (with the documented client command), `logtap check` on the written
 * config passes — on an application-style schema that needs replica identity changes.
 */

const bed = testBed();
const cli = (args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) => runLogtap(args, { logLevel: 'silent', timeoutMs: 120_000, ...options });

describe('logtap init on PostgreSQL', () => {
  const admin = new pg.Client({ connectionString: bed.pgUrl });
  const database = uniqueName('init_db');
  const role = uniqueName('init_role');
  const name = uniqueName('init');
  const dir = mkdtempSync(join(tmpdir(), 'logtap-init-'));
  const adminUrl = (() => {
    const url = new URL(bed.pgUrl);
    url.pathname = `/${database}`;
    return url.toString();
  })();

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const db = new pg.Client({ connectionString: adminUrl });
    await db.connect();
    await db.query(`
      CREATE SCHEMA app;
      CREATE TABLE app.account (id int PRIMARY KEY, email text NOT NULL);
      CREATE TABLE app.country (code text PRIMARY KEY, name text);
      ALTER TABLE app.country REPLICA IDENTITY NOTHING;
      CREATE TABLE public.event_log (at timestamptz NOT NULL, what text);
      CREATE TABLE public.ledger (account int NOT NULL, amount numeric(10,2), booked date NOT NULL) PARTITION BY RANGE (booked);
      CREATE TABLE public.ledger_2026 PARTITION OF public.ledger FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    `);
    await db.end();
  });

  afterAll(async () => {
    await dropConnectorObjects(admin, name).catch(() => {});
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await admin.end();
  });

  it('writes a config and the DBA\'s SQL; after the SQL ran as its header says, logtap check passes on the written config', async () => {
    const result = await cli(['init', '--source-url', adminUrl, '--brokers', bed.kafkaBrokers.join(','), '--name', name, '--role', role], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^wrote logtap\.yaml: connector .*, 4 table\(s\)/m);
    const sql = readFileSync(join(dir, 'logtap-setup.sql'), 'utf8');
    expect(sql).toContain('ALTER TABLE "app"."country" REPLICA IDENTITY DEFAULT');
    expect(sql).toContain('ALTER TABLE "public"."event_log" REPLICA IDENTITY FULL');
    expect(sql).toContain('ALTER TABLE "public"."ledger_2026" REPLICA IDENTITY FULL');
    expect(sql).not.toMatch(/SUPERUSER/);
    const config = readFileSync(join(dir, 'logtap.yaml'), 'utf8');
    expect(config).not.toContain(new URL(bed.pgUrl).password);

    // Before the DBA ran it, check says why it cannot start (the role does not exist yet).
    const password = 'init-Secret-1';
    const before = await cli(['check', '--config', 'logtap.yaml'], { cwd: dir, env: { LOGTAP_SOURCE_PASSWORD: password } });
    expect(before.code).not.toBe(0);

    // The DBA runs the script with the command line its header gives.
    const howToRun = /^-- Run it as an administrator: (.*)$/m.exec(sql)![1]!;
    expect(howToRun).toBe(`psql -v password="$LOGTAP_SOURCE_PASSWORD" -d ${database} -f <this file>`);
    await promisify(execFile)('psql', ['-v', 'ON_ERROR_STOP=1', '-v', `password=${password}`, '-d', adminUrl, '-f', join(dir, 'logtap-setup.sql')], { env: { ...process.env } });

    const after = await cli(['check', '--config', 'logtap.yaml'], { cwd: dir, env: { LOGTAP_SOURCE_PASSWORD: password } });
    expect(after.stdout).toMatch(/^ok: nothing blocks streaming/m);
    expect(after.code).toBe(0);
  }, 180_000);

  it('refuses to overwrite a file (one line, exit 2) and writes nothing when the source cannot be reached', async () => {
    const other = mkdtempSync(join(tmpdir(), 'logtap-init-'));
    writeFileSync(join(other, 'logtap.yaml'), 'mine\n');
    const refused = await cli(['init', '--source-url', adminUrl, '--brokers', bed.kafkaBrokers.join(',')], { cwd: other });
    expect(refused.code).toBe(2);
    expect(userLines(refused.stderr)).toEqual(['logtap: logtap.yaml exists: move it away, choose another --out/--sql-out, or pass --force to overwrite it']);
    expect(readFileSync(join(other, 'logtap.yaml'), 'utf8')).toBe('mine\n');

    const port = await freePort();
    const empty = mkdtempSync(join(tmpdir(), 'logtap-init-'));
    const unreachable = await cli(['init', '--source-url', `postgres://someone:s3cret-pw@127.0.0.1:${port}/nowhere`, '--brokers', '127.0.0.1:9092'], { cwd: empty });
    expect(unreachable.code).toBe(1);
    expect(userLines(unreachable.stderr)).toEqual([expect.stringContaining(`127.0.0.1:${port}`)]);
    expect(unreachable.stderr).not.toContain('s3cret-pw');
    expect(existsSync(join(empty, 'logtap.yaml'))).toBe(false);
    expect(existsSync(join(empty, 'logtap-setup.sql'))).toBe(false);
  }, 60_000);
});

describe('logtap init on MariaDB', () => {
  const base = new URL(bed.mysqlUrl);
  const database = uniqueName('init_db');
  const user = uniqueName('init_user');
  const dir = mkdtempSync(join(tmpdir(), 'logtap-init-'));
  const adminUrl = `${bed.mysqlUrl.replace(/\/[^/]*$/, '')}/${database}`;
  let sql: mysql.Connection;

  beforeAll(async () => {
    sql = await mysql.createConnection({ host: base.hostname, port: Number(base.port), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password), multipleStatements: true });
    await sql.query(`CREATE DATABASE ${database}`);
    await sql.query(`CREATE TABLE ${database}.account (id int PRIMARY KEY, email varchar(50)); CREATE TABLE ${database}.event_log (at datetime NOT NULL, what text)`);
  });

  afterAll(async () => {
    await sql.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
    await sql.query(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => {});
    await sql.end();
  });

  it('writes a config and the DBA\'s SQL; after the SQL ran (password set), logtap check passes on the written config', async () => {
    const result = await cli(['init', '--source-url', adminUrl, '--brokers', bed.kafkaBrokers.join(','), '--role', user], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const script = readFileSync(join(dir, 'logtap-setup.sql'), 'utf8');
    expect(script).toContain(`GRANT SELECT ON \`${database}\`.* TO '${user}'@'%'`);
    expect(script).toMatch(/event_log has no primary key/);
    const password = 'init-Secret-2';
    await sql.query(script.replace("'change-me'", `'${password}'`));
    const after = await cli(['check', '--config', 'logtap.yaml'], { cwd: dir, env: { LOGTAP_SOURCE_PASSWORD: password } });
    expect(after.stdout).toMatch(/^ok: nothing blocks streaming/m);
    expect(after.code).toBe(0);
  }, 120_000);
});
