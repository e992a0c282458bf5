import type { Kafka } from 'kafkajs';
import { kafkaError } from './kafka-errors.js';

export interface TopicSettings {
  partitions: number;
  replicationFactor?: number | undefined;
  /** A compacted topic keeps the latest record per key: the table. */
  compacted: boolean;
}

/** Creates the topics logtap writes to, once each, with the settings a table topic needs. */
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
      const created = !(await admin.listTopics()).includes(topic) && await admin.createTopics({
        waitForLeaders: true,
        topics: [{
          topic,
          numPartitions: settings.partitions,
          ...(settings.replicationFactor ? { replicationFactor: settings.replicationFactor } : {}),
          configEntries: [{ name: 'cleanup.policy', value: settings.compacted ? 'compact' : 'delete' }],
        }],
      });
      const partitions = created ? settings.partitions : (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length ?? settings.partitions;
      this.known.set(topic, partitions);
      return partitions;
    } catch (err) {
      throw kafkaError(err, `creating topic ${topic}`, this.connector);
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
}
