import type pg from 'pg';
import type { Row } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import type { SnapshotPage } from '../../src/source/snapshot-source.js';
import type { PgMappedColumn } from './column-mapping.js';
import { quoteIdent, quoteLiteral, rowsOf } from './pg-identifiers.js';
import { type RawTuple, compileRowDecoder } from './text-decoder.js';

/**
 * Reading one table in primary-key ranges, for the initial snapshot and for online backfills: a chunk is
 * the rows with `after < key ≤ upTo` (either bound open), read in key order through a cursor in pages whose
 * size adapts to the rows' width, so wide rows and large values stay in bounded memory.
 *
 * Key bounds are the key columns' text as PostgreSQL prints it under REQUIRED_SESSION_SETTINGS, compared
 * as a row value `(k1, k2) > ('…'::type1, '…'::type2)`, which matches `ORDER BY k1, k2` (same operators
 * and collations).
 */
export interface PgChunkTable {
  schema: TableSchema;
  /** The published columns (generated ones left out, as pgoutput does), in order. */
  columns: PgMappedColumn[];
  /** A declarative partitioned table (its partitions hold the rows). */
  partitioned?: boolean;
}

export interface PgKeyRange {
  /** Exclusive lower bound; null: from the first row. */
  after: string[] | null;
  /** Inclusive upper bound; null: to the last row. */
  upTo: string[] | null;
}

/** Every value as PostgreSQL's text, untouched by pg's type parsers (the connector's decoders read it). */
export const RAW_TEXT: pg.CustomTypesConfig = { getTypeParser: () => (value: string) => value };

/** Pages aim at this many bytes of value text. */
const PAGE_TARGET_BYTES = 2 * 1024 * 1024;
const MAX_PAGE_ROWS = 5_000;

let cursorSerial = 0;

/** The SQL of one table's reads, built once per table. */
export class PgChunkQueries {
  private readonly from: string;
  private readonly selectList: string;
  private readonly keyList: string;
  private readonly keyTypes: string[];
  private readonly keyColumns: string[];

  /** `rowFilter`: an SQL boolean expression every row read must satisfy (config `tables.<t>.where`). */
  constructor(readonly table: PgChunkTable, private readonly rowFilter?: string) {
    this.from = rowsOf(table.schema.id, table.partitioned ?? false);
    this.selectList = table.columns.map((c) => quoteIdent(c.name)).join(', ');
    this.keyColumns = table.schema.key;
    this.keyList = this.keyColumns.map(quoteIdent).join(', ');
    this.keyTypes = this.keyColumns.map((name) => {
      const column = table.columns.find((c) => c.name === name);
      if (!column) throw new Error(`key column ${name} of ${this.from} is not a published column`);
      return column.sourceType;
    });
  }

  get keyed(): boolean {
    return this.keyColumns.length > 0;
  }

  private keyValue(texts: readonly string[]): string {
    if (texts.length !== this.keyColumns.length) throw new Error(`a key of ${this.from} has ${this.keyColumns.length} columns, not ${texts.length}`);
    return `(${texts.map((t, i) => `${quoteLiteral(t)}::${this.keyTypes[i]}`).join(', ')})`;
  }

  private where(range: PgKeyRange): string {
    const parts: string[] = [];
    if (this.rowFilter !== undefined) parts.push(`(${this.rowFilter})`);
    if (range.after) parts.push(`(${this.keyList}) > ${this.keyValue(range.after)}`);
    if (range.upTo) parts.push(`(${this.keyList}) <= ${this.keyValue(range.upTo)}`);
    return parts.length > 0 ? ` WHERE ${parts.join(' AND ')}` : '';
  }

  /** The rows of a range, in key order (a keyless table: every row, in no order). */
  selectRange(range: PgKeyRange): string {
    const order = this.keyed ? ` ORDER BY ${this.keyList}` : '';
    return `SELECT ${this.selectList} FROM ${this.from}${this.where(range)}${order}`;
  }

  /** The key of the `rows`-th row after `after`: the upper bound of a chunk of that many rows. */
  boundary(after: string[] | null, rows: number): string {
    return `SELECT ${this.keyList} FROM ${this.from}${this.where({ after, upTo: null })} ORDER BY ${this.keyList} OFFSET ${rows - 1} LIMIT 1`;
  }

  keyOf(row: Record<string, unknown>): string[] {
    return this.keyColumns.map((k) => String(row[k]));
  }
}

/**
 * The upper bound of the chunk of at most `rows` rows after `after`; null when fewer rows are left (the
 * chunk runs to the table's end).
 */
export async function nextBoundary(client: pg.Client, queries: PgChunkQueries, after: string[] | null, rows: number): Promise<string[] | null> {
  const result = await client.query({ text: queries.boundary(after, rows), types: RAW_TEXT });
  const row = result.rows[0] as Record<string, unknown> | undefined;
  return row ? queries.keyOf(row) : null;
}

/**
 * The rows of one range as canonical values, in pages. `client` must be inside a transaction (the cursor
 * lives in it; a snapshot's REPEATABLE READ transaction). Ending the iteration early closes the cursor.
 * The next FETCH is sent before a page is decoded, so the server produces rows while they are decoded here.
 */
export async function* readRange(client: pg.Client, queries: PgChunkQueries, range: PgKeyRange, maxPageRows = MAX_PAGE_ROWS): AsyncGenerator<SnapshotPage> {
  const decode = compileRowDecoder(queries.table.columns);
  const names = queries.table.columns.map((c) => c.name);
  const cursor = `logtap_chunk_${++cursorSerial}`;
  const fetchPage = (rows: number) => {
    const page = client.query({ text: `FETCH FORWARD ${rows} FROM ${cursor}`, types: RAW_TEXT });
    // Awaited later (after the previous page was yielded): a failure meanwhile must not count as unhandled.
    page.catch(() => {});
    return page;
  };
  await client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${queries.selectRange(range)}`);
  // A first small page measures the rows' width (a few rows of large values must not fill memory).
  let fetch = Math.min(maxPageRows, 16);
  let pending: ReturnType<typeof fetchPage> | undefined = fetchPage(fetch);
  try {
    while (pending) {
      const raw = (await pending).rows as RawTuple[];
      pending = undefined;
      let bytes = 0;
      for (const tuple of raw) for (const name of names) bytes += tuple[name]?.length ?? 0;
      if (raw.length === fetch) {
        // Aim the next page at PAGE_TARGET_BYTES, from this page's average row width.
        fetch = Math.max(1, Math.min(maxPageRows, Math.floor(PAGE_TARGET_BYTES / Math.max(1, bytes / raw.length))));
        pending = fetchPage(fetch);
      }
      if (raw.length === 0) continue;
      const rows: Row[] = new Array(raw.length);
      for (let i = 0; i < raw.length; i++) rows[i] = decode(raw[i]!);
      yield { rows, bytes };
    }
  } finally {
    // pg runs queries in order: a FETCH still under way finishes before the CLOSE.
    await (pending as Promise<unknown> | undefined)?.catch(() => {});
    await client.query(`CLOSE ${cursor}`).catch(() => {});
  }
}
