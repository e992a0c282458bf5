import { afterEach, describe, it } from 'vitest';
import mysql from 'mysql2/promise';
import { testBed } from '../helpers/test-bed.js';
import { mysqlConnectionOptions, mysqlUrlFor } from '../helpers/test-bed-databases.js';
import { uniqueName } from '../helpers/names.js';
import { lockName } from '../../connectors/mysql/instance-lock.js';
import { snapshotWithoutSignal, wayOutScenario } from './way-out-harness.js';

const bed = testBed();

describe('a way out of a stopped MariaDB connector', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  it('stops on a refused transaction; check and offsets show report it; skip-current-transaction skips exactly it; run resumes; snapshot without a daemon re-publishes the tables', async () => {
    const database = uniqueName('way');
    const sql = await mysql.createConnection(mysqlConnectionOptions());
    cleanup.push(() => sql.end());
    await sql.query(`CREATE DATABASE ${database}`);
    cleanup.push(() => sql.query(`DROP DATABASE IF EXISTS ${database}`));
    await sql.query(`USE ${database}`);
    const query = async (text: string) => {
      const [rows] = await sql.query(text);
      return Array.isArray(rows) ? (rows as Array<Record<string, unknown>>) : [];
    };
    await wayOutScenario({
      url: mysqlUrlFor(database),
      namespace: database,
      query,
      async transaction(statements) {
        await sql.query('BEGIN');
        for (const s of statements) await sql.query(s);
        await sql.query('COMMIT');
        return String((await query('SELECT @@last_gtid AS gtid'))[0]!.gtid);
      },
      instanceActive: async (name) => (await query(`SELECT IS_USED_LOCK('${lockName(name)}') AS holder`))[0]!.holder !== null,
      expected: {
        running: /is running \(the instance lock logtap:\S+ is held by connection \d+: an instance streams this connector\): stop logtap run first/,
        garbage: /position "not-a-position" is not a MySQL\/MariaDB position: give binlog-file:offset/,
        position: /^gtid \d+-\d+-\d+/,
      },
      refusedPosition: { text: 'nosuch-bin.000001:4', line: /offsets set nosuch-bin\.000001:4: binlog file nosuch-bin\.000001 is not on the server \(SHOW BINARY LOGS lists \S+/ },
      dropConnector: async () => {},
    }, cleanup);
  }, 600_000);

  it('snapshot without signal.enabled is one line with the fix', () => snapshotWithoutSignal(bed.mysqlUrl), 60_000);
});
