import {
  INTEGER_DATA_TYPES,
  TEXT_DATA_TYPES,
  isJsonValidCheckFor,
  labelsMayBeLossy,
  parseEnumLabels,
  parseNumericModifiers,
  parseTypeLength,
  type MysqlColumnInfo,
  type MysqlTableInfo,
} from './mysql-column-info.js';
import { TableNotFoundError } from './mysql-errors.js';
import { classifyColumnDefault } from './column-default.js';

/** The one thing introspection needs from a connection: run a statement with `?` placeholders, get its rows. */
export interface MysqlQueryRunner {
  query(sql: string, values: readonly unknown[]): Promise<Record<string, unknown>[]>;
}

/** Adapts a mysql2/promise connection or pool (anything whose `query` resolves to `[rows, fields]`). */
export function queryRunnerOf(connection: { query(sql: string, values: unknown[]): Promise<[unknown, unknown]> }): MysqlQueryRunner {
  return {
    async query(sql, values) {
      const [rows] = await connection.query(sql, [...values]);
      return rows as Record<string, unknown>[];
    },
  };
}

// Aliased to lower case: MySQL 8 and MariaDB differ in the letter case of INFORMATION_SCHEMA result names.
const COLUMN_FIELDS = `COLUMN_NAME AS name, ORDINAL_POSITION AS ordinal, DATA_TYPE AS data_type, COLUMN_TYPE AS column_type,
  IS_NULLABLE AS is_nullable, CHARACTER_MAXIMUM_LENGTH AS max_length, NUMERIC_PRECISION AS numeric_precision,
  NUMERIC_SCALE AS numeric_scale, DATETIME_PRECISION AS datetime_precision, CHARACTER_SET_NAME AS character_set,
  COLLATION_NAME AS collation, COLUMN_DEFAULT AS column_default, EXTRA AS extra, GENERATION_EXPRESSION AS generation_expression`;

const COLUMNS_SQL = `SELECT ${COLUMN_FIELDS}
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`;

const PRIMARY_KEY_SQL = `SELECT COLUMN_NAME AS name FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`;

const TABLE_OPTIONS_SQL = `SELECT t.TABLE_COLLATION AS collation, c.CHARACTER_SET_NAME AS charset
FROM information_schema.TABLES t LEFT JOIN information_schema.COLLATIONS c ON c.COLLATION_NAME = t.TABLE_COLLATION
WHERE t.TABLE_SCHEMA = ? AND t.TABLE_NAME = ?`;

// MariaDB only (its CHECK_CONSTRAINTS has TABLE_NAME; MySQL has a native JSON type instead).
const CHECKS_SQL = `SELECT CHECK_CLAUSE AS check_clause FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`;

/** Reads the columns and primary key of one table from INFORMATION_SCHEMA. */
export async function introspectTable(runner: MysqlQueryRunner, database: string, table: string): Promise<MysqlTableInfo> {
  const [versionRows, columnRows, keyRows, optionRows] = await Promise.all([
    runner.query('SELECT VERSION() AS version', []),
    runner.query(COLUMNS_SQL, [database, table]),
    runner.query(PRIMARY_KEY_SQL, [database, table]),
    runner.query(TABLE_OPTIONS_SQL, [database, table]),
  ]);
  if (columnRows.length === 0) throw new TableNotFoundError(`${database}.${table}`);
  const isMariaDb = isMariaDbVersion(versionRows);
  const checks = isMariaDb && hasTextColumn(columnRows)
    ? (await runner.query(CHECKS_SQL, [database, table])).map((row) => text(row.check_clause))
    : [];
  return tableInfo(database, table, columnRows, keyRows, optionRows[0], checks, isMariaDb);
}

// The same reads for every table of one database at once, ordered for grouping by table.
const SCHEMA_COLUMNS_SQL = `SELECT TABLE_NAME AS table_name, ${COLUMN_FIELDS}
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`;

const SCHEMA_PRIMARY_KEYS_SQL = `SELECT TABLE_NAME AS table_name, COLUMN_NAME AS name FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND INDEX_NAME = 'PRIMARY' ORDER BY TABLE_NAME, SEQ_IN_INDEX`;

const SCHEMA_TABLE_OPTIONS_SQL = `SELECT t.TABLE_NAME AS table_name, t.TABLE_COLLATION AS collation, c.CHARACTER_SET_NAME AS charset
FROM information_schema.TABLES t LEFT JOIN information_schema.COLLATIONS c ON c.COLLATION_NAME = t.TABLE_COLLATION
WHERE t.TABLE_SCHEMA = ?`;

const SCHEMA_CHECKS_SQL = `SELECT TABLE_NAME AS table_name, CHECK_CLAUSE AS check_clause FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = ?`;

/**
 * Reads many tables as introspectTable reads one, in a few queries per database (a snapshot of thousands of
 * tables: one round trip per table and query took ~10 ms each). Each INFORMATION_SCHEMA query names its database
 * only (MariaDB opens just that database's tables; a list of names would make it open every table of the server).
 * A table the database-wide read did not name exactly (letter case under lower_case_table_names) is read alone.
 */
export async function introspectTables(runner: MysqlQueryRunner, tables: readonly { namespace: string; name: string }[]): Promise<MysqlTableInfo[]> {
  if (tables.length === 0) return [];
  const isMariaDb = isMariaDbVersion(await runner.query('SELECT VERSION() AS version', []));
  const byDatabase = new Map<string, Map<string, MysqlTableInfo | undefined>>();
  for (const t of tables) {
    let wanted = byDatabase.get(t.namespace);
    if (!wanted) byDatabase.set(t.namespace, (wanted = new Map()));
    wanted.set(t.name, undefined);
  }
  for (const [database, wanted] of byDatabase) {
    const [columnRows, keyRows, optionRows, checkRows] = await Promise.all([
      runner.query(SCHEMA_COLUMNS_SQL, [database]),
      runner.query(SCHEMA_PRIMARY_KEYS_SQL, [database]),
      runner.query(SCHEMA_TABLE_OPTIONS_SQL, [database]),
      isMariaDb ? runner.query(SCHEMA_CHECKS_SQL, [database]) : Promise.resolve([]),
    ]);
    const columns = groupByTable(columnRows, wanted);
    const keys = groupByTable(keyRows, wanted);
    const options = groupByTable(optionRows, wanted);
    const checks = groupByTable(checkRows, wanted);
    for (const [table, columnsOf] of columns) {
      const checkClauses = isMariaDb && hasTextColumn(columnsOf) ? (checks.get(table) ?? []).map((row) => text(row.check_clause)) : [];
      wanted.set(table, tableInfo(database, table, columnsOf, keys.get(table) ?? [], options.get(table)?.[0], checkClauses, isMariaDb));
    }
  }
  const infos: MysqlTableInfo[] = [];
  for (const t of tables) infos.push(byDatabase.get(t.namespace)!.get(t.name) ?? await introspectTable(runner, t.namespace, t.name));
  return infos;
}

/** The rows of the wanted tables, by table, in their order. */
function groupByTable(rows: Record<string, unknown>[], wanted: ReadonlyMap<string, unknown>): Map<string, Record<string, unknown>[]> {
  const byTable = new Map<string, Record<string, unknown>[]>();
  for (const row of rows) {
    const table = text(row.table_name);
    if (!wanted.has(table)) continue;
    let list = byTable.get(table);
    if (!list) byTable.set(table, (list = []));
    list.push(row);
  }
  return byTable;
}

const isMariaDbVersion = (versionRows: Record<string, unknown>[]): boolean => String(versionRows[0]?.version ?? '').toLowerCase().includes('mariadb');
const hasTextColumn = (columnRows: Record<string, unknown>[]): boolean => columnRows.some((row) => TEXT_DATA_TYPES.has(text(row.data_type).toLowerCase()));

function tableInfo(
  database: string, table: string, columnRows: Record<string, unknown>[], keyRows: Record<string, unknown>[], options: Record<string, unknown> | undefined,
  checks: readonly string[], isMariaDb: boolean,
): MysqlTableInfo {
  const info: MysqlTableInfo = {
    database,
    table,
    columns: columnRows.map((row) => columnInfoFromRow(row, checks, isMariaDb)),
    primaryKey: keyRows.map((row) => text(row.name)),
  };
  if (options?.collation != null) info.options = { collation: text(options.collation), ...(options.charset != null ? { charset: text(options.charset) } : {}) };
  return info;
}

/** One INFORMATION_SCHEMA.COLUMNS row (lower-case aliases as in COLUMNS_SQL) → column info. */
export function columnInfoFromRow(row: Record<string, unknown>, checkClauses: readonly string[], mariaDb = true): MysqlColumnInfo {
  const name = text(row.name);
  const dataType = text(row.data_type).toLowerCase();
  const columnType = text(row.column_type);
  const modifiers = parseNumericModifiers(columnType);
  const info: MysqlColumnInfo = {
    name,
    ordinal: Number(row.ordinal),
    dataType,
    columnType,
    unsigned: modifiers.unsigned,
    zerofill: modifiers.zerofill,
    nullable: text(row.is_nullable).toUpperCase() === 'YES',
    json: dataType === 'json' || (TEXT_DATA_TYPES.has(dataType) && checkClauses.some((clause) => isJsonValidCheckFor(clause, name))),
  };
  if (modifiers.width !== undefined && INTEGER_DATA_TYPES.has(dataType)) info.displayWidth = modifiers.width;
  setNumber(info, 'maxLength', row.max_length);
  setNumber(info, 'numericPrecision', row.numeric_precision);
  setNumber(info, 'numericScale', row.numeric_scale);
  setNumber(info, 'datetimePrecision', row.datetime_precision);
  if (row.character_set != null) info.characterSet = text(row.character_set);
  if (row.collation != null) info.collation = text(row.collation);
  const extra = row.extra == null ? '' : text(row.extra);
  if (/\bauto_increment\b/i.test(extra)) info.autoIncrement = true;
  const onUpdate = /\bon update (\S+)/i.exec(extra);
  if (onUpdate) info.onUpdate = onUpdate[1]!.toLowerCase();
  const generated = /\b(stored|persistent|virtual) generated\b/i.exec(extra);
  if (generated && row.generation_expression != null) {
    info.generated = { kind: generated[1]!.toLowerCase() === 'virtual' ? 'virtual' : 'stored', expression: text(row.generation_expression) };
  }
  // A generated column's value is its expression's: it has no default of its own.
  const columnDefault = row.column_default === undefined || info.generated ? undefined : classifyColumnDefault(row.column_default === null ? null : text(row.column_default), row.extra == null ? '' : text(row.extra), mariaDb);
  if (columnDefault) info.default = columnDefault;
  if (dataType === 'bit') info.bitLength = parseTypeLength(columnType) ?? 1;
  if (dataType === 'enum' || dataType === 'set') {
    info.labels = parseEnumLabels(columnType);
    if (labelsMayBeLossy(info.labels, info.characterSet)) info.labelsMayBeLossy = true;
  }
  return info;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return String(value);
}

function setNumber<K extends 'maxLength' | 'numericPrecision' | 'numericScale' | 'datetimePrecision'>(info: MysqlColumnInfo, key: K, value: unknown): void {
  if (value !== null && value !== undefined && value !== '') info[key] = Number(value);
}
