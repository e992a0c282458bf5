import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { testBed } from '../helpers/test-bed.js';
import { connectorObjectPattern, dropConnectorObjects } from '../helpers/pg-connector-objects.js';
import { logtap, snapshotWithoutSignal, wayOutScenario } from './way-out-harness.js';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { startDaemon, userLines, waitStreaming, writeConfig } from '../helpers/daemon.js';

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
      dropConnector: (name) => dropConnectorObjects(sql, name),
    }, cleanup);
  }, 600_000);

  it('a checkpoint inside the refused transaction (a size flush in it): the skip counts only its changes after the checkpoint', async () => {
    const sql = new pg.Client({ connectionString: bed.pgUrl });
    await sql.connect();
    cleanup.push(() => sql.end());
    const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
    const name = uniqueName('waypart');
    const prefix = uniqueName('wpp');
    const items = uniqueName('wayp_items');
    const stock = uniqueName('wayp_stock');
    await sql.query(`CREATE TABLE ${items} (id integer PRIMARY KEY, note text NOT NULL)`);
    await sql.query(`CREATE TABLE ${stock} (id integer PRIMARY KEY, qty integer NOT NULL)`);
    await sql.query(`INSERT INTO ${stock} VALUES (1, 10), (2, 20), (3, 30)`);
    await sql.query(`INSERT INTO ${items} VALUES (1, 'one')`); // published (by the snapshot) before the column comes
    cleanup.push(async () => {
      await dropConnectorObjects(sql, name);
      await sql.query(`DROP TABLE IF EXISTS ${items}, ${stock}`);
    });
    const configFile = writeConfig({
      name, source: { url: bed.pgUrl, tables: [`public.${items}`, `public.${stock}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
      batch: { maxRecords: 2 }, heartbeatIntervalMs: 300,
    });
    const daemon = startDaemon(configFile);
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; });
    await waitStreaming(daemon);
    const store = new CheckpointStore(kafka, prefix, name);
    await waitFor('the first checkpoint', async () => ((await store.load().catch(() => null)) ? true : undefined), 120_000, 200);

    // A renamed NOT NULL column: incompatible with the records before it (no value, no default).
    await sql.query(`ALTER TABLE ${items} RENAME COLUMN note TO label`);
    await sql.query('BEGIN');
    const xid = (await sql.query<{ xid: string }>('SELECT txid_current()::text AS xid')).rows[0]!.xid;
    for (const id of [1, 2, 3]) await sql.query(`UPDATE ${stock} SET qty = qty + 1 WHERE id = ${id}`);
    await sql.query(`INSERT INTO ${items} (id, label) VALUES (100, 'poison')`);
    await sql.query('COMMIT');
    expect((await daemon.exited).code).toBe(1);
    const inside = (await store.load())!;
    expect(inside.position.token).toMatch(/^pg1:[0-9A-F]+\/[0-9A-F]+#2$/);
    await waitFor('the slot to be free', async () => ((await sql.query('SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND active', [connectorObjectPattern(name)])).rowCount ? undefined : true), 30_000);

    const skipped = await logtap('offsets', 'skip-current-transaction', '--config', configFile);
    expect(userLines(skipped.stderr)).toEqual([]);
    expect(skipped.stdout).toContain(`skipped transaction ${xid}, committed `);
    expect(skipped.stdout).toContain(`: 2 change(s) of public.${stock}, public.${items}\n`);
    expect(skipped.stdout).toContain(`before: ${inside.position.display} (${inside.position.token})`);
    expect((await store.load())!.position.token).toMatch(/^pg1:[0-9A-F]+\/[0-9A-F]+$/);
  }, 180_000);

  it('snapshot without signal.enabled is one line with the fix', () => snapshotWithoutSignal(bed.pgUrl), 60_000);
});
