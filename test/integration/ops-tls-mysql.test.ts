import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { type Daemon, runFailing, startDaemon, userLines, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { watchTopic } from '../helpers/topic-table.js';
import { type TempMariadb, startTemporaryMariadb } from '../helpers/temp-mariadb.js';
import { waitFor } from '../helpers/wait.js';

// TLS to MariaDB by URL parameters (ssl_mode, ssl_ca): a private server with a self-signed certificate made here
// with openssl, and a TCP user that the server accepts only over TLS (REQUIRE SSL) — so a run that streams proves
// every connection logtap opens (catalog, binlog, snapshot) is encrypted and verified.

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const PASSWORD = 'tls-user-secret';

describe('TLS to MariaDB', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logtap-mysql-tls-'));
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  let server: TempMariadb;
  let plainUrl: string;
  let root: mysql.Connection;

  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    chmodSync(dir, 0o755);
    chmodSync(key, 0o644); // read by the server's OS user (mysql when we are root)
    server = await startTemporaryMariadb(['--log-bin=binlog', '--binlog-format=ROW', '--binlog-row-image=FULL', '--binlog-row-metadata=FULL',
      `--ssl-cert=${cert}`, `--ssl-key=${key}`, `--ssl-ca=${cert}`]);
    const admin = new URL(server.url); 
    root = await mysql.createConnection({ connectTimeout: 10_000, host: admin.hostname, port: Number(admin.port), user: decodeURIComponent(admin.username), password: decodeURIComponent(admin.password) });
    await root.query('CREATE TABLE app.items (id INT PRIMARY KEY, note VARCHAR(20))');
    // The TCP user (no GRANT OPTION to make another) is from now on accepted only over TLS; this connection stays.
    await root.query(`ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}' REQUIRE SSL`);
    plainUrl = `mysql://root:${PASSWORD}@127.0.0.1:${admin.port}/app`;
  }, 120_000);
  afterAll(async () => {
    await root?.end();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is refused without TLS, with one line that names the server and not the password', async () => {
    const result = await runFailing({ name: uniqueName('ops_mtls'), source: { url: plainUrl, tables: ['app.items'] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('opsm') });
    expect(result.code).not.toBe(0);
    expect(userLines(result.stderr)).toHaveLength(1);
    expect(userLines(result.stderr)[0]).toMatch(/127\.0\.0\.1/);
    expect(result.stderr).not.toContain(PASSWORD);
  });

  it('stops with one line and exit code 2 when ssl_ca cannot be read', async () => {
    const missing = join(dir, 'no-such-ca.pem');
    const result = await runFailing({ name: uniqueName('ops_mtls'), source: { url: `${plainUrl}?ssl_mode=verify_identity&ssl_ca=${encodeURIComponent(missing)}` }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('opsm') });
    expect(result.code).toBe(2);
    expect(userLines(result.stderr)).toHaveLength(1);
    expect(userLines(result.stderr)[0]).toContain(`ssl_ca: cannot read ${missing} (ENOENT)`);
  });

  it('snapshots and streams over TLS with ssl_mode=verify_identity', async () => {
    const name = uniqueName('ops_mtls');
    const prefix = uniqueName('opsm');
    const topic = `${prefix}.app.items`;
    await root.query("INSERT INTO app.items VALUES (1, 'before')");
    let daemon: Daemon | undefined;
    try {
      daemon = startDaemon(writeConfig({
        name, source: { url: `${plainUrl}?ssl_mode=verify_identity&ssl_ca=${encodeURIComponent(cert)}`, tables: ['app.items'] },
        kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
      }));
      await waitStreaming(daemon);
      await root.query("INSERT INTO app.items VALUES (2, 'two')");
      await root.query("UPDATE app.items SET note = 'one' WHERE id = 1");
      const admin = kafka.admin();
      await admin.connect();
      await waitFor('the table topic', async () => ((await admin.listTopics()).includes(topic) ? true : undefined), 60_000, 200).finally(() => admin.disconnect());
      const watch = await watchTopic(kafka, topic);
      // The snapshot row and both changes, read back: 3 records.
      await waitFor('the snapshot row and both changes', async () => (watch.positions.length >= 3 ? true : undefined), 60_000, 200)
        .catch((err: Error) => { throw new Error(`${err.message}; read ${JSON.stringify(watch.positions)}; the daemon's log ends: ${daemon!.log().slice(-3000)}`); });
      await watch.finish();
      expect(watch.positions).toHaveLength(3);
      daemon.child.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
      expect(daemon.log()).not.toContain(PASSWORD);
    } finally {
      daemon?.child.kill('SIGKILL');
      await daemon?.exited;
    }
  }, 180_000);
});
