import { describe, expect, it } from 'vitest';
import { type PeekRow, scanPeekedChanges } from '../../connectors/postgres/next-transaction.js';
import { ResumeFilter } from '../../connectors/postgres/resume-filter.js';
import { parsePosition } from '../../connectors/postgres/pg-position.js';

// pgoutput protocol 1 messages as pg_logical_slot_peek_binary_changes returns them (the query keeps only the
// first 5 bytes of I/U/D: tag and relation id).
const PG_EPOCH_MICROS = 946_684_800_000_000n;
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const u64 = (n: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(n); return b; };
const row = (tag: string, ...parts: Buffer[]): PeekRow => ({ tag, data: Buffer.concat([Buffer.from(tag), ...parts]) });
const begin = (commitLsn: bigint, xid: number, unixMicros = 1_765_000_000_000_000n) => row('B', u64(commitLsn), u64(unixMicros - PG_EPOCH_MICROS), u32(xid));
const commit = (commitLsn: bigint, endLsn: bigint) => row('C', Buffer.from([0]), u64(commitLsn), u64(endLsn), u64(0n));
const relation = (oid: number, ns: string, name: string) => row('R', u32(oid), Buffer.from(`${ns}\0${name}\0`), Buffer.from([100, 0, 0]));
const change = (tag: 'I' | 'U' | 'D', oid: number) => row(tag, u32(oid));
const truncate = (...oids: number[]) => row('T', u32(oids.length), Buffer.from([0]), ...oids.map(u32));
const message = (transactional: boolean, prefix: string) => row('M', Buffer.from([transactional ? 1 : 0]), u64(0n), Buffer.from(`${prefix}\0`), u32(2), Buffer.from('{}'));

const peeked: PeekRow[] = [
  relation(10, 'public', 'orders'),
  begin(0x100n, 700), change('I', 10), commit(0x100n, 0x110n),
  relation(11, 'shop', 'stock'),
  begin(0x200n, 701), change('U', 11), change('I', 10), change('D', 11), truncate(10, 11), message(true, 'logtap.outbox'), message(true, 'other'), commit(0x200n, 0x210n),
  begin(0x300n, 702), change('I', 10), commit(0x300n, 0x310n),
];
const from = (token: string) => new ResumeFilter(parsePosition(token));

describe('the PostgreSQL transaction after a checkpoint, from a peek of the slot', () => {
  it('passes over what the checkpoint covers and counts the next transaction\'s changes, tables, outbox messages and end', () => {
    expect(scanPeekedChanges(peeked, from('pg1:0/110'), 'logtap.outbox')).toEqual({
      txId: '701', changes: 5, messages: 1, tables: ['shop.stock', 'public.orders'], commitTimeMicros: 1_765_000_000_000_000n,
      end: { token: 'pg1:0/210', display: 'lsn 0/210' },
    });
  });

  it('a checkpoint inside a transaction: only its changes after the checkpoint count', () => {
    const next = scanPeekedChanges(peeked, from('pg1:0/200#3'), undefined)!;
    expect(next.txId).toBe('701');
    expect(next.changes).toBe(2); // of five: the truncate of two tables is two changes
    expect(next.tables).toEqual(['public.orders', 'shop.stock']);
    expect(next.end.token).toBe('pg1:0/210');
  });

  it('a checkpoint after a transaction\'s last change moves to the next one; nothing after the last: null', () => {
    expect(scanPeekedChanges(peeked, from('pg1:0/200#5'), undefined)?.txId).toBe('702');
    expect(scanPeekedChanges(peeked, from('pg1:0/310'), undefined)).toBeNull();
  });

  it('a transaction cut off by the end of the peek is not reported (the caller peeks further)', () => {
    expect(scanPeekedChanges(peeked.slice(0, 8), from('pg1:0/110'), undefined)).toBeNull();
  });
});
