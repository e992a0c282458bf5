import { describe, expect, it } from 'vitest';
import { type CatalogColumn, maxStoredBytes, outOfLineColumns } from '../../connectors/postgres/out-of-line-columns.js';

// Which columns `check` names as possibly TOASTed (stored out of line), from their types, storage and the row around them.

const UTF8 = 4;
const fixed = (name: string, typlen: number): CatalogColumn => ({ name, storage: 'p', typlen, typeOid: 23, typmod: -1, rangeSubtypeLen: null });
const varlena = (name: string, typeOid: number, typmod = -1, storage: CatalogColumn['storage'] = 'x'): CatalogColumn => ({ name, storage, typlen: -1, typeOid, typmod, rangeSubtypeLen: null });
const text = (name: string, storage: CatalogColumn['storage'] = 'x') => varlena(name, 25, -1, storage);
const bytea = (name: string) => varlena(name, 17);
const varchar = (name: string, n: number) => varlena(name, 1043, n + 4);
const char = (name: string, n: number) => varlena(name, 1042, n + 4);
const numeric = (name: string, precision?: number, scale = 0) => varlena(name, 1700, precision === undefined ? -1 : ((precision << 16) | scale) + 4, 'm');
const bit = (name: string, n: number) => varlena(name, 1560, n);

describe('columns PostgreSQL can store out of line', () => {
  it('bounds varchar(n), char(n), bit(n) and numeric(p,s) by their modifiers; text, bytea and bare numeric are unbounded', () => {
    expect(maxStoredBytes(varchar('v', 45), UTF8)).toBe(4 + 45 * 4);
    expect(maxStoredBytes(char('c', 3), 1)).toBe(4 + 3);
    expect(maxStoredBytes(bit('b', 64), UTF8)).toBe(4 + 4 + 8);
    expect(maxStoredBytes(numeric('n', 5, 2), UTF8)).toBe(4 + 4 + 2 * 3);
    expect(maxStoredBytes(numeric('n'), UTF8)).toBe(Infinity);
    expect(maxStoredBytes(text('t'), UTF8)).toBe(Infinity);
    expect(maxStoredBytes(varlena('v', 1043), UTF8)).toBe(Infinity);
    expect(maxStoredBytes(fixed('i', 8), UTF8)).toBe(8);
  });

  it('names only text and bytea in a table of small bounded columns beside them (the Sakila staff table)', () => {
    const staff = [
      fixed('staff_id', 2), varchar('first_name', 45), varchar('last_name', 45), fixed('address_id', 2), varchar('email', 50),
      fixed('store_id', 2), fixed('active', 1), varchar('username', 16), varchar('password', 40), fixed('last_update', 8),
      bytea('picture'), numeric('rate', 5, 2), char('code', 3), text('notes'),
    ];
    expect(outOfLineColumns(staff, UTF8)).toEqual(['picture', 'notes']);
  });

  it('names nothing when no row can reach the threshold, and nothing of plain storage', () => {
    expect(outOfLineColumns([fixed('id', 4), varchar('a', 45), varchar('b', 100), numeric('n', 12, 2)], UTF8)).toEqual([]);
    expect(outOfLineColumns([fixed('id', 4), text('t', 'p'), text('u')], UTF8)).toEqual(['u']);
  });

  it('names bounded columns too when the row is wide enough that they can still be moved once every bigger value was', () => {
    const wide = Array.from({ length: 18 }, (_, i) => varchar(`c${i}`, 100));
    expect(outOfLineColumns(wide, 1)).toEqual([]);
    expect(outOfLineColumns(wide, UTF8)).toEqual(wide.map((c) => c.name));
  });

  it('moves main storage out of line only past a page, and honours a lower toast_tuple_target', () => {
    const cols = [fixed('id', 4), varchar('a', 300), varchar('b', 300)];
    // 2 × 1204 bytes: over the threshold with UTF-8, but main values stay in line below ~8 kB.
    expect(outOfLineColumns(cols, UTF8)).toEqual(['a', 'b']);
    expect(outOfLineColumns(cols.map((c) => (c.typlen === -1 ? { ...c, storage: 'm' as const } : c)), UTF8)).toEqual([]);
    expect(outOfLineColumns([fixed('id', 4), varchar('a', 300), varchar('b', 300)], 1)).toEqual([]);
    expect(outOfLineColumns([fixed('id', 4), varchar('a', 300), varchar('b', 300)], UTF8, 8000)).toEqual([]);
  });
});
