import { afterAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { TopicManager } from '../../src/kafka/topic-manager.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../helpers/free-port.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable, watchTopic } from '../helpers/topic-table.js';
import { checkpointCovers } from '../helpers/mariadb-checkpoint.js';

// MariaDB has no slot: a standby with the same name waits on a server-side named lock (GET_LOCK) the active
// instance holds on a connection of its own, and takes over when a kill -9 ends that connection — under a
// write workload, with every change seen exactly once by a read_committed consumer.

describe('a MariaDB standby', () => {
  const bed = testBed();
  const url = new URL(bed.mysqlUrl);
  const connection = { host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), multipleStatements: true };
  const database = uniqueName('ops_my');
  const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
  const daemons: Daemon[] = [];
  let sql: mysql.Connection | undefined;

  afterAll(async () => {
    for (const d of daemons) { d.child.kill('SIGKILL'); await d.exited; }
    await sql?.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
    await sql?.end();
  });

  it('waits on the instance lock without publishing, and takes over from a kill -9\'d active instance without loss or duplicates', async () => {
    sql = await mysql.createConnection(connection);
    await sql.query(`CREATE DATABASE ${database}`);
    await sql.query(`CREATE TABLE ${database}.items (id BIGINT PRIMARY KEY, qty INT NOT NULL, note VARCHAR(100))`);
    const name = uniqueName('ops_my');
    const prefix = uniqueName('opsmy');
    const config = writeConfig({
      name, source: { url: `${bed.mysqlUrl.replace(/\/[^/]*$/, '')}/${database}`, tables: [`${database}.items`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
      batch: { maxRecords: 500, maxBytes: 1 << 20, maxDelayMs: 20 }, heartbeatIntervalMs: 500, restart: { initialBackoffMs: 100, maxBackoffMs: 1000 },
    });
    const [portA, portB] = [await freePort(), await freePort()];
    const active = startDaemon(config, { LOGTAP_HTTP_PORT: String(portA) });
    daemons.push(active);
    await waitStreaming(active);
    const checkpoints = new CheckpointStore(kafka, prefix, name);
    // The first start snapshots the (empty) table first: wait until its checkpoint is a stream position (`my1:`),
    // or a crash would resume the snapshot over the workload's rows (published again as reads, by design).
    await waitFor('the first stream checkpoint', async () => ((await checkpoints.load())?.position.token.startsWith('my1:') ? true : undefined), 30_000, 200);
    const standby = startDaemon(config, { LOGTAP_HTTP_PORT: String(portB) });
    daemons.push(standby);
    await waitFor('the standby to wait', () => (/"msg":"standby: another instance with this name streams/.test(standby.log()) ? true : undefined), 60_000);

    const topic = `${prefix}.${database}.items`;
    await new TopicManager(kafka, 'test').ensure(topic, { partitions: 1, compacted: true });
    const watcher = await watchTopic(kafka, topic);
    let stopped = false;
    let changes = 0;
    const workload = (async () => {
      const writer = await mysql.createConnection(connection);
      let nextId = 1;
      const live: number[] = [];
      while (!stopped) {
        const ids = Array.from({ length: 5 }, () => nextId++);
        const updates = Array.from({ length: Math.min(3, live.length) }, () => live[Math.floor(Math.random() * live.length)]!);
        const deletes = live.length > 50 ? live.splice(Math.floor(Math.random() * (live.length - 2)), 2) : [];
        const [results] = await writer.query([
          'START TRANSACTION',
          `INSERT INTO ${database}.items VALUES ${ids.map((id) => `(${id}, ${id % 97}, 'n${id}')`).join(',')}`,
          ...updates.map((id) => `UPDATE ${database}.items SET qty = qty + 1, note = CONCAT('u', qty) WHERE id = ${id}`),
          ...(deletes.length ? [`DELETE FROM ${database}.items WHERE id IN (${deletes.join(',')})`] : []),
          'COMMIT',
        ].join(';')) as unknown as [mysql.ResultSetHeader[]];
        for (const r of results) changes += r.affectedRows ?? 0;
        live.push(...ids);
      }
      await writer.end();
    })();

    await sleep(3000);
    const readyz = async (port: number, query = '') => (await fetch(`http://127.0.0.1:${port}/readyz${query}`)).status;
    expect(standby.log()).not.toMatch(/"msg":"streaming"/);
    expect(active.child.exitCode).toBeNull();
    expect(await readyz(portA)).toBe(200);
    expect(await readyz(portB)).toBe(503);
    expect(await readyz(portB, '?standby=ready')).toBe(200);

    active.child.kill('SIGKILL');
    await active.exited;
    await waitStreaming(standby, 120_000);
    expect(standby.log()).toMatch(/"msg":"the instance lock is free: taking over"/);
    await sleep(2000);
    stopped = true;
    await workload;

    const [[{ pos }]] = await sql.query('SELECT @@gtid_binlog_pos AS pos') as unknown as [[{ pos: string }]];
    await waitFor('the standby to catch up', async () => {
      const checkpoint = await checkpoints.load();
      return checkpoint && checkpointCovers(checkpoint.position.token, pos) ? true : undefined;
    }, 180_000, 500);
    standby.child.kill('SIGTERM');
    expect((await standby.exited).code).toBe(0);

    await watcher.finish();
    expect(new Set(watcher.positions).size).toBe(watcher.positions.length);
    expect(watcher.positions.length).toBe(changes);
    const read = await readTopicAsTable(kafka, prefix, topic, (key) => String(key.id));
    const [rows] = await sql.query(`SELECT CAST(id AS CHAR) AS id, qty, note FROM ${database}.items ORDER BY items.id`) as unknown as [Array<Record<string, unknown>>];
    expect(read.table.size).toBe(rows.length);
    for (const row of rows) {
      const t = read.table.get(row.id as string);
      expect({ id: String(t?.id), qty: t?.qty, note: t?.note }).toEqual(row);
    }
  }, 600_000);
});
