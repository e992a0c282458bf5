import { ConfigError, ConnectionError, LogtapError, PositionLostError } from '../../src/errors.js';
import { redactUrl } from '../../src/config/load-config.js';

/** What the error messages say about the source: where it is, who connects, and which grants the fix names. */
export interface ErrorContext {
  /** `host:port` */
  where: string;
  user: string;
  isMariaDb?: boolean;
}

/** The fields of a mysql2 error (and of zongji's errors, which are mysql2's or plain Errors). */
interface DriverError {
  code?: string;
  errno?: number;
  message?: string;
  fatal?: boolean;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ERR_STREAM_WRITE_AFTER_END', 'ECONNABORTED',
]);
/** Server errors that end a session but not the source: shutdown, killed connection, too many connections, lock waits. */
const TRANSIENT_SERVER_ERRORS = new Set([1040, 1053, 1077, 1152, 1158, 1159, 1160, 1161, 1205, 1213, 1927, 2002, 2003, 2006, 2013, 4031]);
const ACCESS_DENIED = 1045;
const DB_ACCESS_DENIED = 1044;
const BAD_DB = 1049;
const PRIVILEGE_MISSING = 1227;
const TABLE_ACCESS_DENIED = 1142;
const BINLOG_FATAL = 1236;
/** MariaDB ER_SLAVE_SAME_ID (mysql2 names 4052 after MySQL's ER_INVALID_MFA_PLUGIN_SPECIFIED). */
const SAME_REPLICA_ID = 4052;

/** The grants a binlog reader needs, in the server flavour's spelling. */
export const replicationGrants = (isMariaDb: boolean | undefined): string =>
  isMariaDb ? 'REPLICATION SLAVE, BINLOG MONITOR' : 'REPLICATION SLAVE, REPLICATION CLIENT';

export function grantFix(context: ErrorContext): string {
  return `GRANT ${replicationGrants(context.isMariaDb)} ON *.* TO '${context.user}'@'%' (adjust the host part to the account's)`;
}

/**
 * Maps a mysql2/zongji error onto logtap's errors: one line saying what happened and what to do, never the password.
 * LogtapErrors pass through unchanged.
 */
export function mapDriverError(err: unknown, context: ErrorContext, doing: string): LogtapError {
  if (err instanceof LogtapError) return err;
  const e = (err ?? {}) as DriverError;
  const serverMessage = redactUrl(String(e.message ?? err)).replace(/\s+/g, ' ').trim();
  const at = `MySQL source ${context.where}`;
  const options = { cause: err };
  if (e.errno === ACCESS_DENIED || e.code === 'ER_ACCESS_DENIED_ERROR') {
    return new ConfigError(`${at}: access denied for user '${context.user}' (${doing}): check the user name and password in the source URL`, options);
  }
  if (e.errno === DB_ACCESS_DENIED || e.errno === BAD_DB) {
    return new ConfigError(`${at}: ${serverMessage} (${doing}): check the database in the source URL and the user's grants`, options);
  }
  if (e.errno === PRIVILEGE_MISSING) {
    return new ConfigError(`${at}: user '${context.user}' lacks a privilege (${doing}): ${serverMessage}. Fix: ${grantFix(context)}`, options);
  }
  if (e.errno === TABLE_ACCESS_DENIED) {
    return new ConfigError(`${at}: ${serverMessage} (${doing}): grant SELECT on the captured tables to '${context.user}'`, options);
  }
  if (e.errno === SAME_REPLICA_ID || /same server_uuid\/server_id|same server_id/i.test(serverMessage)) {
    // The server drops the older of two replicas with one id: retrying wins it back, so two live ones keep fighting.
    return new ConnectionError(`${at}: another replica connected with this connector's server id (${serverMessage}): give each connector its own name or server_id URL parameter`, options);
  }
  if (e.errno === BINLOG_FATAL) return binlogFatal(serverMessage, at, err);
  if (e.code !== undefined && NETWORK_CODES.has(e.code)) {
    return new ConnectionError(`${at}: ${networkMessage(e.code, serverMessage)} (${doing})`, options);
  }
  if (e.errno !== undefined && TRANSIENT_SERVER_ERRORS.has(e.errno)) {
    return new ConnectionError(`${at}: ${serverMessage} (${doing})`, options);
  }
  if (e.fatal === true) return new ConnectionError(`${at}: connection failed: ${serverMessage} (${doing})`, options);
  return new LogtapError('MYSQL_SOURCE', `${at}: ${serverMessage} (${doing})`, { cause: err, retriable: false });
}

/** Server error 1236 ("fatal error reading binlog"): the checkpoint's binlog is gone, or the request is refused. */
function binlogFatal(serverMessage: string, at: string, cause: unknown): LogtapError {
  const lost = /purged|could not find first log file|could not find gtid state|not in the master's binlog|not in the source's binlog|binary log index|has purged|missing transactions/i;
  if (lost.test(serverMessage)) {
    return new PositionLostError(`${at} no longer holds the binlog from the checkpoint on (${serverMessage}). To recover: delete the connector's checkpoint (logtap offsets reset) and start again — it streams from the current end of the binlog, so re-snapshot the tables to fill the gap — and keep binlogs longer (binlog_expire_logs_seconds)`, { cause });
  }
  return new LogtapError('MYSQL_BINLOG', `${at} refused to stream the binlog: ${serverMessage}`, { cause, retriable: false });
}

function networkMessage(code: string, message: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused: is the server running and the port right?';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host name not resolved: ${message}`;
    case 'ETIMEDOUT':
      return 'connection timed out: is the host reachable?';
    case 'PROTOCOL_CONNECTION_LOST':
      return 'the server closed the connection (restart, KILL, or network)';
    default:
      return `connection lost: ${message}`;
  }
}
