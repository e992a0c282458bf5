import { describe, expect, it } from 'vitest';
import { BinlogCursor } from '../../connectors/mysql/binlog-cursor.js';
import type { BinlogItem } from '../../connectors/mysql/binlog-reader.js';
import { emitChanges } from '../../connectors/mysql/change-emitter.js';
import { parseGtidState } from '../../connectors/mysql/gtid-set.js';
import type { TableVersion } from '../../connectors/mysql/schema-tracker.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import { silentLogger } from '../../src/logger.js';
import type { SourceHandler } from '../../src/source/source-connector.js';

const schema: TableSchema = { id: { namespace: 'db', name: 't' }, columns: [], key: ['id'] };
const version = { schema, decode: (row: Record<string, unknown>) => ({ ...row, decoded: true }) } as unknown as TableVersion;

/** Runs the emitter over scripted items and returns the handler calls as short strings. */
async function run(items: BinlogItem[], cursor = new BinlogCursor({ kind: 'gtid', executed: parseGtidState('0-1-1') }), abortAfterCalls?: number): Promise<string[]> {
  const calls: string[] = [];
  const abort = new AbortController();
  const note = (text: string) => {
    calls.push(text);
    if (calls.length === abortAfterCalls) abort.abort();
  };
  const handler: SourceHandler = {
    onChange: (e) => note(`${e.op} ${JSON.stringify(e.after ?? e.before ?? null)} ${e.position.token} ${e.txId}`),
    onCommit: (p, info) => note(`commit ${p.token} ${info.txId} ${info.commitTimeMicros}`),
    onHeartbeat: (p) => note(`heartbeat ${p.token}`),
  };
  const queue = [...items];
  await emitChanges(async () => queue.shift(), cursor, handler, silentLogger, abort.signal);
  return calls;
}

describe('change emitter', () => {
  it('hands over one change per row, a commit per captured transaction, heartbeats only between transactions', async () => {
    const calls = await run([
      { kind: 'heartbeat', file: 'binlog.000001', offset: 100 },
      { kind: 'begin', gtid: '0-1-2', standalone: false },
      { kind: 'rows', op: 'c', version, rows: [{ id: 1 }, { id: 2 }], timestampMs: 1_700_000_000_000, offset: 100 },
      { kind: 'heartbeat', file: 'binlog.000001', offset: 100 }, // cannot happen inside a transaction; ignored if it did
      { kind: 'rows', op: 'u', version, rows: [{ before: { id: 1 }, after: { id: 10 } }], timestampMs: 1_700_000_000_000, offset: 100 },
      { kind: 'commit', endOffset: 500, timestampMs: 1_700_000_001_000 },
      { kind: 'rotate', file: 'binlog.000002', offset: 4, artificial: false },
    ]);
    expect(calls).toEqual([
      'heartbeat my1:gtid=0-1-1', // the start position, handed over before anything else
      'heartbeat my1:gtid=0-1-1',
      'c {"id":1,"decoded":true} my1:gtid=0-1-1;in=0-1-2#1 0-1-2',
      'c {"id":2,"decoded":true} my1:gtid=0-1-1;in=0-1-2#2 0-1-2',
      'u {"id":10,"decoded":true} my1:gtid=0-1-1;in=0-1-2#3 0-1-2',
      'commit my1:gtid=0-1-2 0-1-2 1700000001000000',
      'heartbeat my1:gtid=0-1-2',
    ]);
  });

  it('publishes a TRUNCATE as one change of its standalone group, and reports groups without captured changes as heartbeats', async () => {
    const calls = await run([
      { kind: 'begin', gtid: '0-1-2', standalone: true },
      { kind: 'statement', endOffset: 300, timestampMs: 0 }, // e.g. DDL of another table
      { kind: 'begin', gtid: '0-1-3', standalone: true },
      { kind: 'truncate', schema, timestampMs: 1_000 },
      { kind: 'statement', endOffset: 400, timestampMs: 2_000 },
      { kind: 'begin', gtid: '0-1-4', standalone: false },
      { kind: 'commit', endOffset: 500, timestampMs: 0 }, // throttled: within a second of the first report
    ]);
    expect(calls).toEqual([
      'heartbeat my1:gtid=0-1-1', // the start position, handed over before anything else
      'heartbeat my1:gtid=0-1-2',
      't null my1:gtid=0-1-2;in=0-1-3#1 0-1-3',
      'commit my1:gtid=0-1-3 0-1-3 2000000',
    ]);
  });

  it('reports nothing before a partial start position is passed, then skips the published rows', async () => {
    const cursor = new BinlogCursor({ kind: 'gtid', executed: parseGtidState('0-1-1'), resume: { gtid: '0-1-2', published: 2 } });
    const calls = await run([
      { kind: 'rotate', file: 'binlog.000001', offset: 4, artificial: false },
      { kind: 'heartbeat', file: 'binlog.000001', offset: 90 },
      { kind: 'begin', gtid: '0-1-2', standalone: false },
      { kind: 'rows', op: 'd', version, rows: [{ id: 1 }, { id: 2 }, { id: 3 }], timestampMs: 0, offset: 100 },
      { kind: 'commit', endOffset: 500, timestampMs: 0 },
    ], cursor);
    expect(calls).toEqual(['d {"id":3,"decoded":true} my1:gtid=0-1-1;in=0-1-2#3 0-1-2', 'commit my1:gtid=0-1-2 0-1-2 0']);
  });

  it('stops handing over as soon as the signal aborts, even inside a rows event', async () => {
    const calls = await run([
      { kind: 'begin', gtid: '0-1-2', standalone: false },
      { kind: 'rows', op: 'c', version, rows: [{ id: 1 }, { id: 2 }, { id: 3 }], timestampMs: 0, offset: 100 },
      { kind: 'commit', endOffset: 500, timestampMs: 0 },
    ], undefined, 2);
    expect(calls).toHaveLength(2);
  });
});
