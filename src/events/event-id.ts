import { hash } from 'node:crypto';
import type { ChangeEvent } from '../model/change-event.js';
import { type TableSchema, tableIdText } from '../model/table-schema.js';
import type { KafkaRecord } from './kafka-record.js';

/** The header that carries a record's event id (docs/events.md, Event contract). */
export const EVENT_ID_HEADER = 'logtap.id';

/**
 * Gives each record of a change its event id: unique per record, and the same whenever the same change is published
 * again (a re-delivery after a crash under at-least-once, a stream resumed from a checkpoint):
 *
 * - a streamed change: its position (the connector's, unique per change and stable across re-reads of the log),
 *   plus `.n` for the n-th further change at the same position (MariaDB foreign-key cascades share their row's);
 * - a snapshot or backfill row (they share the position of their read): that position, the table and a digest of
 *   the row's key (a table without a key: of the whole row);
 * - then the record's role in its change: its operation, `~` for a tombstone, `@p` for a marker written to
 *   partition p — distinct for the tombstone and the new row of a key change, or a delete event and its tombstone.
 *
 * Changes reach the encoder in log order, one at a time; a group sharing a position is never cut by a checkpoint,
 * so a resumed stream counts `.n` from the group's start again.
 */
export class EventIds {
  private lastToken: string | undefined;
  private atSameToken = 0;

  assign(event: ChangeEvent, records: KafkaRecord[]): void {
    assignEventIds(event, records, event.snapshot ? rowReadBase(event, records) : this.changeBase(event));
  }

  /**
   * The id base of a streamed change, counting the changes at the same position: called once per streamed change,
   * in log order (an encoding worker gets it with the change; a snapshot row's base needs no order: rowReadBase).
   */
  changeBase(event: ChangeEvent): string {
    const token = event.position.token;
    if (token === this.lastToken) this.atSameToken++;
    else {
      this.lastToken = token;
      this.atSameToken = 0;
    }
    return this.atSameToken === 0 ? token : `${token}.${this.atSameToken}`;
  }
}

/** Sets the event id of each record of a change from the change's id base. */
export function assignEventIds(event: ChangeEvent, records: KafkaRecord[], base: string): void {
  for (const record of records) {
    const role = `${record.headers['logtap.op'] ?? event.op}${record.value === null ? '~' : ''}${record.partition !== undefined ? `@${record.partition}` : ''}`;
    // Truncate markers share one headers object across partitions.
    if (record.partition !== undefined) record.headers = { ...record.headers };
    record.headers[EVENT_ID_HEADER] = `${base}/${role}`;
  }
}

/** A table's name as it appears in row ids, and the bytes its key digest starts with (`<table>\0`). */
const rowIdTables = new WeakMap<TableSchema, { text: string; prefix: Buffer }>();

/** The id base of a snapshot or backfill row: its read's position, its table and a digest of its key (or whole row). */
export function rowReadBase(event: ChangeEvent, records: KafkaRecord[]): string {
  const identity = records.find((r) => r.key !== null)?.key ?? records.find((r) => r.value !== null)?.value;
  let table = rowIdTables.get(event.table);
  if (!table) {
    const text = tableIdText(event.table.id);
    rowIdTables.set(event.table, (table = { text, prefix: Buffer.from(`${text}\0`) }));
  }
  if (!identity) return `${event.position.token}/${table.text}`;
  // The key as encoded (with its schema's id): the same row read again under the same key schema gets the same id.
  // SHA-256 of `<table>\0<identity>` in one call (a Hash object per row was 2% of a snapshot's CPU).
  const digest = hash('sha256', Buffer.concat([table.prefix, identity], table.prefix.length + identity.length), 'base64url').slice(0, 22);
  return `${event.position.token}/${table.text}/${digest}`;
}
