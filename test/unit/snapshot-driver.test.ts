import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import type { ChangeEvent, Row, SourcePosition } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import type { SourceHandler } from '../../src/source/source-connector.js';
import type { SnapshotChunk, SnapshotPage, SourceSnapshot } from '../../src/source/snapshot-source.js';
import { publishSnapshot } from '../../src/snapshot/snapshot-driver.js';

const table: TableSchema = { id: { namespace: 's', name: 't' }, columns: [{ name: 'id', type: { kind: 'int', bits: 32 }, nullable: false, sourceType: 'int' }], key: ['id'] };
const pos = (token: string): SourcePosition => ({ token, display: token });

/** A fake source: chunks of `rowsPerChunk` rows in pages of `pageRows`, recording how reads overlap. */
function fakeSnapshot(chunks: number, rowsPerChunk: number, pageRows: number, parallelism: number, ofTable: TableSchema = table) {
  const trace: string[] = [];
  let reading = 0;
  let maxReading = 0;
  let planned = 0;
  let closedReads = 0;
  let openedReads = 0;
  const snapshot: SourceSnapshot = {
    start: pos('start'),
    streamFrom: pos('stream'),
    parallelism,
    consistency: 'fake',
    async nextChunk() {
      if (planned === chunks) return null;
      const index = planned++;
      const chunk: SnapshotChunk = {
        table: ofTable,
        display: `chunk ${index}`,
        done: pos(`done-${index}`),
        async *pages(): AsyncGenerator<SnapshotPage> {
          reading++;
          openedReads++;
          maxReading = Math.max(maxReading, reading);
          try {
            for (let first = 0; first < rowsPerChunk; first += pageRows) {
              await new Promise((r) => setTimeout(r, 1));
              const rows: Row[] = [];
              for (let i = first; i < Math.min(rowsPerChunk, first + pageRows); i++) rows.push({ id: index * rowsPerChunk + i });
              trace.push(`read ${index}`);
              yield { rows, bytes: rows.length * 100 };
            }
          } finally {
            reading--;
            closedReads++;
          }
        },
      };
      return chunk;
    },
    async close() {},
  };
  return { snapshot, trace, stats: () => ({ maxReading, closedReads, openedReads, planned }) };
}

function recordingHandler(onEvent?: (calls: string[]) => void) {
  const calls: string[] = [];
  const ids: number[] = [];
  const handler: SourceHandler = {
    onChange(event: ChangeEvent) {
      expect(event.op).toBe('r');
      expect(event.snapshot).toBe(true);
      ids.push(event.after!.id as number);
      calls.push(`row@${event.position.token}`);
      onEvent?.(calls);
    },
    onCommit(position) {
      calls.push(`commit ${position.token}`);
    },
    onHeartbeat(position) {
      calls.push(`heartbeat ${position.token}`);
    },
  };
  return { handler, calls, ids };
}

describe('publishSnapshot', () => {
  it('publishes every row once in chunk order, each row at the position before its chunk, a commit per chunk, then the stream position', async () => {
    const { snapshot, stats } = fakeSnapshot(5, 7, 3, 3);
    const { handler, calls, ids } = recordingHandler();
    const streamFrom = await publishSnapshot(snapshot, handler, { log: silentLogger }, new AbortController().signal);
    expect(streamFrom).toEqual(pos('stream'));
    expect(ids).toEqual(Array.from({ length: 35 }, (_, i) => i));
    const compact = calls.filter((c, i) => !c.startsWith('row@') || c !== calls[i - 1]);
    expect(compact).toEqual([
      'heartbeat start', 'row@start', 'commit done-0', 'row@done-0', 'commit done-1', 'row@done-1', 'commit done-2',
      'row@done-2', 'commit done-3', 'row@done-3', 'commit done-4', 'commit stream',
    ]);
    // Up to `parallelism` chunks were read at once, and every read was closed.
    expect(stats().maxReading).toBeGreaterThan(1);
    expect(stats().maxReading).toBeLessThanOrEqual(3);
    expect(stats().closedReads).toBe(5);
  });

  it('starts a keyless table (one chunk) with a truncate marker, so that its rows replace those of an interrupted snapshot', async () => {
    const keyless = { ...table, key: [] };
    const { snapshot } = fakeSnapshot(1, 3, 2, 1, keyless);
    const calls: string[] = [];
    const handler: SourceHandler = {
      onChange(event) { calls.push(`${event.op}${event.snapshot ? ' snapshot' : ''}@${event.position.token}${event.after ? ` ${event.after.id as number}` : ''}`); },
      onCommit(position) { calls.push(`commit ${position.token}`); },
      onHeartbeat(position) { calls.push(`heartbeat ${position.token}`); },
    };
    await publishSnapshot(snapshot, handler, { log: silentLogger }, new AbortController().signal);
    expect(calls).toEqual(['heartbeat start', 't snapshot@start', 'r snapshot@start 0', 'r snapshot@start 1', 'r snapshot@start 2', 'commit done-0', 'commit stream']);
  });

  it('reads ahead no further than the byte limit allows (one page beyond it at most)', async () => {
    const { snapshot, trace } = fakeSnapshot(2, 100, 10, 2);
    const { handler } = recordingHandler();
    let readBeforeFirstRow = -1;
    const wrapped: SourceHandler = {
      ...handler,
      async onChange(event) {
        // Hold the first row while the second chunk reads ahead as far as it may.
        if (readBeforeFirstRow < 0) {
          const readOfSecond = () => trace.filter((t) => t === 'read 1').length;
          for (let waited = 0; waited < 5_000 && readOfSecond() < 3; waited += 5) await new Promise((r) => setTimeout(r, 5));
          await new Promise((r) => setTimeout(r, 50));
          readBeforeFirstRow = readOfSecond();
        }
        return handler.onChange(event);
      },
    };
    await publishSnapshot(snapshot, wrapped, { log: silentLogger, readAheadBytes: 2500 }, new AbortController().signal);
    // 2500 bytes are 2.5 pages of 10 rows × 100 bytes: the reader stops after the third page.
    expect(readBeforeFirstRow).toBe(3);
  });

  it('stops at an abort without publishing the stream position, and closes every read', async () => {
    const { snapshot, stats } = fakeSnapshot(50, 10, 5, 4);
    const controller = new AbortController();
    const { handler, calls } = recordingHandler((c) => {
      if (c.length === 25) controller.abort();
    });
    expect(await publishSnapshot(snapshot, handler, { log: silentLogger }, controller.signal)).toBeNull();
    expect(calls).not.toContain('commit stream');
    // Every read that began was closed before publishSnapshot returned (its connection is free again).
    expect(stats().openedReads).toBeGreaterThan(0);
    expect(stats().closedReads).toBe(stats().openedReads);
    expect(stats().planned).toBeLessThan(50);
  });

  it('passes a reader failure on', async () => {
    const { snapshot } = fakeSnapshot(3, 10, 5, 2);
    const failing: SourceSnapshot = {
      ...snapshot,
      async nextChunk() {
        const chunk = await snapshot.nextChunk();
        if (!chunk || chunk.display !== 'chunk 1') return chunk;
        return { ...chunk, async *pages() { throw new Error('connection lost'); } };
      },
    };
    const { handler } = recordingHandler();
    await expect(publishSnapshot(failing, handler, { log: silentLogger }, new AbortController().signal)).rejects.toThrow('connection lost');
  });
});

describe('publishSnapshot with the tables known up front', () => {
  it('prepares them 500 at a time, each batch before the first row of its first table', async () => {
    const tables: TableSchema[] = Array.from({ length: 1_200 }, (_, i) => ({ ...table, id: { namespace: 's', name: `t${i}` } }));
    const calls: string[] = [];
    let planned = 0;
    const snapshot: SourceSnapshot = {
      start: pos('start'), streamFrom: pos('stream'), parallelism: 2, consistency: 'fake', tables: [...tables],
      // Two chunks per table: a table's second chunk must not prepare anything again.
      async nextChunk() {
        if (planned === tables.length * 2) return null;
        const index = planned++;
        const of = tables[Math.floor(index / 2)]!;
        return {
          table: of, display: `chunk ${index}`, done: pos(`done-${index}`),
          async *pages() { yield { rows: [{ id: index }], bytes: 10 }; },
        };
      },
      async close() {},
    };
    const handler: SourceHandler = {
      async onChange(event: ChangeEvent) { calls.push(`row ${event.table.id.name}`); },
      async onCommit() {},
      async onHeartbeat() {},
    };
    const prepareTables = async (batch: readonly TableSchema[], upcoming: readonly TableSchema[] = []) => {
      const later = upcoming.length > 0 ? `, then ${upcoming[0]!.id.name}..${upcoming.at(-1)!.id.name} (${upcoming.length})` : '';
      calls.push(`prepare ${batch[0]!.id.name}..${batch.at(-1)!.id.name} (${batch.length})${later}`);
    };
    await publishSnapshot(snapshot, handler, { log: silentLogger, prepareTables }, new AbortController().signal);
    const prepares = calls.filter((c) => c.startsWith('prepare'));
    // The first batch announces every later table (their topics are created ahead).
    expect(prepares).toEqual(['prepare t0..t499 (500), then t500..t1199 (700)', 'prepare t500..t999 (500)', 'prepare t1000..t1199 (200)']);
    // Taken out as prepared: the snapshot no longer holds the tables it published.
    expect(snapshot.tables).toEqual([]);
    for (const first of ['t0', 't500', 't1000']) expect(calls.indexOf(`row ${first}`)).toBe(calls.findIndex((c) => c.startsWith(`prepare ${first}..`)) + 1);
    expect(calls.filter((c) => c.startsWith('row')).length).toBe(2_400);
  });
});
