import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { startDaemon, waitStreaming, withDaemonLog, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { runLogtap } from '../helpers/logtap-cli.js';
import { connectorObjectPattern } from '../helpers/pg-connector-objects.js';
import { type PgCluster, type PgServer, STANDBY_SLOT, multiHostUrl, query, startCluster } from '../helpers/pg-cluster.js';

/**
 * Failover slots (PostgreSQL 17+): logtap is given both servers of a primary/standby pair, streams from the
 * primary while a workload writes, the primary dies and the standby is promoted mid-workload; logtap finds the
 * promoted server and continues from its checkpoint on the synchronized slot. Every change the surviving
 * server holds arrives exactly once, and nothing it lacks.
 */

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const INITIAL_ROWS = 50;

/** One transaction of the workload: new rows, updates, a delete, and a ledger row counting its changes. */
async function writeTransaction(db: pg.Client, table: string, next: () => number): Promise<void> {
  const ids = [next(), next(), next()];
  await db.query('BEGIN');
  try {
    let changes = (await db.query(`INSERT INTO ${table} (id, qty, note) VALUES ${ids.map((id) => `(${id}, ${id % 7}, 'n${id}')`).join(', ')}`)).rowCount ?? 0;
    changes += (await db.query(`UPDATE ${table} SET qty = qty + 1, note = 'u' || qty WHERE id IN (${ids[0]! - 5}, ${ids[1]! - 11})`)).rowCount ?? 0;
    changes += (await db.query(`DELETE FROM ${table} WHERE id = ${ids[2]! - 17}`)).rowCount ?? 0;
    await db.query(`INSERT INTO ${table}_ledger (changes) VALUES (${changes})`);
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** Whether `server` accepts writes (a primary). */
const isPrimary = async (server: PgServer): Promise<boolean> =>
  !(await query<{ r: boolean }>(server.url(), 'SELECT pg_is_in_recovery() AS r'))[0]!.r;

describe('logtap with a multi-host source.url over a PostgreSQL 17 primary and standby', () => {
  let cluster: PgCluster | undefined;
  afterEach(async () => {
    await cluster?.destroy();
    cluster = undefined;
  });

  it('fails over to the promoted standby mid-workload and continues from its checkpoint: topic = table, each change once', async () => {
    const table = uniqueName('fo_items');
    cluster = await startCluster({
      primary: { synchronized_standby_slots: `'${STANDBY_SLOT}'` },
      standby: { sync_replication_slots: 'on' },
      prepare: async (url) => {
        await query(url, `CREATE TABLE ${table} (id int PRIMARY KEY, qty int NOT NULL, note text);
          CREATE TABLE ${table}_ledger (tx serial PRIMARY KEY, changes int NOT NULL);
          INSERT INTO ${table} SELECT g, g % 7, 'pre' || g FROM generate_series(1, ${INITIAL_ROWS}) g;`);
      },
    });
    const { primary, standby } = cluster;
    const name = uniqueName('fo');
    const prefix = uniqueName('fop');
    const url = multiHostUrl([primary, standby]);
    const configFile = writeConfig({
      name, source: { url, tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
      restart: { initialBackoffMs: 200, maxBackoffMs: 1_000 },
    });
    // Both servers are set up for failover: check finds nothing to say about it.
    const checked = await runLogtap(['check', '--config', configFile], { timeoutMs: 60_000 });
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).not.toMatch(/sync_replication_slots|synchronized_standby_slots|hot_standby_feedback|primary_slot_name|failover/);
    const daemon = startDaemon(configFile);
    try {
      await waitStreaming(daemon);
      const slotPattern = connectorObjectPattern(name);
      const [created] = await query<{ failover: boolean }>(primary.url(), 'SELECT failover FROM pg_replication_slots WHERE slot_name LIKE $1', [slotPattern]);
      expect(created?.failover, 'the slot is a failover slot').toBe(true);

      // The workload: one writer, on whichever server is the primary; a failed transaction is simply retried
      // (whether its commit survived is the new primary's business: the ledger there counts what survived).
      let nextId = INITIAL_ROWS;
      let stop = false;
      let committed = 0;
      const workload = (async () => {
        let target = primary;
        let db: pg.Client | undefined;
        while (!stop) {
          try {
            if (!db) {
              db = new pg.Client({ connectionString: target.url() });
              db.on('error', () => {});
              await db.connect();
            }
            await writeTransaction(db, table, () => ++nextId);
            committed++;
            await sleep(10);
          } catch {
            await db?.end().catch(() => {});
            db = undefined;
            target = (await isPrimary(standby).catch(() => false)) ? standby : primary;
            await sleep(100);
          }
        }
        await db?.end().catch(() => {});
      })();

      // The standby must hold a synchronized (persistent) copy of the slot before it can take over.
      await waitFor('the slot to be synchronized to the standby', async () => {
        const [row] = await query<{ ready: boolean }>(standby.url(), 'SELECT synced AND NOT temporary AS ready FROM pg_replication_slots WHERE slot_name LIKE $1', [slotPattern]);
        return row?.ready ? true : undefined;
      }, 60_000, 200);
      await waitFor('some of the workload', () => (committed >= 30 ? true : undefined), 30_000, 50);

      // The failover: the primary dies (no clean shutdown), the standby is promoted; the writer moves over.
      await primary.kill();
      const beforePromotion = committed;
      await standby.promote();
      await waitFor('the workload to write on the promoted server', () => (committed >= beforePromotion + 30 ? true : undefined), 60_000, 50);
      stop = true;
      await workload;

      // Caught up when the slot on the promoted server passed the end of the workload.
      const end = (await query<{ lsn: string }>(standby.url(), 'SELECT pg_current_wal_insert_lsn()::text AS lsn'))[0]!.lsn;
      await waitFor('the daemon to catch up on the promoted server', async () => {
        if (daemon.child.exitCode !== null) throw new Error('the daemon exited');
        const [row] = await query<{ done: boolean }>(standby.url(), 'SELECT confirmed_flush_lsn >= $1::pg_lsn AS done FROM pg_replication_slots WHERE slot_name LIKE $2', [end, slotPattern]);
        return row?.done ? true : undefined;
      }, 60_000, 200);
      daemon.child.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
    } catch (err) {
      daemon.child.kill('SIGKILL');
      throw withDaemonLog(err, daemon, /"level":"(error|warn)"/);
    }
    // It streamed from both servers: first the primary, then the promoted standby.
    const streamedFrom = [...daemon.log().matchAll(/"server":"127\.0\.0\.1:(\d+)"[^\n]*"msg":"streaming from PostgreSQL"/g)].map((m) => Number(m[1]));
    expect(streamedFrom[0]).toBe(primary.port);
    expect(streamedFrom.at(-1)).toBe(standby.port);

    const read = await readTopicAsTable(kafka, prefix, `${prefix}.public.${table}`, (key) => String(key.id));
    const n = (await query<{ n: string }>(standby.url(), `SELECT (COALESCE(SUM(changes), 0) + ${INITIAL_ROWS})::text AS n FROM ${table}_ledger`))[0]!.n;
    // The snapshot's rows all carry the stream start position; every streamed change has its own.
    const counts = new Map<string, number>();
    for (const p of read.positions) counts.set(p, (counts.get(p) ?? 0) + 1);
    expect([...counts.values()].filter((c) => c > 1), 'no change published twice').toEqual([INITIAL_ROWS]);
    expect(read.positions.length, 'every change the promoted server holds published (the snapshot\'s rows, then each transaction\'s changes)').toBe(Number(n));
    const rows = await query<{ id: number; qty: number; note: string }>(standby.url(), `SELECT id, qty, note FROM ${table} ORDER BY id`);
    const topic = [...read.table.values()].map((r) => ({ id: Number(r.id), qty: Number(r.qty), note: r.note })).sort((a, b) => a.id - b.id);
    expect(topic).toEqual(rows);
  }, 150_000);

  it('stops with one clear line, creating no slot, when the promoted standby holds no copy of the slot', async () => {
    const table = uniqueName('fo_lost');
    cluster = await startCluster({
      // No sync_replication_slots on the standby: the failover slot never reaches it.
      prepare: (url) => query(url, `CREATE TABLE ${table} (id int PRIMARY KEY)`).then(() => {}),
    });
    const { primary, standby } = cluster;
    const name = uniqueName('fol');
    const configFile = writeConfig({
      name, source: { url: multiHostUrl([primary, standby]), tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('folp'),
      restart: { initialBackoffMs: 200, maxBackoffMs: 1_000 },
    });
    // check says what is missing on each server (warnings: streaming works, a failover would not).
    const checked = await runLogtap(['check', '--config', configFile], { timeoutMs: 60_000 });
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toMatch(/warning synchronized_standby_slots: synchronized_standby_slots is empty on the primary/);
    expect(checked.stdout).toContain(`warning sync_replication_slots:127.0.0.1:${standby.port}/postgres: standby 127.0.0.1:${standby.port}/postgres runs with sync_replication_slots=off`);
    const daemon = startDaemon(configFile);
    try {
      await waitStreaming(daemon);
      await query(primary.url(), `INSERT INTO ${table} SELECT generate_series(1, 10)`);
      // A checkpoint past the slot's creation (the slot is released only after it): the missing slot should continue it.
      const end = (await query<{ lsn: string }>(primary.url(), 'SELECT pg_current_wal_insert_lsn()::text AS lsn'))[0]!.lsn;
      await waitFor('the inserts to be checkpointed', async () => {
        const [row] = await query<{ done: boolean }>(primary.url(), 'SELECT confirmed_flush_lsn >= $1::pg_lsn AS done FROM pg_replication_slots WHERE slot_name LIKE $2', [end, connectorObjectPattern(name)]);
        return row?.done ? true : undefined;
      }, 30_000, 200);
      await primary.kill();
      await standby.promote();
      const { code } = await daemon.exited;
      expect(code).not.toBe(0);
    } catch (err) {
      daemon.child.kill('SIGKILL');
      throw withDaemonLog(err, daemon, /"level":"(error|warn)"/);
    }
    const said = daemon.log().split('\n').filter((l) => l.startsWith('logtap:'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/replication slot .* does not exist on this server but the checkpoint .* needs it.*not synchronized to the promoted standby/);
    expect(await query(standby.url(), 'SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE $1', [connectorObjectPattern(name)])).toEqual([]);
  }, 120_000);
});
