import { describe, expect, it } from 'vitest';
import { BinlogCursor } from '../../connectors/mysql/binlog-cursor.js';
import { parseGtidState } from '../../connectors/mysql/gtid-set.js';
import { LogtapError } from '../../src/errors.js';

const tokens = (positions: Array<{ token: string } | undefined>) => positions.map((p) => p?.token);

describe('binlog cursor', () => {
  it('GTID mode: partial positions per change, a complete position after the commit', () => {
    const cursor = new BinlogCursor({ kind: 'gtid', executed: parseGtidState('0-1-41') });
    cursor.rotate('binlog.000003', 4);
    cursor.begin('0-1-42', false);
    expect(cursor.transactionId).toBe('0-1-42');
    expect(tokens([cursor.nextChange(), cursor.nextChange()])).toEqual(['my1:gtid=0-1-41;in=0-1-42#1', 'my1:gtid=0-1-41;in=0-1-42#2']);
    expect(cursor.transactionTouched).toBe(true);
    expect(cursor.commit(900).token).toBe('my1:gtid=0-1-42');
    expect(cursor.inTransaction).toBe(false);
    expect(cursor.coordinates).toEqual({ file: 'binlog.000003', offset: 900 });
    cursor.begin('1-7-3', true);
    expect(cursor.transactionTouched).toBe(false);
    expect(cursor.commit(950)).toEqual({ token: 'my1:gtid=0-1-42,1-7-3', display: 'gtid 0-1-42,1-7-3' });
  });

  it('GTID mode: resuming from a partial position skips exactly the published changes of that transaction', () => {
    const cursor = new BinlogCursor({ kind: 'gtid', executed: parseGtidState('0-1-41'), resume: { gtid: '0-1-42', published: 2 } });
    expect(cursor.resuming).toBe(true);
    cursor.begin('0-1-42', false);
    expect(cursor.resuming).toBe(false);
    expect(tokens([cursor.nextChange(), cursor.nextChange(), cursor.nextChange()])).toEqual([undefined, undefined, 'my1:gtid=0-1-41;in=0-1-42#3']);
    expect(cursor.transactionTouched).toBe(true);
    expect(cursor.commit(1).token).toBe('my1:gtid=0-1-42');
  });

  it('MySQL GTIDs: tracks the executed set and matches the resumed transaction whatever the UUID case', () => {
    const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    const cursor = new BinlogCursor({ kind: 'gtid', executed: parseGtidState(`${uuid}:1-41`), resume: { gtid: `${uuid.toUpperCase()}:42`, published: 1 } });
    cursor.begin(`${uuid}:42`, true);
    cursor.beginStatement();
    expect(cursor.transactionStandalone).toBe(false);
    expect(cursor.nextChange()).toBeUndefined();
    expect(cursor.nextChange()!.token).toBe(`my1:gtid=${uuid}:1-41;in=${uuid}:42#2`);
    expect(cursor.commit(10).token).toBe(`my1:gtid=${uuid}:1-42`);
  });

  it('reports a resume that does not meet its transaction, and skips nothing then', () => {
    const cursor = new BinlogCursor({ kind: 'gtid', executed: parseGtidState('0-1-41'), resume: { gtid: '0-1-42', published: 2 } });
    cursor.begin('0-1-50', false);
    expect(cursor.lastResumeMismatch).toContain('resumed at transaction 0-1-50, not at 0-1-42');
    expect(cursor.nextChange()).toBeDefined();
  });

  it('file mode: positions name the transaction start, commits move to the end of its last event', () => {
    const cursor = new BinlogCursor({ kind: 'file', file: 'binlog.000003', offset: 4567, published: 0 });
    expect(cursor.resuming).toBe(false);
    expect(cursor.complete().token).toBe('my1:file=binlog.000003:4567#0');
    cursor.begin(undefined, true);
    expect(cursor.transactionId).toBe('binlog.000003:4567');
    cursor.beginStatement();
    expect(cursor.nextChange()!.token).toBe('my1:file=binlog.000003:4567#1');
    expect(cursor.commit(5000).token).toBe('my1:file=binlog.000003:5000#0');
    cursor.rotate('binlog.000004', 4);
    expect(cursor.complete()).toEqual({ token: 'my1:file=binlog.000004:4#0', display: 'binlog.000004:4' });
    cursor.advance('binlog.000004', 120);
    expect(cursor.complete().token).toBe('my1:file=binlog.000004:120#0');
    // GTIDs of MariaDB transactions are their ids even in file mode.
    cursor.begin('0-1-9', false);
    expect(cursor.transactionId).toBe('0-1-9');
    cursor.advance('binlog.000004', 999); // ignored inside a transaction
    expect(cursor.nextChange()!.token).toBe('my1:file=binlog.000004:120#1');
    expect(() => cursor.commit(0)).toThrow('ends at an unknown binlog offset');
  });

  it('file mode: resuming skips the published changes of the transaction starting at the position', () => {
    const cursor = new BinlogCursor({ kind: 'file', file: 'binlog.000003', offset: 4567, published: 3 });
    expect(cursor.resuming).toBe(true);
    cursor.rotate('binlog.000003', 4567);
    cursor.begin('0-1-5', false);
    expect(tokens([cursor.nextChange(), cursor.nextChange(), cursor.nextChange(), cursor.nextChange()])).toEqual([
      undefined, undefined, undefined, 'my1:file=binlog.000003:4567#4',
    ]);
  });

  it('refuses what cannot be positioned', () => {
    const gtid = new BinlogCursor({ kind: 'gtid', executed: parseGtidState('0-1-1') });
    expect(() => gtid.begin(undefined, true)).toThrow('anonymous transaction');
    expect(() => gtid.nextChange()).toThrow(LogtapError);
    gtid.begin('0-1-2', false);
    expect(() => gtid.begin('0-1-3', false)).toThrow('starts inside transaction 0-1-2');
  });
});
