import pg from 'pg';
import { REQUIRED_SESSION_SETTINGS, type SessionSettings, withSessionOptions } from './session-settings.js';
import { type PgEndpoint, endpointText, pgEndpoint } from './pg-endpoint.js';
import { mapPgError } from './pg-errors.js';
import { ConnectionError, type LogtapError } from '../../src/errors.js';
import { hostUrls } from './pg-hosts.js';

/** How long a connection attempt may take before it counts as unreachable (a URL parameter can override it). */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The client settings of both connections: the session settings the text decoder depends on (the catalog
 * connection uses them too, so both read values alike), a connect timeout and TCP keepalives; `extraSettings`
 * for one connection (the replication connection's logical_decoding_work_mem).
 */
export function pgClientConfig(url: string, applicationName: string, extraSettings: SessionSettings = {}): pg.ClientConfig {
  return {
    connectionString: withSessionOptions(url, { ...REQUIRED_SESSION_SETTINGS, ...extraSettings }),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    application_name: applicationName,
  };
}

/** The single-host URL each open catalog client is connected to (a multi-host URL resolves to one of its hosts). */
const serverUrls = new WeakMap<pg.Client, string>();

/**
 * The single-host URL of the server `client` is connected to: the connections that must reach the same
 * server (the replication connection, a snapshot's readers) connect there.
 */
export const connectedUrl = (client: pg.Client, url: string): string => serverUrls.get(client) ?? url;

/**
 * A normal (non-replication) connection for catalog queries. A failure of the idle connection reaches
 * `onLost` (pg would otherwise throw it as an unhandled 'error' event). A URL naming several hosts
 * connects to the one that is a primary (not in recovery), trying them in order.
 */
export async function openCatalogClient(
  url: string,
  applicationName: string,
  endpoint: PgEndpoint,
  onLost: (err: LogtapError) => void = () => {},
): Promise<pg.Client> {
  const servers = hostUrls(url);
  if (servers.length === 1) return openServer(url, applicationName, endpoint, onLost);
  const reasons: string[] = [];
  for (const server of servers) {
    const at = pgEndpoint(server);
    let client: pg.Client;
    try {
      client = await openServer(server, applicationName, at, onLost);
    } catch (err) {
      // A wrong password or database is wrong on every host: say so at once rather than as "no primary".
      if (!(err as LogtapError).retriable) throw err;
      reasons.push((err as Error).message);
      continue;
    }
    try {
      const { rows } = await client.query<{ standby: boolean }>('SELECT pg_catalog.pg_is_in_recovery() AS standby');
      if (!rows[0]!.standby) return client;
      reasons.push(`${endpointText(at)} is a standby (in recovery)`);
    } catch (err) {
      reasons.push(mapPgError(err, at, 'asking whether it is a primary').message);
    }
    await closeQuietly(client);
  }
  // Retriable: during a failover there is a moment without primary; the daemon's backoff tries again.
  throw new ConnectionError(`none of the servers of source.url (${endpointText(endpoint)}) is a primary: ${reasons.join('; ')} — promote a standby, or check the hosts of source.url`);
}

async function openServer(url: string, applicationName: string, endpoint: PgEndpoint, onLost: (err: LogtapError) => void): Promise<pg.Client> {
  const client = new pg.Client(pgClientConfig(url, applicationName));
  client.on('error', (err) => onLost(mapPgError(err, endpoint, 'reading the catalog')));
  try {
    await client.connect();
  } catch (err) {
    await closeQuietly(client);
    throw mapPgError(err, endpoint, 'connecting');
  }
  serverUrls.set(client, url);
  return client;
}

/** Ends a connection without waiting long or throwing: used on the way out of a failure. */
export async function closeQuietly(client: { end(): Promise<void> } | undefined, timeoutMs = 5_000): Promise<void> {
  if (!client) return;
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    client.end().then(() => true, () => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  // A connection whose peer vanished may never finish its goodbye: drop the socket.
  if (!ended) (client as { connection?: { stream?: { destroy?(): void } } }).connection?.stream?.destroy?.();
}
