import { LogtapError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { tableIdText, tableShapeText, type TableId, type TableSchema } from '../../src/model/table-schema.js';
import { reconcileTable, type BinlogTableMap } from './binlog-table-info.js';
import { tableSchemaOf } from './column-mapping.js';
import { introspectTable, type MysqlQueryRunner } from './introspect-columns.js';
import type { MysqlTableInfo } from './mysql-column-info.js';
import { TableMapMismatchError, TableNotFoundError } from './mysql-errors.js';
import { compileRowDecoder, type RowDecoder } from './row-decoder.js';
import { readServerCollations, type ServerCollations } from './server-collations.js';
import { bindTableMap, type ZongjiTableMapEntry } from './table-map-binding.js';
import type { DecodeOptions } from './value-decoders.js';

/** One version of a captured table: its schema (a new object only when the shape changed) and its row decoder. */
export interface TableVersion {
  readonly schema: TableSchema;
  readonly decode: RowDecoder;
  readonly info: MysqlTableInfo;
  /** The binlog description this version was bound to (BinlogTableMap.signature). */
  readonly signature: string;
}

/**
 * Keeps the version of every captured table in step with the binlog. Each TableMap event is bound (zongji's entry
 * rewritten by bindTableMap) before its row events are parsed: synchronously when the binlog describes the table as
 * last time (`bindKnown`), otherwise through `resolve`, which introspects — the caller holds the binlog connection
 * meanwhile. A DDL statement marks the table for a refresh at exactly that point (`tableChanged`).
 */
export interface SchemaTracker {
  bindKnown(map: BinlogTableMap, tableId: number, entry: ZongjiTableMapEntry): TableVersion | undefined;
  resolve(map: BinlogTableMap, tableId: number, entry: ZongjiTableMapEntry): Promise<TableVersion>;
  /**
   * A TableMap repeated what `version` was bound to, and its entry is bound already: keeps `version` for the table
   * id when it is still the table's current version (no DDL statement since); false when the TableMap must be bound
   * again.
   */
  reuse(tableId: number, version: TableVersion): boolean;
  /** The version the last TableMap of this table id was bound to. */
  forTableId(tableId: number): TableVersion | undefined;
  /** An ALTER/CREATE/RENAME/DROP of the table was read: re-introspect now; the next TableMap builds the version. */
  tableChanged(id: TableId): Promise<void>;
  /** The table's current schema (for a TRUNCATE); undefined when the table is unknown and gone. */
  currentSchema(id: TableId): Promise<TableSchema | undefined>;
  /** Introspects a table, undefined when INFORMATION_SCHEMA does not show it. */
  introspect(id: TableId): Promise<MysqlTableInfo | undefined>;
  /** The table's latest known description (read at its last DDL statement, else its bound version); undefined: unknown. */
  known(id: TableId): MysqlTableInfo | undefined;
}

interface TableState {
  current?: TableVersion;
  /** The shape must be rebuilt at the next TableMap (a DDL statement was read). */
  stale: boolean;
  /** INFORMATION_SCHEMA as read at the last DDL statement ('absent': the table did not exist then). */
  refreshed?: MysqlTableInfo | 'absent';
}

export function createSchemaTracker(options: { runner: MysqlQueryRunner; log: Logger; decode?: DecodeOptions }): SchemaTracker {
  const { runner, log } = options;
  const tables = new Map<string, TableState>();
  const byTableId = new Map<number, TableVersion>();
  /** The state each version belongs to (looked up per repeated TableMap, without building the table's key text). */
  const stateOfVersion = new WeakMap<TableVersion, TableState>();
  const stateOf = (key: string): TableState => {
    let state = tables.get(key);
    if (!state) tables.set(key, (state = { stale: false }));
    return state;
  };

  // Read once, when the first TableMap with FULL metadata is reconciled (a failed read is tried again next time).
  let collations: Promise<ServerCollations> | undefined;
  const serverCollations = (): Promise<ServerCollations> => {
    collations ??= readServerCollations(runner).catch((err: unknown) => {
      collations = undefined;
      throw err;
    });
    return collations;
  };

  const introspect = async (id: TableId): Promise<MysqlTableInfo | undefined> => {
    try {
      return await introspectTable(runner, id.namespace, id.name);
    } catch (err) {
      if (err instanceof TableNotFoundError) return undefined;
      throw err;
    }
  };

  const bind = (entry: ZongjiTableMapEntry, info: MysqlTableInfo): number[] => {
    try {
      return bindTableMap(entry, info);
    } catch (err) {
      if (!(err instanceof TableMapMismatchError)) throw err;
      // Retrying cannot help: the same binlog event would meet the same description.
      throw new LogtapError('MYSQL_SCHEMA_MISMATCH', `${err.message}; with binlog_row_metadata=FULL logtap reads the table's shape from the binlog itself (SET GLOBAL binlog_row_metadata = 'FULL')`, { cause: err });
    }
  };

  return {
    introspect,

    bindKnown(map, tableId, entry) {
      const state = tables.get(`${map.database}.${map.table}`);
      const current = state?.current;
      if (!current || state.stale || current.signature !== map.signature) return undefined;
      try {
        bindTableMap(entry, current.info);
      } catch {
        return undefined;
      }
      byTableId.set(tableId, current);
      return current;
    },

    reuse(tableId, version) {
      const state = stateOfVersion.get(version);
      if (!state || state.stale || state.current !== version) return false;
      byTableId.set(tableId, version);
      return true;
    },

    async resolve(map, tableId, entry) {
      const id: TableId = { namespace: map.database, name: map.table };
      const key = tableIdText(id);
      const state = stateOf(key);
      const refreshed = state.refreshed;
      state.refreshed = undefined;
      const introspected = refreshed === undefined ? await introspect(id) : refreshed === 'absent' ? undefined : refreshed;
      const reconciled = reconcileTable(map, introspected, state.current?.info, map.columns ? await serverCollations() : undefined);
      if (!reconciled) {
        throw new LogtapError('MYSQL_TABLE_UNKNOWN', `table ${key}: the binlog's table map carries no column names (binlog_row_metadata is not FULL) and INFORMATION_SCHEMA does not show the table; set binlog_row_metadata=FULL so that logtap can read tables that were dropped or renamed since`);
      }
      const { info, fromBinlog, fromEarlier } = reconciled;
      if (introspected && (fromBinlog.length > 0 || fromEarlier.length > 0 || introspected.columns.length !== info.columns.length)) {
        log.warn({ table: key, columnsFromBinlog: fromBinlog, columnsAsBefore: fromEarlier, binlogColumns: info.columns.length, currentColumns: introspected.columns.length },
          'INFORMATION_SCHEMA describes a later shape of the table than this point of the binlog: using the binlog\'s own row metadata');
      } else if (!introspected) {
        log.warn({ table: key, columnsFromBinlog: fromBinlog, columnsAsBefore: fromEarlier }, 'table no longer in INFORMATION_SCHEMA: its shape at this point of the binlog comes from the binlog\'s row metadata');
      }
      const schema = sameJson(state.current?.schema, tableSchemaOf(info)) ?? tableSchemaOf(info);
      const binlogTypes = bind(entry, info);
      const version: TableVersion = { schema, info, signature: map.signature, decode: compileRowDecoder(info, schema, binlogTypes, options.decode) };
      if (state.current && state.current.schema !== schema) log.info({ table: key, columns: schema.columns.map((c) => c.name) }, 'table shape changed');
      state.current = version;
      state.stale = false;
      stateOfVersion.set(version, state);
      byTableId.set(tableId, version);
      return version;
    },

    forTableId: (tableId) => byTableId.get(tableId),

    known(id) {
      const state = tables.get(tableIdText(id));
      if (!state) return undefined;
      if (state.refreshed !== undefined) return state.refreshed === 'absent' ? undefined : state.refreshed;
      return state.current?.info;
    },

    async tableChanged(id) {
      const state = stateOf(tableIdText(id));
      state.stale = true;
      state.refreshed = (await introspect(id)) ?? 'absent';
    },

    async currentSchema(id) {
      const state = stateOf(tableIdText(id));
      if (state.current && !state.stale) return state.current.schema;
      const info = state.refreshed && state.refreshed !== 'absent' ? state.refreshed : await introspect(id);
      if (!info) return state.current?.schema;
      return sameJson(state.current?.schema, tableSchemaOf(info)) ?? tableSchemaOf(info);
    },
  };
}

/** `previous` when it describes exactly `next` (so the core sees no new schema version), else undefined. */
function sameJson(previous: TableSchema | undefined, next: TableSchema): TableSchema | undefined {
  return previous !== undefined && tableShapeText(previous) === tableShapeText(next) ? previous : undefined;
}
