import { beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { EncodingError } from '../../src/errors.js';
import type { ChangeEvent } from '../../src/model/change-event.js';
import { parseLsn } from '../../connectors/postgres/lsn.js';
import { parsePosition } from '../../connectors/postgres/pg-position.js';
import { uniqueName } from '../helpers/names.js';
import { startPausableProxy } from '../helpers/pausable-proxy.js';
import { testBed } from '../helpers/test-bed.js';
import { waitFor } from '../helpers/wait.js';
import { connectionsOf, pgTestContext, plain, recordingLogger, startStream, waitStreaming } from './postgres-source-harness.js';

// The PostgreSQL source against the test bed's server: what `stream` hands the SourceHandler for each
// kind of change, in which order and with which positions.

const ctx = pgTestContext();
let sql: pg.Client;
const { table, tables, connectorName } = ctx;
beforeAll(() => {
  sql = ctx.sql();
});

const rows = (events: ChangeEvent[]) => events.map((e) => ({ op: e.op, before: plain(e.before), after: plain(e.after) }));

describe('PostgreSQL source: row changes', () => {
  it('hands over inserts, updates, key changes and deletes with their positions, then the commit', async () => {
    const t = await table('rows', 'id int PRIMARY KEY, note text, amount numeric(10,2)');
    const name = connectorName();
    const s = startStream({ name, tables: [`public.${t}`] });
    await waitStreaming(sql, name);

    await sql.query('BEGIN');
    await sql.query(`INSERT INTO ${t} VALUES (1, 'one', 1.50), (2, 'two', NULL)`);
    const xid = (await sql.query<{ xid: string }>('SELECT txid_current()::text AS xid')).rows[0]!.xid;
    await sql.query('COMMIT');
    await sql.query(`UPDATE ${t} SET note = 'uno' WHERE id = 1`);
    await sql.query(`UPDATE ${t} SET id = 3 WHERE id = 2`);
    await sql.query(`DELETE FROM ${t} WHERE id = 1`);
    await waitFor('4 commits', () => (s.handler.commits().length >= 4 ? true : undefined));
    await s.stop();

    expect(rows(s.handler.changes())).toEqual([
      { op: 'c', before: undefined, after: { id: 1, note: 'one', amount: '1.50' } },
      { op: 'c', before: undefined, after: { id: 2, note: 'two', amount: null } },
      { op: 'u', before: undefined, after: { id: 1, note: 'uno', amount: '1.50' } },
      // The key changed: pgoutput sends the old key, the core turns it into a tombstone + the new row.
      { op: 'u', before: { id: 2 }, after: { id: 3, note: 'two', amount: null } },
      { op: 'd', before: { id: 1 }, after: undefined },
    ]);
    // Order: the changes of a transaction, then its commit.
    expect(s.handler.withoutHeartbeats().map((c) => c.kind)).toEqual(['change', 'change', 'commit', 'change', 'commit', 'change', 'commit', 'change', 'commit']);

    const [first, second] = s.handler.changes();
    const commit = s.handler.commits()[0]!;
    const p1 = parsePosition(first!.position.token);
    const p2 = parsePosition(second!.position.token);
    const pc = parsePosition(commit.position.token);
    expect(p1).toMatchObject({ kind: 'partial', changes: 1 });
    expect(p2).toMatchObject({ kind: 'partial', changes: 2 });
    expect(p1.kind === 'partial' && p2.kind === 'partial' && p1.commitLsn === p2.commitLsn).toBe(true);
    // The commit position is the commit record's end: past the commit record's start the changes name.
    expect(pc.kind).toBe('complete');
    expect(pc.kind === 'complete' && p1.kind === 'partial' && pc.lsn > p1.commitLsn).toBe(true);
    expect(first!.position.display).toMatch(/^commit [0-9A-F]+\/[0-9A-F]+, 1 change in$/);
    expect(commit.position.display).toMatch(/^lsn [0-9A-F]+\/[0-9A-F]+$/);

    expect(first!.txId).toBe(xid);
    expect(commit.info.txId).toBe(xid);
    expect(typeof first!.commitTimeMicros).toBe('bigint');
    expect(commit.info.commitTimeMicros).toBe(first!.commitTimeMicros);
    const ageMs = Date.now() - Number(first!.commitTimeMicros! / 1000n);
    expect(ageMs).toBeGreaterThanOrEqual(0);
    expect(ageMs).toBeLessThan(60_000);
    expect(first!.snapshot).toBe(false);

    // One TableSchema object for the table's one shape, described from the catalog.
    const schemas = new Set(s.handler.changes().map((e) => e.table));
    expect(schemas.size).toBe(1);
    expect(first!.table).toEqual({
      id: { namespace: 'public', name: t },
      columns: [
        { name: 'id', type: { kind: 'int', bits: 32 }, nullable: false, sourceType: 'integer' },
        { name: 'note', type: { kind: 'string' }, nullable: true, sourceType: 'text' },
        { name: 'amount', type: { kind: 'decimal', precision: 10, scale: 2, specials: true }, nullable: true, sourceType: 'numeric(10,2)' },
      ],
      key: ['id'],
    });
    // Commit positions only move forward.
    const commitLsns = s.handler.commits().map((c) => parseLsn(c.position.token.slice(4)));
    expect([...commitLsns].sort((a, b) => (a < b ? -1 : 1))).toEqual(commitLsns);
    expect(await connectionsOf(sql, name)).toBe(0);
  });

  it('carries the whole old row under REPLICA IDENTITY FULL', async () => {
    const t = await table('full', 'id int PRIMARY KEY, note text', ['ALTER TABLE $T REPLICA IDENTITY FULL']);
    await sql.query(`INSERT INTO ${t} VALUES (1, 'one'), (2, 'two')`);
    const name = connectorName();
    const s = startStream({ name, tables: [`public.${t}`] });
    await waitStreaming(sql, name);
    await sql.query(`UPDATE ${t} SET note = 'uno' WHERE id = 1`);
    await sql.query(`UPDATE ${t} SET id = 3 WHERE id = 2`);
    await sql.query(`DELETE FROM ${t} WHERE id = 1`);
    await waitFor('3 commits', () => (s.handler.commits().length >= 3 ? true : undefined));
    await s.stop();
    expect(rows(s.handler.changes())).toEqual([
      { op: 'u', before: { id: 1, note: 'one' }, after: { id: 1, note: 'uno' } },
      { op: 'u', before: { id: 2, note: 'two' }, after: { id: 3, note: 'two' } },
      { op: 'd', before: { id: 1, note: 'uno' }, after: undefined },
    ]);
    expect(s.handler.changes()[0]!.table.key).toEqual(['id']);
  });

  it('hands over a truncate of several tables as one event per table, in one transaction', async () => {
    const a = await table('trunc_a', 'id int PRIMARY KEY');
    const b = await table('trunc_b', 'id int PRIMARY KEY');
    await sql.query(`INSERT INTO ${a} VALUES (1)`);
    await sql.query(`INSERT INTO ${b} VALUES (1)`);
    const name = connectorName();
    const s = startStream({ name, tables: [`public.${a}`, `public.${b}`] });
    await waitStreaming(sql, name);
    await sql.query(`TRUNCATE ${a}, ${b}`);
    await waitFor('the truncate commit', () => (s.handler.commits().length >= 1 ? true : undefined));
    await s.stop();
    const events = s.handler.changes();
    expect(events.map((e) => [e.op, e.table.id.name, e.before, e.after])).toEqual(
      expect.arrayContaining([['t', a, undefined, undefined], ['t', b, undefined, undefined]]),
    );
    expect(events).toHaveLength(2);
    expect(events.map((e) => parsePosition(e.position.token))).toMatchObject([{ changes: 1 }, { changes: 2 }]);
  });

  it('streams every table with FOR ALL TABLES when no tables are configured', async () => {
    const t = await table('alltables', 'id int PRIMARY KEY');
    const name = connectorName();
    const s = startStream({ name });
    await waitStreaming(sql, name);
    await sql.query(`INSERT INTO ${t} VALUES (7)`);
    await waitFor('the insert', () => (s.handler.changes(t).length >= 1 ? true : undefined));
    await s.stop();
    expect(plain(s.handler.changes(t)[0]!.after)).toEqual({ id: 7 });
    const { rows: [pub] } = await sql.query('SELECT puballtables, pubviaroot FROM pg_publication WHERE pubname = $1', [`logtap_${name}`]);
    expect(pub).toEqual({ puballtables: true, pubviaroot: true });
  });
});

describe('PostgreSQL source: keys and partitions', () => {
  it('keeps a composite primary key in key order, and publishes partitions as their root table', async () => {
    const composite = await table('composite', 'a int, b int, note text, PRIMARY KEY (b, a)');
    const root = await table('parted', 'id int, day date, PRIMARY KEY (id, day)) PARTITION BY RANGE (day');
    const part = `${root}_2020`;
    tables.unshift(part);
    await sql.query(`CREATE TABLE ${part} PARTITION OF ${root} FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')`);
    const name = connectorName();
    const s = startStream({ name, tables: [`public.${composite}`, `public.${root}`] });
    await waitStreaming(sql, name);
    await sql.query(`INSERT INTO ${composite} VALUES (1, 2, 'x')`);
    await sql.query(`UPDATE ${composite} SET a = 5 WHERE a = 1`);
    await sql.query(`INSERT INTO ${root} VALUES (1, '2020-06-01')`);
    await waitFor('3 changes', () => (s.handler.changes().length >= 3 ? true : undefined));
    await s.stop();
    const [insert, update, parted] = s.handler.changes();
    expect(insert!.table.key).toEqual(['b', 'a']);
    expect(plain(update!.before)).toEqual({ a: 1, b: 2 });
    expect(parted!.table.id).toEqual({ namespace: 'public', name: root });
    expect(parted!.table.key).toEqual(['id', 'day']);
    expect(plain(parted!.after)).toEqual({ id: 1, day: 18414 });
  });
});

describe('PostgreSQL source: unchanged TOAST values', () => {
  // STORAGE EXTERNAL: stored out of line, uncompressed, as soon as the row exceeds ~2 kB.
  const big = `repeat('0123456789abcdef', 512)`; // 8 kB

  it('fills an unchanged TOASTed value from the old row under REPLICA IDENTITY FULL', async () => {
    const t = await table('toastfull', 'id int PRIMARY KEY, body text, n int', [
      'ALTER TABLE $T ALTER COLUMN body SET STORAGE EXTERNAL', 'ALTER TABLE $T REPLICA IDENTITY FULL',
    ]);
    await sql.query(`INSERT INTO ${t} VALUES (1, ${big}, 0)`);
    const name = connectorName();
    const s = startStream({ name, tables: [`public.${t}`] });
    await waitStreaming(sql, name);
    await sql.query(`UPDATE ${t} SET n = 1 WHERE id = 1`);
    await waitFor('the update', () => (s.handler.commits().length >= 1 ? true : undefined));
    await s.stop();
    const [update] = s.handler.changes();
    expect(update!.op).toBe('u');
    expect(update!.after!.n).toBe(1);
    expect(update!.after!.body).toBe('0123456789abcdef'.repeat(512));
    expect(update!.before!.body).toBe('0123456789abcdef'.repeat(512));
  });

  /** What the connector counted: one call per table and batch of reads. */
  const counting = () => {
    const calls: Array<[string, number, number]> = [];
    return { calls, unchangedValuesRead: (table: string, rows: number, gone: number) => void calls.push([table, rows, gone]) };
  };
  const bigText = '0123456789abcdef'.repeat(512);

  it('reads an unchanged TOASTed value back by key, handing the transaction\'s changes over in log order with one read', async () => {
    const t = await table('toastread', 'id int PRIMARY KEY, body text, n int', ['ALTER TABLE $T ALTER COLUMN body SET STORAGE EXTERNAL']);
    await sql.query(`INSERT INTO ${t} VALUES (1, ${big}, 0), (2, 'small' || ${big}, 0)`);
    const name = connectorName();
    const metrics = counting();
    const s = startStream({ name, tables: [`public.${t}`], metrics });
    await waitStreaming(sql, name);
    await sql.query(`BEGIN; UPDATE ${t} SET n = 1 WHERE id = 1; INSERT INTO ${t} VALUES (3, 'three', 3);
      SELECT pg_logical_emit_message(true, 'logtap.outbox', '{"topic": "t", "key": "k", "value": 1}');
      UPDATE ${t} SET n = 2 WHERE id = 2; DELETE FROM ${t} WHERE id = 3; COMMIT`);
    await waitFor('the transaction', () => (s.handler.commits().length >= 1 ? true : undefined));
    await s.stop();
    expect(s.handler.withoutHeartbeats().map((c) => (c.kind === 'change' ? `${c.event.op}${String(c.event.after?.id ?? c.event.before?.id)}` : c.kind)))
      .toEqual(['u1', 'c3', 'message', 'u2', 'd3', 'commit']);
    const [u1, , u2] = s.handler.changes();
    expect(plain(u1!.after)).toEqual({ id: 1, body: bigText, n: 1 });
    expect(plain(u2!.after)).toEqual({ id: 2, body: `small${bigText}`, n: 2 });
    // Positions stay those of the changes in the transaction (the message is its third change).
    expect(s.handler.changes().map((e) => parsePosition(e.position.token)).map((p) => (p.kind === 'partial' ? p.changes : 0))).toEqual([1, 2, 4, 5]);
    // Both rows in one batch, at the commit.
    expect(metrics.calls).toEqual([[`public.${t}`, 2, 0]]);
  });

  it('reads the table as it is when the change is decoded: a later value of the column, and no update for a row gone since', async () => {
    const t = await table('toastlater', 'id int PRIMARY KEY, body text, n int', ['ALTER TABLE $T ALTER COLUMN body SET STORAGE EXTERNAL']);
    await sql.query(`INSERT INTO ${t} VALUES (1, ${big}, 0), (2, ${big}, 0), (3, ${big}, 0)`);
    const name = connectorName();
    // The slot is created, then nothing is decoded until all four transactions have committed.
    const first = startStream({ name, tables: [`public.${t}`] });
    await waitStreaming(sql, name);
    await first.stop();
    await sql.query(`UPDATE ${t} SET n = 1 WHERE id = 1`);
    await sql.query(`UPDATE ${t} SET body = 'rewritten' WHERE id = 1`);
    await sql.query(`BEGIN; UPDATE ${t} SET n = 1 WHERE id = 2; DELETE FROM ${t} WHERE id = 2; COMMIT`);
    await sql.query(`BEGIN; UPDATE ${t} SET id = 30 WHERE id = 3; DELETE FROM ${t} WHERE id = 30; COMMIT`);
    const metrics = counting();
    const s = startStream({ name, tables: [`public.${t}`], metrics });
    await waitFor('four transactions', () => (s.handler.commits().length >= 4 ? true : undefined));
    await s.stop();
    expect(rows(s.handler.changes())).toEqual([
      // Read after the second update committed: the newer body (the final state is what counts).
      { op: 'u', before: undefined, after: { id: 1, body: 'rewritten', n: 1 } },
      { op: 'u', before: undefined, after: { id: 1, body: 'rewritten', n: 1 } },
      // Row 2 was gone when read: its update is left out, its delete follows.
      { op: 'd', before: { id: 2 }, after: undefined },
      // Row 3 re-keyed to 30, then deleted: the old key still ends (as a delete), then 30's delete.
      { op: 'd', before: { id: 3 }, after: undefined },
      { op: 'd', before: { id: 30 }, after: undefined },
    ]);
    expect(metrics.calls).toEqual([[`public.${t}`, 1, 0], [`public.${t}`, 1, 1], [`public.${t}`, 1, 1]]);
  });

  it('under toast.unchanged: fail refuses the update in one line, naming table, column, position and how to go on', async () => {
    const t = await table('toastdefault', 'id int PRIMARY KEY, body text, n int', ['ALTER TABLE $T ALTER COLUMN body SET STORAGE EXTERNAL']);
    await sql.query(`INSERT INTO ${t} VALUES (1, ${big}, 0)`);
    const name = connectorName();
    const s = startStream({ name, tables: [`public.${t}`], unchangedToast: 'fail' });
    await waitStreaming(sql, name);
    await sql.query(`UPDATE ${t} SET n = n + 1 WHERE id = 1`);
    await s.ended;
    const err = s.error();
    expect(err).toBeInstanceOf(EncodingError);
    expect((err as EncodingError).retriable).toBe(false);
    const message = (err as Error).message;
    expect(message).toContain(`public.${t}`);
    expect(message).toContain('"body"');
    expect(message).toMatch(/at commit [0-9A-F]+\/[0-9A-F]+, 1 change in/);
    expect(message).toContain('toast.unchanged: read-back');
    expect(message).toContain('logtap offsets skip-current-transaction');
    expect(message).toContain(`logtap snapshot --table public.${t}`);
    expect(message).not.toContain('\n');
    // Nothing of it was handed over, and the stream released its connections.
    expect(s.handler.changes()).toEqual([]);
    expect(s.handler.commits()).toEqual([]);
    await waitFor('connections closed', async () => ((await connectionsOf(sql, name)) === 0 ? true : undefined));
    await s.connector.close();
  });
});

describe('PostgreSQL source: schema changes mid-stream', () => {
  const shapes = (events: ChangeEvent[]) => events.map((e) => e.table.columns.map((c) => c.name));

  it('gives each shape a new TableSchema before its first row, live', async () => {
    const t = await table('ddl_live', 'id int PRIMARY KEY, note text');
    const name = connectorName();
    const s = startStream({ name, tables: [`public.${t}`] });
    await waitStreaming(sql, name);
    const seen = (n: number) => waitFor(`${n} changes`, () => (s.handler.changes().length >= n ? true : undefined));
    await sql.query(`INSERT INTO ${t} VALUES (1, 'a')`);
    await sql.query(`INSERT INTO ${t} VALUES (2, 'b')`);
    await seen(2);
    await sql.query(`ALTER TABLE ${t} ADD COLUMN extra int`);
    await sql.query(`INSERT INTO ${t} VALUES (3, 'c', 30)`);
    await seen(3);
    await sql.query(`ALTER TABLE ${t} DROP COLUMN note`);
    await sql.query(`INSERT INTO ${t} VALUES (4, 40)`);
    await seen(4);
    await s.stop();
    const events = s.handler.changes();
    expect(shapes(events)).toEqual([['id', 'note'], ['id', 'note'], ['id', 'note', 'extra'], ['id', 'extra']]);
    expect(events.map((e) => plain(e.after))).toEqual([{ id: 1, note: 'a' }, { id: 2, note: 'b' }, { id: 3, note: 'c', extra: 30 }, { id: 4, extra: 40 }]);
    expect(events[1]!.table).toBe(events[0]!.table);
    expect(events[2]!.table).not.toBe(events[1]!.table);
    expect(events[3]!.table).not.toBe(events[2]!.table);
  });

  it('describes older shapes from the Relation message when catching up after the catalog moved on', async () => {
    const t = await table('ddl_catchup', 'id int PRIMARY KEY, note text, price numeric(6,2)');
    const name = connectorName();
    // Create the slot and publication, then stop: the changes below are decoded later, after all the DDL.
    const first = startStream({ name, tables: [`public.${t}`] });
    await waitStreaming(sql, name);
    await first.stop();
    await sql.query(`INSERT INTO ${t} VALUES (1, 'a', 1.25)`);
    await sql.query(`ALTER TABLE ${t} ADD COLUMN extra int`);
    await sql.query(`INSERT INTO ${t} VALUES (2, 'b', 2.50, 20)`);
    await sql.query(`ALTER TABLE ${t} DROP COLUMN note`);
    await sql.query(`ALTER TABLE ${t} ALTER COLUMN price TYPE numeric(8,3)`);
    await sql.query(`INSERT INTO ${t} VALUES (3, 3.125, 30)`);

    const log = recordingLogger();
    const s = startStream({ name, tables: [`public.${t}`], log });
    await waitFor('3 changes', () => (s.handler.changes().length >= 3 ? true : undefined));
    await s.stop();
    expect(log.entries.filter((e) => e.level === 'warn' && /described from the Relation message/.test(e.msg ?? ''))).toHaveLength(2); // the last shape is today's
    const events = s.handler.changes();
    expect(shapes(events)).toEqual([['id', 'note', 'price'], ['id', 'note', 'price', 'extra'], ['id', 'price', 'extra']]);
    expect(events.map((e) => plain(e.after))).toEqual([
      { id: 1, note: 'a', price: '1.25' },
      { id: 2, note: 'b', price: '2.50', extra: 20 },
      { id: 3, price: '3.125', extra: 30 },
    ]);
    expect(events.map((e) => e.table.columns.find((c) => c.name === 'price')!.type)).toEqual([
      { kind: 'decimal', precision: 6, scale: 2, specials: true },
      { kind: 'decimal', precision: 6, scale: 2, specials: true },
      { kind: 'decimal', precision: 8, scale: 3, specials: true },
    ]);
    expect(events.map((e) => e.table.key)).toEqual([['id'], ['id'], ['id']]);
    // The dropped column's NOT NULL is unknown today: assumed nullable; id still matches the catalog.
    expect(events[0]!.table.columns.find((c) => c.name === 'id')!.nullable).toBe(false);
  });

  it('lagging behind later DDL, keeps the shape a DDL that changed no column left, with what the catalog said of a column dropped since', async () => {
    const t = await table('ddl_lag', "id int PRIMARY KEY, note text NOT NULL DEFAULT 'x'");
    const name = connectorName();
    // The stream goes through a proxy that holds what the server sends until every DDL ran: each Relation message
    // is then described when the catalog already shows the last shape (id, extra), as on a loaded machine.
    const direct = new URL(testBed().pgUrl);
    const proxy = await startPausableProxy({ host: direct.hostname, port: Number(direct.port) });
    const url = new URL(direct);
    url.port = String(proxy.port);
    const log = recordingLogger();
    const s = startStream({ name, tables: [`public.${t}`], url: url.toString(), log });
    try {
      await waitStreaming(sql, name);
      await sql.query(`INSERT INTO ${t} VALUES (1, 'a')`);
      await waitFor('1 change', () => (s.handler.changes().length >= 1 ? true : undefined));
      proxy.hold();
      await sql.query(`CREATE INDEX ON ${t} (note)`); // a new Relation message before the next change, same columns
      await sql.query(`INSERT INTO ${t} VALUES (2, 'b')`);
      await sql.query(`ALTER TABLE ${t} ADD COLUMN extra int`);
      await sql.query(`INSERT INTO ${t} VALUES (3, 'c', 30)`);
      await sql.query(`ALTER TABLE ${t} DROP COLUMN note`);
      await sql.query(`INSERT INTO ${t} VALUES (4, 40)`);
      proxy.release();
      await waitFor('4 changes', () => (s.handler.changes().length >= 4 ? true : undefined));
    } finally {
      proxy.release();
      await s.stop();
      await proxy.close();
    }
    const events = s.handler.changes();
    expect(shapes(events)).toEqual([['id', 'note'], ['id', 'note'], ['id', 'note', 'extra'], ['id', 'extra']]);
    expect(log.entries.some((e) => e.level === 'warn' && /described from the Relation message/.test(e.msg ?? ''))).toBe(true);
    expect(events[1]!.table).toBe(events[0]!.table);
    const note = (i: number) => events[i]!.table.columns.find((c) => c.name === 'note');
    expect(note(2)).toEqual(note(0));
    expect(note(0)).toMatchObject({ nullable: false });
  });

  it('reads a label added to an enum type since the table was described', async () => {
    const mood = uniqueName('mood');
    await sql.query(`CREATE TYPE ${mood} AS ENUM ('sad', 'ok')`);
    const t = await table('enumadd', `id int PRIMARY KEY, m ${mood}`);
    const name = connectorName();
    const s = startStream({ name, tables: [`public.${t}`] });
    await waitStreaming(sql, name);
    await sql.query(`INSERT INTO ${t} VALUES (1, 'ok')`);
    await waitFor('first insert', () => (s.handler.changes().length >= 1 ? true : undefined));
    await sql.query(`ALTER TYPE ${mood} ADD VALUE 'happy'`);
    await sql.query(`INSERT INTO ${t} VALUES (2, 'happy')`);
    await waitFor('second insert', () => (s.handler.changes().length >= 2 ? true : undefined));
    await s.stop();
    const [a, b] = s.handler.changes();
    expect(plain(b!.after)).toEqual({ id: 2, m: 'happy' });
    expect(b!.table).not.toBe(a!.table);
    expect(b!.table.columns[1]!.type).toEqual({ kind: 'enum', name: mood, symbols: ['sad', 'ok', 'happy'] });
    await sql.query(`DROP TABLE ${t}`);
    await sql.query(`DROP TYPE ${mood}`);
  });
});

describe('PostgreSQL source: outbox messages', () => {
  it('hands over logtap.outbox messages in and outside transactions, and ignores other prefixes', async () => {
    const t = await table('outbox', 'id int PRIMARY KEY');
    const name = connectorName();
    const s = startStream({ name, tables: [`public.${t}`] });
    await waitStreaming(sql, name);
    await sql.query('BEGIN');
    await sql.query(`INSERT INTO ${t} VALUES (1)`);
    await sql.query(`SELECT pg_logical_emit_message(true, 'logtap.outbox', '{"topic":"orders.events","key":"1","value":{"created":true}}')`);
    await sql.query(`SELECT pg_logical_emit_message(true, 'other.prefix', 'ignored')`);
    await sql.query('COMMIT');
    await sql.query(`SELECT pg_logical_emit_message(false, 'logtap.outbox', '{"topic":"pings","value":1}')`);
    await waitFor('2 messages', () => (s.handler.messages().length >= 2 ? true : undefined));
    await s.stop();
    const [inTx, outside] = s.handler.messages();
    expect(inTx).toMatchObject({ topic: 'orders.events', key: '1', value: { created: true }, transactional: true });
    expect(parsePosition(inTx!.position.token)).toMatchObject({ kind: 'partial', changes: 2 });
    expect(inTx!.txId).toBe(s.handler.changes()[0]!.txId);
    expect(outside).toMatchObject({ topic: 'pings', key: null, value: 1, transactional: false });
    expect(parsePosition(outside!.position.token).kind).toBe('complete');
    expect(s.handler.withoutHeartbeats().map((c) => c.kind)).toEqual(['change', 'message', 'commit', 'message']);
  });

  it('refuses a malformed outbox message with a clear error', async () => {
    const t = await table('outbox_bad', 'id int PRIMARY KEY');
    const name = connectorName();
    const s = startStream({ name, tables: [`public.${t}`] });
    await waitStreaming(sql, name);
    await sql.query(`SELECT pg_logical_emit_message(true, 'logtap.outbox', '{"key":"1"}')`);
    await s.ended;
    expect(s.error()).toBeInstanceOf(EncodingError);
    expect((s.error() as Error).message).toMatch(/logtap\.outbox message at commit .*"topic" must be a non-empty string/);
    await s.connector.close();
  });

  it('ignores every message, malformed ones too, when the connector\'s outbox is off', async () => {
    const t = await table('outbox_off', 'id int PRIMARY KEY');
    const name = connectorName();
    const s = startStream({ name, tables: [`public.${t}`], outboxPrefix: undefined });
    await waitStreaming(sql, name);
    await sql.query(`BEGIN; SELECT pg_logical_emit_message(true, 'logtap.outbox', '{"key":"1"}'); INSERT INTO ${t} VALUES (1); COMMIT`);
    await waitFor('the commit', () => (s.handler.withoutHeartbeats().some((c) => c.kind === 'commit') ? true : undefined));
    await s.stop();
    expect(s.error()).toBeUndefined();
    expect(s.handler.messages()).toEqual([]);
    // The ignored message does not count among the transaction's changes.
    expect(parsePosition(s.handler.changes()[0]!.position.token)).toMatchObject({ kind: 'partial', changes: 1 });
  });
});
