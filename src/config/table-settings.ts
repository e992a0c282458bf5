import { z } from 'zod';
import type { TableId } from '../model/table-schema.js';
import { tablePattern } from './table-pattern.js';

/** How a masked column's values are published (docs/configuration.md, "Choosing tables and columns"). */
export const columnMaskSchema = z.union([
  /** SHA-256 hex of salt + value (the value's text): joinable, not readable. The column becomes a string. */
  z.literal('hash'),
  /** Always null (the column becomes nullable). */
  z.literal('null'),
  /** The first `truncate` characters of a string column. */
  z.object({ truncate: z.number().int().min(0) }).strict(),
]);
export type ColumnMask = z.infer<typeof columnMaskSchema>;

/** Which columns of a table are published, and how. */
export const columnSettingsSchema = z.object({
  /** Only these columns (every key column must be among them). */
  include: z.array(z.string().min(1)).min(1).optional(),
  /** Every column but these (never a key column). */
  exclude: z.array(z.string().min(1)).min(1).optional(),
  mask: z.record(z.string().min(1), columnMaskSchema).optional(),
}).strict().refine((c) => !(c.include && c.exclude), { message: 'give include or exclude, not both' });
export type ColumnSettings = z.infer<typeof columnSettingsSchema>;

/**
 * The settings of one table (or of every table a glob key matches): the value of one entry of the config's
 * top-level `tables:` map. Each concern owns one field.
 */
export const tableSettingsSchema = z.object({
  columns: columnSettingsSchema.optional(),
  /**
   * Row filter, an SQL boolean expression on the table's columns (PostgreSQL 15+): pushed into the publication
   * (`WHERE (…)`) and applied to snapshots and backfills. Refused on MySQL/MariaDB.
   */
  where: z.string().min(1).optional(),
  /** This table's envelope (`key-only`: notify, then fetch); default: the top-level `envelope`. */
  envelope: z.enum(['entity', 'debezium', 'key-only']).optional(),
}).strict();
export type TableSettings = z.infer<typeof tableSettingsSchema>;

/**
 * The settings that apply to a table: the entry whose key names it exactly, else the first entry (in the
 * file's order) whose glob key matches it; undefined when none does. Entries are not merged: one table, one entry.
 */
export function tableSettingsFor(config: { tables: Record<string, TableSettings> }, namespace: string, table: string): TableSettings | undefined {
  const exact = config.tables[`${namespace}.${table}`];
  if (exact) return exact;
  const id: TableId = { namespace, name: table };
  for (const [key, settings] of Object.entries(config.tables)) {
    const pattern = tablePattern(key);
    if (pattern?.isGlob && pattern.matches(id)) return settings;
  }
  return undefined;
}

/** Which key of the `tables:` map applies to a table (for error messages), or undefined. */
export function tableSettingsKeyFor(config: { tables: Record<string, TableSettings> }, namespace: string, table: string): string | undefined {
  const text = `${namespace}.${table}`;
  if (config.tables[text]) return text;
  return Object.keys(config.tables).find((key) => tablePattern(key)?.isGlob && tablePattern(key)!.matches({ namespace, name: table }));
}
