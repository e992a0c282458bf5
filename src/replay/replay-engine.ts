import type { Kafka } from 'kafkajs';
import type { Logger } from '../logger.js';
import type { TableSchema } from '../model/table-schema.js';
import { tableIdText } from '../model/table-schema.js';
import { readTopicToEnd } from '../kafka/read-to-end.js';
import { EntityEventDecoder, type SchemaResolver } from '../events/event-decoder.js';
import type { PositionOrder, ReplayTarget, SourceKind } from './replay-target.js';
import { TableApplier } from './table-applier.js';
import type { TopicPlan } from './replay-plan.js';
import { type ReplayUntil, withinUntil } from './replay-until.js';
import type { ReplayProgress } from './replay-progress.js';

export interface ReplayOptions {
  kafka: Kafka;
  plans: readonly TopicPlan[];
  target: ReplayTarget;
  source: SourceKind;
  order: PositionOrder;
  until?: ReplayUntil | undefined;
  schemas: SchemaResolver;
  /** Changes per target transaction (fewer when a table version or the topic ends). */
  batchSize: number;
  progress: ReplayProgress;
  log: Logger;
  signal?: AbortSignal;
}

export interface TableReplayResult {
  topic: string;
  /** The version the table has at the end of the replay (what --verify compares). */
  table: TableSchema;
  events: number;
}

/** Thrown inside the topic read to stop it at --until; never escapes. */
class ReachedUntil extends Error {}

/**
 * Rebuilds each planned table from its topic: reads it read_committed from the beginning to the end offsets
 * it had at the start (or to --until), and applies the changes in topic order in batches, each batch in one
 * target transaction. Upserts and key-ordered deletes make a second run give the same table.
 */
export async function replayTopics(options: ReplayOptions): Promise<TableReplayResult[]> {
  const results: TableReplayResult[] = [];
  for (const plan of options.plans) {
    if (options.signal?.aborted) break;
    results.push(await replayTopic(plan, options));
  }
  return results;
}

async function replayTopic(plan: TopicPlan, options: ReplayOptions): Promise<TableReplayResult> {
  const { order, until, log } = options;
  const decoder = new EntityEventDecoder(options.schemas);
  const name = tableIdText(plan.versions[0]!.id);
  const applier = new TableApplier(plan, options.target, options.source, options.batchSize, (n) => options.progress.advance(name, n), order);

  const stop = new AbortController();
  const onOuterAbort = () => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const size = await topicSize(options.kafka, plan.topic);
  options.progress.start(name, size.records);
  /** Partitions read past --until: with several, the others may still hold earlier changes. */
  const pastUntil = new Set<number>();
  try {
    await readTopicToEnd(options.kafka, plan.topic, async ({ partition, message }) => {
      if (pastUntil.has(partition)) return;
      const event = await decoder.decode({ key: message.key, value: message.value, headers: message.headers as Record<string, Buffer> });
      if (!withinUntil(until, order, event.position, event.commitTimeMicros)) {
        pastUntil.add(partition);
        if (pastUntil.size === size.partitions) stop.abort(new ReachedUntil());
        return;
      }
      await applier.add(event, message.key, partition);
    }, { signal: stop.signal, groupPrefix: 'logtap-replay' });
  } catch (err) {
    if (!(stop.signal.reason instanceof ReachedUntil) || options.signal?.aborted) throw err;
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
  await applier.finish();
  options.progress.finish(name);
  log.debug({ table: name, events: applier.events }, 'table replayed');
  return { topic: plan.topic, table: applier.table, events: applier.events };
}

/** Records in the topic now (for the progress bar's total; compaction makes it an upper bound), and its partitions. */
export async function topicSize(kafka: Kafka, topic: string): Promise<{ records: number; partitions: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return { records: offsets.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0), partitions: offsets.length };
  } finally {
    await admin.disconnect();
  }
}
