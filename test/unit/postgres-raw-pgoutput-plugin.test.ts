import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { PgoutputPlugin } from 'pg-logical-replication';
import { RawPgoutputPlugin, withoutXid } from '../../connectors/postgres/raw-pgoutput-plugin.js';
import type { RawMessageInsert, RawMessageUpdate } from '../../connectors/postgres/raw-pgoutput-plugin.js';
import { parseLsn } from '../../connectors/postgres/lsn.js';

// pgoutput messages built byte by byte after the protocol documentation
// ("Logical Replication Message Formats": Relation 'R', Insert 'I', Update 'U', TupleData).
class MessageBuilder {
  private readonly parts: Buffer[] = [];
  byte(value: number | string): this {
    this.parts.push(Buffer.from([typeof value === 'string' ? value.charCodeAt(0) : value]));
    return this;
  }
  int16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(value);
    this.parts.push(b);
    return this;
  }
  int32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    this.parts.push(b);
    return this;
  }
  cstring(value: string): this {
    this.parts.push(Buffer.from(value, 'utf8'), Buffer.from([0]));
    return this;
  }
  /** TupleData: 't' + length + text, 'n' for NULL, 'u' for an unchanged TOAST value. */
  tuple(values: Array<string | null | 'UNCHANGED'>): this {
    this.int16(values.length);
    for (const value of values) {
      if (value === null) this.byte('n');
      else if (value === 'UNCHANGED') this.byte('u');
      else {
        const text = Buffer.from(value, 'utf8');
        this.byte('t').int32(text.length);
        this.parts.push(text);
      }
    }
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const RELATION_OID = 16500;
const columns: Array<[name: string, typeOid: number]> = [
  ['id', 20], // int8
  ['at', 1184], // timestamptz
  ['doc', 3802], // jsonb
  ['note', 25], // text
  ['big', 25],
];

const relationMessage = (): Buffer => {
  const m = new MessageBuilder().byte('R').int32(RELATION_OID).cstring('public').cstring('things').byte('d').int16(columns.length);
  for (const [name, typeOid] of columns) m.byte(name === 'id' ? 1 : 0).cstring(name).int32(typeOid).int32(-1);
  return m.build();
};
const insertMessage = (values: Array<string | null | 'UNCHANGED'>): Buffer =>
  new MessageBuilder().byte('I').int32(RELATION_OID).byte('N').tuple(values).build();

const values = ['9223372036854775807', '2020-01-01 00:00:00.123456+00', '{"b": 1, "a": 2.50}', 'it\'s "text"', null];

describe('RawPgoutputPlugin', () => {
  it('delivers tuple values as PostgreSQL wrote them, NULL as null, unchanged TOAST as undefined', () => {
    const plugin = new RawPgoutputPlugin({ protoVersion: 1, publicationNames: ['p'] });
    expect(plugin.parse(relationMessage()).tag).toBe('relation');
    const insert = plugin.parse(insertMessage(values)) as RawMessageInsert;
    expect(insert.tag).toBe('insert');
    expect({ ...insert.new }).toEqual({ id: '9223372036854775807', at: '2020-01-01 00:00:00.123456+00', doc: '{"b": 1, "a": 2.50}', note: 'it\'s "text"', big: null });

    const update = plugin.parse(
      new MessageBuilder()
        .byte('U')
        .int32(RELATION_OID)
        .byte('O')
        .tuple(['1', '2020-01-01 00:00:00+00', '{}', 'old', 'x'])
        .byte('N')
        .tuple(['1', '2021-01-01 00:00:00.000001+00', '[]', 'new', 'UNCHANGED'])
        .build(),
    ) as RawMessageUpdate;
    expect(update.old?.at).toBe('2020-01-01 00:00:00+00');
    expect(update.new.at).toBe('2021-01-01 00:00:00.000001+00');
    // the library fills an unchanged TOAST value from the old tuple when it has one
    expect(update.new.big).toBe('x');
  });

  it('leaves pg’s global type parsers alone (the stock plugin still parses through them)', () => {
    const globalTimestamptz = pg.types.getTypeParser(1184);
    const raw = new RawPgoutputPlugin({ protoVersion: 1, publicationNames: ['p'] });
    raw.parse(relationMessage());
    raw.parse(insertMessage(values));
    expect(pg.types.getTypeParser(1184)).toBe(globalTimestamptz);

    const stock = new PgoutputPlugin({ protoVersion: 1, publicationNames: ['p'] });
    stock.parse(relationMessage());
    const parsed = stock.parse(insertMessage(values)) as { new: Record<string, unknown> };
    expect(parsed.new.at).toBeInstanceOf(Date); // microseconds lost: why the raw plugin exists
    expect(parsed.new.doc).toEqual({ a: 2.5, b: 1 });
  });

  it('reads Begin and Commit with their LSNs as numbers, equal to what the library spells as text', () => {
    // LSNs with both halves set and the low half's top bit on; a commit time after 2000 (µs since PostgreSQL's epoch).
    const int64 = (value: bigint): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64BE(value); return b; };
    const commitLsn = 0x1_f000_0010n;
    const endLsn = 0x1_f000_0048n;
    const pgTime = 786_000_000_123_456n;
    const begin = Buffer.concat([Buffer.from('B'), int64(commitLsn), int64(pgTime), Buffer.from([0xf0, 0, 0, 7])]);
    const commit = Buffer.concat([Buffer.from('C'), Buffer.from([0]), int64(commitLsn), int64(endLsn), int64(pgTime)]);
    const stock = new PgoutputPlugin({ protoVersion: 1, publicationNames: ['p'] });
    const plugin = new RawPgoutputPlugin({ publicationNames: ['p'] });
    const [ourBegin, theirBegin] = [plugin.parseRaw(begin), stock.parse(begin)] as unknown as [Record<string, unknown>, Record<string, unknown>];
    expect(ourBegin).toEqual({ tag: 'begin', commitLsn, commitTime: theirBegin.commitTime, xid: 0xf000_0007 });
    expect(parseLsn(theirBegin.commitLsn as string)).toBe(commitLsn);
    expect(ourBegin.commitTime).toBe(pgTime + 946_684_800_000_000n);
    const [ourCommit, theirCommit] = [plugin.parseRaw(commit), stock.parse(commit)] as unknown as [Record<string, unknown>, Record<string, unknown>];
    expect(ourCommit).toEqual({ tag: 'commit', flags: 0, commitLsn, commitEndLsn: endLsn, commitTime: theirCommit.commitTime });
    expect([parseLsn(theirCommit.commitLsn as string), parseLsn(theirCommit.commitEndLsn as string)]).toEqual([commitLsn, endLsn]);
  });

  it('swaps the parsers of every later Relation message too (schema change)', () => {
    const plugin = new RawPgoutputPlugin({ protoVersion: 1, publicationNames: ['p'] });
    plugin.parse(relationMessage());
    plugin.parse(relationMessage());
    const insert = plugin.parse(insertMessage(values)) as RawMessageInsert;
    expect(insert.new.at).toBe('2020-01-01 00:00:00.123456+00');
  });
});

// Protocol 2 with streaming 'on' ("Logical Replication Message Formats": Stream Start 'S', Stream Stop 'E',
// Stream Commit 'c', Stream Abort 'A'; inside a stream block a change carries its (sub)transaction's xid after the tag).
describe('RawPgoutputPlugin with streaming', () => {
  const int64 = (value: bigint): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(value);
    return b;
  };
  /** A message of a stream block: the tag, the xid, then the body of the same message outside a stream. */
  const streamed = (plain: Buffer, xid: number): Buffer => {
    const x = Buffer.alloc(4);
    x.writeUInt32BE(xid);
    return Buffer.concat([plain.subarray(0, 1), x, plain.subarray(1)]);
  };

  it('reads the stream messages and hands over a block\'s changes as bytes, to be parsed as the plain message', () => {
    const plugin = new RawPgoutputPlugin({ publicationNames: ['p'], streaming: true });
    expect(plugin.parseRaw(new MessageBuilder().byte('S').int32(740).byte(1).build())).toEqual({ tag: 'stream_start', xid: 740, firstSegment: true });
    // The Relation message is learnt at once (a later whole transaction may rely on it) and spooled too.
    const relation = plugin.parseRaw(streamed(relationMessage(), 740));
    expect(relation).toMatchObject({ tag: 'stream_change', xid: 740, subxid: 740 });
    const change = plugin.parseRaw(streamed(insertMessage(values), 741));
    expect(change).toMatchObject({ tag: 'stream_change', xid: 740, subxid: 741 });
    expect(plugin.parseRaw(Buffer.from('E'))).toEqual({ tag: 'stream_stop' });
    // Outside a block, the same insert is a plain one of the relation learnt inside it.
    expect(plugin.parseRaw(insertMessage(values))).toMatchObject({ tag: 'insert', new: { id: values[0], note: values[3] } });

    // At the commit, another parser reads the spooled bytes as the messages of a whole transaction.
    const replay = new RawPgoutputPlugin({ publicationNames: ['p'] });
    replay.parseRaw(withoutXid(Buffer.from((relation as { bytes: Buffer }).bytes)));
    expect(replay.parseRaw(withoutXid(Buffer.from((change as { bytes: Buffer }).bytes)))).toMatchObject({ tag: 'insert', new: { at: values[1], doc: values[2] } });

    const commit = Buffer.concat([new MessageBuilder().byte('c').int32(740).byte(0).build(), int64(0x16b3748n), int64(0x16b3780n), int64(1_000_000n)]);
    expect(plugin.parseRaw(commit)).toEqual({ tag: 'stream_commit', xid: 740, commitLsn: 0x16b3748n, endLsn: 0x16b3780n, commitTimeMicros: 946_684_800_000_000n + 1_000_000n });
    expect(plugin.parseRaw(new MessageBuilder().byte('A').int32(740).int32(741).build())).toEqual({ tag: 'stream_abort', xid: 740, subxid: 741 });
  });

  it('without streaming, knows no stream messages', () => {
    const plugin = new RawPgoutputPlugin({ publicationNames: ['p'] });
    expect(() => plugin.parseRaw(new MessageBuilder().byte('S').int32(740).byte(1).build())).toThrow();
  });
});
