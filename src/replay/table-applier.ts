import type { Row } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';
import type { DecodedEntityEvent } from '../events/event-decoder.js';
import { LogtapError } from '../errors.js';
import type { PositionOrder, ReplayStep, ReplayTarget, RowLogChange, SourceKind } from './replay-target.js';
import type { TopicPlan } from './replay-plan.js';
import { TruncateFence } from './truncate-fence.js';

/**
 * Applies one table's decoded events to the target in topic order: changes are gathered into batches (the
 * last change of each key wins within a batch; a truncate closes the changes before it), each batch is one
 * target transaction, and a new table version first brings the target table to that shape. Truncate markers
 * are applied per partition (truncate-fence.ts). One batch is
 * written while the next is gathered; at most one is in flight, so batches reach the target in order.
 *
 * A table without a key is rebuilt from its change log (event-encoder.ts): every change in topic order, a `d`
 * row removing one equal row and any other row adding it. Its topic holds the table's whole history, so the
 * target table is emptied first, in the first batch's transaction: replaying again gives the same table.
 */
export class TableApplier {
  events = 0;
  private current: TableSchema | undefined;
  private readonly key: string[];
  private readonly withKey = new WeakMap<TableSchema, TableSchema>();
  private readonly seenColumns = new Set<string>();
  private pending = new Map<string, { upsert: Row } | { delete: Row }>();
  private readonly keyless: boolean;
  /** A keyless table's changes of the batch, in order. */
  private rowLog: RowLogChange[] = [];
  /** The previous event of a keyless table: an update's new row must follow its old row. */
  private previous: { op: string; position: string } | undefined;
  private steps: ReplayStep[] = [];
  private batched = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly fence: TruncateFence;

  constructor(
    private readonly plan: TopicPlan,
    private readonly target: ReplayTarget,
    private readonly source: SourceKind,
    private readonly batchSize: number,
    private readonly onApplied: (events: number) => void,
    order?: PositionOrder,
  ) {
    this.key = plan.versions[0]!.key;
    this.keyless = this.key.length === 0;
    this.fence = new TruncateFence(order);
  }

  /** The table version the target has now (the last one met, or the oldest known before any row). */
  get table(): TableSchema {
    return this.current ?? this.plan.versions[0]!;
  }

  /**
   * Takes one event, read from `partition` of the topic; `keyBytes` is the record's key as written (the
   * identity of a row within a batch).
   */
  async add(event: DecodedEntityEvent, keyBytes: Buffer | null, partition = 0): Promise<void> {
    const verdict = event.kind === 'truncate' ? this.fence.marker(partition, event.position, event.partitions) : this.fence.row(partition);
    if (verdict === 'skip') {
      // Removed by a truncate whose marker this partition has not reached yet (or a marker already applied).
      this.count();
      if (this.batched >= this.batchSize) await this.flush();
      return;
    }
    if (event.kind === 'row') {
      let version = this.withKey.get(event.table);
      if (!version) {
        version = { ...event.table, key: this.key };
        this.withKey.set(event.table, version);
      }
      // One object per writer schema: another object is another table version (or the first row).
      if (this.current !== version) {
        await this.flush();
        await this.moveTo(version);
      }
      this.count();
      if (this.keyless) this.addToRowLog(event.op, event.row, event.position);
      else if (keyBytes) this.pending.set(keyBytes.toString('latin1'), { upsert: event.row });
      else throw this.keyChanged(event.position);
    } else {
      if (!this.current) await this.moveTo(this.plan.versions[0]!);
      this.count();
      if (event.kind === 'truncate') {
        this.closeChanges();
        this.steps.push({ kind: 'truncate' });
      } else if (event.key && keyBytes) {
        this.pending.set(keyBytes.toString('latin1'), { delete: event.key });
      }
    }
    if (this.batched >= this.batchSize) await this.flush();
  }

  /** A record without a key in a keyed table's topic: the table had no primary key for a while. */
  private keyChanged(position: string): LogtapError {
    return new LogtapError('REPLAY_KEY_CHANGED', `topic ${this.plan.topic}: the record at ${position} has no key, later ones have one (the table got a primary key while logtap published it), so the table cannot be rebuilt from it; publish the table into a new topic (a new topicPrefix, snapshot.mode: initial)`);
  }

  private addToRowLog(op: string, row: Row, position: string): void {
    if (op === 'u' && !(this.previous?.op === 'd' && this.previous.position === position)) {
      throw new LogtapError('REPLAY_NO_OLD_ROW', `topic ${this.plan.topic}: the update at ${position} of a table without a key carries no old row (the topic was written before logtap published them), so the table cannot be rebuilt from it; publish the table into a new topic (a new topicPrefix, snapshot.mode: initial)`);
    }
    this.previous = { op, position };
    this.rowLog.push({ op: op === 'd' ? 'delete' : 'insert', row });
  }

  private count(): void {
    this.events++;
    this.batched++;
  }

  /** Starts writing what was gathered (waiting for the batch before it first). */
  async flush(): Promise<void> {
    this.closeChanges();
    const steps = this.steps;
    const count = this.batched;
    const version = this.current;
    this.steps = [];
    this.batched = 0;
    await this.inFlight;
    if (steps.length === 0 || !version) {
      if (count > 0) this.onApplied(count);
      return;
    }
    this.inFlight = this.target.apply(version, steps).then(() => this.onApplied(count));
    // Reported when awaited (next flush or finish), not as an unhandled rejection meanwhile.
    this.inFlight.catch(() => {});
  }

  /**
   * Writes everything gathered and waits for it; the table exists afterwards even if the topic was empty, and
   * its identity sequences / AUTO_INCREMENT counters continue after its rows.
   */
  async finish(): Promise<void> {
    if (!this.current) await this.moveTo(this.plan.versions[0]!);
    await this.flush();
    await this.inFlight;
    await this.target.finishTable(this.table);
  }

  private async moveTo(version: TableSchema): Promise<void> {
    await this.inFlight;
    const columns = new Set(version.columns.map((c) => c.name));
    // Columns of versions met in this run that this one lacks were dropped at the source.
    const dropped = [...this.seenColumns].filter((c) => !columns.has(c));
    for (const c of columns) this.seenColumns.add(c);
    for (const c of dropped) this.seenColumns.delete(c);
    await this.target.ensureTable(version, dropped, this.source);
    if (this.keyless && !this.current) this.steps.push({ kind: 'truncate' });
    this.current = version;
  }

  private closeChanges(): void {
    if (this.rowLog.length > 0) {
      this.steps.push({ kind: 'row-log', changes: this.rowLog });
      this.rowLog = [];
    }
    if (this.pending.size === 0) return;
    const deletes: Row[] = [];
    const upserts: Row[] = [];
    for (const change of this.pending.values()) {
      if ('upsert' in change) upserts.push(change.upsert);
      else deletes.push(change.delete);
    }
    this.steps.push({ kind: 'changes', deletes, upserts });
    this.pending = new Map();
  }
}
