import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import kafkajs from 'kafkajs';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';
import { testBed } from '../helpers/test-bed.js';
import { pgUrlFor } from '../helpers/test-bed-databases.js';
import { type CliResult, runLogtap } from '../helpers/logtap-cli.js';
import { uniqueName } from '../helpers/names.js';
import { waitPgCheckpointed } from '../helpers/postgres-checkpoint.js';
import { waitFor } from '../helpers/wait.js';
import { runFailing, startDaemon, userLines, waitStreaming, whileStreaming, writeConfig } from '../helpers/daemon.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';

/*
 * A PostgreSQL table without a primary key (REPLICA IDENTITY FULL) next to a keyed one, captured by a real
 * `logtap run` with the default config (every table of a fresh database, initial snapshot): duplicates,
 * an update of one of two duplicates, deletes (NULL-safe), a truncate; its topic is a change log (not
 * compacted, kept for ever) and `logtap replay --verify` rebuilds it exactly (as a multiset) in an empty
 * database. Then: a tampered target (exit 3, every table listed) and a pre-created compacted topic (the
 * daemon stops at once with one line).
 */

const bed = testBed();
const admin = new pg.Client({ connectionString: bed.pgUrl });
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const sourceDb = uniqueName('keyless_src');
const name = uniqueName('keyless');
const prefix = uniqueName('kl');
const databases: string[] = [sourceDb];
const connectors: string[] = [name];
let source: pg.Client;
let configFile = '';

async function createDatabase(): Promise<string> {
  const database = uniqueName('keyless_db');
  await admin.query(`CREATE DATABASE ${database}`);
  databases.push(database);
  return database;
}

const replay = (args: string[], config = configFile): Promise<CliResult> => runLogtap(['replay', '--config', config, ...args]);

/** The rows of a table as a sorted list of JSON texts: a multiset, what "the same keyless table" means. */
async function rows(url: string, table: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ r: string }>(`SELECT row_to_json(x)::text AS r FROM public.${table} x`);
    return result.rows.map((r) => r.r).sort();
  } finally {
    await client.end();
  }
}

async function topicConfig(topic: string): Promise<Record<string, string>> {
  const client = kafka.admin();
  await client.connect();
  try {
    const described = await client.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy', 'retention.ms', 'retention.bytes'] }] });
    const metadata = await client.fetchTopicMetadata({ topics: [topic] });
    return { ...Object.fromEntries(described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue])), partitions: String(metadata.topics[0]!.partitions.length) };
  } finally {
    await client.disconnect();
  }
}

async function topicRecords(topic: string): Promise<number> {
  const client = kafka.admin();
  await client.connect();
  try {
    return (await client.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await client.disconnect();
  }
}

/** Updates or deletes exactly one of the rows a condition matches (duplicates are legal). */
const oneRow = (condition: string) => `ctid = (SELECT ctid FROM ledger WHERE ${condition} LIMIT 1)`;

beforeAll(async () => {
  await admin.connect();
  await admin.query(`CREATE DATABASE ${sourceDb}`);
  source = new pg.Client({ connectionString: pgUrlFor(sourceDb) });
  await source.connect();
  await source.query(`CREATE TABLE ledger (a int, b text, amount numeric(10,2), at timestamptz, doc json, tags text[])`);
  await source.query('ALTER TABLE ledger REPLICA IDENTITY FULL');
  await source.query('CREATE TABLE journal (n int, note text)');
  await source.query('ALTER TABLE journal REPLICA IDENTITY FULL');
  await source.query('CREATE TABLE items (id int PRIMARY KEY, v text)');
  // Rows the initial snapshot reads, duplicates among them.
  await source.query(`INSERT INTO ledger VALUES (1, 'snap', 1.50, '2020-01-01 00:00:00+00', '{"k": [1, 2]}', '{x,NULL}'), (1, 'snap', 1.50, '2020-01-01 00:00:00+00', '{"k": [1, 2]}', '{x,NULL}'), (2, NULL, NULL, NULL, NULL, NULL)`);
  await source.query(`INSERT INTO items VALUES (1, 'one'), (2, 'two')`);

  configFile = writeConfig({ name, source: { url: pgUrlFor(sourceDb) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix });
  await whileStreaming(configFile, async () => {
    // The snapshot's rows, then the stream: updates and deletes of one of two duplicates, NULLs matched NULL-safely.
    await source.query(`UPDATE ledger SET b = 'changed', amount = 2.00 WHERE ${oneRow("b = 'snap'")}`);
    await source.query(`INSERT INTO ledger VALUES (3, 'dup', 0.10, '2021-06-01 12:00:00.000001+00', '{"a":1}', '{}'), (3, 'dup', 0.10, '2021-06-01 12:00:00.000001+00', '{"a":1}', '{}'), (4, NULL, NULL, NULL, 'null', NULL), (4, NULL, NULL, NULL, 'null', NULL)`);
    await source.query(`DELETE FROM ledger WHERE ${oneRow('a = 4')}`);
    await source.query(`UPDATE ledger SET tags = '{"y z"}' WHERE ${oneRow('a = 3')}`);
    await source.query('DELETE FROM ledger WHERE a = 2');
    await source.query(`UPDATE items SET v = 'uno' WHERE id = 1`);
    await source.query('BEGIN');
    await source.query(`INSERT INTO ledger VALUES (5, 'gone', 5, NULL, NULL, NULL)`);
    await source.query(`UPDATE ledger SET b = 'gone too' WHERE a = 5`);
    await source.query('COMMIT');
    await source.query(`INSERT INTO ledger VALUES (6, 'six', 6.00, NULL, '[]', NULL), (6, 'six', 6.00, NULL, '[]', NULL), (7, 'x', NULL, NULL, NULL, NULL), (7, 'x', NULL, NULL, NULL, NULL)`);
    await source.query(`UPDATE ledger SET a = 8 WHERE ${oneRow('a = 6')}`);
    await source.query(`DELETE FROM ledger WHERE ${oneRow('a = 7')}`);
    await source.query(`INSERT INTO ledger VALUES (9, 'triple', NULL, NULL, NULL, NULL), (9, 'triple', NULL, NULL, NULL, NULL), (9, 'triple', NULL, NULL, NULL, NULL)`);
    await source.query(`DELETE FROM ledger WHERE ${oneRow('a = 9')}`);
    // A truncate: what came before it is gone from the rebuilt table too.
    await source.query(`INSERT INTO journal VALUES (1, 'before'), (1, 'before')`);
    await source.query('TRUNCATE journal');
    await source.query(`INSERT INTO journal VALUES (2, 'after'), (2, 'after'), (3, NULL)`);
    await source.query(`DELETE FROM journal WHERE ctid = (SELECT ctid FROM journal WHERE n = 2 LIMIT 1)`);
    await waitPgCheckpointed(source, new CheckpointStore(kafka, prefix, name), 90_000);
  }, { streamingTimeoutMs: 120_000, logged: /"level":"(error|warn)"/ });
}, 240_000);

afterAll(async () => {
  for (const connector of connectors) await dropConnectorObjects(source, connector).catch(() => {});
  await source.end();
  for (const database of databases) await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
  await admin.end();
});

describe('a PostgreSQL table without a primary key (REPLICA IDENTITY FULL)', () => {
  it('is published to a change log topic: not compacted, every record kept, one partition', async () => {
    expect(await topicConfig(`${prefix}.public.ledger`)).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1', partitions: '1' });
    expect((await topicConfig(`${prefix}.public.items`))['cleanup.policy']).toBe('compact');
  });

  it('is rebuilt exactly by replay --verify into an empty database (a multiset: duplicates kept), and again by a second run', async () => {
    const expected = await rows(pgUrlFor(sourceDb), 'ledger');
    expect(expected).toHaveLength(11);
    // Duplicates the rebuilt table must keep as duplicates.
    expect(expected.filter((r) => r.includes('"triple"'))).toHaveLength(2);
    const journal = await rows(pgUrlFor(sourceDb), 'journal');
    expect(journal).toHaveLength(2);
    const target = pgUrlFor(await createDatabase());
    const first = await replay(['--target', target, '--verify']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^equal public\.ledger: source 11 rows /m);
    expect(first.stdout).toMatch(/^equal public\.journal: source 2 rows /m);
    expect(first.stdout).toMatch(/^equal public\.items: source 2 rows /m);
    expect(await rows(target, 'ledger')).toEqual(expected);
    expect(await rows(target, 'journal')).toEqual(journal);

    const second = await replay(['--target', target, '--verify']);
    expect(second.code).toBe(0);
    expect(await rows(target, 'ledger')).toEqual(expected);
  }, 240_000);

  it('--verify lists every table and exits 3 when a rebuilt table differs', async () => {
    const database = await createDatabase();
    const target = pgUrlFor(database);
    expect((await replay(['--target', target])).code).toBe(0);
    // A row the topics never had survives the replay's upserts: the keyed table differs, the keyless one is rebuilt.
    const client = new pg.Client({ connectionString: target });
    await client.connect();
    await client.query(`INSERT INTO public.items VALUES (999, 'tampered')`);
    await client.end();
    const result = await replay(['--target', target, '--verify']);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^equal public\.ledger: /m);
    expect(result.stdout).toMatch(/^equal public\.journal: /m);
    expect(result.stdout).toMatch(/^DIFFERENT public\.items: source 2 rows [0-9a-f]+, target 3 rows [0-9a-f]+; first differing key id=999$/m);
    expect(userLines(result.stderr)).toEqual(['logtap: verify: 1 of 3 table(s) differ from the source: public.items (source 2 rows, target 3; first differing key id=999)']);
  }, 240_000);

  it('stops the daemon at once with one line when its topic exists compacted, writing nothing to it', async () => {
    const otherPrefix = uniqueName('klc');
    const otherName = uniqueName('keyless_c');
    connectors.push(otherName);
    const topic = `${otherPrefix}.public.ledger`;
    const client = kafka.admin();
    await client.connect();
    await client.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    await client.disconnect();

    const started = Date.now();
    const { code, stderr } = await runFailing({ name: otherName, source: { url: pgUrlFor(sourceDb) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: otherPrefix });
    const seconds = (Date.now() - started) / 1000;
    expect(code).toBe(1);
    expect(userLines(stderr)).toEqual([
      `logtap: topic ${topic} of table public.ledger is compacted (cleanup.policy=compact) but the table has no primary key: Kafka refuses records without a key on a compacted topic; `
      + `fix: kafka-configs.sh --bootstrap-server <broker> --alter --entity-type topics --entity-name ${topic} --add-config cleanup.policy=delete,retention.ms=-1,retention.bytes=-1 `
      + '(or delete the topic and let logtap create it), or add a primary key to the table',
    ]);
    expect(seconds).toBeLessThan(30);
    expect(await topicRecords(topic)).toBe(0);
  }, 120_000);

  it('stops the daemon with one line, instead of retrying for ever, when the broker refuses records (a table that lost its primary key)', async () => {
    const otherPrefix = uniqueName('klr');
    const otherName = uniqueName('keyless_r');
    connectors.push(otherName);
    await source.query('CREATE TABLE losing (id int CONSTRAINT losing_pk PRIMARY KEY, v text)');
    await source.query('ALTER TABLE losing REPLICA IDENTITY FULL');
    const daemon = startDaemon(writeConfig({ name: otherName, source: { url: pgUrlFor(sourceDb), tables: ['public.losing'] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: otherPrefix }));
    try {
      await waitStreaming(daemon, 120_000);
      await source.query(`INSERT INTO losing VALUES (1, 'keyed')`);
      await waitFor('the keyed row', async () => ((await topicRecords(`${otherPrefix}.public.losing`).catch(() => 0)) > 0 ? true : undefined), 60_000, 200);
      // Its compacted topic now gets records without a key, which the broker refuses on every retry.
      await source.query('ALTER TABLE losing DROP CONSTRAINT losing_pk');
      const refusedAt = Date.now();
      await source.query(`INSERT INTO losing VALUES (2, 'keyless')`);
      const { code } = await Promise.race([daemon.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running: ${daemon.log().slice(-1500)}`)), 60_000))]);
      expect(code).toBe(1);
      expect((Date.now() - refusedAt) / 1000).toBeLessThan(30);
      const lines = daemon.log().split('\n').filter((l) => l.startsWith('logtap:'));
      expect(lines).toEqual([
        `logtap: Kafka refused records while committing 1 change record(s): records without a key (a table without a primary key) of table public.losing (topic ${otherPrefix}.public.losing) `
        + "failed the broker's validation (INVALID_RECORD): a compacted topic accepts only records with a key; fix: set cleanup.policy=delete, retention.ms=-1, retention.bytes=-1 on the topic "
        + '(or delete it and let logtap create it), or add a primary key to the table',
      ]);
      expect(daemon.log()).not.toMatch(/restarting from the last checkpoint/);
      // Only the keyed row was committed (the refused transaction was aborted).
      const committed: Array<string | null> = [];
      await readTopicToEnd(kafka, `${otherPrefix}.public.losing`, ({ message }) => { committed.push(message.key === null ? null : 'keyed'); });
      expect(committed).toEqual(['keyed']);
    } finally {
      if (daemon.child.exitCode === null) daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
  }, 240_000);
});
