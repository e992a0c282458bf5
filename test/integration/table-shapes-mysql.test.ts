import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { runFailing, startDaemon, userLines, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { findInTopics } from '../helpers/leak-search.js';

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const base = new URL(bed.mysqlUrl);
const connection = { host: base.hostname, port: Number(base.port), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password), multipleStatements: true };
const urlFor = (database: string) => `${bed.mysqlUrl.replace(/\/[^/]*$/, '')}/${database}`;
let sql: mysql.Connection;
beforeAll(async () => { sql = await mysql.createConnection(connection); });
afterAll(() => sql.end());

const SALT = 'pepper-for-the-test';
const sha = (v: string) => createHash('sha256').update(SALT + v).digest('hex');
const SECRETS = ['ann@example.org', 'bob@example.org', 'cat@example.org', 'eve@example.org', 'TOPSECRET-4', 'Annabel', 'Bobby', 'TOPSECRET-1', 'TOPSECRET-2', 'TOPSECRET-3'];

describe('choosing tables and columns on MariaDB', () => {
  it('captures tables by glob less the excluded ones, picks up a matching table created while streaming, and masks values that never reach Kafka or the log', async () => {
    const name = uniqueName('mshape');
    const prefix = uniqueName('ms');
    const db = uniqueName('shapes');
    await sql.query(`CREATE DATABASE ${db};
      CREATE TABLE ${db}.orders_a (id INT PRIMARY KEY, email VARCHAR(80) NOT NULL, name VARCHAR(40), secret VARCHAR(40), region VARCHAR(8));
      CREATE TABLE ${db}.orders_old (id INT PRIMARY KEY);
      CREATE TABLE ${db}.staging (id INT PRIMARY KEY, email VARCHAR(80) NOT NULL, name VARCHAR(40), secret VARCHAR(40), region VARCHAR(8));
      INSERT INTO ${db}.staging VALUES (1, 'eve@example.org', 'Eve', 'TOPSECRET-4', 'eu');
      CREATE TABLE ${db}.other (id INT PRIMARY KEY);
      INSERT INTO ${db}.orders_a VALUES (1, 'ann@example.org', 'Annabel', 'TOPSECRET-1', 'eu');
      INSERT INTO ${db}.orders_old VALUES (1); INSERT INTO ${db}.other VALUES (1);`);
    const settings = { columns: { exclude: ['secret'], mask: { email: 'hash', name: { truncate: 2 } } } };
    const daemon = startDaemon(writeConfig({
      name, source: { url: urlFor(db), tables: [`${db}.orders_*`], excludeTables: [`${db}.orders_old`] },
      tables: { [`${db}.orders_*`]: settings },
      kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 500,
    }), { LOGTAP_MASK_SALT: SALT });
    try {
      await waitStreaming(daemon);
      await sql.query(`INSERT INTO ${db}.orders_a VALUES (2, 'bob@example.org', 'Bobby', 'TOPSECRET-2', 'eu'); UPDATE ${db}.orders_a SET region = 'uk' WHERE id = 1;
        INSERT INTO ${db}.orders_old VALUES (2);
        CREATE TABLE ${db}.orders_new (id INT PRIMARY KEY, email VARCHAR(80) NOT NULL, name VARCHAR(40), secret VARCHAR(40), region VARCHAR(8));
        INSERT INTO ${db}.orders_new VALUES (1, 'cat@example.org', 'Cat', 'TOPSECRET-3', 'eu');`);
      await sql.query(`INSERT INTO ${db}.orders_new VALUES (2, 'dan@example.org', 'Dan', 'x', 'us')`);
      let a = await readTopicAsTable(kafka, prefix, `${prefix}.${db}.orders_a`, (k) => String(k.id));
      await waitFor('the stream rows', async () => {
        a = await readTopicAsTable(kafka, prefix, `${prefix}.${db}.orders_a`, (k) => String(k.id));
        return a.table.get('1')?.region === 'uk' && a.table.has('2') ? true : undefined;
      }, 30_000, 500);
      expect(a.table.get('1')).toEqual({ id: 1, email: sha('ann@example.org'), name: 'An', region: 'uk' });
      expect(a.table.get('2')).toEqual({ id: 2, email: sha('bob@example.org'), name: 'Bo', region: 'eu' });
      let created = await readTopicAsTable(kafka, prefix, `${prefix}.${db}.orders_new`, (k) => String(k.id)).catch(() => null);
      await waitFor('the new table\'s rows', async () => {
        created = await readTopicAsTable(kafka, prefix, `${prefix}.${db}.orders_new`, (k) => String(k.id)).catch(() => null);
        return created?.table.size === 2 ? true : undefined;
      }, 30_000, 500);
      expect(created!.table.get('1')).toEqual({ id: 1, email: sha('cat@example.org'), name: 'Ca', region: 'eu' });

      // A table renamed into the pattern: its rows were never in an event under the new name, a backfill publishes them.
      await sql.query(`RENAME TABLE ${db}.staging TO ${db}.orders_moved`);
      let moved = null as Awaited<ReturnType<typeof readTopicAsTable>> | null;
      await waitFor('the renamed table\'s rows', async () => {
        moved = await readTopicAsTable(kafka, prefix, `${prefix}.${db}.orders_moved`, (k) => String(k.id)).catch(() => null);
        return moved?.table.has('1') ? true : undefined;
      }, 120_000, 1000);
      expect(moved!.table.get('1')).toEqual({ id: 1, email: sha('eve@example.org'), name: 'Ev', region: 'eu' });

      const found = await findInTopics(kafka, prefix, SECRETS);
      expect(found.topics.some((t) => t.endsWith('.orders_old') || t.endsWith('.other'))).toBe(false);
      expect(found.records).toBeGreaterThan(5);
      expect(found.hits).toEqual([]);
      for (const secret of SECRETS) expect(daemon.log()).not.toContain(secret);
    } finally {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      await sql.query(`DROP DATABASE ${db}`);
    }
  }, 240_000);

  it('refuses a row filter in one line: MariaDB cannot filter rows at the source', async () => {
    const { code, stderr } = await runFailing({ name: uniqueName('bad'), source: { url: urlFor('mysql') }, tables: { 'x.t': { where: 'id > 1' } }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('bad') });
    expect(code).toBe(2);
    expect(userLines(stderr)).toEqual(['logtap: tables."x.t".where: row filters are a PostgreSQL 15+ feature; MySQL/MariaDB cannot filter rows at the source — remove where']);
  });

  it('refuses a hash mask without its salt in one line, before connecting', async () => {
    const { code, stderr } = await runFailing({
      name: uniqueName('bad'), source: { url: urlFor('mysql') }, tables: { 'x.t': { columns: { mask: { email: 'hash' } } } },
      masking: { saltEnv: 'LOGTAP_TEST_UNSET_SALT' }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('bad'),
    });
    expect(code).toBe(2);
    expect(userLines(stderr)).toEqual(['logtap: tables."x.t".columns.mask uses hash, but the environment variable LOGTAP_TEST_UNSET_SALT (masking.saltEnv) holding its salt is not set — set it to a secret (the same for every run, or hashes change)']);
  });
});
