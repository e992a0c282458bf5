import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';
import { TopicRouter } from '../../src/routing/topic-router.js';

const dir = mkdtempSync(join(tmpdir(), 'logtap-routing-'));
let n = 0;
const configWith = (extra: string) => {
  const path = join(dir, `c${n++}.yaml`);
  writeFileSync(path, `name: shop\nsource:\n  url: postgres://u@h/db\nkafka:\n  brokers: [b:1]\ntopicPrefix: pfx\n${extra}`);
  return path;
};
const loadError = (extra: string): string => {
  try {
    loadConfig({ file: configWith(extra), env: {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('topic names and routes', () => {
  it('names a table by the default template, then by topics.name with every placeholder', () => {
    expect(new TopicRouter('pfx').route({ namespace: 'public', name: 'orders' })).toEqual({ topic: 'pfx.public.orders', sourceInKey: false });
    const router = new TopicRouter('pfx', { name: 'cdc-{database}_{table}.{prefix}-{schema}' });
    expect(router.route({ namespace: 'shop', name: 'orders' }).topic).toBe('cdc-shop_orders.pfx-shop');
  });

  it('takes the first matching route, matched over the whole namespace.table, with its capture groups', () => {
    const router = new TopicRouter('pfx', {
      routes: [
        { match: 'shop_\\d+\\.(orders|items)', topic: '{prefix}.shop.$1' },
        { match: 'shop_1\\.orders', topic: 'never' },
        { match: 'audit\\..*', topic: 'audit.{table}', uniqueKeys: true },
      ],
    });
    expect(router.route({ namespace: 'shop_1', name: 'orders' })).toEqual({ topic: 'pfx.shop.orders', sourceInKey: true });
    expect(router.route({ namespace: 'shop_22', name: 'orders' })).toEqual({ topic: 'pfx.shop.orders', sourceInKey: true });
    expect(router.route({ namespace: 'shop_2', name: 'items' })).toEqual({ topic: 'pfx.shop.items', sourceInKey: true });
    // Whole match only: a longer name falls through to topics.name.
    expect(router.route({ namespace: 'shop_1', name: 'orders_old' })).toEqual({ topic: 'pfx.shop_1.orders_old', sourceInKey: false });
    expect(router.route({ namespace: 'audit', name: 'log' })).toEqual({ topic: 'audit.log', sourceInKey: false });
  });

  it('refuses two tables in one topic unless a route sends them there, and routes that disagree on the key', () => {
    const byName = new TopicRouter('pfx', { name: '{prefix}.{table}' });
    byName.route({ namespace: 'a', name: 'orders' });
    expect(() => byName.route({ namespace: 'b', name: 'orders' })).toThrow(/tables a\.orders and b\.orders both get topic pfx\.orders from topics\.name/);
    // The same table again is fine.
    expect(byName.route({ namespace: 'a', name: 'orders' }).topic).toBe('pfx.orders');

    const mixed = new TopicRouter('pfx', { routes: [{ match: 'a\\.t', topic: 'x' }, { match: 'b\\.t', topic: 'x', uniqueKeys: true }] });
    mixed.route({ namespace: 'a', name: 't' });
    expect(() => mixed.route({ namespace: 'b', name: 't' })).toThrow(/disagree on uniqueKeys/);

    const intoTemplateTopic = new TopicRouter('pfx', { routes: [{ match: 'a\\.t', topic: 'pfx.b.t' }] });
    intoTemplateTopic.route({ namespace: 'b', name: 't' });
    expect(() => intoTemplateTopic.route({ namespace: 'a', name: 't' })).toThrow(/both get topic pfx\.b\.t/);
  });

  it('topicOf answers without remembering (readers)', () => {
    const router = new TopicRouter('pfx', { name: '{prefix}.{table}' });
    expect(router.topicOf({ namespace: 'a', name: 't' })).toBe('pfx.t');
    expect(router.topicOf({ namespace: 'b', name: 't' })).toBe('pfx.t');
  });

  it('loads topics.name and topics.routes with their defaults', () => {
    const c = loadConfig({ file: configWith('topics:\n  routes:\n    - match: "shop_(\\\\d+)\\\\.orders"\n      topic: "x.orders"\n'), env: {} });
    expect(c.topics).toEqual({ partitions: 1, name: '{prefix}.{schema}.{table}', routes: [{ match: 'shop_(\\d+)\\.orders', topic: 'x.orders', uniqueKeys: false }] });
  });

  it('refuses bad templates and regular expressions at load, one line each naming the key', () => {
    expect(loadError('topics:\n  name: "{prefix}.{tabel}"\n')).toMatch(/^topics\.name in .*: unknown placeholder \{tabel\} in "\{prefix\}\.\{tabel\}": expected \{prefix\}, \{schema\}, \{database\}, \{table\}/);
    expect(loadError('topics:\n  name: "{prefix}.{schema}"\n')).toMatch(/^topics\.name in .*: must contain \{table\}/);
    expect(loadError('topics:\n  name: "{prefix}.$1.{table}"\n')).toMatch(/^topics\.name in .*: \$1 in .*capture groups exist only in a route's topic/);
    expect(loadError('topics:\n  name: "{prefix} {table}"\n')).toMatch(/^topics\.name in .*: .*characters a Kafka topic name cannot hold/);
    expect(loadError('topics:\n  routes:\n    - { match: "shop_(\\\\d+", topic: x }\n')).toMatch(/^topics\.routes\.0\.match in .*: not a valid regular expression/);
    expect(loadError('topics:\n  routes:\n    - { match: "shop_(\\\\d+)\\\\.t", topic: "x.$2" }\n')).toMatch(/^topics\.routes\.0\.topic in .*: \$2 in "x\.\$2": the route's match has 1 capture group/);
    expect(loadError('topics:\n  routes:\n    - { match: "a\\\\.t", topic: "x.$1" }\n')).toMatch(/^topics\.routes\.0\.topic in .*: \$1 in "x\.\$1": the route's match has no capture group/);
    expect(loadError('topics:\n  routes:\n    - { match: "a\\\\.t", topic: "x.{aggregateType}" }\n')).toMatch(/^topics\.routes\.0\.topic in .*: unknown placeholder \{aggregateType\}/);
    expect(loadError('topics:\n  routes:\n    - { match: "a", topic: "x", unique: true }\n')).toMatch(/^unknown setting topics\.routes\.0\.unique/);
    expect(loadError('envelope: debezium\ntopics:\n  routes:\n    - { match: "a\\\\..*", topic: "x" }\n')).toMatch(/^topics\.routes\.0\.uniqueKeys in .*: envelope debezium keeps Debezium's key/);
  });

  it('refuses bad outbox tables at load', () => {
    expect(loadError('outbox:\n  tables:\n    - { table: outbox }\n')).toMatch(/^outbox\.tables\.0\.table in .*: expected namespace\.table/);
    expect(loadError('outbox:\n  tables:\n    - { table: public.outbox, topic: "{prefix}.{aggregate}" }\n')).toMatch(/^outbox\.tables\.0\.topic in .*: unknown placeholder \{aggregate\} .*expected \{prefix\}, \{aggregateType\}/);
    expect(loadError('outbox:\n  tables:\n    - { table: public.outbox }\n    - { table: public.outbox }\n')).toMatch(/^outbox\.tables\.1\.table in .*: public\.outbox is listed twice/);
    expect(loadError('outbox:\n  tables:\n    - { table: public.outbox, columns: { aggregate: x } }\n')).toMatch(/^unknown setting outbox\.tables\.0\.columns\.aggregate/);
  });

  it('fills an outbox table\'s defaults (Debezium\'s column names)', () => {
    const c = loadConfig({ file: configWith('outbox:\n  tables:\n    - table: public.outbox\n'), env: {} });
    expect(c.outbox).toEqual({
      enabled: false, prefix: 'logtap.outbox',
      tables: [{ table: 'public.outbox', columns: { id: 'id', aggregateType: 'aggregatetype', aggregateId: 'aggregateid', eventType: 'type', payload: 'payload' }, topic: '{prefix}.outbox.{aggregateType}', deleteAfterCapture: false }],
    });
  });
});
