import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { decodeBackfillState } from '../../src/backfill/backfill-state.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, userLines, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';
import { type BackfillDb, expectExact, history, postgresDb, recordTopic, requestBackfill, requestBackfillFailing, startWorkload, tableVersions, waitFirstCheckpoint, waitForMarker } from './backfill-harness.js';

// Online backfill (DBLog watermarks) of a PostgreSQL table while the daemon streams and a workload updates,
// inserts and deletes rows: the topic ends exactly equal to the table, and no key ever shows an older version
// after a newer one — also across a kill -9 of the daemon in the middle of the backfill, which resumes from
// its last checkpointed chunk.
const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const ROWS = 60_000;

const logLines = (daemon: Daemon, msg: string): Array<Record<string, unknown>> =>
  daemon.log().split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('online backfill of PostgreSQL', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  async function setUp(chunkRows = 1000, options: { rows?: number; partitioned?: boolean } = {}): Promise<{ db: BackfillDb; name: string; prefix: string; configFile: string; topic: string }> {
    const db = await postgresDb(options.rows ?? ROWS, options);
    cleanup.push(() => db.drop());
    const name = uniqueName('bfpg');
    const prefix = uniqueName('bp');
    const signalTable = `public.${uniqueName('bf_signal')}`;
    cleanup.push(async () => {
      const sql = new pg.Client({ connectionString: bed.pgUrl });
      await sql.connect();
      await dropConnectorObjects(sql, name);
      await sql.query(`DROP TABLE IF EXISTS ${signalTable}`);
      await sql.end();
    });
    const configFile = writeConfig({
      name, source: { url: db.url, tables: [db.table] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 300,
      // Only the stream and the backfill fill the topic: every unchanged row must come from the backfill.
      snapshot: { mode: 'never' }, signal: { enabled: true, table: signalTable, chunkRows },
    });
    return { db, name, prefix, configFile, topic: `${prefix}.${db.table}` };
  }

  it('backfills a table under concurrent writes: the topic equals the table and no key goes back to an older version', async () => {
    const { db, name, prefix, configFile, topic } = await setUp();
    const daemon = startDaemon(configFile);
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; });
    await waitStreaming(daemon);
    await waitFirstCheckpoint(kafka, prefix, name);
    const workload = startWorkload(db, ROWS);
    cleanup.push(() => workload.stop());
    const recorder = await recordTopic(kafka, topic);
    cleanup.push(() => recorder.finish());

    const cli = await requestBackfill(configFile, db.table);
    expect(cli.stdout).toMatch(/backfill requested: [0-9a-f-]{36}/);
    expect(cli.stdout).toMatch(/finished/);
    expect(cli.stderr).toMatch(/"msg":"backfill progress"/);
    const writes = await workload.stop();
    expect(writes.updates + writes.inserts + writes.deletes).toBeGreaterThan(100);
    await waitForMarker(db, recorder, kafka, prefix);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);

    const found = await history(kafka, prefix, recorder.records);
    expectExact(found, await tableVersions(db));
    // Rows nobody changed came from the backfill; rows changed in a window were left to the stream.
    expect(found.backfillEvents).toBeGreaterThan(ROWS - writes.updates * 3 - writes.deletes);
    expect(found.backfillEvents).toBeLessThanOrEqual(ROWS + writes.inserts);
    const [finished] = logLines(daemon, 'backfill of table finished');
    expect(finished!.rows).toBe(found.backfillEvents);
  }, 300_000);

  it('backfills a partitioned table through its root under concurrent writes: one topic, equal to the table', async () => {
    const rows = 12_000;
    const { db, name, prefix, configFile, topic } = await setUp(1000, { rows, partitioned: true });
    const daemon = startDaemon(configFile);
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; });
    await waitStreaming(daemon);
    await waitFirstCheckpoint(kafka, prefix, name);
    const workload = startWorkload(db, rows);
    cleanup.push(() => workload.stop());
    const recorder = await recordTopic(kafka, topic);
    cleanup.push(() => recorder.finish());

    const cli = await requestBackfill(configFile, db.table);
    expect(cli.stdout).toMatch(/finished/);
    await workload.stop();
    await waitForMarker(db, recorder, kafka, prefix);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);

    expectExact(await history(kafka, prefix, recorder.records), await tableVersions(db));
    const admin = kafka.admin();
    await admin.connect();
    const partitionTopics = (await admin.listTopics()).filter((t) => t.startsWith(`${topic}_p`));
    await admin.disconnect();
    expect(partitionTopics).toEqual([]);
  }, 300_000);

  it('logtap snapshot refuses bad requests with one line and exit code 2, writing no signal', async () => {
    const sql = new pg.Client({ connectionString: bed.pgUrl });
    await sql.connect();
    cleanup.push(() => sql.end());
    const keyless = uniqueName('bf_keyless');
    const signalTable = uniqueName('bf_signal');
    await sql.query(`CREATE TABLE ${keyless} (a integer)`);
    cleanup.push(() => sql.query(`DROP TABLE IF EXISTS ${keyless}, ${signalTable}`));
    const base = { name: uniqueName('bfcli'), source: { url: bed.pgUrl, tables: [`public.${keyless}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('bc') };
    const off = await requestBackfillFailing(writeConfig(base), `public.${keyless}`);
    expect(off.code).toBe(2);
    expect(userLines(off.stderr)).toEqual(['logtap: online backfills are off: set `signal: { enabled: true }` in the config (and restart `logtap run` with it, if it runs), then request the backfill']);

    const on = writeConfig({ ...base, signal: { enabled: true, table: `public.${signalTable}` } });
    const notCaptured = await requestBackfillFailing(on, 'public.elsewhere');
    expect(notCaptured.code).toBe(2);
    expect(userLines(notCaptured.stderr)).toEqual(['logtap: --table public.elsewhere is not in source.tables of the config (or is in source.excludeTables): only captured tables can be backfilled']);
    const noKey = await requestBackfillFailing(on, `public.${keyless}`);
    expect(noKey.code).toBe(2);
    expect(userLines(noKey.stderr)).toHaveLength(1);
    expect(userLines(noKey.stderr)[0]).toMatch(/has no primary key .*chunks are key ranges|is not in publication/);
    expect((await sql.query(`SELECT count(*)::int AS n FROM ${signalTable}`)).rows[0].n).toBe(0);
  }, 120_000);

  it('resumes from the last checkpointed chunk after kill -9 mid-backfill: exact result, no key goes back', async () => {
    // Small chunks: many windows, so the kill lands well inside the backfill.
    const { db, name, prefix, configFile, topic } = await setUp(300);
    const first = startDaemon(configFile);
    cleanup.push(async () => { first.child.kill('SIGKILL'); await first.exited; });
    await waitStreaming(first);
    await waitFirstCheckpoint(kafka, prefix, name);
    const workload = startWorkload(db, ROWS);
    cleanup.push(() => workload.stop());
    const recorder = await recordTopic(kafka, topic);
    cleanup.push(() => recorder.finish());

    const cli = requestBackfill(configFile, db.table);
    const checkpoints = new CheckpointStore(kafka, prefix, name);
    const reached = await waitFor('a checkpoint inside the backfill', async () => {
      const state = decodeBackfillState((await checkpoints.load().catch(() => null))?.snapshot ?? null);
      const rows = state.queue[0]?.rows ?? 0;
      return rows >= ROWS / 4 ? rows : undefined;
    }, 240_000, 100);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(logLines(first, 'backfill of table finished')).toEqual([]);

    const second = startDaemon(configFile);
    cleanup.push(async () => { second.child.kill('SIGKILL'); await second.exited; });
    const { stdout } = await cli;
    expect(stdout).toMatch(/finished/);
    await workload.stop();
    await waitForMarker(db, recorder, kafka, prefix);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    const [resumed] = logLines(second, 'backfill resumes from the checkpoint');
    expect(resumed!.rows).toBeGreaterThanOrEqual(reached);
    const found = await history(kafka, prefix, recorder.records);
    expectExact(found, await tableVersions(db));
  }, 300_000);
});
