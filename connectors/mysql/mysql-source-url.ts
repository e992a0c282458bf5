import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../src/errors.js';
import { redactUrl } from '../../src/config/load-config.js';

/** The connection settings of one MySQL/MariaDB source, validated from its `mysql://` or `mariadb://` URL. */
export interface MysqlSourceSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The URL's path: the database whose tables are captured by default ('' when the URL names none). */
  database: string;
  /** The replica id the binlog connection presents; two connections with one id disconnect each other. */
  serverId: number;
  /** How often an idle server sends a heartbeat on the binlog connection. */
  heartbeatIntervalMs: number;
  /** `host:port`, for messages (never the password). */
  where: string;
  /** TLS options for every connection (`ssl_mode` other than disabled), as Node's tls.connect takes them. */
  ssl?: MysqlTls;
}

export interface MysqlTls {
  ca?: string;
  rejectUnauthorized: boolean;
  /** verify_ca: the certificate must chain to the CA, whatever host name it names. */
  checkServerIdentity?: () => undefined;
}

/** What every mysql2 connection of the source is opened with (catalog, binlog, snapshot, backfill, replay). */
export function mysqlEndpoint(settings: MysqlSourceSettings): { host: string; port: number; user: string; password: string; ssl?: MysqlTls } {
  return { host: settings.host, port: settings.port, user: settings.user, password: settings.password, ...(settings.ssl ? { ssl: settings.ssl } : {}) };
}

const PARAMETERS = ['server_id', 'heartbeat_interval_ms', 'ssl_mode', 'ssl_ca'] as const;
const SSL_MODES = ['disabled', 'required', 'verify_ca', 'verify_identity'] as const;
const DEFAULT_HEARTBEAT_MS = 5_000;
const SERVER_ID_MIN = 100_000;
const SERVER_ID_MAX = 4_000_000_000;

/**
 * Query parameters: `server_id` (1 … 4294967295; default derived from the connector name),
 * `heartbeat_interval_ms` (100 … 3600000; default 5000), and TLS like the mysql client's options:
 * `ssl_mode` (disabled (default) | required: encrypted, unverified | verify_ca: the certificate chains to
 * `ssl_ca` | verify_identity: and names the host) with `ssl_ca` (a PEM file; else the system's CAs).
 */
export function parseMysqlSourceUrl(url: string, connectorName: string): MysqlSourceSettings {
  const shown = redactUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`source url ${shown} is not a valid URL (expected mysql://user:password@host:port/database)`);
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new ConfigError(`source url ${shown} is not a mysql:// or mariadb:// URL`);
  }
  if (!parsed.hostname) throw new ConfigError(`source url ${shown} names no host`);
  for (const key of parsed.searchParams.keys()) {
    if (!(PARAMETERS as readonly string[]).includes(key)) {
      throw new ConfigError(`source url ${shown}: unknown parameter ${key} (supported: ${PARAMETERS.join(', ')})`);
    }
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database.includes('/')) throw new ConfigError(`source url ${shown}: the path must be one database name`);
  const port = parsed.port === '' ? 3306 : Number(parsed.port);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database,
    serverId: integerParameter(parsed, 'server_id', 1, 0xffffffff, shown) ?? serverIdFor(connectorName),
    heartbeatIntervalMs: integerParameter(parsed, 'heartbeat_interval_ms', 100, 3_600_000, shown) ?? DEFAULT_HEARTBEAT_MS,
    where: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    ...tlsParameters(parsed, shown),
  };
}

function tlsParameters(url: URL, shown: string): { ssl?: MysqlTls } {
  const mode = url.searchParams.get('ssl_mode') ?? 'disabled';
  if (!(SSL_MODES as readonly string[]).includes(mode)) {
    throw new ConfigError(`source url ${shown}: ssl_mode must be one of ${SSL_MODES.join(', ')} (got ${JSON.stringify(mode)})`);
  }
  const caFile = url.searchParams.get('ssl_ca');
  if (mode === 'disabled') {
    if (caFile !== null) throw new ConfigError(`source url ${shown}: ssl_ca needs ssl_mode=verify_ca or verify_identity`);
    return {};
  }
  let ca: string | undefined;
  if (caFile !== null) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`source url ${shown}: ssl_ca: cannot read ${caFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): expected a PEM file`);
    }
  }
  const ssl: MysqlTls = { rejectUnauthorized: mode !== 'required', ...(ca !== undefined ? { ca } : {}) };
  if (mode === 'verify_ca') ssl.checkServerIdentity = () => undefined;
  return { ssl };
}

/**
 * A server id unique to the connector name (so two connectors do not disconnect each other) and stable across
 * restarts, within 100000 … 4000000000 — away from the small ids servers of a topology usually take.
 */
export function serverIdFor(name: string): number {
  const hash = createHash('sha256').update(name, 'utf8').digest();
  return SERVER_ID_MIN + Number(hash.readBigUInt64BE(0) % BigInt(SERVER_ID_MAX - SERVER_ID_MIN + 1));
}

function integerParameter(url: URL, key: string, min: number, max: number, shown: string): number | undefined {
  const text = url.searchParams.get(key);
  if (text === null) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new ConfigError(`source url ${shown}: ${key} must be an integer from ${min} to ${max} (got ${JSON.stringify(text)})`);
  }
  return value;
}
