import { beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { EncodingError } from '../../src/errors.js';
import { waitFor } from '../helpers/wait.js';
import { type Call, RecordingHandler, connectionsOf, currentLsn, pgTestContext, startStream, waitStreaming } from './postgres-source-harness.js';

// Exactly-once depends on it: once handling a message failed (the handler rejected, or the connector
// itself could not translate it), nothing after that message reaches the handler — not the rest of its
// transaction, not its commit, not a later transaction or heartbeat — and `stream` rejects with the error.
// pg-logical-replication's flow control keeps delivering queued messages after a 'data' handler failed,
// so the connector must not rely on the library to stop.

const ctx = pgTestContext();
let sql: pg.Client;
const { table, connectorName } = ctx;
beforeAll(() => {
  sql = ctx.sql();
});

const OUTBOX_IN_TX = `SELECT pg_logical_emit_message(true, 'logtap.outbox', '{"topic":"stop.events","key":"1","value":1}')`;
const OUTBOX_OUTSIDE = `SELECT pg_logical_emit_message(false, 'logtap.outbox', '{"topic":"stop.events","key":"2","value":2}')`;

/** Writes a transaction (row, outbox message, row), an outbox message outside it, and two more transactions. */
async function writeLog(t: string): Promise<void> {
  await sql.query('BEGIN');
  await sql.query(`INSERT INTO ${t} VALUES (1)`);
  await sql.query(OUTBOX_IN_TX);
  await sql.query(`INSERT INTO ${t} VALUES (2)`);
  await sql.query('COMMIT');
  await sql.query(OUTBOX_OUTSIDE);
  await sql.query(`INSERT INTO ${t} VALUES (3)`);
  await sql.query(`INSERT INTO ${t} VALUES (4)`);
}

/** Waits until the connector's walsender has sent everything written so far (it then sits in the client's queue). */
async function waitSent(name: string): Promise<void> {
  const end = await currentLsn(sql);
  await waitFor('the walsender to send the whole log', async () => {
    const { rows } = await sql.query<{ sent: boolean }>(
      `SELECT sent_lsn >= $1::pg_lsn AS sent FROM pg_stat_replication WHERE application_name = $2`,
      [end, `logtap:${name}:replication`],
    );
    return rows[0]?.sent ? true : undefined;
  }, 10_000, 50);
}

/** A handler that fails the first call `fails` picks, after `before` has settled. */
function failingHandler(fails: (call: Call) => boolean, error: Error, before: () => Promise<void> = async () => {}): { handler: RecordingHandler; failedAt: () => number } {
  let failedAt = -1;
  const handler: RecordingHandler = new RecordingHandler(async (call) => {
    if (failedAt >= 0 || !fails(call)) return;
    failedAt = handler.calls.length - 1;
    await before();
    throw error;
  });
  return { handler, failedAt: () => failedAt };
}

/** After the stream ended and its connections closed: nothing came after the call at `index`. */
async function expectNothingAfter(name: string, handler: RecordingHandler, index: number): Promise<void> {
  await waitFor('connections closed', async () => ((await connectionsOf(sql, name)) === 0 ? true : undefined));
  expect(index).toBeGreaterThanOrEqual(0);
  expect(handler.calls.slice(index + 1)).toEqual([]);
}

describe('PostgreSQL source: nothing is handed over after a failure', () => {
  it('a handler that throws on the first change gets no later call of that stream, which rejects with its error', async () => {
    const t = await table('stop_now', 'id int PRIMARY KEY');
    const name = connectorName();
    const boom = new Error('sink refused the change');
    const { handler, failedAt } = failingHandler((call) => call.kind === 'change', boom);
    const s = startStream({ name, tables: [`public.${t}`], handler });
    await waitStreaming(sql, name);
    await writeLog(t);
    await s.ended;
    expect(s.error()).toBe(boom);
    await expectNothingAfter(name, handler, failedAt());
    expect(handler.calls[failedAt()]).toMatchObject({ kind: 'change', event: { op: 'c', after: { id: 1 } } });
    await s.connector.close();
  });

  it('a handler that rejects on the first change while the rest of the log is queued behind it gets no later call', async () => {
    const t = await table('stop_queued', 'id int PRIMARY KEY');
    const name = connectorName();
    const boom = new Error('sink refused the change');
    let allSent!: () => void;
    const sent = new Promise<void>((resolve) => { allSent = resolve; });
    const { handler, failedAt } = failingHandler((call) => call.kind === 'change', boom, () => sent);
    const s = startStream({ name, tables: [`public.${t}`], handler });
    await waitStreaming(sql, name);
    await writeLog(t);
    await waitSent(name);
    allSent();
    await s.ended;
    expect(s.error()).toBe(boom);
    await expectNothingAfter(name, handler, failedAt());
    expect(handler.calls[failedAt()]).toMatchObject({ kind: 'change', event: { op: 'c', after: { id: 1 } } });
    await s.connector.close();
  });

  it('a handler that rejects an outbox message gets neither the rest of its transaction nor anything later', async () => {
    const t = await table('stop_msg', 'id int PRIMARY KEY');
    const name = connectorName();
    const boom = new Error('cannot create the outbox topic');
    let allSent!: () => void;
    const sent = new Promise<void>((resolve) => { allSent = resolve; });
    const { handler, failedAt } = failingHandler((call) => call.kind === 'message', boom, () => sent);
    const s = startStream({ name, tables: [`public.${t}`], handler });
    await waitStreaming(sql, name);
    await writeLog(t);
    await waitSent(name);
    allSent();
    await s.ended;
    expect(s.error()).toBe(boom);
    await expectNothingAfter(name, handler, failedAt());
    expect(handler.withoutHeartbeats().map((c) => c.kind)).toEqual(['change', 'message']);
    await s.connector.close();
  });

  it('a message the connector cannot translate ends the stream before anything after it is handed over', async () => {
    const t = await table('stop_bad', 'id int PRIMARY KEY');
    const name = connectorName();
    const s = startStream({ name, tables: [`public.${t}`] });
    await waitStreaming(sql, name);
    await sql.query('BEGIN');
    await sql.query(`INSERT INTO ${t} VALUES (1)`);
    await sql.query(`SELECT pg_logical_emit_message(true, 'logtap.outbox', '{"key":"no topic"}')`);
    await sql.query(`INSERT INTO ${t} VALUES (2)`);
    await sql.query('COMMIT');
    await sql.query(OUTBOX_OUTSIDE);
    await sql.query(`INSERT INTO ${t} VALUES (3)`);
    await s.ended;
    expect(s.error()).toBeInstanceOf(EncodingError);
    const first = s.handler.calls.findIndex((c) => c.kind === 'change');
    await expectNothingAfter(name, s.handler, first);
    expect(s.handler.calls[first]).toMatchObject({ kind: 'change', event: { after: { id: 1 } } });
    await s.connector.close();
  });
});
