import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { silentLogger } from '../../src/logger.js';
import type { CheckFinding } from '../../src/source/source-connector.js';
import { createPostgresConnector } from '../../connectors/postgres/postgres-connector.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { admin, dropConnectorObjects, slotRow, startStream, waitStreaming } from './postgres-source-harness.js';

// `check()` reports every problem that would stop or degrade streaming, each with its fix, and changes nothing.

let sql: pg.Client;
const names: string[] = [];
const made: string[] = [];
const t: Record<'good' | 'nokey' | 'fullnokey' | 'toasty' | 'gen' | 'pknothing' | 'droppedidx' | 'staff', string> = {
  good: uniqueName('chk_good'),
  nokey: uniqueName('chk_nokey'),
  fullnokey: uniqueName('chk_fullnokey'),
  toasty: uniqueName('chk_toasty'),
  gen: uniqueName('chk_gen'),
  pknothing: uniqueName('chk_pknothing'),
  droppedidx: uniqueName('chk_droppedidx'),
  staff: uniqueName('chk_staff'),
};
const view = uniqueName('chk_view');
const missing = uniqueName('chk_missing');

beforeAll(async () => {
  sql = await admin();
  await sql.query(`CREATE TABLE ${t.good} (id int PRIMARY KEY, n bigint)`);
  await sql.query(`CREATE TABLE ${t.nokey} (id int, note text)`);
  await sql.query(`CREATE TABLE ${t.fullnokey} (id int, n int)`);
  await sql.query(`ALTER TABLE ${t.fullnokey} REPLICA IDENTITY FULL`);
  await sql.query(`CREATE TABLE ${t.toasty} (id int PRIMARY KEY, body text, doc jsonb)`);
  await sql.query(`CREATE TABLE ${t.gen} (id int PRIMARY KEY, twice int GENERATED ALWAYS AS (id * 2) STORED)`);
  await sql.query(`CREATE TABLE ${t.pknothing} (country_id int PRIMARY KEY, country varchar(50) NOT NULL)`);
  await sql.query(`ALTER TABLE ${t.pknothing} REPLICA IDENTITY NOTHING`);
  await sql.query(`CREATE TABLE ${t.droppedidx} (code char(2) NOT NULL, name varchar(45), CONSTRAINT ${t.droppedidx}_code UNIQUE (code))`);
  await sql.query(`CREATE UNIQUE INDEX ${t.droppedidx}_ri ON ${t.droppedidx} (code)`);
  await sql.query(`ALTER TABLE ${t.droppedidx} REPLICA IDENTITY USING INDEX ${t.droppedidx}_ri`);
  await sql.query(`DROP INDEX ${t.droppedidx}_ri`);
  await sql.query(`CREATE TABLE ${t.staff} (staff_id smallint PRIMARY KEY, first_name varchar(45) NOT NULL, last_name varchar(45) NOT NULL,
    email varchar(50), active boolean NOT NULL, username varchar(16) NOT NULL, password varchar(40), rate numeric(5,2), code char(3),
    bits bit(8), last_update timestamp NOT NULL DEFAULT now(), notes text, picture bytea)`);
  await sql.query(`CREATE VIEW ${view} AS SELECT 1 AS one`);
  made.push(...Object.values(t));
});

afterAll(async () => {
  for (const name of names) await dropConnectorObjects(sql, name).catch(() => {});
  await sql.query(`DROP VIEW IF EXISTS ${view}`);
  for (const table of made) await sql.query(`DROP TABLE IF EXISTS ${table}`);
  await sql.end();
});

const allTables = () => [...Object.values(t), view, missing].map((n) => `public.${n}`);
const byId = (findings: CheckFinding[]) => Object.fromEntries(findings.map((f) => [f.id, f]));

function connectorName(): string {
  const name = uniqueName('chk');
  names.push(name);
  return name;
}

describe('PostgreSQL source: check()', () => {
  it('finds every problem of a deliberately bad table set, with a fix for each, and changes nothing', async () => {
    const name = connectorName();
    const connector = createPostgresConnector({ name, url: testBed().pgUrl, tables: allTables(), log: silentLogger });
    const findings = await connector.check();
    await connector.close();
    const found = byId(findings);
    expect(Object.keys(found).sort()).toEqual([
      `generated_columns:public.${t.gen}`,
      `no_primary_key:public.${t.fullnokey}`,
      `no_primary_key:public.${t.nokey}`,
      `replica_identity:public.${t.pknothing}`,
      `replica_identity:public.${t.droppedidx}`,
      `table_missing:public.${missing}`,
      `table_missing:public.${view}`,
      // A keyless table's updates fail in PostgreSQL (the error above): no TOAST finding for it.
      `toast_unchanged:public.${t.toasty}`,
      `toast_unchanged:public.${t.staff}`,
    ].sort());
    expect(found[`no_primary_key:public.${t.nokey}`]).toMatchObject({ level: 'error', message: expect.stringMatching(/UPDATE and DELETE on it fail/), fix: expect.stringContaining('REPLICA IDENTITY FULL') });
    expect(found[`no_primary_key:public.${t.fullnokey}`]!.level).toBe('warning');
    // A primary key under REPLICA IDENTITY NOTHING: the fix that keeps the key is DEFAULT.
    expect(found[`replica_identity:public.${t.pknothing}`]).toEqual({
      level: 'error',
      id: `replica_identity:public.${t.pknothing}`,
      message: `table public.${t.pknothing} has REPLICA IDENTITY NOTHING, so its primary key is not logged for UPDATE and DELETE: once published, UPDATE and DELETE on it fail in PostgreSQL`,
      fix: `ALTER TABLE "public"."${t.pknothing}" REPLICA IDENTITY DEFAULT; (the primary key identifies rows and stays the Kafka key)`,
    });
    // Its USING INDEX index dropped: the other unique index keeps a key.
    expect(found[`replica_identity:public.${t.droppedidx}`]).toMatchObject({
      level: 'error',
      message: expect.stringContaining('REPLICA IDENTITY USING INDEX, but that index was dropped'),
      fix: `ALTER TABLE "public"."${t.droppedidx}" REPLICA IDENTITY USING INDEX "${t.droppedidx}_code"; (that unique index identifies rows and becomes the Kafka key)`,
    });
    // Only the columns that can be stored out of line, and read back by default (informational).
    expect(found[`toast_unchanged:public.${t.toasty}`]).toMatchObject({ level: 'warning', message: expect.stringContaining('columns "body", "doc" can be stored out of line') });
    expect(found[`toast_unchanged:public.${t.staff}`]).toMatchObject({
      level: 'warning',
      message: expect.stringMatching(new RegExp(`^table public\\.${t.staff}: columns "notes", "picture" can be stored out of line \\(TOASTed\\).*reads it back from the table by key`)),
      fix: expect.stringMatching(/^nothing is needed; .*REPLICA IDENTITY FULL;/),
    });
    expect(found[`table_missing:public.${missing}`]).toMatchObject({ level: 'error', message: expect.stringContaining('does not exist') });
    expect(found[`table_missing:public.${view}`]!.message).toContain('is a view, not a table');
    expect(found[`generated_columns:public.${t.gen}`]).toMatchObject({ level: 'warning', message: expect.stringContaining('"twice"') });
    for (const f of findings) {
      expect(f.message.length).toBeGreaterThan(0);
      expect(f.fix.length).toBeGreaterThan(0);
    }
    // Nothing created.
    expect(await slotRow(sql, name)).toBeUndefined();
    expect((await sql.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [`logtap_${name}`])).rows).toEqual([]);
  });

  it('under toast.unchanged: fail reports as an error that the daemon would stop at an update leaving a TOASTed value unchanged', async () => {
    const connector = createPostgresConnector({ name: connectorName(), url: testBed().pgUrl, tables: [`public.${t.staff}`], unchangedToast: 'fail', log: silentLogger });
    const findings = await connector.check();
    await connector.close();
    expect(findings).toEqual([{
      level: 'error',
      id: `toast_unchanged:public.${t.staff}`,
      message: `table public.${t.staff}: columns "notes", "picture" can be stored out of line (TOASTed), and under REPLICA IDENTITY DEFAULT an UPDATE that leaves such a value unchanged does not carry it; with toast.unchanged: fail the daemon stops at the first such update`,
      fix: `set toast.unchanged: read-back (the default: the value is read back from the table), or ALTER TABLE "public"."${t.staff}" REPLICA IDENTITY FULL; (every UPDATE and DELETE then logs the whole old row)`,
    }]);
  });

  it('reports a publication that differs from the configuration and a slot in use', async () => {
    const name = connectorName();
    const s = startStream({ name, tables: [`public.${t.good}`] });
    await waitStreaming(sql, name);
    const connector = createPostgresConnector({ name, url: testBed().pgUrl, tables: [`public.${t.good}`, `public.${t.toasty}`], log: silentLogger });
    const found = byId(await connector.check());
    await connector.close();
    await s.stop();
    expect(found.publication_mismatch).toMatchObject({ level: 'warning', message: expect.stringContaining(`lacks public.${t.toasty}`), fix: expect.stringContaining('ALTER PUBLICATION') });
    expect(found.slot_active).toMatchObject({ level: 'warning' });
    expect(found.wal_level).toBeUndefined();
    expect(found.replication_privilege).toBeUndefined();
    expect(found.replication_connection).toBeUndefined();
  });

  it('reports a role that lacks REPLICATION and the privileges to create the publication', async () => {
    const role = uniqueName('chk_role');
    const password = `pw_${uniqueName('x')}`;
    await sql.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    try {
      const url = new URL(testBed().pgUrl);
      url.username = role;
      url.password = password;
      const connector = createPostgresConnector({ name: connectorName(), url: url.toString(), tables: [`public.${t.good}`], log: silentLogger });
      const found = byId(await connector.check());
      await connector.close();
      expect(found.replication_privilege).toMatchObject({ level: 'error', fix: `as a superuser: ALTER ROLE "${role}" REPLICATION;` });
      expect(found.publication_privilege).toMatchObject({ level: 'error', message: expect.stringContaining('no CREATE privilege') });
      expect(found[`publication_privilege:public.${t.good}`]).toMatchObject({ level: 'error', message: expect.stringContaining('does not own') });
    } finally {
      await sql.query(`DROP ROLE ${role}`);
    }
  });

  it('reports an unreachable or refused server as one connection finding', async () => {
    const url = new URL(testBed().pgUrl);
    url.password = 'wrong-password';
    const connector = createPostgresConnector({ name: connectorName(), url: url.toString(), log: silentLogger });
    const findings = await connector.check();
    await connector.close();
    expect(findings).toEqual([{
      level: 'error',
      id: 'connection',
      message: expect.stringContaining('password authentication failed'),
      fix: 'check the user and password of source.url',
    }]);
    expect(JSON.stringify(findings)).not.toContain('wrong-password');
  });
});
