import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type mysql from 'mysql2/promise';
import { ConfigError, ConnectionError, LogtapError, PositionLostError } from '../../src/errors.js';
import type { SourcePosition } from '../../src/model/change-event.js';
import { createMysqlConnector } from '../../connectors/mysql/mysql-connector.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { adminConnection, capturingLogger, currentGtidToken, Recorder, sourceUrl, startStream } from './mysql-source-recorder.js';

/** Streams with a fresh connector and returns how the stream ended (it must end by itself, within the test's time). */
async function streamOutcome(url: string, options: { tables?: string[]; from?: SourcePosition | null; name?: string; abortAfterMs?: number } = {}): Promise<unknown> {
  const connector = createMysqlConnector({ name: options.name ?? uniqueName('fail'), url, tables: options.tables, log: capturingLogger() });
  const abort = new AbortController();
  if (options.abortAfterMs !== undefined) setTimeout(() => abort.abort(), options.abortAfterMs);
  try {
    await connector.stream(options.from ?? null, new Recorder(), abort.signal);
    return undefined;
  } catch (err) {
    return err;
  } finally {
    await connector.close();
  }
}

function expectOneLine(err: unknown): void {
  expect(err).toBeInstanceOf(LogtapError);
  expect((err as Error).message).not.toContain('\n');
}

describe('MySQL source connector on MariaDB: failures', () => {
  const database = uniqueName('mysqlfail');
  const user = uniqueName('norepl');
  const password = 'S3cret-pw_x';
  let sql: mysql.Connection;

  beforeAll(async () => {
    sql = await adminConnection();
    await sql.query(`CREATE DATABASE ${database}`);
    await sql.query(`CREATE TABLE ${database}.t (id INT PRIMARY KEY)`);
    await sql.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
    await sql.query(`GRANT SELECT ON ${database}.* TO '${user}'@'%'`);
  });

  afterAll(async () => {
    await sql.query(`DROP USER IF EXISTS '${user}'@'%'`);
    await sql.query(`DROP DATABASE IF EXISTS ${database}`);
    await sql.end();
  });

  it('rejects with a retriable ConnectionError and closes everything when the server kills the binlog dump', async () => {
    const run = await startStream({ url: sourceUrl(database, { heartbeat_interval_ms: '500' }), tables: [`${database}.t`] });
    const threadId = await run.threadId();
    await sql.query(`INSERT INTO ${database}.t VALUES (1)`);
    await waitFor('the first commit', () => (run.recorder.commits.length >= 1 ? true : undefined));
    await sql.query(`KILL ${threadId}`);
    await waitFor('the stream to end', async () => {
      await Promise.race([run.done, new Promise((resolve) => setTimeout(resolve, 100))]);
      return run.error() ?? undefined;
    }, 15_000);
    const err = run.error();
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as LogtapError).retriable).toBe(true);
    expectOneLine(err);
    // Nothing of the stream is left on the server.
    await waitFor('the dump thread to be gone', async () => {
      const [rows] = await sql.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?', [threadId]);
      return Number(rows[0]!.n) === 0 ? true : undefined;
    });
    await run.stop();
  });

  it('rejects a second connector with the same server id: the first one is kicked off and may retry', async () => {
    const name = uniqueName('samename');
    const first = await startStream({ url: sourceUrl(database), name, tables: [`${database}.t`] });
    const second = await startStream({ url: sourceUrl(database), name, tables: [`${database}.t`] });
    try {
      await waitFor('the first stream to end', () => first.error() ?? undefined, 15_000);
      expect(first.error()).toBeInstanceOf(ConnectionError);
      expect((first.error() as Error).message).toContain("another replica connected with this connector's server id");
      expect((first.error() as LogtapError).retriable).toBe(true);
      expect(second.error()).toBeUndefined();
    } finally {
      await first.stop();
      await second.stop();
    }
  });

  it('refuses wrong credentials without retrying and without showing the password', async () => {
    const url = new URL(sourceUrl(database));
    url.password = 'wrong-Passw0rd';
    const err = await streamOutcome(url.toString());
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as LogtapError).retriable).toBe(false);
    expect((err as Error).message).toMatch(/access denied for user '.+' \(connecting\): check the user name and password/);
    expect((err as Error).message).not.toContain('wrong-Passw0rd');
    expectOneLine(err);
    const check = await createMysqlConnector({ name: 'x', url: url.toString(), log: capturingLogger() }).check().catch((e: unknown) => e);
    expect(check).toBeInstanceOf(ConfigError);
  });

  it('reports an unreachable port as a retriable ConnectionError', async () => {
    const url = new URL(sourceUrl(database));
    url.port = '1';
    const err = await streamOutcome(url.toString());
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as LogtapError).retriable).toBe(true);
    expect((err as Error).message).toContain('connection refused');
    expectOneLine(err);
  });

  it('refuses a user without replication grants, naming the grant to give', async () => {
    const url = new URL(sourceUrl(database));
    url.username = user;
    url.password = password;
    const err = await streamOutcome(url.toString(), { tables: [`${database}.t`] });
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as LogtapError).retriable).toBe(false);
    expect((err as Error).message).toContain(`GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '${user}'`);
    expect((err as Error).message).not.toContain(password);
    expectOneLine(err);
    const findings = await createMysqlConnector({ name: 'x', url: url.toString(), tables: [`${database}.t`], log: capturingLogger() }).check();
    expect(findings.filter((f) => f.level === 'error').map((f) => f.id)).toEqual(['replication_privilege', 'replication_client_privilege']);
  });

  it('names a configured table that does not exist', async () => {
    const err = await streamOutcome(sourceUrl(database), { tables: [`${database}.t`, `${database}.nope`] });
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(`configured table ${database}.nope does not exist`);
  });

  it('refuses a position token it did not write', async () => {
    const err = await streamOutcome(sourceUrl(database), { from: { token: 'pg1:0/16B3748', display: '0/16B3748' } });
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('is not a MySQL binlog position');
  });

  // Exactly-once depends on it: once the handler rejected, nothing after that call is handed over — not the other
  // rows of the same event, not the commit, not a later transaction or heartbeat — and `stream` rejects with it.
  for (const when of ['at once', 'once the rest of the binlog is queued behind it'] as const) {
    it(`a handler that throws on the first change (${when}) gets no later call of that stream, which rejects with its error`, async () => {
      const table = uniqueName('stop');
      await sql.query(`CREATE TABLE ${database}.${table} (id INT PRIMARY KEY)`);
      const boom = new Error('sink refused the change');
      let written!: () => void;
      const allWritten = new Promise<void>((resolve) => { written = resolve; });
      const recorder = new Recorder();
      let failedAt = -1;
      recorder.slow = async (call) => {
        if (call.kind !== 'change' || failedAt >= 0) return;
        failedAt = recorder.calls.length - 1;
        if (when !== 'at once') await allWritten;
        throw boom;
      };
      const run = await startStream({ url: sourceUrl(database, { heartbeat_interval_ms: '200' }), tables: [`${database}.${table}`], recorder });
      await run.threadId();
      await sql.query(`INSERT INTO ${database}.${table} VALUES (1), (2), (3)`);
      await sql.query(`BEGIN; INSERT INTO ${database}.${table} VALUES (4); UPDATE ${database}.${table} SET id = 40 WHERE id = 4; COMMIT`);
      await sql.query(`INSERT INTO ${database}.${table} VALUES (5)`);
      // Time for the reader to queue the later events (and a heartbeat or two) behind the failing call.
      await new Promise((resolve) => setTimeout(resolve, 500));
      written();
      await run.done;
      expect(run.error()).toBe(boom);
      expect(failedAt).toBeGreaterThanOrEqual(0);
      expect(recorder.calls[failedAt]).toMatchObject({ kind: 'change', event: { op: 'c', after: { id: 1 } } });
      expect(recorder.calls.slice(failedAt + 1)).toEqual([]);
      await run.stop();
      expect(recorder.calls.slice(failedAt + 1)).toEqual([]);
    });
  }

  // Last: purging binlogs affects every user of the shared server, so it happens once, and only to files older than
  // the current one.
  it('reports a checkpoint in purged binlogs as PositionLostError, with how to recover', { timeout: 60_000 }, async () => {
    const [before] = await sql.query<mysql.RowDataPacket[]>('SHOW BINARY LOGS');
    const oldestFile = String(before[0]!.Log_name);
    await sql.query(`INSERT INTO ${database}.t VALUES (1000)`);
    await sql.query('FLUSH BINARY LOGS');
    // A state whose next transactions are all in the file just opened: still held after the purge.
    const heldGtid = await currentGtidToken(sql);
    const [after] = await sql.query<mysql.RowDataPacket[]>('SHOW BINARY LOGS');
    const current = String(after.at(-1)!.Log_name);
    // The server keeps a file until its binlog checkpoint has passed (and while a client reads it): retry a while.
    const files = await waitFor('the oldest binlog to be purged', async () => {
      await sql.query(`PURGE BINARY LOGS TO '${current}'`);
      const [remaining] = await sql.query<mysql.RowDataPacket[]>('SHOW BINARY LOGS');
      const names = remaining.map((r) => String(r.Log_name));
      return names.includes(oldestFile) ? undefined : names;
    }, 20_000, 500);

    const fileToken = `my1:file=${oldestFile}:4#0`;
    const fileErr = await streamOutcome(sourceUrl(database), { from: { token: fileToken, display: fileToken } });
    expect(fileErr).toBeInstanceOf(PositionLostError);
    expect((fileErr as Error).message).toContain('no longer holds the binlog from the checkpoint on');
    expect((fileErr as Error).message).toContain('To recover');
    expectOneLine(fileErr);

    // A GTID older than what the oldest remaining file starts after (its Gtid_list) was in a purged file.
    const [events] = await sql.query<mysql.RowDataPacket[]>(`SHOW BINLOG EVENTS IN '${files[0]}' LIMIT 5`);
    const list = /\[(\d+)-(\d+)-(\d+)/.exec(String(events.find((e) => e.Event_type === 'Gtid_list')?.Info ?? ''));
    expect(list, 'the oldest binlog names the GTIDs before it').not.toBeNull();
    const [, domain, server, seq] = list!;
    expect(Number(seq)).toBeGreaterThan(1);
    const purged = `my1:gtid=${domain}-${server}-${Number(seq) - 1}`;
    const gtidErr = await streamOutcome(sourceUrl(database), { from: { token: purged, display: purged } });
    expect(gtidErr).toBeInstanceOf(PositionLostError);
    expect((gtidErr as Error).message).toContain('Could not find GTID state');
    expectOneLine(gtidErr);
    // A position whose next transactions the remaining binlogs hold: streaming from it works.
    expect(await streamOutcome(sourceUrl(database), { from: heldGtid, abortAfterMs: 500 })).toBeUndefined();
  });
});
