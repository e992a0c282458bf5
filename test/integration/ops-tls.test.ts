import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, runFailing, startDaemon, userLines, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { type TempPostgres, startTemporaryPostgres } from '../helpers/temp-postgres.js';

// TLS to PostgreSQL by URL parameters (sslmode=verify-full&sslrootcert=…): a private server with ssl=on, a
// self-signed certificate made here with openssl, and a pg_hba.conf that accepts TCP only over TLS.

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');

describe('TLS to PostgreSQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logtap-tls-'));
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  let server: TempPostgres;
  let tlsUrl: string;

  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    writeFileSync(join(dir, 'pg_hba.conf'), [
      'local all all trust',
      'hostssl all all 127.0.0.1/32 scram-sha-256',
      'hostssl replication all 127.0.0.1/32 scram-sha-256',
      '',
    ].join('\n'));
    // The server reads its key only when the postgres OS user owns it with mode 0600.
    if (process.getuid?.() === 0) {
      const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, 'postgres']).toString()));
      for (const file of [dir, cert, key, join(dir, 'pg_hba.conf')]) chownSync(file, uid!, gid!);
    }
    chmodSync(key, 0o600);
    server = await startTemporaryPostgres({
      wal_level: 'logical', ssl: 'on', ssl_cert_file: `'${cert}'`, ssl_key_file: `'${key}'`, hba_file: `'${join(dir, 'pg_hba.conf')}'`,
    });
    tlsUrl = `${server.url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(cert)}`;
  });
  afterAll(() => {
    server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a connection without TLS, with one line', async () => {
    const result = await runFailing({ name: uniqueName('ops_tls'), source: { url: server.url }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('opst') });
    expect(result.code).not.toBe(0);
    expect(userLines(result.stderr)).toHaveLength(1);
    expect(userLines(result.stderr)[0]).toMatch(/no encryption|pg_hba\.conf/);
  });

  it('stops with one line and exit code 2 when a Kafka TLS file cannot be read', async () => {
    const missing = join(dir, 'no-such-ca.pem');
    const result = await runFailing({ name: uniqueName('ops_tls'), source: { url: tlsUrl }, kafka: { brokers: bed.kafkaBrokers, ssl: { ca: missing } }, topicPrefix: uniqueName('opst') });
    expect(result.code).toBe(2);
    expect(userLines(result.stderr)).toEqual([`logtap: kafka.ssl.ca: cannot read ${missing} (ENOENT): expected a PEM file`]);
  });

  it('streams over TLS (catalog and replication connections) when the URL asks for verify-full', async () => {
    const sql = new pg.Client({ connectionString: tlsUrl });
    await sql.connect();
    const name = uniqueName('ops_tls');
    const prefix = uniqueName('opst');
    let daemon: Daemon | undefined;
    try {
      await sql.query('CREATE TABLE items (id int PRIMARY KEY, note text)');
      daemon = startDaemon(writeConfig({ name, source: { url: tlsUrl, tables: ['public.items'] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix }));
      await waitStreaming(daemon);
      // Once streaming, logtap holds its catalog and replication connections (a first start's snapshot adds others).
      const rows = await waitFor('the catalog and replication connections', async () => {
        const { rows: found } = await sql.query<{ application_name: string; ssl: boolean }>(
          "SELECT a.application_name, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name LIKE 'logtap:%'",
        );
        const names = found.map((r) => r.application_name);
        return names.some((n) => n.endsWith(':replication')) && names.some((n) => n.endsWith(':catalog')) ? found : undefined;
      }, 60_000);
      // Every connection logtap holds is encrypted.
      expect(rows.every((r) => r.ssl)).toBe(true);

      await sql.query("INSERT INTO items VALUES (1, 'one'), (2, 'two')");
      await sql.query("UPDATE items SET note = 'TWO' WHERE id = 2");
      const { rows: [end] } = await sql.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      await waitFor('the changes to be released', async () => ((await sql.query('SELECT 1 FROM pg_replication_slots WHERE confirmed_flush_lsn >= $1::pg_lsn', [end!.lsn])).rowCount ? true : undefined), 60_000);
      daemon.child.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
      const read = await readTopicAsTable(kafka, prefix, `${prefix}.public.items`, (k) => String(k.id));
      expect([...read.table.values()].map((r) => [r.id, r.note])).toEqual([[1, 'one'], [2, 'TWO']]);
    } finally {
      daemon?.child.kill('SIGKILL');
      await daemon?.exited;
      await sql.end();
    }
  }, 180_000);
});
