import type { Row, SourcePosition } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';

/**
 * The snapshot half of a connector (Debezium's two phases: snapshot, then streaming from the position the
 * snapshot returned). The core (src/snapshot/) drives it through the same pipeline as the stream, so
 * snapshot rows are batched, published in Kafka transactions and checkpointed per chunk.
 *
 * Positions stay opaque: the connector encodes the snapshot's progress (its stream start point, the table
 * and the last key of the last completed chunk) in its own position tokens.
 */
export interface SnapshotSource {
  /** Whether `position` was taken inside a snapshot (some of its chunks are not published yet). */
  isSnapshotPosition(position: SourcePosition): boolean;
  /**
   * Opens the snapshot `request.from` asks for: null (first start) → a new snapshot with the stream start
   * point matching it; a snapshot position → the chunks after it; a stream position → a new snapshot whose
   * stream continues from that position (`snapshot.mode: always`).
   */
  open(request: SnapshotRequest): Promise<SourceSnapshot>;
}

export interface SnapshotRequest {
  from: SourcePosition | null;
  /** Chunks read at once, at most. */
  parallelism: number;
  /** Rows per chunk (a chunk is a primary-key range), at most. */
  chunkRows: number;
  signal: AbortSignal;
}

/** One snapshot run: its chunks in publication order and where streaming continues after them. */
export interface SourceSnapshot {
  /** Where this run starts (checkpointed before its first chunk). */
  readonly start: SourcePosition;
  /** Where streaming continues once every chunk is published. */
  readonly streamFrom: SourcePosition;
  /** Chunks that may be read at once (≤ the request's; 1 where the database cannot share a snapshot). */
  readonly parallelism: number;
  /** What the database guarantees about this run's reads, for the log (e.g. `exported snapshot at 0/1A2B3C4`). */
  readonly consistency: string;
  /**
   * The tables this run reads, in order, when the connector knows them up front (the very objects its chunks
   * carry): the pipeline then creates their topics and publishes their schemas in batches before the first chunk,
   * instead of one table at a time (a database of thousands of tables). The snapshot driver takes them out of this
   * list as it prepares them: once a table is read, nothing keeps its objects (nor what was prepared for them).
   */
  readonly tables?: TableSchema[];
  /** The next chunk in publication order, planned lazily; null after the last. */
  nextChunk(): Promise<SnapshotChunk | null>;
  /** Releases every connection; a chunk being read stops. */
  close(): Promise<void>;
}

/** The rows of one key range of one table; a table without a key is read as one chunk. */
export interface SnapshotChunk {
  table: TableSchema;
  /** For logs, e.g. `public.orders (42, 1042]`. */
  display: string;
  /** The position once this chunk's rows (and every earlier chunk's) are published. */
  done: SourcePosition;
  /** The rows in key order, in pages of bounded size, as canonical values. Waits for a free reader connection. */
  pages(signal: AbortSignal): AsyncIterable<SnapshotPage>;
}

export interface SnapshotPage {
  rows: Row[];
  /** The page's approximate size in bytes (its values' text), for read-ahead limits. */
  bytes: number;
}
