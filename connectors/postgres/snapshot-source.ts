import pg from 'pg';
import type { Logger } from '../../src/logger.js';
import type { Row } from '../../src/model/change-event.js';
import type { TableId } from '../../src/model/table-schema.js';
import { tableIdText } from '../../src/model/table-schema.js';
import type { SnapshotChunk, SnapshotRequest, SnapshotSource, SourceSnapshot } from '../../src/source/snapshot-source.js';
import { type SnapshotProgress, compareTables, resumeKey, tablePublished } from '../../src/snapshot/snapshot-progress.js';
import { type PgMappedTable, mapTable } from './column-mapping.js';
import { type PgTableChoice, publicationMembers, readShape } from './captured-tables.js';
import { introspectTables } from './introspect-columns.js';
import { formatLsn, parseLsn } from './lsn.js';
import { closeQuietly, connectedUrl, openCatalogClient, pgClientConfig } from './pg-client.js';
import type { PgEndpoint } from './pg-endpoint.js';
import { mapPgError } from './pg-errors.js';
import { quoteIdent, quoteLiteral } from './pg-identifiers.js';
import { type PgPosition, completePosition, fromSourcePosition, toSourcePosition } from './pg-position.js';
import { ensurePublication } from './publication.js';
import { STANDBY_SLOT_WAIT, prepareSlot, readSlot } from './slot.js';
import { readServerRole, wantsFailoverSlot } from './server-role.js';
import { PgChunkQueries, type PgKeyRange, nextBoundary, readRange } from './snapshot-chunks.js';
import { isPgSnapshotToken, parseSnapshotPosition, toSnapshotSourcePosition } from './snapshot-position.js';

export interface PgSnapshotContext {
  url: string;
  endpoint: PgEndpoint;
  connectorName: string;
  database: string;
  slotName: string;
  publicationName: string;
  choice: PgTableChoice;
  applicationName: (role: string) => string;
  log: Logger;
}

/**
 * The PostgreSQL snapshot (docs/snapshots.md). On a first start the slot is created with an exported
 * snapshot (CREATE_REPLICATION_SLOT … EXPORT_SNAPSHOT on a replication connection): the readers import it
 * (SET TRANSACTION SNAPSHOT) and see exactly the database at the slot's consistent point, where streaming
 * then starts — no gap, no duplicate. Every other run (a resume after a crash, `mode: always`, a slot left
 * without checkpoint) reads in a snapshot exported from a plain REPEATABLE READ transaction, taken after
 * the stream start point; the stream from that point re-applies every later change, so the final state
 * is exact (docs/snapshots.md, "Resuming").
 */
export function createPgSnapshotSource(context: PgSnapshotContext): SnapshotSource {
  return {
    isSnapshotPosition: (position) => isPgSnapshotToken(position.token),
    open: (request) => openPgSnapshot(context, request),
  };
}

async function openPgSnapshot(context: PgSnapshotContext, request: SnapshotRequest): Promise<SourceSnapshot> {
  const { endpoint, log } = context;
  const opened: pg.Client[] = [];
  const closeAll = () => Promise.all(opened.map((c) => closeQuietly(c)));
  const step = async <T>(doing: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw mapPgError(err, endpoint, doing);
    }
  };
  const onAbort = () => void closeAll();
  request.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const catalog = await openCatalogClient(context.url, context.applicationName('snapshot'), endpoint);
    opened.push(catalog);
    // Every other connection of the snapshot goes to the server this one reached (a multi-host URL: its primary).
    const url = connectedUrl(catalog, context.url);
    const serverRole = await step('checking the server', () => readServerRole(catalog));
    const members = await step('looking up the tables', () => publicationMembers(catalog, context.choice, context.database));
    // Before the slot: pgoutput needs the publication to exist for all WAL it decodes.
    await step('preparing the publication', () => ensurePublication(catalog, context.publicationName, members, log));

    let stream: PgPosition;
    let progress: SnapshotProgress | null = null;
    let exported: { id: string; holder: pg.Client; consistency: string };
    const slotContext = { db: catalog, slotName: context.slotName, database: context.database, connectorName: context.connectorName, log, failover: wantsFailoverSlot(serverRole), standby: serverRole.standby };
    const from = request.from;
    if (from === null && (await step('reading the replication slot', () => readSlot(catalog, context.slotName))) === null) {
      if (serverRole.standby) log.info({ slot: context.slotName }, STANDBY_SLOT_WAIT);
      const created = await step('creating the replication slot with an exported snapshot', () => createSlotExportingSnapshot(context, url, wantsFailoverSlot(serverRole)));
      opened.push(created.holder);
      stream = completePosition(created.consistentPoint);
      exported = { id: created.snapshotId, holder: created.holder, consistency: `the slot's exported snapshot at its consistent point ${formatLsn(created.consistentPoint)}` };
      log.info({ slot: context.slotName, consistentPoint: formatLsn(created.consistentPoint) }, 'created replication slot with an exported snapshot');
    } else {
      if (from !== null && isPgSnapshotToken(from.token)) {
        const position = parseSnapshotPosition(from.token);
        stream = position.stream;
        progress = position.progress;
      } else if (from !== null) {
        stream = fromSourcePosition(from);
      } else {
        // A slot without a checkpoint (a crash before the first one): stream from where it stands.
        const slot = await step('preparing the replication slot', () => prepareSlot(slotContext, null));
        stream = completePosition(slot.confirmedFlushLsn ?? 0n);
      }
      // The slot must still hold the WAL from the stream start point on.
      await step('preparing the replication slot', () => prepareSlot(slotContext, stream));
      const holder = await openCatalogClient(url, context.applicationName('snapshot-export'), endpoint);
      opened.push(holder);
      const id = await step('exporting a snapshot', async () => {
        await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const { rows } = await holder.query<{ id: string }>('SELECT pg_catalog.pg_export_snapshot() AS id');
        return rows[0]!.id;
      });
      exported = { id, holder, consistency: 'a snapshot taken after the stream start point (the stream re-applies later changes)' };
    }

    // Readers (and the planner) import the snapshot while its exporter still holds it open.
    const readerCount = Math.max(1, request.parallelism);
    const importing = async (role: string): Promise<pg.Client> => {
      const client = await openCatalogClient(url, context.applicationName(role), endpoint);
      opened.push(client);
      await step('importing the snapshot', async () => {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        await client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(exported.id)}`);
      });
      return client;
    };
    const planner = await importing('snapshot-plan');
    const readers: pg.Client[] = [];
    for (let i = 0; i < readerCount; i++) readers.push(await importing(`snapshot-read-${i + 1}`));
    // Every transaction holds the snapshot now: the exporter may go (a replication connection must not idle in the way).
    await closeQuietly(exported.holder);
    opened.splice(opened.indexOf(exported.holder), 1);

    const published = await step('listing the published tables', () => publishedTables(planner, context.publicationName));
    const pending = published.filter((t) => !tablePublished(t, progress));
    const start = from !== null && isPgSnapshotToken(from.token) ? from : toSnapshotSourcePosition({ stream, progress: null });
    log.info({ tables: pending.map(tableIdText), resumeAfter: progress ? start.display : null }, 'snapshot tables');
    // Every table described up front, in the snapshot, a few round trips for all (not one per table).
    // Without JIT: the estimated cost of describing 500 tables in one query passes jit_above_cost, and compiling it
    // took seconds for a query that runs in milliseconds (the setting ends with the planner's transaction).
    const described = (await step('describing the tables', async () => {
      await planner.query('SET LOCAL jit = off');
      return introspectTables(planner, pending);
    })).map(mapTable);
    const planned = new PgChunkPlanner(planner, readers, described, progress, stream, request.chunkRows, (doing, err) => mapPgError(err, endpoint, doing), context.choice.settings);
    request.signal.removeEventListener('abort', onAbort);
    return {
      start,
      streamFrom: toSourcePosition(stream),
      parallelism: readerCount,
      consistency: exported.consistency,
      tables: described.map((t) => t.schema),
      nextChunk: () => planned.next(),
      close: async () => {
        await closeAll();
      },
    };
  } catch (err) {
    request.signal.removeEventListener('abort', onAbort);
    await closeAll();
    throw err;
  }
}

/** A replication connection creates the slot and exports its snapshot; the snapshot lives while it stays idle. */
async function createSlotExportingSnapshot(context: PgSnapshotContext, url: string, failover: boolean): Promise<{ holder: pg.Client; consistentPoint: bigint; snapshotId: string }> {
  const holder = new pg.Client({ ...pgClientConfig(url, context.applicationName('snapshot-slot')), replication: 'database' } as pg.ClientConfig);
  holder.on('error', () => {});
  await holder.connect();
  try {
    // The option list (PostgreSQL 15+) only where FAILOVER (17+) needs it; the old form works everywhere.
    const options = failover ? `(SNAPSHOT 'export', FAILOVER true)` : 'EXPORT_SNAPSHOT';
    const { rows } = await holder.query(`CREATE_REPLICATION_SLOT ${quoteIdent(context.slotName)} LOGICAL pgoutput ${options}`);
    const row = rows[0] as { consistent_point: string; snapshot_name: string };
    return { holder, consistentPoint: parseLsn(row.consistent_point), snapshotId: row.snapshot_name };
  } catch (err) {
    await closeQuietly(holder);
    throw err;
  }
}

async function publishedTables(db: pg.Client, publication: string): Promise<TableId[]> {
  const { rows } = await db.query<{ namespace: string; name: string }>(
    'SELECT schemaname::text AS namespace, tablename::text AS name FROM pg_catalog.pg_publication_tables WHERE pubname = $1',
    [publication],
  );
  return rows.map((r) => ({ namespace: r.namespace, name: r.name })).sort(compareTables);
}

/** Plans chunks table by table (boundaries on the planner connection) and reads each on a free reader. */
class PgChunkPlanner {
  private tableIndex = 0;
  private queries: PgChunkQueries | undefined;
  private after: string[] | null = null;
  private tableDone = true;
  private readonly free: pg.Client[];
  private readonly waiting: Array<(client: pg.Client) => void> = [];

  constructor(
    private readonly planner: pg.Client,
    readers: pg.Client[],
    private readonly tables: Array<PgMappedTable | undefined>,
    private readonly progress: SnapshotProgress | null,
    private readonly stream: PgPosition,
    private readonly chunkRows: number,
    private readonly mapError: (doing: string, err: unknown) => unknown,
    private readonly settings: PgTableChoice['settings'],
  ) {
    this.free = [...readers];
  }

  async next(): Promise<SnapshotChunk | null> {
    try {
      return await this.plan();
    } catch (err) {
      throw this.mapError('planning snapshot chunks', err);
    }
  }

  private async plan(): Promise<SnapshotChunk | null> {
    if (this.tableDone) {
      const next = this.tables[this.tableIndex];
      if (!next) return null;
      // Let go of it: once read, nothing here keeps a table of thousands (nor what the pipeline prepared for it).
      this.tables[this.tableIndex++] = undefined;
      const read = readShape(next, this.settings);
      const mapped = read.table;
      const id = mapped.schema.id;
      this.queries = new PgChunkQueries(mapped, read.where);
      this.after = mapped.schema.key.length > 0 ? resumeKey(id, this.progress) : null;
      this.tableDone = false;
    }
    const queries = this.queries!;
    const id = queries.table.schema.id;
    const upTo = queries.keyed ? await nextBoundary(this.planner, queries, this.after, this.chunkRows) : null;
    const range: PgKeyRange = { after: this.after, upTo };
    const progress: SnapshotProgress = upTo ? { table: id, after: upTo } : { table: id, done: true };
    this.after = upTo;
    this.tableDone = upTo === null;
    const show = (k: string[] | null, open: string) => (k ? k.join(', ') : open);
    return {
      table: queries.table.schema,
      display: `${tableIdText(id)} (${show(range.after, '-∞')}; ${show(range.upTo, '+∞')}]`,
      done: toSnapshotSourcePosition({ stream: this.stream, progress }),
      pages: (signal) => this.read(queries, range, signal),
    };
  }

  private async *read(queries: PgChunkQueries, range: PgKeyRange, signal: AbortSignal): AsyncGenerator<{ rows: Row[]; bytes: number }> {
    const client = await this.acquire();
    try {
      for await (const page of readRange(client, queries, range)) {
        yield page;
        if (signal.aborted) return;
      }
    } catch (err) {
      throw this.mapError(`reading ${tableIdText(queries.table.schema.id)}`, err);
    } finally {
      this.releaseReader(client);
    }
  }

  private acquire(): Promise<pg.Client> {
    const client = this.free.pop();
    if (client) return Promise.resolve(client);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private releaseReader(client: pg.Client): void {
    const next = this.waiting.shift();
    if (next) next(client);
    else this.free.push(client);
  }
}

