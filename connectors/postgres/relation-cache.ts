import type { Pgoutput } from 'pg-logical-replication';
import type { Logger } from '../../src/logger.js';
import type { Row } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import type { SchemaChange } from '../../src/schema-changes/schema-change.js';
import { tableIdText, tableShapeText } from '../../src/model/table-schema.js';
import { type PgMappedColumn, mapTable } from './column-mapping.js';
import { describeRelation, unsignedOid } from './describe-relation.js';
import { type PgQueryable, TableNotFoundError, introspectTable } from './introspect-columns.js';
import type { PgColumnInfo, PgTableInfo } from './pg-column-info.js';
import { type RawTuple, compileRowDecoder } from './text-decoder.js';
import type { TableShapes } from './table-shapes.js';

/** One shape of one published table: what its change events carry, and how its tuples are decoded. */
export interface TableVersion {
  /** pg_class oid, as pgoutput names the relation. */
  oid: number;
  /** The core's schema version: a new object exactly when the shape changed. */
  schema: TableSchema;
  columns: PgMappedColumn[];
  decode: (tuple: RawTuple) => Row;
  replicaIdentity: Pgoutput.MessageRelation['replicaIdentity'];
  /** Where the description came from: the catalog as it is now, or the Relation message (catalog moved on). */
  describedFrom: 'catalog' | 'relation-message';
  /**
   * A partitioned table: the key columns outside every partition key, which a row keeps when an UPDATE moves
   * it to another partition (empty: keyless, or a key of partition columns only); null: not partitioned.
   */
  moveIdentity: string[] | null;
}

/**
 * TableVersions by relation oid, built when pgoutput sends a Relation message (before the first change
 * of a table in a session and after each change of its shape), from the catalog read over a normal
 * connection. The Relation message is checked against the catalog: when the catalog has moved on since
 * the WAL being decoded, the message's columns win (describeRelation).
 */
export class RelationCache {
  private readonly byOid = new Map<number, { version: TableVersion; relation: Pgoutput.MessageRelation; shape: string; info: PgTableInfo }>();
  /** The last version of each table by name: a table re-created with the same shape keeps its TableSchema. */
  private readonly byTable = new Map<string, { schema: TableSchema; shape: string }>();

  /** `mapError` turns a failed catalog query into the error to report (connection lost, …). */
  constructor(
    private readonly db: PgQueryable,
    private readonly log: Logger,
    private readonly mapError: (err: unknown) => unknown = (err) => err,
    /** The known shape of each table, to tell what a DDL did to existing rows (table-shapes.ts); absent: not told. */
    private readonly shapes?: TableShapes,
  ) {}

  /**
   * A Relation message: the table's version from here on, and — when its shape differs from the known one — the
   * schema change, saying whether existing rows were rewritten (row-rewrite.ts).
   */
  async onRelation(relation: Pgoutput.MessageRelation): Promise<{ version: TableVersion; change: SchemaChange | null }> {
    const version = await this.build(relation);
    if (!this.shapes) return { version, change: null };
    const id = { namespace: relation.schema, name: relation.name };
    // A message matching today's catalog (not one the catalog has moved on from) may be reported.
    const current = version.describedFrom === 'catalog';
    try {
      return { version, change: await this.shapes.relation(unsignedOid(relation.relationOid), id, relation.columns, current) };
    } catch (err) {
      throw this.mapError(err);
    }
  }

  /** The current version of a relation pgoutput has described in this session. */
  get(oid: number): TableVersion {
    const entry = this.byOid.get(unsignedOid(oid));
    if (!entry) throw new Error(`pgoutput sent a change of relation ${unsignedOid(oid)} before its Relation message`);
    return entry.version;
  }

  /**
   * Reads the catalog again for a relation (its Relation message unchanged): for what changes without a
   * new Relation message, like a label added to an enum type. Returns the same version when nothing changed.
   */
  async refresh(oid: number): Promise<TableVersion> {
    const entry = this.byOid.get(unsignedOid(oid));
    if (!entry) throw new Error(`relation ${unsignedOid(oid)} was never described`);
    return this.build(entry.relation);
  }

  private async build(relation: Pgoutput.MessageRelation): Promise<TableVersion> {
    try {
      return await this.describe(relation);
    } catch (err) {
      throw this.mapError(err);
    }
  }

  private async describe(relation: Pgoutput.MessageRelation): Promise<TableVersion> {
    const oid = unsignedOid(relation.relationOid);
    const id = { namespace: relation.schema, name: relation.name };
    let info: PgTableInfo | null = null;
    try {
      info = await introspectTable(this.db, id);
    } catch (err) {
      if (!(err instanceof TableNotFoundError)) throw err;
    }
    let describedFrom: TableVersion['describedFrom'] = 'catalog';
    if (!info || info.oid !== oid || !sameColumns(info, relation)) {
      this.log.warn(
        { table: tableIdText(id), relationColumns: relation.columns.map((c) => c.name), catalogColumns: info?.columns.map((c) => c.name) ?? null },
        'the catalog has changed since this point of the WAL: the table is described from the Relation message',
      );
      // describeRelation took today's facts by this oid only (a table created again under the name has other ones).
      info = withEarlierFacts(await describeRelation(this.db, relation), info?.oid === oid ? info : null, this.byOid.get(oid)?.info);
      describedFrom = 'relation-message';
    }
    const mapped = mapTable(info);
    mapped.schema.key = keyAtThisPoint(mapped.schema.key, mapped.columns, relation);
    const shape = tableShapeText(mapped.schema);
    const previous = this.byOid.get(oid);
    const tableKey = tableIdText(id);
    const sameAsBefore = previous?.shape === shape ? previous.version.schema : this.byTable.get(tableKey)?.shape === shape ? this.byTable.get(tableKey)!.schema : null;
    const schema = sameAsBefore ?? mapped.schema;
    const partitionColumns = info.partitionColumns;
    const moveIdentity = partitionColumns ? schema.key.filter((k) => !partitionColumns.includes(k)) : null;
    const version: TableVersion =
      previous && previous.version.schema === schema && previous.version.replicaIdentity === relation.replicaIdentity
        && JSON.stringify(previous.version.moveIdentity) === JSON.stringify(moveIdentity)
        ? previous.version
        : { oid, schema, columns: mapped.columns, decode: compileRowDecoder(mapped.columns), replicaIdentity: relation.replicaIdentity, describedFrom, moveIdentity };
    this.byOid.set(oid, { version, relation, shape, info });
    this.byTable.set(tableKey, { schema, shape });
    if (!sameAsBefore) this.log.debug({ table: tableKey, columns: schema.columns.map((c) => c.name), key: schema.key, describedFrom }, 'table version');
    return version;
  }
}

/**
 * A column today's catalog no longer has as the Relation message describes it (dropped or retyped since) keeps what
 * the version described before in this session said of it (NOT NULL, default, …): an earlier point of the same WAL,
 * where the column matched by name, type and modifier. Without it, a stream lagging behind a DDL that changed no
 * column (CREATE INDEX, GRANT) and a later DROP COLUMN would publish a new schema with the column nullable.
 */
function withEarlierFacts(described: PgTableInfo, catalog: PgTableInfo | null, earlier: PgTableInfo | undefined): PgTableInfo {
  if (!earlier) return described;
  const same = (a: PgColumnInfo, b: PgColumnInfo): boolean => a.name === b.name && a.type.oid === b.type.oid && a.typmod === b.typmod;
  const columns = described.columns.map((column) => {
    if (catalog?.columns.some((c) => same(c, column))) return column;
    const before = earlier.columns.find((c) => same(c, column));
    if (!before) return column;
    // The column's own facts as they were; where and of which type it is as described now (enum labels only grow).
    const { name, attnum, type, typmod, published, sourceType } = column;
    return { ...before, name, attnum, type, typmod, published, sourceType };
  });
  return { ...described, columns };
}

/** The Relation message lists the catalog's published columns (published-columns.ts), by name, type and modifier, in order. */
function sameColumns(info: PgTableInfo, relation: Pgoutput.MessageRelation): boolean {
  const published = info.columns.filter((c) => c.published);
  if (published.length !== relation.columns.length) return false;
  return relation.columns.every((r, i) => {
    const c = published[i]!;
    return c.name === r.name && c.type.oid === unsignedOid(r.typeOid) && c.typmod === r.typeMod;
  });
}

/**
 * The key as of the WAL being decoded. Under REPLICA IDENTITY DEFAULT or INDEX the Relation message flags
 * exactly the key columns of that moment (in column order): the catalog's key (in key order) is kept when
 * it names the same columns, else the flags win. Under FULL (every column flagged) or NOTHING the
 * catalog's primary key stands when the shape still has its columns.
 */
function keyAtThisPoint(catalogKey: string[], columns: readonly PgMappedColumn[], relation: Pgoutput.MessageRelation): string[] {
  const identity = relation.replicaIdentity;
  if (identity === 'default' || identity === 'index') {
    const flagged = relation.keyColumns;
    const same = flagged.length === catalogKey.length && flagged.every((k) => catalogKey.includes(k));
    return same ? catalogKey : [...flagged];
  }
  const names = new Set(columns.map((c) => c.name));
  return catalogKey.every((k) => names.has(k)) ? catalogKey : [];
}
