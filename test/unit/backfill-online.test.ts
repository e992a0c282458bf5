import { describe, expect, it } from 'vitest';
import type { ChangeEvent, Row, SourcePosition } from '../../src/model/change-event.js';
import type { TableId, TableSchema } from '../../src/model/table-schema.js';
import { silentLogger } from '../../src/logger.js';
import type { SourceHandler } from '../../src/source/source-connector.js';
import type { BackfillSource, SignalRow } from '../../src/backfill/backfill-source.js';
import { OnlineBackfill } from '../../src/backfill/online-backfill.js';
import { decodeBackfillState, encodeBackfillState } from '../../src/backfill/backfill-state.js';
import { SIGNAL, executeSnapshotData } from '../../src/backfill/signal-types.js';

// The watermark protocol of the core, against an in-memory source: what is read when, what is published at
// the high watermark, what the checkpoint state says at each point.
const ITEMS: TableSchema = {
  id: { namespace: 'app', name: 'items' },
  columns: [{ name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' }, { name: 'v', type: { kind: 'int', bits: 32 }, nullable: false, sourceType: 'int' }],
  key: ['id'],
};
const SIGNALS: TableSchema = {
  id: { namespace: 'app', name: 'logtap_signal' },
  columns: [{ name: 'id', type: { kind: 'string' }, nullable: false, sourceType: 'text' }],
  key: ['id'],
};

const pos = (n: number): SourcePosition => ({ token: `p${n}`, display: `p${n}` });

/** A table of ids 1..n in memory; signal rows written are kept in order. */
function fakeSource(rows: Row[], options: { problem?: string } = {}) {
  const written: SignalRow[] = [];
  const reads: Array<string[] | null> = [];
  const source: BackfillSource = {
    signalTable: SIGNALS.id,
    watermarks: 'signal-table',
    takesRequests: true,
    async prepare() {},
    async open() {
      return {
        async writeSignal(row) { written.push(row); },
        async writeWatermark(row) { written.push(row); },
        async table(id: TableId) {
          if (options.problem) return { problem: options.problem };
          expect(id).toEqual(ITEMS.id);
          return {
            schema: ITEMS,
            estimatedRows: rows.length,
            async readChunk(after: string[] | null, limit: number) {
              reads.push(after);
              const left = rows.filter((r) => after === null || (r.id as bigint) > BigInt(after[0]!));
              const chunk = left.slice(0, limit);
              return { rows: chunk, upTo: left.length > limit ? [String(chunk.at(-1)!.id)] : null };
            },
          };
        },
        async close() {},
      };
    },
  };
  return { source, written, reads };
}

function recorder(): { handler: SourceHandler; events: ChangeEvent[]; commits: string[] } {
  const events: ChangeEvent[] = [];
  const commits: string[] = [];
  return {
    events, commits,
    handler: { onChange: (e) => { events.push(e); }, onCommit: (p) => { commits.push(p.token); }, onHeartbeat: () => {} },
  };
}

const signalEvent = (row: SignalRow, at: number): ChangeEvent => ({ table: SIGNALS, op: 'c', after: { ...row }, position: pos(at), snapshot: false });
const change = (id: number, v: number, at: number, op: 'c' | 'u' | 'd' = 'u'): ChangeEvent =>
  op === 'd' ? { table: ITEMS, op, before: { id: BigInt(id), v }, position: pos(at), snapshot: false } : { table: ITEMS, op, after: { id: BigInt(id), v }, position: pos(at), snapshot: false };
const rowsOf = (n: number): Row[] => Array.from({ length: n }, (_, i) => ({ id: BigInt(i + 1), v: 0 }));
const request = (id = 'req-1'): SignalRow => ({ id, type: SIGNAL.executeSnapshot, data: executeSnapshotData([ITEMS.id], 'conn') });

describe('online backfill windows', () => {
  it('reads a chunk between its watermarks and publishes, at the high watermark, the rows whose keys did not change in between', async () => {
    const { source, written, reads } = fakeSource(rowsOf(5));
    const backfill = new OnlineBackfill({ source, connector: 'conn', checkpointed: null, chunkRows: 3, log: silentLogger });
    const out = recorder();
    const h = backfill.wrap(out.handler, 'stream');

    await h.onChange(signalEvent(request(), 1));
    // The request started the first window at once: low watermark, read, high watermark.
    expect(written.map((w) => w.type)).toEqual([SIGNAL.windowOpen, SIGNAL.windowClose]);
    expect(reads).toEqual([null]);
    await h.onChange(change(3, 9, 2)); // before the low watermark: not the window's business
    await h.onChange(signalEvent(written[0]!, 3));
    await h.onChange(change(2, 1, 4)); // inside the window: key 2 is left to the stream
    await h.onChange(change(9, 0, 5, 'c'));
    expect(backfill.checkpointState()).toBe(encodeBackfillState({ queue: [{ table: ITEMS.id, after: null, rows: 0, request: 'req-1' }], completed: [] }));
    await h.onChange(signalEvent(written[1]!, 6));

    const published = out.events.filter((e) => e.op === 'r');
    expect(published.map((e) => e.after!.id)).toEqual([1n, 3n]);
    expect(published.every((e) => e.snapshot && e.position.token === 'p6' && e.table === ITEMS)).toBe(true);
    // The signal table never reaches the pipeline; the stream's changes pass in order, before the chunk.
    expect(out.events.map((e) => `${e.op}${String(e.after?.id ?? e.before?.id)}`)).toEqual(['u3', 'u2', 'c9', 'r1', 'r3']);
    // The next window started right after, from the chunk's upper bound.
    expect(reads).toEqual([null, ['3']]);
    expect(decodeBackfillState(backfill.checkpointState()).queue[0]).toEqual({ table: ITEMS.id, after: ['3'], rows: 2, request: 'req-1' });
  });

  it('finishes the table at the last chunk, drops deleted and truncated keys, and records the request as completed', async () => {
    const { source, written } = fakeSource(rowsOf(4));
    const backfill = new OnlineBackfill({ source, connector: 'conn', checkpointed: null, chunkRows: 10, log: silentLogger });
    const out = recorder();
    const h = backfill.wrap(out.handler, 'stream');
    await h.onChange(signalEvent(request(), 1));
    await h.onChange(signalEvent(written[0]!, 2));
    await h.onChange(change(4, 0, 3, 'd'));
    await h.onCommit(pos(4), {});
    await h.onChange(signalEvent(written[1]!, 5));
    expect(out.events.filter((e) => e.op === 'r').map((e) => e.after!.id)).toEqual([1n, 2n, 3n]);
    expect(decodeBackfillState(backfill.checkpointState())).toEqual({ queue: [], completed: ['req-1'] });

    // A truncate inside a window drops the whole chunk.
    const again = fakeSource(rowsOf(2));
    const b2 = new OnlineBackfill({ source: again.source, connector: 'conn', checkpointed: null, chunkRows: 10, log: silentLogger });
    const out2 = recorder();
    const h2 = b2.wrap(out2.handler, 'stream');
    await h2.onChange(signalEvent(request(), 1));
    await h2.onChange(signalEvent(again.written[0]!, 2));
    await h2.onChange({ table: ITEMS, op: 't', position: pos(3), snapshot: false });
    await h2.onChange(signalEvent(again.written[1]!, 4));
    expect(out2.events.filter((e) => e.op === 'r')).toEqual([]);
  });

  it('ignores watermarks of other windows (an earlier run\'s), requests for other connectors, and repeated requests', async () => {
    const { source, written, reads } = fakeSource(rowsOf(3));
    const backfill = new OnlineBackfill({ source, connector: 'conn', checkpointed: null, chunkRows: 10, log: silentLogger });
    const out = recorder();
    const h = backfill.wrap(out.handler, 'stream');
    await h.onChange(signalEvent({ id: 'other', type: SIGNAL.executeSnapshot, data: executeSnapshotData([ITEMS.id], 'another-connector') }, 1));
    expect(written).toEqual([]);
    await h.onChange(signalEvent(request(), 2));
    await h.onChange(signalEvent({ id: 'stale-open', type: SIGNAL.windowOpen, data: '' }, 3));
    await h.onChange(signalEvent({ id: 'stale-close', type: SIGNAL.windowClose, data: '' }, 4));
    // A high watermark before its low one went by publishes nothing.
    await h.onChange(signalEvent(written[1]!, 5));
    expect(out.events).toEqual([]);
    await h.onChange(signalEvent(request(), 6));
    expect(reads).toHaveLength(1);
    expect(decodeBackfillState(backfill.checkpointState()).queue).toHaveLength(1);
  });

  it('resumes after the checkpointed key, and skips a table that cannot be backfilled', async () => {
    const checkpointed = encodeBackfillState({ queue: [{ table: ITEMS.id, after: ['2'], rows: 2, request: 'req-1' }], completed: [] });
    const { source, reads } = fakeSource(rowsOf(5));
    const backfill = new OnlineBackfill({ source, connector: 'conn', checkpointed, chunkRows: 10, log: silentLogger });
    await backfill.wrap(recorder().handler, 'stream').onHeartbeat(pos(1));
    expect(reads).toEqual([['2']]);

    const broken = fakeSource(rowsOf(5), { problem: 'no primary key' });
    const skipping = new OnlineBackfill({ source: broken.source, connector: 'conn', checkpointed, chunkRows: 10, log: silentLogger });
    await skipping.wrap(recorder().handler, 'stream').onHeartbeat(pos(1));
    expect(broken.written).toEqual([]);
    expect(decodeBackfillState(skipping.checkpointState())).toEqual({ queue: [], completed: ['req-1'] });
  });

  it('describes the table again after a failed chunk read (an ALTER in between), and fails on a second failure in a row', async () => {
    const { source, reads } = fakeSource(rowsOf(3));
    let described = 0;
    let failures = 1;
    const flaky: BackfillSource = {
      ...source,
      async open() {
        const session = await source.open();
        return {
          ...session,
          async table(id) {
            described++;
            const table = await session.table(id);
            if ('problem' in table) return table;
            return { ...table, readChunk: (after, limit) => (failures-- > 0 ? Promise.reject(new Error('column "gone" does not exist')) : table.readChunk(after, limit)) };
          },
        };
      },
    };
    const backfill = new OnlineBackfill({ source: flaky, connector: 'conn', checkpointed: null, chunkRows: 10, log: silentLogger });
    const h = backfill.wrap(recorder().handler, 'stream');
    await h.onChange(signalEvent(request(), 1));
    expect(described).toBe(2);
    expect(reads).toEqual([null]);

    failures = 2;
    const again = new OnlineBackfill({ source: flaky, connector: 'conn', checkpointed: null, chunkRows: 10, log: silentLogger });
    await expect(again.wrap(recorder().handler, 'stream').onChange(signalEvent(request('req-2'), 1))).rejects.toThrow(/does not exist/);
  });

  it('hides the signal table during the initial snapshot and starts no window then', async () => {
    const { source, written } = fakeSource(rowsOf(3));
    const backfill = new OnlineBackfill({ source, connector: 'conn', checkpointed: null, chunkRows: 10, log: silentLogger });
    const out = recorder();
    const h = backfill.wrap(out.handler, 'snapshot');
    await h.onChange({ table: SIGNALS, op: 'r', after: { ...request() }, position: pos(1), snapshot: true });
    await h.onChange({ table: ITEMS, op: 'r', after: { id: 1n, v: 0 }, position: pos(1), snapshot: true });
    await h.onCommit(pos(2), {});
    expect(out.events.map((e) => e.table.id.name)).toEqual(['items']);
    expect(out.commits).toEqual(['p2']);
    expect(written).toEqual([]);
  });
});
