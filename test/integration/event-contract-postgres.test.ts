import { afterAll, beforeAll, describe, it } from 'vitest';
import pg from 'pg';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';
import { type ContractDb, contractCrash, contractWorkload } from './event-contract-harness.js';

describe('event contract on PostgreSQL', () => {
  const bed = testBed();
  const schema = uniqueName('contract');
  const sql = new pg.Client({ connectionString: bed.pgUrl });
  const db: ContractDb = {
    url: bed.pgUrl,
    namespace: schema,
    run: async (statements) => { for (const s of statements) await sql.query(s); },
    async transaction(statements) {
      const results = await sql.query(['BEGIN', ...statements, 'SELECT (txid_current() % 4294967296)::text AS xid', 'COMMIT'].join(';')) as unknown as pg.QueryResult[];
      return String(results.at(-2)!.rows[0].xid);
    },
    // Commit times are microseconds of the same clock.
    commitFloorMicros: (before) => before - 1000n,
    dropConnector: (name) => dropConnectorObjects(sql, name),
  };

  beforeAll(async () => {
    await sql.connect();
    await sql.query(`CREATE SCHEMA ${schema}`);
  });
  afterAll(async () => {
    await sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await sql.end();
  });

  it('publishes BEGIN/END with counts and commit times, watermarks, stable event ids and a key-only table', () => contractWorkload(db), 240_000);
  it('publishes every BEGIN and END exactly once across kill -9', () => contractCrash(db), 240_000);
});
