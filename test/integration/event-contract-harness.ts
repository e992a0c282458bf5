import { expect } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Kafka } from 'kafkajs';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { readSingleObjectHeader } from '../../src/avro/single-object.js';
import { fixedSchema } from '../../src/schema/fixed-schemas.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, waitStreaming, withDaemonLog, writeConfig } from '../helpers/daemon.js';

/** What the event-contract suites need of one database. */
export interface ContractDb {
  /** The source URL for the config. */
  url: string;
  /** The schema (PostgreSQL) or database (MariaDB) the suite's tables live in. */
  namespace: string;
  /** Runs statements outside a transaction (DDL, set-up). */
  run(statements: string[]): Promise<void>;
  /** Runs `statements` in one transaction; returns its id as the connector names it. */
  transaction(statements: string[]): Promise<string>;
  /** The earliest commit time (µs) a transaction that began at `beforeMicros` can carry (MariaDB's times are whole seconds). */
  commitFloorMicros(beforeMicros: bigint): bigint;
  /** Drops what a connector named `name` created in the source. */
  dropConnector(name: string): Promise<void>;
}

interface Record_ {
  topic: string;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

interface Boundary {
  status: 'BEGIN' | 'END';
  id: string;
  event_count: number | null;
  data_collections: { data_collection: string; event_count: number }[] | null;
  ts_ms: number | null;
  commit_us: number | null;
}

const kafka = (): Kafka => createKafka({ brokers: testBed().kafkaBrokers }, 'test');
const nowMicros = (): bigint => BigInt(Date.now()) * 1000n;

async function readAll(k: Kafka, topic: string): Promise<Record_[]> {
  const records: Record_[] = [];
  await readTopicToEnd(k, topic, ({ offset, message }) => {
    const headers: Record<string, string> = {};
    for (const [name, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[name] = String(Array.isArray(v) ? v[0] : v);
    records.push({ topic, offset: BigInt(offset), key: message.key, value: message.value, headers });
  }, { groupPrefix: 'contract-test' });
  return records;
}

const boundaries = async (k: Kafka, prefix: string): Promise<Boundary[]> =>
  (await readAll(k, `${prefix}._transactions`)).map((r) => JSON.parse(r.value!.toString()) as Boundary);

const watermarks = async (k: Kafka, prefix: string): Promise<bigint[]> =>
  (await readAll(k, `${prefix}._watermarks`)).map((r) => BigInt((JSON.parse(r.value!.toString()) as { watermark_us: number }).watermark_us));

async function cleanupPolicy(k: Kafka, topic: string): Promise<string> {
  const admin = k.admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }] });
    return described.resources[0]!.configEntries[0]!.configValue;
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the transactions topic holds the END of `txId`. */
async function waitForEnd(k: Kafka, prefix: string, txId: string, daemon: Daemon): Promise<void> {
  await waitFor(`the END of transaction ${txId} in ${prefix}._transactions`, async () => {
    if (daemon.child.exitCode !== null) throw new Error(`the daemon exited: ${daemon.log().slice(-1500)}`);
    return (await boundaries(k, prefix)).some((b) => b.status === 'END' && b.id === txId) ? true : undefined;
  }, 90_000, 500);
}

/** BEGIN and END strictly alternate, each id once: returns the ENDs by id. */
function pairedBoundaries(list: Boundary[]): Map<string, Boundary> {
  const ends = new Map<string, Boundary>();
  for (let i = 0; i < list.length; i += 2) {
    const [begin, end] = [list[i]!, list[i + 1]];
    expect(begin.status, `record ${i} of the transactions topic`).toBe('BEGIN');
    expect(end?.status, `record ${i + 1} of the transactions topic`).toBe('END');
    expect(end!.id).toBe(begin.id);
    expect(begin.event_count).toBeNull();
    expect(ends.has(begin.id), `transaction ${begin.id} published once`).toBe(false);
    ends.set(begin.id, end!);
  }
  return ends;
}

const countsOf = (end: Boundary): Record<string, number> => Object.fromEntries(end.data_collections!.map((d) => [d.data_collection, d.event_count]));

/**
 * Transaction boundaries, watermarks, event ids and a key-only table beside entity tables, in one workload streamed by
 * two connectors at once (the same changes published twice: the ids must agree).
 */
export async function contractWorkload(db: ContractDb): Promise<void> {
  const k = kafka();
  const ns = db.namespace;
  const [orders, lines, pings] = ['orders', 'lines', 'pings'].map((t) => `${ns}.${t}`) as [string, string, string];
  await db.run([
    `CREATE TABLE ${orders} (id INT PRIMARY KEY, note VARCHAR(50))`,
    `CREATE TABLE ${lines} (order_id INT, line INT, qty INT NOT NULL, PRIMARY KEY (order_id, line))`,
    `CREATE TABLE ${pings} (id INT PRIMARY KEY, v VARCHAR(20))`,
    `INSERT INTO ${orders} VALUES (1, 'snap one'), (2, 'snap two'), (3, 'snap three')`,
  ]);
  const names = [uniqueName('contract'), uniqueName('contract2')];
  const prefixes = [uniqueName('ec'), uniqueName('ec2')];
  const daemons = names.map((name, i) => startDaemon(writeConfig({
    name, source: { url: db.url, tables: [orders, lines, pings] }, kafka: { brokers: testBed().kafkaBrokers }, topicPrefix: prefixes[i],
    // Small batches: the 12-row transaction is cut across several Kafka transactions.
    batch: { maxRecords: 4, maxBytes: 1 << 20, maxDelayMs: 20 }, heartbeatIntervalMs: 300,
    transactions: { topic: true }, watermarks: { topic: true, header: true },
    tables: { [`${ns}.pi*`]: { envelope: 'key-only' } },
  })));
  try {
    await Promise.all(daemons.map((d) => waitStreaming(d)));
    const expected: { id: string; counts: Record<string, number>; before: bigint; after: bigint }[] = [];
    const tx = async (counts: Record<string, number>, statements: string[]) => {
      const before = nowMicros();
      const id = await db.transaction(statements);
      // Date.now() has milliseconds: the end of the millisecond.
      expected.push({ id, counts, before, after: nowMicros() + 999n });
    };
    /** What a consumer saw at a watermark: the watermark, then every data record id readable after it. */
    const sightings: { watermark: bigint; ids: Set<string> }[] = [];
    const sight = async () => {
      const marks = await waitFor('a watermark', async () => {
        const read = await watermarks(k, prefixes[0]!);
        return read.length > 0 ? read : undefined;
      }, 30_000, 200);
      const ids = new Set<string>();
      for (const t of [orders, lines, pings]) for (const r of await readAll(k, `${prefixes[0]}.${t}`)) ids.add(r.headers['logtap.id']!);
      sightings.push({ watermark: marks.at(-1)!, ids });
    };
    await tx({ [orders]: 2, [lines]: 3 }, [`INSERT INTO ${orders} VALUES (10, 'a'), (11, 'b')`, `INSERT INTO ${lines} VALUES (10, 1, 1), (10, 2, 2), (11, 1, 3)`]);
    await tx({ [orders]: 1 }, [`UPDATE ${orders} SET id = 110 WHERE id = 11`]);
    await sight();
    await tx({ [lines]: 1 }, [`DELETE FROM ${lines} WHERE order_id = 10 AND line = 2`]);
    await tx({ [pings]: 2 }, [`INSERT INTO ${pings} VALUES (1, 'x')`, `UPDATE ${pings} SET v = 'y' WHERE id = 1`]);
    await sight();
    await tx({ [lines]: 12 }, [`INSERT INTO ${lines} VALUES ${Array.from({ length: 12 }, (_, i) => `(20, ${i + 1}, ${i})`).join(', ')}`]);
    await tx({ [orders]: 1 }, [`UPDATE ${orders} SET note = 'streamed' WHERE id = 1`]);
    await sight();
    const last = expected.at(-1)!;
    for (let i = 0; i < 2; i++) await waitForEnd(k, prefixes[i]!, last.id, daemons[i]!);
    await sight();

    // Transactions topic: BEGIN/END per source transaction, in commit order, with the counts per table and the commit time.
    const list = await boundaries(k, prefixes[0]!);
    const ends = pairedBoundaries(list);
    expect([...ends.keys()]).toEqual(expected.map((e) => e.id));
    for (const e of expected) {
      const end = ends.get(e.id)!;
      expect(countsOf(end), `counts of transaction ${e.id}`).toEqual(e.counts);
      expect(end.event_count).toBe(Object.values(e.counts).reduce((a, b) => a + b, 0));
      const commit = BigInt(end.commit_us!);
      expect(commit >= db.commitFloorMicros(e.before) && commit <= e.after, `commit time ${commit} of ${e.id} within [${e.before}, ${e.after}]`).toBe(true);
      expect(end.ts_ms).toBe(Math.floor(end.commit_us! / 1000));
    }

    // Data records: each carries an id, unique across the workload (snapshot rows, key-change tombstones and rows).
    const data = new Map<string, Record_[]>();
    for (const prefix of prefixes) {
      const all: Record_[] = [];
      for (const t of [orders, lines, pings]) all.push(...await readAll(k, `${prefix}.${t}`));
      data.set(prefix, all);
    }
    const mine = data.get(prefixes[0]!)!;
    const ids = mine.map((r) => r.headers['logtap.id']);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(mine.filter((r) => r.headers['logtap.snapshot'] === 'true')).toHaveLength(3);
    // The key change: a tombstone of the old key and the row under the new one, told apart.
    const keyChange = mine.filter((r) => r.headers['logtap.txid'] === expected[1]!.id);
    expect(keyChange.map((r) => r.value === null)).toEqual([true, false]);
    // Every streamed record names its transaction, and each transaction's records are as many as its END counts (one per change here).
    for (const e of expected) expect(mine.filter((r) => r.headers['logtap.txid'] === e.id)).toHaveLength(ends.get(e.id)!.event_count! + (e === expected[1] ? 1 : 0));

    // The same change published by another connector carries the same id and the same Avro body (its schema, named for
    // its own topic, differs); snapshot reads are reads of their own.
    const streamed = (prefix: string) => new Map(data.get(prefix)!.filter((r) => r.headers['logtap.snapshot'] === 'false')
      .map((r) => [r.headers['logtap.id']!, r.value ? readSingleObjectHeader(r.value).body.toString('hex') : null]));
    expect([...streamed(prefixes[1]!)].sort()).toEqual([...streamed(prefixes[0]!)].sort());
    expect(streamed(prefixes[0]!).size).toBe(mine.length - 3);

    // Key-only per table: the pings topic carries key, op and position only, and deletes old records rather than compacting.
    const pingRecords = mine.filter((r) => r.topic === `${prefixes[0]}.${pings}`);
    expect(pingRecords.map((r) => (fixedSchema('key-only-change').type.fromBuffer(readSingleObjectHeader(r.value!).body) as { op: string }).op)).toEqual(['c', 'u']);
    expect(await cleanupPolicy(k, `${prefixes[0]}.${pings}`)).toBe('delete');
    expect(await cleanupPolicy(k, `${prefixes[0]}.${orders}`)).toBe('compact');

    // Watermarks: never backwards; what a consumer saw after a watermark W holds every change committed at or before W.
    const marks = await watermarks(k, prefixes[0]!);
    expect(marks.length).toBeGreaterThan(0);
    for (let i = 1; i < marks.length; i++) expect(marks[i]! > marks[i - 1]!, `watermark ${i} advances`).toBe(true);
    const commitOf = (r: Record_) => BigInt(r.headers['logtap.commit_us']!);
    expect(sightings.length).toBeGreaterThanOrEqual(3);
    for (const s of sightings) {
      for (const r of mine) if (r.headers['logtap.snapshot'] === 'false' && commitOf(r) <= s.watermark) expect(s.ids.has(r.headers['logtap.id']!), `${r.headers['logtap.id']} (commit ${commitOf(r)}) readable at watermark ${s.watermark}`).toBe(true);
    }
    // The header: below the record's own commit time, and never backwards within a topic.
    expect(mine.some((r) => r.headers['logtap.snapshot'] === 'false' && r.headers['logtap.watermark'] !== undefined), 'a streamed record with a watermark header').toBe(true);
    for (const t of [orders, lines, pings]) {
      const streamedHere = mine.filter((r) => r.topic === `${prefixes[0]}.${t}` && r.headers['logtap.snapshot'] === 'false');
      let previous = -1n;
      for (const r of streamedHere) {
        // Absent only until the connector first knows a source time (the first changes of a first start).
        const header = r.headers['logtap.watermark'];
        if (header === undefined) {
          expect(previous, `${r.headers['logtap.id']} without a watermark header after one with it`).toBe(-1n);
          continue;
        }
        const w = BigInt(header);
        expect(w < commitOf(r), `watermark header ${w} of ${r.headers['logtap.id']} below its commit time ${commitOf(r)}`).toBe(true);
        expect(w >= previous, `watermark header ${w} of ${r.headers['logtap.id']} not below the previous one ${previous}`).toBe(true);
        previous = w;
      }
    }
    // An idle source: the watermark moves past the last commit without any new change.
    const lastCommit = BigInt(ends.get(last.id)!.commit_us!);
    await waitFor('the watermark to pass the last commit on the idle source', async () => ((await watermarks(k, prefixes[0]!)).at(-1)! >= lastCommit ? true : undefined), 90_000, 1000);
    // No commit came at or below a watermark already in use (the daemon says so when one does).
    for (const d of daemons) expect(d.log()).not.toMatch(/committed at or before a watermark/);
  } catch (err) {
    throw withDaemonLog(err, daemons[0]!, /"level":"(error|warn)"/);
  } finally {
    for (const d of daemons) d.child.kill('SIGTERM');
    await Promise.all(daemons.map((d) => d.exited));
    for (const name of names) await db.dropConnector(name);
  }
}

/** kill -9 while transactions (some cut across Kafka transactions) stream: every BEGIN and END exactly once, counts right. */
export async function contractCrash(db: ContractDb): Promise<void> {
  const k = kafka();
  const items = `${db.namespace}.crash_items`;
  await db.run([`CREATE TABLE ${items} (id INT PRIMARY KEY, qty INT NOT NULL)`]);
  const name = uniqueName('ccrash');
  const prefix = uniqueName('ecc');
  const config = writeConfig({
    name, source: { url: db.url, tables: [items] }, kafka: { brokers: testBed().kafkaBrokers }, topicPrefix: prefix,
    batch: { maxRecords: 3, maxBytes: 1 << 20, maxDelayMs: 5 }, heartbeatIntervalMs: 200, snapshot: { mode: 'never' },
    restart: { initialBackoffMs: 100, maxBackoffMs: 1000 }, transactions: { topic: true }, watermarks: { topic: true },
  });
  let daemon = startDaemon(config);
  try {
    await waitStreaming(daemon);
    const checkpoints = new CheckpointStore(k, prefix, name);
    await waitFor('the first checkpoint', async () => ((await checkpoints.load()) ? true : undefined), 30_000, 200);
    const expected = new Map<string, number>();
    let nextId = 1;
    let done = false;
    const workload = (async () => {
      for (let i = 0; i < 80; i++) {
        const size = 1 + (i % 8);
        const ids = Array.from({ length: size }, () => nextId++);
        const id = await db.transaction([`INSERT INTO ${items} VALUES ${ids.map((n) => `(${n}, ${i})`).join(', ')}`]);
        expected.set(id, size);
        await sleep(20);
      }
      done = true;
    })();
    for (let kill = 0; kill < 3 && !done; kill++) {
      await sleep(400 + Math.random() * 800);
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      daemon = startDaemon(config);
    }
    await workload;
    await waitStreaming(daemon);
    await waitForEnd(k, prefix, [...expected.keys()].at(-1)!, daemon);

    const ends = pairedBoundaries(await boundaries(k, prefix));
    expect([...ends.keys()]).toEqual([...expected.keys()]);
    for (const [id, size] of expected) expect(countsOf(ends.get(id)!), `counts of ${id}`).toEqual({ [items]: size });
    const records = await readAll(k, `${prefix}.${items}`);
    const ids = records.map((r) => r.headers['logtap.id']);
    expect(new Set(ids).size).toBe(ids.length);
    const perTx = new Map<string, number>();
    for (const r of records) perTx.set(r.headers['logtap.txid']!, (perTx.get(r.headers['logtap.txid']!) ?? 0) + 1);
    expect(perTx).toEqual(expected);
    const marks = await watermarks(k, prefix);
    for (let i = 1; i < marks.length; i++) expect(marks[i]! > marks[i - 1]!, `watermark ${i} advances across the crashes`).toBe(true);
  } catch (err) {
    throw withDaemonLog(err, daemon, /"level":"(error|warn)"/);
  } finally {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
    await db.dropConnector(name);
  }
}
