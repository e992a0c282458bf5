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

  constructor(private readonly kafka: Kafka, private readonly connector: string) {}

  /** Returns how many partitions the topic has (an existing topic keeps its own count). */
  async ensure(topic: string, settings: TopicSettings): Promise<number> {
    const known = this.known.get(topic);
    if (known !== undefined) return known;
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      let partitions = settings.partitions;
      if (!(await admin.listTopics()).includes(topic)) {
        const retention = settings.keepAll ? [{ name: 'retention.ms', value: '-1' }, { name: 'retention.bytes', value: '-1' }] : [];
        await admin.createTopics({
          waitForLeaders: true,
          topics: [{
            topic,
            numPartitions: settings.partitions,
            ...(settings.replicationFactor ? { replicationFactor: settings.replicationFactor } : {}),
            configEntries: [{ name: 'cleanup.policy', value: settings.compacted ? 'compact' : 'delete' }, ...retention],
          }],
        });
      } else if (settings.compacted || settings.keepAll) {
        const actual = await describeTopic(admin, topic);
        const conflict = topicConflict(topic, settings, actual);
        if (conflict) throw new LogtapError('TOPIC_CONFIG', conflict);
        partitions = actual.partitions;
      } else {
        partitions = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length ?? settings.partitions;
      }
      this.known.set(topic, partitions);
      return partitions;
    } catch (err) {
      if (err instanceof LogtapError) throw err;
      throw kafkaError(err, `creating topic ${topic}`, this.connector, [{ topic, table: settings.table, keyless: false }]);
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
}

async function describeTopic(admin: ReturnType<Kafka['admin']>, topic: string): Promise<TopicConfig> {
  const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: CHECKED_CONFIGS }] });
  const entries = described.resources[0]?.configEntries ?? [];
  const value = (name: string, fallback: string) => entries.find((e) => e.configName === name)?.configValue ?? fallback;
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return {
    cleanupPolicy: value('cleanup.policy', 'delete'),
    retentionMs: value('retention.ms', '604800000'),
    retentionBytes: value('retention.bytes', '-1'),
    partitions: metadata.topics[0]?.partitions.length ?? 1,
  };
}
