import { describe, expect, it } from 'vitest';
import { pgPositionOrder } from '../../connectors/postgres/position-order.js';
import { mysqlPositionOrder } from '../../connectors/mysql/position-order.js';
import { parseUntil, withinUntil } from '../../src/replay/replay-until.js';

const sorted = (order: typeof pgPositionOrder, tokens: string[]): string[] =>
  [...tokens].sort((a, b) => order.compare(order.parse(a), order.parse(b)));

describe('replay --until: position order', () => {
  it('orders PostgreSQL positions by commit LSN, then change; a complete position precedes the changes of the commit it names', () => {
    const inOrder = ['pg1:0/FF#1', 'pg1:0/FF#2', 'pg1:0/FF#10', 'pg1:0/100', 'pg1:0/100#1', 'pg1:1/0#1', 'pg1:00000001/00000001'];
    expect(sorted(pgPositionOrder, [...inOrder].reverse())).toEqual(inOrder);
    const until = parseUntil('pg1:0/100', pgPositionOrder);
    expect(withinUntil(until, pgPositionOrder, 'pg1:0/FF#10', undefined)).toBe(true);
    expect(withinUntil(until, pgPositionOrder, 'pg1:0/100#1', undefined)).toBe(false);
    const partial = parseUntil('pg1:0/100#2', pgPositionOrder);
    expect(withinUntil(partial, pgPositionOrder, 'pg1:0/100#2', undefined)).toBe(true);
    expect(withinUntil(partial, pgPositionOrder, 'pg1:0/100#3', undefined)).toBe(false);
  });

  it('orders MariaDB GTID positions by sequence, then change; a complete state covers its last transaction', () => {
    const inOrder = ['my1:gtid=0-1-41;in=0-1-42#1', 'my1:gtid=0-1-41;in=0-1-42#3', 'my1:gtid=0-1-42', 'my1:gtid=0-1-42;in=0-1-43#1', 'my1:gtid=0-1-99'];
    expect(sorted(mysqlPositionOrder, [...inOrder].reverse())).toEqual(inOrder);
    const until = parseUntil('my1:gtid=0-1-42', mysqlPositionOrder);
    expect(withinUntil(until, mysqlPositionOrder, 'my1:gtid=0-1-41;in=0-1-42#7', undefined)).toBe(true);
    expect(withinUntil(until, mysqlPositionOrder, 'my1:gtid=0-1-42;in=0-1-43#1', undefined)).toBe(false);
  });

  it('orders MySQL GTID sets by transaction number and file positions by file, offset and change', () => {
    const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    expect(sorted(mysqlPositionOrder, [`my1:gtid=${uuid}:1-9`, `my1:gtid=${uuid}:1-7;in=${uuid}:8#2`])).toEqual([`my1:gtid=${uuid}:1-7;in=${uuid}:8#2`, `my1:gtid=${uuid}:1-9`]);
    const files = ['my1:file=binlog.000001:900#1', 'my1:file=binlog.000002:4#0', 'my1:file=binlog.000002:4#1', 'my1:file=binlog.000002:120#1'];
    expect(sorted(mysqlPositionOrder, [...files].reverse())).toEqual(files);
  });
});

describe('replay --until: parsing', () => {
  it('reads ISO-8601 times with a zone, to the microsecond', () => {
    expect(parseUntil('2026-11-22T10:00:00Z', pgPositionOrder)).toMatchObject({ kind: 'time', micros: 1795341600000000n });
    expect(parseUntil('2026-11-22T11:00:00.123456+01:00', pgPositionOrder)).toMatchObject({ kind: 'time', micros: 1795341600123456n });
    expect(parseUntil('2026-11-22 10:00Z', pgPositionOrder)).toMatchObject({ kind: 'time', micros: 1795341600000000n });
  });

  it('includes a change committed exactly at the time, and a change with no commit time', () => {
    const until = parseUntil('2026-11-22T10:00:00Z', pgPositionOrder);
    expect(withinUntil(until, pgPositionOrder, 'pg1:0/1#1', 1795341600000000n)).toBe(true);
    expect(withinUntil(until, pgPositionOrder, 'pg1:0/1#1', 1795341600000001n)).toBe(false);
    expect(withinUntil(until, pgPositionOrder, 'pg1:0/1#1', undefined)).toBe(true);
  });

  it('refuses anything else in one line naming both accepted forms', () => {
    for (const text of ['yesterday', '2026-11-22', '2026-11-22T10:00:00', 'my1:gtid=0-1-42', '0/16B3748']) {
      expect(() => parseUntil(text, pgPositionOrder)).toThrow(/is neither an ISO-8601 time with a zone .* nor a source position \(e\.g\. pg1:/);
    }
    expect(() => parseUntil('pg1:0/1', mysqlPositionOrder)).toThrow(/e\.g\. my1:gtid=/);
  });
});
