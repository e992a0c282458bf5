import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';

// The daemon's `streaming` line is a promise: a change committed after it is captured. On a first start without a
// snapshot the source fixes its start point (a new slot, the binlog position read) only once it streams; the line
// used to come before that, and a change written at once could precede the start and be lost (seen as mysql-run
// missing its first statements). Each change here is written the moment the line appears.

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');

/** Resolves as soon as the daemon writes its `streaming` line (no polling delay). */
function streamingLine(daemon: Daemon): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('"msg":"streaming"')) {
        daemon.child.stderr!.off('data', onData);
        resolve();
      }
    };
    daemon.child.stderr!.on('data', onData);
    daemon.child.once('exit', (code) => reject(new Error(`the daemon exited (${code}): ${daemon.log().slice(-2000)}`)));
  });
}

/** Starts a fresh connector without a snapshot, writes a row the moment it says `streaming`, and reads its topic. */
async function rowWrittenAtTheLine(config: Record<string, unknown>, prefix: string, topic: string, write: () => Promise<void>): Promise<string[]> {
  const daemon = startDaemon(writeConfig({ ...config, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 300, snapshot: { mode: 'never' } }));
  try {
    await streamingLine(daemon);
    await write();
    await waitFor('the row in Kafka', async () => {
      const read = await readTopicAsTable(kafka, prefix, topic, (k) => String(k.id)).catch(() => undefined);
      return read && read.table.size > 0 ? true : undefined;
    }, 20_000, 300).catch(() => undefined);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    const read = await readTopicAsTable(kafka, prefix, topic, (k) => String(k.id)).catch(() => ({ table: new Map() }));
    return [...read.table.keys()];
  } finally {
    daemon.child.kill('SIGKILL');
  }
}

describe('a change written the moment the daemon says it streams (first start, no snapshot)', () => {
  describe('PostgreSQL', () => {
    const sql = new pg.Client({ connectionString: bed.pgUrl });
    const table = uniqueName('line_pg');
    const names: string[] = [];
    beforeAll(async () => {
      await sql.connect();
      await sql.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, v text)`);
    });
    afterAll(async () => {
      for (const name of names) await dropConnectorObjects(sql, name);
      await sql.query(`DROP TABLE IF EXISTS ${table}`);
      await sql.end();
    });

    it.each([1, 2, 3])('is captured (%i)', async (id) => {
      const name = uniqueName('linepg');
      names.push(name);
      const prefix = uniqueName('lp');
      const keys = await rowWrittenAtTheLine({ name, source: { url: bed.pgUrl, tables: [`public.${table}`] } }, prefix, `${prefix}.public.${table}`,
        async () => { await sql.query(`INSERT INTO ${table} VALUES (${id}, 'at the line')`); });
      expect(keys).toEqual([String(id)]);
    });
  });

  describe('MariaDB', () => {
    const base = new URL(bed.mysqlUrl);
    const db = uniqueName('line_my');
    let sql: mysql.Connection;
    beforeAll(async () => {
      sql = await mysql.createConnection({ host: base.hostname, port: Number(base.port), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password), multipleStatements: true });
      await sql.query(`CREATE DATABASE ${db}; CREATE TABLE ${db}.t (id INT PRIMARY KEY, v VARCHAR(20))`);
    });
    afterAll(async () => {
      await sql.query(`DROP DATABASE ${db}`);
      await sql.end();
    });

    it.each([1, 2, 3])('is captured (%i)', async (id) => {
      const prefix = uniqueName('lm');
      const url = `${bed.mysqlUrl.replace(/\/[^/]*$/, '')}/${db}`;
      const keys = await rowWrittenAtTheLine({ name: uniqueName('linemy'), source: { url, tables: [`${db}.t`] } }, prefix, `${prefix}.${db}.t`,
        async () => { await sql.query(`INSERT INTO ${db}.t VALUES (${id}, 'at the line')`); });
      expect(keys).toEqual([String(id)]);
    });
  });
});
