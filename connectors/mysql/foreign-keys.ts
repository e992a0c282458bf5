import { tableIdText, type TableId } from '../../src/model/table-schema.js';
import type { MysqlQueryRunner } from './introspect-columns.js';
import type { TableSelection } from './table-selection.js';

/** What a foreign key does to its child rows when the parent key changes or the parent row goes. */
export type ReferentialRule = 'CASCADE' | 'SET NULL' | 'SET DEFAULT' | 'RESTRICT' | 'NO ACTION';

/** A foreign key whose parent changes reach the child rows (InnoDB applies them without writing them to the binlog). */
export interface CascadingForeignKey {
  /** The constraint's name, e.g. `fk_film_language`. */
  name: string;
  child: TableId;
  /** The child's referencing columns, in the order of `parentColumns`. */
  childColumns: string[];
  parent: TableId;
  parentColumns: string[];
  onUpdate: ReferentialRule;
  onDelete: ReferentialRule;
}

const acts = (rule: ReferentialRule): boolean => rule === 'CASCADE' || rule === 'SET NULL';
export const actsOnUpdate = (fk: CascadingForeignKey): boolean => acts(fk.onUpdate);
export const actsOnDelete = (fk: CascadingForeignKey): boolean => acts(fk.onDelete);

/** `child(cols) → parent(cols) ON UPDATE … ON DELETE …`, for findings and logs. */
export function describeForeignKey(fk: CascadingForeignKey): string {
  const rules = [acts(fk.onUpdate) ? `ON UPDATE ${fk.onUpdate}` : '', acts(fk.onDelete) ? `ON DELETE ${fk.onDelete}` : ''].filter((r) => r !== '');
  return `${tableIdText(fk.child)}(${fk.childColumns.join(', ')}) → ${tableIdText(fk.parent)}(${fk.parentColumns.join(', ')}) ${rules.join(' ')} [${fk.name}]`;
}

// Aliased to lower case: MySQL 8 and MariaDB differ in the letter case of INFORMATION_SCHEMA result names.
const FOREIGN_KEYS_SQL = `SELECT rc.CONSTRAINT_SCHEMA AS child_schema, rc.TABLE_NAME AS child_table, rc.CONSTRAINT_NAME AS name,
  rc.UNIQUE_CONSTRAINT_SCHEMA AS parent_schema, rc.REFERENCED_TABLE_NAME AS parent_table,
  rc.UPDATE_RULE AS on_update, rc.DELETE_RULE AS on_delete,
  k.COLUMN_NAME AS child_column, k.REFERENCED_COLUMN_NAME AS parent_column
FROM information_schema.REFERENTIAL_CONSTRAINTS rc
JOIN information_schema.KEY_COLUMN_USAGE k
  ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA AND k.TABLE_NAME = rc.TABLE_NAME AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME
WHERE (rc.UPDATE_RULE IN ('CASCADE', 'SET NULL') OR rc.DELETE_RULE IN ('CASCADE', 'SET NULL'))
ORDER BY rc.CONSTRAINT_SCHEMA, rc.TABLE_NAME, rc.CONSTRAINT_NAME, k.ORDINAL_POSITION`;

/** The cascading foreign keys whose child or parent table is captured, in a stable order. */
export async function loadCascadingForeignKeys(runner: MysqlQueryRunner, selection: TableSelection): Promise<CascadingForeignKey[]> {
  const rows = await runner.query(FOREIGN_KEYS_SQL, []);
  const byName = new Map<string, CascadingForeignKey>();
  for (const row of rows) {
    const child = { namespace: String(row.child_schema), name: String(row.child_table) };
    const parent = { namespace: String(row.parent_schema), name: String(row.parent_table) };
    if (!selection.captures(child.namespace, child.name) && !selection.captures(parent.namespace, parent.name)) continue;
    const key = `${tableIdText(child)}/${String(row.name)}`;
    let fk = byName.get(key);
    if (!fk) {
      fk = { name: String(row.name), child, childColumns: [], parent, parentColumns: [], onUpdate: String(row.on_update) as ReferentialRule, onDelete: String(row.on_delete) as ReferentialRule };
      byName.set(key, fk);
    }
    fk.childColumns.push(String(row.child_column));
    fk.parentColumns.push(String(row.parent_column));
  }
  return [...byName.values()];
}

/** A text that changes when any cascading foreign key is added, dropped or changed (compared at DDL). */
export const foreignKeysSignature = (fks: readonly CascadingForeignKey[]): string => fks.map(describeForeignKey).join('\n');
