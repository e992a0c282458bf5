import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { testBed } from '../helpers/test-bed.js';
import { pgUrlFor } from '../helpers/test-bed-databases.js';
import { runLogtap } from '../helpers/logtap-cli.js';
import { uniqueName } from '../helpers/names.js';
import { waitPgCheckpointed } from '../helpers/postgres-checkpoint.js';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../helpers/free-port.js';
import { type Daemon, startDaemon, userLines, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';

/*
 * TOAST end to end (a real `logtap run`, `check` and `replay`): an UPDATE that leaves a large, out-of-line
 * value unchanged under REPLICA IDENTITY DEFAULT never stops the daemon with the default config (the value is
 * read back from the table), stops it with one truthful line under `toast.unchanged: fail`, and survives
 * kill -9; `check` names only the columns that can be TOASTed, and the fix that keeps the key.
 */

const bed = testBed();
const sql = new pg.Client({ connectionString: bed.pgUrl });
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const databases: string[] = [];
const connectors: Array<{ url: string; name: string }> = [];

/** A random (incompressible) 25.6 kB bytea: PostgreSQL stores it out of line. */
const PICTURE = `(SELECT decode(string_agg(md5(random()::text), ''), 'hex') FROM generate_series(1, 1600))`;
const STAFF = `CREATE TABLE staff (staff_id smallint PRIMARY KEY, first_name varchar(45) NOT NULL, last_name varchar(45) NOT NULL,
  email varchar(50), active boolean NOT NULL DEFAULT true, rate numeric(5,2), last_update timestamp NOT NULL DEFAULT now(), picture bytea)`;

/** An empty database of its own: the default config (no table list) streams every table of it. */
async function createDatabase(setup: string[] = []): Promise<{ url: string; db: pg.Client }> {
  const database = uniqueName('toast_db');
  await sql.query(`CREATE DATABASE ${database}`);
  databases.push(database);
  const db = new pg.Client({ connectionString: pgUrlFor(database) });
  await db.connect();
  for (const statement of setup) await db.query(statement);
  return { url: pgUrlFor(database), db };
}

/** The default config, plus what a test names. */
function config(url: string, extra: Record<string, unknown> = {}): { file: string; name: string; prefix: string } {
  const name = uniqueName('toast');
  const prefix = uniqueName('tst');
  connectors.push({ url, name });
  return { file: writeConfig({ name, source: { url }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, ...extra }), name, prefix };
}

/** Waits until the connector's checkpoint covers everything the database has written so far. */
async function waitCheckpointed(db: pg.Client, prefix: string, name: string, timeoutMs = 60_000): Promise<void> {
  await waitPgCheckpointed(db, new CheckpointStore(kafka, prefix, name), timeoutMs);
}

async function waitFirstStreamCheckpoint(prefix: string, name: string): Promise<void> {
  const checkpoints = new CheckpointStore(kafka, prefix, name);
  await waitFor('the first stream checkpoint', async () => ((await checkpoints.load())?.position.token.startsWith('pg1:') ? true : undefined), 60_000, 200);
}

/** `logtap replay --verify` of the connector's topics into a new empty database. */
async function replayVerify(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const target = await createDatabase();
  await target.db.end();
  return runLogtap(['replay', '--config', file, '--target', target.url, '--verify']);
}

beforeAll(() => sql.connect());
afterAll(async () => {
  for (const c of connectors) {
    const client = new pg.Client({ connectionString: c.url });
    await client.connect().then(() => dropConnectorObjects(client, c.name)).catch(() => {}).finally(() => client.end().catch(() => {}));
  }
  for (const database of databases) await sql.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
  await sql.end();
});

describe('TOAST: unchanged out-of-line values', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });
  const stopAtEnd = (daemon: Daemon) => cleanup.push(async () => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await daemon.exited;
  });

  it('check names only the columns that can be TOASTed, and REPLICA IDENTITY DEFAULT for a primary key under NOTHING; run refuses with the same fix', async () => {
    const { url, db } = await createDatabase([
      STAFF,
      'CREATE TABLE country (country_id int PRIMARY KEY, country varchar(50) NOT NULL, last_update timestamp NOT NULL DEFAULT now())',
      'ALTER TABLE country REPLICA IDENTITY NOTHING',
    ]);
    cleanup.push(() => db.end());
    const { file } = config(url);
    const check = await runLogtap(['check', '--config', file]);
    expect(check.code).not.toBe(0);
    expect(check.stdout).toContain('ERROR   replica_identity:public.country: table public.country has REPLICA IDENTITY NOTHING, so its primary key is not logged for UPDATE and DELETE');
    expect(check.stdout).toContain('fix: ALTER TABLE "public"."country" REPLICA IDENTITY DEFAULT; (the primary key identifies rows and stays the Kafka key)');
    expect(check.stdout).not.toMatch(/country has no primary key/);
    // Of staff's columns only picture can be stored out of line; the finding is informational (read back by default).
    const toast = check.stdout.split('\n').filter((l) => l.includes('toast_unchanged'));
    expect(toast).toEqual(['warning toast_unchanged:public.staff: table public.staff: column "picture" can be stored out of line (TOASTed), and under REPLICA IDENTITY DEFAULT an UPDATE that leaves such a value unchanged does not carry it: logtap reads it back from the table by key (toast.unchanged: read-back), a query per batch of such updates; the record may then show a newer value of that column than the update\'s own']);
    expect(check.stdout).toMatch(/^1 problem\(s\) block streaming$/m);

    const run = await runLogtap(['run', '--config', file]);
    expect(run.code).not.toBe(0);
    expect(userLines(run.stderr)).toEqual([expect.stringContaining('country has REPLICA IDENTITY NOTHING, so its primary key is not logged for UPDATE and DELETE: once published, UPDATE and DELETE on it fail in PostgreSQL; fix: ALTER TABLE "public"."country" REPLICA IDENTITY DEFAULT;')]);

    await db.query('ALTER TABLE country REPLICA IDENTITY DEFAULT');
    const fixed = await runLogtap(['check', '--config', file]);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/^ok: nothing blocks streaming \(1 warning\(s\)\)$/m);
  }, 240_000);

  it('with the default config reads an unchanged picture back: the daemon never stops, the topic and a replay equal the source, the metric counts the reads', async () => {
    const { url, db } = await createDatabase([STAFF]);
    cleanup.push(() => db.end());
    await db.query(`INSERT INTO staff (staff_id, first_name, last_name, email, picture) VALUES
      (1, 'Mike', 'Hillyer', 'mike@example.com', ${PICTURE}), (2, 'Jon', 'Stephens', 'jon@example.com', ${PICTURE}), (3, 'Ann', 'Other', NULL, NULL)`);
    const port = await freePort();
    const { file, name, prefix } = config(url, { http: { port, host: '127.0.0.1' } });
    const daemon = startDaemon(file);
    stopAtEnd(daemon);
    await waitStreaming(daemon);
    await waitFirstStreamCheckpoint(prefix, name);

    await db.query(`UPDATE staff SET last_name = 'Hill' WHERE staff_id = 1`);
    await db.query(`UPDATE staff SET email = 'mike@sakila.example', last_update = now() WHERE staff_id = 1`);
    await db.query(`DELETE FROM staff WHERE staff_id = 3`);
    // Both pictures unchanged in one transaction: read in one batch.
    await db.query(`UPDATE staff SET active = false, rate = 12.50`);
    await waitCheckpointed(db, prefix, name);
    expect(daemon.child.exitCode).toBeNull();

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^logtap_toast_read_back_rows_total\{[^}]*table="public\.staff"[^}]*\} 4$/m);
    expect(metrics).not.toMatch(/^logtap_toast_read_back_gone_total\{[^}]*\} [1-9]/m);

    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);

    const read = await readTopicAsTable(kafka, prefix, `${prefix}.public.staff`, (k) => String(k.staff_id));
    const { rows } = await db.query<{ staff_id: number; last_name: string; email: string; picture: string }>(`SELECT staff_id, last_name, email, encode(picture, 'hex') AS picture FROM staff ORDER BY staff_id`);
    expect(rows.map((r) => r.staff_id)).toEqual([1, 2]);
    expect([...read.table.keys()].sort()).toEqual(['1', '2']);
    for (const row of rows) {
      const last = read.table.get(String(row.staff_id))!;
      expect({ last_name: last.last_name, email: last.email, picture: Buffer.from(last.picture as Uint8Array).toString('hex') }).toEqual({ last_name: row.last_name, email: row.email, picture: row.picture });
      expect(row.picture.length).toBe(2 * 25_600);
    }

    const replay = await replayVerify(file);
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/^equal public\.staff: source 2 rows /m);
  }, 240_000);

  it('with toast.unchanged: fail refuses to start on such a table, and stops at such an update with one line that names the way on', async () => {
    const { url, db } = await createDatabase([STAFF]);
    cleanup.push(() => db.end());
    await db.query(`INSERT INTO staff (staff_id, first_name, last_name, picture) VALUES (1, 'Mike', 'Hillyer', ${PICTURE})`);
    const { file, name, prefix } = config(url, { toast: { unchanged: 'fail' } });
    // check (and run's preflight) report it as an error: the daemon would stop.
    const refused = await runLogtap(['run', '--config', file]);
    expect(refused.code).not.toBe(0);
    expect(userLines(refused.stderr)).toEqual([expect.stringContaining('column "picture" can be stored out of line (TOASTed), and under REPLICA IDENTITY DEFAULT an UPDATE that leaves such a value unchanged does not carry it; with toast.unchanged: fail the daemon stops at the first such update; fix: set toast.unchanged: read-back')]);

    // FULL when it starts; DEFAULT again by the time of the update.
    await db.query('ALTER TABLE staff REPLICA IDENTITY FULL');
    const daemon = startDaemon(file);
    stopAtEnd(daemon);
    await waitStreaming(daemon);
    await waitFirstStreamCheckpoint(prefix, name);
    await db.query('ALTER TABLE staff REPLICA IDENTITY DEFAULT');
    await db.query(`UPDATE staff SET last_name = 'Hill' WHERE staff_id = 1`);
    const exit = await daemon.exited;
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    const lines = userLines(daemon.log());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^logtap: cannot publish the update of public\.staff at commit [0-9A-F]+\/[0-9A-F]+, 1 change in: PostgreSQL did not send the unchanged TOASTed value of column "picture" \(REPLICA IDENTITY DEFAULT logs only the key\), and toast\.unchanged is fail — set toast\.unchanged: read-back \(the default\) and restart/);
    expect(lines[0]).toContain('logtap offsets skip-current-transaction');
    expect(lines[0]).toContain('logtap snapshot --table public.staff');
  }, 240_000);

  it('survives kill -9 during a workload of updates that leave pictures unchanged: a replay equals the source', async () => {
    const { url, db } = await createDatabase([STAFF]);
    cleanup.push(() => db.end());
    for (let id = 1; id <= 20; id++) await db.query(`INSERT INTO staff (staff_id, first_name, last_name, picture) VALUES (${id}, 'f${id}', 'l${id}', ${PICTURE})`);
    const { file, name, prefix } = config(url, { heartbeatIntervalMs: 500, restart: { initialBackoffMs: 100, maxBackoffMs: 1000 } });
    let daemon = startDaemon(file);
    cleanup.push(async () => {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    });
    await waitStreaming(daemon);
    await waitFirstStreamCheckpoint(prefix, name);

    let transactions = 0;
    let nextId = 21;
    let stop = false;
    const workload = (async () => {
      const writer = new pg.Client({ connectionString: url });
      writer.on('error', () => {});
      await writer.connect();
      try {
        while (!stop) {
          const { rows } = await writer.query<{ staff_id: number }>('SELECT staff_id FROM staff ORDER BY random() LIMIT 4');
          const ids = rows.map((r) => r.staff_id);
          await writer.query([
            'BEGIN',
            // Pictures unchanged: read back.
            `UPDATE staff SET last_name = 'l${transactions}', rate = ${transactions % 999} / 10.0 WHERE staff_id IN (${ids.slice(0, 3).join(',')})`,
            // Sometimes a new picture, a new row, a deleted row.
            ...(transactions % 3 === 0 && ids[3] ? [`UPDATE staff SET picture = ${PICTURE} WHERE staff_id = ${ids[3]}`] : []),
            ...(transactions % 4 === 0 ? [`INSERT INTO staff (staff_id, first_name, last_name, picture) VALUES (${nextId++}, 'n', 'n', ${PICTURE})`] : []),
            ...(transactions % 5 === 0 && ids[3] ? [`UPDATE staff SET email = 'gone' WHERE staff_id = ${ids[3]}`, `DELETE FROM staff WHERE staff_id = ${ids[3]}`] : []),
            // Key changes, the picture unchanged: read back by the new key; one of them gone before the read.
            ...(transactions % 7 === 0 && ids[2] ? [`UPDATE staff SET staff_id = ${nextId++} WHERE staff_id = ${ids[2]}`] : []),
            ...(transactions % 6 === 0 && ids[3] ? [`UPDATE staff SET staff_id = ${nextId} WHERE staff_id = ${ids[3]}`, `DELETE FROM staff WHERE staff_id = ${nextId++}`] : []),
            'COMMIT',
          ].join(';'));
          transactions++;
        }
      } finally {
        await writer.end();
      }
    })();
    // Surfaces when awaited below; a failure meanwhile must not be an unhandled rejection.
    workload.catch(() => {});

    const logs: Array<() => string> = [daemon.log];
    for (let k = 0; k < 3; k++) {
      await sleep(800 + Math.random() * 1500);
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      daemon = startDaemon(file);
      logs.push(daemon.log);
      await waitStreaming(daemon);
    }
    await sleep(500);
    stop = true;
    await workload;
    expect(transactions).toBeGreaterThan(10);
    await waitCheckpointed(db, prefix, name, 180_000);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    expect(logs.map((log) => log()).join('')).toContain('"msg":"read back unchanged TOASTed values"');

    const replay = await replayVerify(file);
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/^equal public\.staff: source \d+ rows /m);
  }, 400_000);
});
