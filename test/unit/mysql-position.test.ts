import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  decodeMysqlPosition,
  describeMysqlPosition,
  encodeMysqlPosition,
  isComplete,
  toSourcePosition,
  type MysqlPosition,
} from '../../connectors/mysql/mysql-position.js';
import { parseGtid, parseGtidState } from '../../connectors/mysql/gtid-set.js';

const UUID_A = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const UUID_B = '2c256447-3f0d-431b-9a25-bddf1f1f6ef6';

/**
 * Golden tokens: checkpoints written by any release hold these exact strings, so each must keep decoding to the
 * same position (and encode back to itself). Never edit an entry; add new ones.
 */
const GOLDEN: Array<[token: string, position: MysqlPosition, display: string]> = [
  ['my1:gtid=0-1-42', { kind: 'gtid', executed: '0-1-42' }, 'gtid 0-1-42'],
  ['my1:gtid=0-1-42;in=0-1-43#3', { kind: 'gtid', executed: '0-1-42', inTransaction: { gtid: '0-1-43', published: 3 } }, 'gtid 0-1-42 + 3 change(s) of 0-1-43'],
  ['my1:gtid=0-1-42,1-3-7', { kind: 'gtid', executed: '0-1-42,1-3-7' }, 'gtid 0-1-42,1-3-7'],
  ['my1:gtid=0-1-18446744073709551615;in=1-2-1#1', { kind: 'gtid', executed: '0-1-18446744073709551615', inTransaction: { gtid: '1-2-1', published: 1 } }, 'gtid 0-1-18446744073709551615 + 1 change(s) of 1-2-1'],
  ['my1:gtid=', { kind: 'gtid', executed: '' }, 'gtid (empty)'],
  ['my1:gtid=;in=0-1-1#50000', { kind: 'gtid', executed: '', inTransaction: { gtid: '0-1-1', published: 50000 } }, 'gtid (empty) + 50000 change(s) of 0-1-1'],
  [`my1:gtid=${UUID_A}:1-42`, { kind: 'gtid', executed: `${UUID_A}:1-42` }, `gtid ${UUID_A}:1-42`],
  [
    `my1:gtid=${UUID_B}:1-27,${UUID_A}:1-5:11-18;in=${UUID_A}:19#2`,
    { kind: 'gtid', executed: `${UUID_B}:1-27,${UUID_A}:1-5:11-18`, inTransaction: { gtid: `${UUID_A}:19`, published: 2 } },
    `gtid ${UUID_B}:1-27,${UUID_A}:1-5:11-18 + 2 change(s) of ${UUID_A}:19`,
  ],
  [`my1:gtid=${UUID_A}:1-5:tag_a:1-3;in=${UUID_A}:tag_a:4#7`,
    { kind: 'gtid', executed: `${UUID_A}:1-5:tag_a:1-3`, inTransaction: { gtid: `${UUID_A}:tag_a:4`, published: 7 } },
    `gtid ${UUID_A}:1-5:tag_a:1-3 + 7 change(s) of ${UUID_A}:tag_a:4`],
  ['my1:file=binlog.000003:4567#0', { kind: 'file', file: 'binlog.000003', offset: 4567, published: 0 }, 'binlog.000003:4567'],
  ['my1:file=binlog.000003:4567#3', { kind: 'file', file: 'binlog.000003', offset: 4567, published: 3 }, 'binlog.000003:4567 + 3 change(s)'],
  ['my1:file=mysql-bin.000001:4#0', { kind: 'file', file: 'mysql-bin.000001', offset: 4, published: 0 }, 'mysql-bin.000001:4'],
  ['my1:file=host:7-bin.000012:5000000000#1', { kind: 'file', file: 'host:7-bin.000012', offset: 5000000000, published: 1 }, 'host:7-bin.000012:5000000000 + 1 change(s)'],
  ['my1:file=odd%23%3B%3D%25%20name.000001:120#0', { kind: 'file', file: 'odd#;=% name.000001', offset: 120, published: 0 }, 'odd#;=% name.000001:120'],
];

describe('MySQL position tokens', () => {
  for (const [token, position, display] of GOLDEN) {
    it(`decodes and re-encodes the golden token ${token}`, () => {
      expect(decodeMysqlPosition(token)).toEqual(position);
      expect(encodeMysqlPosition(position)).toBe(token);
      expect(describeMysqlPosition(position)).toBe(display);
      expect(toSourcePosition(position)).toEqual({ token, display });
    });
  }

  it('tells complete positions from partial ones', () => {
    expect(isComplete(decodeMysqlPosition('my1:gtid=0-1-42'))).toBe(true);
    expect(isComplete(decodeMysqlPosition('my1:gtid=0-1-42;in=0-1-43#3'))).toBe(false);
    expect(isComplete(decodeMysqlPosition('my1:file=binlog.000003:4567#0'))).toBe(true);
    expect(isComplete(decodeMysqlPosition('my1:file=binlog.000003:4567#1'))).toBe(false);
  });

  it.each([
    ['', 'expected my1:gtid=… or my1:file=…'],
    ['pg1:0/16B3748', 'expected my1:gtid=… or my1:file=…'],
    ['my2:gtid=0-1-1', 'version my2 is newer than this logtap understands'],
    ['my1:lsn=1', 'expected gtid= or file='],
    ['my1:gtid=0-1', 'invalid GTID'],
    ['my1:gtid=0-1-1,0-2-5', 'names domain 0 twice'],
    ['my1:gtid=0-1-1;in=0-1-2', 'expected ;in=<gtid>#<changes>'],
    ['my1:gtid=0-1-1;in=0-1-2#0', 'at least one published change'],
    ['my1:gtid=0-1-1;in=0-1-2#1;in=0-1-3#1', 'more than one ;in= part'],
    [`my1:gtid=0-1-1;in=${UUID_A}:2#1`, "not of the state's flavour"],
    [`my1:gtid=${UUID_A}:0`, 'out of range'],
    [`my1:gtid=${UUID_A}:5-3`, 'invalid GTID interval'],
    ['my1:gtid=nothex:1-3', 'invalid server UUID'],
    ['my1:file=binlog.000003#0', 'expected file=<name>:<offset>#<changes>'],
    ['my1:file=binlog.000003:12', 'expected file=<name>:<offset>#<changes>'],
    ['my1:file=bin log.000003:12#0', 'unescaped separator'],
    ['my1:file=binlog.000003:99999999999999999999#0', 'out of range'],
  ])('refuses %j with a ConfigError (%s)', (token, why) => {
    expect(() => decodeMysqlPosition(token)).toThrow(ConfigError);
    expect(() => decodeMysqlPosition(token)).toThrow(why);
  });
});

describe('GTID states', () => {
  it('keeps a MariaDB position as the last transaction per domain, domains in order', () => {
    const state = parseGtidState('1-3-7,0-1-42');
    expect(state.flavour).toBe('mariadb');
    expect(state.toString()).toBe('0-1-42,1-3-7');
    state.add('0-1-43');
    state.add('2-1-1');
    expect(state.toString()).toBe('0-1-43,1-3-7,2-1-1');
    // After a failover the new server's lower sequence number replaces the old entry.
    state.add('1-9-2');
    expect(state.toString()).toBe('0-1-43,1-9-2,2-1-1');
  });

  it('keeps a MySQL set as coalesced intervals per source, in MySQL\'s own form', () => {
    const state = parseGtidState(`${UUID_A.toUpperCase()}:1-5:11-18,${UUID_B}:1-27`);
    expect(state.flavour).toBe('mysql');
    expect(state.toString()).toBe(`${UUID_B}:1-27,${UUID_A}:1-5:11-18`);
    state.add(`${UUID_A}:6`);
    expect(state.toString()).toBe(`${UUID_B}:1-27,${UUID_A}:1-6:11-18`);
    for (let gno = 7; gno <= 10; gno++) state.add(`${UUID_A}:${gno}`);
    expect(state.toString()).toBe(`${UUID_B}:1-27,${UUID_A}:1-18`);
    state.add(`${UUID_A}:20`);
    state.add(`${UUID_A}:tag_b:1`);
    state.add(`${UUID_A}:TAG_A:2`);
    expect(state.toString()).toBe(`${UUID_B}:1-27,${UUID_A}:1-18:20:tag_a:2:tag_b:1`);
    expect(parseGtidState(state.toString()).toString()).toBe(state.toString());
  });

  it('lets the first GTID decide the flavour of an empty state, and clones independently', () => {
    const empty = parseGtidState('');
    expect(empty.flavour).toBeUndefined();
    expect(empty.isEmpty()).toBe(true);
    const copy = empty.clone();
    empty.add(`${UUID_A}:1`);
    expect(empty.toString()).toBe(`${UUID_A}:1`);
    expect(copy.toString()).toBe('');
    copy.add('0-1-5');
    expect(copy.toString()).toBe('0-1-5');
  });

  it('refuses to mix flavours', () => {
    expect(() => parseGtidState('0-1-5', 'mysql')).toThrow('is a mariadb GTID state, the server is mysql');
    expect(() => parseGtidState('0-1-5').add(`${UUID_A}:1`)).toThrow('cannot add MySQL GTID');
    expect(() => parseGtidState(`${UUID_A}:1`).add('0-1-5')).toThrow('cannot add MariaDB GTID');
  });

  it('parses single GTIDs of both flavours exactly', () => {
    expect(parseGtid('0-1-18446744073709551615')).toEqual({ flavour: 'mariadb', domain: 0, server: 1, seq: 18446744073709551615n });
    expect(parseGtid(`${UUID_A}:tag:9223372036854775807`)).toEqual({ flavour: 'mysql', uuid: UUID_A, tag: 'tag', gno: 9223372036854775807n });
    expect(() => parseGtid('0-1-18446744073709551616')).toThrow('out of range');
    expect(() => parseGtid(`${UUID_A}:9223372036854775808`)).toThrow('out of range');
  });
});
