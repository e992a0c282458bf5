import { describe, expect, it } from 'vitest';
import { describeForeignKey, loadCascadingForeignKeys } from '../../connectors/mysql/foreign-keys.js';
import { selectTables } from '../../connectors/mysql/table-selection.js';

/** INFORMATION_SCHEMA rows as MariaDB and MySQL 8 give them for the query (aliased to lower case). */
const rows = [
  { child_schema: 'shop', child_table: 'line', name: 'fk_line_order', parent_schema: 'shop', parent_table: 'orders', on_update: 'CASCADE', on_delete: 'CASCADE', child_column: 'order_id', parent_column: 'id' },
  { child_schema: 'shop', child_table: 'line', name: 'fk_line_order', parent_schema: 'shop', parent_table: 'orders', on_update: 'CASCADE', on_delete: 'CASCADE', child_column: 'order_customer', parent_column: 'customer_id' },
  { child_schema: 'shop', child_table: 'note', name: 'fk_note', parent_schema: 'shop', parent_table: 'customer', on_update: 'RESTRICT', on_delete: 'SET NULL', child_column: 'customer_id', parent_column: 'id' },
  { child_schema: 'other', child_table: 'x', name: 'fk_x', parent_schema: 'other', parent_table: 'y', on_update: 'CASCADE', on_delete: 'NO ACTION', child_column: 'y_id', parent_column: 'id' },
];
const runner = { query: async () => rows };

describe('cascading foreign keys from INFORMATION_SCHEMA', () => {
  it('assembles multi-column keys in order and keeps those of captured tables', async () => {
    const fks = await loadCascadingForeignKeys(runner, selectTables('shop', undefined));
    expect(fks.map(describeForeignKey)).toEqual([
      'shop.line(order_id, order_customer) → shop.orders(id, customer_id) ON UPDATE CASCADE ON DELETE CASCADE [fk_line_order]',
      'shop.note(customer_id) → shop.customer(id) ON DELETE SET NULL [fk_note]',
    ]);
  });

  it('keeps a foreign key when only its parent is captured (check reports it), and none of untouched databases', async () => {
    const fks = await loadCascadingForeignKeys(runner, selectTables('', ['other.y']));
    expect(fks.map((fk) => fk.name)).toEqual(['fk_x']);
  });
});
