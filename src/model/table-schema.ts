import type { ColumnType } from './column-type.js';

/** A table as a source names it: `namespace` is the PostgreSQL schema or the MySQL database. */
export interface TableId {
  namespace: string;
  name: string;
}

export interface Column {
  /** The source's name, any characters; the Avro layer sanitizes it and keeps this original. */
  name: string;
  type: ColumnType;
  nullable: boolean;
  /** The source's own type name with modifiers (e.g. `numeric(12,2)`, `int unsigned`), for docs and replay. */
  sourceType: string;
  /**
   * The value rows written before the column existed read (canonical form of `type`; null for NULL): PostgreSQL's
   * pg_attribute.attmissingval, MySQL's constant default. Absent when the source names none (or it is not a constant).
   */
  missingValue?: unknown;
  /** The source's default expression as the source prints it (PostgreSQL pg_get_expr, MySQL COLUMN_DEFAULT); absent without one. */
  defaultExpression?: string;
}

/** One version of a table's shape, as the source described it at a point of its log. */
export interface TableSchema {
  id: TableId;
  /** Columns in source order. */
  columns: Column[];
  /** Names of the key columns, in key order (primary key or replica-identity index); empty for keyless tables. */
  key: string[];
}

export const tableIdText = (id: TableId): string => `${id.namespace}.${id.name}`;

/**
 * A table version's shape (or a part of it) as text, for telling versions apart: JSON with the values JSON lacks
 * (a missing value may be a BigInt or an infinity) spelled out.
 */
export const tableShapeText = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
