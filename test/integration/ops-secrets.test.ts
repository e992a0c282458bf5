import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../helpers/free-port.js';
import { startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { connectorObjectPattern, dropConnectorObjects } from '../helpers/pg-connector-objects.js';

// Passwords in the source URL, the Kafka SASL password and a schema registry credential never appear in
// what `run` and `check` print (stdout and stderr, debug logs on), on success and on every kind of failure.

const bed = testBed();
const sql = new pg.Client({ connectionString: bed.pgUrl });
const secret = (label: string) => `${label}-${randomBytes(6).toString('hex')}-Zq`;
const role = uniqueName('ops_sec');
const pgPassword = secret('pgpw');
const saslPassword = secret('saslpw');
const registryPassword = secret('regpw');
const allSecrets = [pgPassword, saslPassword, registryPassword];
const pgUrl = (password: string, port = new URL(bed.pgUrl).port) => `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
const registryUrl = (port = new URL(bed.registryUrl).port) => `http://reader:${registryPassword}@127.0.0.1:${port}/apis/ccompat/v7`;

/** Runs the real CLI to its end: exit code and everything it printed. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['bin/logtap.js', ...args], { timeout: 120_000, env: { ...process.env, LOGTAP_LOG_LEVEL: 'debug', LOGTAP_DEBUG: '1', ...env } }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, output: `${stdout}\n${stderr}` });
    });
  });
}

function expectNoSecret(output: string): void {
  for (const s of allSecrets) expect(output, `a secret in:\n${output.slice(0, 3000)}`).not.toContain(s);
  // Also not percent-encoded or base64 (SASL PLAIN and basic auth carry them so).
  for (const s of allSecrets) expect(output).not.toContain(Buffer.from(s).toString('base64').slice(0, 16));
}

const base = (overrides: Record<string, unknown> = {}) => ({
  name: uniqueName('ops_sec'), topicPrefix: uniqueName('opss'),
  source: { url: pgUrl(pgPassword) }, kafka: { brokers: bed.kafkaBrokers }, ...overrides,
});

beforeAll(async () => {
  await sql.connect();
  await sql.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${pgPassword}'`);
});
afterAll(async () => {
  await sql.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
  await sql.end();
});

describe('secrets never appear in output', () => {
  it('run streams with a password in the source URL and a registry credential, debug logs on, and prints neither', async () => {
    const table = uniqueName('ops_sec_t');
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text)`);
    const port = await freePort();
    const config = base({ source: { url: pgUrl(pgPassword), tables: [`public.${table}`] }, encoding: { format: 'confluent', registryUrl: registryUrl() }, http: { port, host: '127.0.0.1' } });
    const daemon = startDaemon(writeConfig(config), { LOGTAP_DEBUG: '1' });
    try {
      await waitStreaming(daemon);
      await waitFor('the slot', async () => ((await sql.query('SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND active', [connectorObjectPattern(config.name)])).rowCount ? true : undefined));
      await sql.query(`INSERT INTO ${table} VALUES (1, 'one'), (2, 'two')`);
      await waitFor('the commit', () => (/"msg":"committed"/.test(daemon.log()) ? true : undefined), 30_000);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expectNoSecret(metrics);
      daemon.child.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
      expectNoSecret(daemon.log());
    } finally {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      await dropConnectorObjects(sql, config.name);
      await sql.query(`DROP TABLE ${table}`);
    }
  }, 180_000);

  it('check prints findings without the source password or the SASL password', async () => {
    const result = await cli(['check', '--config', writeConfig(base({ kafka: { brokers: bed.kafkaBrokers, sasl: { mechanism: 'plain', username: 'u', password: saslPassword } } }))]);
    expect(result.output).toMatch(/ok: nothing blocks streaming|problem\(s\) block streaming/);
    expectNoSecret(result.output);
  });

  it('a run fails when the registry is unreachable at the first schema it registers, without printing its credential', async () => {
    const table = uniqueName('ops_sec_r');
    // A row to snapshot: the table's schemas are registered with the snapshot's tables, before streaming starts.
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY); INSERT INTO ${table} VALUES (1)`);
    const config = base({ source: { url: pgUrl(pgPassword), tables: [`public.${table}`] }, encoding: { format: 'confluent', registryUrl: registryUrl(String(await freePort())) } });
    const daemon = startDaemon(writeConfig(config), { LOGTAP_DEBUG: '1' });
    try {
      const exit = await daemon.exited;
      expect(exit.code, daemon.log().slice(-3000)).toBe(1);
      expect(daemon.log()).toMatch(/^logtap: .*schema registry/m);
      expectNoSecret(daemon.log());
    } finally {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      await dropConnectorObjects(sql, config.name);
      await sql.query(`DROP TABLE ${table}`);
    }
  }, 180_000);

  // Failing runs: each exits non-zero with one `logtap:` line, and no secret anywhere (stack traces included).
  const failures: Array<[string, () => Promise<Record<string, unknown>>]> = [
    ['PostgreSQL refuses the password', async () => base({ source: { url: pgUrl(`${pgPassword}-wrong`) } })],
    ['PostgreSQL is unreachable', async () => base({ source: { url: pgUrl(pgPassword, String(await freePort())) } })],
    ['MariaDB is unreachable', async () => base({ source: { url: `mysql://root:${pgPassword}@127.0.0.1:${await freePort()}/shop` } })],
    ['Kafka rejects SASL', async () => base({ kafka: { brokers: bed.kafkaBrokers, sasl: { mechanism: 'scram-sha-256', username: 'u', password: saslPassword } } })],
    ['Kafka is unreachable with SASL', async () => base({ kafka: { brokers: [`127.0.0.1:${await freePort()}`], sasl: { mechanism: 'plain', username: 'u', password: saslPassword } } })],
    ['the config is invalid beside a password', async () => base({ topicPrefix: 'bad prefix!' })],
    ['the source URL itself is malformed', async () => base({ source: { url: `postgres://${role}:${pgPassword}@127.0.0.1:notaport/db` } })],
  ];
  for (const [what, make] of failures) {
    it(`a failing run when ${what}`, async () => {
      const config = await make();
      const result = await cli(['run', '--config', writeConfig(config)]);
      expect(result.code, result.output).not.toBe(0);
      expect(result.output).toMatch(/^logtap: /m);
      expectNoSecret(result.output);
      // check reports the same problem as findings (or the same one line): no secret there either.
      const check = await cli(['check', '--config', writeConfig(config)]);
      expectNoSecret(check.output);
    }, 240_000);
  }
});
