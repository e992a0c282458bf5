import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { type TempKafka, startTemporaryKafka } from '../helpers/temp-kafka.js';
import { uniqueName } from '../helpers/names.js';

// Shared by restart-postgres.test.ts and restart-mariadb.test.ts: the restart scenarios, a steady write
// workload that survives its server going away, and the exactly-once check that follows it.

/** What a restart suite needs to know of one source database. */
export interface RestartSource {
  title: string;
  /** A private server (the suite stops and starts it); `url` as the connector and the workload use it. */
  start(): Promise<{ url: string; restart(downMs: number): Promise<void>; stop(): Promise<void> | void }>;
  connect(url: string): Connect;
  /** `source.tables` entry and topic part of a table the suite creates. */
  qualified(table: string): string;
  /** Resolves once a daemon that logged `streaming` captures every change written from now on. */
  capturing(context: { url: string; kafka: Kafka; name: string; prefix: string; sql: SqlConnection }): Promise<unknown>;
  /** Also run the broker kill -9 scenario (Kafka-side only: one source suffices). */
  brokerCrash?: boolean;
}

/**
 * The real daemon streams a private source server into a private Kafka under a steady write workload
 * while one of them restarts: it recovers by itself, and nothing is lost or published twice.
 */
export function describeRestarts(source: RestartSource): void {
  describe(`${source.title} → Kafka across server restarts`, () => {
    let server: Awaited<ReturnType<RestartSource['start']>>;
    let broker: TempKafka;
    let kafka: Kafka;
    const daemons: Daemon[] = [];
    /** A fresh connection per step: the server restarts in between. */
    const withSql = async <T>(work: (sql: SqlConnection) => Promise<T>): Promise<T> => {
      const sql = await source.connect(server.url)();
      try {
        return await work(sql);
      } finally {
        await sql.close();
      }
    };

    beforeAll(async () => {
      // The log cleaner is off: the topics keep every committed record for the exactly-once check.
      const [started, kafkaStarted] = await Promise.allSettled([source.start(), startTemporaryKafka({ extraConfig: { 'log.cleaner.enable': 'false' } })]);
      if (started.status === 'fulfilled') server = started.value;
      if (kafkaStarted.status === 'fulfilled') broker = kafkaStarted.value;
      // afterAll stops whichever started.
      if (started.status === 'rejected') throw started.reason;
      if (kafkaStarted.status === 'rejected') throw kafkaStarted.reason;
      kafka = createKafka({ brokers: [broker.brokers] }, 'test');
    }, 240_000);

    afterAll(async () => {
      for (const d of daemons) {
        d.child.kill('SIGKILL');
        await d.exited;
      }
      await broker?.close();
      await server?.stop();
    }, 120_000);

    /** A table, its workload and a daemon streaming it. */
    async function streaming(restart = { initialBackoffMs: 200, maxBackoffMs: 2_000 }) {
      const table = uniqueName('rs_items');
      const name = uniqueName('rs');
      const prefix = uniqueName('rs');
      await withSql(async (sql) => { for (const ddl of workloadTables(table)) await sql.run(ddl); });
      const daemon = startDaemon(writeConfig({
        name, source: { url: server.url, tables: [source.qualified(table)] }, kafka: { brokers: [broker.brokers] }, topicPrefix: prefix,
        batch: { maxRecords: 500, maxBytes: 1 << 20, maxDelayMs: 20 }, heartbeatIntervalMs: 500, restart, snapshot: { mode: 'never' },
      }));
      daemons.push(daemon);
      await waitStreaming(daemon);
      await withSql((sql) => source.capturing({ url: server.url, kafka, name, prefix, sql }));
      const workload = new Workload(source.connect(server.url), table);
      workload.start();
      return { table, prefix, topic: `${prefix}.${source.qualified(table)}`, daemon, workload };
    }

    /** Stops the workload, waits for its last change in Kafka, stops the daemon cleanly and checks exactly-once. */
    async function finish(run: Awaited<ReturnType<typeof streaming>>) {
      await run.workload.stop();
      const marker = await withSql((sql) => run.workload.marker(sql));
      await waitForRow(kafka, run.prefix, run.topic, marker, run.daemon);
      expect(run.daemon.child.exitCode, 'the daemon recovered without exiting').toBeNull();
      run.daemon.child.kill('SIGTERM');
      expect((await run.daemon.exited).code).toBe(0);
      const { changes } = await withSql((sql) => expectExactlyOnce(kafka, run.prefix, run.topic, sql, run.table));
      expect(restarts(run.daemon).length, 'the daemon restarted streaming').toBeGreaterThan(0);
      expect(changes).toBeGreaterThan(2_000);
    }

    it(`recovers from a ${source.title} restart while changes keep coming`, async () => {
      const run = await streaming();
      await run.workload.committedMore(200);
      const restarted = server.restart(3_000);
      await run.workload.failing();
      await restarted;
      await run.workload.committedMore(300);
      await finish(run);
    }, 300_000);

    it('recovers from a Kafka broker restart while changes keep coming', async () => {
      const run = await streaming();
      await run.workload.committedMore(200);
      await broker.stop();
      await sleep(5_000);
      await broker.start();
      await run.workload.committedMore(300);
      await finish(run);
    }, 300_000);

    if (source.brokerCrash) {
      it('recovers from a Kafka broker crash (kill -9) while changes keep coming', async () => {
        const run = await streaming();
        await run.workload.committedMore(200);
        broker.kill();
        await sleep(2_000);
        await broker.start();
        await run.workload.committedMore(300);
        await finish(run);
      }, 300_000);
    }

    it('keeps retrying with backoff while Kafka stays down, one line per attempt, then recovers', async () => {
      const backoff = { initialBackoffMs: 200, maxBackoffMs: 1_000 };
      const run = await streaming(backoff);
      await run.workload.committedMore(100);
      await broker.stop();
      // Down for several backoffs: the attempts keep failing until the broker is back.
      await waitFor('four failed attempts', () => (restarts(run.daemon).length >= 4 ? true : undefined), 180_000, 200);
      await broker.start();
      await run.workload.committedMore(300);
      await finish(run);

      const waits = restarts(run.daemon).map((l) => Number(l.retryInMs));
      expect(waits.length).toBeGreaterThanOrEqual(4);
      // Growing backoff, capped.
      expect(waits[0]).toBe(backoff.initialBackoffMs);
      for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(Math.min(waits[i - 1]!, backoff.maxBackoffMs));
      expect(Math.max(...waits)).toBeLessThanOrEqual(backoff.maxBackoffMs);
      // One line each, no stack anywhere in what the daemon warned about.
      for (const line of warnings(run.daemon)) expect(JSON.stringify(line)).not.toMatch(/\\n\s+at |"stack"/);
    }, 300_000);
  });
}

/** One SQL connection of the workload; `run` resolves with the rows and the affected-row count. */
export interface SqlConnection {
  run(sql: string): Promise<{ rows: Array<Record<string, unknown>>; affected: number }>;
  close(): Promise<void>;
}
export type Connect = () => Promise<SqlConnection>;

export const pgConnect = (url: string): Connect => async () => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  // A server shutdown ends idle connections with an 'error' event: the next query fails instead.
  client.on('error', () => {});
  await client.connect();
  return {
    async run(sql) {
      const r = await client.query(sql);
      return { rows: r.rows, affected: r.rowCount ?? 0 };
    },
    close: () => client.end().catch(() => {}),
  };
};

export const mariadbConnect = (url: string): Connect => async () => {
  const u = new URL(url);
  const conn = await mysql.createConnection({
    host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password),
    database: u.pathname.slice(1), connectTimeout: 5_000,
  });
  conn.on('error', () => {});
  return {
    async run(sql) {
      const [result] = await conn.query(sql);
      return Array.isArray(result)
        ? { rows: result as Array<Record<string, unknown>>, affected: 0 }
        : { rows: [], affected: (result as mysql.ResultSetHeader).affectedRows };
    },
    close: async () => { conn.destroy(); },
  };
};

/** The table the workload writes (the connector captures it) and its ledger (not captured). */
export function workloadTables(table: string): string[] {
  return [
    `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, qty INT NOT NULL, note VARCHAR(100), amount DECIMAL(12,2) NOT NULL)`,
    // One row per committed source transaction, written in it: the exact count of changes that must reach Kafka,
    // even when a COMMIT's outcome was unknown to the writer (the server went away meanwhile).
    `CREATE TABLE ${table}_ledger (tx BIGINT PRIMARY KEY, changes INT NOT NULL)`,
  ];
}

/**
 * Small transactions (5 inserts, up to 3 updates, 2 deletes, and the ledger row) one after another until
 * stopped. A failed transaction (server down) is retried on a new connection every 200 ms.
 */
export class Workload {
  /** Transactions known committed. */
  committed = 0;
  /** Attempts that failed (server unreachable, connection lost). */
  failures = 0;
  private stopped = false;
  private done: Promise<void> | undefined;
  private nextId = 1;
  private nextTx = 1;

  constructor(private readonly connect: Connect, private readonly table: string) {}

  start(): void {
    this.done = this.loop();
  }

  /** Resolves once `count` more transactions have committed. */
  async committedMore(count: number, timeoutMs = 120_000): Promise<void> {
    const target = this.committed + count;
    await waitFor(`${count} more committed source transactions`, () => (this.committed >= target ? true : undefined), timeoutMs, 50);
  }

  /** Resolves once at least one write has failed (the server is down) — proof the workload kept trying. */
  async failing(timeoutMs = 60_000): Promise<void> {
    const seen = this.failures;
    await waitFor('a failing write', () => (this.failures > seen ? true : undefined), timeoutMs, 50);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  /** A last transaction after the workload: once its row is in the topic, everything before it is. */
  async marker(connection: SqlConnection): Promise<string> {
    const id = this.nextId++;
    await this.transaction(connection, [id], [], []);
    return String(id);
  }

  private async loop(): Promise<void> {
    let connection: SqlConnection | undefined;
    let live: number[] = [];
    let resync = true;
    while (!this.stopped) {
      try {
        connection ??= await this.connect();
        // After a failure the last transaction may or may not have committed: the table says which rows live.
        if (resync) {
          live = (await connection.run(`SELECT CONCAT(id, '') AS id FROM ${this.table}`)).rows.map((r) => Number(r.id));
          resync = false;
        }
        const inserts = Array.from({ length: 5 }, () => this.nextId++);
        const updates = Array.from({ length: Math.min(3, live.length) }, () => live[Math.floor(Math.random() * live.length)]!);
        const deletes = live.length > 50 ? live.splice(Math.floor(Math.random() * (live.length - 2)), 2) : [];
        await this.transaction(connection, inserts, updates, deletes);
        live.push(...inserts);
        this.committed++;
        await sleep(5);
      } catch {
        this.failures++;
        await connection?.close();
        connection = undefined;
        resync = true;
        await sleep(200);
      }
    }
    await connection?.close();
  }

  private async transaction(connection: SqlConnection, inserts: number[], updates: number[], deletes: number[]): Promise<void> {
    const t = this.table;
    const tx = this.nextTx++;
    await connection.run('BEGIN');
    try {
      let changes = (await connection.run(`INSERT INTO ${t} (id, qty, note, amount) VALUES ${inserts.map((id) => `(${id}, ${id % 97}, 'n${id}', ${id}.${String(id % 100).padStart(2, '0')})`).join(',')}`)).affected;
      for (const id of updates) changes += (await connection.run(`UPDATE ${t} SET qty = qty + 1, note = CONCAT('u', qty), amount = amount + 0.01 WHERE id = ${id}`)).affected;
      if (deletes.length) changes += (await connection.run(`DELETE FROM ${t} WHERE id IN (${deletes.join(',')})`)).affected;
      await connection.run(`INSERT INTO ${t}_ledger (tx, changes) VALUES (${tx}, ${changes})`);
      await connection.run('COMMIT');
    } catch (err) {
      await connection.run('ROLLBACK').catch(() => {});
      throw err;
    }
  }
}

/** Resolves once the daemon committed the row `id` to the topic (read_committed, from the start). */
export async function waitForRow(kafka: Kafka, prefix: string, topic: string, id: string, daemon: Daemon, timeoutMs = 180_000): Promise<void> {
  await waitFor(`row ${id} in ${topic}`, async () => {
    if (daemon.child.exitCode !== null) throw new Error(`the daemon exited (${daemon.child.exitCode}): ${daemon.log().slice(-2000)}`);
    return (await readTopicAsTable(kafka, prefix, topic, (key) => String(key.id))).table.has(id) ? true : undefined;
  }, timeoutMs, 1_000);
}

/**
 * Exactly once: a read_committed read of the whole topic (the broker under test runs without the log
 * cleaner, so the log still holds every committed record, as a consumer watching from the start saw them)
 * holds each committed source change once, and folds into exactly the table.
 */
export async function expectExactlyOnce(kafka: Kafka, prefix: string, topic: string, connection: SqlConnection, table: string): Promise<{ changes: number }> {
  const read = await readTopicAsTable(kafka, prefix, topic, (key) => String(key.id));
  const { rows: [sum] } = await connection.run(`SELECT CONCAT(COALESCE(SUM(changes), 0), '') AS n FROM ${table}_ledger`);
  const changes = Number(sum!.n);
  expect(new Set(read.positions).size, 'no change published twice').toBe(read.positions.length);
  expect(read.positions.length, 'every committed change published').toBe(changes);
  const { rows } = await connection.run(`SELECT CONCAT(id, '') AS id, qty, note, CONCAT(amount, '') AS amount FROM ${table} ORDER BY id`);
  expect(read.table.size).toBe(rows.length);
  for (const row of rows) {
    const t = read.table.get(row.id as string);
    expect(t, `row ${row.id}`).toBeDefined();
    expect({ id: String(t!.id), qty: t!.qty, note: t!.note, amount: t!.amount }).toEqual(row);
  }
  return { changes };
}

/** The daemon's log lines at warn level or above, parsed. */
export function warnings(daemon: Daemon): Array<Record<string, unknown>> {
  return daemon.log().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.level === 'warn' || l.level === 'error' || l.level === 'fatal');
}

/** The "restarting" lines of the daemon (one per failed attempt). */
export const restarts = (daemon: Daemon): Array<Record<string, unknown>> =>
  warnings(daemon).filter((l) => l.msg === 'streaming stopped; restarting from the last checkpoint');
