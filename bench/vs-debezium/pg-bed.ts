// PostgreSQL's side: a table on the test bed, pgbench for the workloads, pg_recvlogical (pgoutput) as the raw limit.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { SourceBed } from './source-bed.js';

const bin = () => execFileSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1']).toString().trim();

export async function openPgBed(url: string, suffix: string): Promise<SourceBed> {
  const sql = new pg.Client({ connectionString: url });
  await sql.connect();
  const table = `vsdbz_pg_${suffix}`;
  const rawSlot = `vsdbz_raw_${suffix}`;
  const rawPublication = `vsdbz_raw_${suffix}`;
  const scripts = mkdtempSync(join(tmpdir(), 'logtap-vs-debezium-'));
  const script = (file: string, text: string) => { writeFileSync(join(scripts, file), text); return join(scripts, file); };
  // synchronous_commit=on for the workload's sessions (the test bed's default is off, which holds WAL back from the
  // walsender until the WAL writer's next flush, up to 200 ms: a latency floor no CDC tool could beat).
  const pgbench = (args: string[]) => execFileSync(join(bin(), 'pgbench'), ['-n', '-c', '4', '-j', '2', ...args, url], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PGOPTIONS: '-c synchronous_commit=on' } });
  const insert = script('insert.sql', `INSERT INTO ${table} (payload, amount) VALUES (repeat('x', 160), (random() * 100000)::numeric(12,2));\n`);
  let rawSlotMade = false;

  return {
    label: 'PostgreSQL',
    async createTable(rows) {
      // ~200-byte rows; created_us is the insert's own clock, for the latency measurement.
      await sql.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, payload text NOT NULL, amount numeric(12,2) NOT NULL,
        created_us bigint NOT NULL DEFAULT (extract(epoch from clock_timestamp()) * 1000000)::bigint)`);
      await sql.query(`INSERT INTO ${table} (payload, amount) SELECT repeat('p', 160), g FROM generate_series(1, $1) g`, [rows]);
      await sql.query(`CREATE SEQUENCE ${table}_deletes`);
      await sql.query(`CREATE PUBLICATION ${rawPublication} FOR TABLE ${table}`);
    },
    async insertRow(payload) { await sql.query(`INSERT INTO ${table} (payload, amount) VALUES ($1, 1)`, [payload]); },
    async position() { return (await sql.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn; },
    async prepareRaw() {
      if (rawSlotMade) await sql.query('SELECT pg_drop_replication_slot($1)', [rawSlot]);
      await sql.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [rawSlot]);
      rawSlotMade = true;
    },
    async rawRead(end) {
      const t0 = Date.now();
      const r = spawnSync(join(bin(), 'pg_recvlogical'), ['-d', url, '-S', rawSlot, '--start', '-o', 'proto_version=1', '-o', `publication_names=${rawPublication}`,
        '-E', end, '-f', '/dev/null', '--no-loop'], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`pg_recvlogical failed (exit ${r.status}): ${r.stderr}`);
      return (Date.now() - t0) / 1000;
    },
    async writeMixed(events, preexistingRows) {
      // Updates hit the upper half of the pre-existing rows, deletes walk up from id 1 (at most ~20% of `events`
      // < half of them): every transaction changes exactly one row.
      const update = script('update.sql', `\\set id random(${Math.floor(preexistingRows / 2) + 1}, ${preexistingRows})\n` +
        `UPDATE ${table} SET payload = repeat('u', 160), amount = (random() * 100000)::numeric(12,2) WHERE id = :id;\n`);
      const del = script('delete.sql', `DELETE FROM ${table} WHERE id = (SELECT nextval('${table}_deletes'));\n`);
      pgbench(['-t', String(events / 4), '-f', `${insert}@5`, '-f', `${update}@3`, '-f', `${del}@2`]);
    },
    async rawExport() {
      const t0 = Date.now();
      const r = spawnSync(join(bin(), 'psql'), [url, '-qAtc', `COPY ${table} TO STDOUT`], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`psql COPY failed (exit ${r.status}): ${r.stderr}`);
      return (Date.now() - t0) / 1000;
    },
    rawExportNote: 'COPY … TO STDOUT (psql → /dev/null)',
    writeAtRate(rate, seconds) { pgbench(['-R', String(rate), '-T', String(seconds), '-f', insert]); },
    async countRowsSince(us) { return Number((await sql.query(`SELECT count(*) AS n FROM ${table} WHERE created_us >= $1`, [us])).rows[0].n); },
    logtapSource: () => ({ url, tables: [`public.${table}`] }),
    logtapTopic: (prefix) => `${prefix}.public.${table}`,
    debeziumConnector: (name, topicPrefix) => {
      const u = new URL(url);
      return {
        name, 'connector.class': 'io.debezium.connector.postgresql.PostgresConnector', 'tasks.max': '1',
        'database.hostname': u.hostname, 'database.port': u.port, 'database.user': decodeURIComponent(u.username),
        'database.password': decodeURIComponent(u.password), 'database.dbname': u.pathname.slice(1) || 'postgres',
        'topic.prefix': topicPrefix, 'table.include.list': `public.${table}`, 'plugin.name': 'pgoutput',
        'slot.name': name.replace(/[^a-z0-9]/g, '_'), 'publication.name': name.replace(/[^a-z0-9]/g, '_'), 'publication.autocreate.mode': 'filtered',
        'snapshot.mode': 'no_data',
      };
    },
    debeziumTopic: (prefix) => `${prefix}.public.${table}`,
    async cleanup() {
      const slots = await sql.query<{ slot_name: string; active_pid: number | null }>(`SELECT slot_name, active_pid FROM pg_replication_slots WHERE slot_name LIKE $1`, [`%${suffix}%`]);
      for (const s of slots.rows) {
        if (s.active_pid) await sql.query('SELECT pg_terminate_backend($1)', [s.active_pid]);
        await sql.query('SELECT pg_drop_replication_slot($1)', [s.slot_name]).catch(() => {});
      }
      const pubs = await sql.query<{ pubname: string }>(`SELECT pubname FROM pg_publication WHERE pubname LIKE $1`, [`%${suffix}%`]);
      for (const p of pubs.rows) await sql.query(`DROP PUBLICATION ${p.pubname}`);
      await sql.query(`DROP TABLE IF EXISTS ${table}`);
      await sql.query(`DROP SEQUENCE IF EXISTS ${table}_deletes`);
      rmSync(scripts, { recursive: true, force: true });
      await sql.end();
    },
  };
}
