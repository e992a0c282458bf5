import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Kafka } from 'kafkajs';
import { LogtapError } from '../errors.js';
import { kafkaError } from './kafka-errors.js';

export interface TopicSettings {
  partitions: number;
  replicationFactor?: number | undefined;
  /** A compacted topic keeps the latest record per key: the table. */
  compacted: boolean;
  /**
   * Every record is kept for ever (cleanup.policy=delete, retention.ms = retention.bytes = -1): the change log of
   * a table without a key, which Kafka cannot compact (it refuses records without a key on a compacted topic)
   * and which must keep every change to rebuild the table.
   */
  keepAll?: boolean;
  /** The table whose topic it is (`public.ledger`), for messages. */
  table?: string | undefined;
}

/** What an existing topic is configured with, as the broker reports it (broker defaults included). */
export interface TopicConfig {
  cleanupPolicy: string;
  retentionMs: string;
  retentionBytes: string;
  partitions: number;
}

// kafkajs is CommonJS and Node cannot see this export by name.
const { ConfigResourceTypes } = kafkajs;

const CHECKED_CONFIGS = ['cleanup.policy', 'retention.ms', 'retention.bytes'];

/**
 * Why an existing topic cannot hold what `settings` describe, as one line with the fix, or null when it can:
 * a compacted topic for a table without a key (the broker refuses its records), a topic that deletes old
 * records for a table (the topic is no longer the table, and a change log can no longer rebuild it), a
 * keyless change log spread over several partitions (its order is lost).
 */
export function topicConflict(topic: string, settings: TopicSettings, actual: TopicConfig): string | null {
  const of = settings.table ? `topic ${topic} of table ${settings.table}` : `topic ${topic}`;
  const policies = actual.cleanupPolicy.split(',').map((p) => p.trim());
  const deletes = policies.includes('delete') && (actual.retentionMs !== '-1' || actual.retentionBytes !== '-1');
  const retention = `retention.ms=${actual.retentionMs}${actual.retentionBytes !== '-1' ? `, retention.bytes=${actual.retentionBytes}` : ''}`;
  const alter = (configs: string) => `kafka-configs.sh --bootstrap-server <broker> --alter --entity-type topics --entity-name ${topic} --add-config ${configs}`;
  if (settings.keepAll) {
    if (policies.includes('compact')) {
      return `${of} is compacted (cleanup.policy=${actual.cleanupPolicy}) but the table has no primary key: Kafka refuses records without a key on a compacted topic; ` +
        `fix: ${alter('cleanup.policy=delete,retention.ms=-1,retention.bytes=-1')} (or delete the topic and let logtap create it), or add a primary key to the table`;
    }
    if (deletes) {
      return `${of} deletes records (cleanup.policy=${actual.cleanupPolicy}, ${retention}) but the table has no primary key: its topic is a change log that must keep every record to rebuild the table; ` +
        `fix: ${alter('retention.ms=-1,retention.bytes=-1')} (or delete the topic and let logtap create it)`;
    }
    if (actual.partitions > 1) {
      return `${of} has ${actual.partitions} partitions but the table has no primary key: without a key its changes cannot stay in order across partitions; ` +
        'fix: delete the topic and let logtap create it (one partition), or add a primary key to the table';
    }
    return null;
  }
  if (settings.compacted && deletes) {
    const lost = settings.table ? 'rows unchanged for longer are lost, so the topic is not the table' : 'what logtap keeps in it (schemas, checkpoints) is lost once unchanged for longer';
    return `${of} deletes records (cleanup.policy=${actual.cleanupPolicy}, ${retention}): ${lost}; ` +
      `fix: ${alter('cleanup.policy=compact')} (or retention.ms=-1,retention.bytes=-1 to keep every record)`;
  }
  return null;
}

/**
 * Creates the topics logtap writes to, once each, with the settings a table topic needs; a topic that
 * exists already is checked against them first (topicConflict), before anything is written to it.
 */
export class TopicManager {
  /** Partition count of each topic ensured so far. */
  private readonly known = new Map<string, number>();
  /** Topics asked for ahead (createAhead): the topics its creation request made, once it answered. */
  private readonly creating = new Map<string, Promise<ReadonlySet<string>>>();

  constructor(private readonly kafka: Kafka, private readonly connector: string) {}

  /** Returns how many partitions the topic has (an existing topic keeps its own count). */
  async ensure(topic: string, settings: TopicSettings): Promise<number> {
    return (await this.ensureAll([{ topic, settings }]))[0]!;
  }

  /**
   * Starts creating the topics that do not exist yet, in the order given, without waiting: a broker takes seconds
   * per few hundred new topics to bring them up, time that overlaps the reads of the tables before them (a
   * snapshot of thousands of tables). ensureAll still has the last word: it waits for a topic's creation and its
   * leaders, and checks (or creates) what this did not create — an existing topic, a failed request.
   */
  createAhead(requests: ReadonlyArray<{ topic: string; settings: TopicSettings }>): void {
    const todo = [...new Map(requests.filter((r) => !this.known.has(r.topic) && !this.creating.has(r.topic)).map((r) => [r.topic, r])).values()];
    if (todo.length === 0) return;
    const chunks: Array<typeof todo> = [];
    for (let from = 0; from < todo.length; from += TOPICS_PER_REQUEST) chunks.push(todo.slice(from, from + TOPICS_PER_REQUEST));
    const answers: Array<(created: ReadonlySet<string>) => void> = [];
    for (const chunk of chunks) {
      const answer = new Promise<ReadonlySet<string>>((resolve) => answers.push(resolve));
      for (const { topic } of chunk) this.creating.set(topic, answer);
    }
    void (async () => {
      const admin = this.kafka.admin();
      let answered = 0;
      try {
        await admin.connect();
        const existing = new Set(await admin.listTopics());
        for (const chunk of chunks) {
          const missing = chunk.filter((r) => !existing.has(r.topic));
          if (missing.length > 0) await admin.createTopics({ waitForLeaders: false, timeout: 60_000, topics: missing.map(({ topic, settings }) => topicToCreate(topic, settings)) });
          answers[answered++]!(new Set(missing.map((r) => r.topic)));
        }
      } catch {
        // Left to ensureAll, which creates or checks these topics itself and reports what fails.
      } finally {
        for (; answered < answers.length; answered++) answers[answered]!(new Set());
        await admin.disconnect().catch(() => {});
      }
    })();
  }

  /**
   * `ensure` for many topics at once, with one admin connection, one listing and a creation request per
   * TOPICS_PER_REQUEST topics (a database of thousands of tables would otherwise cost a connection, a listing of
   * every topic and a creation round trip per table). Returns the partition counts in the order given.
   */
  async ensureAll(requests: ReadonlyArray<{ topic: string; settings: TopicSettings }>): Promise<number[]> {
    await this.awaitCreatedAhead(requests);
    const unknown = [...new Map(requests.filter((r) => !this.known.has(r.topic)).map((r) => [r.topic, r])).values()];
    if (unknown.length > 0) await this.ensureUnknown(unknown);
    return requests.map((r) => this.known.get(r.topic)!);
  }

  /** Of `requests`, the topics createAhead created: known once their leaders are up. The others are left as they were. */
  private async awaitCreatedAhead(requests: ReadonlyArray<{ topic: string; settings: TopicSettings }>): Promise<void> {
    const ahead = [...new Map(requests.filter((r) => this.creating.has(r.topic)).map((r) => [r.topic, r])).values()];
    if (ahead.length === 0) return;
    const created = await Promise.all(ahead.map((r) => this.creating.get(r.topic)!));
    const made = ahead.filter((r, i) => created[i]!.has(r.topic));
    for (const { topic } of ahead) this.creating.delete(topic);
    if (made.length === 0) return;
    try {
      await waitForLeaders(this.kafka, made.map((r) => r.topic));
    } catch (err) {
      const what = made.length === 1 ? `topic ${made[0]!.topic}` : `${made.length} topics (${made[0]!.topic}, …)`;
      throw kafkaError(err, `creating ${what}`, this.connector, made.map(({ topic, settings }) => ({ topic, table: settings.table, keyless: false })));
    }
    for (const { topic, settings } of made) this.known.set(topic, settings.partitions);
  }

  private async ensureUnknown(unknown: ReadonlyArray<{ topic: string; settings: TopicSettings }>): Promise<void> {
    const admin = this.kafka.admin();
    let doing = unknown;
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const missing = unknown.filter((r) => !existing.has(r.topic));
      for (let from = 0; from < missing.length; from += TOPICS_PER_REQUEST) {
        doing = missing.slice(from, from + TOPICS_PER_REQUEST);
        await admin.createTopics({ waitForLeaders: false, timeout: 60_000, topics: doing.map(({ topic, settings }) => topicToCreate(topic, settings)) });
      }
      // One wait for all: a broker takes a moment (seconds when loaded) to serve each creation's metadata.
      doing = missing;
      if (missing.length > 0) await waitForLeaders(this.kafka, missing.map((r) => r.topic));
      for (const { topic, settings } of missing) this.known.set(topic, settings.partitions);
      const present = unknown.filter((r) => existing.has(r.topic));
      for (let from = 0; from < present.length; from += TOPICS_PER_REQUEST) {
        doing = present.slice(from, from + TOPICS_PER_REQUEST);
        const checked = doing.filter((r) => r.settings.compacted || r.settings.keepAll);
        const actual = await describeTopics(admin, doing.map((r) => r.topic), checked.map((r) => r.topic));
        for (const { topic, settings } of checked) {
          const conflict = topicConflict(topic, settings, actual.get(topic)!);
          if (conflict) throw new LogtapError('TOPIC_CONFIG', conflict);
        }
        for (const { topic, settings } of doing) this.known.set(topic, actual.get(topic)?.partitions ?? settings.partitions);
      }
    } catch (err) {
      if (err instanceof LogtapError) throw err;
      const what = doing.length === 1 ? `topic ${doing[0]!.topic}` : `${doing.length} topics (${doing[0]!.topic}, …)`;
      throw kafkaError(err, `creating ${what}`, this.connector, doing.map(({ topic, settings }) => ({ topic, table: settings.table, keyless: false })));
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
}

/** Errors a topic just created answers with until the controller's metadata reached the broker. */
const NOT_YET_THERE = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/**
 * Waits until every partition of `topics` has a leader. kafkajs's own wait (createTopics' waitForLeaders) gives up
 * on the first UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker answers for a moment after creating many topics.
 */
async function waitForLeaders(kafka: Kafka, topics: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Asked without kafkajs's own retries (backing off to seconds): this loop polls.
  const admin = kafka.admin({ retry: { retries: 0 } });
  await admin.connect();
  try {
    await pollLeaders(admin, topics, deadline, timeoutMs);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function pollLeaders(admin: ReturnType<Kafka['admin']>, topics: string[], deadline: number, timeoutMs: number): Promise<void> {
  for (;;) {
    try {
      const { topics: described } = await admin.fetchTopicMetadata({ topics });
      if (described.length === topics.length && described.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (!NOT_YET_THERE.has((err as { type?: string }).type ?? '') || Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for the leaders of ${topics.length} new topic(s)`);
    await sleep(100);
  }
}

/** Topics created (or checked) per admin request. */
const TOPICS_PER_REQUEST = 200;

function topicToCreate(topic: string, settings: TopicSettings) {
  const retention = settings.keepAll ? [{ name: 'retention.ms', value: '-1' }, { name: 'retention.bytes', value: '-1' }] : [];
  return {
    topic,
    numPartitions: settings.partitions,
    ...(settings.replicationFactor ? { replicationFactor: settings.replicationFactor } : {}),
    configEntries: [{ name: 'cleanup.policy', value: settings.compacted ? 'compact' : 'delete' }, ...retention],
  };
}

/** The partition counts of `topics`, and the checked configs of those in `configsOf` (broker defaults included). */
async function describeTopics(admin: ReturnType<Kafka['admin']>, topics: string[], configsOf: string[]): Promise<Map<string, TopicConfig>> {
  const described = configsOf.length === 0 ? { resources: [] } : await admin.describeConfigs({
    includeSynonyms: false, resources: configsOf.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: CHECKED_CONFIGS })),
  });
  const metadata = await admin.fetchTopicMetadata({ topics });
  const partitions = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
  const configs = new Map<string, TopicConfig>();
  for (const topic of topics) {
    const entries = described.resources.find((r) => r.resourceName === topic)?.configEntries ?? [];
    const value = (name: string, fallback: string) => entries.find((e) => e.configName === name)?.configValue ?? fallback;
    configs.set(topic, {
      cleanupPolicy: value('cleanup.policy', 'delete'),
      retentionMs: value('retention.ms', '604800000'),
      retentionBytes: value('retention.bytes', '-1'),
      partitions: partitions.get(topic) ?? 1,
    });
  }
  return configs;
}
