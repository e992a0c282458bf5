import { PgoutputPlugin } from 'pg-logical-replication';
import type { Pgoutput } from 'pg-logical-replication';
import type pg from 'pg';
import type { RawTuple } from './text-decoder.js';

/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
const PG_EPOCH_MICROS = 946_684_800_000_000n;

export interface RawPgoutputOptions {
  publicationNames: string[];
  messages?: boolean;
  /** Ignored: 2 with streaming, else 1 (accepted for the library's option shape). */
  protoVersion?: 1 | 2;
  /**
   * pgoutput `streaming 'on'` (protocol 2, PostgreSQL 14+): blocks of in-progress transactions arrive as
   * `stream_*` messages (their changes as raw bytes, for the spool: stream-spool.ts).
   */
  streaming?: boolean;
}

/**
 * pg-logical-replication's pgoutput parser passes every tuple value through the parser that pg's GLOBAL
 * type registry (`pg.types`) holds for the column's type oid, looked up when the Relation message is read
 * (losing microseconds, parsing json, …). This subclass swaps each column's parser for the identity as soon
 * as its Relation message has been parsed, so tuple values arrive as PostgreSQL's exact text, without
 * touching `pg.types`. The parser keeps and reuses the very Relation object it returns, which is what makes
 * the swap stick; a tuple of a relation whose columns were not swapped is refused (guard against a library
 * change).
 *
 * With streaming on it also reads the messages of protocol 2 that the library does not know: Stream Start /
 * Stop / Commit / Abort, and the changes inside a stream block (each with the xid of its (sub)transaction
 * after the tag). Those changes are not parsed here but handed over as their bytes, to be parsed when their
 * transaction commits (as PostgreSQL's own subscriber spools them); a Relation or Type message inside a block
 * is parsed as well, so the parser knows the relation when later transactions rely on it.
 */
export class RawPgoutputPlugin extends PgoutputPlugin {
  private readonly rawRelations = new WeakSet<Pgoutput.MessageRelation>();
  /** The top-level xid of the stream block being received, or null outside one. */
  private streamXid: number | null = null;

  constructor(private readonly raw: RawPgoutputOptions) {
    super({ protoVersion: raw.streaming ? 2 : 1, publicationNames: raw.publicationNames, messages: raw.messages ?? false });
  }

  override start(client: pg.Client, slotName: string, lastLsn: string): Promise<unknown> {
    if (!this.raw.streaming) return super.start(client, slotName, lastLsn);
    const options = [
      `proto_version '2'`,
      `publication_names '${this.raw.publicationNames.join(',')}'`,
      `messages '${this.raw.messages ?? false}'`,
      `streaming 'on'`,
    ];
    return client.query(`START_REPLICATION SLOT "${slotName}" LOGICAL ${lastLsn} (${options.join(', ')})`);
  }

  /** The library's signature; the message is a RawPgoutputMessage (which also has the stream messages). */
  override parse(buffer: Buffer): Pgoutput.Message {
    return this.parseRaw(buffer) as Pgoutput.Message;
  }

  parseRaw(buffer: Buffer): RawPgoutputMessage {
    const tag = buffer[0];
    if (this.raw.streaming) {
      const streamed = this.parseStreamed(tag, buffer);
      if (streamed) return streamed;
    }
    return this.parsePlain(buffer);
  }

  /** A message as a non-streamed transaction carries it (no xid after the tag). */
  parsePlain(buffer: Buffer): RawPgoutputMessage {
    // Begin and Commit come with every transaction: read here with their LSNs as numbers (the library spells them
    // as zero-padded hex text, which the translator would parse straight back).
    if (buffer[0] === 0x42 /* B */) {
      return { tag: 'begin', commitLsn: buffer.readBigUInt64BE(1), commitTime: buffer.readBigInt64BE(9) + PG_EPOCH_MICROS, xid: buffer.readUInt32BE(17) };
    }
    if (buffer[0] === 0x43 /* C */) {
      return {
        tag: 'commit',
        flags: buffer[1]!,
        commitLsn: buffer.readBigUInt64BE(2),
        commitEndLsn: buffer.readBigUInt64BE(10),
        commitTime: buffer.readBigInt64BE(18) + PG_EPOCH_MICROS,
      };
    }
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

  private parseStreamed(tag: number | undefined, buffer: Buffer): StreamMessage | null {
    switch (tag) {
      case 0x53 /* S */:
        this.streamXid = buffer.readUInt32BE(1);
        return { tag: 'stream_start', xid: this.streamXid, firstSegment: buffer[5] === 1 };
      case 0x45 /* E */:
        this.streamXid = null;
        return { tag: 'stream_stop' };
      case 0x63 /* c */:
        return {
          tag: 'stream_commit',
          xid: buffer.readUInt32BE(1),
          commitLsn: buffer.readBigUInt64BE(6),
          endLsn: buffer.readBigUInt64BE(14),
          commitTimeMicros: buffer.readBigInt64BE(22) + PG_EPOCH_MICROS,
        };
      case 0x41 /* A */:
        return { tag: 'stream_abort', xid: buffer.readUInt32BE(1), subxid: buffer.readUInt32BE(5) };
      default:
        break;
    }
    if (this.streamXid === null || !XID_TAGGED.has(tag!)) return null;
    // The library reads each message into a buffer of its own, which may be kept (the spool copies it once more).
    if (tag === 0x52 /* R */ || tag === 0x59 /* Y */) this.parsePlain(withoutXid(Buffer.from(buffer)));
    return { tag: 'stream_change', xid: this.streamXid, subxid: buffer.readUInt32BE(1), bytes: buffer };
  }
}

/** Inside a stream block these carry the (sub)transaction's xid after the tag (protocol 2). */
const XID_TAGGED = new Set([0x49 /* I */, 0x55 /* U */, 0x44 /* D */, 0x54 /* T */, 0x4d /* M */, 0x52 /* R */, 0x59 /* Y */]);

/** A streamed message's bytes (tag, xid, body) as the same message outside a stream (tag, body); reuses the buffer. */
export function withoutXid(bytes: Buffer): Buffer {
  bytes[4] = bytes[0]!;
  return bytes.subarray(4);
}

const rawText = (text: string): string => text;

export type RawMessageInsert = Omit<Pgoutput.MessageInsert, 'new'> & { new: RawTuple };
export type RawMessageUpdate = Omit<Pgoutput.MessageUpdate, 'key' | 'old' | 'new'> & {
  key: RawTuple | null;
  old: RawTuple | null;
  new: RawTuple;
};
export type RawMessageDelete = Omit<Pgoutput.MessageDelete, 'key' | 'old'> & { key: RawTuple | null; old: RawTuple | null };

/** Protocol 2's messages about in-progress transactions (streaming 'on'). */
export type StreamMessage =
  | { tag: 'stream_start'; xid: number; firstSegment: boolean }
  | { tag: 'stream_stop' }
  /** A change, Relation, Type or logical message inside a stream block: `bytes` as received (tag, subxid, body). */
  | { tag: 'stream_change'; xid: number; subxid: number; bytes: Buffer }
  | { tag: 'stream_commit'; xid: number; commitLsn: bigint; endLsn: bigint; commitTimeMicros: bigint }
  /** `subxid` equal to `xid`: the whole transaction; else only that subtransaction's changes. */
  | { tag: 'stream_abort'; xid: number; subxid: number };

/** Begin (pgoutput 'B'): the LSN of the transaction's commit record, its time in µs since the Unix epoch. */
export interface RawMessageBegin {
  tag: 'begin';
  commitLsn: bigint;
  commitTime: bigint;
  xid: number;
}

/** Commit (pgoutput 'C'): the commit record's LSN and the LSN just past it. */
export interface RawMessageCommit {
  tag: 'commit';
  flags: number;
  commitLsn: bigint;
  commitEndLsn: bigint;
  commitTime: bigint;
}

/** pgoutput messages with tuple values as text (null for NULL, undefined for an unchanged TOAST value). */
export type RawPgoutputMessage =
  | Exclude<Pgoutput.Message, Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete | Pgoutput.MessageBegin | Pgoutput.MessageCommit>
  | RawMessageBegin
  | RawMessageCommit
  | RawMessageInsert
  | RawMessageUpdate
  | RawMessageDelete
  | StreamMessage;
