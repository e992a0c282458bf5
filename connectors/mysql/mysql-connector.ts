import { ConfigError } from '../../src/errors.js';
import type { SourcePosition } from '../../src/model/change-event.js';
import type { ConnectorOptions, SourceConnector } from '../../src/source/source-connector.js';
import { BinlogCursor, type CursorStart } from './binlog-cursor.js';
import { startBinlogReader, type BinlogReader } from './binlog-reader.js';
import { emitChanges } from './change-emitter.js';
import { cascadesOfStream, createForeignKeyCascades } from './foreign-key-cascades.js';
import { createChildRowReader, type ChildRowReader } from './child-row-reader.js';
import { observeSnapshotRows } from './snapshot-observer.js';
import { parseGtidState } from './gtid-set.js';
import { checkMysqlSource } from './mysql-check.js';
import { decodeMysqlPosition, type FilePosition } from './mysql-position.js';
import { mysqlEndpoint, parseMysqlSourceUrl, type MysqlSourceSettings } from './mysql-source-url.js';
import { createSchemaTracker } from './schema-tracker.js';
import { blockingSettings, masterStatus } from './server-settings.js';
import { openSourceSession, type SourceSession } from './source-session.js';
import { selectTables, type TableSelection } from './table-selection.js';
import { createMysqlSnapshotSource } from './snapshot-source.js';
import { acquireInstanceLock, instanceLockHolder, type InstanceLock } from './instance-lock.js';
import { binlogRefusal, parseUserPosition } from './user-position.js';
import { createMysqlBackfillSource, mysqlSignalTable, withSignalTable } from './backfill-source.js';
import { createSchemaChangeDetector } from './row-rewrite.js';
import { planMysqlSetup } from './setup-plan.js';
import { createMysqlRowDeleter } from './row-deleter.js';

/** Rows parsed ahead of the handler before the binlog connection pauses. */
const QUEUE_LIMIT_ROWS = 1_000;

/**
 * The MySQL/MariaDB source: streams the binlog through zongji (connectors/mysql/binlog-reader.ts) with positions of
 * connectors/mysql/mysql-position.ts. `mysql://` and `mariadb://` URLs; see docs/mysql-connector.md.
 */
export function createMysqlConnector(options: ConnectorOptions): SourceConnector {
  const settings = parseMysqlSourceUrl(options.url, options.name);
  const rowFilter = Object.entries(options.tableSettings ?? {}).find(([, t]) => t.where !== undefined);
  if (rowFilter) throw new ConfigError(`tables.${JSON.stringify(rowFilter[0])}.where: row filters are a PostgreSQL 15+ feature; MySQL/MariaDB cannot filter rows at the source — remove where`);
  const configured = selectTables(settings.database, options.tables, options.excludeTables);
  const log = options.log.child({ server: settings.where });
  // With backfills on, the stream also reads the signal table (never published: src/backfill/). For the daemon's
  // own backfills (schema-change resync) it is `<database>.logtap_signal`, created only when first needed.
  const onDemand = options.signalTable === undefined && options.internalBackfills === true && settings.database !== '';
  const signalTable = options.signalTable !== undefined ? mysqlSignalTable(options.signalTable, settings.database) : onDemand ? mysqlSignalTable('', settings.database) : undefined;
  const selection = signalTable ? withSignalTable(configured, signalTable) : configured;
  const running = new Set<BinlogReader>();
  let released: SourcePosition | undefined;
  /** The control session while streaming, for sourceLag. */
  let current: SourceSession | undefined;
  /** Held from awaitExclusive until close: a second instance with this name waits for it (docs/operations.md). */
  let lock: InstanceLock | null = null;
  /** Foreign-key cascades InnoDB keeps out of the binlog, derived for the child topics (docs/mysql-connector.md). */
  const cascades = createForeignKeyCascades({ selection: configured, publishedRows: options.publishedRows, log });
  const rowDeleter = createMysqlRowDeleter(settings);

  return {
    kind: 'mysql',
    debeziumConnector: 'mysql',
    database: settings.database,

    check: () => checkMysqlSource(settings, configured, options.publishedRows !== undefined),

    setupPlan: (plan) => planMysqlSetup(settings, plan),

    rowDeleter,

    snapshots: observeSnapshotRows(createMysqlSnapshotSource(settings, selection, log), settings, cascades),

    ...(signalTable ? { backfills: createMysqlBackfillSource(settings, configured, signalTable, log, onDemand) } : {}),

    async stream(from, handler, signal, started) {
      if (signal.aborted) return;
      const session = await openSourceSession(settings);
      current = session;
      let reader: BinlogReader | undefined;
      let childRows: ChildRowReader | undefined;
      const onAbort = () => void reader?.stop();
      try {
        await preflight(session, settings, selection);
        if (session.server.binlogRowMetadata !== 'FULL') {
          log.warn({ binlogRowMetadata: session.server.binlogRowMetadata ?? 'unsupported' }, 'binlog_row_metadata is not FULL: table shapes come from INFORMATION_SCHEMA, which is wrong for rows written before a later ALTER TABLE');
        }
        const start = await startPoint(session, from);
        // From here the binlog is read from `start`: whatever commits now is captured.
        started?.();
        const tracker = createSchemaTracker({ runner: session.runner, log });
        await cascades.prepare(session.runner, signal);
        childRows = createChildRowReader(settings, session.runner, session.errors);
        const derived = cascadesOfStream(cascades, { tracker, rows: childRows, runner: session.runner, log });
        if (signal.aborted) return;
        reader = startBinlogReader({
          connection: mysqlEndpoint(settings),
          serverId: settings.serverId,
          heartbeatIntervalMs: settings.heartbeatIntervalMs,
          start: start.binlog,
          selection,
          tracker,
          detectSchemaChange: createSchemaChangeDetector(session.runner, session.server.isMariaDb),
          mariaDb: session.server.isMariaDb,
          queueLimit: QUEUE_LIMIT_ROWS,
          log,
          errors: session.errors,
        });
        running.add(reader);
        signal.addEventListener('abort', onAbort, { once: true });
        const current = reader;
        await emitChanges(() => current.next(), new BinlogCursor(start.cursor), handler, log, signal, derived);
      } finally {
        signal.removeEventListener('abort', onAbort);
        if (reader) {
          running.delete(reader);
          await reader.stop();
        }
        childRows?.close();
        if (current === session) current = undefined;
        await session.close();
      }
    },

    async release(position) {
      // MySQL keeps no replication slot: the binlog expires by the server's retention alone. Kept for lag reporting.
      released = position;
      log.debug({ position: released.display }, 'released');
    },

    async sourceLag() {
      if (!current || !released) return null;
      const position = decodeMysqlPosition(released.token);
      // A GTID position names no binlog file: the distance is not known without scanning the binlog.
      if (position.kind !== 'file') return null;
      return binlogBytesAfter(current, position);
    },

    async awaitExclusive(signal) {
      lock ??= await acquireInstanceLock(settings, options.name, log, signal);
    },

    async activeInstance() {
      if (lock) return null; // this instance holds it
      const holder = await instanceLockHolder(settings, options.name);
      return holder === null ? null : `the instance lock ${holder.lock} is held by connection ${holder.connection}: an instance streams this connector`;
    },

    positions: {
      parse: parseUserPosition,
      async refusal(position) {
        const session = await openSourceSession(settings);
        try {
          return await binlogRefusal(session.runner, position);
        } finally {
          await session.close();
        }
      },
    },

    async close() {
      await Promise.all([...running].map((reader) => reader.stop()));
      running.clear();
      await lock?.release();
      lock = null;
      await rowDeleter.close();
    },
  };
}

/** What stops streaming before it starts: server settings, missing tables. */
async function preflight(session: SourceSession, settings: MysqlSourceSettings, selection: TableSelection): Promise<void> {
  const [problem] = blockingSettings(session.server);
  if (problem) throw new ConfigError(`MySQL source ${settings.where}: ${problem.message}. Fix: ${problem.fix}`);
  if (selection.tables) {
    for (const table of selection.tables) {
      const rows = await session.runner.query('SELECT 1 AS found FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [table.namespace, table.name]);
      if (rows.length === 0) {
        throw new ConfigError(`configured table ${table.namespace}.${table.name} does not exist on MySQL source ${settings.where} (or user '${settings.user}' cannot see it): create it, grant SELECT on it, or remove it from source.tables`);
      }
    }
  } else if (settings.database !== '') {
    const rows = await session.runner.query('SELECT 1 AS found FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [settings.database]);
    if (rows.length === 0) throw new ConfigError(`database ${settings.database} of the source URL does not exist on MySQL source ${settings.where} (or user '${settings.user}' cannot see it)`);
  }
}

/** Where the binlog dump starts and how the cursor counts, from the checkpoint or (none) from the current end. */
async function startPoint(session: SourceSession, from: SourcePosition | null): Promise<{ binlog: { gtidSet: string } | { filename: string; position: number }; cursor: CursorStart }> {
  const { server } = session;
  const flavour = server.isMariaDb ? 'mariadb' : 'mysql';
  if (from) {
    const position = decodeMysqlPosition(from.token);
    if (position.kind === 'file') {
      return { binlog: { filename: position.file, position: position.offset }, cursor: position };
    }
    if (!server.gtids) {
      throw new ConfigError(`checkpoint ${from.display} is a GTID position but the server has gtid_mode=${server.gtidMode}: enable GTIDs (gtid_mode=ON) or delete the checkpoint`);
    }
    let executed;
    try {
      executed = parseGtidState(position.executed, flavour);
    } catch (err) {
      throw new ConfigError(`checkpoint ${from.display} does not fit this server: ${(err as Error).message}`);
    }
    return {
      binlog: { gtidSet: position.executed },
      cursor: { kind: 'gtid', executed, ...(position.inTransaction ? { resume: position.inTransaction } : {}) },
    };
  }
  if (server.gtids) {
    const sql = server.isMariaDb ? 'SELECT @@GLOBAL.gtid_binlog_pos AS executed' : 'SELECT @@GLOBAL.gtid_executed AS executed';
    const [row] = await session.runner.query(sql, []);
    const text = String(row?.executed ?? '').replace(/\s+/g, '');
    return { binlog: { gtidSet: text }, cursor: { kind: 'gtid', executed: parseGtidState(text, flavour) } };
  }
  const status = await masterStatus(session.runner);
  return { binlog: { filename: status.file, position: status.offset }, cursor: { kind: 'file', file: status.file, offset: status.offset, published: 0 } };
}

/** Binlog bytes the server holds after a file position: the rest of its file and every later file. */
async function binlogBytesAfter(session: SourceSession, position: FilePosition): Promise<{ bytes: number } | null> {
  const files = await session.runner.query('SHOW BINARY LOGS', []);
  const index = files.findIndex((f) => String(f.Log_name) === position.file);
  if (index < 0) return null;
  let bytes = Math.max(0, Number(files[index]!.File_size) - position.offset);
  for (const f of files.slice(index + 1)) bytes += Number(f.File_size);
  return { bytes };
}
