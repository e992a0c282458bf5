import mysql, { type Connection } from 'mysql2';
import { LogtapError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { Row } from '../../src/model/change-event.js';
import type { TableId, TableSchema } from '../../src/model/table-schema.js';
import { tableIdText } from '../../src/model/table-schema.js';
import type { SnapshotChunk, SnapshotRequest, SnapshotSource, SourceSnapshot } from '../../src/source/snapshot-source.js';
import { type SnapshotProgress, compareTables, resumeKey, tablePublished } from '../../src/snapshot/snapshot-progress.js';
import { tableSchemaOf } from './column-mapping.js';
import { mapDriverError } from './driver-errors.js';
import { introspectTables, queryRunnerOf } from './introspect-columns.js';
import type { MysqlTableInfo } from './mysql-column-info.js';
import { type MysqlPosition, decodeMysqlPosition, toSourcePosition } from './mysql-position.js';
import { mysqlEndpoint, type MysqlSourceSettings } from './mysql-source-url.js';
import { beginConsistentRead } from './snapshot-consistent-point.js';
import { MysqlChunkQueries, type MysqlKeyRange, nextMysqlBoundary, readMysqlRange } from './snapshot-chunks.js';
import { decodeMysqlSnapshotPosition, isMysqlSnapshotToken, toMysqlSnapshotSourcePosition } from './snapshot-position.js';
import { SNAPSHOT_CONNECTION_OPTIONS } from './snapshot-values.js';
import { openSourceSession } from './source-session.js';
import type { TableSelection } from './table-selection.js';

const SYSTEM_DATABASES = ['mysql', 'information_schema', 'performance_schema', 'sys'];
/**
 * How long a snapshot read waits for a metadata lock before the snapshot restarts. MariaDB's TRUNCATE/ALTER of a
 * captured table waits for the snapshot's transaction, and a read of that table then waits for the DDL's lock: a
 * circle no deadlock detector sees. Giving up soon lets the DDL through; the snapshot resumes from its checkpoint.
 */
const LOCK_WAIT_SECONDS = 3;
/** ER_TABLE_DEF_CHANGED: the table was altered or truncated after the snapshot began. */
const TABLE_DEFINITION_CHANGED = 1412;

/** A table changed under the snapshot: a new consistent read (after the restart) sees its new definition. */
function snapshotError(err: unknown, context: Parameters<typeof mapDriverError>[1], doing: string): LogtapError {
  if ((err as { errno?: unknown } | null)?.errno === TABLE_DEFINITION_CHANGED) {
    return new LogtapError('MYSQL_SNAPSHOT_TABLE_CHANGED', `MySQL source ${context.where}: a table changed its definition during the snapshot (${doing}); the snapshot resumes in a new consistent read`, { cause: err, retriable: true });
  }
  return mapDriverError(err, context, doing);
}

/**
 * The MySQL/MariaDB snapshot (docs/snapshots.md): one connection in a consistent-snapshot transaction at a known
 * binlog point (snapshot-consistent-point.ts), reading the tables chunk by chunk; streaming continues from that
 * point. One reader: connections cannot share a snapshot here. A resume after a crash (or `mode: always`) reads
 * in a new consistent snapshot while the stream still starts from the original point, re-applying every later
 * change, so the final state is exact.
 */
export function createMysqlSnapshotSource(settings: MysqlSourceSettings, selection: TableSelection, log: Logger): SnapshotSource {
  return {
    isSnapshotPosition: (position) => isMysqlSnapshotToken(position.token),
    open: (request) => openMysqlSnapshot(settings, selection, log, request),
  };
}

async function openMysqlSnapshot(settings: MysqlSourceSettings, selection: TableSelection, log: Logger, request: SnapshotRequest): Promise<SourceSnapshot> {
  const session = await openSourceSession(settings);
  let connection: Connection | undefined;
  const closeAll = async () => {
    connection?.destroy();
    await session.close();
  };
  const onAbort = () => void closeAll();
  request.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const conn = mysql.createConnection({ ...mysqlEndpoint(settings), connectTimeout: 10_000, ...SNAPSHOT_CONNECTION_OPTIONS });
    connection = conn;
    conn.on('error', () => {}); // reported by the query that meets it
    const runner = queryRunnerOf(conn.promise() as unknown as Parameters<typeof queryRunnerOf>[0]);
    const doing = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (err) {
        throw mapDriverError(err, session.errors, what);
      }
    };
    await doing('connecting', async () => {
      await runner.query("SET SESSION time_zone = '+00:00'", []);
      await runner.query(`SET SESSION lock_wait_timeout = ${LOCK_WAIT_SECONDS}`, []);
    });

    let stream: MysqlPosition;
    let progress: SnapshotProgress | null = null;
    const from = request.from;
    const point = await doing('starting a consistent snapshot', () => beginConsistentRead(runner, session.server));
    let consistency: string;
    if (from === null) {
      stream = point.stream;
      consistency = point.how;
    } else {
      if (isMysqlSnapshotToken(from.token)) {
        const position = decodeMysqlSnapshotPosition(from.token);
        stream = position.stream;
        progress = position.progress;
      } else {
        stream = decodeMysqlPosition(from.token);
      }
      consistency = `${point.how}, after the stream start point (the stream re-applies later changes)`;
    }

    const tables = (await doing('listing the tables', () => listTables(session.runner, settings.database, selection))).filter((t) => !tablePublished(t, progress));
    const start = from !== null && isMysqlSnapshotToken(from.token) ? from : toMysqlSnapshotSourcePosition({ stream, progress: null });
    log.info({ tables: tables.map(tableIdText), resumeAfter: progress ? start.display : null }, 'snapshot tables');
    // Every table described up front, after the consistent read began (a table altered since makes its read fail
    // with ER_TABLE_DEF_CHANGED, and the snapshot resumes in a new read), in a few queries per database.
    const described = (await doing('describing the tables', () => introspectTables(session.runner, tables)))
      .map((info): DescribedTable => ({ info, schema: tableSchemaOf(info) }));
    const planner = new MysqlChunkPlanner(conn, described, progress, stream, request.chunkRows, (what, err) => snapshotError(err, session.errors, what));
    request.signal.removeEventListener('abort', onAbort);
    return {
      start,
      streamFrom: toSourcePosition(stream),
      parallelism: 1,
      consistency,
      tables: described.map((t) => t.schema),
      nextChunk: () => planner.next(),
      close: closeAll,
    };
  } catch (err) {
    request.signal.removeEventListener('abort', onAbort);
    await closeAll();
    throw err;
  }
}

async function listTables(runner: { query(sql: string, values: readonly unknown[]): Promise<Record<string, unknown>[]> }, database: string, selection: TableSelection): Promise<TableId[]> {
  if (selection.tables) return [...selection.tables].sort(compareTables);
  const rows = database !== '' && selection.binlogFilter.includeSchema?.[database] === true && Object.keys(selection.binlogFilter.includeSchema).length === 1
    ? await runner.query("SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA = ?", [database])
    : await runner.query(`SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN (${SYSTEM_DATABASES.map(() => '?').join(', ')})`, SYSTEM_DATABASES);
  return rows.map((r) => ({ namespace: String(r.db), name: String(r.name) })).filter((t) => selection.captures(t.namespace, t.name)).sort(compareTables);
}

/** A table as the snapshot reads it: its columns as the database describes them, and the schema its chunks carry. */
interface DescribedTable {
  info: MysqlTableInfo;
  schema: TableSchema;
}

/** Plans the chunks table by table and reads them, all on the one snapshot connection (never at the same time). */
class MysqlChunkPlanner {
  private tableIndex = 0;
  private queries: MysqlChunkQueries | undefined;
  private after: string[] | null = null;
  private tableDone = true;

  constructor(
    private readonly connection: Connection,
    private readonly tables: Array<DescribedTable | undefined>,
    private readonly progress: SnapshotProgress | null,
    private readonly stream: MysqlPosition,
    private readonly chunkRows: number,
    private readonly mapError: (doing: string, err: unknown) => unknown,
  ) {}

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
      this.queries = new MysqlChunkQueries(next.info, next.schema);
      this.after = this.queries.keyed ? resumeKey(next.schema.id, this.progress) : null;
      this.tableDone = false;
    }
    const queries = this.queries!;
    const id = queries.schema.id;
    const upTo = queries.keyed ? await nextMysqlBoundary(this.connection, queries, this.after, this.chunkRows) : null;
    const range: MysqlKeyRange = { after: this.after, upTo };
    const progress: SnapshotProgress = upTo ? { table: id, after: upTo } : { table: id, done: true };
    this.after = upTo;
    this.tableDone = upTo === null;
    const show = (k: string[] | null, open: string) => (k ? k.join(', ') : open);
    return {
      table: queries.schema,
      display: `${tableIdText(id)} (${show(range.after, '-∞')}; ${show(range.upTo, '+∞')}]`,
      done: toMysqlSnapshotSourcePosition({ stream: this.stream, progress }),
      pages: (signal) => this.read(queries, range, signal),
    };
  }

  private async *read(queries: MysqlChunkQueries, range: MysqlKeyRange, signal: AbortSignal): AsyncGenerator<{ rows: Row[]; bytes: number }> {
    try {
      for await (const page of readMysqlRange(this.connection, queries, range)) {
        yield page;
        if (signal.aborted) return;
      }
    } catch (err) {
      throw this.mapError(`reading ${tableIdText(queries.schema.id)}`, err);
    }
  }
}
