import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../helpers/free-port.js';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { type Daemon, runFailing, startDaemon, userLines, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { startTemporaryKafka } from '../helpers/temp-kafka.js';
import { startTemporaryPostgres } from '../helpers/temp-postgres.js';
import { connectorObjectPattern, dropConnectorObjects } from '../helpers/pg-connector-objects.js';

// The daemon's HTTP endpoints, through the real bin against the real services: /healthz, /readyz
// (503 while Kafka is down), /metrics moving with a workload.

const bed = testBed();
const sql = new pg.Client({ connectionString: bed.pgUrl });
beforeAll(() => sql.connect());
afterAll(() => sql.end());

const get = async (port: number, path: string) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
};

/** The value of one sample of the Prometheus text, or undefined; `labels` must all match. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[4]);
  }
  return undefined;
}

describe('logtap run serves /healthz, /readyz and /metrics', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  it('is ready while streaming, and its metrics count a workload\'s events, bytes, transactions, lag and position', async () => {
    const name = uniqueName('ops_m');
    const prefix = uniqueName('opsm');
    const table = uniqueName('ops_items');
    const port = await freePort();
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text)`);
    cleanup.push(() => sql.query(`DROP TABLE ${table}`));
    const daemon: Daemon = startDaemon(writeConfig({
      name, source: { url: bed.pgUrl, tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, http: { port, host: '127.0.0.1' },
    }));
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; await dropConnectorObjects(sql, name); });
    await waitStreaming(daemon);
    expect(await get(port, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    const ready = await waitFor('/readyz to answer 200', async () => ((await get(port, '/readyz')).status === 200 ? true : undefined), 30_000, 200);
    expect(ready).toBe(true);
    expect(JSON.parse((await get(port, '/readyz')).body)).toEqual({ ready: true, state: 'streaming' });
    expect((await get(port, '/nothing')).status).toBe(404);

    const before = await get(port, '/metrics');
    expect(before.status).toBe(200);
    expect(before.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const topic = `${prefix}.public.${table}`;
    expect(sample(before.body, 'logtap_events_published_total', { topic })).toBeUndefined();

    await waitFor('the slot', async () => ((await sql.query('SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND active', [connectorObjectPattern(name)])).rowCount ? true : undefined));
    // 3 transactions, 30 inserts and 10 updates: 40 events.
    for (let t = 0; t < 3; t++) await sql.query(`INSERT INTO ${table} SELECT g, 'n' || g FROM generate_series(${t * 10 + 1}, ${t * 10 + 10}) g`);
    await sql.query(`UPDATE ${table} SET note = 'u' WHERE id <= 10`);

    const after = await waitFor('the events in the metrics', async () => {
      const m = (await get(port, '/metrics')).body;
      return sample(m, 'logtap_events_published_total', { topic }) === 40 ? m : undefined;
    }, 30_000, 200);
    expect(sample(after, 'logtap_events_published_total', { topic, connector: name })).toBe(40);
    expect(sample(after, 'logtap_bytes_published_total', { topic })).toBeGreaterThan(40 * 4);
    expect(sample(after, 'logtap_kafka_transactions_total')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'logtap_source_transactions_total')).toBeGreaterThanOrEqual(4);
    expect(sample(after, 'logtap_commit_to_publish_seconds_count')).toBeGreaterThanOrEqual(4);
    expect(sample(after, 'logtap_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(after, 'logtap_checkpoint_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(after).toMatch(/^logtap_source_position_info\{position="lsn [^"]+",connector="[^"]+"\} 1$/m);
    // The slot retains WAL: a number of bytes, as pg_replication_slots reports it.
    expect(sample(after, 'logtap_source_lag_bytes', { source: 'postgres' })).toBeGreaterThanOrEqual(0);
    expect(sample(after, 'logtap_restarts_total')).toBe(0);
    expect(after).toMatch(/^logtap_process_resident_memory_bytes/m);

    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  }, 300_000);

  it('counts the rows of a first start\'s snapshot per table', async () => {
    const name = uniqueName('ops_s');
    const table = uniqueName('ops_snap');
    const port = await freePort();
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY); INSERT INTO ${table} SELECT generate_series(1, 25)`);
    cleanup.push(() => sql.query(`DROP TABLE ${table}`));
    const daemon = startDaemon(writeConfig({
      name, source: { url: bed.pgUrl, tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('opss'),
      snapshot: { mode: 'initial', chunkRows: 10 }, http: { port, host: '127.0.0.1' },
    }));
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; await dropConnectorObjects(sql, name); });
    const metrics = await waitFor('the snapshot rows in the metrics', async () => {
      if (daemon.child.exitCode !== null) throw new Error(daemon.log().slice(-2000));
      const m = (await get(port, '/metrics').catch(() => ({ body: '' }))).body;
      return sample(m, 'logtap_snapshot_rows_total', { table: `public.${table}` }) === 25 ? m : undefined;
    }, 60_000, 200);
    expect(sample(metrics, 'logtap_snapshot_rows_total', { table: `public.${table}` })).toBe(25);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });

  it('stops at start with one line and exit code 2 when http.port is taken', async () => {
    const port = await freePort();
    const taken = createServer().listen(port, '127.0.0.1');
    await once(taken, 'listening');
    cleanup.push(() => new Promise((done) => taken.close(done)));
    const result = await runFailing({
      name: uniqueName('ops_p'), source: { url: bed.pgUrl }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('opsp'), http: { port, host: '127.0.0.1' },
    });
    expect(result.code).toBe(2);
    expect(userLines(result.stderr)).toEqual([`logtap: http.port: cannot listen on 127.0.0.1:${port} (EADDRINUSE): choose another http.port or http.host`]);
  });

  it('answers 503 on /readyz while its Kafka is stopped, counts the restart, and is ready again after Kafka returns', async () => {
    const kafka = await startTemporaryKafka();
    cleanup.push(() => kafka.close());
    const name = uniqueName('ops_r');
    const table = uniqueName('ops_ready');
    const port = await freePort();
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
    cleanup.push(() => sql.query(`DROP TABLE ${table}`));
    const daemon = startDaemon(writeConfig({
      name, source: { url: bed.pgUrl, tables: [`public.${table}`] }, kafka: { brokers: [kafka.brokers] }, topicPrefix: uniqueName('opsr'),
      http: { port, host: '127.0.0.1' }, heartbeatIntervalMs: 500, restart: { initialBackoffMs: 200, maxBackoffMs: 1000 },
    }));
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; await dropConnectorObjects(sql, name); });
    await waitStreaming(daemon);
    await waitFor('ready', async () => ((await get(port, '/readyz')).status === 200 ? true : undefined), 30_000, 200);

    await kafka.stop();
    const down = await waitFor('/readyz to answer 503', async () => {
      const r = await get(port, '/readyz');
      return r.status === 503 ? r : undefined;
    }, 60_000, 200);
    expect(JSON.parse(down.body)).toMatchObject({ ready: false });
    // Liveness stays: a Kafka outage is no reason to restart the process.
    expect((await get(port, '/healthz')).status).toBe(200);
    // A write while Kafka is down makes the pipeline fail its commit and restart.
    await sql.query(`INSERT INTO ${table} VALUES (1)`);
    await waitFor('a restart in the metrics', async () => ((sample((await get(port, '/metrics')).body, 'logtap_restarts_total') ?? 0) >= 1 ? true : undefined), 120_000, 500);
    const metrics = (await get(port, '/metrics')).body;
    expect(metrics).toMatch(/^logtap_errors_total\{code="(SINK|CONNECTION)",connector="[^"]+"\} [1-9]/m);

    await kafka.start();
    await waitFor('/readyz to answer 200 again', async () => ((await get(port, '/readyz')).status === 200 ? true : undefined), 120_000, 500);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  }, 400_000);

  it('answers 503 on /readyz while its PostgreSQL is down, and 200 once it streams again', async () => {
    const server = await startTemporaryPostgres({ wal_level: 'logical' });
    cleanup.push(async () => server.stop());
    const port = await freePort();
    const daemon = startDaemon(writeConfig({
      name: uniqueName('ops_pg'), source: { url: server.url }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('opspg'),
      http: { port, host: '127.0.0.1' }, restart: { initialBackoffMs: 200, maxBackoffMs: 1000 },
    }));
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; });
    await waitStreaming(daemon);
    await waitFor('ready', async () => ((await get(port, '/readyz')).status === 200 ? true : undefined), 30_000, 200);
    const statuses: number[] = [];
    const restarting = server.restart(8000);
    while (!(await Promise.race([restarting.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 200))]))) {
      statuses.push((await get(port, '/readyz')).status);
    }
    expect(statuses).toContain(503);
    await waitFor('/readyz to answer 200 again', async () => ((await get(port, '/readyz')).status === 200 ? true : undefined), 120_000, 500);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  }, 300_000);
});
