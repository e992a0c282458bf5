import type { TableId } from '../../src/model/table-schema.js';
import type { SchemaChange } from '../../src/schema-changes/schema-change.js';
import type { PgQueryable } from './introspect-columns.js';
import { type PublishedShape, type RelationColumnShape, highestAttnum, pgSchemaChange, readColumnFacts, sameShape } from './row-rewrite.js';

/**
 * The last known published shape of each captured table (by relation oid), to tell what a DDL did to its rows
 * (row-rewrite.ts): seeded from the catalog when the stream starts, moved by every Relation message, and by a
 * light catalog poll — PostgreSQL sends a Relation message only before the table's next change, so a rewriting
 * DDL followed by no change would otherwise go unnoticed.
 */
export class TableShapes {
  private readonly known = new Map<number, PublishedShape>();

  constructor(
    private readonly db: PgQueryable,
    /** The catalog's published shapes now (readPublishedShapes for the connector's publication). */
    private readonly readCatalog: () => Promise<Map<number, PublishedShape>>,
  ) {}

  async start(): Promise<void> {
    for (const [oid, shape] of await this.readCatalog()) this.known.set(oid, shape);
  }

  /**
   * A Relation message: the change against the last known shape — only when the message matches today's catalog
   * (else the catalog has moved on since this point of the WAL, and its facts describe a later shape). The
   * message's shape becomes the known one either way: it is the truth at this point of the log.
   */
  async relation(oid: number, table: TableId, columns: readonly RelationColumnShape[], matchesCatalog: boolean): Promise<SchemaChange | null> {
    const known = this.known.get(oid);
    if (known && sameShape(known.columns, columns)) return null;
    const facts = await readColumnFacts(this.db, oid);
    this.known.set(oid, { table, columns: [...columns], highestAttnum: highestAttnum(columns, facts) });
    if (!known || !matchesCatalog) return null;
    return pgSchemaChange(table, known.columns, columns, facts, known.highestAttnum);
  }

  /** Compares the catalog with the known shapes: the changes of tables altered since (new tables are only remembered). */
  async poll(): Promise<SchemaChange[]> {
    const changes: SchemaChange[] = [];
    for (const [oid, now] of await this.readCatalog()) {
      const known = this.known.get(oid);
      this.known.set(oid, now);
      if (!known || sameShape(known.columns, now.columns)) continue;
      changes.push(pgSchemaChange(now.table, known.columns, now.columns, await readColumnFacts(this.db, oid), known.highestAttnum));
    }
    return changes;
  }
}
