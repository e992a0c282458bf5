import { LogtapError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { ChangeEvent, Row } from '../../src/model/change-event.js';
import { tableIdText, type TableId, type TableSchema } from '../../src/model/table-schema.js';
import type { PublishedRows } from '../../src/source/source-connector.js';
import { CascadeIndex, type RowChange } from './cascade-index.js';
import { planCascades, type DerivedChange } from './cascade-planner.js';
import { describeForeignKey, foreignKeysSignature, loadCascadingForeignKeys, type CascadingForeignKey } from './foreign-keys.js';
import { introspectTable, type MysqlQueryRunner } from './introspect-columns.js';
import { TableNotFoundError } from './mysql-errors.js';
import type { TableSelection } from './table-selection.js';
import type { DerivedChanges } from './change-emitter.js';
import type { ChildRowReader } from './child-row-reader.js';
import type { SchemaTracker } from './schema-tracker.js';

/**
 * InnoDB applies foreign-key cascades (ON UPDATE/DELETE CASCADE, SET NULL) inside the storage engine and writes
 * none of their row changes to the binlog. This stage derives them: it keeps the rows of every child table as its
 * topic holds them (CascadeIndex, read back from the topic at the first start of this connector instance and
 * followed through every change handed over since) and, for each parent change the binlog delivers, returns the
 * child changes the cascade made, to be handed over right after it with its position (docs/mysql-connector.md).
 */
export interface ForeignKeyCascades {
  /** Loads the foreign keys and the child rows once, before this connector instance hands anything over. */
  prepare(runner: MysqlQueryRunner, signal?: AbortSignal): Promise<void>;
  /** A snapshot row or a truncate was handed over. */
  observe(change: RowChange): void;
  /** A stream change is handed over: the changes its cascades made, as events at its position (empty: none). */
  derive(event: ChangeEvent, foreignKeyChecks: boolean, context: DeriveContext): ChangeEvent[] | Promise<ChangeEvent[]>;
  /** Rows the index holds now (memory grows with the child tables), undefined when no cascade is followed. */
  indexSize(): { tables: number; rows: number } | undefined;
  /** A DDL statement of a captured table was read: the foreign keys are read again (a change restarts the stream). */
  schemaChanged(runner: MysqlQueryRunner): Promise<void>;
}

/** What deriving needs from the stream: the child tables' current shapes, and their rows by key from the database. */
export interface DeriveContext {
  schemaOf(table: TableId): Promise<TableSchema | undefined>;
  /** The child row's current values (ChildRowReader), for columns the index does not know. */
  readBack(table: TableSchema, key: Row): Promise<Row | undefined>;
}

export interface ForeignKeyCascadesOptions {
  selection: TableSelection;
  /** How to read a child's topic back; absent (envelopes without rows): cascades are not followed, loudly. */
  publishedRows: PublishedRows | undefined;
  log: Logger;
}

/** Why a cascading foreign key cannot be followed exactly, or undefined when it can. */
export function unfollowableReason(fk: CascadingForeignKey, selection: TableSelection, childKey: readonly string[]): string | undefined {
  if (!selection.captures(fk.child.namespace, fk.child.name)) return undefined; // nothing published to keep equal
  if (!selection.captures(fk.parent.namespace, fk.parent.name)) return `the parent table ${tableIdText(fk.parent)} is not captured, so its changes (and their cascades) are not seen`;
  if (childKey.length === 0) return `the child table ${tableIdText(fk.child)} has no primary key, so its rows cannot be told apart`;
  return undefined;
}

export function createForeignKeyCascades(options: ForeignKeyCascadesOptions): ForeignKeyCascades {
  const { selection, log } = options;
  let prepared = false;
  let signature = '';
  /** The foreign keys followed: child and parent captured, child with a primary key. */
  let followed: CascadingForeignKey[] = [];
  let index: CascadeIndex | undefined;
  /** The primary keys of the child tables the index is built on. */
  let childKeys = new Map<string, string[]>();

  const load = async (runner: MysqlQueryRunner): Promise<{ all: CascadingForeignKey[]; keys: Map<string, string[]> }> => {
    const all = await loadCascadingForeignKeys(runner, selection);
    const keys = new Map<string, string[]>();
    for (const fk of all) {
      const name = tableIdText(fk.child);
      if (keys.has(name)) continue;
      try {
        keys.set(name, (await introspectTable(runner, fk.child.namespace, fk.child.name)).primaryKey);
      } catch (err) {
        if (!(err instanceof TableNotFoundError)) throw err;
        keys.set(name, []);
      }
    }
    return { all, keys };
  };

  return {
    async prepare(runner, signal) {
      if (prepared) return;
      const { all, keys } = await load(runner);
      signature = signatureOf(all, keys);
      childKeys = keys;
      followed = [];
      for (const fk of all) {
        if (!selection.captures(fk.child.namespace, fk.child.name)) continue;
        const reason = unfollowableReason(fk, selection, keys.get(tableIdText(fk.child)) ?? []);
        if (reason) {
          log.error({ foreignKey: describeForeignKey(fk), reason }, 'foreign-key cascade NOT followed: the child topic will keep rows and values the cascade changed (logtap check lists it)');
        } else {
          followed.push(fk);
        }
      }
      if (followed.length > 0 && !options.publishedRows) {
        log.error({ foreignKeys: followed.map(describeForeignKey) }, 'foreign-key cascades NOT followed: only the entity envelope carries the rows logtap reads back to derive them; the child topics will keep rows and values the cascades changed');
        followed = [];
      }
      prepared = true;
      if (followed.length === 0) return;
      const started = Date.now();
      const built = new CascadeIndex(followed, (table) => keys.get(tableIdText(table)) ?? []);
      const children = new Map(followed.map((fk) => [tableIdText(fk.child), fk.child]));
      // Each topic read waits for a consumer group of its own: read them at once.
      await Promise.all([...children.values()].map((child) => options.publishedRows!(child, (row) => built.apply({ table: child, op: 'r', after: row }), signal)));
      index = built;
      log.info({ foreignKeys: followed.map(describeForeignKey), indexedTables: built.size.tables, indexedRows: built.size.rows, millis: Date.now() - started },
        'foreign-key cascades followed: child rows read back from their topics');
    },

    indexSize: () => index?.size,

    observe(change) {
      index?.apply(change);
    },

    derive(event, foreignKeyChecks, context) {
      if (!index) return NONE;
      const derived = planCascades({ table: event.table.id, op: event.op, before: event.before, after: event.after }, followed, index, foreignKeyChecks);
      if (derived.length === 0) return NONE;
      log.debug({ table: tableIdText(event.table.id), op: event.op, derived: derived.length, indexedRows: index.size.rows }, 'foreign-key cascade derived');
      return toEvents(event, derived, context, index, log);
    },

    async schemaChanged(runner) {
      if (!prepared) return;
      const { all, keys } = await load(runner);
      const next = signatureOf(all, keys);
      if (next === signature) return;
      if (!options.publishedRows) {
        signature = next; // nothing is derived without rows to read back (said at start): a restart would not help
        return;
      }
      const stillFollowed = all.filter((fk) => selection.captures(fk.child.namespace, fk.child.name) && !unfollowableReason(fk, selection, keys.get(tableIdText(fk.child)) ?? []));
      const known = new Set(followed.map((fk) => `${describeForeignKey(fk)} key ${childKeys.get(tableIdText(fk.child))?.join(',')}`));
      if (index && stillFollowed.every((fk) => known.has(`${describeForeignKey(fk)} key ${keys.get(tableIdText(fk.child))?.join(',')}`))) {
        // Only dropped: the index serves the rest as it is (the dropped ones must not act on what follows).
        log.info({ foreignKeys: stillFollowed.map(describeForeignKey) }, 'cascading foreign keys dropped');
        followed = followed.filter((fk) => stillFollowed.some((s) => describeForeignKey(s) === describeForeignKey(fk)));
        signature = next;
        return;
      }
      // A new foreign key, rule or child key: the child rows must be read back for it. The restart resumes at the
      // last checkpoint, before this statement, with the foreign keys as they are now (docs/mysql-connector.md).
      throw new LogtapError('MYSQL_CASCADES_CHANGED', 'the cascading foreign keys of the captured tables changed: restarting to read the child rows back for them', { retriable: true });
    },
  };
}

const NONE: ChangeEvent[] = [];

/**
 * The cascades as one stream hands them to the change emitter: derived changes with the child tables' current shapes
 * (kept until a DDL: a child not seen in the binlog yet would otherwise be introspected per derived change) and
 * rows read back for columns the index lacks; truncates followed; foreign keys read again at DDL.
 */
export function cascadesOfStream(cascades: ForeignKeyCascades, stream: { tracker: SchemaTracker; rows: ChildRowReader; runner: MysqlQueryRunner; log: Logger }): DerivedChanges {
  const size = cascades.indexSize();
  if (size) stream.log.info({ indexedTables: size.tables, indexedRows: size.rows }, 'foreign-key cascade index ready');
  const schemas = new Map<string, TableSchema | undefined>();
  const schemaOf = async (id: TableId): Promise<TableSchema | undefined> => {
    const key = tableIdText(id);
    if (!schemas.has(key)) schemas.set(key, await stream.tracker.currentSchema(id));
    return schemas.get(key);
  };
  const context: DeriveContext = { schemaOf, readBack: (table, key) => stream.rows.read(table, key) };
  return {
    derive: (event, foreignKeyChecks) => cascades.derive(event, foreignKeyChecks, context),
    truncated: (event) => cascades.observe({ table: event.table.id, op: 't' }),
    schemaChanged: () => {
      schemas.clear();
      return cascades.schemaChanged(stream.runner);
    },
  };
}

/** The derived changes as events at the position (transaction, commit time) of the change they came with. */
async function toEvents(event: ChangeEvent, derived: readonly DerivedChange[], context: DeriveContext, index: CascadeIndex, log: Logger): Promise<ChangeEvent[]> {
  const events: ChangeEvent[] = [];
  for (const change of derived) {
    const table = await context.schemaOf(change.table);
    if (!table) throw new LogtapError('MYSQL_CASCADE_TABLE', `foreign-key cascade ${change.via.name} reaches table ${tableIdText(change.table)}, whose shape is unknown`);
    const base = { table, position: event.position, snapshot: false, ...(event.txId !== undefined ? { txId: event.txId } : {}), ...(event.commitTimeMicros !== undefined ? { commitTimeMicros: event.commitTimeMicros } : {}) };
    if (change.op === 'd') {
      events.push({ ...base, op: 'd', before: change.before });
      continue;
    }
    let after = change.after!;
    const missing = table.columns.filter((c) => after[c.name] === undefined);
    if (missing.length > 0) {
      const known = after;
      after = await completed(table, known, missing.map((c) => c.name), context);
      index.complete(change.table, known, after);
      log.warn({ table: tableIdText(change.table), columns: missing.map((c) => c.name) },
        'a cascade reached a child row published before these columns existed: their values were read back from the database (its current row)');
    }
    events.push({ ...base, op: 'u', before: change.before, after });
  }
  return events;
}

/** `after` with the columns it lacks taken from the database's current row (NULL where the row is gone and the column allows it). */
async function completed(table: TableSchema, after: Row, missing: readonly string[], context: DeriveContext): Promise<Row> {
  const current = await context.readBack(table, after);
  const filled: Row = { ...after };
  for (const name of missing) {
    if (current) filled[name] = current[name];
    else if (table.columns.find((c) => c.name === name)!.nullable) filled[name] = null;
  }
  return filled;
}

/** The foreign keys with the primary keys of their child tables: what the index is built for. */
const signatureOf = (fks: readonly CascadingForeignKey[], keys: ReadonlyMap<string, string[]>): string =>
  `${foreignKeysSignature(fks)}\n${[...keys].map(([table, key]) => `${table}(${key.join(',')})`).join('\n')}`;
