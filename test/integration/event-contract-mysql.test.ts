import { afterAll, beforeAll, describe, it } from 'vitest';
import mysql from 'mysql2/promise';
import { uniqueName } from '../helpers/names.js';
import { mysqlConnectionOptions, mysqlUrlFor } from '../helpers/test-bed-databases.js';
import { type ContractDb, contractCrash, contractWorkload } from './event-contract-harness.js';

describe('event contract on MariaDB', () => {
  const database = uniqueName('contract');
  let sql: mysql.Connection;
  const db: ContractDb = {
    url: mysqlUrlFor(database),
    namespace: database,
    run: async (statements) => { for (const s of statements) await sql.query(s); },
    async transaction(statements) {
      await sql.query(['START TRANSACTION', ...statements, 'COMMIT'].join(';'));
      const [[row]] = await sql.query('SELECT @@last_gtid AS gtid') as unknown as [[{ gtid: string }]];
      return row.gtid;
    },
    // Binlog times are whole seconds.
    commitFloorMicros: (before) => (before / 1_000_000n) * 1_000_000n,
    dropConnector: async () => {},
  };

  beforeAll(async () => {
    sql = await mysql.createConnection(mysqlConnectionOptions({ multipleStatements: true }));
    await sql.query(`CREATE DATABASE ${database}`);
  });
  afterAll(async () => {
    await sql.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
    await sql.end();
  });

  it('publishes BEGIN/END with counts and commit times, watermarks, stable event ids and a key-only table', () => contractWorkload(db), 240_000);
  it('publishes every BEGIN and END exactly once across kill -9', () => contractCrash(db), 240_000);
});
