import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChangeEvent, Row } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';
import type { KafkaRecord } from '../events/kafka-record.js';
import type { PreparedTable } from '../events/table-records.js';
import { EncodingError } from '../errors.js';
import type { Logger } from '../logger.js';
import { type FromWorker, type ToWorker, WireChanges, unpackRecords } from './encode-protocol.js';

/** What the pool needs of the EventEncoder (the main thread prepares every table version: schemas, registry ids). */
export interface PreparedTables {
  preparedTable(table: TableSchema): PreparedTable | undefined;
  changeIdBase(event: ChangeEvent): string;
}

export interface EncodePoolOptions {
  /** Worker threads (config `workers`, ≥ 1). */
  workers: number;
  encoder: PreparedTables;
  log: Logger;
  /** Changes per message to a worker: the cost of a message is shared by this many (default 256). */
  batchChanges?: number;
  /** A message is sent once its changes hold this many bytes (estimated), whatever their count (default 1 MiB). */
  batchBytes?: number;
  /** The worker's module (tests); default encode-worker.js beside this file. */
  workerUrl?: URL;
}

/**
 * The default of config `workers`: every core but the one the main thread needs. On a machine of 1 or 2 cores none:
 * there the workers measured no faster (bench:snapshot, bench:pg-stream) and took logtap's RSS above 150 MB.
 */
export const defaultWorkers = (): number => {
  const cores = availableParallelism();
  return cores > 2 ? cores - 1 : 0;
};

/** Changes sent to one worker in one message; settles when its records came back. */
export class EncodingBatch {
  /** Its changes until they are sent (then dropped: the message holds its copy). */
  changes: WireChanges | undefined = new WireChanges();
  /** How many changes it holds. */
  count = 0;
  private results: KafkaRecord[][] | undefined;
  private failedAt = Infinity;
  private error: Error | undefined;
  private settle!: { resolve: () => void; reject: (err: Error) => void };
  readonly done = new Promise<void>((resolve, reject) => { this.settle = { resolve, reject }; });

  constructor(readonly id: number) {
    // Awaited by the pipeline when it flushes; a failure before then must not count as unhandled.
    this.done.catch(() => {});
  }

  resolve(results: KafkaRecord[][], failedAt: number | undefined, error: Error | undefined): void {
    this.results = results;
    if (failedAt !== undefined) {
      this.failedAt = failedAt;
      this.error = error;
    }
    this.settle.resolve();
  }

  reject(error: Error): void {
    this.failedAt = 0;
    this.error = error;
    this.settle.reject(error);
  }

  /** The records of the batch's `index`-th change (after `done`); throws the error of a change that failed, or of one before it. */
  recordsOf(index: number): KafkaRecord[] {
    if (index >= this.failedAt || !this.results) throw this.error ?? new Error('encoding batch read before it settled');
    return this.results[index]!;
  }
}

/** The records of one change, being encoded by a worker: their place among the pipeline's waiting records. */
export class PendingRecords {
  constructor(
    readonly batch: EncodingBatch,
    readonly index: number,
    /** The change's size, estimated from its values (the records are not known yet): batch limits count it. */
    readonly bytes: number,
    private readonly decorate: ((records: KafkaRecord[]) => void) | null,
  ) {}

  /** The records, once `batch.done` resolved; throws the change's encoding failure. */
  records(): KafkaRecord[] {
    const records = this.batch.recordsOf(this.index);
    this.decorate?.(records);
    return records;
  }
}

interface WorkerSlot {
  worker: Worker;
  /** Batches sent and not yet answered, in the order sent (a worker answers in order). */
  outstanding: EncodingBatch[];
}

/**
 * Encodes changes in worker threads (config `workers`) while the main thread keeps order, batching, checkpoints and
 * the Kafka producer. Changes are collected into batches (one message each way per batch, the records' bytes
 * transferred, not copied); each batch goes to the worker with the least outstanding, and every change keeps its
 * place among the waiting records (PendingRecords), so records reach Kafka in source order whatever worker answers
 * first. A worker's failure (exception, exit) fails every batch it held and every later one, with one line.
 */
export class EncodePool {
  private readonly slots: WorkerSlot[] = [];
  private readonly tableIds = new WeakMap<TableSchema, number>();
  /** The id the next table version sent to the workers gets. */
  private nextTableId = 0;
  private open: EncodingBatch | undefined;
  private nextBatch = 0;
  private failure: Error | undefined;
  private closing = false;
  private readonly batchChanges: number;
  private readonly batchBytes: number;
  private openBytes = 0;
  /** Told of the first failure at once (the pipeline stops then, not only at its next flush). */
  onFailure: ((error: Error) => void) | undefined;

  constructor(private readonly options: EncodePoolOptions) {
    this.batchChanges = options.batchChanges ?? 256;
    this.batchBytes = options.batchBytes ?? 1 << 20;
    const entry = workerEntry(options.workerUrl);
    for (let i = 0; i < options.workers; i++) this.slots.push(this.start(i, entry));
  }

  get size(): number {
    return this.slots.length;
  }

  private start(index: number, entry: URL | string): WorkerSlot {
    // A small young generation, as the main thread's (--max-semi-space-size): its garbage is short-lived, and V8's
    // default would add up to tens of MB of RSS per worker. The old generation is not capped: one row may be large.
    const worker = new Worker(entry, { eval: typeof entry === 'string', name: `logtap-encode-${index}`, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
    const slot: WorkerSlot = { worker, outstanding: [] };
    worker.on('message', (message: FromWorker) => {
      const batch = slot.outstanding.shift();
      if (!batch || batch.id !== message.batch) return this.fail(`encoding worker ${index} answered out of order`);
      const error = message.error && (message.error.encoding ? new EncodingError(message.error.message) : new Error(message.error.message));
      batch.resolve(unpackRecords(message, message.failedAt ?? batch.count), message.failedAt, error);
    });
    worker.on('error', (err) => this.fail(`encoding worker ${index} failed: ${err.message}`));
    worker.on('messageerror', (err) => this.fail(`encoding worker ${index} could not read a message: ${err.message}`));
    worker.on('exit', (code) => {
      if (!this.closing) this.fail(`encoding worker ${index} exited (code ${code})`);
    });
    return slot;
  }

  /**
   * Hands `event` to a worker: its records, in their place. Null when its table version is encoded on the main
   * thread (a debezium table: its transaction order and source block span every table).
   */
  submit(event: ChangeEvent, decorate: ((records: KafkaRecord[]) => void) | null): PendingRecords | null {
    const table = this.tableId(event.table);
    if (table === undefined) return null;
    const batch = this.open ??= new EncodingBatch(this.nextBatch++);
    batch.changes!.push(event, table, event.snapshot ? undefined : this.options.encoder.changeIdBase(event));
    batch.count++;
    const bytes = rowBytes(event.after) + rowBytes(event.before);
    this.openBytes += bytes;
    const pending = new PendingRecords(batch, batch.count - 1, bytes, decorate);
    if (batch.count >= this.batchChanges || this.openBytes >= this.batchBytes) this.dispatch();
    return pending;
  }

  /** Sends the batch being filled (the pipeline calls this before it waits for the records). */
  dispatch(): void {
    const batch = this.open;
    if (!batch) return;
    this.open = undefined;
    this.openBytes = 0;
    if (this.failure) return batch.reject(this.failure);
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.outstanding.length < slot.outstanding.length) slot = s;
    slot.outstanding.push(batch);
    this.post(slot, { kind: 'encode', batch: batch.id, changes: batch.changes!.values });
    // The changes are copied into the message: the rows may go now.
    batch.changes = undefined;
  }

  private tableId(table: TableSchema): number | undefined {
    const known = this.tableIds.get(table);
    if (known !== undefined) return known;
    const prepared = this.options.encoder.preparedTable(table);
    if (!prepared) return undefined;
    const id = this.nextTableId++;
    this.tableIds.set(table, id);
    // Messages to a worker arrive in order: the table is known there before its first change.
    for (const slot of this.slots) this.post(slot, { kind: 'prepare', id, table: prepared });
    return id;
  }

  private post(slot: WorkerSlot, message: ToWorker): void {
    try {
      slot.worker.postMessage(message);
    } catch (err) {
      // A value structured clone cannot copy (the connector's canonical values are plain data; this is a bug).
      this.fail(`a change could not be sent to an encoding worker: ${(err as Error).message}`);
    }
  }

  private fail(reason: string): void {
    if (this.failure) return;
    this.failure = new EncodingError(reason);
    this.options.log.error({ err: reason }, 'encoding worker failed');
    for (const slot of this.slots) for (const batch of slot.outstanding.splice(0)) batch.reject(this.failure);
    this.onFailure?.(this.failure);
  }

  /** Stops every worker; batches still outstanding fail. */
  async close(): Promise<void> {
    this.closing = true;
    const stopped = new EncodingError('the encoding workers were stopped');
    for (const slot of this.slots) for (const batch of slot.outstanding.splice(0)) batch.reject(stopped);
    this.open?.reject(stopped);
    this.open = undefined;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/** encode-worker.js beside this module; run from the TypeScript sources (tests), its .ts loaded through tsx. */
function workerEntry(url: URL | undefined): URL | string {
  const js = url ?? new URL('./encode-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return js;
  const ts = js.href.replace(/\.js$/, '.ts');
  // Resolved here: an eval'd worker resolves bare names from the working directory, which may be anywhere.
  // (require resolves the CommonJS build of tsx's ESM API; its ESM build sits beside it.)
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  return `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(ts)}); })`;
}

/** A row's size, estimated: its text and bytes values, 8 for any other value (the row's encoded size is about this). */
function rowBytes(row: Row | undefined): number {
  if (!row) return 0;
  let bytes = 0;
  for (const name in row) {
    const value = row[name];
    bytes += typeof value === 'string' ? value.length : value instanceof Uint8Array ? value.byteLength : 8;
  }
  return bytes;
}
