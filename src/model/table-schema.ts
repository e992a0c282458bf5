import type { ColumnType } from './column-type.js';

/** A table as a source names it: `namespace` is the PostgreSQL schema or the MySQL database. */
export interface TableId {
  namespace: string;
  name: string;
}

/** A generated column: `expression` in the source database's own SQL, `kind` how it is kept. */
export interface GeneratedColumn {
  kind: 'stored' | 'virtual';
  expression: string;
}

/** A PostgreSQL domain: its (qualified as format_type prints it) name, base type, NOT NULL and CHECK constraints. */
export interface DomainDefinition {
  name: string;
  base: string;
  notNull: boolean;
  checks: Array<{ name: string; definition: string }>;
}

/**
 * A PostgreSQL column that numbers itself: `GENERATED ALWAYS|BY DEFAULT AS IDENTITY`, or a serial column
 * (a default of nextval on a sequence the column owns, `sequence` as pg_get_serial_sequence prints it).
 */
export type IdentityDefinition = { generation: 'always' | 'by default' } | { generation: 'serial'; sequence: string };

export interface Column {
  /** The source's name, any characters; the Avro layer sanitizes it and keeps this original. */
  name: string;
  type: ColumnType;
  nullable: boolean;
  /** The source's own type name with modifiers (e.g. `numeric(12,2)`, `int unsigned`), for docs and replay. */
  sourceType: string;
  /*
   * The column's definition beyond its type, for replay into the same kind of database. Each is present only
   * where it says something (a collation other than the table's or type's default, …).
   */
  /** MySQL: character set of a text column whose collation differs from the table's default. */
  charset?: string;
  /** MySQL: collation name, when not the table's default; PostgreSQL: the column's COLLATE when not its type's default (SQL text). */
  collation?: string;
  /** MySQL: `ON UPDATE` expression (`current_timestamp()`, `current_timestamp(6)`). */
  onUpdate?: string;
  /** MySQL AUTO_INCREMENT. */
  autoIncrement?: true;
  identity?: IdentityDefinition;
  generated?: GeneratedColumn;
  domain?: DomainDefinition;
  /**
   * The value rows written before the column existed read (canonical form of `type`; null for NULL): PostgreSQL's
   * pg_attribute.attmissingval, MySQL's constant default. Absent when the source names none (or it is not a constant).
   */
  missingValue?: unknown;
  /** The source's default expression as the source prints it (PostgreSQL pg_get_expr, MySQL COLUMN_DEFAULT); absent without one. */
  defaultExpression?: string;
  /** Its values are masked by logtap (`hash`, `null`, `truncate:<n>`; config `tables.<t>.columns.mask`): not the source's values. */
  mask?: string;
}

/** A generated column the source's log does not carry (PostgreSQL before 18): in no record, kept for the definition. */
export interface UnpublishedColumn extends Column {
  generated: GeneratedColumn;
  /** 0-based position among all the table's columns (the published ones and these), in source order. */
  position: number;
}

/** Table-wide options of the definition (MySQL: the default character set and collation). */
export interface TableOptions {
  charset?: string;
  collation?: string;
}

/** One version of a table's shape, as the source described it at a point of its log. */
export interface TableSchema {
  id: TableId;
  /** Columns in source order. */
  columns: Column[];
  /** Names of the key columns, in key order (primary key or replica-identity index); empty for keyless tables. */
  key: string[];
  options?: TableOptions;
  /** Generated columns that are in no record (PostgreSQL before 18 does not publish them). */
  unpublished?: UnpublishedColumn[];
}

export const tableIdText = (id: TableId): string => `${id.namespace}.${id.name}`;

/** `namespace.table` as people write it (no dot inside either part), or null when it is not one. */
export function parseTableId(text: string): TableId | null {
  const match = /^([^.\s]+)\.([^.\s]+)$/.exec(text);
  return match ? { namespace: match[1]!, name: match[2]! } : null;
}

/** Keys of Column that describe the definition only (carried as `logtap.<key>` attributes of a value field). */
export const COLUMN_DEFINITION_KEYS = ['charset', 'collation', 'onUpdate', 'autoIncrement', 'identity', 'generated', 'domain', 'mask'] as const;
/**
 * A table version's shape (or a part of it) as text, for telling versions apart: JSON with the values JSON lacks
 * (a missing value may be a BigInt or an infinity) spelled out.
 */
export const tableShapeText = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
