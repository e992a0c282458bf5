import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { LogtapError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { type Lsn, formatLsn } from './lsn.js';
import { type RawPgoutputMessage, RawPgoutputPlugin, type StreamMessage, withoutXid } from './raw-pgoutput-plugin.js';

/** What a replication session hands its messages to (the translator, or the spool in front of it). */
export interface MessageSink {
  /**
   * `walStart`: the message's WAL position (XLogData), when known. Returns a promise only when it has to wait
   * (the caller awaits it before the next message); nothing when the message was handled at once.
   */
  message(msg: RawPgoutputMessage, walStart?: string): Promise<void> | void;
  keepalive(walEnd: Lsn): Promise<void> | void;
}

/** Spooled bytes kept in memory per transaction before they are written. */
const WRITE_BUFFER_BYTES = 1 << 20;
/** Bytes read from a spill file at a time when its transaction commits. */
const READ_BYTES = 1 << 20;

const RELATION = 0x52;
const TYPE = 0x59;

interface SpooledTransaction {
  xid: number;
  path: string;
  file: FileHandle | null;
  /** Records not written yet: `buffered` bytes at the start of `buffer` (allocated while a block runs). */
  buffer: Buffer | null;
  buffered: number;
  records: number;
  /** Subtransactions rolled back (ROLLBACK TO SAVEPOINT): their records are passed over at commit. */
  aborted: Set<number>;
}

export interface StreamSpoolOptions {
  /** This session's spill directory (spill-dir.ts). */
  dir: string;
  /** The translator: gets every message outside stream blocks, and a streamed transaction whole at its commit. */
  next: MessageSink;
  publicationName: string;
  log: Logger;
}

/**
 * In-progress transactions (pgoutput `streaming 'on'`) spooled to disk until they end. Each change of a stream
 * block is appended, as received, to its transaction's spill file (length-prefixed records, each tagged with
 * its subtransaction's xid), with only a small buffer in memory. Stream Abort deletes the file, or for a
 * subtransaction marks its records to be passed over. Stream Commit feeds the file's records to the
 * translator exactly as a non-streamed transaction with that commit LSN arrives: Begin, the messages in
 * log order (parsed only now, Relation messages applied at their place, as PostgreSQL's own subscriber
 * does), Commit — so positions, the resume filter, TOAST read-back (after the commit), partition moves,
 * truncates and logical messages are those of a normal transaction, and nothing is handed over before
 * the source committed. The files live as long as the session: after a restart the server resends.
 */
export class StreamSpool implements MessageSink {
  private readonly open = new Map<number, SpooledTransaction>();
  private block: SpooledTransaction | null = null;
  /** Parses spooled records at commit; its own relation map, filled by the Relation messages of the stream. */
  private readonly replayParser: RawPgoutputPlugin;

  constructor(private readonly options: StreamSpoolOptions) {
    this.replayParser = new RawPgoutputPlugin({ publicationNames: [options.publicationName], messages: true });
  }

  message(msg: RawPgoutputMessage, walStart?: string): Promise<void> | void {
    switch (msg.tag) {
      case 'stream_start':
        return this.startBlock(msg);
      case 'stream_change': {
        const tx = this.block;
        if (!tx || tx.xid !== msg.xid) throw new Error(`pgoutput sent a streamed change of transaction ${msg.xid} outside its stream block`);
        return this.append(tx, msg.bytes);
      }
      case 'stream_stop':
        return this.stopBlock();
      case 'stream_abort':
        return this.abort(msg.xid, msg.subxid);
      case 'stream_commit':
        return this.commit(msg);
      default:
        // Outside stream blocks: straight through, without a promise turn of its own.
        return this.options.next.message(msg, walStart);
    }
  }

  private async stopBlock(): Promise<void> {
    const tx = this.block;
    this.block = null;
    if (tx) await this.flush(tx, true);
  }

  keepalive(walEnd: Lsn): Promise<void> | void {
    return this.options.next.keepalive(walEnd);
  }

  /** Transactions still open (for tests and logs). */
  get openTransactions(): number {
    return this.open.size;
  }

  /** Closes the open files; the session's directory is removed by the caller. */
  async close(): Promise<void> {
    for (const tx of this.open.values()) await tx.file?.close().catch(() => {});
    this.open.clear();
    this.block = null;
  }

  private async startBlock(msg: Extract<StreamMessage, { tag: 'stream_start' }>): Promise<void> {
    let tx = this.open.get(msg.xid);
    // A first segment starts the transaction afresh (never expected for one already open in this session).
    if (tx && msg.firstSegment) {
      await this.discard(tx);
      tx = undefined;
    }
    if (!tx) {
      tx = { xid: msg.xid, path: join(this.options.dir, `xid-${msg.xid}.spill`), file: null, buffer: null, buffered: 0, records: 0, aborted: new Set() };
      this.open.set(msg.xid, tx);
      this.options.log.debug({ xid: msg.xid }, 'streamed transaction: spooling its changes until it ends');
    }
    this.block = tx;
  }

  private async append(tx: SpooledTransaction, bytes: Buffer): Promise<void> {
    tx.records += 1;
    const size = 4 + bytes.length;
    if (tx.buffered + size > WRITE_BUFFER_BYTES) await this.flush(tx);
    if (size > WRITE_BUFFER_BYTES) {
      const length = Buffer.allocUnsafe(4);
      length.writeUInt32BE(bytes.length);
      return this.write(tx, [length, bytes]);
    }
    tx.buffer ??= Buffer.allocUnsafe(WRITE_BUFFER_BYTES);
    tx.buffer.writeUInt32BE(bytes.length, tx.buffered);
    bytes.copy(tx.buffer, tx.buffered + 4);
    tx.buffered += size;
  }

  /** Writes what is buffered; at the end of a block the buffer goes too (another transaction's block may follow). */
  private async flush(tx: SpooledTransaction, release = false): Promise<void> {
    if (tx.buffer && tx.buffered > 0) await this.write(tx, [tx.buffer.subarray(0, tx.buffered)]);
    tx.buffered = 0;
    if (release) tx.buffer = null;
  }

  private async write(tx: SpooledTransaction, chunks: Buffer[]): Promise<void> {
    try {
      tx.file ??= await open(tx.path, 'w');
      await tx.file.writev(chunks);
    } catch (err) {
      throw spillError(`cannot write ${tx.path}`, tx.xid, err);
    }
  }

  private async abort(xid: number, subxid: number): Promise<void> {
    const tx = this.open.get(xid);
    // Streamed in an earlier session only: nothing of it is here.
    if (!tx) return;
    if (subxid !== xid) {
      tx.aborted.add(subxid);
      return;
    }
    this.options.log.debug({ xid, records: tx.records }, 'streamed transaction rolled back: its spooled changes are dropped');
    await this.discard(tx);
  }

  private async discard(tx: SpooledTransaction): Promise<void> {
    this.open.delete(tx.xid);
    if (this.block === tx) this.block = null;
    await tx.file?.close().catch(() => {});
    if (tx.file) await unlink(tx.path).catch(() => {});
  }

  private async commit(msg: Extract<StreamMessage, { tag: 'stream_commit' }>): Promise<void> {
    const tx = this.open.get(msg.xid);
    if (!tx) throw new Error(`pgoutput sent Stream Commit of transaction ${msg.xid}, which no stream block of this session began`);
    await this.flush(tx, true);
    const next = this.options.next;
    const commitLsn = formatLsn(msg.commitLsn);
    this.options.log.debug({ xid: msg.xid, commit: commitLsn, records: tx.records }, 'streamed transaction committed: handing it over');
    let begun = false;
    if (tx.file) {
      const reader = new SpillReader(tx);
      for (let record = await reader.next(); record !== null; record = await reader.next()) {
        if (tx.aborted.has(record.readUInt32BE(1))) continue;
        const tag = record[0];
        const message = this.replayParser.parsePlain(withoutXid(record));
        // pgoutput sends Begin with a transaction's first change (not for Relation and Type messages).
        if (!begun && tag !== RELATION && tag !== TYPE) {
          await next.message({ tag: 'begin', commitLsn: msg.commitLsn, commitTime: msg.commitTimeMicros, xid: msg.xid });
          begun = true;
        }
        await next.message(message);
      }
    }
    // Handed over whole: the file goes before the Commit (a crash meanwhile gets it resent anyway).
    await this.discard(tx);
    if (begun) await next.message({ tag: 'commit', flags: 0, commitLsn: msg.commitLsn, commitEndLsn: msg.endLsn, commitTime: msg.commitTimeMicros });
  }
}

/** The records of a spill file, in order, read a megabyte at a time (a longer record at once). */
class SpillReader {
  private chunk = Buffer.alloc(0);
  private at = 0;
  private file: FileHandle | null = null;
  private done = false;

  constructor(private readonly tx: SpooledTransaction) {}

  async next(): Promise<Buffer | null> {
    if (this.done) return null;
    const header = await this.read(4);
    if (header === null) {
      this.done = true;
      await this.file?.close();
      return null;
    }
    const record = await this.read(header.readUInt32BE(0));
    if (record === null || record.length < 5) throw spillError(`${this.tx.path} ends inside a record`, this.tx.xid);
    return record;
  }

  /** Exactly `n` bytes, or null at the end of the file. Each chunk is a new buffer: records may refer to it. */
  private async read(n: number): Promise<Buffer | null> {
    if (this.chunk.length - this.at >= n) {
      const bytes = this.chunk.subarray(this.at, this.at + n);
      this.at += n;
      return bytes;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = this.chunk.copy(out, 0, this.at);
    this.chunk = Buffer.alloc(0);
    this.at = 0;
    try {
      this.file ??= await open(this.tx.path, 'r');
      while (filled < n) {
        if (n - filled >= READ_BYTES) {
          const { bytesRead } = await this.file.read(out, filled, n - filled, null);
          if (bytesRead === 0) break;
          filled += bytesRead;
          continue;
        }
        const chunk = Buffer.allocUnsafe(READ_BYTES);
        const { bytesRead } = await this.file.read(chunk, 0, READ_BYTES, null);
        if (bytesRead === 0) break;
        const take = Math.min(n - filled, bytesRead);
        chunk.copy(out, filled, 0, take);
        filled += take;
        this.chunk = chunk.subarray(0, bytesRead);
        this.at = take;
      }
    } catch (err) {
      throw spillError(`cannot read ${this.tx.path}`, this.tx.xid, err);
    }
    if (filled === 0) return null;
    if (filled < n) throw spillError(`${this.tx.path} ends inside a record`, this.tx.xid);
    return out;
  }
}

/** Retriable: after a restart the server streams the transaction again into a new file. */
function spillError(what: string, xid: number, cause?: unknown): LogtapError {
  const why = cause instanceof Error ? `: ${cause.message}` : '';
  return new LogtapError('SPILL', `${what} (spill file of the in-progress transaction ${xid})${why} — free space in streaming.spillDir or set streaming.mode: off`, { retriable: true, ...(cause === undefined ? {} : { cause }) });
}
