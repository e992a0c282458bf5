/**
 * What the PostgreSQL catalogs say about a table's columns, before any mapping onto logtap's column types.
 * Filled by `introspectTable` (introspect-columns.ts); read by `mapColumn` (column-mapping.ts).
 */

/** pg_type.typtype: base, composite, domain, enum, pseudo, range, multirange. */
export type PgTypeKind = 'b' | 'c' | 'd' | 'e' | 'p' | 'r' | 'm';

/** One pg_type row, with the types it refers to resolved. */
export interface PgTypeInfo {
  oid: number;
  /** Schema of the type (`pg_catalog` for the built-in ones). */
  schema: string;
  /** pg_type.typname, e.g. `int4`, `_int4`, `timestamptz`, or a user type's name. */
  name: string;
  kind: PgTypeKind;
  /** pg_type.typcategory, e.g. `N` numeric, `S` string, `A` array, `U` user-defined. */
  category: string;
  /** pg_type.typdelim: the element delimiter this type uses inside array literals (`;` for box, else `,`). */
  delimiter: string;
  /** For a true array type (the typarray of its element): the element type. */
  element?: PgTypeInfo;
  /** For a domain: the type it is over, with the domain's own type modifier and declared dimensions. */
  domainBase?: { type: PgTypeInfo; typmod: number; ndims: number };
  /** For an enum: the labels in pg_enum.enumsortorder. */
  enumLabels?: string[];
  /** For a domain: its name and base type as format_type prints them, NOT NULL, CHECK constraints by name. */
  domain?: { sql: string; base: string; notNull: boolean; checks: Array<{ name: string; definition: string }> };
}

export interface PgColumnInfo {
  /** pg_attribute.attname. */
  name: string;
  /** pg_attribute.attnum (1-based; dropped columns leave gaps). */
  attnum: number;
  type: PgTypeInfo;
  /** pg_attribute.atttypmod; -1 when the type has no modifier. */
  typmod: number;
  /** pg_attribute.attndims: the declared array dimensions (not enforced by PostgreSQL). */
  ndims: number;
  notNull: boolean;
  /** pg_attribute.attgenerated is set (stored, or virtual from PostgreSQL 18). */
  generated: boolean;
  /** pgoutput publishes the column: an ordinary one, or a stored generated one from PostgreSQL 18 (published-columns.ts). */
  published: boolean;
  /** format_type(atttypid, atttypmod), e.g. `numeric(12,2)`, `timestamp with time zone`, `integer[]`. */
  sourceType: string;
  /** pg_attribute.attidentity: GENERATED ALWAYS / BY DEFAULT AS IDENTITY. */
  identity?: 'always' | 'by default';
  /** A non-identity column's owned sequence (a serial column), schema-qualified as pg_get_serial_sequence prints it. */
  serialSequence?: string;
  /** The column's collation as `schema.name` SQL, when not its type's default. */
  collation?: string;
  /** A stored generated column's expression (pg_get_expr). */
  generationExpression?: string;
  /** attmissingval as text (`{web}`: a one-element array of the column's type) when atthasmissing. */
  missingText?: string;
  /** pg_get_expr(adbin, adrelid): the default expression, e.g. `'web'::text`, `now()`. */
  defaultExpression?: string;
}

/** pg_class.relreplident: default (primary key), nothing, full, index. */
export type PgReplicaIdentity = 'default' | 'nothing' | 'full' | 'index';

export interface PgTableInfo {
  oid: number;
  schema: string;
  name: string;
  /** Columns in attnum order, dropped columns left out. */
  columns: PgColumnInfo[];
  /** Primary-key column names in index order; empty without a primary key. */
  primaryKey: string[];
  replicaIdentity: PgReplicaIdentity;
  /** Columns of the REPLICA IDENTITY USING INDEX index, in index order; empty unless `replicaIdentity` is `index`. */
  replicaIdentityIndex: string[];
  /**
   * A partitioned table (relkind p): the columns of its partition key and of every sub-partitioned
   * partition's key (expressions left out); undefined for any other table.
   */
  partitionColumns?: string[];
}
