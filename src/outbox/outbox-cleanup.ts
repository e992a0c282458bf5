import type { Logger } from '../logger.js';
import type { RowDeleter } from '../source/source-connector.js';
import { tableIdText } from '../model/table-schema.js';
import type { CapturedOutboxRow } from './outbox-table.js';

/** Rows per DELETE statement. */
const BATCH_ROWS = 500;

/**
 * deleteAfterCapture: deletes outbox rows once the checkpoint covering them is durable, in the background and in
 * order, in batches by id. The delete events that come back through the log publish nothing (outbox-table.ts).
 * A failed delete (or a crash before it) leaves the rows in the table: they are never published again, since the
 * checkpoint is past them; the log line names the table, and the next deletes go on.
 */
export class OutboxCleanup {
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(private readonly deleter: RowDeleter, private readonly log: Logger, private readonly onDeleted?: (rows: number) => void) {}

  /** Queues the rows of one committed checkpoint. */
  enqueue(rows: readonly CapturedOutboxRow[]): void {
    const groups = new Map<string, { row: CapturedOutboxRow; ids: unknown[] }>();
    for (const row of rows) {
      const key = `${tableIdText(row.table)}\u0000${row.idColumn}`;
      const group = groups.get(key) ?? groups.set(key, { row, ids: [] }).get(key)!;
      group.ids.push(row.id);
    }
    this.pending += rows.length;
    this.queue = this.queue.then(async () => {
      for (const { row, ids } of groups.values()) {
        for (let i = 0; i < ids.length; i += BATCH_ROWS) {
          const batch = ids.slice(i, i + BATCH_ROWS);
          try {
            const deleted = await this.deleter.deleteRows(row.table, row.idColumn, batch);
            this.onDeleted?.(deleted);
          } catch (err) {
            this.log.warn({ table: tableIdText(row.table), rows: batch.length, err: (err as Error).message }, 'published outbox rows could not be deleted (they stay in the table and are not published again)');
          } finally {
            this.pending -= batch.length;
          }
        }
      }
    });
  }

  /** Rows queued and not yet deleted (or failed). */
  get waiting(): number {
    return this.pending;
  }

  /** Waits for the queued deletes, at most `timeoutMs`. */
  async drain(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.queue, new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs); })]);
    clearTimeout(timer);
  }
}
