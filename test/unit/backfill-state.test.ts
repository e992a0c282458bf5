import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chunkPublished, decodeBackfillState, emptyBackfillState, encodeBackfillState, enqueue, skipHead } from '../../src/backfill/backfill-state.js';
import { keyText } from '../../src/backfill/key-text.js';
import { parseExecuteSnapshotData } from '../../src/backfill/signal-types.js';
import { requestStatus } from '../../src/backfill/request-progress.js';

const T = (name: string) => ({ namespace: 'app', name });

describe('backfill state', () => {
  it('keeps the golden text of a checkpointed state readable', () => {
    const golden = '{"v":"backfill1","queue":[{"table":{"namespace":"app","name":"orders"},"after":["42"],"rows":42,"request":"r1"}],"completed":["r0"]}';
    const state = decodeBackfillState(golden);
    expect(state).toEqual({ queue: [{ table: T('orders'), after: ['42'], rows: 42, request: 'r1' }], completed: ['r0'] });
    expect(encodeBackfillState(state)).toBe(golden);
    expect(decodeBackfillState(null)).toEqual(emptyBackfillState());
    expect(encodeBackfillState(emptyBackfillState())).toBeNull();
  });

  it('refuses malformed states with a line saying what is wrong', () => {
    expect(() => decodeBackfillState('{')).toThrow(/not JSON/);
    expect(() => decodeBackfillState('{"v":"backfill9","queue":[],"completed":[]}')).toThrow(/not a backfill1 state/);
    expect(() => decodeBackfillState('{"v":"backfill1","queue":[{"table":{"namespace":"a"},"after":null,"rows":0,"request":"r"}],"completed":[]}')).toThrow(/malformed table entry/);
  });

  it('queues requests in order, once per table and request, and completes a request with its last table', () => {
    let s = enqueue(emptyBackfillState(), 'r1', [T('a'), T('b')]);
    s = enqueue(s, 'r2', [T('b'), T('c')]);
    s = enqueue(s, 'r1', [T('a')]);
    expect(s.queue.map((q) => `${q.request}:${q.table.name}`)).toEqual(['r1:a', 'r1:b', 'r2:c']);
    s = chunkPublished(s, ['10'], 10);
    expect(s.queue[0]).toMatchObject({ after: ['10'], rows: 10 });
    s = chunkPublished(s, null, 5);
    expect(s.completed).toEqual([]);
    s = skipHead(s);
    expect(s.completed).toEqual(['r1']);
    expect(requestStatus(s, 'r2', new Map()).phase).toBe('running');
    s = chunkPublished(s, null, 0);
    expect(s).toEqual({ queue: [], completed: ['r1', 'r2'] });
    expect(requestStatus(s, 'r2', new Map()).phase).toBe('done');
    expect(requestStatus(s, 'r3', new Map()).phase).toBe('waiting');
    // A request whose tables are all queued already completes with them.
    expect(enqueue(enqueue(emptyBackfillState(), 'r1', [T('a')]), 'r2', [T('a')]).completed).toEqual(['r2']);
  });

  it('round-trips any state', () => {
    const entry = fc.record({
      table: fc.record({ namespace: fc.string({ minLength: 1 }), name: fc.string({ minLength: 1 }) }),
      after: fc.option(fc.array(fc.string(), { minLength: 1, maxLength: 3 }), { nil: null }),
      rows: fc.nat(),
      request: fc.uuid(),
    });
    fc.assert(fc.property(fc.array(entry, { minLength: 1, maxLength: 4 }), fc.array(fc.uuid(), { maxLength: 3 }), (queue, completed) => {
      expect(decodeBackfillState(encodeBackfillState({ queue, completed }))).toEqual({ queue, completed });
    }));
  });
});

describe('backfill keys and signals', () => {
  it('spells keys of canonical values so that equal values (bigint, bytes) compare equal and different ones do not', () => {
    expect(keyText({ id: 5n, x: 1 }, ['id'])).toBe(keyText({ id: 5n, y: 2 }, ['id']));
    expect(keyText({ id: 5n }, ['id'])).not.toBe(keyText({ id: '5' }, ['id']));
    expect(keyText({ k: Buffer.from('ab') }, ['k'])).toBe(keyText({ k: new Uint8Array([0x61, 0x62]) }, ['k']));
    expect(keyText({ a: 'x', b: 1n }, ['a', 'b'])).not.toBe(keyText({ a: 'x', b: 2n }, ['a', 'b']));
  });

  it('reads execute-snapshot data (Debezium shape) and says what is wrong with bad data', () => {
    expect(parseExecuteSnapshotData('{"data-collections":["public.orders"],"connector":"shop"}')).toEqual({ tables: [{ namespace: 'public', name: 'orders' }], connector: 'shop' });
    expect(parseExecuteSnapshotData('{"data-collections":["shop.items"]}').connector).toBeNull();
    expect(() => parseExecuteSnapshotData('nope')).toThrow(/not JSON/);
    expect(() => parseExecuteSnapshotData('{"data-collections":["orders"]}')).toThrow(/namespace.table/);
  });
});
