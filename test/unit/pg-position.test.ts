import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from '../../src/errors.js';
import { compareLsn, formatLsn, parseLsn } from '../../connectors/postgres/lsn.js';
import {
  completePosition,
  coveredBelow,
  parsePosition,
  partialPosition,
  partialPositions,
  positionDisplay,
  positionToken,
  toSourcePosition,
} from '../../connectors/postgres/pg-position.js';

describe('LSN', () => {
  it('reads both spellings to the same 64-bit number', () => {
    expect(parseLsn('0/177AD38')).toBe(0x177ad38n);
    expect(parseLsn('00000000/0177AD38')).toBe(0x177ad38n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe((1n << 64n) - 1n);
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('a/b')).toBe((0xan << 32n) | 0xbn);
  });

  it("writes PostgreSQL's own spelling", () => {
    expect(formatLsn(0x177ad38n)).toBe('0/177AD38');
    expect(formatLsn((0x16n << 32n) | 0xb374d848n)).toBe('16/B374D848');
    expect(formatLsn(0n)).toBe('0/0');
    expect(() => formatLsn(-1n)).toThrow(RangeError);
    expect(() => formatLsn(1n << 64n)).toThrow(RangeError);
  });

  it('reads and writes every 64-bit value as the BigInt arithmetic does (both sides of 2^53)', () => {
    const spelled = (lsn: bigint) => `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
    const lsns = fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: (1n << 53n) - 3n, max: (1n << 53n) + 3n }), fc.bigInt({ min: 0n, max: 1n << 40n }));
    fc.assert(fc.property(lsns, fc.boolean(), (lsn, padded) => {
      expect(formatLsn(lsn)).toBe(spelled(lsn));
      const [high, low] = spelled(lsn).split('/') as [string, string];
      const text = padded ? `${high.padStart(8, '0')}/${low.padStart(8, '0').toLowerCase()}` : spelled(lsn);
      expect(parseLsn(text)).toBe(lsn);
    }), { numRuns: 2000 });
  });

  it('refuses what is not an LSN', () => {
    for (const bad of ['', '0', '/1', '1/', '0/1/2', '0/G', '123456789/0', ' 0/1', '0/1 ', '-1/0', '0x1/0']) {
      expect(() => parseLsn(bad), bad).toThrow(/not a PostgreSQL LSN/);
    }
  });

  it('orders as numbers where the texts would not (padding, digit count)', () => {
    expect(compareLsn(parseLsn('0/9'), parseLsn('0/10'))).toBe(-1);
    expect(compareLsn(parseLsn('00000000/0177AD38'), parseLsn('0/177AD38'))).toBe(0);
    expect(compareLsn(parseLsn('1/0'), parseLsn('0/FFFFFFFF'))).toBe(1);
  });

  it('round-trips every 64-bit value', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (lsn) => parseLsn(formatLsn(lsn)) === lsn));
  });
});

describe('PostgreSQL position tokens', () => {
  // Golden tokens: written by released versions, they must keep parsing to the same meaning. Never edit
  // these lines; a new shape gets a new version prefix and new lines.
  const GOLDEN: Array<[token: string, meaning: ReturnType<typeof parsePosition>, display: string]> = [
    ['pg1:0/16B3780', { kind: 'complete', lsn: 0x16b3780n }, 'lsn 0/16B3780'],
    ['pg1:0/16B3748#3', { kind: 'partial', commitLsn: 0x16b3748n, changes: 3 }, 'commit 0/16B3748, 3 changes in'],
    ['pg1:0/16B3748#1', { kind: 'partial', commitLsn: 0x16b3748n, changes: 1 }, 'commit 0/16B3748, 1 change in'],
    ['pg1:16/B374D848', { kind: 'complete', lsn: (0x16n << 32n) | 0xb374d848n }, 'lsn 16/B374D848'],
    ['pg1:FFFFFFFF/FFFFFFFF#9007199254740991', { kind: 'partial', commitLsn: (1n << 64n) - 1n, changes: Number.MAX_SAFE_INTEGER }, 'commit FFFFFFFF/FFFFFFFF, 9007199254740991 changes in'],
  ];

  it.each(GOLDEN)('%s keeps its meaning', (token, meaning, display) => {
    const parsed = parsePosition(token);
    expect(parsed).toEqual(meaning);
    expect(positionToken(parsed)).toBe(token);
    expect(positionDisplay(parsed)).toBe(display);
    expect(toSourcePosition(parsed)).toEqual({ token, display });
  });

  it('also reads padded and lower-case LSNs (and writes them canonically)', () => {
    expect(parsePosition('pg1:00000000/016b3780')).toEqual(completePosition(0x16b3780n));
    expect(positionToken(parsePosition('pg1:00000000/016b3748#12'))).toBe('pg1:0/16B3748#12');
  });

  it('refuses tokens of other connectors, other versions and malformed ones with a ConfigError', () => {
    const bad = ['', 'pg1:', 'pg2:0/16B3780', 'pg1:0/16B3780#0', 'pg1:0/16B3780#', 'pg1:0/16B3780#-1', 'pg1:0/16B3780#01',
      'pg1:0/16B3780#99999999999999999', 'mysql1:{"file":"binlog.000001","pos":4}', 'pg1:0/16B3780 ', 'PG1:0/16B3780'];
    for (const token of bad) expect(() => parsePosition(token), token).toThrow(ConfigError);
  });

  it('round-trips any position', () => {
    const lsn = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    const position = fc.oneof(
      lsn.map(completePosition),
      fc.tuple(lsn, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })).map(([l, k]) => partialPosition(l, k)),
    );
    fc.assert(fc.property(position, (p) => {
      expect(parsePosition(positionToken(p))).toEqual(p);
    }));
  });

  it('formats the positions of one transaction alike, once per transaction', () => {
    const of = partialPositions(0x16b3748n);
    for (const k of [1, 2, 3, 1000]) expect(of(k)).toEqual(toSourcePosition(partialPosition(0x16b3748n, k)));
    expect(() => of(0)).toThrow(RangeError);
  });

  it('a partial position counts at least one change', () => {
    expect(() => partialPosition(1n, 0)).toThrow(RangeError);
    expect(() => partialPosition(1n, 1.5)).toThrow(RangeError);
  });

  it('covers the commits below its LSN (a partial one: below its transaction)', () => {
    expect(coveredBelow(parsePosition('pg1:0/16B3780'))).toBe(0x16b3780n);
    expect(coveredBelow(parsePosition('pg1:0/16B3748#3'))).toBe(0x16b3748n);
  });
});
