import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from '../../src/errors.js';
import { type SnapshotProgress, compareTables, decodeProgress, encodeProgress, resumeKey, tablePublished } from '../../src/snapshot/snapshot-progress.js';
import { completePosition, partialPosition } from '../../connectors/postgres/pg-position.js';
import { type PgSnapshotPosition, isPgSnapshotToken, parseSnapshotPosition, snapshotPositionToken, toSnapshotSourcePosition } from '../../connectors/postgres/snapshot-position.js';
import { type MysqlSnapshotPosition, decodeMysqlSnapshotPosition, encodeMysqlSnapshotPosition, isMysqlSnapshotToken, toMysqlSnapshotSourcePosition } from '../../connectors/mysql/snapshot-position.js';

const orders = { namespace: 'public', name: 'orders' };

/**
 * Golden tokens: checkpoints taken inside a snapshot hold these exact strings, so each must keep decoding to the
 * same position (and encode back to itself). Never edit an entry; add new ones.
 */
const PG_GOLDEN: Array<[string, PgSnapshotPosition, string]> = [
  ['pgsnap1:pg1:0/16B3748|', { stream: completePosition(0x16b3748n), progress: null }, 'snapshot (then lsn 0/16B3748): nothing published yet'],
  ['pgsnap1:pg1:0/16B3748|["public","orders",["42"]]', { stream: completePosition(0x16b3748n), progress: { table: orders, after: ['42'] } }, 'snapshot (then lsn 0/16B3748): public.orders up to key (42)'],
  ['pgsnap1:pg1:1/0|["public","orders",true]', { stream: completePosition(1n << 32n), progress: { table: orders, done: true } }, 'snapshot (then lsn 1/0): public.orders done'],
  ['pgsnap1:pg1:0/10#3|["s|x","t\\"q",["a|b","2024-01-01 00:00:00+00"]]', { stream: partialPosition(0x10n, 3), progress: { table: { namespace: 's|x', name: 't"q' }, after: ['a|b', '2024-01-01 00:00:00+00'] } }, 'snapshot (then commit 0/10, 3 changes in): s|x.t"q up to key (a|b, 2024-01-01 00:00:00+00)'],
];

const MY_GOLDEN: Array<[string, MysqlSnapshotPosition]> = [
  ['mysnap1:my1:gtid=0-1-42|', { stream: { kind: 'gtid', executed: '0-1-42' }, progress: null }],
  ['mysnap1:my1:gtid=0-1-42|["shop","orders",["42"]]', { stream: { kind: 'gtid', executed: '0-1-42' }, progress: { table: { namespace: 'shop', name: 'orders' }, after: ['42'] } }],
  ['mysnap1:my1:gtid=|["shop","orders",true]', { stream: { kind: 'gtid', executed: '' }, progress: { table: { namespace: 'shop', name: 'orders' }, done: true } }],
  ['mysnap1:my1:file=bin%7Clog%253B.000003:4567#0|["shop","t",["x"]]', { stream: { kind: 'file', file: 'bin|log;.000003', offset: 4567, published: 0 }, progress: { table: { namespace: 'shop', name: 't' }, after: ['x'] } }],
];

describe('snapshot positions', () => {
  it('PostgreSQL: golden tokens decode to the same position and encode back to themselves', () => {
    for (const [token, position, display] of PG_GOLDEN) {
      expect(parseSnapshotPosition(token), token).toEqual(position);
      expect(snapshotPositionToken(position)).toBe(token);
      expect(toSnapshotSourcePosition(position).display).toBe(display);
      expect(isPgSnapshotToken(token)).toBe(true);
    }
    expect(isPgSnapshotToken('pg1:0/16B3748')).toBe(false);
  });

  it('MySQL: golden tokens decode to the same position and encode back to themselves', () => {
    for (const [token, position] of MY_GOLDEN) {
      expect(decodeMysqlSnapshotPosition(token), token).toEqual(position);
      expect(encodeMysqlSnapshotPosition(position)).toBe(token);
      expect(isMysqlSnapshotToken(token)).toBe(true);
    }
    expect(toMysqlSnapshotSourcePosition(MY_GOLDEN[1]![1]).display).toBe('snapshot (then gtid 0-1-42): shop.orders up to key (42)');
    expect(isMysqlSnapshotToken('my1:gtid=0-1-42')).toBe(false);
  });

  it('round-trips any progress, whatever characters the names and keys hold', () => {
    const text = fc.string({ unit: 'binary' });
    const progress: fc.Arbitrary<SnapshotProgress | null> = fc.oneof(
      fc.constant(null),
      fc.record({ table: fc.record({ namespace: text, name: text }), after: fc.array(text, { minLength: 1, maxLength: 3 }) }),
      fc.record({ table: fc.record({ namespace: text, name: text }), done: fc.constant(true as const) }),
    );
    fc.assert(fc.property(progress, fc.string({ unit: 'binary' }), (p, file) => {
      expect(decodeProgress(encodeProgress(p))).toEqual(p);
      const pg: PgSnapshotPosition = { stream: completePosition(0x1234n), progress: p };
      expect(parseSnapshotPosition(snapshotPositionToken(pg))).toEqual(pg);
      if (file.length > 0) {
        const my: MysqlSnapshotPosition = { stream: { kind: 'file', file, offset: 4, published: 0 }, progress: p };
        expect(decodeMysqlSnapshotPosition(encodeMysqlSnapshotPosition(my))).toEqual(my);
      }
    }));
  });

  it('refuses what is not a snapshot position with a ConfigError naming the token', () => {
    for (const bad of ['pg1:0/1', 'pgsnap1:pg1:0/1', 'pgsnap1:pg1:0/1|{', 'pgsnap1:pg1:0/1|["a","b",[]]', 'pgsnap1:pg1:0/1|["a","b",[1]]', 'pgsnap1:x|', 'pgsnap2:pg1:0/1|']) {
      expect(() => parseSnapshotPosition(bad), bad).toThrow(ConfigError);
    }
    expect(() => parseSnapshotPosition('pgsnap1:pg1:0/1|["a"]')).toThrow(/checkpoint position "pgsnap1:pg1:0\/1\|\[\\"a\\"\]" is not a PostgreSQL snapshot position/);
    for (const bad of ['my1:gtid=0-1-1', 'mysnap1:my1:gtid=0-1-1', 'mysnap1:my9:gtid=|', 'mysnap1:my1:gtid=0-1-1|["a","b",false]']) {
      expect(() => decodeMysqlSnapshotPosition(bad), bad).toThrow(ConfigError);
    }
  });
});

describe('snapshot progress', () => {
  const a = { namespace: 'public', name: 'a' };
  const b = { namespace: 'public', name: 'b' };
  const c = { namespace: 'public', name: 'c' };

  it('orders tables by namespace.table, the same on every run', () => {
    expect([c, a, b].sort(compareTables)).toEqual([a, b, c]);
    expect(compareTables({ namespace: 'x', name: 'Z' }, { namespace: 'x', name: 'a' })).toBeLessThan(0);
  });

  it('skips the tables before the progress point and resumes its table after the key', () => {
    const inB: SnapshotProgress = { table: b, after: ['7'] };
    expect([a, b, c].map((t) => tablePublished(t, inB))).toEqual([true, false, false]);
    expect([a, b, c].map((t) => resumeKey(t, inB))).toEqual([null, ['7'], null]);
    const bDone: SnapshotProgress = { table: b, done: true };
    expect([a, b, c].map((t) => tablePublished(t, bDone))).toEqual([true, true, false]);
    expect([a, b, c].map((t) => tablePublished(t, null))).toEqual([false, false, false]);
    expect(resumeKey(b, null)).toBeNull();
  });
});
