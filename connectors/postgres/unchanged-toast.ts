import { EncodingError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { type TableId, tableIdText } from '../../src/model/table-schema.js';
import type { SourceMetrics } from '../../src/source/source-connector.js';
import { quoteIdent, quoteTable } from './pg-identifiers.js';
import type { TableVersion } from './relation-cache.js';
import type { RawTuple } from './text-decoder.js';

/** Rows read back per query. */
const ROWS_PER_QUERY = 500;
/** Changes held behind pending read-backs before they are read and handed over (bounds memory in long transactions). */
export const MAX_HELD_CHANGES = 1000;

/** An update whose unchanged TOASTed values are to be read from the table. */
export interface ReadBackRequest {
  version: TableVersion;
  /** The row after the update, as pgoutput sent it (and the old row filled in): its key columns locate the row. */
  tuple: RawTuple;
  /** The columns to read. */
  columns: string[];
  /** The change's position, for errors. */
  where: string;
}

/** What the reader needs of a connection: pg's Client (a query with raw text values, rows as arrays). */
export interface RawTextQueryable {
  query(config: { text: string; values: unknown[]; rowMode: 'array'; types: { getTypeParser: () => (text: string) => string } }): Promise<{ rows: unknown[][] }>;
}

/** The table's name now (it may have been renamed since the change); none when it was dropped. */
const CURRENT_NAME_SQL = `SELECT n.nspname::text, c.relname::text FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::int8::oid`;

/** Every value as PostgreSQL's text output, as pgoutput sends it (the connection has the same session settings). */
const RAW_TEXT = { getTypeParser: () => (text: string) => text };

interface Held {
  request: ReadBackRequest | null;
  /** For a read-back: the values read (null: the row is gone). */
  deliver: (values: RawTuple | null) => Promise<void>;
}

/**
 * The `read-back` TOAST policy (docs/postgres-connector.md): an update whose row lacks unchanged TOASTed
 * values is held, with every later change of its transaction, in log order; at the transaction's commit
 * (or after MAX_HELD_CHANGES) the values are read from the table by key over the catalog connection, a
 * query per table and ROWS_PER_QUERY keys, and the held changes are handed over in order. The stream waits
 * meanwhile. The value read is the table's current one: the final state is exact, a record may carry a
 * newer value of that column than the update's own. A row gone by the time of the read (deleted or its
 * key changed later, which the stream delivers after it) has no value to read: its update is not handed
 * over (an update that changed the key still ends the old key, as a delete: change-translator.ts), and the
 * key's previous record stands until that later change replaces it.
 */
export class UnchangedToastReader {
  private held: Held[] = [];

  constructor(
    private readonly db: RawTextQueryable,
    private readonly log: Logger,
    private readonly metrics: SourceMetrics | undefined,
    /** A failed query → the error to report (connection lost, …). */
    private readonly mapError: (err: unknown) => unknown,
  ) {}

  /** Hands a change over now, or after the read-backs held before it. */
  inOrder(deliver: () => Promise<void> | void): Promise<void> | void {
    if (this.held.length === 0) return deliver();
    return this.hold({ request: null, deliver: async () => deliver() });
  }

  /** Holds an update until its values are read; `deliver` gets them (null: the row is gone). */
  async readBack(request: ReadBackRequest, deliver: (values: RawTuple | null) => Promise<void>): Promise<void> {
    await this.hold({ request, deliver });
  }

  /** Reads what is held and hands every held change over, in order. */
  flush(): Promise<void> | void {
    if (this.held.length > 0) return this.flushHeld();
  }

  private async flushHeld(): Promise<void> {
    const held = this.held;
    this.held = [];
    const values = await this.read(held.flatMap((h) => (h.request ? [h.request] : [])));
    for (const h of held) {
      if (!h.request) await h.deliver(null);
      else await h.deliver(values.get(h.request) ?? null);
    }
  }

  /** Drops what is held (the stream stopped: the transaction is resent from the checkpoint). */
  clear(): void {
    this.held = [];
  }

  private async hold(entry: Held): Promise<void> {
    this.held.push(entry);
    if (this.held.length >= MAX_HELD_CHANGES) await this.flush();
  }

  /** The values of every request whose row still exists. */
  private async read(requests: ReadBackRequest[]): Promise<Map<ReadBackRequest, RawTuple>> {
    const found = new Map<ReadBackRequest, RawTuple>();
    const byVersion = new Map<TableVersion, ReadBackRequest[]>();
    for (const r of requests) {
      const list = byVersion.get(r.version);
      if (list) list.push(r);
      else byVersion.set(r.version, [r]);
    }
    for (const [version, list] of byVersion) {
      const table = tableIdText(version.schema.id);
      const key = version.schema.key;
      const columns = [...new Set(list.flatMap((r) => r.columns))];
      const keyText = (r: ReadBackRequest): string[] => key.map((k) => {
        const text = r.tuple[k];
        // Key values are never TOASTed out of line (a btree entry is < 3 kB), and never NULL.
        if (text === undefined || text === null) throw new EncodingError(`cannot read back the unchanged TOASTed values of ${table} at ${r.where}: the change carries no value for key column ${quoteIdent(k)}`);
        return text;
      });
      if (key.length === 0) throw new EncodingError(`cannot read back the unchanged TOASTed values of ${table} at ${list[0]!.where}: the table has no key to find the row by`);
      const current = await this.currentName(version);
      if (!current) {
        // Dropped since: no row of it can be read, and none will be published after it.
        this.metrics?.unchangedValuesRead?.(table, list.length, list.length);
        this.log.warn({ table, rows: list.length }, 'table dropped before its unchanged TOASTed values could be read back: its updates are not published');
        continue;
      }
      let gone = 0;
      for (let i = 0; i < list.length; i += ROWS_PER_QUERY) {
        const chunk = list.slice(i, i + ROWS_PER_QUERY);
        const keys = new Map<string, ReadBackRequest[]>();
        for (const r of chunk) {
          const id = JSON.stringify(keyText(r));
          keys.set(id, [...(keys.get(id) ?? []), r]);
        }
        const rows = await this.query(current, key, columns, [...keys.keys()].map((id) => JSON.parse(id) as string[])).catch((err: unknown) => {
          throw columnGone(err, table, chunk[0]!.where) ?? this.mapError(err);
        });
        for (const row of rows) {
          const values: Record<string, string | null> = {};
          columns.forEach((c, j) => { values[c] = row[key.length + j] as string | null; });
          for (const r of keys.get(JSON.stringify(row.slice(0, key.length))) ?? []) found.set(r, values);
        }
        for (const r of chunk) if (!found.has(r)) gone++;
      }
      this.metrics?.unchangedValuesRead?.(table, list.length, gone);
      this.log.debug({ table, rows: list.length, gone, columns }, 'read back unchanged TOASTed values');
      if (gone > 0) this.log.info({ table, rows: gone }, 'rows gone before their unchanged TOASTed values could be read back: their updates are not published (a later delete or key change in the stream replaces them)');
    }
    return found;
  }

  private async currentName(version: TableVersion): Promise<TableId | null> {
    const [row] = await this.run(CURRENT_NAME_SQL, [String(version.oid)]).catch((err: unknown) => { throw this.mapError(err); });
    return row ? { namespace: row[0] as string, name: row[1] as string } : null;
  }

  private async query(table: TableId, key: string[], columns: string[], keys: string[][]): Promise<unknown[][]> {
    const values: string[] = [];
    const tuples = keys.map((k) => `(${k.map((v) => { values.push(v); return `$${values.length}`; }).join(', ')})`);
    return this.run(`SELECT ${[...key, ...columns].map(quoteIdent).join(', ')} FROM ${quoteTable(table)} WHERE (${key.map(quoteIdent).join(', ')}) IN (${tuples.join(', ')})`, values);
  }

  private async run(text: string, values: string[]): Promise<unknown[][]> {
    return (await this.db.query({ text, values, rowMode: 'array', types: RAW_TEXT })).rows;
  }
}

/** A column dropped (or renamed) since the update: its value then cannot be known (docs/postgres-connector.md, limits). */
function columnGone(err: unknown, table: string, where: string): EncodingError | null {
  if ((err as { code?: unknown }).code !== '42703') return null;
  return new EncodingError(
    `cannot read back an unchanged TOASTed value of ${table} for the update at ${where}: ${(err as Error).message} (dropped or renamed since) — ` +
      `pass over this transaction with logtap offsets skip-current-transaction and re-read the table with logtap snapshot --table ${table}`,
    { cause: err },
  );
}
