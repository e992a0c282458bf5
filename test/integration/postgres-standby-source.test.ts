import { afterEach, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { postgresObjectNames } from '../../connectors/postgres/postgres-connector.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { runFailing, startDaemon, userLines, waitStreaming, withDaemonLog, writeConfig } from '../helpers/daemon.js';
import { runLogtap } from '../helpers/logtap-cli.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { type PgCluster, query, startCluster, waitReplayed } from '../helpers/pg-cluster.js';

/**
 * Capture from a hot standby (logical decoding on a standby, PostgreSQL 16+; the pinned 17 binaries here):
 * `source.url` names the standby; the slot and the snapshot are there; changes made on the primary arrive.
 * What a read-only server cannot do (create the publication, write watermarks) is refused with one line.
 */

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const INITIAL_ROWS = 40;

describe('logtap with source.url naming a PostgreSQL hot standby', () => {
  let cluster: PgCluster | undefined;
  afterEach(async () => {
    await cluster?.destroy();
    cluster = undefined;
  });

  it('check names the settings; the snapshot and the primary\'s changes arrive through the standby; writes are refused there', async () => {
    const table = uniqueName('sb_items');
    const name = uniqueName('sb');
    const { publication } = postgresObjectNames(name);
    cluster = await startCluster({
      // hot_standby_feedback off at first: check must name it.
      standby: { hot_standby_feedback: 'off' },
      prepare: async (url) => {
        await query(url, `CREATE TABLE ${table} (id int PRIMARY KEY, note text);
          INSERT INTO ${table} SELECT g, 'pre' || g FROM generate_series(1, ${INITIAL_ROWS}) g;
          CREATE PUBLICATION ${publication} FOR TABLE ONLY ${table} WITH (publish = 'insert, update, delete, truncate', publish_via_partition_root = true);`);
      },
    });
    const { primary, standby } = cluster;
    const prefix = uniqueName('sbp');
    const config = { name, source: { url: standby.url(), tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, schemaChanges: { resync: 'warn' } };

    // logtap check names what each server needs.
    const checked = await runLogtap(['check', '--config', writeConfig(config)], { timeoutMs: 60_000 });
    expect(checked.code, checked.stdout + checked.stderr).not.toBe(0);
    expect(checked.stdout).toMatch(/ERROR +hot_standby_feedback: hot_standby_feedback is off on this standby/);
    expect(checked.stdout).toMatch(/fix: on the standby: ALTER SYSTEM SET hot_standby_feedback = on;/);
    expect(checked.stdout).toMatch(/warning standby_source: .*the primary must run with wal_level=logical/);
    // Another connector name: its publication does not exist, and the standby cannot create it.
    const other = await runLogtap(['check', '--config', writeConfig({ ...config, name: uniqueName('sbo') })], { timeoutMs: 60_000 });
    expect(other.stdout).toMatch(/ERROR +publication_on_standby: .*does not exist, and this server is a hot standby/);
    expect(other.stdout).toMatch(/fix: on the primary: CREATE PUBLICATION .* FOR TABLE ONLY/);

    await query(standby.url(), 'ALTER SYSTEM SET hot_standby_feedback = on');
    await query(standby.url(), 'SELECT pg_reload_conf()');
    await waitFor('hot_standby_feedback on', async () => ((await query<{ v: string }>(standby.url(), `SELECT current_setting('hot_standby_feedback') AS v`))[0]!.v === 'on' ? true : undefined));
    const rechecked = await runLogtap(['check', '--config', writeConfig(config)], { timeoutMs: 60_000 });
    expect(rechecked.code, rechecked.stdout + rechecked.stderr).toBe(0);

    // A signal table (online backfills) writes into the WAL: refused on a standby, one line.
    const refused = await runFailing({ ...config, name: uniqueName('sbs'), signal: { enabled: true } });
    expect(refused.code).not.toBe(0);
    expect(userLines(refused.stderr)).toEqual([expect.stringMatching(/signal\.enabled is on, but this server is a hot standby \(read-only\).*fix: turn signal\.enabled off to capture from the standby/)]);

    // Creating the slot on the standby waits for a running-transactions record from the primary: ask for them.
    const nudge = setInterval(() => void query(primary.url(), 'SELECT pg_log_standby_snapshot()').catch(() => {}), 300);
    const daemon = startDaemon(writeConfig(config));
    try {
      try {
        await waitStreaming(daemon, 90_000);
      } finally {
        clearInterval(nudge);
      }
      await waitFor('the stream from the standby', () => (/"standby":true[^\n]*"msg":"streaming from PostgreSQL"/.test(daemon.log()) ? true : undefined), 30_000);
      expect((await query(standby.url(), 'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [postgresObjectNames(name).slot])).length, 'the slot lives on the standby').toBe(1);
      expect((await query(primary.url(), 'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [postgresObjectNames(name).slot])).length, 'no slot on the primary').toBe(0);

      // Changes made on the primary.
      await query(primary.url(), `INSERT INTO ${table} SELECT g, 'new' || g FROM generate_series(${INITIAL_ROWS + 1}, ${INITIAL_ROWS + 30}) g`);
      await query(primary.url(), `UPDATE ${table} SET note = 'updated' WHERE id % 5 = 0`);
      await query(primary.url(), `DELETE FROM ${table} WHERE id % 7 = 0`);
      await waitReplayed(primary, standby);
      const rows = await query<{ id: number; note: string }>(primary.url(), `SELECT id, note FROM ${table} ORDER BY id`);
      await waitFor('the topic to hold the primary\'s table', async () => {
        const read = await readTopicAsTable(kafka, prefix, `${prefix}.public.${table}`, (key) => String(key.id));
        const topic = [...read.table.values()].map((r) => ({ id: Number(r.id), note: r.note })).sort((a, b) => a.id - b.id);
        return JSON.stringify(topic) === JSON.stringify(rows) ? true : undefined;
      }, 60_000, 500).catch(async (err: unknown) => {
        const read = await readTopicAsTable(kafka, prefix, `${prefix}.public.${table}`, (key) => String(key.id));
        expect([...read.table.values()].map((r) => ({ id: Number(r.id), note: r.note })).sort((a, b) => a.id - b.id)).toEqual(rows);
        throw err;
      });
      daemon.child.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
    } catch (err) {
      daemon.child.kill('SIGKILL');
      throw withDaemonLog(err, daemon, /"level":"(error|warn)"/);
    }
  }, 150_000);
});
