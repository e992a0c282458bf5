import { describe, expect, it } from 'vitest';
import { CascadeIndex } from '../../connectors/mysql/cascade-index.js';
import { planCascades, type DerivedChange } from '../../connectors/mysql/cascade-planner.js';
import type { CascadingForeignKey, ReferentialRule } from '../../connectors/mysql/foreign-keys.js';
import type { Row } from '../../src/model/change-event.js';
import type { TableId } from '../../src/model/table-schema.js';

const t = (name: string): TableId => ({ namespace: 'shop', name });
const fk = (name: string, child: string, childColumns: string[], parent: string, parentColumns: string[], onUpdate: ReferentialRule, onDelete: ReferentialRule): CascadingForeignKey =>
  ({ name, child: t(child), childColumns, parent: t(parent), parentColumns, onUpdate, onDelete });

// customer(id) ← orders(customer_id) ON UPDATE CASCADE ON DELETE CASCADE
// orders(id, customer_id) ← lines(order_id, order_customer) ON UPDATE CASCADE ON DELETE CASCADE (two levels)
// customer(id) ← notes(customer_id) ON DELETE SET NULL ON UPDATE RESTRICT
const orders = fk('fk_orders_customer', 'orders', ['customer_id'], 'customer', ['id'], 'CASCADE', 'CASCADE');
const lines = fk('fk_lines_order', 'lines', ['order_id', 'order_customer'], 'orders', ['id', 'customer_id'], 'CASCADE', 'CASCADE');
const notes = fk('fk_notes_customer', 'notes', ['customer_id'], 'customer', ['id'], 'RESTRICT', 'SET NULL');
const all = [orders, lines, notes];
const keys: Record<string, string[]> = { orders: ['id'], lines: ['line'], notes: ['id'] };

function indexWith(rows: Record<string, Row[]>): CascadeIndex {
  const index = new CascadeIndex(all, (table) => keys[table.name] ?? []);
  for (const [table, list] of Object.entries(rows)) for (const row of list) index.apply({ table: t(table), op: 'r', after: row });
  return index;
}

const short = (changes: DerivedChange[]): string[] =>
  changes.map((c) => `${c.table.name} ${c.op} ${JSON.stringify(c.before)}${c.after ? ` → ${JSON.stringify(c.after)}` : ''}`);

describe('foreign-key cascade planner', () => {
  const start = () => indexWith({
    orders: [{ id: 2, customer_id: 1, total: 5 }, { id: 1, customer_id: 1, total: 7 }, { id: 3, customer_id: 9, total: 1 }],
    lines: [{ line: 10, order_id: 1, order_customer: 1 }, { line: 11, order_id: 2, order_customer: 1 }, { line: 12, order_id: 3, order_customer: 9 }],
    notes: [{ id: 100, customer_id: 1, text: 'a' }, { id: 101, customer_id: null, text: 'b' }, { id: 102, customer_id: 9, text: 'c' }],
  });

  it('gives ON UPDATE CASCADE children the new key, in key order, and their own children in turn', () => {
    const index = start();
    const derived = planCascades({ table: t('customer'), op: 'u', before: { id: 1, name: 'x' }, after: { id: 5, name: 'x' } }, all, index);
    expect(short(derived)).toEqual([
      'orders u {"id":1,"customer_id":1,"total":7} → {"id":1,"customer_id":5,"total":7}',
      'lines u {"line":10,"order_id":1,"order_customer":1} → {"line":10,"order_id":1,"order_customer":5}',
      'orders u {"id":2,"customer_id":1,"total":5} → {"id":2,"customer_id":5,"total":5}',
      'lines u {"line":11,"order_id":2,"order_customer":1} → {"line":11,"order_id":2,"order_customer":5}',
    ]);
    // notes is ON UPDATE RESTRICT: untouched. The index follows: nothing refers to customer 1 any more.
    expect(index.children(orders, [1])).toEqual([]);
    expect(index.children(orders, [5]).map((r) => r.id)).toEqual([1, 2]);
  });

  it('derives nothing when the referenced columns keep their values', () => {
    const index = start();
    expect(planCascades({ table: t('customer'), op: 'u', before: { id: 1, name: 'x' }, after: { id: 1, name: 'y' } }, all, index)).toEqual([]);
  });

  it('deletes ON DELETE CASCADE children and grandchildren, and sets ON DELETE SET NULL children to NULL', () => {
    const index = start();
    const derived = planCascades({ table: t('customer'), op: 'd', before: { id: 1, name: 'x' } }, all, index);
    expect(short(derived)).toEqual([
      'orders d {"id":1,"customer_id":1,"total":7}',
      'lines d {"line":10,"order_id":1,"order_customer":1}',
      'orders d {"id":2,"customer_id":1,"total":5}',
      'lines d {"line":11,"order_id":2,"order_customer":1}',
      'notes u {"id":100,"customer_id":1,"text":"a"} → {"id":100,"customer_id":null,"text":"a"}',
    ]);
    expect(index.size).toEqual({ tables: 3, rows: 5 });
    // Replayed after a restart from the topics (which hold the derived changes), the same delete derives nothing.
    expect(planCascades({ table: t('customer'), op: 'd', before: { id: 1, name: 'x' } }, all, index)).toEqual([]);
  });

  it('follows the child changes the binlog delivers: a child moved away or deleted before is not touched', () => {
    const index = start();
    expect(planCascades({ table: t('orders'), op: 'u', before: { id: 1, customer_id: 1, total: 7 }, after: { id: 1, customer_id: 9, total: 7 } }, [orders, notes], index)).toEqual([]);
    expect(planCascades({ table: t('notes'), op: 'd', before: { id: 100, customer_id: 1, text: 'a' } }, all, index)).toEqual([]);
    const derived = planCascades({ table: t('customer'), op: 'd', before: { id: 1 } }, [orders, notes], index);
    expect(short(derived)).toEqual(['orders d {"id":2,"customer_id":1,"total":5}']);
  });

  it('derives nothing for a statement run with FOREIGN_KEY_CHECKS=0, but still follows the change', () => {
    const index = start();
    expect(planCascades({ table: t('customer'), op: 'd', before: { id: 1 } }, all, index, false)).toEqual([]);
    expect(planCascades({ table: t('orders'), op: 'd', before: { id: 3, customer_id: 9, total: 1 } }, all, index, false)).toEqual([]);
    expect(index.children(orders, [9])).toEqual([]);
    expect(index.children(orders, [1]).map((r) => r.id)).toEqual([1, 2]);
  });

  it('matches bigint and binary key values exactly, and never a NULL', () => {
    const byBig = fk('fk_big', 'child', ['parent_id'], 'parent', ['id'], 'CASCADE', 'CASCADE');
    const byBytes = fk('fk_bytes', 'tagged', ['tag'], 'tag', ['code'], 'CASCADE', 'SET NULL');
    const index = new CascadeIndex([byBig, byBytes], () => ['id']);
    index.apply({ table: t('child'), op: 'c', after: { id: 1, parent_id: 9007199254740993n } });
    index.apply({ table: t('child'), op: 'c', after: { id: 2, parent_id: 9007199254740992n } });
    index.apply({ table: t('tagged'), op: 'c', after: { id: 1, tag: Buffer.from('ab') } });
    index.apply({ table: t('tagged'), op: 'c', after: { id: 2, tag: null } });
    expect(planCascades({ table: t('parent'), op: 'd', before: { id: 9007199254740993n } }, [byBig, byBytes], index).map((c) => c.before.id)).toEqual([1]);
    const derived = planCascades({ table: t('tag'), op: 'd', before: { code: Buffer.from('ab') } }, [byBig, byBytes], index);
    expect(derived.map((c) => [c.op, c.after?.id, c.after?.tag])).toEqual([['u', 1, null]]);
    expect(planCascades({ table: t('tag'), op: 'd', before: { code: null } }, [byBig, byBytes], index)).toEqual([]);
  });

  it('moves a child whose primary key holds the foreign key (sakila film_actor) to its new key', () => {
    const membership = fk('fk_member', 'member', ['customer_id'], 'customer', ['id'], 'CASCADE', 'CASCADE');
    const index = new CascadeIndex([membership], () => ['customer_id', 'grp']);
    for (const grp of [1, 2]) index.apply({ table: t('member'), op: 'r', after: { customer_id: 1, grp } });
    const derived = planCascades({ table: t('customer'), op: 'u', before: { id: 1 }, after: { id: 2 } }, [membership], index);
    expect(derived.map((c) => [c.before.customer_id, c.after?.customer_id, c.after?.grp])).toEqual([[1, 2, 1], [1, 2, 2]]);
    expect(index.size.rows).toBe(2);
    expect(planCascades({ table: t('customer'), op: 'd', before: { id: 2 } }, [membership], index).map((c) => c.op)).toEqual(['d', 'd']);
    expect(index.size.rows).toBe(0);
  });

  it('keeps a row completed with columns read back only while it is the row the index holds', () => {
    const index = start();
    const [derived] = planCascades({ table: t('customer'), op: 'u', before: { id: 9 }, after: { id: 19 } }, [orders], index);
    const completed = { ...derived!.after!, added: 'x' };
    index.complete(t('orders'), derived!.after!, completed);
    expect(index.children(orders, [19])).toEqual([completed]);
    // A row changed since (here: by the next cascade) is not taken back to the completed copy.
    const [next] = planCascades({ table: t('customer'), op: 'u', before: { id: 19 }, after: { id: 29 } }, [orders], index);
    index.complete(t('orders'), completed, { ...completed, added: 'stale' });
    expect(index.children(orders, [29])).toEqual([next!.after]);
  });

  it('follows a self-referencing ON DELETE CASCADE down a tree', () => {
    const tree = fk('fk_parent', 'node', ['parent'], 'node', ['id'], 'RESTRICT', 'CASCADE');
    const index = new CascadeIndex([tree], () => ['id']);
    for (const row of [{ id: 1, parent: null }, { id: 2, parent: 1 }, { id: 3, parent: 2 }, { id: 4, parent: 1 }, { id: 5, parent: null }]) index.apply({ table: t('node'), op: 'r', after: row });
    const derived = planCascades({ table: t('node'), op: 'd', before: { id: 1, parent: null } }, [tree], index);
    expect(derived.map((c) => c.before.id)).toEqual([2, 3, 4]);
    expect(index.size.rows).toBe(1);
  });
});
