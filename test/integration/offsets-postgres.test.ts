import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import pg from 'pg';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { connectorObjectPattern, dropConnectorObjects } from '../helpers/pg-connector-objects.js';

// "A way out of every stop" on PostgreSQL: a transaction the daemon refuses (a NOT NULL column without a
// default under schemaEvolution.onIncompatible: fail) stops it; check and offsets show report it; offsets
// skip-current-transaction skips exactly that transaction; run resumes; snapshot --table without a daemon
// re-publishes the tables it touched, and the topics equal the tables.
const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');

interface CliResult { code: number; stdout: string; stderr: string }

/** A logtap command as a user runs it. */
function logtap(...args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, ['bin/logtap.js', ...args], { timeout: 300_000, env: { ...process.env, LOGTAP_LOG_LEVEL: 'info' } }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const userLines = (stderr: string): string[] => stderr.trim().split('\n').filter((l) => l.startsWith('logtap:'));

describe('a way out of a stopped PostgreSQL connector', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  it('stops on a refused transaction; check and offsets show report it; skip-current-transaction skips exactly it; run resumes; snapshot without a daemon re-publishes the tables', async () => {
    const sql = new pg.Client({ connectionString: bed.pgUrl });
    await sql.connect();
    cleanup.push(() => sql.end());
    const name = uniqueName('way');
    const prefix = uniqueName('wp');
    const items = uniqueName('way_items');
    const stock = uniqueName('way_stock');
    const signalTable = uniqueName('way_signal');
    await sql.query(`CREATE TABLE ${items} (id integer PRIMARY KEY, note text NOT NULL)`);
    await sql.query(`CREATE TABLE ${stock} (id integer PRIMARY KEY, qty integer NOT NULL)`);
    await sql.query(`INSERT INTO ${items} VALUES (1, 'one'), (2, 'two'), (3, 'three')`);
    await sql.query(`INSERT INTO ${stock} VALUES (1, 10), (2, 20)`);
    cleanup.push(async () => {
      await dropConnectorObjects(sql, name);
      await sql.query(`DROP TABLE IF EXISTS ${items}, ${stock}, ${signalTable}`);
    });
    const configFile = writeConfig({
      name, source: { url: bed.pgUrl, tables: [`public.${items}`, `public.${stock}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
      heartbeatIntervalMs: 300, schemaEvolution: { onIncompatible: 'fail' }, signal: { enabled: true, table: `public.${signalTable}` },
    });
    const store = new CheckpointStore(kafka, prefix, name);
    const slotActive = async (): Promise<boolean> => (await sql.query('SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND active', [connectorObjectPattern(name)])).rowCount! > 0;

    let daemon: Daemon = startDaemon(configFile);
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; });
    await waitStreaming(daemon);
    await waitFor('the first checkpoint', async () => ((await store.load().catch(() => null)) ? true : undefined), 120_000, 200);
    await waitFor('the slot in use', async () => ((await slotActive()) ? true : undefined), 60_000);

    // Moving the checkpoint of a running connector is refused; a garbage position is a usage error either way.
    const whileRunning = await logtap('offsets', 'skip-current-transaction', '--config', configFile);
    expect(whileRunning.code).toBe(1);
    expect(userLines(whileRunning.stderr)).toEqual([expect.stringMatching(/is running \(replication slot .* is active .*\): stop logtap run first/)]);
    const garbage = await logtap('offsets', 'set', 'not-a-position', '--config', configFile);
    expect(garbage.code).toBe(2);
    expect(userLines(garbage.stderr)).toEqual([expect.stringMatching(/position "not-a-position" is not a PostgreSQL position: give an LSN such as 0\/16B3748/)]);

    // The poisoned transaction: a column consumers of older records could not read, then a row that uses it.
    await sql.query(`INSERT INTO ${stock} VALUES (3, 30)`);
    await sql.query(`ALTER TABLE ${items} ADD COLUMN grade integer NOT NULL DEFAULT 0`);
    await sql.query('BEGIN');
    const xid = (await sql.query<{ xid: string }>('SELECT txid_current()::text AS xid')).rows[0]!.xid;
    await sql.query(`INSERT INTO ${items} VALUES (100, 'poison', 7)`);
    await sql.query(`UPDATE ${stock} SET qty = qty + 1 WHERE id = 1`);
    await sql.query('COMMIT');
    const stopped = await daemon.exited;
    expect(stopped.code).toBe(1);
    expect(daemon.log()).toMatch(/logtap: .*the new schema cannot read records/);
    await waitFor('the slot to be free', async () => ((await slotActive()) ? undefined : true), 30_000);

    // check: an error-level finding with its fix, never "ok".
    const check = await logtap('check', '--config', configFile);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/ERROR {3}last_failure: connector .* stopped at .* on SCHEMA_EVOLUTION: .*the new schema cannot read records/);
    expect(check.stdout).toMatch(/fix: .*logtap offsets skip-current-transaction/);
    expect(check.stdout).not.toMatch(/^ok/m);

    const shown = await logtap('offsets', 'show', '--config', configFile);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/checkpoint: lsn [0-9A-F]+\/[0-9A-F]+ \(pg1:/);
    expect(shown.stdout).toMatch(/instance: none streams/);
    expect(shown.stdout).toMatch(/last failure: .* SCHEMA_EVOLUTION: /);
    const before = (await store.load())!;

    const skipped = await logtap('offsets', 'skip-current-transaction', '--config', configFile);
    expect(skipped.stderr.split('\n').filter((l) => l.startsWith('logtap:'))).toEqual([]);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain(`skipped transaction ${xid}`);
    expect(skipped.stdout).toMatch(new RegExp(`: 2 change\\(s\\) of public\\.${items}, public\\.${stock}\\n`));
    expect(skipped.stdout).toContain(`before: ${before.position.display} (${before.position.token})`);
    expect(skipped.stdout).toMatch(/after: {2}lsn [0-9A-F]+\/[0-9A-F]+ \(pg1:[0-9A-F]+\/[0-9A-F]+\)/);
    expect(skipped.stdout).toContain(`logtap snapshot --config … --table public.${items} --table public.${stock}`);
    const after = (await store.load())!;
    expect(after.position.token).not.toBe(before.position.token);

    // run resumes after the skipped transaction and streams later changes; the failure is cleared.
    await sql.query(`UPDATE ${stock} SET qty = 33 WHERE id = 3`);
    daemon = startDaemon(configFile);
    await waitStreaming(daemon);
    await waitFor('the failure to be cleared', async () => ((await store.loadState()).failure === null ? true : undefined), 60_000, 300);
    await waitFor('the later change in the topic', async () => {
      const topic = await readTopicAsTable(kafka, prefix, `${prefix}.public.${stock}`, (k) => String(k.id));
      return topic.table.get('3')?.qty === 33 ? topic : undefined;
    }, 60_000, 500);
    const itemsTopic = await readTopicAsTable(kafka, prefix, `${prefix}.public.${items}`, (k) => String(k.id));
    expect(itemsTopic.table.has('100')).toBe(false);
    const stockTopic = await readTopicAsTable(kafka, prefix, `${prefix}.public.${stock}`, (k) => String(k.id));
    expect(stockTopic.table.get('1')?.qty).toBe(10); // the skipped update is not there
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    expect((await logtap('check', '--config', configFile)).stdout).toMatch(/^ok: nothing blocks streaming/m);

    // The user fixes the column, then re-publishes the skipped transaction's tables without a daemon.
    await sql.query(`ALTER TABLE ${items} ALTER COLUMN grade DROP NOT NULL`);
    await waitFor('the slot to be free', async () => ((await slotActive()) ? undefined : true), 30_000);
    const snapshot = await logtap('snapshot', '--config', configFile, '--table', `public.${items}`, '--table', `public.${stock}`);
    expect(userLines(snapshot.stderr)).toEqual([]);
    expect(snapshot.code).toBe(0);
    expect(snapshot.stdout).toMatch(/no instance of connector .* runs: streaming it here/);
    expect(snapshot.stdout).toMatch(/backfill [0-9a-f-]{36} finished \(checkpoint lsn /);
    expect((await store.load())!.position.token).not.toBe(after.position.token);

    const expectTopicIsTable = async (table: string) => {
      const topic = await readTopicAsTable(kafka, prefix, `${prefix}.public.${table}`, (k) => String(k.id));
      const { rows } = await sql.query(`SELECT * FROM ${table}`);
      expect(Object.fromEntries([...topic.table].map(([id, row]) => [id, { ...row }])))
        .toEqual(Object.fromEntries(rows.map((r: Record<string, unknown>) => [String(r.id), r])));
    };
    await expectTopicIsTable(items);
    await expectTopicIsTable(stock);
  }, 600_000);

  it('snapshot without signal.enabled is one line with the fix', async () => {
    const configFile = writeConfig({ name: uniqueName('way'), source: { url: bed.pgUrl }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('wp') });
    const result = await logtap('snapshot', '--config', configFile, '--table', 'public.whatever');
    expect(result.code).toBe(2);
    expect(userLines(result.stderr)).toEqual([expect.stringMatching(/online backfills are off: set `signal: \{ enabled: true \}` in the config/)]);
  }, 60_000);
});
