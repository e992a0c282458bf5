import pg from 'pg';
import { REQUIRED_SESSION_SETTINGS, type SessionSettings, withSessionOptions } from './session-settings.js';
import type { PgEndpoint } from './pg-endpoint.js';
import { mapPgError } from './pg-errors.js';
import type { LogtapError } from '../../src/errors.js';

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

/**
 * A normal (non-replication) connection for catalog queries. A failure of the idle connection reaches
 * `onLost` (pg would otherwise throw it as an unhandled 'error' event).
 */
export async function openCatalogClient(
  url: string,
  applicationName: string,
  endpoint: PgEndpoint,
  onLost: (err: LogtapError) => void = () => {},
): Promise<pg.Client> {
  const client = new pg.Client(pgClientConfig(url, applicationName));
  client.on('error', (err) => onLost(mapPgError(err, endpoint, 'reading the catalog')));
  try {
    await client.connect();
  } catch (err) {
    await closeQuietly(client);
    throw mapPgError(err, endpoint, 'connecting');
  }
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
