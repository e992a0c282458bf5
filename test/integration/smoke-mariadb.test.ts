import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import ZongJi from '@vlasky/zongji';
import type { AnyBinlogEvent, MariadbGtidEvent, WriteRowsEvent } from '@vlasky/zongji';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';

// Proves the test bed's MariaDB writes a ROW binlog with GTIDs that zongji can tail.
describe('test bed: MariaDB binlog', () => {
  const url = new URL(testBed().mysqlUrl);
  const connection = { host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  const database = uniqueName('smoke');
  let sql: mysql.Connection;
  let zongji: ZongJi | undefined;

  beforeAll(async () => {
    sql = await mysql.createConnection(connection);
    await sql.query(`CREATE DATABASE ${database}`);
    await sql.query(`CREATE TABLE ${database}.items (id INT PRIMARY KEY, price DECIMAL(12,4) NOT NULL, at DATETIME(6) NOT NULL)`);
  });

  afterAll(async () => {
    if (zongji) await new Promise<void>((done) => { zongji!.once('stopped', () => done()); zongji!.stop(); setTimeout(done, 2000); });
    await sql.query(`DROP DATABASE IF EXISTS ${database}`);
    await sql.end();
  });

  it('runs with a ROW binlog, full row images and full row metadata', async () => {
    const [rows] = await sql.query<mysql.RowDataPacket[]>(
      "SELECT @@log_bin AS log_bin, @@binlog_format AS format, @@binlog_row_image AS image, @@binlog_row_metadata AS metadata");
    expect(rows[0]).toEqual({ log_bin: 1, format: 'ROW', image: 'FULL', metadata: 'FULL' });
  });

  it('delivers a writerows event with its GTID and binlog position', async () => {
    const [status] = await sql.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
    const startFile = status[0]!.File as string;
    const startPosition = Number(status[0]!.Position);

    const events: AnyBinlogEvent[] = [];
    zongji = new ZongJi({ ...connection, dateStrings: true });
    zongji.on('binlog', (event: AnyBinlogEvent) => events.push(event));
    zongji.on('error', () => {}); // the wait below reports a failure with context
    const ready = new Promise<void>((done) => zongji!.once('ready', () => done()));
    zongji.start({
      serverId: 1000 + Math.floor(Math.random() * 100000),
      filename: startFile,
      position: startPosition,
      includeEvents: ['rotate', 'mariadbgtid', 'tablemap', 'writerows', 'xid'],
      includeSchema: { [database]: true },
    });
    await ready;

    await sql.query(`INSERT INTO ${database}.items VALUES (7, 12345678.9012, '2024-02-29 23:59:59.123456')`);
    const [gtidRows] = await sql.query<mysql.RowDataPacket[]>('SELECT @@gtid_binlog_pos AS pos');
    const gtidAfterInsert = gtidRows[0]!.pos as string;

    const write = await waitFor('the writerows event', () => events.find((e): e is WriteRowsEvent => e.getEventName() === 'writerows'));
    expect(write.rows).toEqual([{ id: 7, price: '12345678.9012', at: '2024-02-29 23:59:59.123456' }]);
    expect(write.nextPosition).toBeGreaterThan(startPosition);

    const gtidEvent = events.find((e): e is MariadbGtidEvent => e.getEventName() === 'mariadbgtid' && events.indexOf(e) < events.indexOf(write));
    expect(gtidEvent?.gtid).toBe(gtidAfterInsert);
    expect(write.gtid).toBe(gtidAfterInsert);
  });
});
