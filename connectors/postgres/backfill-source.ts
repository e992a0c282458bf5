import type pg from 'pg';
import type { TableSettings } from '../../src/config/table-settings.js';
import { readShape } from './captured-tables.js';
import type { Logger } from '../../src/logger.js';
import type { TableId } from '../../src/model/table-schema.js';
import { tableIdText } from '../../src/model/table-schema.js';
import type { BackfillSession, BackfillSource, BackfillTable, SignalRow } from '../../src/backfill/backfill-source.js';
import { mapTable } from './column-mapping.js';
import { type PgQueryable, TableNotFoundError, introspectTable } from './introspect-columns.js';
import { closeQuietly, openCatalogClient } from './pg-client.js';
import type { PgEndpoint } from './pg-endpoint.js';
import { SourceSetupError, mapPgError } from './pg-errors.js';
import { quoteTable } from './pg-identifiers.js';
import { PgChunkQueries, nextBoundary, readRange } from './snapshot-chunks.js';
import { WATERMARK_PREFIX, watermarkContent } from './watermark-message.js';

export interface PgBackfillContext {
  url: string;
  endpoint: PgEndpoint;
  publicationName: string;
  /** The signal table (config `signal`); absent: watermarks are logical messages and no table exists. */
  signalTable?: TableId | undefined;
  /** The config's per-table settings: backfills read as the publication filters (columns left out, row filter). */
  tableSettings?: Record<string, TableSettings> | undefined;
  applicationName: (role: string) => string;
  log: Logger;
}

/** How long a watermark waits for transactions in progress at its commit to become visible (see awaitEarlierCommitsVisible). */
const VISIBILITY_WAIT_MS = 200;

/** `signal.table` unset: `public.logtap_signal`. */
export const DEFAULT_PG_SIGNAL_TABLE: TableId = { namespace: 'public', name: 'logtap_signal' };

/** The signal table's definition (Debezium's signal table shape). */
export const pgSignalTableDdl = (table: TableId): string =>
  `CREATE TABLE IF NOT EXISTS ${quoteTable(table)} (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)`;

/**
 * Online backfills on PostgreSQL (docs/backfill.md): the signal table, and chunks read with the initial
 * snapshot's key-range reader (snapshot-chunks.ts) in a plain READ COMMITTED transaction — the cursor sees
 * every transaction committed before it was declared, i.e. before the chunk's read began.
 */
export function createPgBackfillSource(context: PgBackfillContext): BackfillSource {
  const { endpoint } = context;
  const step = async <T>(doing: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw mapPgError(err, endpoint, doing);
    }
  };
  const signalTable = context.signalTable;
  return {
    signalTable,
    watermarks: signalTable ? 'signal-table' : 'log-message',
    takesRequests: signalTable !== undefined,
    async prepare() {
      if (!signalTable) return;
      const db = await openCatalogClient(context.url, context.applicationName('signal'), endpoint);
      try {
        await step('checking the server', () => refuseOnStandby(db, 'the signal table'));
        await step(`creating the signal table ${tableIdText(signalTable)}`, () => db.query(pgSignalTableDdl(signalTable)));
      } finally {
        await closeQuietly(db);
      }
    },
    async open() {
      const db = await openCatalogClient(context.url, context.applicationName('backfill'), endpoint);
      // Watermarks flush the WAL at commit: the stream (which decodes flushed WAL only) sees them at once,
      // not after the WAL writer's next round (a server with synchronous_commit = off).
      await step('preparing the backfill session', async () => {
        await refuseOnStandby(db, signalTable ? 'backfill watermarks (rows of the signal table)' : 'backfill watermarks (logical messages)');
        await db.query('SET synchronous_commit = on');
      }).catch(async (err: unknown) => {
        await closeQuietly(db);
        throw err;
      });
      return new PgBackfillSession(db, context, step);
    },
  };
}

/**
 * Signals and watermarks are writes that must reach the WAL the slot decodes: a hot standby cannot write, and
 * what the primary writes arrives on the standby's stream only after replay — not routed there (yet): refused.
 */
async function refuseOnStandby(db: pg.Client, what: string): Promise<void> {
  const { rows } = await db.query<{ standby: boolean }>('SELECT pg_catalog.pg_is_in_recovery() AS standby');
  if (!rows[0]!.standby) return;
  throw new SourceSetupError(`source.url names a hot standby (read-only), and ${what} must be written into the WAL, which only the primary can — capture from a standby without online backfills and signals (leave signal.enabled off, request no backfills), or point source.url at the primary`);
}

class PgBackfillSession implements BackfillSession {
  /** The quoted signal table, or null: watermarks are logical messages. */
  private readonly signalTable: string | null;

  constructor(
    private readonly db: pg.Client,
    private readonly context: PgBackfillContext,
    private readonly step: <T>(doing: string, work: () => Promise<T>) => Promise<T>,
  ) {
    this.signalTable = context.signalTable ? quoteTable(context.signalTable) : null;
  }

  writeSignal(row: SignalRow): Promise<void> {
    return this.step('writing a signal row', async () => {
      if (!this.signalTable) throw new Error('no signal table: online backfills on request are off (signal.enabled)');
      await this.db.query(`INSERT INTO ${this.signalTable} (id, type, data) VALUES ($1, $2, $3)`, [row.id, row.type, row.data]);
    });
  }

  writeWatermark(row: SignalRow, removeTypes: readonly string[]): Promise<void> {
    return this.step('writing a backfill watermark', async () => {
      if (!this.signalTable) {
        await this.db.query('SELECT pg_catalog.pg_logical_emit_message(true, $1, $2)', [WATERMARK_PREFIX, watermarkContent(row)]);
      } else if (removeTypes.length === 0) {
        await this.db.query(`INSERT INTO ${this.signalTable} (id, type, data) VALUES ($1, $2, $3)`, [row.id, row.type, row.data]);
      } else {
        // One statement, one transaction: the old watermarks go, the new one comes.
        await this.db.query(
          `WITH gone AS (DELETE FROM ${this.signalTable} WHERE type = ANY($4::text[])) INSERT INTO ${this.signalTable} (id, type, data) VALUES ($1, $2, $3)`,
          [row.id, row.type, row.data, [...removeTypes]],
        );
      }
      await this.awaitEarlierCommitsVisible();
    });
  }

  /**
   * PostgreSQL makes a commit visible (ProcArray) a moment after writing its commit record, and not always in
   * WAL order: a transaction whose commit precedes the watermark in the WAL may still be invisible to a read
   * that starts right after the watermark's commit — the chunk would then hold a row older than a change the
   * stream published before the window. Every such transaction was in progress in a snapshot taken now; wait
   * (briefly) until none of those is, so the chunk's read sees them all. Transactions still running after
   * the wait are long ones: their commit records lie after the watermark.
   */
  private async awaitEarlierCommitsVisible(): Promise<void> {
    const inProgress = async (): Promise<Set<string>> => {
      const { rows } = await this.db.query<{ s: string }>('SELECT pg_catalog.pg_current_snapshot()::text AS s');
      const xip = rows[0]!.s.split(':')[2] ?? '';
      return new Set(xip === '' ? [] : xip.split(','));
    };
    const waiting = await inProgress();
    const deadline = Date.now() + VISIBILITY_WAIT_MS;
    while (waiting.size > 0 && Date.now() < deadline) {
      const now = await inProgress();
      for (const xid of waiting) if (!now.has(xid)) waiting.delete(xid);
    }
  }

  async table(id: TableId): Promise<BackfillTable | { problem: string }> {
    const { rows: published } = await this.step('looking up the publication', () => this.db.query(
      'SELECT 1 FROM pg_catalog.pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND tablename = $3',
      [this.context.publicationName, id.namespace, id.name],
    ));
    if (published.length === 0) {
      const root = await this.step('looking up the partition root', () => partitionRoot(this.db, id));
      if (root) return { problem: `${tableIdText(id)} is a partition of ${tableIdText(root)}, whose changes are published as the root's: backfill ${tableIdText(root)}` };
      return { problem: `${tableIdText(id)} is not in publication ${this.context.publicationName} (not captured by this connector: add it to source.tables)` };
    }
    let mapped;
    try {
      mapped = mapTable(await introspectTable(this.db, id));
    } catch (err) {
      if (err instanceof TableNotFoundError) return { problem: err.message };
      throw mapPgError(err, this.context.endpoint, `reading the catalog of ${tableIdText(id)}`);
    }
    if (mapped.schema.key.length === 0) return { problem: `${tableIdText(id)} has no primary key (or replica identity index): chunks are key ranges` };
    const read = readShape(mapped, this.context.tableSettings ?? {});
    mapped = read.table;
    const queries = new PgChunkQueries(mapped, read.where);
    const { rows: estimate } = await this.step('estimating the table size', () => this.db.query<{ n: string }>(
      // A partitioned table has no rows of its own (reltuples -1): its leaf partitions (a table: itself) hold them.
      `SELECT sum(GREATEST(c.reltuples, 0))::int8::text AS n
       FROM pg_catalog.pg_partition_tree($1::regclass) t JOIN pg_catalog.pg_class c ON c.oid = t.relid WHERE t.isleaf`,
      [quoteTable(id)],
    ));
    const estimated = estimate[0] ? Number(estimate[0].n) : null;
    return {
      schema: mapped.schema,
      estimatedRows: estimated !== null && estimated > 0 ? estimated : null,
      readChunk: (after, limit) => this.step(`reading a backfill chunk of ${tableIdText(id)}`, () => this.readChunk(queries, after, limit)),
    };
  }

  private async readChunk(queries: PgChunkQueries, after: string[] | null, limit: number): Promise<{ rows: Record<string, unknown>[]; upTo: string[] | null }> {
    await this.db.query('BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY');
    try {
      const upTo = await nextBoundary(this.db, queries, after, limit);
      const rows: Record<string, unknown>[] = [];
      for await (const page of readRange(this.db, queries, { after, upTo })) rows.push(...page.rows);
      await this.db.query('COMMIT');
      return { rows, upTo };
    } catch (err) {
      await this.db.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  close(): Promise<void> {
    return closeQuietly(this.db);
  }
}

/** The topmost partitioned table above a partition; null for anything else (or nothing of that name). */
async function partitionRoot(db: PgQueryable, id: TableId): Promise<TableId | null> {
  const { rows } = await db.query(
    `SELECT n.nspname AS namespace, c.relname AS name
     FROM pg_catalog.pg_class p JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
       JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.pg_partition_root(p.oid)
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE pn.nspname = $1 AND p.relname = $2 AND p.relispartition`,
    [id.namespace, id.name],
  );
  return (rows[0] as TableId | undefined) ?? null;
}
