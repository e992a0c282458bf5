import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Row } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import { RowHasher, checksumRows, firstDifferingKey, hashesByKey } from '../../src/replay/table-checksum.js';
import { verifyLine, verifySummary, verifyTable } from '../../src/replay/replay-verify.js';
import type { TableRowReader } from '../../src/replay/replay-target.js';
import { EXIT, VERIFY_DIFFERS, reportFailure } from '../../src/cli/exit-codes.js';
import { LogtapError } from '../../src/errors.js';
import { conformValue } from '../../src/replay/conform-value.js';
import { dateText, timestampText } from '../../src/replay/civil-time.js';
import { civilFromDays } from '../../src/model/civil-date.js';

const table: TableSchema = {
  id: { namespace: 'public', name: 't' },
  columns: [
    { name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' },
    { name: 'flag', type: { kind: 'boolean' }, nullable: true, sourceType: 'boolean' },
    { name: 'at', type: { kind: 'time-micros' }, nullable: true, sourceType: 'time' },
    { name: 'tags', type: { kind: 'set', name: 'tags', symbols: ['a', 'b'] }, nullable: true, sourceType: "set('a','b')" },
  ],
  key: ['id'],
};

async function* of(rows: Row[]): AsyncIterable<Row> {
  yield* rows;
}

describe('replay --verify: checksums', () => {
  it('do not depend on row order', async () => {
    const hasher = new RowHasher(table);
    await fc.assert(fc.asyncProperty(fc.uniqueArray(fc.bigInt({ min: -1000n, max: 1000n }), { maxLength: 30 }), async (ids) => {
      const rows = ids.map((id) => ({ id, flag: id % 2n === 0n, at: id < 0n ? null : id, tags: ['a'] }));
      expect(await checksumRows(of([...rows].reverse()), hasher)).toEqual(await checksumRows(of(rows), hasher));
    }));
  });

  it('compare the canonical values whatever form a database read them in (TINYINT(1), interval, SET text)', async () => {
    const hasher = new RowHasher(table);
    const fromPostgres = { id: 1n, flag: true, at: 3_600_000_000n, tags: ['a', 'b'] };
    const fromMysql = { id: 1, flag: 1, at: { months: 0, days: 0, micros: 3_600_000_000n }, tags: 'a,b' };
    expect(await checksumRows(of([fromMysql]), hasher)).toEqual(await checksumRows(of([fromPostgres]), hasher));
  });

  it('name the first key whose rows differ', async () => {
    const hasher = new RowHasher(table);
    const source = [1n, 2n, 3n, 4n].map((id) => ({ id, flag: true, at: null, tags: [] }));
    const target = [{ ...source[0]! }, { ...source[1]!, flag: false }, { ...source[2]! }];
    const [a, b] = await Promise.all([hashesByKey(of(source), hasher), hashesByKey(of(target), hasher)]);
    expect(firstDifferingKey(a, b)).toEqual({ id: 2n });
    expect(firstDifferingKey(a, a)).toBeUndefined();
  });

  it('conform values across kinds and keep what they cannot carry over', () => {
    expect(conformValue(0, { kind: 'boolean' })).toBe(false);
    expect(conformValue(42, { kind: 'long' })).toBe(42n);
    expect(conformValue({ months: 0, days: -1, micros: 5n }, { kind: 'duration-micros' })).toBe(-86_399_999_995n);
    expect(conformValue({ months: 1, days: 0, micros: 0n }, { kind: 'duration-micros' })).toEqual({ months: 1, days: 0, micros: 0n });
    expect(conformValue('', { kind: 'set', name: 's', symbols: [] })).toEqual([]);
  });
});

/** A reader over rows in memory; a table named `broken` fails as a missing table would. */
const reader = (rows: Record<string, Row[]>): TableRowReader => ({
  async *readRows(t, side) {
    if (!(t.id.name in rows)) throw new Error(`--verify: the ${side} has no table ${t.id.namespace}.${t.id.name}`);
    yield* rows[t.id.name]!;
  },
  close: async () => {},
});

describe('replay --verify: every table, keyless tables as multisets', () => {
  const keyless: TableSchema = { ...table, id: { namespace: 'public', name: 'log' }, key: [] };
  const row = (id: bigint) => ({ id, flag: null, at: null, tags: [] });

  it('compares a keyless table as a multiset: duplicates count, order does not', async () => {
    const equal = await verifyTable(keyless, reader({ log: [row(1n), row(1n), row(2n)] }), reader({ log: [row(2n), row(1n), row(1n)] }));
    expect(equal.status).toBe('equal');
    const differs = await verifyTable(keyless, reader({ log: [row(1n), row(1n), row(2n)] }), reader({ log: [row(1n), row(2n), row(3n), row(3n)] }));
    expect(differs).toMatchObject({ status: 'differs', onlyInSource: 1, onlyInTarget: 2 });
    expect(verifyLine(differs)).toMatch(/^DIFFERENT public\.log: source 3 rows [0-9a-f]{32}, target 4 rows [0-9a-f]{32}; 1 row\(s\) only in the source, 2 only in the target$/);
  });

  it('reports every table, a failing one with its reason, and says which outcome wins', async () => {
    const keyed = (name: string): TableSchema => ({ ...table, id: { namespace: 'public', name } });
    const source = reader({ a: [row(1n)], b: [row(1n)], broken: [] });
    const target = reader({ a: [row(1n)], b: [{ ...row(1n), flag: true }] });
    const results = [];
    for (const name of ['a', 'b', 'broken']) results.push(await verifyTable(keyed(name), source, target));
    expect(results.map(verifyLine)).toEqual([
      expect.stringMatching(/^equal public\.a: source 1 rows /),
      expect.stringMatching(/^DIFFERENT public\.b: .*; first differing key id=1$/),
      'FAILED public.broken: --verify: the target has no table public.broken',
    ]);
    expect(verifySummary(results)).toEqual({
      failed: true,
      message: 'verify: 1 of 3 table(s) differ from the source: public.b (source 1 rows, target 1; first differing key id=1); 1 of 3 table(s) could not be compared: public.broken (--verify: the target has no table public.broken)',
    });
    expect(verifySummary(results.slice(0, 2))).toMatchObject({ failed: false, message: expect.stringMatching(/^verify: 1 of 2 table\(s\) differ/) });
    expect(verifySummary(results.slice(0, 1))).toBeNull();
  });

  it('exits 3 when tables differ, 1 when a table could not be compared', () => {
    const write = process.stderr.write.bind(process.stderr);
    const lines: string[] = [];
    process.stderr.write = ((chunk: string) => { lines.push(chunk); return true; }) as typeof process.stderr.write;
    try {
      expect(reportFailure(new LogtapError(VERIFY_DIFFERS, 'verify: 1 of 2 table(s) differ'))).toBe(EXIT.differs);
      expect(EXIT.differs).toBe(3);
      expect(reportFailure(new LogtapError('VERIFY_FAILED', 'verify: 1 of 2 table(s) could not be compared'))).toBe(EXIT.failure);
    } finally {
      process.stderr.write = write;
    }
    expect(lines).toEqual(['logtap: verify: 1 of 2 table(s) differ\n', 'logtap: verify: 1 of 2 table(s) could not be compared\n']);
  });
});

describe('replay: calendar text of canonical dates and timestamps', () => {
  it('agrees with the JavaScript calendar', () => {
    fc.assert(fc.property(fc.integer({ min: -100_000_000, max: 100_000_000 }), (days) => {
      const d = new Date(days * 86_400_000);
      expect(civilFromDays(days)).toEqual({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
    }));
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 253402300799999999n }), (micros) => {
      const iso = new Date(Number(micros / 1000n)).toISOString();
      expect(timestampText(micros)).toBe(`${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(micros % 1000n).padStart(3, '0')}`);
    }));
    expect(dateText(-719528 - 365, 'suffix')).toBe('0002-01-01 BC');
  });
});
