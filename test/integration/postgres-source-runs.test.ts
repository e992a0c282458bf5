import { beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { ChangeEvent, SourcePosition } from '../../src/model/change-event.js';
import type { SourceHandler } from '../../src/source/source-connector.js';
import { parseLsn } from '../../connectors/postgres/lsn.js';
import { parsePosition } from '../../connectors/postgres/pg-position.js';
import { waitFor } from '../helpers/wait.js';
import { pgTestContext, RecordingHandler, slotRow, startStream, waitStreaming } from './postgres-source-harness.js';

// Live streaming hands what one socket read delivers over in one run (arrival-queue.ts): many small transactions
// written at once still arrive change, commit, change, commit, in log order; a keepalive behind them never reports a
// position before their commits; releasing the last commit moves the slot exactly there. Once with a handler that
// awaits every call, once with one that takes every call at once (the pipeline's fast path).

const ctx = pgTestContext();
let sql: pg.Client;
beforeAll(() => {
  sql = ctx.sql();
});

const lsnOf = (token: string) => {
  const p = parsePosition(token);
  return p.kind === 'complete' ? p.lsn : p.commitLsn;
};

/** Records like RecordingHandler, but returns nothing: every call is taken at once. */
class TakingHandler implements SourceHandler {
  readonly calls: Array<{ kind: 'change'; event: ChangeEvent } | { kind: 'commit' | 'heartbeat'; position: SourcePosition }> = [];
  onChange(event: ChangeEvent): void {
    this.calls.push({ kind: 'change', event });
  }
  onCommit(position: SourcePosition): void {
    this.calls.push({ kind: 'commit', position });
  }
  onHeartbeat(position: SourcePosition): void {
    this.calls.push({ kind: 'heartbeat', position });
  }
}

const TRANSACTIONS = 40;

describe('PostgreSQL source: a read of many transactions', () => {
  for (const variant of ['awaiting', 'taking at once'] as const) {
    it(`hands them over in log order, keepalives behind them, and releases to the last commit (handler ${variant})`, async () => {
      const t = await ctx.table('runs', 'id int PRIMARY KEY, note text');
      const name = ctx.connectorName();
      const recording = variant === 'awaiting' ? new RecordingHandler() : new TakingHandler();
      const s = startStream({ name, tables: [`public.${t}`], handler: recording as RecordingHandler });
      await waitStreaming(sql, name);
      // One simple query, many transactions: the walsender sends them back to back.
      await sql.query(Array.from({ length: TRANSACTIONS }, (_, i) => `BEGIN; INSERT INTO ${t} VALUES (${i + 1}, 'n'); COMMIT;`).join(' '));
      const commits = () => recording.calls.filter((c) => c.kind === 'commit').map((c) => (c as { position: SourcePosition }).position);
      await waitFor(`${TRANSACTIONS} commits`, () => (commits().length >= TRANSACTIONS ? true : undefined));
      const lastCommit = commits()[TRANSACTIONS - 1]!;
      // A keepalive after the run (the status interval asks for one) reports progress once the WAL moved past the
      // last commit: a message of another application's prefix moves it and is ignored.
      await sql.query(`SELECT pg_logical_emit_message(false, 'logtap-test-other', 'x')`);
      await waitFor('a heartbeat after the last commit', () => {
        const at = recording.calls.findIndex((c) => c.kind === 'commit' && c.position.token === lastCommit.token);
        return recording.calls.slice(at + 1).some((c) => c.kind === 'heartbeat') ? true : undefined;
      });
      await s.connector.release(lastCommit);
      await waitFor('slot at the last commit', async () => (parseLsn((await slotRow(sql, name))!.confirmed_flush_lsn) === lsnOf(lastCommit.token) ? true : undefined));
      await s.stop();

      const calls = recording.calls.filter((c) => c.kind !== 'heartbeat');
      expect(calls.map((c) => c.kind)).toEqual(Array.from({ length: TRANSACTIONS }, () => ['change', 'commit']).flat());
      const ids = calls.flatMap((c) => (c.kind === 'change' ? [c.event.after!.id] : []));
      expect(ids).toEqual(Array.from({ length: TRANSACTIONS }, (_, i) => i + 1));
      // Each change belongs to the commit after it; commits move forwards.
      let previous = 0n;
      for (let i = 0; i < calls.length; i += 2) {
        const change = calls[i] as { event: ChangeEvent };
        const commit = calls[i + 1] as { position: SourcePosition };
        expect(lsnOf(commit.position.token)).toBeGreaterThan(previous);
        expect(lsnOf(change.event.position.token)).toBeLessThan(lsnOf(commit.position.token));
        previous = lsnOf(commit.position.token);
      }
      // A heartbeat never reports a position before a commit handed over ahead of it.
      let reached = 0n;
      for (const c of recording.calls) {
        if (c.kind === 'commit') reached = lsnOf(c.position.token);
        if (c.kind === 'heartbeat') expect(lsnOf(c.position.token)).toBeGreaterThanOrEqual(reached);
      }
    });
  }
});
