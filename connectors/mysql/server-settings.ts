import { ConfigError } from '../../src/errors.js';
import type { MysqlQueryRunner } from './introspect-columns.js';

/** The server variables that decide whether and how the binlog can be streamed. */
export interface ServerSettings {
  version: string;
  isMariaDb: boolean;
  /** `server_id` of the server itself. */
  serverId: number;
  logBin: boolean;
  binlogFormat: string;
  binlogRowImage: string;
  /** Absent on servers without the variable (MySQL < 8.0.1, MariaDB < 10.5). */
  binlogRowMetadata: string | undefined;
  /** MariaDB: GTIDs are always written. MySQL: gtid_mode=ON. */
  gtids: boolean;
  /** MySQL's gtid_mode text (ON, OFF, …); undefined on MariaDB. */
  gtidMode: string | undefined;
  /** Seconds binlogs are kept; 0: forever (no automatic expiry). */
  retentionSeconds: number;
  /** MySQL 8.0.20+ transaction compression (zongji cannot read compressed transactions). */
  transactionCompression: boolean;
  /** MySQL 8 PARTIAL_JSON row values (zongji cannot decode partial JSON updates). */
  partialJson: boolean;
}

const VARIABLES = [
  'version', 'server_id', 'log_bin', 'binlog_format', 'binlog_row_image', 'binlog_row_metadata', 'gtid_mode',
  'expire_logs_days', 'binlog_expire_logs_seconds', 'binlog_transaction_compression', 'binlog_row_value_options',
];

export async function readServerSettings(runner: MysqlQueryRunner): Promise<ServerSettings> {
  const rows = await runner.query(`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${VARIABLES.map(() => '?').join(', ')})`, VARIABLES);
  const vars = new Map(rows.map((row) => [String(row.Variable_name ?? row.variable_name).toLowerCase(), String(row.Value ?? row.value ?? '')]));
  const on = (name: string) => ['ON', '1'].includes((vars.get(name) ?? '').toUpperCase());
  const version = vars.get('version') ?? '';
  const isMariaDb = /mariadb/i.test(version);
  const expireSeconds = Number(vars.get('binlog_expire_logs_seconds') ?? 0);
  const expireDays = Number(vars.get('expire_logs_days') ?? 0);
  // MySQL 8 and MariaDB ≥ 10.6 keep both in step; whichever is set (non-zero) rules.
  const retentionSeconds = expireSeconds > 0 ? expireSeconds : Math.round(expireDays * 86_400);
  const gtidMode = isMariaDb ? undefined : (vars.get('gtid_mode') ?? 'OFF').toUpperCase();
  return {
    version,
    isMariaDb,
    serverId: Number(vars.get('server_id') ?? 0),
    logBin: on('log_bin'),
    binlogFormat: (vars.get('binlog_format') ?? '').toUpperCase(),
    binlogRowImage: (vars.get('binlog_row_image') ?? '').toUpperCase(),
    binlogRowMetadata: vars.has('binlog_row_metadata') ? vars.get('binlog_row_metadata')!.toUpperCase() : undefined,
    gtids: isMariaDb || gtidMode === 'ON',
    gtidMode,
    retentionSeconds,
    transactionCompression: on('binlog_transaction_compression'),
    partialJson: /PARTIAL_JSON/i.test(vars.get('binlog_row_value_options') ?? ''),
  };
}

/** Problems that make streaming impossible or wrong, each with its fix (shared by check() and stream()). */
export function blockingSettings(s: ServerSettings): Array<{ id: string; message: string; fix: string }> {
  const problems: Array<{ id: string; message: string; fix: string }> = [];
  if (!s.logBin) {
    problems.push({ id: 'log_bin', message: 'binary logging is off (log_bin)', fix: 'start the server with log_bin enabled (e.g. log_bin=mysql-bin in the [mysqld] section of its configuration) and restart it' });
  }
  if (s.binlogFormat !== 'ROW') {
    problems.push({ id: 'binlog_format', message: `binlog_format is ${s.binlogFormat || 'unknown'}, logtap needs ROW`, fix: "SET GLOBAL binlog_format = 'ROW' and set binlog_format=ROW in the server configuration (sessions opened before keep their format: reconnect the applications)" });
  }
  if (s.binlogRowImage !== 'FULL') {
    problems.push({ id: 'binlog_row_image', message: `binlog_row_image is ${s.binlogRowImage || 'unknown'}, logtap needs FULL (otherwise unchanged columns cannot be told from NULL)`, fix: "SET GLOBAL binlog_row_image = 'FULL' and set binlog_row_image=FULL in the server configuration" });
  }
  if (s.transactionCompression) {
    problems.push({ id: 'binlog_transaction_compression', message: 'binlog_transaction_compression is ON: compressed transactions cannot be decoded', fix: 'SET GLOBAL binlog_transaction_compression = OFF (and in the server configuration)' });
  }
  if (s.partialJson) {
    problems.push({ id: 'binlog_row_value_options', message: 'binlog_row_value_options=PARTIAL_JSON: partial JSON updates cannot be decoded', fix: "SET GLOBAL binlog_row_value_options = '' (and in the server configuration)" });
  }
  return problems;
}

/** The current end of the binlog (MySQL 8.4 renamed SHOW MASTER STATUS). */
export async function masterStatus(runner: MysqlQueryRunner): Promise<{ file: string; offset: number; executedGtidSet: string }> {
  let rows: Record<string, unknown>[];
  try {
    rows = await runner.query('SHOW MASTER STATUS', []);
  } catch (err) {
    if (!/syntax/i.test((err as Error).message)) throw err;
    rows = await runner.query('SHOW BINARY LOG STATUS', []);
  }
  const row = rows[0];
  if (!row) throw new ConfigError('the server reports no binary log (SHOW MASTER STATUS is empty): enable log_bin');
  // MySQL's GTID set (MariaDB has no such column: its GTIDs come from @@gtid_binlog_pos).
  return { file: String(row.File), offset: Number(row.Position), executedGtidSet: String(row.Executed_Gtid_Set ?? '').replace(/\s+/g, '') };
}
