import mysql, { type Connection } from 'mysql2';
import { ConfigError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { TableId } from '../../src/model/table-schema.js';
import { tableIdText } from '../../src/model/table-schema.js';
import { type BackfillSession, type BackfillSource, type BackfillTable, BackfillUnavailableError, type SignalRow } from '../../src/backfill/backfill-source.js';
import { tableSchemaOf } from './column-mapping.js';
import { mapDriverError } from './driver-errors.js';
import { introspectTable, queryRunnerOf } from './introspect-columns.js';
import { TableNotFoundError } from './mysql-errors.js';
import { mysqlEndpoint, type MysqlSourceSettings } from './mysql-source-url.js';
import { MysqlChunkQueries, nextMysqlBoundary, readMysqlRange } from './snapshot-chunks.js';
import { SNAPSHOT_CONNECTION_OPTIONS, quoteMysqlIdent } from './snapshot-values.js';
import { openSourceSession, type SourceSession } from './source-session.js';
import type { TableSelection } from './table-selection.js';

/** `signal.table` '' (unset): `<database of the URL>.logtap_signal`. */
export function mysqlSignalTable(configured: string, database: string): TableId {
  if (configured !== '') {
    const dot = configured.indexOf('.');
    return { namespace: configured.slice(0, dot), name: configured.slice(dot + 1) };
  }
  if (database === '') throw new ConfigError('signal.enabled: the source URL names no database for the signal table: set signal.table to database.table');
  return { namespace: database, name: 'logtap_signal' };
}

/** The stream's selection plus the signal table, whose changes the backfill reads from the binlog. */
export function withSignalTable(selection: TableSelection, table: TableId): TableSelection {
  if (selection.captures(table.namespace, table.name)) return selection;
  const include = selection.binlogFilter.includeSchema;
  if (!include) throw new ConfigError(`signal.table ${tableIdText(table)} lies in a system database: put it in a database of the source`);
  const current = include[table.namespace];
  const includeSchema: Record<string, true | string[]> = { ...include, [table.namespace]: current === true ? true : [...(current ?? []), table.name] };
  return {
    // The snapshot lists `tables`: the signal table is not snapshotted.
    tables: selection.tables,
    captures: (db, name) => selection.captures(db, name) || (db === table.namespace && name === table.name),
    binlogFilter: { includeSchema },
  };
}

export const signalTableDdl = (table: TableId): string =>
  `CREATE TABLE IF NOT EXISTS ${quoteMysqlIdent(table.namespace)}.${quoteMysqlIdent(table.name)} (id varchar(64) NOT NULL PRIMARY KEY, type varchar(32) NOT NULL, data text) ENGINE=InnoDB`;

/**
 * Online backfills on MySQL/MariaDB (docs/backfill.md): the signal table, and chunks read with the initial
 * snapshot's key-range reader (snapshot-chunks.ts) as plain autocommit SELECTs: InnoDB reads each in a fresh
 * read view, which sees every transaction committed before it (and commits in binlog order).
 *
 * `onDemand` (config `signal` off, backfills only for the daemon's own requests): nothing is created at start;
 * the signal table is created when the first backfill opens a session, and when that fails (no CREATE grant) the
 * backfill is unavailable (BackfillUnavailableError), not the stream.
 */
export function createMysqlBackfillSource(settings: MysqlSourceSettings, selection: TableSelection, signalTable: TableId, log: Logger, onDemand = false): BackfillSource {
  const create = async (): Promise<void> => {
    const session = await openSourceSession(settings);
    try {
      await session.runner.query(signalTableDdl(signalTable), []);
    } finally {
      await session.close();
    }
  };
  return {
    signalTable,
    watermarks: 'signal-table',
    takesRequests: !onDemand,
    async prepare() {
      if (onDemand) return;
      const session = await openSourceSession(settings);
      try {
        await session.runner.query(signalTableDdl(signalTable), []);
      } finally {
        await session.close();
      }
    },
    async open() {
      if (onDemand) {
        try {
          await create();
        } catch (err) {
          throw new BackfillUnavailableError(`cannot create the signal table ${tableIdText(signalTable)} for backfill watermarks (${(err as Error).message}): grant CREATE on it to the connector's user, or create it yourself: ${signalTableDdl(signalTable)}`, { cause: err });
        }
      }
      const session = await openSourceSession(settings);
      const connection = mysql.createConnection({ ...mysqlEndpoint(settings), connectTimeout: 10_000, ...SNAPSHOT_CONNECTION_OPTIONS });
      connection.on('error', () => {}); // reported by the query that meets it
      try {
        await connection.promise().query("SET SESSION time_zone = '+00:00'");
      } catch (err) {
        connection.destroy();
        await session.close();
        throw mapDriverError(err, session.errors, 'connecting for a backfill');
      }
      log.debug({ signalTable: tableIdText(signalTable) }, 'backfill session open');
      return new MysqlBackfillSession(session, connection, selection, signalTable);
    },
  };
}

class MysqlBackfillSession implements BackfillSession {
  private readonly signalTable: string;

  constructor(
    private readonly session: SourceSession,
    private readonly connection: Connection,
    private readonly selection: TableSelection,
    table: TableId,
  ) {
    this.signalTable = `${quoteMysqlIdent(table.namespace)}.${quoteMysqlIdent(table.name)}`;
  }

  private async doing<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw mapDriverError(err, this.session.errors, what);
    }
  }

  writeSignal(row: SignalRow): Promise<void> {
    return this.doing('writing a signal row', async () => {
      await this.connection.promise().query(`INSERT INTO ${this.signalTable} (id, type, data) VALUES (?, ?, ?)`, [row.id, row.type, row.data]);
    });
  }

  writeWatermark(row: SignalRow, removeTypes: readonly string[]): Promise<void> {
    return this.doing('writing a backfill watermark', async () => {
      const db = this.connection.promise();
      if (removeTypes.length === 0) {
        await db.query(`INSERT INTO ${this.signalTable} (id, type, data) VALUES (?, ?, ?)`, [row.id, row.type, row.data]);
        return;
      }
      await db.query('START TRANSACTION');
      try {
        await db.query(`DELETE FROM ${this.signalTable} WHERE type IN (?)`, [[...removeTypes]]);
        await db.query(`INSERT INTO ${this.signalTable} (id, type, data) VALUES (?, ?, ?)`, [row.id, row.type, row.data]);
        await db.query('COMMIT');
      } catch (err) {
        await db.query('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }

  async table(id: TableId): Promise<BackfillTable | { problem: string }> {
    if (!this.selection.captures(id.namespace, id.name)) return { problem: `${tableIdText(id)} is not captured by this connector (source.tables / the URL's database)` };
    let info;
    try {
      info = await introspectTable(this.session.runner, id.namespace, id.name);
    } catch (err) {
      if (err instanceof TableNotFoundError) return { problem: `table ${tableIdText(id)} does not exist` };
      throw mapDriverError(err, this.session.errors, `reading the columns of ${tableIdText(id)}`);
    }
    const queries = new MysqlChunkQueries(info, tableSchemaOf(info));
    if (!queries.keyed) return { problem: `${tableIdText(id)} has no primary key of a type chunks can be bounded by (integer, decimal, text, date/time)` };
    const [estimate] = await this.session.runner.query('SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [id.namespace, id.name]);
    const estimated = estimate?.n === null || estimate?.n === undefined ? null : Number(estimate.n);
    return {
      schema: queries.schema,
      estimatedRows: estimated !== null && estimated > 0 ? estimated : null,
      readChunk: (after, limit) => this.doing(`reading a backfill chunk of ${tableIdText(id)}`, async () => {
        const upTo = await nextMysqlBoundary(this.connection, queries, after, limit);
        const rows: Record<string, unknown>[] = [];
        for await (const page of readMysqlRange(this.connection, queries, { after, upTo })) rows.push(...page.rows);
        return { rows, upTo };
      }),
    };
  }

  async close(): Promise<void> {
    this.connection.destroy();
    await this.session.close();
  }
}
