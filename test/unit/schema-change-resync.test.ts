import { describe, expect, it } from 'vitest';
import { SchemaChangeResync, type ResyncBackfill, type ResyncMode } from '../../src/schema-changes/schema-change-resync.js';
import type { SchemaChange } from '../../src/schema-changes/schema-change.js';
import type { SourceHandler } from '../../src/source/source-connector.js';
import type { Logger } from '../../src/logger.js';
import type { TableId } from '../../src/model/table-schema.js';
import { emptyBackfillState, enqueueAgain, chunkPublished, decodeBackfillState } from '../../src/backfill/backfill-state.js';
import { OnlineBackfill } from '../../src/backfill/online-backfill.js';
import { type BackfillSource, BackfillUnavailableError, type SignalRow } from '../../src/backfill/backfill-source.js';
import type { ChangeEvent } from '../../src/model/change-event.js';
import { silentLogger } from '../../src/logger.js';
import { SchemaCatalog } from '../../src/schema/schema-catalog.js';
import { DaemonMetrics } from '../../src/ops/daemon-metrics.js';

const T: TableId = { namespace: 'shop', name: 'items' };
const rewrite: SchemaChange = { table: T, rewritesRows: true, reason: 'volatile-default', columns: ['created'], statement: 'ALTER TABLE items ADD created timestamp DEFAULT CURRENT_TIMESTAMP' };

function recordingLog(lines: Array<{ level: string; fields: Record<string, unknown>; msg: string }>): Logger {
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => { lines.push({ level, fields, msg }); };
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log } as unknown as Logger;
  return log;
}

function setUp(mode: ResyncMode, withBackfill = true) {
  const requested: Array<[string, string]> = [];
  const forwarded: SchemaChange[] = [];
  const counted: string[][] = [];
  const resynced: string[] = [];
  const lines: Array<{ level: string; fields: Record<string, unknown>; msg: string }> = [];
  const pipeline: SourceHandler = { onChange() {}, onCommit() {}, onHeartbeat() {}, onSchemaChange(c) { forwarded.push(c); } };
  const backfill: ResyncBackfill = {
    requestAgain(table, request) { requested.push([`${table.namespace}.${table.name}`, request]); },
    wrap: (downstream) => downstream,
    checkpointState: () => 'state',
  };
  const resync = new SchemaChangeResync({
    mode, backfill: withBackfill ? backfill : undefined, log: recordingLog(lines),
    metrics: { schemaChangeResync: (...args) => { counted.push(args); } },
    onResync: (table) => { resynced.push(table.name); },
  });
  return { handler: resync.wrap(pipeline, 'stream'), resync, requested, forwarded, counted, resynced, lines };
}

describe('schema-change resync policy', () => {
  it('auto: queues the table for a new backfill pass, logs what and why, counts it, and lets the pipeline checkpoint the request', async () => {
    const s = setUp('auto');
    await s.handler.onSchemaChange!(rewrite);
    expect(s.requested).toHaveLength(1);
    expect(s.requested[0]![0]).toBe('shop.items');
    expect(s.requested[0]![1]).toMatch(/^resync-[0-9a-f-]{36}$/);
    expect(s.resynced).toEqual(['items']);
    expect(s.forwarded).toEqual([rewrite]);
    expect(s.counted).toEqual([['shop.items', 'volatile-default', 'resync']]);
    const [line] = s.lines.filter((l) => l.level === 'info');
    expect(line!.fields).toMatchObject({ table: 'shop.items', reason: 'volatile-default', columns: ['created'], statement: rewrite.statement, resync: 'auto' });
    expect(s.resync.checkpointState()).toBe('state');
  });

  it('warn: logs a warning and counts it, queues nothing', async () => {
    const s = setUp('warn');
    await s.handler.onSchemaChange!(rewrite);
    expect(s.requested).toEqual([]);
    expect(s.forwarded).toEqual([]);
    expect(s.counted).toEqual([['shop.items', 'volatile-default', 'warn']]);
    expect(s.lines.filter((l) => l.level === 'warn').map((l) => l.fields.table)).toEqual(['shop.items']);
  });

  it('off: nothing at all', async () => {
    const s = setUp('off');
    await s.handler.onSchemaChange!(rewrite);
    expect([s.requested, s.forwarded, s.counted, s.lines.filter((l) => l.level !== 'debug')]).toEqual([[], [], [], []]);
  });

  it('a change that rewrote no rows is no resync; a source without backfills reports it as unavailable', async () => {
    const s = setUp('auto');
    await s.handler.onSchemaChange!({ table: T, rewritesRows: false, columns: ['c'] });
    expect([s.requested, s.counted]).toEqual([[], []]);
    const none = setUp('auto', false);
    await none.handler.onSchemaChange!(rewrite);
    expect(none.counted).toEqual([['shop.items', 'volatile-default', 'unavailable']]);
    expect(none.lines.filter((l) => l.level === 'error')).toHaveLength(1);
  });

  it('a pass under way is followed by a new one; a queued pass not yet begun is enough', () => {
    const other: TableId = { namespace: 'shop', name: 'other' };
    let state = enqueueAgain(emptyBackfillState(), 'r1', T);
    expect(state.queue.map((q) => q.request)).toEqual(['r1']);
    // The head may have a window open with rows read before the DDL: a new pass.
    state = enqueueAgain(state, 'r2', T);
    expect(state.queue.map((q) => q.request)).toEqual(['r1', 'r2']);
    // r2's pass waits behind r1's and reads the rows after this DDL too.
    state = enqueueAgain(state, 'r3', T);
    expect(state.queue.map((q) => q.request)).toEqual(['r1', 'r2']);
    expect(state.completed).toEqual(['r3']);
    state = enqueueAgain(enqueueAgain(emptyBackfillState(), 'a', other), 'b', T);
    state = chunkPublished(state, ['9'], 9);
    expect(enqueueAgain(state, 'c', other).queue.map((q) => q.request)).toEqual(['a', 'b', 'c']);
  });
});

describe('the schema catalog during a resync', () => {
  it('takes one incompatible next version per subject of a republished table, and refuses it otherwise', () => {
    const v1 = { type: 'record', name: 'items', fields: [{ name: 'c', type: 'int' }] };
    const v2 = { type: 'record', name: 'items', fields: [{ name: 'c', type: 'string' }] };
    const v3 = { type: 'record', name: 'items', fields: [{ name: 'c', type: 'boolean' }] };
    const refusing = new SchemaCatalog('fail');
    refusing.register('p.shop.items-value', v1, 'shop.items');
    expect(() => refusing.register('p.shop.items-value', v2, 'shop.items')).toThrow(/cannot read records of version 1/);

    const catalog = new SchemaCatalog('fail');
    catalog.register('p.shop.items-value', v1, 'shop.items');
    catalog.allowIncompatibleOnce('shop.items');
    expect(catalog.register('p.shop.items-value', v2, 'shop.items').entry.version).toBe(2);
    expect(() => catalog.register('p.shop.items-value', v3, 'shop.items')).toThrow(/cannot read records of version 2/);

    // A compatible next version uses the permission up too: a later incompatible change is refused.
    const later = new SchemaCatalog('fail');
    later.register('p.shop.items-value', v1, 'shop.items');
    later.allowIncompatibleOnce('shop.items');
    const added = { type: 'record', name: 'items', fields: [{ name: 'c', type: 'int' }, { name: 'd', type: ['null', 'int'], default: null }] };
    expect(later.register('p.shop.items-value', added, 'shop.items').entry.version).toBe(2);
    expect(() => later.register('p.shop.items-value', v2, 'shop.items')).toThrow(/cannot read records of version 2/);
  });
});

describe('the resync metric', () => {
  it('counts resyncs by table, reason and action', async () => {
    const m = new DaemonMetrics('shop');
    m.schemaChangeResync('shop.items', 'volatile-default', 'resync');
    m.schemaChangeResync('shop.items', 'volatile-default', 'resync');
    m.schemaChangeResync('shop.items', 'column-type-changed', 'warn');
    const { body } = await m.text();
    expect(body.split('\n').filter((l) => l.startsWith('logtap_schema_change_resyncs_total{'))).toEqual([
      'logtap_schema_change_resyncs_total{table="shop.items",reason="volatile-default",action="resync",connector="shop"} 2',
      'logtap_schema_change_resyncs_total{table="shop.items",reason="column-type-changed",action="warn",connector="shop"} 1',
    ]);
  });
});

describe('an internal backfill over a log-message watermark channel', () => {
  const ITEMS = { id: T, columns: [{ name: 'id', type: { kind: 'long' as const }, nullable: false, sourceType: 'bigint' }], key: ['id'] };
  const pos = (n: number) => ({ token: `p${n}`, display: `p${n}` });

  function messageSource(open: () => Promise<void> = async () => {}) {
    const marks: SignalRow[] = [];
    const source: BackfillSource = {
      watermarks: 'log-message', takesRequests: false,
      async prepare() {},
      async open() {
        await open();
        return {
          async writeSignal() { throw new Error('no signal table'); },
          async writeWatermark(row) { marks.push(row); },
          async table() {
            return { schema: ITEMS, estimatedRows: 2, async readChunk() { return { rows: [{ id: 1n }, { id: 2n }], upTo: null }; } };
          },
          async close() {},
        };
      },
    };
    return { source, marks };
  }

  it('publishes the pass at the high watermark message, with no signal table', async () => {
    const { source, marks } = messageSource();
    const backfill = new OnlineBackfill({ source, connector: 'conn', checkpointed: null, chunkRows: 10, log: silentLogger });
    const events: ChangeEvent[] = [];
    const h = backfill.wrap({ onChange: (e) => { events.push(e); }, onCommit() {}, onHeartbeat() {} }, 'stream');
    backfill.requestAgain(T, 'resync-1');
    await h.onHeartbeat(pos(1));
    expect(marks.map((m) => m.type)).toEqual(['snapshot-window-open', 'snapshot-window-close']);
    await h.onWatermark!({ ...marks[0]!, position: pos(2) });
    await h.onWatermark!({ ...marks[1]!, position: pos(3) });
    expect(events.map((e) => [e.op, e.after, e.position.token])).toEqual([['r', { id: 1n }, 'p3'], ['r', { id: 2n }, 'p3']]);
    expect(decodeBackfillState(backfill.checkpointState())).toEqual({ queue: [], completed: ['resync-1'] });
  });

  it('a source that cannot carry watermarks drops the queued tables, loudly, and the stream goes on', async () => {
    const { source } = messageSource(async () => { throw new BackfillUnavailableError('cannot create the signal table'); });
    const lines: Array<{ level: string; fields: Record<string, unknown>; msg: string }> = [];
    const backfill = new OnlineBackfill({ source, connector: 'conn', checkpointed: null, chunkRows: 10, log: recordingLog(lines) });
    const h = backfill.wrap({ onChange() {}, onCommit() {}, onHeartbeat() {} }, 'stream');
    backfill.requestAgain(T, 'resync-1');
    await h.onHeartbeat(pos(1));
    expect(lines.filter((l) => l.level === 'error').map((l) => [l.fields.table, l.fields.problem])).toEqual([['shop.items', 'cannot create the signal table']]);
    expect(decodeBackfillState(backfill.checkpointState()).queue).toEqual([]);
  });
});
