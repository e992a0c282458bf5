import type { Column, TableSchema } from '../../src/model/table-schema.js';
import type { SourceKind } from '../../src/replay/replay-target.js';

/*
 * A column's definition beyond its type, rebuilt in MySQL/MariaDB from a MySQL source's topic attributes
 * (docs/events.md): character set and collation, ON UPDATE, AUTO_INCREMENT, generation expression, and the
 * table's default character set and collation. Names go into DDL only in their plain shape; an expression is
 * the source's own SQL, sent as one statement (the connection does not allow several).
 */

const CHARSET_OR_COLLATION = /^[a-z0-9_]+$/i;
const ON_UPDATE = /^current_timestamp(\(\d?\))?$/i;

/** ` CHARACTER SET … COLLATE …` as the source column had it; undefined when the topic does not say. */
export function collationClause(column: Column, source: SourceKind): string | undefined {
  const { charset, collation } = column;
  if (source !== 'mysql' || !charset || !collation || !CHARSET_OR_COLLATION.test(charset) || !CHARSET_OR_COLLATION.test(collation)) return undefined;
  return ` CHARACTER SET ${charset} COLLATE ${collation}`;
}

/** ` GENERATED ALWAYS AS (…) STORED|VIRTUAL` for a MySQL source's generated column; '' otherwise. */
export function generatedClause(column: Column, source: SourceKind): string {
  if (source !== 'mysql' || !column.generated) return '';
  return ` GENERATED ALWAYS AS (${column.generated.expression}) ${column.generated.kind === 'virtual' ? 'VIRTUAL' : 'STORED'}`;
}

/** ` ON UPDATE current_timestamp(n)` as the source column had it; '' otherwise. */
export function onUpdateClause(column: Column, source: SourceKind): string {
  return source === 'mysql' && column.onUpdate && ON_UPDATE.test(column.onUpdate) ? ` ON UPDATE ${column.onUpdate}` : '';
}

/** ` AUTO_INCREMENT` as the source column had it; '' otherwise. */
export function autoIncrementClause(column: Column, source: SourceKind): string {
  return source === 'mysql' && column.autoIncrement ? ' AUTO_INCREMENT' : '';
}

/** ` DEFAULT CHARSET=… COLLATE=…` of a MySQL source's table; '' when the topic does not say. */
export function tableOptionsClause(table: TableSchema, source: SourceKind): string {
  const { charset, collation } = table.options ?? {};
  if (source !== 'mysql') return '';
  return `${charset && CHARSET_OR_COLLATION.test(charset) ? ` DEFAULT CHARSET=${charset}` : ''}${collation && CHARSET_OR_COLLATION.test(collation) ? ` COLLATE=${collation}` : ''}`;
}

/**
 * An AUTO_INCREMENT column must lead an index: the primary key when it is its first column, else an index of
 * its own (the source had one too).
 */
export function autoIncrementIndex(table: TableSchema, source: SourceKind): string | undefined {
  if (source !== 'mysql') return undefined;
  const column = table.columns.find((c) => c.autoIncrement);
  return column && table.key[0] !== column.name ? column.name : undefined;
}

/**
 * The table without the collations a server lacks (`known`: its collation names, lower case), and which those
 * were: such columns fall back to the cross-database rule (utf8mb4_bin), the table to the server's default.
 */
export function withoutUnknownCollations(table: TableSchema, known: ReadonlySet<string>): { table: TableSchema; missing: string[] } {
  const lacking = (collation: string | undefined): boolean => collation !== undefined && !known.has(collation.toLowerCase());
  const missing = new Set([...table.columns.map((c) => c.collation), table.options?.collation].filter((c): c is string => lacking(c)));
  if (missing.size === 0) return { table, missing: [] };
  const columns = table.columns.map((column) => {
    if (!lacking(column.collation)) return column;
    const { charset: _charset, collation: _collation, ...rest } = column;
    return rest;
  });
  const options = table.options && lacking(table.options.collation) ? {} : table.options;
  return { table: { ...table, columns, ...(options ? { options } : {}) }, missing: [...missing] };
}
