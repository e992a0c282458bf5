import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { runFailing, startDaemon, userLines, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';
import { postgresObjectNames } from '../../connectors/postgres/postgres-connector.js';
import { findInTopics } from '../helpers/leak-search.js';
import { runLogtap } from '../helpers/logtap-cli.js';
import { pgUrlFor } from '../helpers/test-bed-databases.js';

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const sql = new pg.Client({ connectionString: bed.pgUrl });
beforeAll(() => sql.connect());
afterAll(() => sql.end());

const SALT = 'pepper-for-the-test';
const sha = (v: string) => createHash('sha256').update(SALT + v).digest('hex');
const SECRETS = ['ann@example.org', 'bob@example.org', 'Annabel', 'Bobby', 'TOPSECRET-1', 'TOPSECRET-2'];

describe('choosing tables and columns on PostgreSQL', () => {
  it('captures tables by glob less the excluded ones, leaves excluded columns out of the publication, filters rows in snapshot and stream, and masks values that never reach Kafka or the log', async () => {
    const name = uniqueName('shape');
    const prefix = uniqueName('sp');
    const s = uniqueName('shapes');
    await sql.query(`CREATE SCHEMA ${s};
      CREATE TABLE ${s}.orders_a (id int PRIMARY KEY, email text NOT NULL, name text, secret text, region text);
      CREATE TABLE ${s}.orders_b (id int PRIMARY KEY, note text);
      CREATE TABLE ${s}.orders_old (id int PRIMARY KEY);
      CREATE TABLE ${s}.other (id int PRIMARY KEY);
      INSERT INTO ${s}.orders_a VALUES (1, 'ann@example.org', 'Annabel', 'TOPSECRET-1', 'eu'), (150, 'zed@example.org', 'Zed', 'x', 'us');
      INSERT INTO ${s}.orders_b VALUES (1, 'b1'); INSERT INTO ${s}.orders_old VALUES (1); INSERT INTO ${s}.other VALUES (1);`);
    const configFile = writeConfig({
      name, source: { url: bed.pgUrl, tables: [`${s}.orders_*`], excludeTables: [`${s}.orders_old`] },
      schemaChanges: { resync: 'auto' },
      tables: {
        [`${s}.orders_a`]: { columns: { exclude: ['secret'], mask: { email: 'hash', name: { truncate: 2 } } }, where: 'id < 100' },
        [`${s}.*`]: { columns: { exclude: ['nothing_here'] } },
      },
      kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 500,
    });
    const daemon = startDaemon(configFile, { LOGTAP_MASK_SALT: SALT });
    const target = uniqueName('shapes_replay');
    try {
      await waitStreaming(daemon);
      const { publication } = postgresObjectNames(name);
      const { rows: published } = await sql.query(`SELECT tablename, attnames::text[] AS attnames, rowfilter FROM pg_publication_tables WHERE pubname = $1 ORDER BY tablename`, [publication]);
      expect(published.map((r) => r.tablename)).toEqual(['orders_a', 'orders_b']);
      expect(published[0].attnames).toEqual(['id', 'email', 'name', 'region']);
      expect(published[0].rowfilter).toMatch(/id < 100/);

      await sql.query(`INSERT INTO ${s}.orders_a VALUES (2, 'bob@example.org', 'Bobby', 'TOPSECRET-2', 'eu'), (200, 'x@example.org', 'X', 'y', 'us');
        UPDATE ${s}.orders_a SET region = 'uk' WHERE id = 1; INSERT INTO ${s}.orders_b VALUES (2, 'b2'); INSERT INTO ${s}.orders_old VALUES (2)`);
      let a = await readTopicAsTable(kafka, prefix, `${prefix}.${s}.orders_a`, (k) => String(k.id));
      await waitFor('the stream rows', async () => {
        a = await readTopicAsTable(kafka, prefix, `${prefix}.${s}.orders_a`, (k) => String(k.id));
        return a.table.get('1')?.region === 'uk' && a.table.has('2') ? true : undefined;
      }, 30_000, 500);
      expect([...a.table.keys()].sort()).toEqual(['1', '2']);
      expect(a.table.get('1')).toEqual({ id: 1, email: sha('ann@example.org'), name: 'An', region: 'uk' });
      expect(a.table.get('2')).toEqual({ id: 2, email: sha('bob@example.org'), name: 'Bo', region: 'eu' });
      const b = await readTopicAsTable(kafka, prefix, `${prefix}.${s}.orders_b`, (k) => String(k.id));
      expect([...b.table.keys()].sort()).toEqual(['1', '2']);

      // A matching table created while streaming: added to the publication when seen, its earlier rows backfilled.
      await sql.query(`CREATE TABLE ${s}.orders_c (id int PRIMARY KEY, note text); INSERT INTO ${s}.orders_c VALUES (1, 'before it was seen')`);
      let c: Awaited<ReturnType<typeof readTopicAsTable>> | null = null;
      await waitFor('the new table\'s earlier row', async () => {
        if (!/new table matches/.test(daemon.log())) return undefined;
        c = await readTopicAsTable(kafka, prefix, `${prefix}.${s}.orders_c`, (k) => String(k.id)).catch(() => null);
        return c?.table.has('1') ? true : undefined;
      }, 60_000, 1000);
      await sql.query(`INSERT INTO ${s}.orders_c VALUES (2, 'later'); UPDATE ${s}.orders_c SET note = 'changed' WHERE id = 1`);
      await waitFor('the new table\'s later changes', async () => {
        c = await readTopicAsTable(kafka, prefix, `${prefix}.${s}.orders_c`, (k) => String(k.id)).catch(() => null);
        return c?.table.has('2') && c.table.get('1')?.note === 'changed' ? true : undefined;
      }, 60_000, 1000);
      expect([...c!.table.values()].sort((x, y) => Number(x.id) - Number(y.id))).toEqual([{ id: 1, note: 'changed' }, { id: 2, note: 'later' }]);

      const found = await findInTopics(kafka, prefix, SECRETS);
      expect(found.topics.some((t) => t.endsWith('.orders_old') || t.endsWith('.other'))).toBe(false);
      expect(found.records).toBeGreaterThan(5);
      expect(found.hits).toEqual([]);
      for (const secret of SECRETS) expect(daemon.log()).not.toContain(secret);

      // Replay rebuilds the tables as published: no excluded column, masked values as masked.
      await sql.query(`CREATE DATABASE ${target}`);
      const replayed = await runLogtap(['replay', '--config', configFile, '--target', pgUrlFor(target)]);
      expect(replayed.stderr).toBe('');
      expect(replayed.code).toBe(0);
      const restored = new pg.Client({ connectionString: pgUrlFor(target) });
      await restored.connect();
      try {
        const { rows } = await restored.query(`SELECT * FROM ${s}.orders_a ORDER BY id`);
        expect(rows).toEqual([{ id: 1, email: sha('ann@example.org'), name: 'An', region: 'uk' }, { id: 2, email: sha('bob@example.org'), name: 'Bo', region: 'eu' }]);
        expect((await restored.query(`SELECT id FROM ${s}.orders_b ORDER BY id`)).rows).toEqual([{ id: 1 }, { id: 2 }]);
      } finally {
        await restored.end();
      }
    } finally {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      await dropConnectorObjects(sql, name);
      await sql.query(`DROP DATABASE IF EXISTS ${target}`);
      await sql.query(`DROP SCHEMA ${s} CASCADE`);
    }
  }, 180_000);

  it('refuses a key column left out, and a row filter on a column outside the replica identity, in one line', async () => {
    const s = uniqueName('shapes');
    await sql.query(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.t (id int PRIMARY KEY, region text)`);
    try {
      const base = { source: { url: bed.pgUrl, tables: [`${s}.t`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('bad') };
      const key = await runFailing({ ...base, name: uniqueName('bad'), tables: { [`${s}.t`]: { columns: { exclude: ['id'] } } } });
      expect(key.code).not.toBe(0);
      expect(userLines(key.stderr).join('\n')).toMatch(new RegExp(`column "id" of table ${s}\\.t is in its replica identity`));
      const where = await runFailing({ ...base, name: uniqueName('bad'), tables: { [`${s}.t`]: { where: `region = 'eu'` } } });
      expect(where.code).not.toBe(0);
      expect(userLines(where.stderr).join('\n')).toMatch(new RegExp(`row filter of table ${s}\\.t reads column "region", which is not in its replica identity`));
    } finally {
      await sql.query(`DROP SCHEMA ${s} CASCADE`);
    }
  });
});
