import type { MysqlColumnDefault } from './column-default.js';

/**
 * A MySQL/MariaDB column as INFORMATION_SCHEMA describes it, and the parsing of COLUMN_TYPE text
 * (modifiers, ENUM/SET label lists) that INFORMATION_SCHEMA does not split out.
 */
export interface MysqlColumnInfo {
  name: string;
  /** 1-based position in the table. */
  ordinal: number;
  /** INFORMATION_SCHEMA.COLUMNS.DATA_TYPE, lower-case: `int`, `varchar`, `uuid`, `point`, … */
  dataType: string;
  /** COLUMN_TYPE as the server prints it: `int(10) unsigned zerofill`, `enum('a','b')`, `datetime(6)`. */
  columnType: string;
  unsigned: boolean;
  zerofill: boolean;
  /** Display width of an integer type (`tinyint(1)` → 1); absent where the server omits it (MySQL ≥ 8.0.19). */
  displayWidth?: number;
  /** CHARACTER_MAXIMUM_LENGTH: characters of a text type, bytes of a binary type. */
  maxLength?: number;
  /** NUMERIC_PRECISION / NUMERIC_SCALE (DECIMAL precision and scale; integer digits). */
  numericPrecision?: number;
  numericScale?: number;
  /** Fractional-second digits of TIME/DATETIME/TIMESTAMP (0–6). */
  datetimePrecision?: number;
  /** Length n of BIT(n). */
  bitLength?: number;
  /** CHARACTER_SET_NAME of a text column (absent for binary and non-text columns). */
  characterSet?: string;
  collation?: string;
  /** ENUM/SET labels exactly as declared, in declaration order. */
  labels?: string[];
  /**
   * INFORMATION_SCHEMA prints type text in utf8mb3, so a label character outside the BMP (an emoji in a utf8mb4
   * ENUM) arrives as '?'. True when a label of a column able to hold such characters contains '?'.
   */
  labelsMayBeLossy?: boolean;
  nullable: boolean;
  /** EXTRA says auto_increment. */
  autoIncrement?: true;
  /** EXTRA's `on update <expression>`, lower-case (`current_timestamp()`, `current_timestamp(6)`). */
  onUpdate?: string;
  /** A generated column (EXTRA `STORED GENERATED` / `VIRTUAL GENERATED`) and its GENERATION_EXPRESSION. */
  generated?: { kind: 'stored' | 'virtual'; expression: string };
  /** COLUMN_DEFAULT, classified; absent without a default. */
  default?: MysqlColumnDefault;
  /** MySQL JSON, or a MariaDB text column guarded by CHECK (json_valid(`col`)) — which is what MariaDB's JSON is. */
  json: boolean;
}

export interface MysqlTableInfo {
  database: string;
  table: string;
  /** In ordinal order. */
  columns: MysqlColumnInfo[];
  /** Primary key column names in key order; empty for a table without a primary key. */
  primaryKey: string[];
  /** The table's default character set and collation (INFORMATION_SCHEMA.TABLES). */
  options?: { charset?: string; collation?: string };
}

/** DATA_TYPE families (INFORMATION_SCHEMA spellings of MySQL 5.7/8 and MariaDB). */
export const INTEGER_DATA_TYPES: ReadonlySet<string> = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
export const TEXT_DATA_TYPES: ReadonlySet<string> = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']);
export const BINARY_DATA_TYPES: ReadonlySet<string> = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
export const GEOMETRY_DATA_TYPES: ReadonlySet<string> = new Set([
  'geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection',
]);

export const qualifiedColumnName = (table: Pick<MysqlTableInfo, 'database' | 'table'>, column: string): string =>
  `${table.database}.${table.table}.${column}`;

export interface NumericModifiers {
  unsigned: boolean;
  zerofill: boolean;
  /** The first number in parentheses after the type name (display width, length or precision). */
  width?: number;
}

/** Splits `int(10) unsigned zerofill` / `decimal(12,2) unsigned` / `double` into its modifiers. */
export function parseNumericModifiers(columnType: string): NumericModifiers {
  const match = /^[a-z ]+?(?:\((\d+)(?:,\d+)?\))?((?: [a-z]+)*)$/i.exec(columnType.trim());
  if (!match) return { unsigned: false, zerofill: false };
  const words = (match[2] ?? '').toLowerCase().split(' ');
  const result: NumericModifiers = { unsigned: words.includes('unsigned'), zerofill: words.includes('zerofill') };
  if (match[1] !== undefined) result.width = Number(match[1]);
  return result;
}

/** The n of `bit(n)`, `binary(n)`, `char(n)`…; undefined when the type text has no length. */
export function parseTypeLength(columnType: string): number | undefined {
  const match = /^[a-z]+\((\d+)\)/i.exec(columnType);
  return match ? Number(match[1]) : undefined;
}

const ESCAPES: Record<string, string> = { '0': '\0', n: '\n', r: '\r', t: '\t', b: '\b', Z: '\x1a', '\\': '\\', "'": "'", '"': '"' };

/**
 * The labels of `enum('a','b')` / `set('a','b')` exactly as declared. Labels may hold any character, commas and
 * quotes included: MariaDB writes a quote as `''`, a backslash as `\\`, NUL/LF/CR as `\0`, `\n`, `\r`
 * (other characters, tabs included, raw); the MySQL string-literal escapes are accepted as well.
 */
export function parseEnumLabels(columnType: string): string[] {
  const open = columnType.indexOf('(');
  const keyword = columnType.slice(0, open).toLowerCase();
  if (open < 0 || (keyword !== 'enum' && keyword !== 'set')) throw new Error(`not an ENUM/SET type: ${columnType}`);
  const labels: string[] = [];
  let i = open + 1;
  const fail = (what: string): never => {
    throw new Error(`cannot parse ${keyword} labels of ${JSON.stringify(columnType)} at offset ${i}: ${what}`);
  };
  if (columnType[i] === ')') return labels;
  for (;;) {
    if (columnType[i] !== "'") fail("expected '");
    i++;
    let label = '';
    for (;;) {
      const c = columnType[i];
      if (c === undefined) fail('unterminated label');
      if (c === "'") {
        if (columnType[i + 1] === "'") {
          label += "'";
          i += 2;
          continue;
        }
        i++;
        break;
      }
      if (c === '\\') {
        const next = columnType[i + 1];
        if (next === undefined) fail('dangling backslash');
        label += ESCAPES[next!] ?? next;
        i += 2;
        continue;
      }
      label += c;
      i++;
    }
    labels.push(label);
    if (columnType[i] === ',') {
      i++;
      continue;
    }
    if (columnType[i] === ')' && i === columnType.length - 1) return labels;
    fail("expected ',' or the closing ')'");
  }
}

/** Character sets whose columns can hold characters outside the BMP (which INFORMATION_SCHEMA prints as '?'). */
const SUPPLEMENTARY_CAPABLE = new Set(['utf8mb4', 'utf16', 'utf16le', 'utf32', 'gb18030']);

export const labelsMayBeLossy = (labels: readonly string[], characterSet: string | undefined): boolean =>
  characterSet !== undefined && SUPPLEMENTARY_CAPABLE.has(characterSet) && labels.some((label) => label.includes('?'));

/** Whether a CHECK clause is exactly `json_valid(`column`)` — MariaDB's JSON type, or the same guard written by hand. */
export function isJsonValidCheckFor(checkClause: string, column: string): boolean {
  const match = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(checkClause.trim());
  return match !== null && match[1]!.replaceAll('``', '`') === column;
}
