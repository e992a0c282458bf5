import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { probeSourceClock } from '../../connectors/postgres/source-clock.js';
import { CommitTimeBound } from '../../connectors/postgres/commit-time-bound.js';
import { parseLsn } from '../../connectors/postgres/lsn.js';

/** The clock probe behind PostgreSQL watermarks, on a real server: what it sees of running transactions. */
describe('PostgreSQL clock probe', () => {
  const bed = testBed();
  const table = uniqueName('clock');
  const clients = [0, 1, 2].map(() => new pg.Client({ connectionString: bed.pgUrl }));
  const [probing, idle, busy] = clients as [pg.Client, pg.Client, pg.Client];
  const xidOf = async (c: pg.Client) => String((await c.query<{ x: string }>('SELECT (txid_current() % 4294967296)::text AS x')).rows[0]!.x);

  beforeAll(async () => {
    for (const c of clients) await c.connect();
    await probing.query(`CREATE TABLE ${table} (id INT PRIMARY KEY)`);
  });
  afterAll(async () => {
    for (const c of [idle, busy]) await c.end().catch(() => {});
    await probing.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await probing.end();
  });

  it('sees a transaction idle in its block as not committing, waits for one inside a statement, and seals once it ended', async () => {
    await idle.query('BEGIN');
    await idle.query(`INSERT INTO ${table} VALUES (1)`);
    const idleXid = await xidOf(idle);
    await busy.query('BEGIN');
    await busy.query(`INSERT INTO ${table} VALUES (2)`);
    const busyXid = await xidOf(busy);
    const sleeping = busy.query('SELECT pg_sleep(1.5)');
    await new Promise((r) => setTimeout(r, 300));

    const first = await probeSourceClock(probing);
    expect(first.running.get(idleXid)).toEqual({ idleInTransaction: true, statementStartMicros: expect.any(BigInt) });
    const inStatement = first.running.get(busyXid)!;
    expect(inStatement.idleInTransaction).toBe(false);
    expect(inStatement.statementStartMicros! <= first.timeMicros).toBe(true);

    const bound = new CommitTimeBound();
    bound.add(first);
    expect(bound.wantsProbe).toBe(true); // waits for the busy transaction only
    await sleeping;
    await busy.query('COMMIT');
    const committedAt = parseLsn((await probing.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0]!.l);
    const second = await probeSourceClock(probing);
    expect(second.running.has(busyXid)).toBe(false);
    expect(second.running.get(idleXid)?.idleInTransaction).toBe(true);
    expect(second.insertLsn >= committedAt).toBe(true);
    bound.add(second);
    expect(bound.wantsProbe).toBe(false);
    expect(bound.take(second.insertLsn - 1n)).toBeUndefined();
    expect(bound.take(second.insertLsn)).toBe(first.timeMicros);
    await idle.query('ROLLBACK');
  });
});
