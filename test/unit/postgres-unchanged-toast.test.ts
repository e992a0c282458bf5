import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { MAX_HELD_CHANGES, type RawTextQueryable, UnchangedToastReader } from '../../connectors/postgres/unchanged-toast.js';
import type { TableVersion } from '../../connectors/postgres/relation-cache.js';

// The read-back queue: held changes handed over in log order, reads batched per table, rows gone left out.

const version = (name: string, oid: number) => ({
  oid, schema: { id: { namespace: 'public', name }, columns: [], key: ['id'] }, columns: [], decode: () => ({}), replicaIdentity: 'default', describedFrom: 'catalog',
}) as unknown as TableVersion;

/** A table of `id → body` per table oid, answering the reader's two queries; records every SELECT. */
function fakeSource(tables: Record<number, { name: string; rows: Map<string, string> }>) {
  const selects: Array<{ table: string; keys: number }> = [];
  const db: RawTextQueryable = {
    async query({ text, values }) {
      if (text.includes('pg_class')) {
        const t = tables[Number(values[0])];
        return { rows: t ? [['public', t.name]] : [] };
      }
      const t = Object.values(tables).find((x) => text.includes(`"${x.name}"`))!;
      selects.push({ table: t.name, keys: values.length });
      expect(text).toBe(`SELECT "id", "body" FROM "public"."${t.name}" WHERE ("id") IN (${values.map((_, i) => `($${i + 1})`).join(', ')})`);
      return { rows: (values as string[]).filter((v) => t.rows.has(v)).map((v) => [v, t.rows.get(v)!]) };
    },
  };
  return { db, selects };
}

describe('UnchangedToastReader', () => {
  it('hands over every change at once while nothing is held', async () => {
    const { db, selects } = fakeSource({});
    const reader = new UnchangedToastReader(db, silentLogger, undefined, (e) => e);
    const order: string[] = [];
    await reader.inOrder(async () => void order.push('a'));
    await reader.flush();
    expect(order).toEqual(['a']);
    expect(selects).toEqual([]);
  });

  it('holds later changes behind a read-back, reads per table in batches of 500, and leaves out rows gone', async () => {
    const staff = new Map(Array.from({ length: 1200 }, (_, i) => [String(i), `pic${i}`] as const));
    staff.delete('7');
    const { db, selects } = fakeSource({ 10: { name: 'staff', rows: staff }, 11: { name: 'film', rows: new Map([['1', 'text']]) } });
    const calls: unknown[] = [];
    const reader = new UnchangedToastReader(db, silentLogger, { unchangedValuesRead: (...args) => void calls.push(args) }, (e) => e);
    const order: string[] = [];
    const staffV = version('staff', 10);
    const filmV = version('film', 11);
    const readBack = (v: TableVersion, id: number) => reader.readBack({ version: v, tuple: { id: String(id), n: '1' }, columns: ['body'], where: `#${id}` }, async (values) => {
      order.push(values ? `${v.schema.id.name}${id}=${String(values.body)}` : `${v.schema.id.name}${id} gone`);
    });
    await readBack(staffV, 7);
    await reader.inOrder(async () => void order.push('insert'));
    await readBack(filmV, 1);
    expect(order).toEqual([]);
    await reader.flush();
    expect(order).toEqual(['staff7 gone', 'insert', 'film1=text']);
    expect(calls).toEqual([['public.staff', 1, 1], ['public.film', 1, 0]]);

    // A long transaction: flushed every MAX_HELD_CHANGES, 500 keys a query.
    order.length = 0;
    selects.length = 0;
    for (let id = 0; id < 1100; id++) await readBack(staffV, id + 100);
    expect(order).toHaveLength(MAX_HELD_CHANGES);
    await reader.flush();
    expect(order).toHaveLength(1100);
    expect(order.slice(0, 2)).toEqual(['staff100=pic100', 'staff101=pic101']);
    expect(order[1099]).toBe('staff1199=pic1199');
    expect(selects).toEqual([{ table: 'staff', keys: 500 }, { table: 'staff', keys: 500 }, { table: 'staff', keys: 100 }]);
  });

  it('a table dropped since: its held updates are left out, counted as gone', async () => {
    const { db } = fakeSource({});
    const calls: unknown[] = [];
    const reader = new UnchangedToastReader(db, silentLogger, { unchangedValuesRead: (...args) => void calls.push(args) }, (e) => e);
    let delivered: unknown = 'nothing';
    await reader.readBack({ version: version('dropped', 99), tuple: { id: '1' }, columns: ['body'], where: '#1' }, async (values) => { delivered = values; });
    await reader.flush();
    expect(delivered).toBeNull();
    expect(calls).toEqual([['public.dropped', 1, 1]]);
  });
});
