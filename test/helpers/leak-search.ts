import type { Kafka } from 'kafkajs';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';

/**
 * Every place a needle occurs in the topics whose name contains `prefix` (tables, schemas, checkpoints): in any
 * record's key, value or header, as raw bytes. Empty when none holds any.
 */
export async function findInTopics(kafka: Kafka, prefix: string, needles: readonly string[]): Promise<{ topics: string[]; records: number; hits: string[] }> {
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.includes(prefix));
  await admin.disconnect();
  const hits: string[] = [];
  let records = 0;
  for (const topic of topics) {
    await readTopicToEnd(kafka, topic, ({ message, offset }) => {
      records++;
      const parts: Array<[string, Buffer | null | undefined]> = [['key', message.key], ['value', message.value]];
      for (const [h, v] of Object.entries(message.headers ?? {})) parts.push([`header ${h}`, Buffer.isBuffer(v) ? v : v === undefined ? undefined : Buffer.from(String(v))]);
      for (const [where, bytes] of parts) {
        if (!bytes) continue;
        for (const needle of needles) if (bytes.includes(Buffer.from(needle))) hits.push(`${needle} in ${topic}@${offset} ${where}`);
      }
    });
  }
  return { topics, records, hits };
}
