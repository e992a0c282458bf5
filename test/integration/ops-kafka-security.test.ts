import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createKafka, type KafkaConnection } from '../../src/kafka/kafka-client.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, runFailing, startDaemon, userLines, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { type TempKafka, startTemporaryKafka } from '../helpers/temp-kafka.js';

// kafka.sasl (PLAIN, SCRAM-SHA-256) and kafka.ssl against a private broker with a SASL_PLAINTEXT and an SSL
// listener (self-signed certificate made here with openssl): logtap streams through each, and a wrong password
// stops it with one line that does not show the password.

const bed = testBed();
const PLAIN = { user: 'alice', password: 'alice-plain-secret' };
const SCRAM = { user: 'bob', password: 'bob-scram-secret' };

describe('Kafka over SASL and TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logtap-kafka-tls-'));
  const certFile = join(dir, 'broker.crt');
  const keyFile = join(dir, 'broker.key');
  let broker: TempKafka;
  const sql = new pg.Client({ connectionString: bed.pgUrl });

  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
    broker = await startTemporaryKafka({
      secure: { sasl: { plain: { [PLAIN.user]: PLAIN.password }, scramSha256: { [SCRAM.user]: SCRAM.password } }, tls: { certFile, keyFile } },
    });
    await sql.connect();
  }, 180_000);
  afterAll(async () => {
    await sql.end();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Streams two inserts and an update through `kafka`, then reads the topic back over the same connection. */
  async function streamsThrough(kafka: KafkaConnection): Promise<void> {
    const table = uniqueName('sec');
    const name = uniqueName('ops_sec');
    const prefix = uniqueName('opssec');
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text)`);
    let daemon: Daemon | undefined;
    try {
      daemon = startDaemon(writeConfig({ name, source: { url: bed.pgUrl, tables: [`public.${table}`] }, kafka, topicPrefix: prefix }));
      await waitStreaming(daemon);
      // "streaming" is logged once the initial snapshot is over (writes after it are streamed, not snapshotted).
      expect(daemon.log().indexOf('"msg":"snapshot finished"')).toBeGreaterThan(-1);
      expect(daemon.log().indexOf('"msg":"snapshot finished"')).toBeLessThan(daemon.log().indexOf('"msg":"streaming"'));
      await sql.query(`INSERT INTO ${table} VALUES (1, 'one'), (2, 'two')`);
      await sql.query(`UPDATE ${table} SET note = 'TWO' WHERE id = 2`);
      const { rows: [end] } = await sql.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      await waitFor('the changes to be released', async () => ((await sql.query(
        'SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND confirmed_flush_lsn >= $2::pg_lsn', [`%${name}%`, end!.lsn])).rowCount ? true : undefined), 60_000);
      daemon.child.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
      // The daemon's secrets stay out of its output, debug level included.
      if (kafka.sasl) expect(daemon.log()).not.toContain(kafka.sasl.password);
      const read = await readTopicAsTable(createKafka(kafka, 'test'), prefix, `${prefix}.public.${table}`, (k) => String(k.id));
      expect([...read.table.values()].map((r) => [r.id, r.note])).toEqual([[1, 'one'], [2, 'TWO']]);
    } finally {
      daemon?.child.kill('SIGKILL');
      await daemon?.exited;
      await sql.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE $1 AND NOT active`, [`%${name}%`]).catch(() => {});
      await sql.query(`DROP TABLE ${table}`);
    }
  }

  it('streams over SASL/PLAIN', async () => {
    await streamsThrough({ brokers: [broker.saslBrokers!], sasl: { mechanism: 'plain', username: PLAIN.user, password: PLAIN.password } });
  }, 180_000);

  it('streams over SASL/SCRAM-SHA-256', async () => {
    await streamsThrough({ brokers: [broker.saslBrokers!], sasl: { mechanism: 'scram-sha-256', username: SCRAM.user, password: SCRAM.password } });
  }, 180_000);

  it('streams over TLS, verifying the broker against the given CA', async () => {
    await streamsThrough({ brokers: [broker.tlsBrokers!], ssl: { ca: certFile } });
  }, 180_000);

  it('stops with one line, without the password, when SASL authentication fails', async () => {
    const wrong = 'not-the-right-secret';
    const table = uniqueName('sec');
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
    try {
      const result = await runFailing({
        name: uniqueName('ops_sec'), source: { url: bed.pgUrl, tables: [`public.${table}`] }, topicPrefix: uniqueName('opssec'),
        kafka: { brokers: [broker.saslBrokers!], sasl: { mechanism: 'plain', username: PLAIN.user, password: wrong } },
      });
      expect(result.code).not.toBe(0);
      expect(userLines(result.stderr)).toHaveLength(1);
      expect(userLines(result.stderr)[0]).toMatch(/SASL|authentication/i);
      expect(result.stderr).not.toContain(wrong);
    } finally {
      await sql.query(`DROP TABLE ${table}`);
    }
  }, 180_000);
});
