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
