import mysql from 'mysql2/promise';
import { queryRunnerOf, type MysqlQueryRunner } from './introspect-columns.js';
import { mapDriverError, type ErrorContext } from './driver-errors.js';
import { mysqlEndpoint, type MysqlSourceSettings } from './mysql-source-url.js';
import { readServerSettings, type ServerSettings } from './server-settings.js';

/** The control side of a source: a small pool for status queries and introspection, and what the server runs with. */
export interface SourceSession {
  runner: MysqlQueryRunner;
  server: ServerSettings;
  errors: ErrorContext;
  close(): Promise<void>;
}

/** Connects (a pool reconnects by itself, so an idle control connection dropped by wait_timeout costs nothing). */
export async function openSourceSession(settings: MysqlSourceSettings): Promise<SourceSession> {
  const errors: ErrorContext = { where: settings.where, user: settings.user };
  const pool = mysql.createPool({
    ...mysqlEndpoint(settings),
    connectionLimit: 2,
    maxIdle: 1,
    connectTimeout: 10_000,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
  });
  pool.on('connection', (connection) => connection.on('error', () => {})); // reported by the query that meets it
  const raw = queryRunnerOf(pool);
  const runnerDoing = (doing: string): MysqlQueryRunner => ({
    async query(sql, values) {
      try {
        return await raw.query(sql, values);
      } catch (err) {
        throw mapDriverError(err, errors, doing);
      }
    },
  });
  const runner = runnerDoing('querying the server');
  try {
    const server = await readServerSettings(runnerDoing('connecting'));
    errors.isMariaDb = server.isMariaDb;
    return { runner, server, errors, close: () => pool.end().catch(() => {}) };
  } catch (err) {
    await pool.end().catch(() => {});
    throw mapDriverError(err, errors, 'connecting');
  }
}
