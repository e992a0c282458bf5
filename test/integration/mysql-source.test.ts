import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type mysql from 'mysql2/promise';
import type { ChangeEvent, SourcePosition } from '../../src/model/change-event.js';
import { createMysqlConnector } from '../../connectors/mysql/mysql-connector.js';
import { decodeMysqlPosition } from '../../connectors/mysql/mysql-position.js';
import { uniqueName } from '../helpers/names.js';
import { startPausableProxy } from '../helpers/pausable-proxy.js';
import { waitFor } from '../helpers/wait.js';
import { adminConnection, capturingLogger, currentGtidToken, Recorder, sourceUrl, startStream, type Recorded } from './mysql-source-recorder.js';

/** [table, op, before, after] of each change: what a consumer sees. */
const simple = (events: ChangeEvent[]) => events.map((e) => [e.table.id.name, e.op, e.before, e.after]);

/** Transactions as the handler saw them: the changes between two commits, and the commit. */
function transactions(calls: Recorded[]): Array<{ changes: ChangeEvent[]; commit: Extract<Recorded, { kind: 'commit' }> }> {
  const result: Array<{ changes: ChangeEvent[]; commit: Extract<Recorded, { kind: 'commit' }> }> = [];
  let open: ChangeEvent[] = [];
  for (const call of calls) {
    if (call.kind === 'change') open.push(call.event);
    else if (call.kind === 'commit') {
      result.push({ changes: open, commit: call });
      open = [];
    } else {
      // A heartbeat claims that no transaction is open.
      expect(open, 'heartbeat inside a transaction').toEqual([]);
    }
  }
  return result;
}

describe('MySQL source connector on MariaDB: streaming', () => {
  const database = uniqueName('mysqlsrc');
  let sql: mysql.Connection;

  beforeAll(async () => {
    sql = await adminConnection();
    await sql.query(`CREATE DATABASE ${database}`);
  });

  afterAll(async () => {
    await sql.query(`DROP DATABASE IF EXISTS ${database}`);
    await sql.end();
  });

  const table = async (name: string, ddl: string): Promise<string> => {
    await sql.query(`CREATE TABLE ${database}.${name} ${ddl}`);
    return `${database}.${name}`;
  };

  it('publishes one event per row with full before and after images, positions per change and a commit per transaction', async () => {
    const a = await table('dml_a', '(id INT PRIMARY KEY, v VARCHAR(20), n INT)');
    const b = await table('dml_b', '(id INT PRIMARY KEY, w VARCHAR(20))');
    const run = await startStream({ url: sourceUrl(database), tables: [a, b] });
    try {
      await sql.query(`INSERT INTO ${a} VALUES (1, 'one', 10), (2, 'two', 20), (3, 'three', 30)`);
      await sql.query(`UPDATE ${a} SET v = 'uno' WHERE id = 1`);
      await sql.query(`UPDATE ${a} SET id = 100 WHERE id = 1`);
      await sql.query(`UPDATE ${a} SET n = n + 1 WHERE id IN (2, 3)`);
      await sql.query(`DELETE FROM ${a} WHERE id = 2`);
      await sql.query(`BEGIN; INSERT INTO ${b} VALUES (1, 'x'); UPDATE ${a} SET v = 'tres' WHERE id = 3; DELETE FROM ${b} WHERE id = 1; COMMIT`);
      await waitFor('six transactions', () => (run.recorder.commits.length >= 6 ? true : undefined));
    } finally {
      await run.stop();
    }
    expect(run.error()).toBeUndefined();
    const txs = transactions(run.recorder.calls);
    expect(txs.map((tx) => simple(tx.changes))).toEqual([
      [
        ['dml_a', 'c', undefined, { id: 1, v: 'one', n: 10 }],
        ['dml_a', 'c', undefined, { id: 2, v: 'two', n: 20 }],
        ['dml_a', 'c', undefined, { id: 3, v: 'three', n: 30 }],
      ],
      [['dml_a', 'u', { id: 1, v: 'one', n: 10 }, { id: 1, v: 'uno', n: 10 }]],
      // A primary-key change: the before image names the old key.
      [['dml_a', 'u', { id: 1, v: 'uno', n: 10 }, { id: 100, v: 'uno', n: 10 }]],
      [
        ['dml_a', 'u', { id: 2, v: 'two', n: 20 }, { id: 2, v: 'two', n: 21 }],
        ['dml_a', 'u', { id: 3, v: 'three', n: 30 }, { id: 3, v: 'three', n: 31 }],
      ],
      [['dml_a', 'd', { id: 2, v: 'two', n: 21 }, undefined]],
      [
        ['dml_b', 'c', undefined, { id: 1, w: 'x' }],
        ['dml_a', 'u', { id: 3, v: 'three', n: 31 }, { id: 3, v: 'tres', n: 31 }],
        ['dml_b', 'd', { id: 1, w: 'x' }, undefined],
      ],
    ]);
    let previousCommit: string | undefined;
    for (const { changes, commit } of txs) {
      expect(commit.txId).toMatch(/^\d+-\d+-\d+$/);
      // Each change names its transaction and its 1-based count in it, after the state before the transaction.
      const before = decodeMysqlPosition(changes[0]!.position.token);
      expect(before.kind).toBe('gtid');
      changes.forEach((change, i) => {
        expect(change.txId).toBe(commit.txId);
        expect(change.snapshot).toBe(false);
        expect(decodeMysqlPosition(change.position.token)).toEqual({ ...before, inTransaction: { gtid: commit.txId, published: i + 1 } });
      });
      if (previousCommit) expect({ kind: 'gtid', executed: before.kind === 'gtid' ? before.executed : '' }).toEqual(decodeMysqlPosition(previousCommit));
      // The commit's position is complete and holds the transaction.
      const after = decodeMysqlPosition(commit.position.token);
      expect(after).toEqual({ kind: 'gtid', executed: expect.stringMatching(new RegExp(`(^|,)${commit.txId}(,|$)`)) });
      expect(Number(commit.commitTimeMicros! / 1_000_000n)).toBeGreaterThan(Date.now() / 1000 - 120);
      previousCommit = commit.position.token;
    }
    const schema = txs[0]!.changes[0]!.table;
    expect(schema).toMatchObject({ id: { namespace: database, name: 'dml_a' }, key: ['id'] });
    expect(schema.columns.map((c) => [c.name, c.type.kind, c.nullable, c.sourceType])).toEqual([
      ['id', 'int', false, 'int(11)'], ['v', 'string', true, 'varchar(20)'], ['n', 'int', true, 'int(11)'],
    ]);
    // One schema object per table version, shared by all its events.
    expect(new Set(run.recorder.changesOf('dml_a').map((e) => e.table)).size).toBe(1);
  });

  it('publishes TRUNCATE TABLE as one truncate event of the table, committed on its own', async () => {
    const t = await table('trunc', '(id INT PRIMARY KEY, v INT)');
    const other = await table('trunc_other', '(id INT PRIMARY KEY)');
    const run = await startStream({ url: sourceUrl(database), tables: [t] });
    try {
      await sql.query(`INSERT INTO ${t} VALUES (1, 1), (2, 2)`);
      await sql.query(`TRUNCATE TABLE ${other}`);
      await sql.query(`TRUNCATE ${t}`);
      await sql.query(`INSERT INTO ${t} VALUES (3, 3)`);
      await waitFor('three transactions', () => (run.recorder.commits.length >= 3 ? true : undefined));
    } finally {
      await run.stop();
    }
    const txs = transactions(run.recorder.calls);
    expect(txs.map((tx) => tx.changes.map((e) => [e.table.id.name, e.op, e.before, e.after]))).toEqual([
      [['trunc', 'c', undefined, { id: 1, v: 1 }], ['trunc', 'c', undefined, { id: 2, v: 2 }]],
      [['trunc', 't', undefined, undefined]],
      [['trunc', 'c', undefined, { id: 3, v: 3 }]],
    ]);
    const truncate = txs[1]!.changes[0]!;
    expect(truncate.table).toBe(txs[0]!.changes[0]!.table);
    expect(decodeMysqlPosition(truncate.position.token)).toMatchObject({ inTransaction: { gtid: txs[1]!.commit.txId, published: 1 } });
  });

  // Lagging: the binlog stream goes through a proxy that holds what the server sends until every DDL ran, so each
  // DDL is read when INFORMATION_SCHEMA already shows the last shape (id, w), as on a loaded machine or a slow link.
  it.each([['live', false], ['lagging behind every later DDL', true]])('decodes rows before and after an ALTER TABLE mid-stream with their own schema version (%s)', async (_variant, lagging) => {
    const name = lagging ? 'alter_lag' : 'alter_live';
    const t = await table(name, '(id INT PRIMARY KEY, v VARCHAR(10))');
    const direct = new URL(sourceUrl(database));
    const proxy = await startPausableProxy({ host: direct.hostname, port: Number(direct.port) });
    const url = new URL(direct);
    url.port = String(proxy.port);
    const run = await startStream({ url: lagging ? url.toString() : direct.toString(), tables: [t] });
    try {
      await sql.query(`INSERT INTO ${t} VALUES (1, 'a')`);
      if (lagging) {
        await waitFor('the first row', () => (run.recorder.changesOf(name).length === 1 ? true : undefined));
        proxy.hold();
      }
      await sql.query(`ALTER TABLE ${t} COMMENT 'no shape change'`);
      await sql.query(`INSERT INTO ${t} VALUES (2, 'b')`);
      await sql.query(`ALTER TABLE ${t} ADD COLUMN w DECIMAL(6,2) NOT NULL DEFAULT 1.5`);
      await sql.query(`INSERT INTO ${t} VALUES (3, 'c', 2.25)`);
      await sql.query(`UPDATE ${t} SET v = 'aa' WHERE id = 1`);
      await sql.query(`ALTER TABLE ${t} DROP COLUMN v`);
      await sql.query(`INSERT INTO ${t} VALUES (4, 9.99)`);
      proxy.release();
      await waitFor('five row transactions', () => (run.recorder.changesOf(name).length >= 5 ? true : undefined));
    } finally {
      proxy.release();
      await run.stop();
      await proxy.close();
    }
    expect(run.error()).toBeUndefined();
    const events = run.recorder.changesOf(name);
    expect(simple(events)).toEqual([
      [name, 'c', undefined, { id: 1, v: 'a' }],
      [name, 'c', undefined, { id: 2, v: 'b' }],
      [name, 'c', undefined, { id: 3, v: 'c', w: '2.25' }],
      [name, 'u', { id: 1, v: 'a', w: '1.50' }, { id: 1, v: 'aa', w: '1.50' }],
      [name, 'c', undefined, { id: 4, w: '9.99' }],
    ]);
    const [v1, v1again, v2, v2again, v3] = events.map((e) => e.table);
    expect(v1again).toBe(v1); // a comment is no shape change: same schema object
    expect(v2again).toBe(v2);
    expect(v2).not.toBe(v1);
    expect(v3).not.toBe(v2);
    expect(v1!.columns.map((c) => c.name)).toEqual(['id', 'v']);
    expect(v2!.columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['id', { kind: 'int', bits: 32 }, false], ['v', { kind: 'string' }, true], ['w', { kind: 'decimal', precision: 6, scale: 2 }, false],
    ]);
    expect(v3!.columns.map((c) => c.name)).toEqual(['id', 'w']);
    // v keeps what was known of it at its first row (live, the stream may already lag there on a loaded machine).
    expect(v2!.columns[1]).toEqual(v1!.columns[1]);
    if (lagging) {
      // Bound before the DDL: INFORMATION_SCHEMA's description, which the binlog alone lacks (collation, default).
      expect(v1!.columns[1]).toMatchObject({ collation: expect.any(String), defaultExpression: 'NULL' });
      const asBefore = run.log.entries.filter((e) => e.level === 'warn' && /later shape/.test(e.msg ?? '')).flatMap((e) => e.obj.columnsAsBefore as string[]);
      expect(asBefore).toContain('v');
    }
  });

  it('catching up across ALTER TABLE, decodes old rows with the shape the binlog describes, not the later INFORMATION_SCHEMA', async () => {
    const t = await table('alter_catchup', "(id INT PRIMARY KEY, v VARCHAR(10), old_col INT UNSIGNED, e ENUM('x','y'))");
    const from = await currentGtidToken(sql);
    await sql.query(`INSERT INTO ${t} VALUES (1, 'a', 4294967295, 'y')`);
    await sql.query(`ALTER TABLE ${t} DROP COLUMN old_col, MODIFY e ENUM('y','z','x'), ADD COLUMN w INT`);
    await sql.query(`INSERT INTO ${t} VALUES (2, 'b', 'z', 8)`);
    await sql.query(`ALTER TABLE ${t} DROP COLUMN v`);
    // Streaming starts now: INFORMATION_SCHEMA has (id, e, w) with the new ENUM; the binlog holds three shapes.
    const run = await startStream({ url: sourceUrl(database), tables: [t], from });
    try {
      await sql.query(`INSERT INTO ${t} VALUES (3, 'x', 9)`);
      await waitFor('three rows', () => (run.recorder.changesOf('alter_catchup').length >= 3 ? true : undefined));
    } finally {
      await run.stop();
    }
    expect(run.error()).toBeUndefined();
    const events = run.recorder.changesOf('alter_catchup');
    expect(simple(events)).toEqual([
      ['alter_catchup', 'c', undefined, { id: 1, v: 'a', old_col: 4294967295n, e: 'y' }],
      ['alter_catchup', 'c', undefined, { id: 2, v: 'b', e: 'z', w: 8 }],
      ['alter_catchup', 'c', undefined, { id: 3, e: 'x', w: 9 }],
    ]);
    expect(events[0]!.table.columns.map((c) => [c.name, c.type])).toEqual([
      ['id', { kind: 'int', bits: 32 }],
      ['v', { kind: 'string' }],
      ['old_col', { kind: 'long', unsigned32: true }],
      ['e', { kind: 'enum', name: 'alter_catchup_e', symbols: ['x', 'y', ''] }],
    ]);
    expect(events[0]!.table.key).toEqual(['id']);
    expect(events[1]!.table.columns.map((c) => c.name)).toEqual(['id', 'v', 'e', 'w']);
    expect(events[1]!.table.columns[2]!.type).toEqual({ kind: 'enum', name: 'alter_catchup_e', symbols: ['y', 'z', 'x', ''] });
    expect(events[2]!.table.columns.map((c) => c.name)).toEqual(['id', 'e', 'w']);
    expect(run.log.entries.some((e) => e.level === 'warn' && /later shape/.test(e.msg ?? ''))).toBe(true);
  });

  it('catching up across a character set conversion, decodes earlier rows in their own character set', async () => {
    // MariaDB's nopad collations have ids above 1000, which zongji's id table does not know (it guesses utf8mb4).
    // MariaDB's charset list also has the GEOMETRY column g, which zongji's reading of it skips: u comes after g.
    const t = await table('charset_catchup', '(id INT PRIMARY KEY, v VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin, '
      + 'w VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_nopad_bin, g POINT, u VARCHAR(10) CHARACTER SET utf8mb4, z VARCHAR(10))');
    const from = await currentGtidToken(sql);
    await sql.query(`INSERT INTO ${t} VALUES (1, 'é€x', 'é€y', POINT(1, 2), 'é€z', 'a')`);
    await sql.query(`ALTER TABLE ${t} MODIFY v VARCHAR(10) CHARACTER SET latin1, MODIFY w VARCHAR(10) CHARACTER SET utf8mb4, MODIFY u VARCHAR(10) CHARACTER SET latin1`);
    await sql.query(`INSERT INTO ${t} VALUES (2, 'é€', 'é€', POINT(1, 2), 'é€', 'b')`);
    const run = await startStream({ url: sourceUrl(database), tables: [t], from });
    try {
      await waitFor('two rows', () => (run.recorder.changesOf('charset_catchup').length >= 2 ? true : undefined));
    } finally {
      await run.stop();
    }
    expect(run.error()).toBeUndefined();
    const events = run.recorder.changesOf('charset_catchup');
    expect(events.map((e) => [e.after!.v, e.after!.w, e.after!.u, e.after!.z])).toEqual([['é€x', 'é€y', 'é€z', 'a'], ['é€', 'é€', 'é€', 'b']]);
    const described = (i: number) => events[i]!.table.columns.filter((c) => ['v', 'w', 'u'].includes(c.name)).map((c) => [c.charset, c.collation, c.sourceType]);
    expect(described(0)).toEqual([
      ['utf8mb4', 'utf8mb4_nopad_bin', 'varchar(10)'], ['latin1', 'latin1_nopad_bin', 'varchar(10)'], ['utf8mb4', 'utf8mb4_general_ci', 'varchar(10)'],
    ]);
    expect(described(1)).toEqual([
      ['latin1', 'latin1_swedish_ci', 'varchar(10)'], ['utf8mb4', 'utf8mb4_general_ci', 'varchar(10)'], ['latin1', 'latin1_swedish_ci', 'varchar(10)'],
    ]);
  });

  it('catching up, decodes rows of a table dropped since from the binlog alone', async () => {
    const other = uniqueName('mysqlsrc_gone');
    await sql.query(`CREATE DATABASE ${other}`);
    try {
      await sql.query(`CREATE TABLE ${other}.gone (id INT PRIMARY KEY, v VARCHAR(10), d DECIMAL(5,2))`);
      const from = await currentGtidToken(sql);
      await sql.query(`INSERT INTO ${other}.gone VALUES (1, 'a', 1.25)`);
      await sql.query(`DROP TABLE ${other}.gone`);
      await sql.query(`CREATE TABLE ${other}.marker (id INT PRIMARY KEY)`);
      await sql.query(`INSERT INTO ${other}.marker VALUES (1)`);
      // Every table of the database: the dropped one cannot be configured by name any more.
      const run = await startStream({ url: sourceUrl(other), from });
      try {
        await waitFor('the marker row', () => (run.recorder.changesOf('marker').length >= 1 ? true : undefined));
      } finally {
        await run.stop();
      }
      expect(run.error()).toBeUndefined();
      expect(simple(run.recorder.changesOf('gone'))).toEqual([['gone', 'c', undefined, { id: 1, v: 'a', d: '1.25' }]]);
      expect(run.recorder.changesOf('gone')[0]!.table).toMatchObject({ key: ['id'], columns: [{ name: 'id' }, { name: 'v' }, { name: 'd', type: { kind: 'decimal', precision: 5, scale: 2 } }] });
      expect(run.log.entries.some((e) => e.level === 'warn' && /no longer in INFORMATION_SCHEMA/.test(e.msg ?? ''))).toBe(true);
    } finally {
      await sql.query(`DROP DATABASE IF EXISTS ${other}`);
    }
  });

  it('resumes from a complete position on a new connector instance: no duplicates, no gaps', async () => {
    const t = await table('resume_complete', '(id INT PRIMARY KEY)');
    const first = await startStream({ url: sourceUrl(database), tables: [t] });
    let checkpoint: SourcePosition;
    try {
      await sql.query(`INSERT INTO ${t} VALUES (1), (2)`);
      await sql.query(`INSERT INTO ${t} VALUES (3)`);
      await waitFor('two commits', () => (first.recorder.commits.length >= 2 ? true : undefined));
    } finally {
      await first.stop();
    }
    checkpoint = first.recorder.commits[1]!.position;
    await sql.query(`INSERT INTO ${t} VALUES (4), (5)`);
    await sql.query(`DELETE FROM ${t} WHERE id = 1`);
    const second = await startStream({ url: sourceUrl(database), tables: [t], from: checkpoint });
    try {
      await sql.query(`INSERT INTO ${t} VALUES (6)`);
      await waitFor('three commits', () => (second.recorder.commits.length >= 3 ? true : undefined));
    } finally {
      await second.stop();
    }
    expect(simple(first.recorder.changes)).toEqual([
      ['resume_complete', 'c', undefined, { id: 1 }], ['resume_complete', 'c', undefined, { id: 2 }], ['resume_complete', 'c', undefined, { id: 3 }],
    ]);
    expect(simple(second.recorder.changes)).toEqual([
      ['resume_complete', 'c', undefined, { id: 4 }], ['resume_complete', 'c', undefined, { id: 5 }],
      ['resume_complete', 'd', { id: 1 }, undefined], ['resume_complete', 'c', undefined, { id: 6 }],
    ]);
    // The first change after the checkpoint continues from exactly the checkpoint's state.
    const resumed = decodeMysqlPosition(second.recorder.changes[0]!.position.token);
    const saved = decodeMysqlPosition(checkpoint.token);
    expect(resumed.kind === 'gtid' && saved.kind === 'gtid' && resumed.executed === saved.executed).toBe(true);
  });

  for (const mode of ['gtid', 'file'] as const) {
    it(`resumes from a partial ${mode} position inside a transaction: the published changes are skipped exactly`, async () => {
      const t = await table(`resume_partial_${mode}`, '(id INT PRIMARY KEY, v INT)');
      let from: SourcePosition | null = null;
      if (mode === 'file') {
        const [status] = await sql.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
        const token = `my1:file=${status[0]!.File}:${status[0]!.Position}#0`;
        from = { token, display: token };
      } else {
        from = await currentGtidToken(sql);
      }
      const rows = Array.from({ length: 10 }, (_, i) => `(${i + 1}, ${i * i})`).join(', ');
      const firstRecorder = new Recorder();
      const first = await startStream({ url: sourceUrl(database), tables: [t], from, recorder: firstRecorder });
      let stopAt: Promise<void> | undefined;
      firstRecorder.afterChange = (_event, count) => {
        if (count === 4) stopAt = first.stop();
      };
      await sql.query(`INSERT INTO ${t} VALUES ${rows}`);
      await sql.query(`UPDATE ${t} SET v = -1 WHERE id = 10`);
      await waitFor('the first run to stop after four changes', () => (stopAt ? true : undefined));
      await stopAt;
      expect(first.error()).toBeUndefined();
      expect(firstRecorder.changes.map((e) => e.after?.id)).toEqual([1, 2, 3, 4]);
      expect(firstRecorder.commits).toEqual([]);
      const checkpoint = firstRecorder.lastPosition!;
      const partial = decodeMysqlPosition(checkpoint.token);
      expect(partial.kind).toBe(mode);
      expect(partial.kind === 'gtid' ? partial.inTransaction?.published : partial.kind === 'file' ? partial.published : undefined).toBe(4);

      const second = await startStream({ url: sourceUrl(database), tables: [t], from: checkpoint });
      try {
        await waitFor('the rest', () => (second.recorder.commits.length >= 2 ? true : undefined));
      } finally {
        await second.stop();
      }
      expect(second.error()).toBeUndefined();
      const all = [...firstRecorder.changes, ...second.recorder.changes];
      expect(all.map((e) => [e.op, e.after?.id])).toEqual([...Array.from({ length: 10 }, (_, i) => ['c', i + 1]), ['u', 10]]);
      // The resumed changes keep counting within their transaction.
      const resumed = second.recorder.changes.slice(0, 6).map((e) => decodeMysqlPosition(e.position.token));
      expect(resumed.map((p) => (p.kind === 'gtid' ? p.inTransaction?.published : p.published))).toEqual([5, 6, 7, 8, 9, 10]);
      expect(second.recorder.calls[0]!.kind).toBe('change'); // nothing reported before the partial transaction was passed
    });
  }

  it('reports heartbeats with complete positions while the server idles, never inside a transaction', async () => {
    const t = await table('heartbeat', '(id INT PRIMARY KEY)');
    const run = await startStream({ url: sourceUrl(database, { heartbeat_interval_ms: '300' }), tables: [t] });
    try {
      await waitFor('two heartbeats', () => (run.recorder.heartbeats.length >= 2 ? true : undefined), 10_000, 20);
      await sql.query(`INSERT INTO ${t} VALUES (1)`);
      await waitFor('the commit', () => (run.recorder.commits.length >= 1 ? true : undefined));
      const afterCommit = run.recorder.calls.length;
      await waitFor('a heartbeat after the commit', () => (run.recorder.calls.slice(afterCommit).some((c) => c.kind === 'heartbeat') ? true : undefined), 10_000, 20);
    } finally {
      await run.stop();
    }
    transactions(run.recorder.calls); // asserts no heartbeat inside a transaction
    for (const position of run.recorder.heartbeats) {
      const decoded = decodeMysqlPosition(position.token);
      expect(decoded).toEqual({ kind: 'gtid', executed: expect.any(String) });
    }
    const commit = run.recorder.commits[0]!;
    const later = run.recorder.calls.slice(run.recorder.calls.indexOf(commit)).find((c) => c.kind === 'heartbeat')!;
    // MariaDB keeps the last GTID per domain: the heartbeat's is the commit's or a later one of the shared server.
    const [domain, , seq] = commit.txId!.split('-');
    const heartbeatState = decodeMysqlPosition((later as { position: SourcePosition }).position.token);
    const entry = heartbeatState.kind === 'gtid' ? heartbeatState.executed.split(',').find((g) => g.startsWith(`${domain}-`)) : undefined;
    expect(BigInt(entry!.split('-')[2]!)).toBeGreaterThanOrEqual(BigInt(seq!));
  });

  it('check() reports what would stop or degrade streaming', async () => {
    const keyed = await table('check_keyed', '(id INT PRIMARY KEY)');
    const keyless = await table('check_keyless', '(v INT)');
    const log = capturingLogger();
    const connector = createMysqlConnector({ name: uniqueName('check'), url: sourceUrl(database), tables: [keyed, keyless, `${database}.check_missing`], log });
    expect(connector).toMatchObject({ kind: 'mysql', debeziumConnector: 'mysql', database });
    const findings = await connector.check();
    expect(findings.map((f) => [f.level, f.id])).toEqual([
      ['error', `table_missing:${database}.check_missing`],
      ['warning', `no_primary_key:${database}.check_keyless`],
    ]);
    for (const finding of findings) expect(finding.fix.length).toBeGreaterThan(10);
    // Every table of the URL's database when none is configured.
    const all = createMysqlConnector({ name: uniqueName('check'), url: sourceUrl(database), log });
    expect((await all.check()).map((f) => f.id)).toContain(`no_primary_key:${database}.check_keyless`);
    const noDb = createMysqlConnector({ name: uniqueName('check'), url: sourceUrl(uniqueName('nodb')), log });
    expect((await noDb.check()).map((f) => f.id)).toEqual(['database_missing']);
  });
});
