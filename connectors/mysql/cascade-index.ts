import type { Row } from '../../src/model/change-event.js';
import { tableIdText, type TableId } from '../../src/model/table-schema.js';
import { keyText } from '../../src/backfill/key-text.js';
import type { CascadingForeignKey } from './foreign-keys.js';

/** One row change as the index and the planner see it (the connector's events, without schema or position). */
export interface RowChange {
  table: TableId;
  op: 'c' | 'u' | 'd' | 'r' | 't';
  before?: Row | undefined;
  after?: Row | undefined;
}

interface ChildTable {
  keyColumns: readonly string[];
  rows: Map<string, Row>;
  /** Per foreign key of this child: referencing values (key text) → the keys of the rows holding them. */
  references: Map<CascadingForeignKey, Map<string, Set<string>>>;
}

/**
 * The rows of every child table of a cascading foreign key, as the child's topic holds them, with an index per
 * foreign key from the referencing values to the rows: what InnoDB's cascade finds when a parent key changes or
 * a parent row goes. Kept in step with every change the connector hands over (its own derived ones included).
 * Rows whose referencing values hold a NULL reference nothing (as in SQL).
 */
export class CascadeIndex {
  private readonly tables = new Map<string, ChildTable>();

  /** `keyColumns`: the primary key of each child table (tables without one cannot be indexed and are left out). */
  constructor(foreignKeys: readonly CascadingForeignKey[], keyColumns: (table: TableId) => readonly string[]) {
    for (const fk of foreignKeys) {
      const name = tableIdText(fk.child);
      let table = this.tables.get(name);
      if (!table) {
        const key = keyColumns(fk.child);
        if (key.length === 0) continue;
        table = { keyColumns: key, rows: new Map(), references: new Map() };
        this.tables.set(name, table);
      }
      table.references.set(fk, new Map());
    }
  }

  tracks(table: TableId): boolean {
    return this.tables.has(tableIdText(table));
  }

  /** How many rows the index holds, over how many tables (for the log). */
  get size(): { tables: number; rows: number } {
    let rows = 0;
    for (const table of this.tables.values()) rows += table.rows.size;
    return { tables: this.tables.size, rows };
  }

  /** Follows one change of a table (nothing when the table is no child of a cascading foreign key). */
  apply(change: RowChange): void {
    const table = this.tables.get(tableIdText(change.table));
    if (!table) return;
    if (change.op === 't') {
      table.rows.clear();
      for (const references of table.references.values()) references.clear();
      return;
    }
    if (change.before && (change.op === 'u' || change.op === 'd')) this.remove(table, keyText(change.before, table.keyColumns));
    if (change.after && change.op !== 'd') {
      const key = keyText(change.after, table.keyColumns);
      this.remove(table, key);
      table.rows.set(key, change.after);
      for (const [fk, references] of table.references) {
        const values = referenceText(change.after, fk.childColumns);
        if (values === undefined) continue;
        let keys = references.get(values);
        if (!keys) references.set(values, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  /**
   * `row`, still held as it is, is now known with more columns (read back from the database): keep `completed`
   * instead. Its key and referencing values are the same; a row changed since is left alone.
   */
  complete(table: TableId, row: Row, completed: Row): void {
    const child = this.tables.get(tableIdText(table));
    if (!child) return;
    const key = keyText(row, child.keyColumns);
    if (child.rows.get(key) === row) child.rows.set(key, completed);
  }

  /** The child rows of `fk` whose referencing columns hold `parentValues` (in parent column order), in key order. */
  children(fk: CascadingForeignKey, parentValues: readonly unknown[]): Row[] {
    const table = this.tables.get(tableIdText(fk.child));
    const references = table?.references.get(fk);
    if (!table || !references) return [];
    const values = referenceText(Object.fromEntries(fk.childColumns.map((c, i) => [c, parentValues[i]])), fk.childColumns);
    if (values === undefined) return [];
    const keys = [...(references.get(values) ?? [])].sort();
    return keys.map((key) => table.rows.get(key)!);
  }

  private remove(table: ChildTable, key: string): void {
    const row = table.rows.get(key);
    if (!row) return;
    table.rows.delete(key);
    for (const [fk, references] of table.references) {
      const values = referenceText(row, fk.childColumns);
      if (values === undefined) continue;
      const keys = references.get(values);
      keys?.delete(key);
      if (keys?.size === 0) references.delete(values);
    }
  }
}

/** The referencing values as one text, or undefined when any is NULL (a NULL references nothing). */
function referenceText(row: Row, columns: readonly string[]): string | undefined {
  for (const c of columns) if (row[c] === null || row[c] === undefined) return undefined;
  return keyText(row, columns);
}
