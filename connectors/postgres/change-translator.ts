import { EncodingError, LogtapError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { ChangeEvent, Operation, Row, SourceFields, SourcePosition } from '../../src/model/change-event.js';
import type { HeartbeatInfo, SourceHandler } from '../../src/source/source-connector.js';
import type { SchemaChange } from '../../src/schema-changes/schema-change.js';
import { tableIdText } from '../../src/model/table-schema.js';
import { PgValueDecodeError } from './decode-error.js';
import { type Lsn, formatLsn, maxLsn, parseLsn } from './lsn.js';
import { pgSourceFields } from './source-fields.js';
import { parseOutboxContent } from './outbox-message.js';
import { WATERMARK_PREFIX, parseWatermarkContent } from './watermark-message.js';
import { completePosition, partialPositions, toSourcePosition } from './pg-position.js';
import type { RawPgoutputMessage } from './raw-pgoutput-plugin.js';
import type { RelationCache, TableVersion } from './relation-cache.js';
import type { ResumeFilter } from './resume-filter.js';
import { type AfterTuple, afterTuple, beforeImage, unchangedToastError } from './row-images.js';
import type { RawTuple } from './text-decoder.js';
import type { UnchangedToastReader } from './unchanged-toast.js';
import type { UnchangedToastPolicy } from '../../src/source/source-connector.js';
import { asMove, isPartitionMove } from './partition-move.js';
import type { ClockProbe } from './source-clock.js';
import { CommitTimeBound } from './commit-time-bound.js';

interface OpenTransaction {
  /** Start of the commit record (pgoutput's Begin final_lsn): names the transaction in positions. */
  commitLsn: Lsn;
  txId: string;
  commitTimeMicros: bigint;
  /** Changes (and outbox messages) seen so far, skipped ones included. */
  changes: number;
  /** A change or logical decoding message came in this transaction (PostgreSQL 14 also sends empty ones). */
  hasContent: boolean;
  /** Leading changes already published before the resume position (Infinity: the whole transaction). */
  skip: number;
  positionOf: (changes: number) => SourcePosition;
}

export interface TranslatorOptions {
  relations: RelationCache;
  handler: SourceHandler;
  resume: ResumeFilter;
  /** The slot's confirmed position where the stream starts: heartbeats below it say nothing new. */
  startLsn: Lsn;
  /** Logical messages with this prefix are outbox messages; undefined: outbox off, every message ignored. */
  outboxPrefix: string | undefined;
  /**
   * A catalog poll for DDL without a following change (table-shapes.ts), run at keepalives outside transactions,
   * at most every `everyMs`; absent: schema changes are told only with Relation messages.
   */
  shapes?: { poll(): Promise<SchemaChange[]>; everyMs: number };
  /** An update without an unchanged TOASTed value: read it back (through `reader`) or stop. */
  unchangedToast: UnchangedToastPolicy;
  reader: UnchangedToastReader;
  /**
   * The server's clock with the transactions running after it and the WAL insert position (source-clock.ts), read at
   * keepalives at most every `everyMs`: what bounds the commit times still to come (commit-time-bound.ts), watermarks.
   */
  clock?: { probe(): Promise<ClockProbe>; everyMs: number };
  log: Logger;
}

/**
 * pgoutput messages (in log order) → the SourceHandler's calls: changes with their partial positions,
 * onCommit with the commit's end LSN, heartbeats with a keepalive's WAL position while no transaction is
 * open, skipping what the resume position covers. Each handler call is awaited before the next message;
 * a message that waits for nothing (the handler took it at once) is handled without a promise turn: `message`
 * returns a promise only when there is something to wait for.
 */
export class ChangeTranslator {
  private tx: OpenTransaction | null = null;
  /** The furthest complete position handed over: heartbeats only ever move forward from it. */
  private lastComplete: Lsn;
  /** The end of the last commit this session decoded: the first half of Debezium's `sequence`. */
  private lastCommitEnd: Lsn | null = null;
  /** What bounds the commit times still to come (watermarks). */
  private readonly commitTimeBound = new CommitTimeBound();
  private probedAt = 0;
  /** `lastComplete` was handed over in this session (not merely the start point, which may precede a partial resume). */
  private completeHandedOver = false;
  private warnedNoOutbox = false;
  private polledAt = Date.now();
  /**
   * A delete of a partitioned table, held until the next change is handed over: PostgreSQL decodes an UPDATE
   * that moves a row to another partition as a delete from the old partition and an insert into the new one,
   * both under the root (publish_via_partition_root). The insert that is the very next change (index + 1), of
   * the same root, with the same key columns outside the partition keys (moveIdentity), makes one update with
   * it (partition-move.ts).
   */
  private held: { event: ChangeEvent; index: number; version: TableVersion } | null = null;

  constructor(private readonly options: TranslatorOptions) {
    this.lastComplete = maxLsn(options.resume.floor ?? 0n, options.startLsn);
  }

  /** `walStart`: the message's WAL position (XLogData), for a change the LSN of its own WAL record. */
  message(msg: RawPgoutputMessage, walStart?: string): Promise<void> | void {
    if (this.tx && CONTENT_TAGS.has(msg.tag)) this.tx.hasContent = true;
    switch (msg.tag) {
      case 'begin':
        return this.begin(msg.commitLsn, msg.xid, msg.commitTime);
      case 'relation':
        return this.relation(msg);
      case 'insert': {
        const tx = this.change();
        if (!tx) return;
        const version = this.options.relations.get(msg.relation.relationOid);
        return this.emitRow(tx, version, 'c', afterTuple(version, msg.new, null), () => undefined, this.sourceFields(walStart));
      }
      case 'update': {
        const tx = this.change();
        if (!tx) return;
        const version = this.options.relations.get(msg.relation.relationOid);
        return this.emitRow(tx, version, 'u', afterTuple(version, msg.new, msg.old), (v) => beforeImage(v, msg.old, msg.key), this.sourceFields(walStart));
      }
      case 'delete': {
        const tx = this.change();
        if (!tx) return;
        const version = this.options.relations.get(msg.relation.relationOid);
        return this.emit(tx, version, 'd', (v) => withBefore(beforeImage(v, msg.old, msg.key), undefined), this.sourceFields(walStart));
      }
      case 'truncate':
        return this.truncate(msg.relations, walStart);
      case 'message':
        return this.logicalMessage(msg.prefix, msg.transactional, msg.messageLsn, msg.content);
      case 'commit':
        return this.commit(msg.commitLsn, msg.commitEndLsn);
      case 'type':
      case 'origin':
        return;
      default:
        throw new Error(`unexpected pgoutput message ${JSON.stringify((msg as { tag?: unknown }).tag)}`);
    }
  }

  private async relation(msg: Extract<RawPgoutputMessage, { tag: 'relation' }>): Promise<void> {
    // Also between the two halves of a partition move: pgoutput describes the root again for the first
    // change of each partition in a session.
    const { change } = await this.options.relations.onRelation(msg);
    // Before the table's first change in its new shape: a resync starts at this point of the stream.
    if (change) await this.options.reader.inOrder(async () => this.options.handler.onSchemaChange?.(change));
  }

  private async truncate(relations: Extract<RawPgoutputMessage, { tag: 'truncate' }>['relations'], walStart: string | undefined): Promise<void> {
    for (const relation of relations) {
      const tx = this.change();
      if (!tx) continue;
      // The parser looks relations up by oid; one it never saw would be undefined.
      if (!relation) throw new Error('pgoutput sent a Truncate of a relation before its Relation message');
      await this.emit(tx, this.options.relations.get(relation.relationOid), 't', () => ({}), this.sourceFields(walStart));
    }
  }

  /** A keepalive: with no transaction open, every commit below `walEnd` has been handed over. */
  keepalive(walEnd: Lsn): Promise<void> | void {
    if (this.tx) return;
    // Live, the walsender sends a keepalive after nearly every transaction: without a poll or probe due, no promise turn.
    if (this.shapesDue() || this.probeDue()) return this.keepaliveWaiting(walEnd);
    return this.heartbeat(walEnd, this.clockTime(walEnd));
  }

  private async keepaliveWaiting(walEnd: Lsn): Promise<void> {
    await this.pollShapes();
    const info = await this.sourceClock(walEnd);
    await this.heartbeat(walEnd, info);
  }

  private heartbeat(walEnd: Lsn, info: HeartbeatInfo | undefined): Promise<void> | void {
    if (walEnd <= this.lastComplete) {
      // Nothing new in the log, but the source's clock moved on (an idle source's watermark).
      if (info && this.completeHandedOver) return this.options.handler.onHeartbeat(toSourcePosition(completePosition(this.lastComplete)), info);
      return;
    }
    this.lastComplete = walEnd;
    this.completeHandedOver = true;
    return this.options.handler.onHeartbeat(toSourcePosition(completePosition(walEnd)), info);
  }

  /**
   * The source time a keepalive at `walEnd` may report: the bound's probe time once the stream has passed where it
   * holds (commit-time-bound.ts), then a new probe when due.
   */
  private async sourceClock(walEnd: Lsn): Promise<HeartbeatInfo | undefined> {
    const clock = this.options.clock;
    if (!clock) return undefined;
    const info = this.clockTime(walEnd);
    if (this.probeDue()) {
      this.probedAt = Date.now();
      this.commitTimeBound.add(await clock.probe());
    }
    return info;
  }

  private clockTime(walEnd: Lsn): HeartbeatInfo | undefined {
    if (!this.options.clock) return undefined;
    const time = this.commitTimeBound.take(maxLsn(walEnd, this.lastComplete));
    return time === undefined ? undefined : { sourceTimeMicros: time };
  }

  private probeDue(): boolean {
    const clock = this.options.clock;
    return clock !== undefined && this.commitTimeBound.wantsProbe && Date.now() - this.probedAt >= clock.everyMs;
  }

  private shapesDue(): boolean {
    const shapes = this.options.shapes;
    return shapes !== undefined && Date.now() - this.polledAt >= shapes.everyMs;
  }

  /** A DDL followed by no change of its table sends no Relation message: the catalog says it (at this point of the stream or later). */
  private async pollShapes(): Promise<void> {
    const shapes = this.options.shapes;
    if (!shapes || !this.shapesDue()) return;
    this.polledAt = Date.now();
    for (const change of await shapes.poll()) await this.options.handler.onSchemaChange?.(change);
  }

  private begin(commitLsn: Lsn, xid: number, commitTimeMicros: bigint): void {
    if (this.tx) throw new Error(`pgoutput sent Begin of commit ${formatLsn(commitLsn)} inside the transaction of commit ${formatLsn(this.tx.commitLsn)}`);
    const skip = this.options.resume.changesToSkip(commitLsn);
    this.tx = { commitLsn, txId: String(xid >>> 0), commitTimeMicros: BigInt(commitTimeMicros), changes: 0, hasContent: false, skip, positionOf: partialPositions(commitLsn) };
    if (skip > 0) this.options.log.debug({ commit: formatLsn(commitLsn), skip: skip === Infinity ? 'all' : skip }, 'skipping what the resume position covers');
  }

  private sourceFields(walStart: string | undefined): SourceFields {
    return pgSourceFields(walStart === undefined ? null : parseLsn(walStart), this.lastCommitEnd);
  }

  /** Counts one change of the open transaction; null when the resume position covers it. */
  private change(): OpenTransaction | null {
    const tx = this.tx;
    if (!tx) throw new Error('pgoutput sent a change outside a transaction');
    tx.changes += 1;
    return tx.changes > tx.skip ? tx : null;
  }

  /**
   * An insert or update. A row lacking unchanged TOASTed values is completed by reading them back from the
   * table (held in order with the rest of its transaction), or stops the stream under `toast.unchanged: fail`.
   */
  private emitRow(
    tx: OpenTransaction, version: TableVersion, op: 'c' | 'u', after: AfterTuple, before: (version: TableVersion) => Row | undefined, at: SourceFields,
  ): Promise<void> | void {
    if (after.missing.length === 0) return this.emit(tx, version, op, rowImages(after.tuple, before), at);
    return this.readBack(tx, version, op, after, before, at);
  }

  private async readBack(
    tx: OpenTransaction, version: TableVersion, op: 'c' | 'u', after: AfterTuple, before: (version: TableVersion) => Row | undefined, at: SourceFields,
  ): Promise<void> {
    const images = (tuple: RawTuple) => rowImages(tuple, before);
    const index = tx.changes;
    const position = tx.positionOf(index);
    if (this.options.unchangedToast === 'fail') throw unchangedToastError(version, after.missing, position.display);
    await this.options.reader.readBack({ version, tuple: after.tuple, columns: after.missing, where: position.display }, async (values) => {
      if (values !== null) return this.deliver(tx, index, position, version, op, images({ ...after.tuple, ...values }), at);
      // The row is gone (deleted or re-keyed later, which the stream delivers after this): no exact row to publish.
      // Of an update that changed the key, the old key's end still is exact: published as its delete.
      const old = before(version);
      if (op === 'u' && old) await this.deliver(tx, index, position, version, 'd', (v) => withBefore(before(v), undefined), at);
    });
  }

  /** A change, handed over in log order (after any read-back held before it). */
  private emit(tx: OpenTransaction, version: TableVersion, op: Operation, images: (version: TableVersion) => { before?: Row; after?: Row }, at: SourceFields): Promise<void> | void {
    const index = tx.changes;
    const position = tx.positionOf(index);
    return this.options.reader.inOrder(() => this.deliver(tx, index, position, version, op, images, at));
  }

  private deliver(
    tx: OpenTransaction,
    index: number,
    position: SourcePosition,
    version: TableVersion,
    op: Operation,
    images: (version: TableVersion) => { before?: Row; after?: Row },
    at: SourceFields,
  ): Promise<void> | void {
    let rows: { before?: Row; after?: Row };
    try {
      rows = images(version);
    } catch (err) {
      if (!(err instanceof PgValueDecodeError)) throw err;
      return this.deliverRefreshed(tx, index, position, version, op, images, at, err);
    }
    return this.handOver(this.changeEvent(tx, position, version, op, rows, at), index, version);
  }

  /** A type may have changed without a new Relation message (a label added to an enum): read the catalog again, once. */
  private async deliverRefreshed(
    tx: OpenTransaction,
    index: number,
    position: SourcePosition,
    version: TableVersion,
    op: Operation,
    images: (version: TableVersion) => { before?: Row; after?: Row },
    at: SourceFields,
    err: PgValueDecodeError,
  ): Promise<void> {
    const where = position.display;
    const refreshed = await this.options.relations.refresh(version.oid);
    if (refreshed === version) throw decodeFailure(version, where, err);
    let rows: { before?: Row; after?: Row };
    try {
      rows = images(refreshed);
    } catch (again) {
      throw again instanceof PgValueDecodeError ? decodeFailure(refreshed, where, again) : again;
    }
    await this.handOver(this.changeEvent(tx, position, refreshed, op, rows, at), index, refreshed);
  }

  private changeEvent(tx: OpenTransaction, position: SourcePosition, version: TableVersion, op: Operation, rows: { before?: Row; after?: Row }, at: SourceFields): ChangeEvent {
    return {
      table: version.schema,
      op,
      ...rows,
      position,
      txId: tx.txId,
      commitTimeMicros: tx.commitTimeMicros,
      snapshot: false,
      sourceFields: at,
    };
  }

  /** Hands a change over in log order, joining a partition move's delete and insert into one update. */
  private handOver(event: ChangeEvent, index: number, version: TableVersion): Promise<void> | void {
    const held = this.held;
    this.held = null;
    if (held && held.index + 1 === index && isPartitionMove(held.event, event, version)) return this.options.handler.onChange(asMove(held.event, event));
    const waiting = held ? this.options.handler.onChange(held.event) : undefined;
    if (waiting) return waiting.then(() => this.holdOrHandOver(event, index, version));
    return this.holdOrHandOver(event, index, version);
  }

  private holdOrHandOver(event: ChangeEvent, index: number, version: TableVersion): Promise<void> | void {
    if (event.op === 'd' && version.moveIdentity !== null) {
      this.held = { event, index, version };
      return;
    }
    return this.options.handler.onChange(event);
  }

  /** A held delete that no insert followed goes out alone, before whatever comes next. */
  private releaseHeld(): Promise<void> | void {
    const held = this.held;
    this.held = null;
    if (held) return this.options.handler.onChange(held.event);
  }

  private async logicalMessage(prefix: string, transactional: boolean, lsnText: string | null, content: Uint8Array): Promise<void> {
    if (prefix === WATERMARK_PREFIX && transactional) return this.watermark(content);
    // Other applications' messages, and every message when this connector's outbox is off, are not ours.
    if (this.options.outboxPrefix === undefined || prefix !== this.options.outboxPrefix) return;
    let position: SourcePosition;
    let tx: OpenTransaction | null = null;
    if (transactional) {
      tx = this.change();
      if (!tx) return;
      position = tx.positionOf(tx.changes);
    } else {
      if (this.tx) throw new Error('pgoutput sent a non-transactional message inside a transaction');
      const lsn = lsnOf(lsnText, 'Message');
      if (this.options.resume.covers(lsn)) return;
      // Decoded after every commit below it and before any later one: covered once lsn + 1 is reached.
      position = toSourcePosition(completePosition(lsn + 1n));
      this.lastComplete = maxLsn(this.lastComplete, lsn + 1n);
    }
    const where = position.display;
    let body: ReturnType<typeof parseOutboxContent>;
    try {
      body = parseOutboxContent(content);
    } catch (err) {
      throw new EncodingError(`cannot publish the ${prefix} message at ${where}: ${(err as Error).message}`, { cause: err });
    }
    const onMessage = this.options.handler.onMessage;
    if (!onMessage) {
      if (!this.warnedNoOutbox) this.options.log.warn({ position: where }, `${prefix} messages are not published: the handler does not take them`);
      this.warnedNoOutbox = true;
      return;
    }
    await this.options.reader.inOrder(async () => {
      await this.releaseHeld();
      await onMessage.call(this.options.handler, {
        ...body,
        position,
        transactional,
        ...(tx ? { txId: tx.txId, commitTimeMicros: tx.commitTimeMicros } : {}),
      });
    });
  }

  /** A backfill watermark (watermark-message.ts): counted like a change, so positions stay the same with or without a backfill. */
  private async watermark(content: Uint8Array): Promise<void> {
    const tx = this.change();
    if (!tx) return;
    const mark = parseWatermarkContent(content);
    if (!mark || !this.options.handler.onWatermark) return;
    const position = tx.positionOf(tx.changes);
    const onWatermark = this.options.handler.onWatermark;
    // In log order: after the changes before it (read-backs and a held partition-move delete included).
    await this.options.reader.inOrder(async () => {
      await this.releaseHeld();
      await onWatermark.call(this.options.handler, { ...mark, position, txId: tx.txId, commitTimeMicros: tx.commitTimeMicros });
    });
  }

  private commit(commitLsn: Lsn, endLsn: Lsn): Promise<void> | void {
    const tx = this.tx;
    if (!tx) throw new Error(`pgoutput sent Commit ${formatLsn(commitLsn)} outside a transaction`);
    if (tx.commitLsn !== commitLsn) throw new Error(`pgoutput sent Commit ${formatLsn(commitLsn)} for the transaction of commit ${formatLsn(tx.commitLsn)}`);
    this.tx = null;
    if (tx.skip === Infinity) return;
    // PostgreSQL 14's pgoutput sends every transaction, also one that wrote no published table (15+ skips those):
    // as on 15, it is no commit; the keepalives that follow report the stream's progress.
    if (!tx.hasContent) return;
    const flushed = this.options.reader.flush();
    if (flushed) return flushed.then(() => this.releaseHeld()).then(() => this.commitNow(tx, endLsn));
    const released = this.releaseHeld();
    if (released) return released.then(() => this.commitNow(tx, endLsn));
    return this.commitNow(tx, endLsn);
  }

  private commitNow(tx: OpenTransaction, endLsn: Lsn): Promise<void> | void {
    this.lastComplete = maxLsn(this.lastComplete, endLsn);
    this.lastCommitEnd = endLsn;
    this.completeHandedOver = true;
    return this.options.handler.onCommit(toSourcePosition(completePosition(endLsn)), { commitTimeMicros: tx.commitTimeMicros, txId: tx.txId });
  }
}

const CONTENT_TAGS: ReadonlySet<string> = new Set(['insert', 'update', 'delete', 'truncate', 'message']);

function rowImages(tuple: RawTuple, before: (version: TableVersion) => Row | undefined): (version: TableVersion) => { before?: Row; after?: Row } {
  return (v) => withBefore(before(v), v.decode(tuple));
}

function withBefore(before: Row | undefined, after: Row | undefined): { before?: Row; after?: Row } {
  return { ...(before ? { before } : {}), ...(after ? { after } : {}) };
}

function lsnOf(text: string | null, message: string): Lsn {
  if (text === null) throw new Error(`pgoutput sent a ${message} message without an LSN`);
  return parseLsn(text);
}

function decodeFailure(version: TableVersion, where: string, err: PgValueDecodeError): LogtapError {
  return new EncodingError(`cannot decode a change of ${tableIdText(version.schema.id)} at ${where}: ${err.message}`, { cause: err });
}
