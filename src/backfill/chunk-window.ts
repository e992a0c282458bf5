import type { ChangeEvent, Row } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';
import { keyText } from './key-text.js';

/**
 * One DBLog window (Netflix's DBLog, Debezium's incremental snapshot): the chunk was read between a low and a
 * high watermark written to the signal table. Changes of the chunk's table that the stream carries between the
 * two watermarks may be newer or older than the read: their keys are dropped from the chunk, since the stream
 * publishes them in order anyway. What is left is published at the high watermark, so no key ever goes back
 * to an older version in the topic.
 */
export class ChunkWindow {
  private opened = false;
  private truncated = false;
  private readonly changed = new Set<string>();
  private chunk: { rows: Row[]; upTo: string[] | null } | null = null;

  constructor(readonly id: string, readonly schema: TableSchema) {}

  get openId(): string {
    return `${this.id}-open`;
  }

  get closeId(): string {
    return `${this.id}-close`;
  }

  get upTo(): string[] | null {
    return this.chunk?.upTo ?? null;
  }

  /** The low watermark went by in the stream: from here on changes of the table count. */
  open(): void {
    this.opened = true;
  }

  get isOpen(): boolean {
    return this.opened;
  }

  /** The chunk as read, after the low watermark was committed and before the high one. */
  setChunk(rows: Row[], upTo: string[] | null): void {
    this.chunk = { rows, upTo };
  }

  /** A streamed change, in log order. */
  observe(event: ChangeEvent): void {
    if (!this.opened || event.table.id.namespace !== this.schema.id.namespace || event.table.id.name !== this.schema.id.name) return;
    if (event.op === 't') {
      this.truncated = true;
      return;
    }
    const key = this.schema.key;
    if (event.before) this.changed.add(keyText(event.before, key));
    if (event.after) this.changed.add(keyText(event.after, key));
  }

  /** At the high watermark: the chunk's rows whose keys did not change inside the window. */
  publishable(): Row[] {
    if (!this.chunk) throw new Error(`window ${this.id} closed before its chunk was read`);
    if (this.truncated) return [];
    if (this.changed.size === 0) return this.chunk.rows;
    const key = this.schema.key;
    return this.chunk.rows.filter((row) => !this.changed.has(keyText(row, key)));
  }

  /** Keys seen changing inside the window (for logs). */
  get changedKeys(): number {
    return this.changed.size;
  }
}
