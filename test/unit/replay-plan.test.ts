import { describe, expect, it } from 'vitest';
import type { TableSchema } from '../../src/model/table-schema.js';
import type { Row } from '../../src/model/change-event.js';
import { EventEncoder, type Envelope } from '../../src/events/event-encoder.js';
import { SchemaCatalog } from '../../src/schema/schema-catalog.js';
import { singleObjectWire } from '../../src/schema/wire-format.js';
import { tableTopic } from '../../src/events/topic-names.js';
import { planTopic } from '../../src/replay/replay-plan.js';
import { TableApplier } from '../../src/replay/table-applier.js';
import type { ReplayStep, ReplayTarget } from '../../src/replay/replay-target.js';
import type { DecodedEntityEvent } from '../../src/events/event-decoder.js';

const v1: TableSchema = {
  id: { namespace: 'public', name: 'orders' },
  columns: [
    { name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' },
    { name: 'note', type: { kind: 'string' }, nullable: true, sourceType: 'text' },
  ],
  key: ['id'],
};
const v2: TableSchema = { ...v1, columns: [v1.columns[0]!, { name: 'coupon', type: { kind: 'string' }, nullable: true, sourceType: 'text' }] };
const topic = tableTopic('shop', v1.id);

async function schemasOf(envelope: Envelope, ...versions: TableSchema[]) {
  const catalog = new SchemaCatalog('allow');
  const encoder = new EventEncoder({ topicPrefix: 'shop', envelope, source: { connector: 'postgresql', database: 'shop', version: 't' }, catalog, wire: singleObjectWire });
  for (const v of versions) await encoder.prepare(v, async () => {});
  return catalog.entries();
}

describe('replay: the plan of a topic', () => {
  it('lists the table versions oldest first, each with the key', async () => {
    const plan = planTopic(topic, await schemasOf('entity', v1, v2));
    expect(plan.versions.map((v) => v.columns.map((c) => c.name))).toEqual([['id', 'note'], ['id', 'coupon']]);
    expect(plan.versions.map((v) => v.key)).toEqual([['id'], ['id']]);
  });

  it('plans a table without a key with an empty key (its topic is a change log)', async () => {
    const plan = planTopic(topic, await schemasOf('entity', { ...v1, key: [] }));
    expect(plan.versions.map((v) => v.key)).toEqual([[]]);
  });

  it('refuses the debezium and key-only envelopes in one line each', async () => {
    expect(() => planTopic(topic, [])).toThrow(`no schema of topic ${topic} is in the schema topic`);
    await expect(schemasOf('debezium', v1).then((e) => planTopic(topic, e))).rejects.toThrow(`topic ${topic} uses the debezium envelope: replay reads the entity envelope only (envelope: entity)`);
    await expect(schemasOf('key-only', v1).then((e) => planTopic(topic, e))).rejects.toThrow(`topic ${topic} uses the key-only envelope`);
  });
});

/** A target that records what it is asked to do (the batching is what is under test, not a database). */
function recordingTarget() {
  const calls: Array<{ ensure: string[]; dropped: readonly string[] } | { apply: string[]; steps: ReplayStep[] }> = [];
  const target: ReplayTarget = {
    check: async () => {},
    ensureTable: async (t, dropped) => { calls.push({ ensure: t.columns.map((c) => c.name), dropped }); },
    apply: async (t, steps) => { calls.push({ apply: t.columns.map((c) => c.name), steps: steps.map((s) => (s.kind === 'changes' ? { ...s, deletes: [...s.deletes], upserts: [...s.upserts] } : s.kind === 'row-log' ? { ...s, changes: [...s.changes] } : s)) }); },
    finishTable: async () => {},
    close: async () => {},
  };
  return { target, calls };
}

describe('replay: applying a table\'s events in batches', () => {
  const row = (table: TableSchema, r: Row): DecodedEntityEvent => ({ kind: 'row', op: 'c', table, key: { id: r.id }, row: r, position: '' });
  const tombstone = (id: bigint): DecodedEntityEvent => ({ kind: 'tombstone', op: 'd', table: null, key: { id }, position: '' });
  const truncate: DecodedEntityEvent = { kind: 'truncate', op: 't', table: 'public.orders', position: '' };
  const key = (id: bigint) => Buffer.from(`k${id}`);

  it('keeps the last change of each key, closes the changes at a truncate, and reshapes the table at a new version', async () => {
    const { target, calls } = recordingTarget();
    const plan = { topic, versions: [v1, v2] };
    const applier = new TableApplier(plan, target, 'postgres', 100, () => {});
    const t1 = { ...v1, key: [] };
    const t2 = { ...v2, key: [] };
    await applier.add(row(t1, { id: 1n, note: 'a' }), key(1n));
    await applier.add(row(t1, { id: 2n, note: 'b' }), key(2n));
    await applier.add(row(t1, { id: 1n, note: 'a2' }), key(1n));
    await applier.add(tombstone(2n), key(2n));
    await applier.add(truncate, key(0n));
    await applier.add(row(t1, { id: 3n, note: 'c' }), key(3n));
    await applier.add(row(t2, { id: 3n, coupon: 'X' }), key(3n));
    await applier.finish();
    expect(calls).toEqual([
      { ensure: ['id', 'note'], dropped: [] },
      { apply: ['id', 'note'], steps: [
        { kind: 'changes', deletes: [{ id: 2n }], upserts: [{ id: 1n, note: 'a2' }] },
        { kind: 'truncate' },
        { kind: 'changes', deletes: [], upserts: [{ id: 3n, note: 'c' }] },
      ] },
      { ensure: ['id', 'coupon'], dropped: ['note'] },
      { apply: ['id', 'coupon'], steps: [{ kind: 'changes', deletes: [], upserts: [{ id: 3n, coupon: 'X' }] }] },
    ]);
  });

  it('refuses a record without a key in a keyed table\'s topic (the table got its primary key later)', async () => {
    const { target } = recordingTarget();
    const applier = new TableApplier({ topic, versions: [v1] }, target, 'postgres', 100, () => {});
    await expect(applier.add({ ...row({ ...v1, key: [] }, { id: 1n, note: 'a' }), position: 'p1' }, null)).rejects.toThrow(`topic ${topic}: the record at p1 has no key, later ones have one`);
  });

  it('writes a batch every batchSize events, in order', async () => {
    const { target, calls } = recordingTarget();
    const applier = new TableApplier({ topic, versions: [v1] }, target, 'postgres', 2, () => {});
    const t1 = { ...v1, key: [] };
    for (const id of [1n, 2n, 3n]) await applier.add(row(t1, { id, note: null }), key(id));
    await applier.finish();
    expect(calls.filter((c) => 'apply' in c).map((c) => ('apply' in c ? c.steps : []))).toEqual([
      [{ kind: 'changes', deletes: [], upserts: [{ id: 1n, note: null }, { id: 2n, note: null }] }],
      [{ kind: 'changes', deletes: [], upserts: [{ id: 3n, note: null }] }],
    ]);
  });

  describe('a table without a key', () => {
    const keyless = { ...v1, key: [] };
    const change = (op: 'c' | 'u' | 'd' | 'r', r: Row, position: string): DecodedEntityEvent => ({ kind: 'row', op, table: keyless, key: null, row: r, position });

    it('empties the target first, then applies every change in order: an update as its old row removed and its new row added', async () => {
      const { target, calls } = recordingTarget();
      const applier = new TableApplier({ topic, versions: [keyless] }, target, 'postgres', 100, () => {});
      const dup = { id: 1n, note: 'dup' };
      await applier.add(change('r', dup, 's'), null);
      await applier.add(change('c', dup, 'p1'), null);
      await applier.add(change('d', dup, 'p2'), null);
      await applier.add(change('u', { id: 1n, note: 'changed' }, 'p2'), null);
      await applier.add(truncate, null);
      await applier.add(change('c', dup, 'p3'), null);
      await applier.add(change('d', dup, 'p4'), null);
      await applier.finish();
      expect(calls).toEqual([
        { ensure: ['id', 'note'], dropped: [] },
        { apply: ['id', 'note'], steps: [
          { kind: 'truncate' },
          { kind: 'row-log', changes: [{ op: 'insert', row: dup }, { op: 'insert', row: dup }, { op: 'delete', row: dup }, { op: 'insert', row: { id: 1n, note: 'changed' } }] },
          { kind: 'truncate' },
          { kind: 'row-log', changes: [{ op: 'insert', row: dup }, { op: 'delete', row: dup }] },
        ] },
      ]);
    });

    it('empties the target of an empty topic too', async () => {
      const { target, calls } = recordingTarget();
      await new TableApplier({ topic, versions: [keyless] }, target, 'postgres', 100, () => {}).finish();
      expect(calls).toEqual([{ ensure: ['id', 'note'], dropped: [] }, { apply: ['id', 'note'], steps: [{ kind: 'truncate' }] }]);
    });

    it('refuses an update without its old row just before it (a topic written before old rows were published)', async () => {
      const { target } = recordingTarget();
      const applier = new TableApplier({ topic, versions: [keyless] }, target, 'postgres', 100, () => {});
      await applier.add(change('c', { id: 1n, note: 'a' }, 'p1'), null);
      await expect(applier.add(change('u', { id: 1n, note: 'b' }, 'p2'), null)).rejects.toThrow(`topic ${topic}: the update at p2 of a table without a key carries no old row`);
    });
  });
});
