import { describe, expect, it } from 'vitest';
import { parseUserPosition as parsePg, slotRefusal } from '../../connectors/postgres/user-position.js';
import { parseUserPosition as parseMysql } from '../../connectors/mysql/user-position.js';
import { ConfigError } from '../../src/errors.js';
import type { SlotState } from '../../connectors/postgres/slot.js';

const slot = (confirmed: bigint | null): SlotState => ({
  name: 's', plugin: 'pgoutput', slotType: 'logical', database: 'd', active: false, activePid: null, walStatus: 'reserved',
  restartLsn: 0n, confirmedFlushLsn: confirmed, retainedBytes: null,
});

describe('positions a user gives logtap offsets set', () => {
  it('PostgreSQL: an LSN in either spelling, or a checkpoint token, becomes the connector\'s token', () => {
    expect(parsePg('0/16B3748')).toEqual({ token: 'pg1:0/16B3748', display: 'lsn 0/16B3748' });
    expect(parsePg(' 00000000/016B3748 ')).toEqual({ token: 'pg1:0/16B3748', display: 'lsn 0/16B3748' });
    expect(parsePg('pg1:0/16B3748#3').token).toBe('pg1:0/16B3748#3');
  });

  it('PostgreSQL: anything else is a ConfigError naming the expected form', () => {
    for (const text of ['', 'garbage', '16B3748', '0/16B3748#2', 'my1:gtid=0-1-2', '1/2/3']) {
      expect(() => parsePg(text)).toThrow(ConfigError);
    }
    expect(() => parsePg('nope')).toThrow('position "nope" is not a PostgreSQL position: give an LSN such as 0/16B3748');
  });

  it('PostgreSQL: a slot never goes back, and without a slot no checkpoint resumes', () => {
    const at = parsePg('0/2000');
    expect(slotRefusal(slot(0x2000n), 's', at)).toBeNull();
    expect(slotRefusal(slot(0x1000n), 's', at)).toBeNull();
    expect(slotRefusal(slot(0x3000n), 's', at)).toBe('replication slot s has confirmed the WAL up to 0/3000 and cannot go back to 0/2000: give a position at or after 0/3000');
    expect(slotRefusal(null, 's', at)).toMatch(/replication slot s does not exist: .*logtap offsets reset/);
  });

  it('MySQL: file:offset, a MariaDB or MySQL GTID set, or a checkpoint token', () => {
    expect(parseMysql('mysql-bin.000003:4567')).toEqual({ token: 'my1:file=mysql-bin.000003:4567#0', display: 'mysql-bin.000003:4567' });
    expect(parseMysql('0-1-42,1-2-7').token).toBe('my1:gtid=0-1-42,1-2-7');
    expect(parseMysql('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-42').token).toBe('my1:gtid=3e11fa47-71ca-11e1-9e33-c80aa9429562:1-42');
    expect(parseMysql('my1:gtid=0-1-42;in=0-1-43#3').token).toBe('my1:gtid=0-1-42;in=0-1-43#3');
  });

  it('MySQL: anything else is a ConfigError naming every form', () => {
    for (const text of ['', 'garbage', 'mysql-bin.000003:', 'mysql-bin.000003:2', '0-1', 'my2:gtid=']) {
      expect(() => parseMysql(text)).toThrow(ConfigError);
    }
    expect(() => parseMysql('nope')).toThrow(/position "nope" is not a MySQL\/MariaDB position: give binlog-file:offset .* a GTID set .* or a my1: token/);
  });
});
