import { defaultWorkers } from '../../src/encoding/encode-pool.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { SchemaTopic } from '../../src/kafka/schema-topic.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { TopicManager } from '../../src/kafka/topic-manager.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { runFailing as runLogtapFailing, startDaemon, userLines as oneLine, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { startTemporaryMariadb } from '../helpers/temp-mariadb.js';

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const base = new URL(bed.mysqlUrl);
const connection = { host: base.hostname, port: Number(base.port), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password), multipleStatements: true };
const urlFor = (database: string) => `${bed.mysqlUrl.replace(/\/[^/]*$/, '')}/${database}`;
let sql: mysql.Connection;

beforeAll(async () => { sql = await mysql.createConnection(connection); });
afterAll(() => sql.end());

const runFailing = (config: Record<string, unknown>) => runLogtapFailing({ kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('bad'), ...config });

describe('logtap run with MariaDB', () => {
  // The default (docs/configuration.md#workers: on this 2-core machine, the daemon's own thread), and once more through a worker thread.
  it.each([{ workers: undefined, threads: defaultWorkers() }, { workers: 1, threads: 1 }])('turns multi-row statements, a multi-table transaction, a key change, TRUNCATE and ALTER TABLE into topics that are the tables (workers: $workers)', async ({ workers, threads }) => {
    const name = uniqueName('mrun');
    const prefix = uniqueName('mr');
    const db = uniqueName('shop');
    await sql.query(`CREATE DATABASE ${db}; CREATE TABLE ${db}.orders (id INT PRIMARY KEY, note VARCHAR(50), total DECIMAL(12,2) NOT NULL); CREATE TABLE ${db}.lines (order_id INT, line INT, qty INT NOT NULL, PRIMARY KEY (order_id, line))`);
    const daemon = startDaemon(writeConfig({ name, source: { url: urlFor(db), tables: [`${db}.orders`, `${db}.lines`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 500, snapshot: { mode: 'never' }, ...(workers === undefined ? {} : { workers }) }));
    try {
      await waitStreaming(daemon);
      expect(daemon.log()).toContain(`"encodingWorkers":${threads}`);
      await sql.query(`INSERT INTO ${db}.orders VALUES (1, 'one', 1.10), (2, 'two', 2.20), (3, 'three', 3.30)`);
      await sql.query(`TRUNCATE TABLE ${db}.orders`);
      await sql.query(`START TRANSACTION; INSERT INTO ${db}.orders VALUES (4, 'four', 4.40), (5, 'five', 5.50); INSERT INTO ${db}.lines VALUES (4, 1, 2), (4, 2, 3), (5, 1, 1); COMMIT`);
      await sql.query(`UPDATE ${db}.orders SET note = 'FOUR', total = total * 2 WHERE id = 4; DELETE FROM ${db}.lines WHERE order_id = 5; UPDATE ${db}.lines SET line = 9 WHERE order_id = 4 AND line = 2`);
      await sql.query(`UPDATE ${db}.orders SET id = 50 WHERE id = 5`);
      await sql.query(`ALTER TABLE ${db}.orders ADD COLUMN coupon VARCHAR(20) NULL`);
      await sql.query(`INSERT INTO ${db}.orders VALUES (6, 'six', 6.60, 'SAVE')`);
      const [[{ pos }]] = await sql.query('SELECT @@gtid_binlog_pos AS pos') as unknown as [[{ pos: string }]];
      const seq = Number(pos.split('-').at(-1));
      const checkpoints = new CheckpointStore(kafka, prefix, name);
      await waitFor('the changes to be checkpointed', async () => {
        const token = (await checkpoints.load())?.position.token ?? '';
        const at = Number(/gtid=\d+-\d+-(\d+)/.exec(token)?.[1] ?? -1);
        return at >= seq && !token.includes(';in=') ? true : undefined;
      }, 30_000, 300);
      daemon.child.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);

      const orders = await readTopicAsTable(kafka, prefix, `${prefix}.${db}.orders`, (k) => String(k.id));
      const [orderRows] = await sql.query(`SELECT id, note, CAST(total AS CHAR) AS total, coupon FROM ${db}.orders ORDER BY id`) as unknown as [Array<Record<string, unknown>>];
      expect([...orders.table.values()].map((r) => ({ id: r.id, note: r.note, total: r.total, coupon: r.coupon ?? null })).sort((a, b) => Number(a.id) - Number(b.id))).toEqual(orderRows);
      const lines = await readTopicAsTable(kafka, prefix, `${prefix}.${db}.lines`, (k) => `${k.order_id}/${k.line}`);
      const [lineRows] = await sql.query(`SELECT order_id, line, qty FROM ${db}.lines ORDER BY order_id, line`) as unknown as [Array<Record<string, unknown>>];
      expect([...lines.table.values()].sort((a, b) => Number(a.order_id) - Number(b.order_id) || Number(a.line) - Number(b.line))).toEqual(lineRows);
      const versions = ((await new SchemaTopic(kafka, prefix).readAll()) ?? []).filter((e) => e.subject === `${prefix}.${db}.orders-value`).map((e) => e.version).sort();
      expect(versions).toEqual([1, 2]);
    } finally {
      daemon.child.kill('SIGKILL');
      await sql.query(`DROP DATABASE ${db}`);
    }
  });

  describe('refuses bad input with one clear line and a non-zero exit code', () => {
    const db = uniqueName('bad');
    beforeAll(() => sql.query(`CREATE DATABASE ${db}; CREATE TABLE ${db}.t (id INT PRIMARY KEY)`));
    afterAll(() => sql.query(`DROP DATABASE ${db}`));

    it('wrong credentials', async () => {
      const bad = new URL(urlFor(db));
      bad.password = 'wrong-pw';
      const r = await runFailing({ name: uniqueName('b'), source: { url: bad.toString(), tables: [`${db}.t`] } });
      expect(r.code).not.toBe(0);
      expect(oneLine(r.stderr)).toHaveLength(1);
      expect(r.stderr).not.toContain('wrong-pw');
    });

    it('a user without replication grants', async () => {
      const user = uniqueName('norepl');
      await sql.query(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY 'user-pw'; GRANT SELECT ON ${db}.* TO '${user}'@'127.0.0.1'`);
      try {
        const r = await runFailing({ name: uniqueName('b'), source: { url: `mysql://${user}:user-pw@${base.host}/${db}`, tables: [`${db}.t`] } });
        expect(r.code).not.toBe(0);
        expect(oneLine(r.stderr)[0]).toMatch(/REPLICATION/);
        expect(r.stderr).not.toContain('user-pw');
      } finally {
        await sql.query(`DROP USER '${user}'@'127.0.0.1'`);
      }
    });

    it('a server with binlog_format=STATEMENT', async () => {
      const temp = await startTemporaryMariadb(['--log-bin=binlog', '--binlog-format=STATEMENT']);
      try {
        const r = await runFailing({ name: uniqueName('b'), source: { url: temp.url, tables: ['app.t'] } });
        expect(r.code).not.toBe(0);
        expect(oneLine(r.stderr)[0]).toMatch(/binlog_format/);
        expect(r.stderr).not.toContain('temp-pass');
      } finally {
        await temp.stop();
      }
    }, 90_000);

    it('a checkpoint in a binlog that was purged', async () => {
      const name = uniqueName('purged');
      const prefix = uniqueName('pg');
      // A checkpoint at the start of a binlog file that no longer exists on the server.
      const store = new CheckpointStore(kafka, prefix, name);
      await new TopicManager(kafka, name).ensure(store.topic, { partitions: 1, compacted: true });
      const producer = kafka.producer();
      await producer.connect();
      const record = store.record({ connector: name, source: 'mysql', position: { token: 'my1:file=binlog.000000:4#0', display: 'binlog.000000:4' }, snapshot: null, committedAtMicros: 0n, logtapVersion: 'test' });
      await producer.send({ topic: record.topic, messages: [{ key: record.key, value: record.value }] });
      await producer.disconnect();
      const r = await runFailing({ name, topicPrefix: prefix, source: { url: urlFor(db), tables: [`${db}.t`] } });
      expect(r.code).not.toBe(0);
      expect(oneLine(r.stderr)).toHaveLength(1);
      expect(oneLine(r.stderr)[0]).toMatch(/purged|no longer|not found|lost/i);
    });
  });
});
