import { afterAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { TopicManager } from '../../src/kafka/topic-manager.js';
import { LogtapError } from '../../src/errors.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';

// TopicManager.ensureAll: the topics of many tables in a few admin requests (a database of thousands of tables).
describe('TopicManager.ensureAll', () => {
  const { kafkaBrokers } = testBed();
  const kafka = createKafka({ brokers: kafkaBrokers }, 'test');
  const created: string[] = [];

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: created }).catch(() => {});
    await admin.disconnect();
  });

  it('creates more topics than one request holds, each with its settings, and returns their partitions in order', { timeout: 120_000 }, async () => {
    const prefix = uniqueName('batch');
    const requests = Array.from({ length: 230 }, (_, i) => ({
      topic: `${prefix}.t${i}`,
      // Every 50th: a keyless table's change log (one partition, keeps everything); the others compacted, 2 partitions.
      settings: i % 50 === 0 ? { partitions: 1, compacted: false, keepAll: true } : { partitions: 2, compacted: true },
    }));
    created.push(...requests.map((r) => r.topic));
    const partitions = await new TopicManager(kafka, prefix).ensureAll(requests);
    expect(partitions).toEqual(requests.map((r) => r.settings.partitions));

    const admin = kafka.admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: requests.map((r) => r.topic) });
      const counts = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
      expect(requests.map((r) => counts.get(r.topic))).toEqual(requests.map((r) => r.settings.partitions));
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [0, 1].map((i) => ({ type: 2, name: requests[i]!.topic, configNames: ['cleanup.policy', 'retention.ms'] })) });
      const config = (topic: string, name: string) => described.resources.find((r) => r.resourceName === topic)!.configEntries.find((e) => e.configName === name)!.configValue;
      expect([config(requests[0]!.topic, 'cleanup.policy'), config(requests[0]!.topic, 'retention.ms')]).toEqual(['delete', '-1']);
      expect(config(requests[1]!.topic, 'cleanup.policy')).toBe('compact');
    } finally {
      await admin.disconnect();
    }

    // A new manager (a restart) finds them all existing: their own partition counts come back, nothing is created.
    const again = await new TopicManager(kafka, prefix).ensureAll([...requests].reverse().map((r) => ({ topic: r.topic, settings: { ...r.settings, partitions: 5 } })));
    expect(again).toEqual([...requests].reverse().map((r) => r.settings.partitions));
  });

  it('creates topics ahead without waiting, and ensureAll then returns once the ones asked for have leaders', { timeout: 120_000 }, async () => {
    const prefix = uniqueName('ahead');
    const requests = Array.from({ length: 230 }, (_, i) => ({ topic: `${prefix}.t${i}`, settings: { partitions: 2, compacted: true } }));
    // One exists already with settings that cannot hold a table: creating ahead leaves it to ensureAll's check.
    const deleting = `${prefix}.deleting`;
    created.push(...requests.map((r) => r.topic), deleting);
    await new TopicManager(kafka, prefix).ensureAll([{ topic: deleting, settings: { partitions: 1, compacted: false } }]);

    const manager = new TopicManager(kafka, prefix);
    manager.createAhead([...requests, { topic: deleting, settings: { partitions: 1, compacted: true } }]);
    expect(await manager.ensureAll(requests.slice(0, 10))).toEqual(Array(10).fill(2));
    const admin = kafka.admin();
    await admin.connect();
    try {
      // Ready to be written to: every partition of the first ten has a leader.
      const { topics } = await admin.fetchTopicMetadata({ topics: requests.slice(0, 10).map((r) => r.topic) });
      expect(topics.map((t) => t.partitions.filter((p) => p.leader >= 0).length)).toEqual(Array(10).fill(2));
    } finally {
      await admin.disconnect();
    }
    expect(await manager.ensureAll(requests)).toEqual(Array(230).fill(2));
    const error = await manager.ensureAll([{ topic: deleting, settings: { partitions: 1, compacted: true } }]).then(() => null, (err: unknown) => err);
    expect((error as LogtapError).code).toBe('TOPIC_CONFIG');
  });

  it('refuses an existing topic whose settings cannot hold the table, naming it, among topics that can', { timeout: 60_000 }, async () => {
    const prefix = uniqueName('batchconflict');
    const fine = `${prefix}.fine`;
    const deleting = `${prefix}.deleting`;
    created.push(fine, deleting);
    await new TopicManager(kafka, prefix).ensureAll([{ topic: deleting, settings: { partitions: 1, compacted: false } }]);
    const error = await new TopicManager(kafka, prefix).ensureAll([
      { topic: fine, settings: { partitions: 1, compacted: true } },
      { topic: deleting, settings: { partitions: 1, compacted: true, table: 'public.orders' } },
    ]).then(() => null, (err: unknown) => err);
    expect(error).toBeInstanceOf(LogtapError);
    expect((error as LogtapError).code).toBe('TOPIC_CONFIG');
    expect((error as Error).message).toContain(`topic ${deleting} of table public.orders deletes records`);
  });
});
