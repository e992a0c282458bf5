import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import { EventEncoder } from '../../src/events/event-encoder.js';
import { EntityEventDecoder } from '../../src/events/event-decoder.js';
import { SchemaCatalog, type SchemaEntry } from '../../src/schema/schema-catalog.js';
import { singleObjectWire } from '../../src/schema/wire-format.js';
import { SOURCE_TABLE_KEY_FIELD, TopicRouter, type TopicRouteConfig } from '../../src/routing/topic-router.js';
import { mergedTopicTables, planTopic } from '../../src/replay/replay-plan.js';

const shard = (namespace: string): TableSchema => ({
  id: { namespace, name: 'orders' },
  columns: [
    { name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' },
    { name: 'note', type: { kind: 'string' }, nullable: true, sourceType: 'text' },
  ],
  key: ['id'],
});
const insert = (table: TableSchema, id: bigint, note: string): ChangeEvent => ({ table, op: 'c', after: { id, note }, position: { token: '0/1', display: '0/1' }, snapshot: false });

function setup(routes: TopicRouteConfig[]) {
  const entries: SchemaEntry[] = [];
  const encoder = new EventEncoder({
    topicPrefix: 'pfx', topics: new TopicRouter('pfx', { routes }), envelope: 'entity',
    source: { connector: 'postgresql', database: 'db', version: 't' }, catalog: new SchemaCatalog('fail'), wire: singleObjectWire,
  });
  const publish = async (e: SchemaEntry) => void entries.push(e);
  const decoder = new EntityEventDecoder((ref) => ('fingerprintHex' in ref ? entries.find((e) => e.fingerprintHex === ref.fingerprintHex)?.schema : undefined));
  return { encoder, entries, publish, decoder };
}

describe('tables routed into one topic', () => {
  it('puts the source table first into the key and into the logtap.table header: equal ids of two shards are two keys', async () => {
    const { encoder, entries, publish, decoder } = setup([{ match: 'shop_\\d+\\.orders', topic: 'x.orders' }]);
    const [a, b] = [shard('shop_1'), shard('shop_2')];
    await encoder.prepare(a, publish);
    await encoder.prepare(b, publish);
    const [ra] = encoder.encode(insert(a, 1n, 'from 1'));
    const [rb] = encoder.encode(insert(b, 1n, 'from 2'));
    expect([ra!.topic, rb!.topic]).toEqual(['x.orders', 'x.orders']);
    expect(ra!.key!.equals(rb!.key!)).toBe(false);
    expect([ra!.headers['logtap.table'], rb!.headers['logtap.table']]).toEqual(['shop_1.orders', 'shop_2.orders']);
    expect(await decoder.decode(ra!)).toMatchObject({ key: { [SOURCE_TABLE_KEY_FIELD]: 'shop_1.orders', id: 1n }, row: { id: 1n, note: 'from 1' } });
    expect(await decoder.decode(rb!)).toMatchObject({ key: { [SOURCE_TABLE_KEY_FIELD]: 'shop_2.orders', id: 1n }, row: { id: 1n, note: 'from 2' } });
    // Same shape: one key and one value schema serve both shards.
    expect(entries.filter((e) => e.subject.startsWith('x.orders')).map((e) => [e.subject, e.version])).toEqual([['x.orders-key', 1], ['x.orders-value', 1]]);
    // Replay refuses to rebuild a shared topic.
    expect(mergedTopicTables('x.orders', entries)).toEqual(['shop_1.orders']);
    expect(() => planTopic('x.orders', entries)).toThrow(/topic x\.orders holds several tables .*replay rebuilds one table per topic/);
  });

  it('keeps the key as it is with uniqueKeys: true (and no logtap.table header)', async () => {
    const { encoder, publish, decoder } = setup([{ match: 'shop_\\d+\\.orders', topic: 'x.orders', uniqueKeys: true }]);
    const a = shard('shop_1');
    await encoder.prepare(a, publish);
    const [r] = encoder.encode(insert(a, 5n, 'n'));
    expect(r!.headers['logtap.table']).toBeUndefined();
    const decoded = await decoder.decode(r!);
    expect(decoded.kind === 'row' ? decoded.key : null).toEqual({ id: 5n });
  });

  it('refuses a table whose key column bears the source-table field\'s name', async () => {
    const { encoder, publish } = setup([{ match: '.*', topic: 'x.all' }]);
    const odd: TableSchema = { ...shard('s'), columns: [...shard('s').columns, { name: SOURCE_TABLE_KEY_FIELD, type: { kind: 'string' }, nullable: true, sourceType: 'text' }] };
    await expect(encoder.prepare(odd, publish)).rejects.toThrow(/has a column named __logtap_source_table/);
  });
});
