import type { ChangeEvent, Row } from '../../src/model/change-event.js';
import type { Logger } from '../../src/logger.js';
import type { CommitInfo, SourceHandler } from '../../src/source/source-connector.js';
import type { BinlogCursor } from './binlog-cursor.js';
import type { BinlogItem } from './binlog-reader.js';
import { binlogSourceFields } from './source-fields.js';

/**
 * Row changes the source made without logging them, derived from a logged one (foreign-key cascades:
 * foreign-key-cascades.ts). A null object when there is nothing to derive.
 */
export interface DerivedChanges {
  /** What the source changed along with `event` (at its position), in order; follows `event` itself. */
  derive(event: ChangeEvent, foreignKeyChecks: boolean): ChangeEvent[] | Promise<ChangeEvent[]>;
  /** A truncate was handed over. */
  truncated(event: ChangeEvent): void;
  /** A DDL statement of a captured table was read (may reject to restart the stream). */
  schemaChanged(): Promise<void>;
}

const NONE: ChangeEvent[] = [];
export const noDerivedChanges: DerivedChanges = { derive: () => NONE, truncated: () => {}, schemaChanged: async () => {} };

/** Transactions that touch no captured table move the position too; reporting every one would flood the core. */
const UNCAPTURED_REPORT_INTERVAL_MS = 1_000;

/** How far the server may have sent a heartbeat before it is read here (and the clocks may differ). */
const HEARTBEAT_MARGIN_MS = 1_000;

/**
 * A binlog heartbeat carries no time: this machine's clock, less a margin, rounded down to the second (binlog times are
 * whole seconds), bounds the time of every transaction the server writes after it — with the clocks in sync (NTP).
 */
function idleSourceTimeMicros(): bigint {
  return BigInt(Math.floor((Date.now() - HEARTBEAT_MARGIN_MS) / 1000)) * 1_000_000n;
}

/**
 * Hands the binlog items to the core's handler in binlog order, awaiting each call that returns a promise (one the
 * handler took at once costs no promise turn): a change event per row (its
 * position partial: transaction + count), `onCommit` after a transaction with captured changes, `onHeartbeat` when
 * the server idles, at a rotate, and (at most once a second) after transactions without captured changes — never
 * inside a transaction, nor before a partial start position has been passed. Returns when `next` runs dry or
 * `signal` aborts (then without another handler call).
 */
export async function emitChanges(next: () => BinlogItem | undefined | Promise<BinlogItem | undefined>, cursor: BinlogCursor, handler: SourceHandler, log: Logger, signal: AbortSignal, derived: DerivedChanges = noDerivedChanges): Promise<void> {
  let lastUncapturedReport = 0;

  const endGroup = (endOffset: number, timestampMs: number): Promise<void> | void => {
    const touched = cursor.transactionTouched;
    const txId = cursor.transactionId;
    const position = cursor.commit(endOffset);
    if (touched) {
      // Binlog order is commit order, and binlog times only grow with it.
      const info: CommitInfo = { commitTimeMicros: BigInt(timestampMs) * 1000n, boundsLaterCommits: true };
      return handler.onCommit(position, txId === undefined ? info : { ...info, txId });
    } else if (!cursor.resuming && Date.now() - lastUncapturedReport >= UNCAPTURED_REPORT_INTERVAL_MS) {
      lastUncapturedReport = Date.now();
      // Binlog times only grow: every later transaction commits at or after this one's time.
      return handler.onHeartbeat(position, { sourceTimeMicros: BigInt(timestampMs) * 1000n });
    }
  };

  // A start without a checkpoint begins at the binlog's current end, which no server state remembers:
  // hand that position over at once so the pipeline checkpoints it before anything can be lost.
  if (!cursor.resuming) await handler.onHeartbeat(cursor.complete());

  for (;;) {
    // The reader hands over a queued item synchronously: no promise turn per item while the queue is not empty.
    const pending = next();
    const item = pending instanceof Promise ? await pending : pending;
    if (!item || signal.aborted) return;
    switch (item.kind) {
      case 'begin':
        if (cursor.inTransaction) {
          log.warn({ transaction: cursor.transactionId }, 'binlog transaction ended without a commit marker');
          await endGroup(0, Date.now());
        }
        cursor.begin(item.gtid, item.standalone);
        if (cursor.lastResumeMismatch) {
          log.warn({ reason: cursor.lastResumeMismatch }, 'start position not matched: nothing skipped');
          cursor.lastResumeMismatch = undefined;
        }
        break;
      case 'begin-statement':
        cursor.beginStatement();
        break;
      case 'rows': {
        const { decode, schema: table } = item.version;
        const commitTimeMicros = BigInt(item.timestampMs) * 1000n;
        const { file } = cursor.coordinates;
        for (let index = 0; index < item.rows.length; index++) {
          const row = item.rows[index];
          if (signal.aborted) return;
          // Rows published before a partial start position are skipped undecoded.
          const position = cursor.nextChange();
          if (!position) continue;
          const txId = cursor.transactionId;
          let event: ChangeEvent;
          if (item.op === 'u') {
            const { before, after } = row as { before: Row; after: Row };
            event = { table, op: 'u', before: decode(before), after: decode(after), commitTimeMicros, position, snapshot: false };
          } else if (item.op === 'c') {
            event = { table, op: 'c', after: decode(row as Row), commitTimeMicros, position, snapshot: false };
          } else {
            event = { table, op: 'd', before: decode(row as Row), commitTimeMicros, position, snapshot: false };
          }
          if (txId !== undefined) event.txId = txId;
          event.sourceFields = binlogSourceFields(file, item.offset, index, txId);
          const deriving = derived.derive(event, item.foreignKeyChecks !== false);
          const extra = deriving instanceof Promise ? await deriving : deriving;
          if (extra.length === 0) {
            const taking = handler.onChange(event);
            if (taking) await taking;
            continue;
          }
          // The cascade happened with its row, atomically: one group at the row's position, no checkpoint inside,
          // handed over whole even when the stream is stopping.
          event.continuesGroup = true;
          await handler.onChange(event);
          for (let i = 0; i < extra.length; i++) {
            if (i < extra.length - 1) extra[i]!.continuesGroup = true;
            await handler.onChange(extra[i]!);
          }
        }
        break;
      }
      case 'truncate': {
        if (!cursor.inTransaction) cursor.begin(undefined, true);
        if (signal.aborted) return;
        const position = cursor.nextChange();
        if (!position) break;
        const txId = cursor.transactionId;
        const event: ChangeEvent = { table: item.schema, op: 't', commitTimeMicros: BigInt(item.timestampMs) * 1000n, position, snapshot: false };
        if (txId !== undefined) event.txId = txId;
        derived.truncated(event);
        await handler.onChange(event);
        break;
      }
      case 'schema-change':
        if (!cursor.resuming) await handler.onSchemaChange?.(item.change);
        break;
      case 'statement':
        if (!cursor.inTransaction) cursor.begin(undefined, true);
        if (item.ddl) await derived.schemaChanged();
        if (cursor.transactionStandalone) await endGroup(item.endOffset, item.timestampMs);
        break;
      case 'commit': {
        const ending = cursor.inTransaction ? endGroup(item.endOffset, item.timestampMs) : undefined;
        if (ending) await ending;
        break;
      }
      case 'rotate':
        if (cursor.inTransaction) break;
        cursor.rotate(item.file, item.offset);
        if (!item.artificial && !cursor.resuming) await handler.onHeartbeat(cursor.complete());
        break;
      case 'heartbeat':
        if (cursor.inTransaction) break;
        cursor.advance(item.file, item.offset);
        if (!cursor.resuming) await handler.onHeartbeat(cursor.complete(), { sourceTimeMicros: idleSourceTimeMicros() });
        break;
    }
  }
}
