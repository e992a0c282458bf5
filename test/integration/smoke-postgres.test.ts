import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import type { Pgoutput } from 'pg-logical-replication';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';

// Proves the test bed's PostgreSQL runs with wal_level=logical and serves pgoutput to pg-logical-replication.
const lsnToBigInt = (lsn: string): bigint => {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
};

describe('test bed: PostgreSQL logical replication', () => {
  const { pgUrl } = testBed();
  const table = uniqueName('smoke');
  const slot = uniqueName('slot');
  const publication = uniqueName('pub');
  const sql = new pg.Client({ connectionString: pgUrl });
  let service: LogicalReplicationService | undefined;

  beforeAll(async () => {
    await sql.connect();
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text NOT NULL)`);
    await sql.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
    await sql.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
  });

  afterAll(async () => {
    await service?.stop();
    await sql.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active`, [slot]).catch(() => {});
    await sql.query(`DROP PUBLICATION IF EXISTS ${publication}`);
    await sql.query(`DROP TABLE IF EXISTS ${table}`);
    await sql.end();
  });

  it('runs with wal_level=logical', async () => {
    const { rows } = await sql.query('SHOW wal_level');
    expect(rows[0].wal_level).toBe('logical');
  });

  it('delivers an INSERT through a pgoutput slot, at or after the LSN before the insert', async () => {
    const { rows: before } = await sql.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    await sql.query(`INSERT INTO ${table} (id, note) VALUES (1, 'hello from the WAL')`);

    const seen: Array<{ lsn: string; message: Pgoutput.Message }> = [];
    service = new LogicalReplicationService({ connectionString: pgUrl }, { acknowledge: { auto: false, timeoutSeconds: 0 } });
    service.on('data', (lsn: string, message: Pgoutput.Message) => {
      seen.push({ lsn, message });
    });
    service.on('error', () => {}); // the wait below reports a failure with context
    void service.subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [publication] }), slot).catch(() => {});

    const insert = await waitFor('the INSERT from the slot', () => seen.find((s) => s.message.tag === 'insert'));
    const message = insert.message as Pgoutput.MessageInsert;
    expect(message.relation.name).toBe(table);
    expect(message.relation.keyColumns).toEqual(['id']);
    expect(message.new).toEqual({ id: 1, note: 'hello from the WAL' });
    // The INSERT record starts where the WAL insert pointer stood before it.
    expect(lsnToBigInt(insert.lsn)).toBeGreaterThanOrEqual(lsnToBigInt(before[0]!.lsn));

    const commit = await waitFor('the COMMIT from the slot', () => seen.find((s) => s.message.tag === 'commit'));
    expect(lsnToBigInt(commit.lsn)).toBeGreaterThan(lsnToBigInt(insert.lsn));
  });
});
