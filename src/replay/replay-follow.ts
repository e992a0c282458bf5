import { randomBytes } from 'node:crypto';
import { tableIdText } from '../model/table-schema.js';
import { EntityEventDecoder } from '../events/event-decoder.js';
import type { ReplayOptions, TableReplayResult } from './replay-engine.js';
import { topicSize } from './replay-engine.js';
import { TableApplier } from './table-applier.js';

/**
 * `replay --follow`: one read_committed consumer over every planned topic, from the beginning and on past
 * the end: each fetched batch is applied to its table (one target transaction per batch and table), until
 * `signal` aborts; then what was read is written and the tables are returned. Nothing is committed to
 * Kafka: a restarted follow replays from the beginning, which upserts make harmless.
 */
export async function followTopics(options: ReplayOptions & { signal: AbortSignal }): Promise<TableReplayResult[]> {
  const { kafka, plans, log } = options;
  const decoder = new EntityEventDecoder(options.schemas);
  const appliers = new Map(plans.map((plan) => {
    const name = tableIdText(plan.versions[0]!.id);
    return [plan.topic, { plan, name, applier: new TableApplier(plan, options.target, options.source, options.batchSize, (n) => options.progress.advance(name, n), options.order) }];
  }));
  for (const { plan, name } of appliers.values()) options.progress.start(name, (await topicSize(kafka, plan.topic)).records);

  const consumer = kafka.consumer({ groupId: `logtap-replay-follow-${randomBytes(6).toString('hex')}`, readUncommitted: false, maxWaitTimeInMs: 250 });
  let failed: unknown;
  let fail!: () => void;
  const stopped = new Promise<void>((resolve) => {
    fail = resolve;
    options.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    failed = payload.error;
    fail();
  });
  // Each offset once, in order (a rebalance of the throwaway group may deliver a batch again).
  const next = new Map<string, bigint>();
  try {
    await consumer.connect();
    for (const plan of plans) await consumer.subscribe({ topic: plan.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, isRunning, isStale }) => {
        const entry = appliers.get(batch.topic);
        if (!entry || failed) return;
        const at = `${batch.topic}/${batch.partition}`;
        try {
          for (const message of batch.messages) {
            if (!isRunning() || isStale() || options.signal.aborted) break;
            const offset = BigInt(message.offset);
            if (offset < (next.get(at) ?? 0n)) continue;
            const event = await decoder.decode({ key: message.key, value: message.value, headers: message.headers as Record<string, Buffer> });
            await entry.applier.add(event, message.key, batch.partition);
            next.set(at, offset + 1n);
          }
          await entry.applier.flush();
        } catch (err) {
          // Stop at the first failure: a later batch must not be applied over a missing one.
          failed = err;
          fail();
        }
      },
    });
    log.info({ topics: plans.map((p) => p.topic) }, 'following');
    await stopped;
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  if (failed) throw failed;
  const results: TableReplayResult[] = [];
  for (const { plan, name, applier } of appliers.values()) {
    await applier.finish();
    options.progress.finish(name);
    results.push({ topic: plan.topic, table: applier.table, events: applier.events });
  }
  return results;
}
