import type { Connection } from 'mysql2';
import type { TableSchema } from '../../src/model/table-schema.js';
import type { SnapshotPage } from '../../src/source/snapshot-source.js';
import { INTEGER_DATA_TYPES, TEXT_DATA_TYPES, type MysqlTableInfo } from './mysql-column-info.js';
import { compileSnapshotRowDecoder, quoteMysqlIdent, snapshotColumnReaders } from './snapshot-values.js';

/**
 * Reading one MySQL/MariaDB table in primary-key ranges, for the initial snapshot and for online backfills: a
 * chunk is the rows with `after < key ≤ upTo` (either bound open), streamed in key order with backpressure
 * (mysql2 pauses the connection while a page waits), in pages of bounded size.
 *
 * Bounds are key values as text: integers and DECIMAL as exact decimal text (compared after a CAST, never as
 * doubles), text as the string (compared in the column's collation, as ORDER BY sorts), dates and times as the
 * server prints them. Keys with other column types (float, binary, BIT, ENUM, …) cannot be bounded exactly:
 * such a table is read as one chunk.
 */
export interface MysqlKeyRange {
  after: string[] | null;
  upTo: string[] | null;
}

const TEMPORAL_DATA_TYPES = new Set(['date', 'datetime', 'timestamp', 'time', 'year']);
const PAGE_TARGET_BYTES = 2 * 1024 * 1024;
const MAX_PAGE_ROWS = 5_000;

/** The placeholder that compares a key column with a text bound exactly, or null when none does. */
function boundPlaceholder(info: MysqlTableInfo['columns'][number]): string | null {
  if (INTEGER_DATA_TYPES.has(info.dataType)) return info.unsigned ? 'CAST(? AS UNSIGNED)' : 'CAST(? AS SIGNED)';
  if (['decimal', 'numeric', 'fixed'].includes(info.dataType)) return `CAST(? AS DECIMAL(${info.numericPrecision ?? 65}, ${info.numericScale ?? 0}))`;
  if (TEXT_DATA_TYPES.has(info.dataType) && !info.json) return '?';
  if (TEMPORAL_DATA_TYPES.has(info.dataType)) return '?';
  return null;
}

export class MysqlChunkQueries {
  readonly keyed: boolean;
  private readonly from: string;
  private readonly selectList: string;
  private readonly keyIdents: string[];
  private readonly placeholders: string[];
  readonly decode: ReturnType<typeof compileSnapshotRowDecoder>;

  constructor(readonly table: MysqlTableInfo, readonly schema: TableSchema) {
    this.from = `${quoteMysqlIdent(table.database)}.${quoteMysqlIdent(table.table)}`;
    const readers = snapshotColumnReaders(table, schema);
    this.selectList = readers.map((r, i) => `${r.expression} AS c${i}`).join(', ');
    this.decode = compileSnapshotRowDecoder(schema, readers);
    const keyInfos = table.primaryKey.map((name) => table.columns.find((c) => c.name === name)!);
    const placeholders = keyInfos.map(boundPlaceholder);
    this.keyed = keyInfos.length > 0 && placeholders.every((p) => p !== null);
    this.keyIdents = keyInfos.map((c) => quoteMysqlIdent(c.name));
    this.placeholders = placeholders.map((p) => p ?? '?');
  }

  /** `(k1, k2) > (b1, b2)` spelled out column by column, which every MySQL/MariaDB version plans as a range. */
  private greater(bound: readonly string[], values: unknown[], inclusive: boolean): string {
    const n = this.keyIdents.length;
    const alternatives: string[] = [];
    for (let i = 0; i < n; i++) {
      const parts: string[] = [];
      for (let j = 0; j < i; j++) {
        parts.push(`${this.keyIdents[j]} = ${this.placeholders[j]}`);
        values.push(bound[j]);
      }
      parts.push(`${this.keyIdents[i]} ${inclusive && i === n - 1 ? '>=' : '>'} ${this.placeholders[i]}`);
      values.push(bound[i]);
      alternatives.push(parts.join(' AND '));
    }
    return `(${alternatives.join(' OR ')})`;
  }

  private where(range: MysqlKeyRange): { sql: string; values: unknown[] } {
    const values: unknown[] = [];
    const parts: string[] = [];
    if (range.after) parts.push(this.greater(range.after, values, false));
    if (range.upTo) parts.push(`NOT ${this.greater(range.upTo, values, false)}`);
    return { sql: parts.length > 0 ? ` WHERE ${parts.join(' AND ')}` : '', values };
  }

  selectRange(range: MysqlKeyRange): { sql: string; values: unknown[] } {
    const where = this.where(range);
    const order = this.keyed ? ` ORDER BY ${this.keyIdents.join(', ')}` : '';
    return { sql: `SELECT ${this.selectList} FROM ${this.from}${where.sql}${order}`, values: where.values };
  }

  /** The key of the `rows`-th row after `after`, as text. */
  boundary(after: string[] | null, rows: number): { sql: string; values: unknown[] } {
    const where = this.where({ after, upTo: null });
    const keys = this.keyIdents.map((k, i) => `CAST(${k} AS CHAR) AS k${i}`).join(', ');
    return { sql: `SELECT ${keys} FROM ${this.from}${where.sql} ORDER BY ${this.keyIdents.join(', ')} LIMIT 1 OFFSET ${rows - 1}`, values: where.values };
  }

  keyOf(row: Record<string, unknown>): string[] {
    return this.keyIdents.map((_, i) => String(row[`k${i}`]));
  }
}

/** The upper bound of the chunk of at most `rows` rows after `after`; null when fewer rows are left. */
export async function nextMysqlBoundary(connection: Connection, queries: MysqlChunkQueries, after: string[] | null, rows: number): Promise<string[] | null> {
  const { sql, values } = queries.boundary(after, rows);
  const [result] = await connection.promise().query(sql, values);
  const row = (result as Record<string, unknown>[])[0];
  return row ? queries.keyOf(row) : null;
}

/** The rows of one range as canonical values, in pages, streamed with backpressure. Ending early drains the rest. */
export async function* readMysqlRange(connection: Connection, queries: MysqlChunkQueries, range: MysqlKeyRange): AsyncGenerator<SnapshotPage> {
  const { sql, values } = queries.selectRange(range);
  const stream = connection.query(sql, values).stream({ highWaterMark: 256 });
  let rows: SnapshotPage['rows'] = [];
  let bytes = 0;
  try {
    for await (const raw of stream as AsyncIterable<Record<string, unknown>>) {
      const decoded = queries.decode(raw);
      rows.push(decoded.row);
      bytes += decoded.bytes;
      if (rows.length >= MAX_PAGE_ROWS || bytes >= PAGE_TARGET_BYTES) {
        yield { rows, bytes };
        rows = [];
        bytes = 0;
      }
    }
    if (rows.length > 0) yield { rows, bytes };
  } finally {
    // Stopped early: the connection must read the rest of the result before it takes another statement.
    if (!stream.destroyed) stream.destroy();
  }
}
