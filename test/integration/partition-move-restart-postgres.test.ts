import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';
import { parseLsn } from '../../connectors/postgres/lsn.js';
import { testBed } from '../helpers/test-bed.js';
import { pgUrlFor } from '../helpers/test-bed-databases.js';
import { uniqueName } from '../helpers/names.js';
import { waitPgCheckpointed } from '../helpers/postgres-checkpoint.js';
import { waitFor } from '../helpers/wait.js';
import { startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';

/*
 * One transaction that moves every row of a partitioned table to another partition (a delete and an insert
 * per row, decoded adjacent), checkpointed inside the transaction (small batches), `logtap run` killed -9 in
 * the middle and started again: every move is published exactly once, as one update at the insert's position.
 */

const bed = testBed();
const sql = new pg.Client({ connectionString: bed.pgUrl });
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const name = uniqueName('pmove');
const prefix = uniqueName('pmv');
const database = uniqueName('pmove_db');
const ROWS = 15_000;

afterAll(async () => {
  const client = new pg.Client({ connectionString: pgUrlFor(database) });
  await client.connect().then(() => dropConnectorObjects(client, name)).catch(() => {}).finally(() => client.end().catch(() => {}));
  await sql.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
  await sql.end();
});

describe('rows moved between partitions across a kill -9 inside the transaction', () => {
  it('publishes every move exactly once, as one update at the insert\'s position', async () => {
    await sql.connect();
    await sql.query(`CREATE DATABASE ${database}`);
    const source = new pg.Client({ connectionString: pgUrlFor(database) });
    await source.connect();
    try {
      await source.query(`CREATE TABLE moves (id int8, bucket int4, PRIMARY KEY (id, bucket)) PARTITION BY LIST (bucket)`);
      await source.query(`CREATE TABLE moves_0 PARTITION OF moves FOR VALUES IN (0)`);
      await source.query(`CREATE TABLE moves_1 PARTITION OF moves FOR VALUES IN (1)`);
      await source.query(`INSERT INTO moves SELECT g, 0 FROM generate_series(1, ${ROWS}) g`);
      // Small batches: the pipeline checkpoints many times inside the moving transaction.
      const configFile = writeConfig({ name, source: { url: pgUrlFor(database) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, batch: { maxRecords: 100 } });
      const checkpoints = new CheckpointStore(kafka, prefix, name);

      const first = startDaemon(configFile);
      let killedAt = '';
      try {
        await waitStreaming(first, 120_000);
        await source.query('BEGIN');
        await source.query(`UPDATE moves SET bucket = 1`);
        const commit = (await source.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]!.lsn;
        await source.query('COMMIT');
        // Kill once a checkpoint sits inside the moving transaction, some way in.
        killedAt = await waitFor('a checkpoint inside the transaction', async () => {
          const token = (await checkpoints.load())?.position.token ?? '';
          const inside = /^pg1:([0-9A-F]+\/[0-9A-F]+)#(\d+)$/i.exec(token);
          return inside && parseLsn(inside[1]!) >= parseLsn(commit) && Number(inside[2]) >= 2000 ? token : undefined;
        }, 180_000, 20);
      } finally {
        first.child.kill('SIGKILL');
        await first.exited;
      }
      expect(Number(killedAt.split('#')[1])).toBeLessThan(2 * ROWS);

      const second = startDaemon(configFile);
      try {
        await waitPgCheckpointed(source, checkpoints, 240_000);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }

      // Every record of the moving transaction: per change one tombstone of the old key and one `u` row.
      const tx = killedAt.slice(0, killedAt.indexOf('#') + 1);
      const byPosition = new Map<string, string[]>();
      await readTopicToEnd(kafka, `${prefix}.public.moves`, ({ message }) => {
        const position = String(message.headers?.['logtap.position']);
        if (!position.startsWith(tx)) return;
        const list = byPosition.get(position) ?? [];
        list.push(message.value === null ? 'tombstone' : String(message.headers?.['logtap.op']));
        byPosition.set(position, list);
      });
      const expected = Array.from({ length: ROWS }, (_, i) => `${tx}${2 * (i + 1)}`);
      expect([...byPosition.keys()].sort()).toEqual(expected.sort());
      const shapes = new Set([...byPosition.values()].map((ops) => ops.sort().join('+')));
      expect([...shapes]).toEqual(['tombstone+u']);
    } finally {
      await source.end();
    }
  }, 600_000);
});
