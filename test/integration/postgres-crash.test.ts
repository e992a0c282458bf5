import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable, watchTopic } from '../helpers/topic-table.js';
import { latestSchemaTable } from '../helpers/latest-schema-table.js';
import { TopicManager } from '../../src/kafka/topic-manager.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { connectorObjectPattern, dropConnectorObjects } from '../helpers/pg-connector-objects.js';

// kill -9 of the real daemon at random points of a 100k-row-change workload of small transactions, crossing an
// ADD COLUMN … NOT NULL DEFAULT half way,
// 10 times: afterwards the topic folds into exactly the table, and a read_committed consumer saw every
// change exactly once.
const TOTAL_CHANGES = Number(process.env.LOGTAP_CRASH_CHANGES ?? 100_000);
const KILLS = 10;

describe('PostgreSQL → Kafka survives kill -9', () => {
  const bed = testBed();
  const name = uniqueName('crash');
  const table = uniqueName('crash_items');
  const prefix = uniqueName('crash');
  const sql = new pg.Client({ connectionString: bed.pgUrl });
  const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
  let daemon: Daemon | undefined;

  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    await daemon?.exited;
    await dropConnectorObjects(sql, name);
    await sql.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await sql.end();
  });

  it(`publishes ${TOTAL_CHANGES} changes exactly once across ${KILLS} crashes`, async () => {
    await sql.connect();
    await sql.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, qty integer NOT NULL, note text, amount numeric(12,2) NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
    const config = writeConfig({
      name, source: { url: bed.pgUrl, tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
      batch: { maxRecords: 2000, maxBytes: 4 << 20, maxDelayMs: 20 }, heartbeatIntervalMs: 500, restart: { initialBackoffMs: 100, maxBackoffMs: 1000 },
    });
    daemon = startDaemon(config);
    await waitStreaming(daemon);
    // The first start snapshots the (empty) table at the slot's creation: write once its checkpoint is a stream
    // position (`pg1:`), or a crash would resume the snapshot over the workload's rows (published again as reads).
    const checkpoints = new CheckpointStore(kafka, prefix, name);
    await waitFor('the first stream checkpoint', async () => ((await checkpoints.load())?.position.token.startsWith('pg1:') ? true : undefined), 30_000, 200);

    // A consumer watching from the start sees every committed record before compaction folds older versions away.
    const topic = `${prefix}.public.${table}`;
    await new TopicManager(kafka, 'test').ensure(topic, { partitions: 1, compacted: true });
    const watcher = await watchTopic(kafka, topic);

    // The workload: transactions of 5 inserts, 3 updates and 2 deletes (10 row changes each).
    let changes = 0;
    let nextId = 1;
    // Half way, a migration while the daemon is being killed: a NOT NULL column with a default.
    let migrated = false;
    const live: number[] = [];
    const workload = (async () => {
      const writer = new pg.Client({ connectionString: bed.pgUrl });
      await writer.connect();
      while (changes < TOTAL_CHANGES) {
        if (!migrated && changes >= TOTAL_CHANGES / 2) {
          await writer.query(`ALTER TABLE ${table} ADD COLUMN channel text NOT NULL DEFAULT 'web'`);
          migrated = true;
        }
        const ids = Array.from({ length: 5 }, () => nextId++);
        const updates = Array.from({ length: Math.min(3, live.length) }, () => live[Math.floor(Math.random() * live.length)]!);
        const deletes = live.length > 50 ? live.splice(Math.floor(Math.random() * (live.length - 2)), 2) : [];
        const results = await writer.query([
          'BEGIN',
          `INSERT INTO ${table} (id, qty, note, amount) VALUES ${ids.map((id) => `(${id}, ${id % 97}, 'n${id}', ${id}.${String(id % 100).padStart(2, '0')})`).join(',')}`,
          ...updates.map((id) => `UPDATE ${table} SET qty = qty + 1, note = 'u' || qty, amount = amount + 0.01, updated_at = now() WHERE id = ${id}`),
          ...(deletes.length ? [`DELETE FROM ${table} WHERE id IN (${deletes.join(',')})`] : []),
          'COMMIT',
        ].join(';')) as unknown as pg.QueryResult[];
        for (const r of results) if (r.command !== 'BEGIN' && r.command !== 'COMMIT') changes += r.rowCount ?? 0;
        live.push(...ids);
      }
      await writer.end();
    })();

    // Ten kill -9 at random moments, each followed by a restart.
    for (let k = 0; k < KILLS; k++) {
      await sleep(300 + Math.random() * 2500);
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      daemon = startDaemon(config);
    }
    await workload;
    await waitStreaming(daemon);

    // Caught up when the slot's confirmed position passed the end of the workload (released only after Kafka commits).
    const { rows: [end] } = await sql.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    await waitFor('the daemon to catch up', async () => {
      const { rows } = await sql.query<{ behind: boolean }>(`SELECT confirmed_flush_lsn < $1::pg_lsn AS behind FROM pg_replication_slots WHERE slot_name LIKE $2`, [end!.lsn, connectorObjectPattern(name)]);
      return rows[0] && !rows[0].behind ? true : undefined;
    }, 180_000, 500);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);

    await watcher.finish();
    const read = await readTopicAsTable(kafka, prefix, `${prefix}.public.${table}`, (key) => String(key.id));
    // Exactly once: the watching read_committed consumer saw every change, each once.
    expect(new Set(watcher.positions).size).toBe(watcher.positions.length);
    expect(watcher.positions.length).toBe(changes);

    // The topic is the table, row for row.
    // extract(epoch) is numeric on PostgreSQL 14+: exact microseconds.
    const { rows } = await sql.query(`SELECT id::text, qty, note, amount::text, (extract(epoch FROM updated_at) * 1000000)::bigint::text AS micros FROM ${table} ORDER BY id`);
    expect(read.table.size).toBe(rows.length);
    for (const row of rows) {
      const fromTopic = read.table.get(row.id);
      expect(fromTopic, `row ${row.id}`).toBeDefined();
      expect({ id: String(fromTopic!.id), qty: fromTopic!.qty, note: fromTopic!.note, amount: fromTopic!.amount, micros: String(fromTopic!.updated_at) })
        .toEqual({ id: row.id, qty: row.qty, note: row.note, amount: row.amount, micros: row.micros });
    }
    // Across the crashes and the migration: a reader of the latest schema reads the added column on every row,
    // the rows written before it included (the field's default).
    const latest = await latestSchemaTable(kafka, prefix, `${prefix}.public.${table}`);
    expect(latest.size).toBe(rows.length);
    for (const row of rows) expect(latest.get(String(row.id))?.channel, `row ${String(row.id)}`).toBe('web');
  }, 600_000);
});
