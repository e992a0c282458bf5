import ZongJi from '@vlasky/zongji';
import type { AnyBinlogEvent, TableMapEvent, WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent } from '@vlasky/zongji';
import { ConnectionError, type LogtapError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import type { SchemaChange } from '../../src/schema-changes/schema-change.js';
import type { SchemaChangeDetector } from './row-rewrite.js';
import { rememberTableMap, repeatsTableMap, type TableMapMemo, type ZongjiTableMapEvent } from './binlog-table-info.js';
import { BoundedQueue } from './bounded-queue.js';
import { parseQueryStatement } from './ddl-statement.js';
import { mapDriverError, type ErrorContext } from './driver-errors.js';
import { installPauseGate, type PauseGate } from './pause-gate.js';
import type { SourceSocket } from '../../src/source/socket-reads.js';
import type { SchemaTracker, TableVersion } from './schema-tracker.js';
import type { TableSelection } from './table-selection.js';
import type { TableId } from '../../src/model/table-schema.js';
import { shortStatement } from '../../src/schema-changes/schema-change.js';
import type { ZongjiTableMapEntry } from './table-map-binding.js';
import { EXACT_ZONGJI_CONNECTION_OPTIONS } from './zongji-options.js';
import type { mysqlEndpoint } from './mysql-source-url.js';

/** The binlog as the stream consumes it: transaction boundaries, row changes bound to a table version, idle marks. */
export type BinlogItem =
  /** A GTID event: a transaction starts (`standalone`: one statement is the whole group). */
  | { kind: 'begin'; gtid: string | undefined; standalone: boolean }
  /** A BEGIN statement. */
  | { kind: 'begin-statement' }
  /** `foreignKeyChecks` false: the statement ran with FOREIGN_KEY_CHECKS=0 (then InnoDB cascaded nothing). */
  /** `offset`: where the rows event starts in the current binlog file. */
  | { kind: 'rows'; op: 'c' | 'u' | 'd'; version: TableVersion; rows: unknown[]; timestampMs: number; offset: number; foreignKeyChecks?: boolean }
  | { kind: 'truncate'; schema: TableSchema; timestampMs: number }
  /** An ALTER TABLE of a captured table changed its columns (before the statement's end). */
  | { kind: 'schema-change'; change: SchemaChange }
  /** Any other statement (DDL, …); it ends a standalone group. `ddl`: it changed a captured table. */
  | { kind: 'statement'; endOffset: number; timestampMs: number; ddl?: true }
  /** Xid, COMMIT, ROLLBACK, XA PREPARE: the group ends. */
  | { kind: 'commit'; endOffset: number; timestampMs: number }
  | { kind: 'rotate'; file: string; offset: number; artificial: boolean }
  | { kind: 'heartbeat'; file: string; offset: number };

export interface BinlogReaderOptions {
  connection: ReturnType<typeof mysqlEndpoint>;
  serverId: number;
  heartbeatIntervalMs: number;
  start: { gtidSet: string } | { filename: string; position: number };
  selection: TableSelection;
  tracker: SchemaTracker;
  /** Reads what an ALTER TABLE did to existing rows (row-rewrite.ts); absent: schema changes are not reported. */
  detectSchemaChange?: SchemaChangeDetector;
  /** The server is MariaDB, whose TableMap charset lists also cover GEOMETRY columns (binlog-table-info.ts). */
  mariaDb: boolean;
  /** Rows the queue holds before the binlog connection is paused. */
  queueLimit: number;
  log: Logger;
  errors: ErrorContext;
}

export interface BinlogReader {
  /**
   * The next item in binlog order — at once when one is queued, else a promise; undefined after stop(); rejects
   * with a LogtapError when the stream failed.
   */
  next(): BinlogItem | Promise<BinlogItem | undefined>;
  /** The server's connection id of the binlog dump (for `KILL`), once connected. */
  readonly threadId: number | undefined;
  stop(): Promise<void>;
}

/**
 * Live, the server sends each transaction's events as they commit, and each socket read would cost a wake-up and a
 * run of the pipeline: after a read of fewer than BUSY_READ events the connection rests READ_REST_MS (the kernel holds
 * what arrives meanwhile), so the next read carries several transactions. A catch-up's full reads are not rested.
 */
const READ_REST_MS = 2;
const BUSY_READ = 64;

/** Rows event flag: the statement ran with FOREIGN_KEY_CHECKS=0 (MySQL and MariaDB rows event header). */
const NO_FOREIGN_KEY_CHECKS_FLAG = 0x0002;

const EVENTS = ['rotate', 'mariadbgtid', 'gtid', 'anonymousgtid', 'query', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'xaprepare', 'heartbeat'];

/**
 * Tails the binlog with zongji and turns its events into BinlogItems in a bounded queue. zongji has no
 * backpressure: its events arrive synchronously as packets are parsed, so the reader pauses the binlog connection
 * (through a PauseGate) while the queue is full and while a TableMap or DDL statement waits for introspection —
 * row events are parsed with the table map as bound at that moment. zongji does not reconnect: any error, a closed
 * connection or a silent one (no event, not even a heartbeat, for a while) fails the queue, and the caller restarts
 * from its checkpoint.
 */
export function startBinlogReader(options: BinlogReaderOptions): BinlogReader {
  const { log, tracker, selection } = options;
  const zongji = new ZongJi({ ...options.connection, ...EXACT_ZONGJI_CONNECTION_OPTIONS, connectTimeout: 10_000 });
  // MariaDB's TableMap charset lists cover GEOMETRY columns too; zongji reads them so only when told (our patch).
  (zongji as unknown as { charsetListsCoverGeometry: boolean }).charsetListsCoverGeometry = options.mariaDb;
  let gate: PauseGate | undefined;
  let stopped = false;
  /** When the watchdog last saw activity: events are counted (no clock read per event) and the count checked per tick. */
  let lastActivity = Date.now();
  let events = 0;
  let eventsSeen = 0;
  let heartbeats = false;
  let watchdog: NodeJS.Timeout | undefined;
  /** Events of the socket read being handled (zongji emits a read's events synchronously), and the rest after it. */
  let eventsInRead = 0;
  let resting: NodeJS.Timeout | undefined;
  const afterRead = (): void => {
    const read = eventsInRead;
    eventsInRead = 0;
    if (read >= BUSY_READ || stopped || !gate || resting) return;
    gate.hold('rest');
    resting = setTimeout(() => {
      resting = undefined;
      gate?.release('rest');
    }, READ_REST_MS);
  };

  const queue = new BoundedQueue<BinlogItem>(options.queueLimit, () => gate?.hold('queue'), () => gate?.release('queue'));

  const fail = (err: unknown): void => {
    if (stopped) return;
    const mapped: LogtapError = mapDriverError(err, options.errors, 'streaming the binlog');
    log.debug({ err }, 'binlog stream failed');
    queue.fail(mapped);
  };

  /** Holds the binlog connection while `work` runs (its pushes stay in binlog order: nothing else is read meanwhile). */
  const runHeld = (work: () => Promise<void>): void => {
    gate!.hold('schema');
    work().then(() => gate?.release('schema'), fail);
  };

  const push = (item: BinlogItem, weight = 1) => queue.push(item, weight);

  /** Per table id, the last TableMap bound and the entry bound for it (the server repeats it in every transaction). */
  const bound = new Map<number, { memo: TableMapMemo; entry: ZongjiTableMapEntry; version: TableVersion }>();

  const onTableMap = (event: TableMapEvent): void => {
    if (!selection.captures(event.schemaName, event.tableName)) return;
    const tableId = event.tableId;
    const entry = zongji.tableMap[tableId] as unknown as ZongjiTableMapEntry | undefined;
    if (!entry) return;
    const zongjiEvent = event as unknown as ZongjiTableMapEvent;
    const last = bound.get(tableId);
    // A repetition: zongji either kept the bound entry or (FULL metadata) built an identical fresh one, which the
    // bound one replaces — no re-reading, re-binding or pausing.
    if (last && repeatsTableMap(last.memo, zongjiEvent, entry === last.entry ? undefined : entry) && tracker.reuse(tableId, last.version)) {
      if (entry !== last.entry) zongji.tableMap[tableId] = last.entry as never;
      return;
    }
    bound.delete(tableId);
    const memo = rememberTableMap(zongjiEvent, entry);
    const known = tracker.bindKnown(memo.map, tableId, entry);
    if (known) {
      bound.set(tableId, { memo, entry, version: known });
      return;
    }
    runHeld(async () => {
      const version = await tracker.resolve(memo.map, tableId, entry);
      bound.set(tableId, { memo, entry, version });
    });
  };

  // zongji's `size` leaves out the 19-byte common header and, with checksums, the 4-byte checksum.
  const eventStart = (event: AnyBinlogEvent): number => event.nextPosition - event.size - 19 - ((zongji as unknown as { useChecksum: boolean }).useChecksum ? 4 : 0);

  const onRows = (op: 'c' | 'u' | 'd', event: WriteRowsEvent | UpdateRowsEvent | DeleteRowsEvent): void => {
    const version = tracker.forTableId(event.tableId);
    if (!version) return; // a table outside the selection
    const flags = (event as { flags?: number }).flags ?? 0;
    push({
      kind: 'rows', op, version, rows: event.rows, timestampMs: event.timestamp, offset: eventStart(event), foreignKeyChecks: (flags & NO_FOREIGN_KEY_CHECKS_FLAG) === 0,
    }, event.rows.length);
  };

  const onQuery = (query: string, database: string, endOffset: number, timestampMs: number): void => {
    const meaning = parseQueryStatement(query, database);
    switch (meaning.kind) {
      case 'begin':
        return push({ kind: 'begin-statement' });
      case 'commit':
      case 'rollback':
        return push({ kind: 'commit', endOffset, timestampMs });
      case 'truncate': {
        const table = meaning.table;
        if (!selection.captures(table.namespace, table.name)) break;
        return runHeld(async () => {
          const schema = await tracker.currentSchema(table);
          if (schema) push({ kind: 'truncate', schema, timestampMs });
          else log.warn({ table: `${table.namespace}.${table.name}` }, 'TRUNCATE of a table that no longer exists and was never seen before: not published');
          push({ kind: 'statement', endOffset, timestampMs });
        });
      }
      case 'table-ddl': {
        const captured = meaning.tables.filter((t) => selection.captures(t.namespace, t.name));
        if (captured.length === 0) break;
        const renamedIn = renamedIntoSelection(query, meaning.tables, selection);
        log.info({ tables: captured.map((t) => `${t.namespace}.${t.name}`), statement: query.slice(0, 200) }, 'schema change in the binlog');
        return runHeld(async () => {
          for (const table of captured) {
            const before = tracker.known(table);
            await tracker.tableChanged(table);
            const change = await options.detectSchemaChange?.(table, query, before, tracker.known(table));
            if (change) push({ kind: 'schema-change', change });
          }
          // Its rows are in no event under the new name: published again like a rewritten table (src/schema-changes/).
          for (const table of renamedIn) push({ kind: 'schema-change', change: { table, rewritesRows: true, reason: 'new-table', columns: [], statement: shortStatement(query) } });
          push({ kind: 'statement', endOffset, timestampMs, ddl: true });
        });
      }
      case 'database-ddl':
      case 'other':
        break;
    }
    push({ kind: 'statement', endOffset, timestampMs });
  };

  const onBinlog = (event: AnyBinlogEvent): void => {
    if (stopped) return;
    events++;
    if (eventsInRead++ === 0) queueMicrotask(afterRead);
    try {
      switch (event.getEventName()) {
        case 'mariadbgtid':
        case 'gtid': {
          const e = event as AnyBinlogEvent & { gtid: string; standalone?: boolean };
          return push({ kind: 'begin', gtid: e.gtid, standalone: e.standalone ?? true });
        }
        case 'anonymousgtid':
          return push({ kind: 'begin', gtid: undefined, standalone: true });
        case 'tablemap':
          return onTableMap(event as TableMapEvent);
        case 'writerows':
          return onRows('c', event as WriteRowsEvent);
        case 'updaterows':
          return onRows('u', event as UpdateRowsEvent);
        case 'deleterows':
          return onRows('d', event as DeleteRowsEvent);
        case 'xid':
        case 'xaprepare':
          return push({ kind: 'commit', endOffset: event.nextPosition, timestampMs: event.timestamp });
        case 'query': {
          const e = event as AnyBinlogEvent & { query: string; schema: string };
          return onQuery(e.query, e.schema, event.nextPosition, event.timestamp);
        }
        case 'rotate': {
          const e = event as AnyBinlogEvent & { binlogName: string; position: number };
          return push({ kind: 'rotate', file: e.binlogName, offset: Number(e.position), artificial: event.timestamp === 0 });
        }
        case 'heartbeat': {
          const e = event as AnyBinlogEvent & { binlogName: string; position?: number | string };
          return push({ kind: 'heartbeat', file: e.binlogName, offset: Number(e.position ?? event.nextPosition) });
        }
        default:
          return;
      }
    } catch (err) {
      fail(err);
    }
  };

  zongji.on('binlog', onBinlog);
  zongji.on('error', fail);
  zongji.on('ready', () => {
    lastActivity = Date.now();
    log.info({ binlogThreadId: zongji.connection?.threadId, serverId: options.serverId, start: options.start }, 'binlog stream started');
    // A live server sends at least a heartbeat every period; silence for several periods means a dead connection.
    const silenceMs = Math.max(3 * options.heartbeatIntervalMs, 10_000);
    watchdog = setInterval(() => {
      if (events !== eventsSeen) {
        eventsSeen = events;
        lastActivity = Date.now();
      }
      if (heartbeats && !gate?.held && Date.now() - lastActivity > silenceMs) {
        fail(new ConnectionError(`MySQL source ${options.errors.where}: no binlog event or heartbeat for ${Math.round((Date.now() - lastActivity) / 1000)} s: the connection is presumed dead`));
      }
    }, Math.min(options.heartbeatIntervalMs, 5_000));
    watchdog.unref();
  });

  zongji.start({ serverId: options.serverId, ...options.start, includeEvents: EVENTS, ...selection.binlogFilter });
  const connection = zongji.connection;
  if (connection) {
    gate = installPauseGate(connection, (connection as unknown as { stream?: SourceSocket }).stream);
    gate.onOpen = () => {
      lastActivity = Date.now();
    };
    // Queued before zongji's own preamble (which waits for its control connection), so they precede the dump command.
    // The dump thread sends a heartbeat when idle for this long (nanoseconds), which also proves the connection alive.
    connection.query('SET @master_heartbeat_period = ?', [options.heartbeatIntervalMs * 1_000_000], (err: unknown) => {
      if (err) log.warn({ err: (err as Error).message }, 'the server refused a binlog heartbeat period: idle positions are reported only when transactions pass');
      else heartbeats = true;
    });
    // While the reader is paused (slow sink) the server's writes block; keep it from dropping the dump after 60 s.
    connection.query('SET SESSION net_write_timeout = 3600', (err: unknown) => {
      if (err) log.debug({ err: (err as Error).message }, 'net_write_timeout not raised');
    });
    connection.on('end', () => {
      // An error that explains the close (e.g. 1236) arrives right after: let it win.
      setTimeout(() => fail(new ConnectionError(`MySQL source ${options.errors.where}: the server closed the binlog connection`)), 100).unref();
    });
  }

  return {
    next: () => queue.nextNow(),
    get threadId() {
      return zongji.connection?.threadId ?? undefined;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(watchdog);
      clearTimeout(resting);
      queue.close();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 3_000);
        zongji.once('stopped', () => {
          clearTimeout(timer);
          resolve();
        });
        zongji.stop();
      });
    },
  };
}

/**
 * The tables a RENAME moved from outside the selection into it (`RENAME TABLE a TO b, c TO d`, `ALTER TABLE a RENAME
 * TO b`; a glob in source.tables can match the new name and not the old): the rows they hold were never published.
 */
export function renamedIntoSelection(statement: string, tables: readonly TableId[], selection: Pick<TableSelection, 'captures'>): TableId[] {
  const rename = /^\s*RENAME\s+TABLES?\b/i.test(statement) || (/^\s*ALTER\s+/i.test(statement) && /\bRENAME\b/i.test(statement) && tables.length === 2);
  if (!rename) return [];
  const moved: TableId[] = [];
  for (let i = 0; i + 1 < tables.length; i += 2) {
    const [from, to] = [tables[i]!, tables[i + 1]!];
    if (!selection.captures(from.namespace, from.name) && selection.captures(to.namespace, to.name)) moved.push(to);
  }
  return moved;
}
