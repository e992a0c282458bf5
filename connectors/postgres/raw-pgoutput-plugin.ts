import { PgoutputPlugin } from 'pg-logical-replication';
import type { Pgoutput } from 'pg-logical-replication';
import type { RawTuple } from './text-decoder.js';

/**
 * pg-logical-replication's pgoutput parser passes every tuple value through the parser that pg's GLOBAL
 * type registry (`pg.types`) holds for the column's type oid, looked up when the Relation message is read
 * (losing microseconds, parsing json, …). This subclass swaps each column's parser for the identity as soon
 * as its Relation message has been parsed, so tuple values arrive as PostgreSQL's exact text, without
 * touching `pg.types`. The parser keeps and reuses the very Relation object it returns, which is what makes
 * the swap stick; a tuple of a relation whose columns were not swapped is refused (guard against a library
 * change).
 */
export class RawPgoutputPlugin extends PgoutputPlugin {
  private readonly rawRelations = new WeakSet<Pgoutput.MessageRelation>();

  override parse(buffer: Buffer): RawPgoutputMessage {
    const message = super.parse(buffer);
    switch (message.tag) {
      case 'relation':
        for (const column of message.columns) column.parser = rawText;
        this.rawRelations.add(message);
        break;
      case 'insert':
      case 'update':
      case 'delete':
        if (!this.rawRelations.has(message.relation)) {
          throw new Error(`pgoutput tuple for ${message.relation.schema}.${message.relation.name} was parsed with pg's type parsers, not as raw text`);
        }
        break;
      default:
        break;
    }
    return message as RawPgoutputMessage;
  }
}

const rawText = (text: string): string => text;

export type RawMessageInsert = Omit<Pgoutput.MessageInsert, 'new'> & { new: RawTuple };
export type RawMessageUpdate = Omit<Pgoutput.MessageUpdate, 'key' | 'old' | 'new'> & {
  key: RawTuple | null;
  old: RawTuple | null;
  new: RawTuple;
};
export type RawMessageDelete = Omit<Pgoutput.MessageDelete, 'key' | 'old'> & { key: RawTuple | null; old: RawTuple | null };

/** pgoutput messages with tuple values as text (null for NULL, undefined for an unchanged TOAST value). */
export type RawPgoutputMessage =
  | Exclude<Pgoutput.Message, Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete>
  | RawMessageInsert
  | RawMessageUpdate
  | RawMessageDelete;
