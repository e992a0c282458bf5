import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import type { Logger } from '../../src/logger.js';
import { mapDriverError, type ErrorContext } from './driver-errors.js';
import { mysqlEndpoint, type MysqlSourceSettings } from './mysql-source-url.js';

/** How often a standby tries the lock again. */
const STANDBY_POLL_MS = 1_000;

/** A held instance lock: released by `release()`, or by the server when the holder's connection dies. */
export interface InstanceLock {
  release(): Promise<void>;
}

/**
 * One streaming instance per connector name, by a server-side named lock (GET_LOCK) held on a connection of
 * its own: MySQL keeps no slot that only one reader can hold, but a named lock is freed the moment its
 * holder's connection ends (crash, kill -9), so a standby polling it takes over then. Resolves with the lock,
 * or with null when `signal` aborts first.
 */
export async function acquireInstanceLock(settings: MysqlSourceSettings, connectorName: string, log: Logger, signal: AbortSignal): Promise<InstanceLock | null> {
  const errors: ErrorContext = { where: settings.where, user: settings.user };
  let connection: mysql.Connection;
  try {
    connection = await mysql.createConnection({ ...mysqlEndpoint(settings), connectTimeout: 10_000 });
  } catch (err) {
    throw mapDriverError(err, errors, 'connecting');
  }
  connection.on('error', () => {}); // a lost lock connection shows when the stream's own connections fail, or by fencing
  const name = lockName(connectorName);
  let waiting = false;
  try {
    while (!signal.aborted) {
      const [rows] = await connection.query('SELECT GET_LOCK(?, 0) AS got', [name]) as unknown as [Array<{ got: number | null }>];
      if (rows[0]?.got === 1) {
        if (waiting) log.info({}, 'the instance lock is free: taking over');
        return { release: () => connection.end().catch(() => connection.destroy()) };
      }
      if (!waiting) log.info({ lock: name }, 'standby: another instance with this name streams (it holds the instance lock); waiting to take over');
      waiting = true;
      await sleep(STANDBY_POLL_MS, undefined, { signal }).catch(() => {});
    }
  } catch (err) {
    connection.destroy();
    throw mapDriverError(err, errors, 'taking the instance lock');
  }
  connection.destroy();
  return null;
}

/** Who holds this connector's instance lock now (IS_USED_LOCK: the holder's connection id), or null when it is free. */
export async function instanceLockHolder(settings: MysqlSourceSettings, connectorName: string): Promise<{ lock: string; connection: string } | null> {
  const errors: ErrorContext = { where: settings.where, user: settings.user };
  const name = lockName(connectorName);
  let connection: mysql.Connection | undefined;
  try {
    connection = await mysql.createConnection({ ...mysqlEndpoint(settings), connectTimeout: 10_000 });
    const [rows] = await connection.query('SELECT IS_USED_LOCK(?) AS holder', [name]) as unknown as [Array<{ holder: number | string | null }>];
    const holder = rows[0]?.holder ?? null;
    return holder === null ? null : { lock: name, connection: String(holder) };
  } catch (err) {
    throw mapDriverError(err, errors, 'looking at the instance lock');
  } finally {
    await connection?.end().catch(() => connection?.destroy());
  }
}

/** `logtap:<name>`, within the 64 characters a lock name may have. */
export function lockName(connectorName: string): string {
  const full = `logtap:${connectorName}`;
  return full.length <= 64 ? full : `logtap:${createHash('sha256').update(connectorName).digest('hex').slice(0, 56)}`;
}
