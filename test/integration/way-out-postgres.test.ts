import { afterEach, describe, it } from 'vitest';
import pg from 'pg';
import { testBed } from '../helpers/test-bed.js';
import { connectorObjectPattern, dropConnectorObjects } from '../helpers/pg-connector-objects.js';
import { snapshotWithoutSignal, wayOutScenario } from './way-out-harness.js';

const bed = testBed();

describe('a way out of a stopped PostgreSQL connector', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  it('stops on a refused transaction; check and offsets show report it; skip-current-transaction skips exactly it; run resumes; snapshot without a daemon re-publishes the tables', async () => {
    const sql = new pg.Client({ connectionString: bed.pgUrl });
    await sql.connect();
    cleanup.push(() => sql.end());
    await wayOutScenario({
      url: bed.pgUrl,
      namespace: 'public',
      query: async (text) => (await sql.query(text)).rows as Array<Record<string, unknown>>,
      async transaction(statements) {
        await sql.query('BEGIN');
        const xid = (await sql.query<{ xid: string }>('SELECT txid_current()::text AS xid')).rows[0]!.xid;
        for (const s of statements) await sql.query(s);
        await sql.query('COMMIT');
        return xid;
      },
      instanceActive: async (name) => (await sql.query('SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND active', [connectorObjectPattern(name)])).rowCount! > 0,
      expected: {
        running: /is running \(replication slot \S+ is active \(walsender pid \d+\): an instance streams this connector\): stop logtap run first/,
        garbage: /position "not-a-position" is not a PostgreSQL position: give an LSN such as 0\/16B3748/,
        position: /^lsn [0-9A-F]+\/[0-9A-F]+$/,
      },
      refusedPosition: { text: '0/1', line: /offsets set lsn 0\/1: replication slot \S+ has confirmed the WAL up to [0-9A-F]+\/[0-9A-F]+ and cannot go back to 0\/1: give a position at or after/ },
      gradeNullable: 'ALTER COLUMN grade DROP NOT NULL',
      dropConnector: (name) => dropConnectorObjects(sql, name),
    }, cleanup);
  }, 600_000);

  it('snapshot without signal.enabled is one line with the fix', () => snapshotWithoutSignal(bed.pgUrl), 60_000);
});
