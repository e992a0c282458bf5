import { describe, expect, it } from 'vitest';
import { ConfigError, ConnectionError, LogtapError, PositionLostError } from '../../src/errors.js';
import { mapDriverError } from '../../connectors/mysql/driver-errors.js';

const context = { where: 'db:3306', user: 'cdc', isMariaDb: true };
const driverError = (fields: Record<string, unknown>) => Object.assign(new Error(String(fields.message ?? '')), fields);

describe('MySQL driver errors', () => {
  it.each([
    [{ code: 'ER_ACCESS_DENIED_ERROR', errno: 1045, message: "Access denied for user 'cdc'@'10.0.0.1' (using password: YES)" }, ConfigError, false, "access denied for user 'cdc' (connecting): check the user name and password"],
    [{ code: 'ECONNREFUSED', errno: -111, fatal: true, message: 'connect ECONNREFUSED 10.0.0.2:3306' }, ConnectionError, true, 'connection refused'],
    [{ code: 'ENOTFOUND', fatal: true, message: 'getaddrinfo ENOTFOUND db' }, ConnectionError, true, 'host name not resolved'],
    [{ code: 'PROTOCOL_CONNECTION_LOST', fatal: true, message: 'Connection lost: The server closed the connection.' }, ConnectionError, true, 'the server closed the connection'],
    [{ code: 'ER_SERVER_SHUTDOWN', errno: 1053, message: 'Server shutdown in progress' }, ConnectionError, true, 'Server shutdown in progress'],
    [{ errno: 1927, message: 'Connection was killed' }, ConnectionError, true, 'Connection was killed'],
    [{ errno: 1227, message: 'Access denied; you need (at least one of) the REPLICATION SLAVE privilege(s) for this operation' }, ConfigError, false, "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'cdc'@'%'"],
    [{ errno: 1236, message: 'Could not find first log file name in binary log index file' }, PositionLostError, false, 'no longer holds the binlog from the checkpoint on'],
    [{ errno: 1236, message: 'Could not find GTID state requested by slave in any binlog files. Probably the slave state is too old and required binlog files have been purged.' }, PositionLostError, false, 'To recover: delete the connector\'s checkpoint'],
    [{ errno: 1236, message: "Error: connecting slave requested to start from GTID 0-1-999999, which is not in the master's binlog" }, PositionLostError, false, 'GTID 0-1-999999'],
    [{ errno: 1236, message: 'The slave is connecting using CHANGE MASTER TO MASTER_AUTO_POSITION = 1, but the master has purged binary logs containing GTIDs that the slave requires.' }, PositionLostError, false, 'purged'],
    [{ errno: 4052, fatal: true, message: 'A slave with the same server_uuid/server_id is already connected' }, ConnectionError, true, "another replica connected with this connector's server id"],
    [{ errno: 1236, message: "bogus data in log event; the first event 'binlog.000002' at 5" }, LogtapError, false, 'refused to stream the binlog: bogus data'],
    [{ errno: 1049, message: "Unknown database 'shop'" }, ConfigError, false, 'check the database in the source URL'],
  ])('%j', (fields, type, retriable, text) => {
    const mapped = mapDriverError(driverError(fields), context, 'connecting');
    expect(mapped).toBeInstanceOf(type);
    expect(mapped.retriable).toBe(retriable);
    expect(mapped.message).toContain(text);
    expect(mapped.message).toContain('db:3306');
    expect(mapped.message).not.toContain('\n');
    expect(mapped.cause).toBeDefined();
  });

  it('never shows a password that a driver message carries, and passes LogtapErrors through', () => {
    const mapped = mapDriverError(driverError({ errno: 9999, message: 'failed for mysql://cdc:hunter2@db/shop\nsecond line' }), context, 'x');
    expect(mapped.message).not.toContain('hunter2');
    expect(mapped.message).not.toContain('\n');
    const own = new ConfigError('mine');
    expect(mapDriverError(own, context, 'x')).toBe(own);
  });

  it('names MySQL\'s grants on MySQL', () => {
    const mapped = mapDriverError(driverError({ errno: 1227, message: 'Access denied' }), { ...context, isMariaDb: false }, 'x');
    expect(mapped.message).toContain('GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.*');
  });
});
