import type { ColumnType, StringSemantic } from '../../src/model/column-type.js';
import type { Column, TableSchema, UnpublishedColumn } from '../../src/model/table-schema.js';
import type { PgColumnInfo, PgTableInfo, PgTypeInfo } from './pg-column-info.js';
import { decodeMissingValue } from './missing-value.js';

/** A column as the core sees it, plus what the text decoder needs beyond the ColumnType. */
export interface PgMappedColumn extends Column {
  /** The element type's array delimiter (`;` for box, else `,`); only used when `type` is an array. */
  arrayDelimiter: string;
  /** The (element) type is money, whose decimal PostgreSQL writes as `-$1,234.56`. */
  money: boolean;
}

/** money is an int64 count of cents under lc_monetary=C (REQUIRED_SESSION_SETTINGS): at most 19 digits. */
export const MONEY_TYPE: ColumnType = { kind: 'decimal', precision: 19, scale: 2 };

const VARHDRSZ = 4;
const string = (semantic?: StringSemantic): ColumnType => (semantic ? { kind: 'string', semantic } : { kind: 'string' });

/** Built-in types by pg_catalog name (the typmod-dependent ones are handled in `mapBuiltin`). */
const BUILTIN: Readonly<Record<string, ColumnType>> = {
  bool: { kind: 'boolean' },
  int2: { kind: 'int', bits: 16 },
  int4: { kind: 'int', bits: 32 },
  int8: { kind: 'long' },
  float4: { kind: 'float' },
  float8: { kind: 'double' },
  money: MONEY_TYPE,
  text: string(),
  varchar: string(),
  bpchar: string(),
  name: string(),
  char: string(),
  bytea: { kind: 'bytes' },
  varbit: { kind: 'bits' },
  date: { kind: 'date' },
  time: { kind: 'time-micros' },
  timetz: { kind: 'time-tz' },
  timestamp: { kind: 'timestamp-micros', zoned: false },
  timestamptz: { kind: 'timestamp-micros', zoned: true },
  interval: { kind: 'interval' },
  json: { kind: 'json' },
  jsonb: { kind: 'json' },
  uuid: { kind: 'uuid' },
  xml: string('xml'),
  inet: string('inet'),
  cidr: string('cidr'),
  macaddr: string('macaddr'),
  macaddr8: string('macaddr8'),
  point: string('geometric'),
  line: string('geometric'),
  lseg: string('geometric'),
  box: string('geometric'),
  path: string('geometric'),
  polygon: string('geometric'),
  circle: string('geometric'),
  tsvector: string('text-search'),
  tsquery: string('text-search'),
};

/**
 * numeric's typmod is ((precision << 16) | (scale & 0x7ff)) + VARHDRSZ; since PostgreSQL 15 the scale is an
 * 11-bit signed number (-1000 … 1000) and may exceed the precision.
 */
export function numericTypmod(typmod: number): { precision: number; scale: number } | undefined {
  if (typmod < VARHDRSZ) return undefined;
  const packed = typmod - VARHDRSZ;
  return { precision: (packed >> 16) & 0xffff, scale: ((packed & 0x7ff) ^ 1024) - 1024 };
}

/**
 * numeric(p,s) → decimal. A negative scale rounds to tens, hundreds…: PostgreSQL prints those values without a
 * fraction, so they fit decimal(p - s, 0). A scale above the precision (numeric(3,5): below 0.001) fits
 * decimal(s, s). NaN is allowed in every numeric column; ±Infinity only without a typmod.
 */
function mapNumeric(typmod: number): ColumnType {
  const mod = numericTypmod(typmod);
  if (!mod) return { kind: 'variable-decimal', specials: true };
  const { precision, scale } = mod;
  if (scale < 0) return { kind: 'decimal', precision: precision - scale, scale: 0, specials: true };
  return { kind: 'decimal', precision: Math.max(precision, scale), scale, specials: true };
}

function mapBuiltin(name: string, typmod: number): ColumnType | undefined {
  if (name === 'numeric') return mapNumeric(typmod);
  // bit's typmod is its length; a bit column always has one (plain `bit` means bit(1)).
  if (name === 'bit') return typmod > 0 ? { kind: 'bits', length: typmod } : { kind: 'bits' };
  const known = Object.hasOwn(BUILTIN, name) ? BUILTIN[name] : undefined;
  return known && { ...known };
}

/**
 * The logtap column type for a PostgreSQL type. `typmod` is the column's (or the enclosing domain's) type
 * modifier; `ndims` the declared array dimensions (attndims, or typndims for a domain over an array).
 */
export function mapPgType(type: PgTypeInfo, typmod: number, ndims: number): ColumnType {
  if (type.kind === 'd' && type.domainBase) {
    const base = type.domainBase;
    return mapPgType(base.type, base.typmod >= 0 ? base.typmod : typmod, base.ndims > 0 ? base.ndims : ndims);
  }
  if (type.element) {
    const element = mapPgType(type.element, typmod, 0);
    // An array of a domain over an array has no fixed nesting we could name: carried as text.
    if (element.kind === 'array') return string('other');
    return { kind: 'array', element, dimensions: ndims >= 2 ? ndims : 1 };
  }
  switch (type.kind) {
    case 'e':
      return { kind: 'enum', name: type.name, symbols: [...(type.enumLabels ?? [])] };
    case 'r':
    case 'm':
      return string('range');
    case 'b':
      if (type.schema === 'pg_catalog') return mapBuiltin(type.name, typmod) ?? string('other');
      return string('other');
    default:
      // composite row types, pseudo types
      return string('other');
  }
}

/** The element type's delimiter inside array literals (array_out uses the element type's typdelim). */
function arrayDelimiter(type: PgTypeInfo): string {
  if (type.kind === 'd' && type.domainBase) return arrayDelimiter(type.domainBase.type);
  return type.element ? type.element.delimiter : type.delimiter;
}

/** The type, below domains and arrays, is pg_catalog.money. */
function isMoney(type: PgTypeInfo): boolean {
  if (type.kind === 'd' && type.domainBase) return isMoney(type.domainBase.type);
  if (type.element) return isMoney(type.element);
  return type.schema === 'pg_catalog' && type.name === 'money';
}

export function mapColumn(column: PgColumnInfo): PgMappedColumn {
  const mapped: PgMappedColumn = {
    ...definitionOf(column),
    arrayDelimiter: arrayDelimiter(column.type),
    money: isMoney(column.type),
  };
  if (column.missingText !== undefined) mapped.missingValue = decodeMissingValue(mapped, column.missingText);
  if (column.defaultExpression !== undefined) mapped.defaultExpression = column.defaultExpression;
  // A published generated column (PostgreSQL 18+): its values come in records, its expression is kept for the definition.
  if (column.generated && column.generationExpression !== undefined) mapped.generated = { kind: 'stored', expression: column.generationExpression };
  return mapped;
}

/** The column as the core sees it: type, nullability and what replay needs of its definition. */
function definitionOf(column: PgColumnInfo): Column {
  const mapped: Column = {
    name: column.name,
    type: mapPgType(column.type, column.typmod, column.ndims),
    nullable: !column.notNull,
    sourceType: column.sourceType,
  };
  if (column.collation) mapped.collation = column.collation;
  if (column.identity) mapped.identity = { generation: column.identity };
  else if (column.serialSequence) mapped.identity = { generation: 'serial', sequence: column.serialSequence };
  const domain = column.type.domain;
  if (domain) mapped.domain = { name: domain.sql, base: domain.base, notNull: domain.notNull, checks: domain.checks.map((c) => ({ ...c })) };
  return mapped;
}

const coreColumn = ({ arrayDelimiter: _delimiter, money: _money, ...column }: PgMappedColumn): Column => column;

/** A table as the connector reads and publishes it. */
export interface PgMappedTable { schema: TableSchema; columns: PgMappedColumn[]; partitioned: boolean }

/**
 * The table's schema as the core sees it, and the mapped columns for the decoder. The columns are the ones
 * pgoutput publishes: a stored generated column is one of them from PostgreSQL 18 (with its expression as
 * `generated`, a value like any other in records); before 18 it is left out and kept as `unpublished`, with
 * its expression, for replay. The key is the REPLICA IDENTITY index when one is set, else the primary key.
 */
export function mapTable(table: PgTableInfo): PgMappedTable {
  const columns = table.columns.filter((c) => c.published).map(mapColumn);
  const key = table.replicaIdentity === 'index' ? table.replicaIdentityIndex : table.primaryKey;
  const unpublished: UnpublishedColumn[] = [];
  table.columns.forEach((c, position) => {
    if (c.generated && !c.published && c.generationExpression !== undefined) {
      unpublished.push({ ...definitionOf(c), generated: { kind: 'stored', expression: c.generationExpression }, position });
    }
  });
  const schema: TableSchema = { id: { namespace: table.schema, name: table.name }, columns: columns.map(coreColumn), key: [...key] };
  if (unpublished.length > 0) schema.unpublished = unpublished;
  return { schema, columns, partitioned: table.partitionColumns !== undefined };
}
