import { describe, expect, it } from 'vitest';
import { beginConsistentRead } from '../../connectors/mysql/snapshot-consistent-point.js';
import type { MysqlQueryRunner } from '../../connectors/mysql/introspect-columns.js';

/** A runner answering by statement, recording every statement in order. */
function scriptedRunner(answers: Record<string, Record<string, unknown>[] | Error>): { runner: MysqlQueryRunner; statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    runner: {
      async query(sql, values) {
        statements.push(values.length > 0 ? `${sql} ${JSON.stringify(values)}` : sql);
        const answer = answers[sql] ?? [];
        if (answer instanceof Error) throw answer;
        return answer;
      },
    },
  };
}

describe('consistent read of MySQL/MariaDB', () => {
  it('MariaDB: takes the binlog point the snapshot reports and its GTID position from BINLOG_GTID_POS, with no lock', async () => {
    const { runner, statements } = scriptedRunner({
      "SHOW SESSION STATUS LIKE 'binlog_snapshot_%'": [{ Variable_name: 'Binlog_snapshot_file', Value: 'binlog.000007' }, { Variable_name: 'Binlog_snapshot_position', Value: '2355' }],
      'SELECT BINLOG_GTID_POS(?, ?) AS gtid': [{ gtid: '0-1-8,1-1-3' }],
    });
    const point = await beginConsistentRead(runner, { isMariaDb: true, gtids: true });
    expect(point.stream).toEqual({ kind: 'gtid', executed: '0-1-8,1-1-3' });
    expect(point.how).toBe('consistent snapshot at binlog.000007:2355 (gtid 0-1-8,1-1-3)');
    expect(statements).toEqual([
      'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ',
      'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY',
      "SHOW SESSION STATUS LIKE 'binlog_snapshot_%'",
      'SELECT BINLOG_GTID_POS(?, ?) AS gtid ["binlog.000007",2355]',
    ]);
    expect(statements.some((s) => /LOCK/.test(s))).toBe(false);
  });

  it('MariaDB without GTIDs wanted: the file position itself', async () => {
    const { runner } = scriptedRunner({
      "SHOW SESSION STATUS LIKE 'binlog_snapshot_%'": [{ Variable_name: 'Binlog_snapshot_file', Value: 'mariadb-bin.000002' }, { Variable_name: 'Binlog_snapshot_position', Value: '4' }],
    });
    expect((await beginConsistentRead(runner, { isMariaDb: true, gtids: false })).stream).toEqual({ kind: 'file', file: 'mariadb-bin.000002', offset: 4, published: 0 });
  });

  it('MySQL 8: holds FLUSH TABLES WITH READ LOCK only while the snapshot starts and the binlog status is read', async () => {
    const { runner, statements } = scriptedRunner({
      'SHOW MASTER STATUS': [{ File: 'binlog.000003', Position: 157, Executed_Gtid_Set: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-42,\n2c256447-3f0d-431b-9a25-bddf1f1f6ef6:1-7' }],
    });
    const point = await beginConsistentRead(runner, { isMariaDb: false, gtids: true });
    expect(point.stream).toEqual({ kind: 'gtid', executed: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-42,2c256447-3f0d-431b-9a25-bddf1f1f6ef6:1-7' });
    expect(statements).toEqual([
      'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ',
      'FLUSH TABLES WITH READ LOCK',
      'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY',
      'SHOW MASTER STATUS',
      'UNLOCK TABLES',
    ]);
  });

  it('MySQL 8.4 (SHOW BINARY LOG STATUS) without GTIDs, and the lock is released when reading the status fails', async () => {
    const { runner, statements } = scriptedRunner({
      'SHOW MASTER STATUS': new Error('You have an error in your SQL syntax'),
      'SHOW BINARY LOG STATUS': [{ File: 'binlog.000009', Position: 4 }],
    });
    expect((await beginConsistentRead(runner, { isMariaDb: false, gtids: false })).stream).toEqual({ kind: 'file', file: 'binlog.000009', offset: 4, published: 0 });
    expect(statements.at(-1)).toBe('UNLOCK TABLES');

    const failing = scriptedRunner({ 'SHOW MASTER STATUS': new Error('Access denied; you need the REPLICATION CLIENT privilege') });
    await expect(beginConsistentRead(failing.runner, { isMariaDb: false, gtids: true })).rejects.toThrow(/REPLICATION CLIENT/);
    expect(failing.statements.at(-1)).toBe('UNLOCK TABLES');
  });
});
