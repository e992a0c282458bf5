import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { waitFor } from './wait.js';

/**
 * A primary and its hot standby built from the PostgreSQL binaries pinned as devDependencies
 * (node_modules/postgres-<major>), for the failover and capture-from-standby tests. There is no
 * pg_basebackup there: the standby is a cold copy of the stopped primary's data directory.
 */

const PASSWORD = 'cluster-pass';

export interface PgServer {
  name: string;
  port: number;
  /** postgres://postgres:…@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /** pg_ctl with this server's data directory. */
  pgCtl(args: string[]): Promise<void>;
  /** Fast shutdown (sessions are ended). */
  stop(): Promise<void>;
  /** Immediate shutdown, like a crash of the machine's PostgreSQL. */
  kill(): Promise<void>;
  promote(): Promise<void>;
  /** The server's log so far (for failures). */
  log(): string;
}

export interface PgCluster {
  primary: PgServer;
  standby: PgServer;
  /** Stops both servers (whatever state they are in) and removes their data. */
  destroy(): Promise<void>;
}

const root = process.getuid?.() === 0;

function binDir(major: number): string {
  return resolve('node_modules', `postgres-${major}`, 'native', 'bin');
}

function libDir(major: number): string {
  return resolve('node_modules', `postgres-${major}`, 'native', 'lib');
}

function chownToPostgres(path: string): void {
  if (!root) return;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
  chownSync(path, uid, gid);
}

function command(major: number, cmd: string, args: string[]): [string, string[]] {
  const exe = join(binDir(major), cmd);
  const env = `LD_LIBRARY_PATH=${libDir(major)}`;
  return root ? ['runuser', ['-u', 'postgres', '--', 'env', env, exe, ...args]] : ['env', [env, exe, ...args]];
}

function runSync(major: number, cmd: string, args: string[]): void {
  const [file, argv] = command(major, cmd, args);
  const r = spawnSync(file, argv, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
}

async function run(major: number, cmd: string, args: string[]): Promise<void> {
  const [file, argv] = command(major, cmd, args);
  await promisify(execFile)(file, argv);
}

function writeSettings(data: string, settings: Record<string, string>): void {
  writeFileSync(join(data, 'postgresql.auto.conf'), Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
}

function server(name: string, major: number, dir: string, data: string, port: number): PgServer {
  const logFile = join(dir, `${name}.log`);
  const pgCtl = (args: string[]) => run(major, 'pg_ctl', ['-D', data, ...args]);
  return {
    name,
    port,
    url: (database = 'postgres') => `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${database}`,
    pgCtl,
    stop: () => pgCtl(['-m', 'fast', '-w', 'stop']),
    kill: () => pgCtl(['-m', 'immediate', '-w', 'stop']),
    promote: () => pgCtl(['-w', 'promote']),
    log: () => { try { return readFileSync(logFile, 'utf8'); } catch { return ''; } },
  };
}

export interface ClusterOptions {
  major?: number;
  /** Settings of the primary beside wal_level=logical. */
  primary?: Record<string, string>;
  /** Settings of the standby beside hot_standby, primary_conninfo and primary_slot_name. */
  standby?: Record<string, string>;
  /** Runs on the primary before the copy (roles, tables, publications the standby should have too). */
  prepare?: (primaryUrl: string) => Promise<void>;
}

/** Name of the physical slot the standby streams from on the primary. */
export const STANDBY_SLOT = 'standby_1';

/**
 * Starts a primary (wal_level=logical, a physical slot for the standby) and a hot standby streaming from
 * it, both on free ports with data under /tmp/failover-*.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<PgCluster> {
  const major = options.major ?? 17;
  const dir = mkdtempSync('/tmp/failover-');
  chownToPostgres(dir);
  const pwFile = join(dir, 'pw');
  writeFileSync(pwFile, `${PASSWORD}\n`);
  chownToPostgres(pwFile);
  const primaryData = join(dir, 'primary');
  runSync(major, 'initdb', ['-D', primaryData, '-U', 'postgres', '--pwfile', pwFile, '--auth-host=scram-sha-256', '--auth-local=trust']);
  const primaryPort = await freePort();
  const standbyPort = await freePort();
  const common = { listen_addresses: "'127.0.0.1'", unix_socket_directories: `'${dir}'`, fsync: 'off', max_wal_senders: '10', max_replication_slots: '10', wal_keep_size: "'128MB'" };
  writeSettings(primaryData, { ...common, port: String(primaryPort), wal_level: 'logical', ...options.primary });
  const primary = server('primary', major, dir, primaryData, primaryPort);
  const standbyData = join(dir, 'standby');
  const standby = server('standby', major, dir, standbyData, standbyPort);
  const destroy = async () => {
    for (const s of [standby, primary]) await s.kill().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await primary.pgCtl(['-l', join(dir, 'primary.log'), '-w', 'start']);
    const db = new pg.Client({ connectionString: primary.url() });
    await db.connect();
    try {
      await db.query(`SELECT pg_create_physical_replication_slot('${STANDBY_SLOT}', true)`);
    } finally {
      await db.end();
    }
    await options.prepare?.(primary.url());
    // The cold copy: a cleanly stopped primary's data directory is a valid standby base.
    await primary.stop();
    cpSync(primaryData, standbyData, { recursive: true, preserveTimestamps: true });
    for (const slot of readdirSync(join(standbyData, 'pg_replslot'))) rmSync(join(standbyData, 'pg_replslot', slot), { recursive: true, force: true });
    writeSettings(standbyData, {
      ...common,
      port: String(standbyPort),
      wal_level: 'logical',
      hot_standby: 'on',
      hot_standby_feedback: 'on',
      primary_slot_name: `'${STANDBY_SLOT}'`,
      primary_conninfo: `'host=127.0.0.1 port=${primaryPort} user=postgres password=${PASSWORD} dbname=postgres application_name=standby_1'`,
      ...options.standby,
    });
    writeFileSync(join(standbyData, 'standby.signal'), '');
    if (root) execFileSync('chown', ['-R', 'postgres:postgres', standbyData]);
    await primary.pgCtl(['-l', join(dir, 'primary.log'), '-w', 'start']);
    await standby.pgCtl(['-l', join(dir, 'standby.log'), '-w', 'start']);
    await waitStreamingReplica(primary);
  } catch (err) {
    const logs = `${primary.log().slice(-1500)} | ${standby.log().slice(-1500)}`;
    await destroy();
    throw new Error(`${(err as Error).message}; logs: ${logs}`);
  }
  return { primary, standby, destroy };
}

/** Resolves once the primary has a streaming physical standby. */
export async function waitStreamingReplica(primary: PgServer): Promise<void> {
  await waitFor('the standby to stream from the primary', async () => {
    const rows = await query(primary.url(), `SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'`).catch(() => []);
    return rows.length > 0 ? true : undefined;
  }, 30_000, 200);
}

/** A libpq-style multi-host URL naming the servers, in this order. */
export const multiHostUrl = (servers: PgServer[], database = 'postgres'): string =>
  `postgres://postgres:${PASSWORD}@${servers.map((s) => `127.0.0.1:${s.port}`).join(',')}/${database}`;

/** One query on a connection of its own. */
export async function query<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    return (await db.query(sql, params)).rows as T[];
  } finally {
    await db.end().catch(() => {});
  }
}

/** Resolves once the standby replayed everything the primary wrote up to now. */
export async function waitReplayed(primary: PgServer, standby: PgServer): Promise<void> {
  const lsn = (await query<{ lsn: string }>(primary.url(), 'SELECT pg_current_wal_lsn()::text AS lsn'))[0]!.lsn;
  await waitFor('the standby to replay the primary\'s WAL', async () => {
    const [row] = await query<{ caught_up: boolean }>(standby.url(), `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught_up`, [lsn]);
    return row?.caught_up ? true : undefined;
  }, 30_000, 100);
}

