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
  private readonly known = new Set<string>();

  constructor(private readonly kafka: Kafka, private readonly connector: string) {}

  async ensure(topic: string, settings: TopicSettings): Promise<void> {
    if (this.known.has(topic)) return;
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      if (!(await admin.listTopics()).includes(topic)) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: [{
            topic,
            numPartitions: settings.partitions,
            ...(settings.replicationFactor ? { replicationFactor: settings.replicationFactor } : {}),
            configEntries: [{ name: 'cleanup.policy', value: settings.compacted ? 'compact' : 'delete' }],
          }],
        });
      }
      this.known.add(topic);
    } catch (err) {
      throw kafkaError(err, `creating topic ${topic}`, this.connector);
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
}
