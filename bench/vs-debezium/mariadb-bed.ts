// MariaDB's side: a database on the test bed, a writer process for the workloads, and
// `mariadb-binlog --read-from-remote-server` (the server's own remote binlog reader) as the raw limit.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { packageRoot } from '../../src/package-root.js';
import type { SourceBed } from './source-bed.js';

interface BinlogPosition { file: string; position: number; gtid: string }

export async function openMariadbBed(baseUrl: string, suffix: string): Promise<SourceBed> {
  const base = new URL(baseUrl);
  const database = `vsdbz_my_${suffix}`;
  const url = `${base.protocol}//${base.username}:${base.password}@${base.host}/${database}`;
  const user = decodeURIComponent(base.username);
  const password = decodeURIComponent(base.password);
  const sql = await mysql.createConnection({ host: base.hostname, port: Number(base.port), user, password });
  const writer = (args: string[]) => execFileSync(process.execPath, [join(packageRoot(), 'dist-bench', 'bench', 'vs-debezium', 'mariadb-writer.js'), url, `${database}.items`, ...args], { stdio: 'inherit' });
  const query = async <T>(text: string) => ((await sql.query(text)) as unknown as [T])[0];
  let rawFrom: BinlogPosition | undefined;
  const here = async (): Promise<BinlogPosition> => {
    const [status] = await query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
    const [gtid] = await query<Array<{ p: string }>>('SELECT @@gtid_binlog_pos AS p');
    return { file: status!.File, position: status!.Position, gtid: gtid!.p };
  };

  return {
    label: 'MariaDB',
    async createTable(rows) {
      await sql.query(`CREATE DATABASE ${database}`);
      await sql.query(`USE ${database}`); // the seq_1_to_N sequence tables resolve in the current database
      await sql.query(`CREATE TABLE ${database}.items (id BIGINT AUTO_INCREMENT PRIMARY KEY, payload VARCHAR(200) NOT NULL, amount DECIMAL(12,2) NOT NULL,
        created_us BIGINT NOT NULL DEFAULT (UNIX_TIMESTAMP(NOW(6)) * 1000000))`);
      await sql.query(`INSERT INTO ${database}.items (payload, amount) SELECT REPEAT('p', 160), seq FROM seq_1_to_${rows}`);
    },
    async insertRow(payload) { await sql.query(`INSERT INTO ${database}.items (payload, amount) VALUES (?, 1)`, [payload]); },
    async position() { return JSON.stringify(await here()); },
    async prepareRaw() { rawFrom = await here(); },
    async rawRead(end) {
      const to = JSON.parse(end) as BinlogPosition;
      const from = rawFrom!;
      const files = (await query<Array<{ Log_name: string }>>('SHOW BINARY LOGS')).map((f) => f.Log_name).filter((f) => f >= from.file && f <= to.file);
      const t0 = Date.now();
      const r = spawnSync('mariadb-binlog', ['--read-from-remote-server', `--host=${base.hostname}`, `--port=${base.port}`, `--user=${user}`, `--password=${password}`,
        `--start-position=${from.position}`, `--stop-position=${to.position}`, ...files], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`mariadb-binlog failed (exit ${r.status}): ${r.stderr.toString().replaceAll(password, '***')}`);
      return (Date.now() - t0) / 1000;
    },
    async writeMixed(events, preexistingRows) { writer(['mixed', String(events), String(preexistingRows)]); },
    async rawExport() {
      const t0 = Date.now();
      const r = spawnSync('mariadb', [`--host=${base.hostname}`, `--port=${base.port}`, `--user=${user}`, `--password=${password}`, '--quick', '--batch', '-e', `SELECT * FROM ${database}.items`],
        { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`mariadb SELECT failed (exit ${r.status}): ${r.stderr.toString().replaceAll(password, '***')}`);
      return (Date.now() - t0) / 1000;
    },
    rawExportNote: 'mariadb --quick SELECT * (→ /dev/null)',
    writeAtRate(rate, seconds) { writer(['rate', String(rate), String(seconds)]); },
    async countRowsSince(us) { return Number((await query<Array<{ n: number }>>(`SELECT count(*) AS n FROM ${database}.items WHERE created_us >= ${Math.floor(us)}`))[0]!.n); },
    logtapSource: () => ({ url, tables: [`${database}.items`] }),
    logtapTopic: (prefix) => `${prefix}.${database}.items`,
    debeziumConnector: (name, topicPrefix) => ({
      name, 'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector', 'tasks.max': '1',
      'database.hostname': base.hostname, 'database.port': base.port, 'database.user': user, 'database.password': password,
      'database.server.id': String(100_000 + Math.floor(Math.random() * 1_000_000)), 'database.ssl.mode': 'disable',
      'topic.prefix': topicPrefix, 'database.include.list': database, 'table.include.list': `${database}.items`,
      'include.schema.changes': 'false', 'snapshot.mode': 'no_data',
      'schema.history.internal.kafka.bootstrap.servers': '', // set by the harness
      'schema.history.internal.kafka.topic': `${name}.schema-history`,
      // The binlog carries every database's DDL; on a shared server another database's DDL that Debezium's parser
      // rejects would stop the connector. Only the captured tables' DDL matters here.
      'schema.history.internal.store.only.captured.tables.ddl': 'true',
      'schema.history.internal.skip.unparseable.ddl': 'true',
    }),
    debeziumTopic: (prefix) => `${prefix}.${database}.items`,
    async cleanup() {
      await sql.query(`DROP DATABASE IF EXISTS ${database}`);
      await sql.end();
    },
  };
}
