import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { expect } from 'vitest';
import { EntityEventDecoder, schemaTopicResolver } from '../../src/events/event-decoder.js';
import { SchemaTopic } from '../../src/kafka/schema-topic.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';

// Shared by backfill-postgres.test.ts and backfill-mysql.test.ts: a table of (id, version, note) whose
// version grows by one with every update, a write workload against it, a live read_committed recorder of the
// table's topic, and the checks — the topic folded equals the table, and per key the versions in topic order
// never go back (and nothing follows a delete: deleted ids are never reused).

const bed = testBed();

/** A connection that takes `?` placeholders on both databases. */
export interface Sql {
  query(text: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  end(): Promise<void>;
}

export interface BackfillDb {
  kind: 'postgres' | 'mysql';
  /** The source URL the daemon streams from. */
  url: string;
  /** The table as `namespace.table`. */
  table: string;
  connect(): Promise<Sql>;
  /** Drops what setup created. */
  drop(): Promise<void>;
}

/** `partitioned`: the table is range-partitioned by id (three partitions, the last the default one). */
export async function postgresDb(rows: number, options: { partitioned?: boolean } = {}): Promise<BackfillDb> {
  const connect = async (): Promise<Sql> => {
    const client = new pg.Client({ connectionString: bed.pgUrl });
    await client.connect();
    return {
      async query(text, params = []) {
        let i = 0;
        return (await client.query(text.replace(/\?/g, () => `$${++i}`), params)).rows as Array<Record<string, unknown>>;
      },
      end: () => client.end(),
    };
  };
  const name = uniqueName('bf_items');
  const sql = await connect();
  if (options.partitioned) {
    const third = Math.floor(rows / 3);
    await sql.query(`CREATE TABLE ${name} (id bigint PRIMARY KEY, version integer NOT NULL, note text NOT NULL) PARTITION BY RANGE (id)`);
    await sql.query(`CREATE TABLE ${name}_p0 PARTITION OF ${name} FOR VALUES FROM (MINVALUE) TO (${third})`);
    await sql.query(`CREATE TABLE ${name}_p1 PARTITION OF ${name} FOR VALUES FROM (${third}) TO (${2 * third})`);
    await sql.query(`CREATE TABLE ${name}_p2 PARTITION OF ${name} DEFAULT`);
  } else {
    await sql.query(`CREATE TABLE ${name} (id bigint PRIMARY KEY, version integer NOT NULL, note text NOT NULL)`);
  }
  await sql.query(`INSERT INTO ${name} SELECT g, 0, 'row ' || g FROM generate_series(1, ${rows}) g`);
  await sql.query(`ANALYZE ${name}`);
  await sql.end();
  return {
    kind: 'postgres', url: bed.pgUrl, table: `public.${name}`, connect,
    async drop() {
      const s = await connect();
      await s.query(`DROP TABLE IF EXISTS ${name}`);
      await s.end();
    },
  };
}

export async function mysqlDb(rows: number): Promise<BackfillDb> {
  const base = new URL(bed.mysqlUrl);
  const options = { host: base.hostname, port: Number(base.port), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password) };
  const database = uniqueName('bf');
  const connect = async (): Promise<Sql> => {
    const client = await mysql.createConnection({ ...options, supportBigNumbers: true, bigNumberStrings: true });
    return {
      async query(text, params = []) {
        const [result] = await client.query(text, params);
        return Array.isArray(result) ? (result as Array<Record<string, unknown>>) : [];
      },
      end: () => client.end(),
    };
  };
  const sql = await connect();
  await sql.query(`CREATE DATABASE ${database}`);
  await sql.query(`CREATE TABLE ${database}.items (id BIGINT PRIMARY KEY, version INT NOT NULL, note VARCHAR(200) NOT NULL)`);
  await sql.query(`INSERT INTO ${database}.items SELECT seq, 0, CONCAT('row ', seq) FROM ${database}.seq_1_to_${rows}`);
  await sql.query(`ANALYZE TABLE ${database}.items`);
  await sql.end();
  return {
    kind: 'mysql', url: `${bed.mysqlUrl.replace(/\/[^/]*$/, '')}/${database}`, table: `${database}.items`, connect,
    async drop() {
      const s = await connect();
      await s.query(`DROP DATABASE IF EXISTS ${database}`);
      await s.end();
    },
  };
}

/** Updates (version + 1), inserts of new ids and deletes, one per transaction, until stopped. */
export function startWorkload(db: BackfillDb, rows: number): { stop(): Promise<{ updates: number; inserts: number; deletes: number }> } {
  let running = true;
  const counts = { updates: 0, inserts: 0, deletes: 0 };
  const done = (async () => {
    const sql = await db.connect();
    let next = rows + 1;
    try {
      for (let i = 0; running; i++) {
        const id = 1 + Math.floor(Math.random() * (next - 1));
        if (i % 7 === 6) {
          await sql.query(`DELETE FROM ${db.table} WHERE id = ?`, [id]);
          counts.deletes++;
        } else if (i % 3 === 2) {
          await sql.query(`INSERT INTO ${db.table} (id, version, note) VALUES (?, 0, 'new')`, [next++]);
          counts.inserts++;
        } else {
          // Updates of a few keys in one transaction, some of them twice.
          await sql.query(`UPDATE ${db.table} SET version = version + 1, note = 'updated' WHERE id IN (?, ?, ?)`, [id, 1 + ((id * 7) % rows), id]);
          counts.updates++;
        }
      }
    } finally {
      await sql.end();
    }
    return counts;
  })();
  return { async stop() { running = false; return done; } };
}

export interface RecordedEvent {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

/** A read_committed consumer from the topic's beginning, keeping every record in offset order. */
export async function recordTopic(kafka: Kafka, topic: string): Promise<{ records: RecordedEvent[]; finish(): Promise<void> }> {
  const admin = kafka.admin();
  await admin.connect();
  await waitFor(`topic ${topic}`, async () => ((await admin.listTopics()).includes(topic) ? true : undefined), 120_000, 200);
  await admin.disconnect();
  const records: RecordedEvent[] = [];
  let next = 0n;
  const consumer = kafka.consumer({ groupId: uniqueName('bf-watch'), readUncommitted: false, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const offset = BigInt(message.offset);
      if (offset < next) return;
      next = offset + 1n;
      records.push({ key: message.key, value: message.value, headers: message.headers as Record<string, Buffer> });
    },
  });
  return { records, finish: () => consumer.disconnect() };
}

export interface History {
  /** Folded: id → version of the last event, deletes applied. */
  table: Map<string, number>;
  /** Backfill (op r) events. */
  backfillEvents: number;
  /** Keys whose versions went back, or that came back after a delete. */
  regressions: string[];
}

/** Decodes recorded records and checks every key's history. */
export async function history(kafka: Kafka, topicPrefix: string, records: readonly RecordedEvent[]): Promise<History> {
  const decoder = new EntityEventDecoder(schemaTopicResolver((await new SchemaTopic(kafka, topicPrefix).readAll()) ?? []));
  const table = new Map<string, number>();
  const last = new Map<string, number | 'deleted'>();
  const lastPosition = new Map<string, string>();
  const regressions: string[] = [];
  let backfillEvents = 0;
  for (const record of records) {
    const event = await decoder.decode(record);
    if (event.kind === 'truncate') throw new Error('unexpected truncate');
    const id = String(event.key!.id);
    const before = last.get(id);
    if (event.kind === 'tombstone') {
      table.delete(id);
      last.set(id, 'deleted');
      continue;
    }
    if (event.op === 'r') backfillEvents++;
    const version = Number(event.row.version);
    if (before === 'deleted' || (before !== undefined && version < before)) regressions.push(`${id}: ${before} at ${lastPosition.get(id)} then ${version} (${event.op}) at ${event.position}`);
    last.set(id, version);
    lastPosition.set(id, event.position);
    table.set(id, version);
  }
  return { table, backfillEvents, regressions };
}

export async function tableVersions(db: BackfillDb): Promise<Map<string, number>> {
  const sql = await db.connect();
  try {
    const rows = await sql.query(`SELECT id, version FROM ${db.table}`);
    return new Map(rows.map((r) => [String(r.id), Number(r.version)]));
  } finally {
    await sql.end();
  }
}

/** Every change up to now is in the recorded topic: a marker row written last has arrived. */
export async function waitForMarker(db: BackfillDb, recorder: { records: RecordedEvent[] }, kafka: Kafka, topicPrefix: string): Promise<void> {
  const sql = await db.connect();
  const marker = 1_000_000_000 + Math.floor(Math.random() * 1_000_000);
  await sql.query(`INSERT INTO ${db.table} (id, version, note) VALUES (?, 0, 'marker')`, [marker]);
  await sql.end();
  const decoder = new EntityEventDecoder(async (ref) => schemaTopicResolver((await new SchemaTopic(kafka, topicPrefix).readAll()) ?? [])(ref));
  let checked = 0;
  await waitFor('the marker row in the topic', async () => {
    for (; checked < recorder.records.length; checked++) {
      const record = recorder.records[checked]!;
      const event = await decoder.decode(record);
      if (event.kind !== 'truncate' && String(event.key?.id) === String(marker)) return true;
    }
    return undefined;
  }, 240_000, 200);
}

/** Resolves once the daemon checkpointed its first position: its stream has a start point, later signals reach it. */
export async function waitFirstCheckpoint(kafka: Kafka, prefix: string, name: string): Promise<void> {
  const checkpoints = new CheckpointStore(kafka, prefix, name);
  await waitFor('the first checkpoint', async () => ((await checkpoints.load().catch(() => null)) ? true : undefined), 120_000, 200);
}

/** `logtap snapshot` as a user runs it (not a terminal: progress as log lines). */
export async function requestBackfill(configFile: string, table: string): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ['bin/logtap.js', 'snapshot', '--config', configFile, '--table', table], {
    timeout: 300_000, env: { ...process.env, LOGTAP_LOG_LEVEL: 'info' },
  });
}

/** `logtap snapshot` expected to fail: its exit code and stderr. */
export async function requestBackfillFailing(configFile: string, table: string): Promise<{ code: number; stderr: string }> {
  try {
    await promisify(execFile)(process.execPath, ['bin/logtap.js', 'snapshot', '--config', configFile, '--table', table, '--detach'], { timeout: 60_000, env: { ...process.env, LOGTAP_LOG_LEVEL: 'silent' } });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

export function expectExact(found: History, table: Map<string, number>): void {
  expect(found.regressions).toEqual([]);
  expect(found.table.size).toBe(table.size);
  const differing = [...table].filter(([id, version]) => found.table.get(id) !== version);
  expect(differing.slice(0, 10)).toEqual([]);
}
