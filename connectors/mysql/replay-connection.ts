import mysql from 'mysql2/promise';
import { ConfigError, LogtapError } from '../../src/errors.js';
import { mapDriverError, type ErrorContext } from './driver-errors.js';
import { mysqlEndpoint, parseMysqlSourceUrl } from './mysql-source-url.js';

/** A replay connection: UTC session (TIMESTAMP text in UTC), strict mode, zero dates allowed (MySQL's zero date replays). */
export interface ReplayConnection {
  connection: mysql.Connection;
  database: string;
  /** Maps a driver error to one line naming this server and what was being done. */
  fail(err: unknown, doing: string): LogtapError;
}

export async function openReplayConnection(url: string, role: 'source' | 'target'): Promise<ReplayConnection> {
  const settings = parseMysqlSourceUrl(url, 'logtap-replay');
  if (role === 'target' && !settings.database) throw new ConfigError('--target: a mysql:// target URL must name the database to rebuild the tables in (mysql://user:password@host:port/<database>)');
  const context: ErrorContext = { where: settings.where, user: settings.user };
  const fail = (err: unknown, doing: string): LogtapError => {
    const mapped = mapDriverError(err, context, doing);
    if (role === 'target') mapped.message = mapped.message.replace('MySQL source', 'MySQL replay target').replace('the source URL', 'the --target URL');
    return mapped;
  };
  let connection: mysql.Connection;
  try {
    connection = await mysql.createConnection({
      ...mysqlEndpoint(settings),
      // A target's database is created when missing (the namespace the tables go into), so it is chosen after connecting.
      ...(settings.database && role === 'source' ? { database: settings.database } : {}),
      connectTimeout: 10_000,
      charset: 'utf8mb4',
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      timezone: 'Z',
    });
    connection.on('error', () => {});
    // NO_AUTO_VALUE_ON_ZERO: a 0 written into an AUTO_INCREMENT column stays 0, as at the source.
    await connection.query("SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO'");
    if (role === 'target') await useTargetDatabase(connection, settings.database);
  } catch (err) {
    throw fail(err, role === 'target' ? 'connecting to the replay target' : 'connecting to read rows for --verify');
  }
  return { connection, database: settings.database, fail };
}

async function useTargetDatabase(connection: mysql.Connection, database: string): Promise<void> {
  const [rows] = await connection.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
  const quoted = `\`${database.replace(/`/g, '``')}\``;
  if ((rows as unknown[]).length === 0) await connection.query(`CREATE DATABASE IF NOT EXISTS ${quoted}`);
  await connection.query(`USE ${quoted}`);
}
