import { afterAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable, watchTopic } from '../helpers/topic-table.js';
import { latestSchemaTable } from '../helpers/latest-schema-table.js';
import { TopicManager } from '../../src/kafka/topic-manager.js';
import { checkpointCovers } from '../helpers/mariadb-checkpoint.js';

// kill -9 of the real daemon at random points of a 100k-row-change workload of small MariaDB
// transactions, 10 times: afterwards the topic folds into exactly the table, and a read_committed
// consumer saw every change exactly once.
const TOTAL_CHANGES = Number(process.env.LOGTAP_CRASH_CHANGES ?? 100_000);
const KILLS = 10;

describe('MariaDB → Kafka survives kill -9', () => {
  const bed = testBed();
  const url = new URL(bed.mysqlUrl);
  const connection = { host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), multipleStatements: true };
  const name = uniqueName('mcrash');
  const database = uniqueName('mcrash');
  const prefix = uniqueName('mcrash');
  const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
  let sql: mysql.Connection;
  let daemon: Daemon | undefined;

  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    await sql?.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
    await sql?.end();
  });

  it(`publishes ${TOTAL_CHANGES} changes exactly once across ${KILLS} crashes`, async () => {
    sql = await mysql.createConnection(connection);
    await sql.query(`CREATE DATABASE ${database}`);
    await sql.query(`CREATE TABLE ${database}.items (id BIGINT PRIMARY KEY, qty INT NOT NULL, note VARCHAR(100), amount DECIMAL(12,2) NOT NULL, updated_at DATETIME(6) NOT NULL)`);
    const config = writeConfig({
      name, source: { url: `${bed.mysqlUrl.replace(/\/[^/]*$/, '')}/${database}`, tables: [`${database}.items`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
      batch: { maxRecords: 2000, maxBytes: 4 << 20, maxDelayMs: 20 }, heartbeatIntervalMs: 500, restart: { initialBackoffMs: 100, maxBackoffMs: 1000 },
    });
    daemon = startDaemon(config);
    await waitStreaming(daemon);
    const checkpoints = new CheckpointStore(kafka, prefix, name);
    // The first start snapshots the (empty) table first: wait until its checkpoint is a stream position (`my1:`),
    // or a crash would resume the snapshot over the workload's rows (published again as reads, by design).
    await waitFor('the first stream checkpoint', async () => ((await checkpoints.load())?.position.token.startsWith('my1:') ? true : undefined), 30_000, 200);

    // A consumer watching from the start sees every committed record before compaction folds older versions away.
    const topic = `${prefix}.${database}.items`;
    await new TopicManager(kafka, 'test').ensure(topic, { partitions: 1, compacted: true });
    const watcher = await watchTopic(kafka, topic);

    let changes = 0;
    let nextId = 1;
    // Half way, a migration while the daemon is being killed: a NOT NULL column with a default.
    let migrated = false;
    const live: number[] = [];
    const workload = (async () => {
      const writer = await mysql.createConnection(connection);
      while (changes < TOTAL_CHANGES) {
        if (!migrated && changes >= TOTAL_CHANGES / 2) {
          await writer.query(`ALTER TABLE ${database}.items ADD COLUMN channel VARCHAR(16) NOT NULL DEFAULT 'web' AFTER qty`);
          migrated = true;
        }
        const ids = Array.from({ length: 5 }, () => nextId++);
        const updates = Array.from({ length: Math.min(3, live.length) }, () => live[Math.floor(Math.random() * live.length)]!);
        const deletes = live.length > 50 ? live.splice(Math.floor(Math.random() * (live.length - 2)), 2) : [];
        const [results] = await writer.query([
          'START TRANSACTION',
          `INSERT INTO ${database}.items (id, qty, note, amount, updated_at) VALUES ${ids.map((id) => `(${id}, ${id % 97}, 'n${id}', ${id}.${String(id % 100).padStart(2, '0')}, NOW(6))`).join(',')}`,
          ...updates.map((id) => `UPDATE ${database}.items SET qty = qty + 1, note = CONCAT('u', qty), amount = amount + 0.01, updated_at = NOW(6) WHERE id = ${id}`),
          ...(deletes.length ? [`DELETE FROM ${database}.items WHERE id IN (${deletes.join(',')})`] : []),
          'COMMIT',
        ].join(';')) as unknown as [mysql.ResultSetHeader[]];
        for (const r of results) changes += r.affectedRows ?? 0;
        live.push(...ids);
      }
      await writer.end();
    })();

    for (let k = 0; k < KILLS; k++) {
      await sleep(300 + Math.random() * 2500);
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      daemon = startDaemon(config);
    }
    await workload;
    await waitStreaming(daemon);

    const [[{ pos }]] = await sql.query('SELECT @@gtid_binlog_pos AS pos') as unknown as [[{ pos: string }]];
    await waitFor('the daemon to catch up', async () => {
      const checkpoint = await checkpoints.load();
      return checkpoint && checkpointCovers(checkpoint.position.token, pos) ? true : undefined;
    }, 180_000, 500);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);

    await watcher.finish();
    const read = await readTopicAsTable(kafka, prefix, `${prefix}.${database}.items`, (key) => String(key.id));
    // Exactly once: the watching read_committed consumer saw every change, each once.
    expect(new Set(watcher.positions).size).toBe(watcher.positions.length);
    expect(watcher.positions.length).toBe(changes);

    const [rows] = await sql.query(`SELECT CAST(id AS CHAR) AS id, qty, note, CAST(amount AS CHAR) AS amount, TIMESTAMPDIFF(MICROSECOND, '1970-01-01', updated_at) AS micros FROM ${database}.items ORDER BY items.id`) as unknown as [Array<Record<string, unknown>>];
    expect(read.table.size).toBe(rows.length);
    for (const row of rows) {
      const t = read.table.get(row.id as string);
      expect(t, `row ${row.id}`).toBeDefined();
      expect({ id: String(t!.id), qty: t!.qty, note: t!.note, amount: t!.amount, micros: String(t!.updated_at) }).toEqual({ ...row, micros: String(row.micros) });
    }
    // Across the crashes and the migration: a reader of the latest schema reads the added column on every row,
    // the rows written before it included (the field's default).
    const latest = await latestSchemaTable(kafka, prefix, `${prefix}.${database}.items`);
    expect(latest.size).toBe(rows.length);
    for (const row of rows) expect(latest.get(String(row.id))?.channel, `row ${String(row.id)}`).toBe('web');
  }, 600_000);
});
