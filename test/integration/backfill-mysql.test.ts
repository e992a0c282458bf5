import { afterEach, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { decodeBackfillState } from '../../src/backfill/backfill-state.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { type BackfillDb, expectExact, history, mysqlDb, recordTopic, requestBackfill, startWorkload, tableVersions, waitFirstCheckpoint, waitForMarker } from './backfill-harness.js';

// Online backfill (DBLog watermarks) of a MariaDB table while the daemon streams the binlog and a workload
// updates, inserts and deletes rows: the topic ends exactly equal to the table, and no key ever shows an older
// version after a newer one — also across a kill -9 of the daemon in the middle of the backfill, which resumes
// from its last checkpointed chunk. The signal table is the default one, `<database>.logtap_signal`.
const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const ROWS = 60_000;

const logLines = (daemon: Daemon, msg: string): Array<Record<string, unknown>> =>
  daemon.log().split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('online backfill of MariaDB', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  async function setUp(chunkRows = 1000): Promise<{ db: BackfillDb; name: string; prefix: string; configFile: string; topic: string }> {
    const db = await mysqlDb(ROWS);
    cleanup.push(() => db.drop());
    const name = uniqueName('bfmy');
    const prefix = uniqueName('bm');
    const configFile = writeConfig({
      name, source: { url: db.url, tables: [db.table] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 300,
      // Only the stream and the backfill fill the topic: every unchanged row must come from the backfill.
      snapshot: { mode: 'never' }, signal: { enabled: true, chunkRows },
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
    const writes = await workload.stop();
    expect(writes.updates + writes.inserts + writes.deletes).toBeGreaterThan(100);
    await waitForMarker(db, recorder, kafka, prefix);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);

    const found = await history(kafka, prefix, recorder.records);
    expectExact(found, await tableVersions(db));
    expect(found.backfillEvents).toBeGreaterThan(ROWS - writes.updates * 3 - writes.deletes);
    expect(found.backfillEvents).toBeLessThanOrEqual(ROWS + writes.inserts);
    const [finished] = logLines(daemon, 'backfill of table finished');
    expect(finished!.rows).toBe(found.backfillEvents);
  }, 300_000);

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
