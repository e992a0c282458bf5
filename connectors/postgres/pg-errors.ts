import { ConfigError, ConnectionError, LogtapError, PositionLostError } from '../../src/errors.js';
import { type PgEndpoint, endpointText, scrub } from './pg-endpoint.js';
import { quoteIdent } from './pg-identifiers.js';

/**
 * The server is not set up for logical decoding (wal_level, REPLICATION privilege, pg_hba.conf, slot
 * limits): a database administrator must change it; retrying does not help.
 */
export class SourceSetupError extends LogtapError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('SOURCE_SETUP', message, { ...options, retriable: false });
  }
}

interface DriverError {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  hint?: unknown;
}

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ECONNABORTED: 'connection aborted',
};

const CONNECTION_LOST = /connection terminated|connection timeout|timeout expired|connection error|not queryable|socket hang up|ended unexpectedly/i;

/**
 * One clear line for a pg / pg-logical-replication / network failure, as the LogtapError that says
 * whether a retry may help. `doing` completes "… while <doing>" (e.g. `connecting`, `streaming`).
 * LogtapErrors pass through unchanged. Nothing of the URL's password reaches the message.
 */
export function mapPgError(err: unknown, endpoint: PgEndpoint, doing: string): LogtapError {
  if (err instanceof LogtapError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as DriverError;
  const code = typeof e.code === 'string' ? e.code : '';
  const text = typeof e.message === 'string' ? e.message : String(err);
  const where = endpointText(endpoint);
  const user = quoteIdent(endpoint.user);
  const clean = (s: string) => scrub(s, endpoint);
  const cause = { cause: err };

  const network = NETWORK_CODES[code];
  if (network) return new ConnectionError(clean(`cannot reach PostgreSQL at ${endpoint.host}:${endpoint.port} while ${doing}: ${network}`), cause);

  switch (code) {
    case '28P01':
      return new ConfigError(clean(`cannot log in to PostgreSQL at ${where} as ${user}: password authentication failed — check the user and password of source.url`), cause);
    case '28000':
      if (/pg_hba\.conf/.test(text) && /replication/.test(text)) {
        return new SourceSetupError(clean(`PostgreSQL at ${where} refuses replication connections from this host for ${user} (pg_hba.conf) — add a line "host replication ${endpoint.user} <client address> scram-sha-256" to pg_hba.conf and reload PostgreSQL`), cause);
      }
      return new ConfigError(clean(`cannot log in to PostgreSQL at ${where} as ${user}: ${text}`), cause);
    case '3D000':
      return new ConfigError(clean(`database ${quoteIdent(endpoint.database)} does not exist on PostgreSQL at ${endpoint.host}:${endpoint.port} — check the database name of source.url`), cause);
    case '42501':
      if (/replication role|replication privilege|REPLICATION attribute/i.test(text)) {
        return new SourceSetupError(clean(`role ${user} may not stream changes from ${where}: it lacks the REPLICATION attribute — run ALTER ROLE ${user} REPLICATION; as a superuser`), cause);
      }
      return new SourceSetupError(clean(`PostgreSQL at ${where} refused ${doing} to role ${user}: ${text}${hintOf(e)}`), cause);
    case '55000':
      if (/wal_level/.test(text)) {
        return new SourceSetupError(clean(`PostgreSQL at ${where} does not run with wal_level=logical — run ALTER SYSTEM SET wal_level = logical; and restart PostgreSQL`), cause);
      }
      break;
    case '55006':
      return new ConnectionError(clean(`PostgreSQL at ${where}: ${text} — another process streams from this slot (another logtap with the same name, or a session not yet ended); retrying`), cause);
    case '53300':
      return new ConnectionError(clean(`PostgreSQL at ${where} has no free connection while ${doing}: ${text}`), cause);
    case '53400':
      return new SourceSetupError(clean(`PostgreSQL at ${where}: ${text} — raise max_replication_slots (restart needed) or drop unused slots`), cause);
    case '58P01':
      return new PositionLostError(clean(`PostgreSQL at ${where} no longer holds the WAL to resume from: ${text} — delete this connector's checkpoint (logtap offsets reset), drop its slot and re-snapshot`), cause);
    case '42704':
      if (/replication slot/.test(text)) return new ConnectionError(clean(`PostgreSQL at ${where}: ${text} (dropped while ${doing}?)`), cause);
      if (/publication/.test(text)) {
        return new SourceSetupError(clean(`PostgreSQL at ${where}: ${text} — the publication was dropped, or created after the slot's start position; drop the slot and the checkpoint (logtap offsets reset) and re-snapshot`), cause);
      }
      break;
    default:
      break;
  }
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '57P04') {
    return new ConnectionError(clean(`PostgreSQL at ${where} closed the connection while ${doing}: ${text}`), cause);
  }
  if (code.startsWith('40') || code === '57014' || code === '53000' || code === '53100' || code === '53200') {
    return new ConnectionError(clean(`PostgreSQL at ${where} failed while ${doing}, retrying: ${text}`), cause);
  }
  if (!code.match(/^[0-9A-Z]{5}$/) && CONNECTION_LOST.test(text)) {
    return new ConnectionError(clean(`lost the connection to PostgreSQL at ${where} while ${doing}: ${text}`), cause);
  }
  const sqlstate = code.match(/^[0-9A-Z]{5}$/) ? ` (SQLSTATE ${code})` : '';
  return new LogtapError('SOURCE', clean(`PostgreSQL at ${where} failed while ${doing}: ${text}${sqlstate}${hintOf(e)}`), cause);
}

function hintOf(e: DriverError): string {
  return typeof e.hint === 'string' && e.hint ? ` (hint: ${e.hint})` : '';
}
