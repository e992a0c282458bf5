import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { TopicManager } from '../../src/kafka/topic-manager.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../helpers/free-port.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { type LiveRecorder, readTopicAsTable, watchTopic } from '../helpers/topic-table.js';
import { connectorObjectPattern, dropConnectorObjects } from '../helpers/pg-connector-objects.js';

// Handing the stream over under a write workload, through the real bin: SIGTERM and restart (exit 0 each
// time), and a standby with the same name taking over from a kill -9'd active instance. Each time a
// read_committed consumer watching from the start sees every change exactly once, and the topic is the table.

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const sql = new pg.Client({ connectionString: bed.pgUrl });
beforeAll(() => sql.connect());
afterAll(() => sql.end());

interface Scenario {
  name: string;
  table: string;
  prefix: string;
  config: string;
  watcher: LiveRecorder;
  /** Runs transactions of 5 inserts, 3 updates and 2 deletes until stopped; resolves to the row changes made. */
  workload(): { stop(): Promise<number> };
  /** Waits until the slot confirmed everything written so far, then checks exactly-once and the table. */
  verify(active: Daemon, changes: number): Promise<void>;
}

async function scenario(label: string, extra: Record<string, unknown> = {}): Promise<Scenario> {
  const name = uniqueName(label);
  const table = uniqueName(`${label}_items`);
  const prefix = uniqueName(label);
  await sql.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, qty integer NOT NULL, note text)`);
  const config = writeConfig({
    name, source: { url: bed.pgUrl, tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
    batch: { maxRecords: 500, maxBytes: 1 << 20, maxDelayMs: 20 }, heartbeatIntervalMs: 500, restart: { initialBackoffMs: 100, maxBackoffMs: 1000 },
    shutdownGraceMs: 30_000, ...extra,
  });
  const topic = `${prefix}.public.${table}`;
  await new TopicManager(kafka, 'test').ensure(topic, { partitions: 1, compacted: true });
  const watcher = await watchTopic(kafka, topic);
  return {
    name, table, prefix, config, watcher,
    workload() {
      let stopped = false;
      let changes = 0;
      let nextId = 1;
      const live: number[] = [];
      const done = (async () => {
        const writer = new pg.Client({ connectionString: bed.pgUrl });
        await writer.connect();
        while (!stopped) {
          const ids = Array.from({ length: 5 }, () => nextId++);
          const updates = Array.from({ length: Math.min(3, live.length) }, () => live[Math.floor(Math.random() * live.length)]!);
          const deletes = live.length > 50 ? live.splice(Math.floor(Math.random() * (live.length - 2)), 2) : [];
          const results = await writer.query([
            'BEGIN',
            `INSERT INTO ${table} (id, qty, note) VALUES ${ids.map((id) => `(${id}, ${id % 97}, 'n${id}')`).join(',')}`,
            ...updates.map((id) => `UPDATE ${table} SET qty = qty + 1, note = 'u' || qty WHERE id = ${id}`),
            ...(deletes.length ? [`DELETE FROM ${table} WHERE id IN (${deletes.join(',')})`] : []),
            'COMMIT',
          ].join(';')) as unknown as pg.QueryResult[];
          for (const r of results) if (r.command !== 'BEGIN' && r.command !== 'COMMIT') changes += r.rowCount ?? 0;
          live.push(...ids);
        }
        await writer.end();
      })();
      return { stop: async () => { stopped = true; await done; return changes; } };
    },
    async verify(active, changes) {
      const { rows: [end] } = await sql.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      await waitFor('the daemon to catch up', async () => {
        const { rows } = await sql.query<{ behind: boolean }>('SELECT confirmed_flush_lsn < $1::pg_lsn AS behind FROM pg_replication_slots WHERE slot_name LIKE $2', [end!.lsn, connectorObjectPattern(name)]);
        return rows[0] && !rows[0].behind ? true : undefined;
      }, 180_000, 500);
      active.child.kill('SIGTERM');
      expect((await active.exited).code).toBe(0);
      await watcher.finish();
      expect(new Set(watcher.positions).size).toBe(watcher.positions.length);
      expect(watcher.positions.length).toBe(changes);
      const read = await readTopicAsTable(kafka, prefix, topic, (key) => String(key.id));
      const { rows } = await sql.query(`SELECT id::text, qty, note FROM ${table} ORDER BY id`);
      expect(read.table.size).toBe(rows.length);
      for (const row of rows) expect({ id: String(read.table.get(row.id)?.id), qty: read.table.get(row.id)?.qty, note: read.table.get(row.id)?.note }).toEqual(row);
    },
  };
}

describe('handing the stream over', () => {
  const daemons: Daemon[] = [];
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const d of daemons.splice(0)) { d.child.kill('SIGKILL'); await d.exited; }
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  it('SIGTERM under a write workload exits 0 after the in-flight transaction and checkpoint; restarts lose and repeat nothing', async () => {
    const s = await scenario('ops_term');
    cleanup.push(() => sql.query(`DROP TABLE ${s.table}`), () => dropConnectorObjects(sql, s.name));
    let daemon = startDaemon(s.config);
    daemons.push(daemon);
    await waitStreaming(daemon);
    await waitFor('the slot', async () => ((await sql.query('SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1', [connectorObjectPattern(s.name)])).rowCount ? true : undefined), 30_000);
    const workload = s.workload();
    for (let k = 0; k < 3; k++) {
      await sleep(1000 + Math.random() * 2000);
      daemon.child.kill('SIGTERM');
      const exit = await daemon.exited;
      expect(exit.code, daemon.log().slice(-2000)).toBe(0);
      expect(daemon.log()).toMatch(/"msg":"stopping: finishing the in-flight transaction"/);
      expect(daemon.log()).toMatch(/"msg":"stopped"/);
      daemon = startDaemon(s.config);
      daemons.push(daemon);
      await waitStreaming(daemon);
    }
    await sleep(1000);
    const changes = await workload.stop();
    expect(changes).toBeGreaterThan(0);
    await s.verify(daemon, changes);
  }, 600_000);

  it('a standby with the same name waits without publishing, and takes over from a kill -9\'d active instance without loss or duplicates', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const s = await scenario('ops_ha');
    cleanup.push(() => sql.query(`DROP TABLE ${s.table}`), () => dropConnectorObjects(sql, s.name));
    const active = startDaemon(s.config, { LOGTAP_HTTP_PORT: String(portA) });
    daemons.push(active);
    await waitStreaming(active);
    await waitFor('the slot', async () => ((await sql.query('SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND active', [connectorObjectPattern(s.name)])).rowCount ? true : undefined), 30_000);
    const standby = startDaemon(s.config, { LOGTAP_HTTP_PORT: String(portB) });
    daemons.push(standby);
    await waitFor('the standby to wait', () => (/"msg":"standby: the replication slot is in use/.test(standby.log()) ? true : undefined), 60_000);
    const readyz = async (port: number, query = '') => (await fetch(`http://127.0.0.1:${port}/readyz${query}`)).status;

    const workload = s.workload();
    await sleep(3000);
    // The standby neither streams nor fenced the active instance, which is still publishing.
    expect(standby.log()).not.toMatch(/"msg":"streaming"/);
    expect(active.child.exitCode).toBeNull();
    expect(await readyz(portB)).toBe(503);
    // Kubernetes' HA probe counts a healthy standby as ready (so a PodDisruptionBudget lets the active pod go).
    expect(await readyz(portB, '?standby=ready')).toBe(200);
    expect(await readyz(portA)).toBe(200);
    const seenBefore = s.watcher.positions.length;
    await sleep(1000);
    expect(s.watcher.positions.length).toBeGreaterThan(seenBefore);

    active.child.kill('SIGKILL');
    await active.exited;
    await waitStreaming(standby, 120_000);
    expect(standby.log()).toMatch(/"msg":"the replication slot is free: taking over"/);
    await waitFor('the former standby to be ready', async () => ((await readyz(portB)) === 200 ? true : undefined), 60_000, 200);
    await sleep(2000);
    const changes = await workload.stop();
    await s.verify(standby, changes);
  }, 600_000);
});
