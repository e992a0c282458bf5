import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable, watchTopic } from '../helpers/topic-table.js';
import { TopicManager } from '../../src/kafka/topic-manager.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { connectorObjectPattern, dropConnectorObjects } from '../helpers/pg-connector-objects.js';

// kill -9 of the real daemon while a large transaction is streamed to it (pgoutput streaming, spooled to disk:
// connectors/postgres/stream-spool.ts) — twice while it is still open, once while its commit is being
// published across several Kafka transactions: afterwards a read_committed consumer saw every committed change
// exactly once (a rolled-back savepoint's never) and the topic is the table.

/** Total bytes of the spill files under a spill directory. */
function spilledBytes(dir: string): number {
  let total = 0;
  try {
    for (const session of readdirSync(dir)) for (const f of readdirSync(join(dir, session))) total += statSync(join(dir, session, f)).size;
  } catch {
    // a session directory removed meanwhile
  }
  return total;
}

describe('PostgreSQL → Kafka: a streamed large transaction survives kill -9', () => {
  const bed = testBed();
  const name = uniqueName('pgstrcrash');
  const table = uniqueName('pgstrcrash_items');
  const prefix = uniqueName('pgstrcrash');
  const spillDir = mkdtempSync(join(tmpdir(), 'logtap-spill-crash-'));
  const sql = new pg.Client({ connectionString: bed.pgUrl });
  const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
  let daemon: Daemon | undefined;

  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    await daemon?.exited;
    await dropConnectorObjects(sql, name);
    await sql.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await sql.end();
    rmSync(spillDir, { recursive: true, force: true });
  });

  it('publishes every committed change once across kills mid-stream and mid-commit', async () => {
    await sql.connect();
    await sql.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, v text NOT NULL)`);
    const config = writeConfig({
      name, source: { url: bed.pgUrl, tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
      batch: { maxRecords: 2000, maxBytes: 4 << 20, maxDelayMs: 20 }, heartbeatIntervalMs: 500, restart: { initialBackoffMs: 100, maxBackoffMs: 1000 },
      streaming: { mode: 'auto', spillDir, workMem: '64kB' },
    });
    const restart = async () => {
      daemon!.child.kill('SIGKILL');
      await daemon!.exited;
      daemon = startDaemon(config);
    };
    daemon = startDaemon(config);
    await waitStreaming(daemon);
    const checkpoints = new CheckpointStore(kafka, prefix, name);
    await waitFor('the first stream checkpoint', async () => ((await checkpoints.load())?.position.token.startsWith('pg1:') ? true : undefined), 30_000, 200);
    const topic = `${prefix}.public.${table}`;
    await new TopicManager(kafka, 'test').ensure(topic, { partitions: 1, compacted: true });
    const watcher = await watchTopic(kafka, topic);

    const writer = new pg.Client({ connectionString: bed.pgUrl });
    const other = new pg.Client({ connectionString: bed.pgUrl });
    await writer.connect();
    await other.connect();
    let committed = 0;
    const count = async (statement: string): Promise<void> => {
      committed += (await writer.query(statement)).rowCount ?? 0;
    };
    try {
      await writer.query('BEGIN');
      await count(`INSERT INTO ${table} SELECT g, 'first ' || g FROM generate_series(1, 20000) g`);
      await writer.query('SAVEPOINT s');
      await writer.query(`INSERT INTO ${table} SELECT g, 'rolled back ' || g FROM generate_series(900001, 905000) g`);
      await writer.query('ROLLBACK TO SAVEPOINT s');
      // Kill 1: the transaction is being spooled.
      await waitFor('the transaction spooled', () => (spilledBytes(spillDir) > 200_000 ? true : undefined), 60_000, 20);
      await restart();
      // Small transactions commit while it is open.
      for (let i = 1; i <= 10; i++) committed += (await other.query(`INSERT INTO ${table} VALUES (${1_000_000 + i}, 'small ${i}')`)).rowCount ?? 0;
      await count(`INSERT INTO ${table} SELECT g, 'second ' || g FROM generate_series(20001, 60000) g`);
      await count(`UPDATE ${table} SET v = 'updated ' || id WHERE id % 10 = 0 AND id <= 20000`);
      await count(`DELETE FROM ${table} WHERE id % 13 = 0 AND id <= 20000`);
      // Kill 2: the restarted daemon gets the open transaction streamed again, from its start.
      await waitStreaming(daemon!);
      await waitFor('the transaction spooled again', () => (spilledBytes(spillDir) > 1_000_000 ? true : undefined), 60_000, 20);
      await restart();
      await count(`INSERT INTO ${table} SELECT g, 'third ' || g FROM generate_series(60001, 100000) g`);
      await writer.query('COMMIT');
    } finally {
      await writer.end();
      await other.end();
    }
    // Kill 3: while the committed transaction is being published (in Kafka transactions of 2000 records).
    const seenAtKill = await waitFor('part of the large transaction published', () => (watcher.positions.length > 2010 ? watcher.positions.length : undefined), 120_000, 10);
    await restart();
    expect(seenAtKill).toBeLessThan(committed);

    await waitStreaming(daemon!);
    const { rows: [end] } = await sql.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    await waitFor('the daemon to catch up', async () => {
      const { rows } = await sql.query<{ behind: boolean }>(`SELECT confirmed_flush_lsn < $1::pg_lsn AS behind FROM pg_replication_slots WHERE slot_name LIKE $2`, [end!.lsn, connectorObjectPattern(name)]);
      return rows[0] && !rows[0].behind ? true : undefined;
    }, 180_000, 500);
    daemon!.child.kill('SIGTERM');
    expect((await daemon!.exited).code).toBe(0);

    await watcher.finish();
    // Exactly once, and nothing of the rolled-back savepoint.
    expect(new Set(watcher.positions).size).toBe(watcher.positions.length);
    expect(watcher.positions.length).toBe(committed);
    const read = await readTopicAsTable(kafka, prefix, topic, (key) => String(key.id));
    const { rows } = await sql.query<{ id: string; v: string }>(`SELECT id::text, v FROM ${table} ORDER BY id`);
    expect(read.table.size).toBe(rows.length);
    for (const row of rows) expect(read.table.get(row.id)?.v, `row ${row.id}`).toBe(row.v);
    // The spill files of the killed processes are gone (deleted by the next start), the last one's too.
    expect(spilledBytes(spillDir)).toBe(0);
  }, 400_000);
});
