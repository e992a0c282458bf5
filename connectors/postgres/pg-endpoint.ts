import { redactUrl } from '../../src/config/load-config.js';
import { hostUrls } from './pg-hosts.js';

/** Where a `postgres://` URL points, for messages; the password is kept only to scrub it from them. */
export interface PgEndpoint {
  host: string;
  port: string;
  database: string;
  user: string;
  password: string;
}

/** Several hosts (a multi-host URL): host and port list them all, libpq-style (`h1,h2` and `5432,5433`). */
export function pgEndpoint(url: string): PgEndpoint {
  const servers = hostUrls(url).map(singleEndpoint);
  if (servers.length === 1) return servers[0]!;
  return { ...servers[0]!, host: servers.map((s) => s.host).join(','), port: servers.map((s) => s.port).join(',') };
}

function singleEndpoint(url: string): PgEndpoint {
  const parsed = new URL(url);
  const params = parsed.searchParams;
  const user = decodeURIComponent(parsed.username) || params.get('user') || process.env.PGUSER || 'postgres';
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || params.get('dbname') || user;
  return {
    host: decodeURIComponent(parsed.hostname) || params.get('host') || 'localhost',
    port: parsed.port || params.get('port') || '5432',
    database,
    user,
    password: decodeURIComponent(parsed.password),
  };
}

/** `host:port/database`: the endpoint as messages name it (no user, no password). */
export const endpointText = (e: PgEndpoint): string => `${e.host}:${e.port}/${e.database}`;

/** A message with URL passwords masked and the endpoint's password (when long enough to be told apart) cut out. */
export function scrub(text: string, endpoint: PgEndpoint | undefined): string {
  let out = redactUrl(text);
  const password = endpoint?.password ?? '';
  if (password.length >= 4) out = out.split(password).join('***');
  return out;
}
