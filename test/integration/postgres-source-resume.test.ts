import { beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { PositionLostError } from '../../src/errors.js';
import { parseLsn } from '../../connectors/postgres/lsn.js';
import { parsePosition } from '../../connectors/postgres/pg-position.js';
import { createPostgresConnector, postgresObjectNames } from '../../connectors/postgres/postgres-connector.js';
import { silentLogger } from '../../src/logger.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { pgTestContext, type Call, currentLsn, dropConnectorObjects, RecordingHandler, recordingLogger, slotRow, startStream, waitStreaming } from './postgres-source-harness.js';

// Restarting from a checkpoint delivers exactly the changes after it (no duplicates, no gaps), and the
// slot's confirmed position moves only on release.

const ctx = pgTestContext();
let sql: pg.Client;
beforeAll(() => {
  sql = ctx.sql();
});

async function setup(): Promise<{ t: string; name: string; tables: string[] }> {
  const t = await ctx.table('resume', 'id int PRIMARY KEY, note text');
  const name = ctx.connectorName();
  return { t, name, tables: [`public.${t}`] };
}

const ids = (handler: RecordingHandler) => handler.changes().map((e) => (e.after ?? e.before)!.id);
const confirmedFlush = async (name: string) => parseLsn((await slotRow(sql, name))!.confirmed_flush_lsn);
const lsnOf = (token: string) => {
  const p = parsePosition(token);
  return p.kind === 'complete' ? p.lsn : p.commitLsn;
};

describe('PostgreSQL source: resume', () => {
  it('from a complete position: delivers exactly the transactions after it, though nothing was released', async () => {
    const { t, name, tables: list } = await setup();
    const s1 = startStream({ name, tables: list });
    await waitStreaming(sql, name);
    await sql.query(`INSERT INTO ${t} VALUES (1, 'a'), (2, 'b')`);
    await sql.query(`INSERT INTO ${t} VALUES (3, 'c')`);
    await waitFor('2 commits', () => (s1.handler.commits().length >= 2 ? true : undefined));
    await s1.stop();
    const checkpoint = s1.handler.commits()[0]!.position;
    await sql.query(`INSERT INTO ${t} VALUES (4, 'd')`);
    // Nothing was released: the slot still holds (and will resend) the first transaction.
    expect(await confirmedFlush(name)).toBeLessThan(lsnOf(checkpoint.token));

    const s2 = startStream({ name, tables: list, from: checkpoint });
    // The commit after id 4 too: a stop between a change and its commit is allowed to cut there.
    await waitFor('id 4 and its commit', () => (ids(s2.handler).includes(4) && s2.handler.commits().length >= 2 ? true : undefined));
    await s2.stop();
    expect(ids(s2.handler)).toEqual([3, 4]);
    expect(s2.handler.withoutHeartbeats().map((c) => c.kind)).toEqual(['change', 'commit', 'change', 'commit']);
    // Heartbeats never go back before the checkpoint.
    for (const h of s2.handler.heartbeats()) expect(lsnOf(h.token)).toBeGreaterThan(lsnOf(checkpoint.token));
  });

  it('from a partial position: skips the first k changes of that transaction', async () => {
    const { t, name, tables: list } = await setup();
    const s1 = startStream({ name, tables: list });
    await waitStreaming(sql, name);
    await sql.query(`INSERT INTO ${t} SELECT g, 'n' || g FROM generate_series(1, 5) AS g`);
    await waitFor('the commit', () => (s1.handler.commits().length >= 1 ? true : undefined));
    await s1.stop();
    const third = s1.handler.changes()[2]!.position;
    const fifth = s1.handler.changes()[4]!.position;
    expect(third.token).toMatch(/#3$/);
    await sql.query(`INSERT INTO ${t} VALUES (6, 'n6')`);

    const log = recordingLogger();
    const s2 = startStream({ name, tables: list, from: third, log });
    await waitFor('id 6 and its commit', () => (ids(s2.handler).includes(6) && s2.handler.commits().length >= 2 ? true : undefined));
    await s2.stop();
    expect(ids(s2.handler)).toEqual([4, 5, 6]);
    // The server resent the whole transaction; its first three changes were skipped here.
    const skipped = log.entries.filter((e) => e.msg === 'skipping what the resume position covers');
    expect(skipped.map((e) => e.obj)).toEqual([{ commit: third.token.slice(4, third.token.indexOf('#')), skip: 3 }]);
    expect(s2.handler.changes().slice(0, 2).map((e) => e.position)).toEqual(s1.handler.changes().slice(3).map((e) => e.position));
    expect(s2.handler.commits()[0]!.position).toEqual(s1.handler.commits()[0]!.position);
    expect(s2.handler.withoutHeartbeats().map((c) => c.kind)).toEqual(['change', 'change', 'commit', 'change', 'commit']);

    // Every change of the transaction handed over, its commit not yet: only the commit comes again.
    const s3 = startStream({ name, tables: list, from: fifth });
    await waitFor('id 6 and its commit', () => (ids(s3.handler).includes(6) && s3.handler.commits().length >= 2 ? true : undefined));
    await s3.stop();
    expect(ids(s3.handler)).toEqual([6]);
    expect(s3.handler.withoutHeartbeats().map((c) => c.kind)).toEqual(['commit', 'change', 'commit']);
  });

  it('moves the slot on release of a complete position only, exactly there and only forwards', async () => {
    const { t, name, tables: list } = await setup();
    const s = startStream({ name, tables: list });
    await waitStreaming(sql, name);
    const created = await confirmedFlush(name);
    await sql.query(`INSERT INTO ${t} VALUES (1, 'a'), (2, 'b')`);
    await sql.query(`INSERT INTO ${t} VALUES (3, 'c')`);
    await waitFor('2 commits', () => (s.handler.commits().length >= 2 ? true : undefined));
    const [c1, c2] = s.handler.commits();

    await s.connector.release(s.handler.changes()[1]!.position); // partial: nothing new
    await sleep(800); // several status intervals
    expect(await confirmedFlush(name)).toBe(created);

    await s.connector.release(c2!.position);
    await waitFor('slot at the second commit', async () => ((await confirmedFlush(name)) === lsnOf(c2!.position.token) ? true : undefined));
    await s.connector.release(c1!.position); // backwards: ignored
    await sleep(800);
    expect(await confirmedFlush(name)).toBe(lsnOf(c2!.position.token));
    await s.stop();

    // A restart from the released position: the server itself starts there.
    await sql.query(`INSERT INTO ${t} VALUES (4, 'd')`);
    const s2 = startStream({ name, tables: list, from: c2!.position });
    await waitFor('id 4', () => (ids(s2.handler).includes(4) ? true : undefined));
    await s2.stop();
    expect(ids(s2.handler)).toEqual([4]);
  });

  it('applies a release made after the stream ended when the next stream starts', async () => {
    const { t, name, tables: list } = await setup();
    // One connector instance streams twice; in between it is told to release (as the pipeline does after its last flush).
    const connector = createPostgresConnector({ name, url: testBed().pgUrl, tables: list, log: silentLogger }, { statusIntervalMs: 300 });
    const handler = new RecordingHandler();
    const first = new AbortController();
    const run1 = connector.stream(null, handler, first.signal);
    await waitStreaming(sql, name);
    await sql.query(`INSERT INTO ${t} VALUES (1, 'a')`);
    await waitFor('commit', () => (handler.commits().length >= 1 ? true : undefined));
    first.abort();
    await run1;
    const commit = handler.commits()[0]!.position;
    await connector.release(commit);
    expect(await confirmedFlush(name)).toBeLessThan(lsnOf(commit.token));
    const second = new AbortController();
    const run2 = connector.stream(commit, new RecordingHandler(), second.signal);
    await waitFor('slot moved', async () => ((await confirmedFlush(name)) === lsnOf(commit.token) ? true : undefined));
    second.abort();
    await run2;
    await connector.close();
  });

  it('refuses to resume when the slot is gone or was confirmed past the checkpoint', async () => {
    const { t, name, tables: list } = await setup();
    // A checkpoint but no slot: the changes since are lost, and no slot is created.
    const orphan = startStream({ name, tables: list, from: { token: 'pg1:0/16B3780', display: 'lsn 0/16B3780' } });
    await orphan.ended;
    expect(orphan.error()).toBeInstanceOf(PositionLostError);
    expect((orphan.error() as Error).message).toMatch(/does not exist on this server but the checkpoint \(lsn 0\/16B3780\) needs it.*re-snapshot/);
    expect(await slotRow(sql, name)).toBeUndefined();
    await orphan.connector.close();

    const s = startStream({ name, tables: list });
    await waitStreaming(sql, name);
    await sql.query(`INSERT INTO ${t} VALUES (1, 'a')`);
    await sql.query(`INSERT INTO ${t} VALUES (2, 'b')`);
    await waitFor('2 commits', () => (s.handler.commits().length >= 2 ? true : undefined));
    const [c1, c2] = s.handler.commits();
    await s.connector.release(c2!.position);
    await waitFor('slot moved', async () => ((await confirmedFlush(name)) === lsnOf(c2!.position.token) ? true : undefined));
    await s.stop();
    const behind = startStream({ name, tables: list, from: c1!.position });
    await behind.ended;
    expect(behind.error()).toBeInstanceOf(PositionLostError);
    expect((behind.error() as Error).message).toContain(`confirmed up to ${c2!.position.token.slice(4)}, past the checkpoint (${c1!.position.display})`);
    await behind.connector.close();
  });
});

describe('PostgreSQL source: heartbeats and keepalives', () => {
  it('reports heartbeats while only unpublished tables are written, and a released heartbeat moves the slot', async () => {
    const { name, tables: list } = await setup();
    const other = await ctx.table('unpublished', 'id int PRIMARY KEY');
    const s = startStream({ name, tables: list });
    await waitStreaming(sql, name);
    const before = await confirmedFlush(name);
    await sql.query(`INSERT INTO ${other} SELECT generate_series(1, 100)`);
    await sql.query(`INSERT INTO ${other} VALUES (1000)`);
    const written = parseLsn(await currentLsn(sql));
    const heartbeat = await waitFor('a heartbeat past the writes', () => s.handler.heartbeats().find((h) => lsnOf(h.token) >= written));
    expect(s.handler.changes()).toEqual([]);
    expect(s.handler.commits()).toEqual([]);
    expect(parsePosition(heartbeat.token).kind).toBe('complete');
    expect(heartbeat.display).toMatch(/^lsn /);
    expect(await confirmedFlush(name)).toBe(before);

    await s.connector.release(heartbeat);
    await waitFor('slot at the heartbeat', async () => ((await confirmedFlush(name)) === lsnOf(heartbeat.token) ? true : undefined));
    // Heartbeats only move forward.
    const lsns = s.handler.heartbeats().map((h) => lsnOf(h.token));
    for (let i = 1; i < lsns.length; i++) expect(lsns[i]!).toBeGreaterThan(lsns[i - 1]!);
    await s.stop();
  });

  it('keeps the session alive past wal_sender_timeout, also while the handler is busy', async () => {
    // A role whose walsenders time out after 2 s (a role setting, not a server-wide one).
    const role = uniqueName('wst');
    const password = `pw_${uniqueName('x')}`;
    await sql.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${password}'`);
    await sql.query(`ALTER ROLE ${role} SET wal_sender_timeout = '2s'`);
    const url = new URL(testBed().pgUrl);
    url.username = role;
    url.password = password;
    const { t, name, tables: list } = await setup();
    try {
      const s = startStream({
        name,
        tables: list,
        url: url.toString(),
        tuning: { statusIntervalMs: 500 },
        handler: new RecordingHandler(async (call: Call) => {
          // The first change takes longer than wal_sender_timeout to hand over (a slow Kafka).
          if (call.kind === 'change' && call.event.after?.id === 1) await sleep(5_000);
        }),
      });
      const pid = await waitStreaming(sql, name);
      const { rows } = await sql.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND usename = $2`, [pid, role]);
      expect(rows).toHaveLength(1);
      await sql.query(`INSERT INTO ${t} VALUES (1, 'slow')`);
      await sql.query(`INSERT INTO ${t} VALUES (2, 'after')`);
      await waitFor('both commits', () => (s.handler.commits().length >= 2 || s.error() ? true : undefined), 20_000);
      await sleep(5_000); // idle, past the timeout again
      expect(s.error()).toBeUndefined();
      expect((await slotRow(sql, name))?.active_pid).toBe(pid); // the same walsender all along
      expect(ids(s.handler)).toEqual([1, 2]);
      await s.stop();
    } finally {
      await dropConnectorObjects(sql, name);
      await sql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]);
      await waitFor('role sessions ended', async () => ((await sql.query('SELECT 1 FROM pg_stat_activity WHERE usename = $1', [role])).rows.length === 0 ? true : undefined));
      await sql.query(`DROP ROLE ${role}`);
    }
  }, 40_000);
});

describe('PostgreSQL source: naming', () => {
  it('names slot and publication after the connector', async () => {
    const { name, tables: list } = await setup();
    const s = startStream({ name, tables: list });
    await waitStreaming(sql, name);
    await s.stop();
    const { slot, publication } = postgresObjectNames(name);
    expect(slot).toBe(`logtap_${name}`);
    const { rows } = await sql.query('SELECT plugin, slot_type FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    expect(rows).toEqual([{ plugin: 'pgoutput', slot_type: 'logical' }]);
    const { rows: pubTables } = await sql.query('SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1', [publication]);
    expect(pubTables).toEqual([{ schemaname: 'public', tablename: list[0]!.slice('public.'.length) }]);
  });
});
