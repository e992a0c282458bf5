import { beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { ConfigError, ConnectionError, LogtapError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { createPostgresConnector } from '../../connectors/postgres/postgres-connector.js';
import { SourceSetupError } from '../../connectors/postgres/pg-errors.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { admin, pgTestContext, connectionsOf, RecordingHandler, slotRow, startStream, waitStreaming } from './postgres-source-harness.js';

// Each bad input or failure ends `stream` with one clear line, the right error class and retriability,
// without the password, and with every connection closed.

const ctx = pgTestContext();
let sql: pg.Client;
beforeAll(() => {
  sql = ctx.sql();
});

async function setup(): Promise<{ t: string; name: string; tables: string[] }> {
  const t = await ctx.table('errs', 'id int PRIMARY KEY');
  const name = ctx.connectorName();
  return { t, name, tables: [`public.${t}`] };
}

function urlWith(change: (url: URL) => void): string {
  const url = new URL(testBed().pgUrl);
  change(url);
  return url.toString();
}

/** Streams once with these options and returns how it failed. */
async function failure(options: { name: string; url: string; tables?: string[] }): Promise<LogtapError> {
  const connector = createPostgresConnector({ ...options, log: silentLogger });
  try {
    await connector.stream(null, new RecordingHandler(), new AbortController().signal);
  } catch (err) {
    expect(err).toBeInstanceOf(LogtapError);
    expect((err as Error).message).not.toContain('\n');
    return err as LogtapError;
  } finally {
    await connector.close();
  }
  throw new Error('the stream did not fail');
}

describe('PostgreSQL source: bad input', () => {
  it('a wrong password: not retriable, names the user, never shows the password', async () => {
    const { name, tables: list } = await setup();
    const secret = 'Secret-Pa55word!';
    const url = urlWith((u) => {
      u.password = secret;
    });
    const err = await failure({ name, url, tables: list });
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.retriable).toBe(false);
    expect(err.message).toMatch(/cannot log in to PostgreSQL at 127\.0\.0\.1:\d+\/\w+ as "postgres": password authentication failed/);
    expect(err.message).not.toContain(secret);
    expect(err.message).not.toContain(encodeURIComponent(secret));
    expect(JSON.stringify(err)).not.toContain(secret);
  });

  it('an unknown host or a closed port: retriable ConnectionError', async () => {
    const { name, tables: list } = await setup();
    const unknown = await failure({ name, url: urlWith((u) => { u.hostname = 'no-such-host.invalid'; }), tables: list });
    expect(unknown).toBeInstanceOf(ConnectionError);
    expect(unknown.retriable).toBe(true);
    expect(unknown.message).toMatch(/cannot reach PostgreSQL at no-such-host\.invalid:\d+ while connecting: (unknown host|host name lookup failed)/);
    const closed = await failure({ name, url: urlWith((u) => { u.port = '1'; }), tables: list });
    expect(closed).toBeInstanceOf(ConnectionError);
    expect(closed.message).toBe('cannot reach PostgreSQL at 127.0.0.1:1 while connecting: connection refused');
  });

  it('a database that does not exist: ConfigError naming it', async () => {
    const { name, tables: list } = await setup();
    const err = await failure({ name, url: urlWith((u) => { u.pathname = '/no_such_db'; }), tables: list });
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/database "no_such_db" does not exist/);
  });

  it('a configured table that does not exist: ConfigError naming it, nothing created', async () => {
    const { name, tables: list } = await setup();
    const err = await failure({ name, url: testBed().pgUrl, tables: [...list, 'public.no_such_table'] });
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/^table public\.no_such_table \(source\.tables\) does not exist in database "\w+" — create it or remove it from source\.tables$/);
    expect(await slotRow(sql, name)).toBeUndefined();
    const { rows } = await sql.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [`logtap_${name}`]);
    expect(rows).toEqual([]);
  });

  it('a view in source.tables: ConfigError saying it is not a table', async () => {
    const { t, name } = await setup();
    const view = uniqueName('view');
    await sql.query(`CREATE VIEW ${view} AS SELECT * FROM ${t}`);
    try {
      const err = await failure({ name, url: testBed().pgUrl, tables: [`public.${view}`] });
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toContain(`public.${view} (source.tables) is a view, not a table`);
    } finally {
      await sql.query(`DROP VIEW ${view}`);
    }
  });

  it('a role without REPLICATION: not retriable, with the ALTER ROLE fix', async () => {
    const { t, name, tables: list } = await setup();
    const role = uniqueName('norepl');
    const password = `pw_${uniqueName('x')}`;
    await sql.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await sql.query(`ALTER TABLE ${t} OWNER TO ${role}`);
    try {
      const url = urlWith((u) => {
        u.username = role;
        u.password = password;
      });
      const err = await failure({ name, url, tables: list });
      expect(err).toBeInstanceOf(SourceSetupError);
      expect(err.retriable).toBe(false);
      expect(err.message).toBe(`role "${role}" may not stream changes: it lacks the REPLICATION attribute — run ALTER ROLE "${role}" REPLICATION; as a superuser`);
      expect(err.message).not.toContain(password);
      // Refused before anything was created.
      expect(await slotRow(sql, name)).toBeUndefined();
    } finally {
      await sql.query(`ALTER TABLE ${t} OWNER TO CURRENT_USER`);
      await sql.query(`DROP ROLE ${role}`);
    }
  });

  it('an empty table list or a position of another connector: ConfigError', async () => {
    const { name } = await setup();
    expect(() => createPostgresConnector({ name, url: testBed().pgUrl, tables: [], log: silentLogger })).toThrow(ConfigError);
    const connector = createPostgresConnector({ name, url: testBed().pgUrl, log: silentLogger });
    await expect(connector.stream({ token: 'mysql1:binlog.000001:4', display: 'x' }, new RecordingHandler(), new AbortController().signal)).rejects.toThrow(ConfigError);
    await connector.close();
  });
});

describe('PostgreSQL source: connections lost mid-stream', () => {
  it('the walsender terminated: the stream rejects with a retriable ConnectionError and closes its connections', async () => {
    const { t, name, tables: list } = await setup();
    const s = startStream({ name, tables: list });
    const pid = await waitStreaming(sql, name);
    await sql.query(`INSERT INTO ${t} VALUES (1)`);
    await waitFor('commit', () => (s.handler.commits().length >= 1 ? true : undefined));
    await sql.query('SELECT pg_terminate_backend($1)', [pid]);
    await s.ended;
    const err = s.error();
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).retriable).toBe(true);
    expect((err as Error).message).toMatch(/PostgreSQL at 127\.0\.0\.1:\d+\/\w+ closed the connection while streaming: terminating connection due to administrator command/);
    await waitFor('connections closed', async () => ((await connectionsOf(sql, name)) === 0 ? true : undefined));

    // The pipeline's restart: a new stream from the last commit goes on where it stopped.
    await sql.query(`INSERT INTO ${t} VALUES (2)`);
    const again = startStream({ name, tables: list, from: s.handler.commits()[0]!.position });
    await waitFor('id 2', () => (again.handler.changes().length >= 1 ? true : undefined));
    await again.stop();
    expect(again.handler.changes().map((e) => e.after!.id)).toEqual([2]);
  });

  it('the catalog connection terminated: the stream rejects with a retriable ConnectionError', async () => {
    const { name, tables: list } = await setup();
    const s = startStream({ name, tables: list });
    await waitStreaming(sql, name);
    const { rows } = await sql.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [`logtap:${name}:catalog`]);
    expect(rows).toHaveLength(1);
    await sql.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await s.ended;
    expect(s.error()).toBeInstanceOf(ConnectionError);
    expect((s.error() as Error).message).toMatch(/reading the catalog|closed the connection/);
    await waitFor('connections closed', async () => ((await connectionsOf(sql, name)) === 0 ? true : undefined));
  });

  it('close() ends a running stream, which resolves, and closes every connection', async () => {
    const { name, tables: list } = await setup();
    const connector = createPostgresConnector({ name, url: testBed().pgUrl, tables: list, log: silentLogger });
    const run = connector.stream(null, new RecordingHandler(), new AbortController().signal);
    await waitStreaming(sql, name);
    expect(await connectionsOf(sql, name)).toBe(2); // catalog + replication
    await expect(connector.stream(null, new RecordingHandler(), new AbortController().signal)).rejects.toThrow(/already streaming/);
    await connector.close();
    await expect(run).resolves.toBeUndefined();
    await waitFor('connections closed', async () => ((await connectionsOf(sql, name)) === 0 ? true : undefined));
    await expect(connector.stream(null, new RecordingHandler(), new AbortController().signal)).rejects.toThrow(/closed/);
  });

  it('an abort while the slot is being created (waiting for open transactions) ends the stream at once', async () => {
    const { t, name, tables: list } = await setup();
    const blocker = await admin();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`INSERT INTO ${t} VALUES (1)`);
      const abort = new AbortController();
      const connector = createPostgresConnector({ name, url: testBed().pgUrl, tables: list, log: silentLogger });
      const run = connector.stream(null, new RecordingHandler(), abort.signal);
      await waitFor('slot creation waiting', async () => {
        const { rows } = await sql.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%pg_create_logical_replication_slot%' AND state = 'active'`, [`logtap:${name}:catalog`]);
        return rows.length > 0 ? true : undefined;
      });
      const started = Date.now();
      abort.abort();
      await expect(run).resolves.toBeUndefined();
      expect(Date.now() - started).toBeLessThan(2_000);
      await connector.close();
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
  });

  it('a handler failure ends the stream with that very error', async () => {
    const { t, name, tables: list } = await setup();
    const boom = new Error('sink is down');
    const s = startStream({ name, tables: list, handler: new RecordingHandler((call) => { if (call.kind === 'change') throw boom; }) });
    await waitStreaming(sql, name);
    await sql.query(`INSERT INTO ${t} VALUES (1)`);
    await sql.query(`INSERT INTO ${t} VALUES (2)`);
    await s.ended;
    expect(s.error()).toBe(boom);
    expect(s.handler.calls.filter((c) => c.kind === 'change')).toHaveLength(1);
    await waitFor('connections closed', async () => ((await connectionsOf(sql, name)) === 0 ? true : undefined));
    await s.connector.close();
  });
});
