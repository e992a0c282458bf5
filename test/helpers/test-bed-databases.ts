import type { ConnectionOptions } from 'mysql2/promise';
import { testBed } from './test-bed.js';

/** The URL of `database` on the test bed's PostgreSQL (same user, password and options). */
export function pgUrlFor(database: string): string {
  const url = new URL(testBed().pgUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The URL of `database` on the test bed's MariaDB (same user and password). */
export function mysqlUrlFor(database: string): string {
  return `${testBed().mysqlUrl.replace(/\/[^/]*$/, '')}/${database}`;
}

/** mysql2 options for the test bed's MariaDB, no database selected, plus what a test needs (`multipleStatements`, `dateStrings`, …). */
export function mysqlConnectionOptions(extra: ConnectionOptions = {}): ConnectionOptions {
  const url = new URL(testBed().mysqlUrl);
  return { host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), ...extra };
}
