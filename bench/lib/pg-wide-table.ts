import { execFileSync } from 'node:child_process';
import type pg from 'pg';
import { runProcess } from './bench-common.js';

/** The newest PostgreSQL client binaries of the machine (psql, pgbench, pg_recvlogical). */
export const pgBinDir = (): string => execFileSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1']).toString().trim();

/**
 * The snapshot and backfill benches' table: N rows × 10 columns (bigint key, integers, numeric, text,
 * timestamptz, boolean, double, date, uuid), vacuumed. Returns its size in bytes.
 */
export async function createWideTable(sql: pg.Client, table: string, rows: number): Promise<number> {
  await sql.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, qty integer NOT NULL, total bigint NOT NULL, amount numeric(12,2) NOT NULL,
  note text NOT NULL, created_at timestamptz NOT NULL, active boolean NOT NULL, ratio double precision NOT NULL, day date NOT NULL, ref uuid NOT NULL)`);
  await sql.query(`INSERT INTO ${table} SELECT g, g % 1000, g * 7, (g % 100000) / 100.0, 'note number ' || g || ' of the benchmark table',
  '2024-01-01'::timestamptz + g * interval '1 second', g % 2 = 0, g / 3.0, '2024-01-01'::date + (g % 3650), md5(g::text)::uuid
  FROM generate_series(1, ${rows}) g`);
  await sql.query(`VACUUM ANALYZE ${table}`);
  const { rows: [size] } = await sql.query<{ bytes: string }>('SELECT pg_total_relation_size($1)::text AS bytes', [table]);
  return Number(size!.bytes);
}

/** The limit: the server's own fastest way out, `COPY table TO STDOUT` as text by psql into /dev/null, in rows/s. */
export async function copyRate(pgUrl: string, table: string, rows: number): Promise<number> {
  const start = Date.now();
  await runProcess('sh', ['-c', `${pgBinDir()}/psql "${pgUrl}" -q -c "COPY ${table} TO STDOUT" > /dev/null`]);
  const rate = rows / ((Date.now() - start) / 1000);
  console.log(`  COPY ${table} TO STDOUT (psql → /dev/null): ${Math.round(rate).toLocaleString('en-US')} rows/s`);
  return rate;
}
