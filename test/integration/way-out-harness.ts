import { expect } from 'vitest';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, userLines, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { type CliResult, runLogtap } from '../helpers/logtap-cli.js';
import { readTopicAsTable } from '../helpers/topic-table.js';

// "A way out of every stop", shared by way-out-postgres.test.ts and way-out-mysql.test.ts: a transaction the
// daemon refuses (a NOT NULL column without a default under schemaEvolution.onIncompatible: fail) stops it;
// check and offsets show report it; offsets skip-current-transaction skips exactly that transaction; run
// resumes and streams later changes; snapshot --table without a daemon re-publishes the tables it touched, and
// the topics equal the tables. offsets refuses while the daemon runs; a garbage position is a usage error.

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');

/** A logtap command as a user runs it. */
export const logtap = (...args: string[]): Promise<CliResult> => runLogtap(args, { timeoutMs: 300_000, logLevel: 'info' });

/** One database of the scenario; `?`-free SQL, table names as given. */
export interface WayOutDb {
  url: string;
  /** The namespace tables are created in (PostgreSQL schema, MySQL database). */
  namespace: string;
  query(text: string): Promise<Array<Record<string, unknown>>>;
  /** Runs `statements` in one transaction and returns its id as the connector prints it (xid, GTID). */
  transaction(statements: string[]): Promise<string>;
  /** Whether an instance streams connector `name` (slot active, instance lock held). */
  instanceActive(name: string): Promise<boolean>;
  /** What `offsets` says about a running instance, and a position display after skipping. */
  expected: { running: RegExp; garbage: RegExp; position: RegExp };
  /** A position `offsets set` must refuse (before a PostgreSQL slot's confirmed position), and the line it prints. */
  refusedPosition?: { text: string; line: RegExp };
  /** Drops what the connector left at the source (slot, publication). */
  dropConnector(name: string): Promise<void>;
}

export async function wayOutScenario(db: WayOutDb, cleanup: Array<() => Promise<unknown>>): Promise<void> {
  const name = uniqueName('way');
  const prefix = uniqueName('wp');
  const items = uniqueName('way_items');
  const stock = uniqueName('way_stock');
  const signalTable = uniqueName('way_signal');
  const ns = db.namespace;
  await db.query(`CREATE TABLE ${items} (id integer PRIMARY KEY, note varchar(40) NOT NULL)`);
  await db.query(`CREATE TABLE ${stock} (id integer PRIMARY KEY, qty integer NOT NULL)`);
  await db.query(`INSERT INTO ${items} VALUES (1, 'one'), (2, 'two'), (3, 'three')`);
  await db.query(`INSERT INTO ${stock} VALUES (1, 10), (2, 20)`);
  cleanup.push(async () => {
    await db.dropConnector(name);
    for (const t of [items, stock, signalTable]) await db.query(`DROP TABLE IF EXISTS ${t}`);
  });
  const configFile = writeConfig({
    name, source: { url: db.url, tables: [`${ns}.${items}`, `${ns}.${stock}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
    heartbeatIntervalMs: 300, schemaEvolution: { onIncompatible: 'fail' }, signal: { enabled: true, table: `${ns}.${signalTable}` },
  });
  const store = new CheckpointStore(kafka, prefix, name);
  const topicOf = (table: string) => `${prefix}.${ns}.${table}`;

  let daemon: Daemon = startDaemon(configFile);
  cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; });
  await waitStreaming(daemon);
  await waitFor('the first checkpoint', async () => ((await store.load().catch(() => null)) ? true : undefined), 120_000, 200);
  await waitFor('the instance to hold the source', async () => ((await db.instanceActive(name)) ? true : undefined), 60_000);

  // Moving the checkpoint of a running connector is refused; a garbage position is a usage error either way.
  const whileRunning = await logtap('offsets', 'skip-current-transaction', '--config', configFile);
  expect(whileRunning.code).toBe(1);
  expect(userLines(whileRunning.stderr)).toEqual([expect.stringMatching(db.expected.running)]);
  const garbage = await logtap('offsets', 'set', 'not-a-position', '--config', configFile);
  expect(garbage.code).toBe(2);
  expect(userLines(garbage.stderr)).toEqual([expect.stringMatching(db.expected.garbage)]);

  // A good transaction, then the poisoned one: a renamed NOT NULL column (a reader of the new schema finds no value for
  // it in older records, and no default: incompatible), and a row using it.
  await db.query(`INSERT INTO ${stock} VALUES (3, 30)`);
  await db.query(`ALTER TABLE ${items} RENAME COLUMN note TO label`);
  const txId = await db.transaction([`INSERT INTO ${items} (id, label) VALUES (100, 'poison')`, `UPDATE ${stock} SET qty = qty + 1 WHERE id = 1`]);
  const stopped = await daemon.exited;
  expect(stopped.code).toBe(1);
  expect(daemon.log()).toMatch(/logtap: .*the new schema cannot read records/);
  await waitFor('the instance to let go of the source', async () => ((await db.instanceActive(name)) ? undefined : true), 30_000);

  // check: an error-level finding with its fix, never "ok".
  const check = await logtap('check', '--config', configFile);
  expect(check.code).toBe(1);
  expect(check.stdout).toMatch(/ERROR {3}last_failure: connector .* stopped at .* on SCHEMA_EVOLUTION: .*the new schema cannot read records/);
  expect(check.stdout).toMatch(/fix: .*logtap offsets skip-current-transaction/);
  expect(check.stdout).not.toMatch(/^ok/m);

  const shown = await logtap('offsets', 'show', '--config', configFile);
  expect(shown.code).toBe(0);
  const before = (await store.load())!;
  expect(shown.stdout).toContain(`checkpoint: ${before.position.display} (${before.position.token})`);
  expect(shown.stdout).toMatch(/instance: none streams/);
  expect(shown.stdout).toMatch(/last failure: .* SCHEMA_EVOLUTION: /);

  const skipped = await logtap('offsets', 'skip-current-transaction', '--config', configFile);
  expect(userLines(skipped.stderr)).toEqual([]);
  expect(skipped.code).toBe(0);
  // Exactly the poisoned transaction: its id, its two changes and its tables (the good one before it is kept).
  expect(skipped.stdout).toContain(`skipped transaction ${txId}, committed `);
  expect(skipped.stdout).toContain(`: 2 change(s) of ${ns}.${items}, ${ns}.${stock}\n`);
  expect(skipped.stdout).toContain(`before: ${before.position.display} (${before.position.token})`);
  const after = (await store.load())!;
  expect(after.position.token).not.toBe(before.position.token);
  expect(after.position.display).toMatch(db.expected.position);
  expect(skipped.stdout).toContain(`after:  ${after.position.display} (${after.position.token})`);
  expect(skipped.stdout).toContain(`logtap snapshot --config … --table ${ns}.${items} --table ${ns}.${stock}`);

  // offsets set: back to the old checkpoint (a token as offsets show prints it) and skipping again gives the same.
  const back = await logtap('offsets', 'set', before.position.token, '--config', configFile);
  expect(userLines(back.stderr)).toEqual([]);
  expect(back.stdout).toContain(`before: ${after.position.display} (${after.position.token})`);
  expect(back.stdout).toContain(`after:  ${before.position.display} (${before.position.token})`);
  expect((await store.load())!.position.token).toBe(before.position.token);
  if (db.refusedPosition) {
    const refused = await logtap('offsets', 'set', db.refusedPosition.text, '--config', configFile);
    expect(refused.code).toBe(1);
    expect(userLines(refused.stderr)).toEqual([expect.stringMatching(db.refusedPosition.line)]);
    expect((await store.load())!.position.token).toBe(before.position.token);
  }
  const again = await logtap('offsets', 'skip-current-transaction', '--config', configFile);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain(`after:  ${after.position.display} (${after.position.token})`);

  // run resumes after the skipped transaction and streams later changes; the failure is cleared.
  await db.query(`UPDATE ${stock} SET qty = 33 WHERE id = 3`);
  daemon = startDaemon(configFile);
  await waitStreaming(daemon);
  await waitFor('the failure to be cleared', async () => ((await store.loadState()).failure === null ? true : undefined), 60_000, 300);
  await waitFor('the later change in the topic', async () => {
    const topic = await readTopicAsTable(kafka, prefix, topicOf(stock), (k) => String(k.id));
    return topic.table.get('3')?.qty === 33 ? topic : undefined;
  }, 60_000, 500);
  expect((await readTopicAsTable(kafka, prefix, topicOf(items), (k) => String(k.id))).table.has('100')).toBe(false);
  expect((await readTopicAsTable(kafka, prefix, topicOf(stock), (k) => String(k.id))).table.get('1')?.qty).toBe(10); // the skipped update
  daemon.child.kill('SIGTERM');
  expect((await daemon.exited).code).toBe(0);
  expect((await logtap('check', '--config', configFile)).stdout).toMatch(/^ok: nothing blocks streaming/m);

  // The user undoes the rename, then re-publishes the skipped transaction's tables without a daemon.
  await db.query(`ALTER TABLE ${items} RENAME COLUMN label TO note`);
  await waitFor('the instance to let go of the source', async () => ((await db.instanceActive(name)) ? undefined : true), 30_000);
  const snapshot = await logtap('snapshot', '--config', configFile, '--table', `${ns}.${items}`, '--table', `${ns}.${stock}`);
  expect(userLines(snapshot.stderr)).toEqual([]);
  expect(snapshot.code).toBe(0);
  expect(snapshot.stdout).toMatch(/no instance of connector .* runs: streaming it here/);
  const published = (await store.load())!;
  expect(snapshot.stdout).toMatch(/backfill [0-9a-f-]{36} finished \(checkpoint /);
  expect(snapshot.stdout).toContain(`(checkpoint ${published.position.display})`);
  expect(published.position.token).not.toBe(after.position.token);

  for (const table of [items, stock]) {
    const topic = await readTopicAsTable(kafka, prefix, topicOf(table), (k) => String(k.id));
    const rows = await db.query(`SELECT * FROM ${table}`);
    expect(Object.fromEntries([...topic.table].map(([id, row]) => [id, { ...row }])))
      .toEqual(Object.fromEntries(rows.map((r) => [String(r.id), { ...r }])));
  }
}

/** `logtap snapshot` with signal off: one line with the fix, exit 2. */
export async function snapshotWithoutSignal(url: string): Promise<void> {
  const configFile = writeConfig({ name: uniqueName('way'), source: { url }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('wp') });
  const result = await logtap('snapshot', '--config', configFile, '--table', 'a.b');
  expect(result.code).toBe(2);
  expect(userLines(result.stderr)).toEqual([expect.stringMatching(/online backfills are off: set `signal: \{ enabled: true \}` in the config/)]);
}
