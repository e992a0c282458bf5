import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';
import { type Call, type RunningStream, admin, plain, startStream, waitStreaming } from './postgres-source-harness.js';

// pgoutput streaming of in-progress transactions (connectors/postgres/stream-spool.ts): the server sends a
// large transaction's changes while it runs (logical_decoding_work_mem lowered to 64kB for logtap's walsender
// only, config streaming.workMem), the connector spools them and hands the transaction over at its commit.
// Proof: spill files exist while the transaction is open (it was streamed), and a connector with streaming
// off, on its own slot, makes exactly the same handler calls — same events, positions and transactions.

/** Spill files (their sizes) under a spill directory, across its session directories. */
function spillFiles(dir: string): number[] {
  try {
    return readdirSync(dir).flatMap((session) => readdirSync(join(dir, session)).map((f) => statSync(join(dir, session, f)).size));
  } catch {
    return [];
  }
}

/** A handler call as comparable data. */
function comparable(call: Call): unknown {
  switch (call.kind) {
    case 'change':
      return { op: call.event.op, table: call.event.table.id.name, position: call.event.position.token, txId: call.event.txId, before: plain(call.event.before), after: plain(call.event.after) };
    case 'commit':
      return { commit: call.position.token, txId: call.info.txId };
    case 'message':
      return { message: call.message.position.token, value: call.message.value };
    default:
      return null;
  }
}

describe('PostgreSQL source: large transactions streamed while they run', () => {
  const sql = new pg.Client({ connectionString: testBed().pgUrl });
  const spillDir = mkdtempSync(join(tmpdir(), 'logtap-spill-test-'));
  const streamedName = uniqueName('pgstr_on');
  const plainName = uniqueName('pgstr_off');
  const big = uniqueName('pgstr_big');
  const small = uniqueName('pgstr_small');
  let streamed: RunningStream;
  let whole: RunningStream;

  beforeAll(async () => {
    await sql.connect();
    await sql.query(`CREATE TABLE ${big} (id int PRIMARY KEY, v text NOT NULL)`);
    await sql.query(`CREATE TABLE ${small} (id int PRIMARY KEY, v text NOT NULL)`);
    const tables = [`public.${big}`, `public.${small}`];
    streamed = startStream({ name: streamedName, tables, streaming: { mode: 'auto', spillDir, workMem: '64kB' } });
    whole = startStream({ name: plainName, tables, streaming: { mode: 'off' } });
    await waitStreaming(sql, streamedName);
    await waitStreaming(sql, plainName);
  }, 60_000);

  afterAll(async () => {
    await streamed?.stop().catch(() => {});
    await whole?.stop().catch(() => {});
    await dropConnectorObjects(sql, streamedName);
    await dropConnectorObjects(sql, plainName);
    await sql.query(`DROP TABLE IF EXISTS ${big}, ${small}`).catch(() => {});
    await sql.end();
    rmSync(spillDir, { recursive: true, force: true });
  });

  it('hands over exactly the committed changes: a rolled-back savepoint left out, a transaction committed meanwhile first', async () => {
    const writer = await admin();
    const other = await admin();
    try {
      await writer.query('BEGIN');
      await writer.query(`INSERT INTO ${big} SELECT g, repeat('a', 50) || g FROM generate_series(1, 4000) g`);
      // Enough to be streamed before it is rolled back.
      await writer.query('SAVEPOINT s1');
      await writer.query(`INSERT INTO ${big} SELECT g, 'rolled back ' || g FROM generate_series(100001, 104000) g`);
      await writer.query(`UPDATE ${big} SET v = 'rolled back too' WHERE id <= 100`);
      await writer.query('ROLLBACK TO SAVEPOINT s1');
      await writer.query(`UPDATE ${big} SET v = 'updated ' || id WHERE id % 10 = 0`);
      await writer.query(`DELETE FROM ${big} WHERE id % 7 = 0`);
      await writer.query('SAVEPOINT s2');
      await writer.query(`INSERT INTO ${big} SELECT g, 'kept ' || g FROM generate_series(200001, 201000) g`);
      await writer.query('RELEASE SAVEPOINT s2');
      // The transaction is streamed while it is open.
      await waitFor('spill files of the open transaction', () => (spillFiles(spillDir).some((size) => size > 100_000) ? true : undefined), 30_000);
      // A small transaction commits while the big one is open: it comes first.
      await other.query(`INSERT INTO ${small} VALUES (1, 'meanwhile')`);
      await waitFor('the small transaction', () => (streamed.handler.commits().length === 1 ? true : undefined), 20_000);
      expect(streamed.handler.changes(big)).toEqual([]);
      await writer.query(`INSERT INTO ${big} SELECT g, 'last ' || g FROM generate_series(300001, 300500) g`);
      await writer.query(`SELECT pg_logical_emit_message(true, 'logtap.outbox', '{"topic":"t","key":"k","value":{"n":1}}')`);
      await writer.query('COMMIT');
    } finally {
      await writer.end();
      await other.end();
    }
    await waitFor('both transactions, streamed', () => (streamed.handler.commits().length === 2 ? true : undefined), 60_000);
    await waitFor('both transactions, whole', () => (whole.handler.commits().length === 2 ? true : undefined), 60_000);

    const changes = streamed.handler.changes(big);
    expect(changes.filter((c) => c.op === 'c')).toHaveLength(4000 + 1000 + 500);
    expect(changes.filter((c) => c.op === 'u')).toHaveLength(400);
    expect(changes.filter((c) => c.op === 'd')).toHaveLength(Math.floor(4000 / 7));
    // Nothing of the rolled-back savepoint.
    expect(changes.some((c) => Number(c.after?.id) > 100_000 && Number(c.after?.id) < 200_000)).toBe(false);
    expect(changes.some((c) => String(c.after?.v).startsWith('rolled back'))).toBe(false);
    expect(streamed.handler.messages().map((m) => m.value)).toEqual([{ n: 1 }]);
    // The small transaction first, then the big one: the same calls as without streaming.
    const calls = streamed.handler.withoutHeartbeats().map(comparable);
    expect(calls[0]).toMatchObject({ table: small, op: 'c' });
    expect(calls).toEqual(whole.handler.withoutHeartbeats().map(comparable));
    // The spill file went with its transaction.
    expect(spillFiles(spillDir)).toEqual([]);
  }, 120_000);

  it('hands over nothing of a rolled-back transaction that was streamed', async () => {
    const before = streamed.handler.withoutHeartbeats().length;
    const writer = await admin();
    try {
      await writer.query('BEGIN');
      await writer.query(`INSERT INTO ${big} SELECT g, 'never ' || g FROM generate_series(500001, 510000) g`);
      await waitFor('spill files of the open transaction', () => (spillFiles(spillDir).some((size) => size > 100_000) ? true : undefined), 30_000);
      await writer.query('ROLLBACK');
    } finally {
      await writer.end();
    }
    await sql.query(`INSERT INTO ${small} VALUES (2, 'after')`);
    await waitFor('the transaction after it', () => (streamed.handler.commits().length === 3 ? true : undefined), 30_000);
    await waitFor('the same without streaming', () => (whole.handler.commits().length === 3 ? true : undefined), 30_000);
    const added = streamed.handler.withoutHeartbeats().slice(before);
    expect(added.map(comparable)).toEqual([
      expect.objectContaining({ table: small, op: 'c', after: { id: 2, v: 'after' } }),
      expect.objectContaining({ commit: expect.any(String) }),
    ]);
    expect(streamed.handler.withoutHeartbeats().map(comparable)).toEqual(whole.handler.withoutHeartbeats().map(comparable));
    await waitFor('the spill file dropped', () => (spillFiles(spillDir).length === 0 ? true : undefined), 10_000);
  }, 120_000);
});
