import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka, Producer } from 'kafkajs';
import type { LogtapConfig } from '../config/config-schema.js';
import type { Logger } from '../logger.js';
import { LogtapError } from '../errors.js';
import { redactUrl } from '../config/load-config.js';
import type { ConnectorFactory, ConnectorOptions, SourceConnector, SourceMetrics } from '../source/source-connector.js';
import { EventEncoder } from '../events/event-encoder.js';
import { EncodePool, defaultWorkers } from '../encoding/encode-pool.js';
import { TopicRouter } from '../routing/topic-router.js';
import { OutboxTables } from '../outbox/outbox-table.js';
import { OutboxCleanup } from '../outbox/outbox-cleanup.js';
import { outboxFindings } from '../outbox/outbox-check.js';
import { type TableSchema, tableIdText } from '../model/table-schema.js';
import { SchemaCatalog } from '../schema/schema-catalog.js';
import { singleObjectWire } from '../schema/wire-format.js';
import { confluentWire } from '../schema/confluent-wire.js';
import { type ChangeSink, openIdempotentSink, openTransactionalSink } from '../kafka/change-sink.js';
import { CheckpointStore } from '../kafka/checkpoint-store.js';
import { SchemaTopic } from '../kafka/schema-topic.js';
import { type TopicSettings, TopicManager } from '../kafka/topic-manager.js';
import { kafkaError } from '../kafka/kafka-errors.js';
import { Pipeline } from './pipeline.js';
import { type PipelineMetrics, noMetrics } from './pipeline-metrics.js';
import { snapshotStep } from '../snapshot/snapshot-step.js';
import { OnlineBackfill } from '../backfill/online-backfill.js';
import { SchemaChangeResync } from '../schema-changes/schema-change-resync.js';
import { topicRowsReader } from '../cascade/published-rows.js';
import type { Checkpoint } from './checkpoint.js';
import type { KafkaRecord } from '../events/kafka-record.js';
import type { LastFailure } from './last-failure.js';
import { EventContract, type EventContractOptions, type EventContractState } from './event-contract.js';
import { tableEnvelopeFor } from '../config/table-envelope.js';
import { transactionsTopic } from '../events/transaction-boundaries.js';
import { watermarksTopic } from '../events/watermark-record.js';
import { configuredShaper } from '../columns/configured-shaper.js';

export interface RunDependencies {
  kafka: Kafka;
  createConnector: ConnectorFactory;
  log: Logger;
  version: string;
  metrics?: PipelineMetrics & SourceMetrics;
  /** Told each time streaming (re)starts and stops, for readiness. */
  onState?: (state: 'starting' | 'standby' | 'streaming' | 'backoff' | 'stopped') => void;
  /** Told of the current connector (null between attempts), for its optional lag query (src/ops/). */
  onSource?: (connector: SourceConnector | null) => void;
  /** Told of every failure that stops streaming, retried or not (errors by kind in src/ops/). */
  onError?: (err: unknown) => void;
  /** Told when the pipeline starts its initial snapshot and when it starts streaming from the log (the console). */
  onPhase?: (phase: 'snapshot' | 'stream') => void;
  /** Told of every committed checkpoint. */
  onCheckpoint?: (checkpoint: Checkpoint) => void;
}

/**
 * A table with a key: a compacted topic (the table). Without a key its records have none, which a compacted
 * topic refuses: a change log in one partition (its order) that keeps every record (to rebuild the table).
 * The key-only envelope is a change feed either way.
 */
export function tableTopicSettings(config: Pick<LogtapConfig, 'envelope' | 'topics'> & Partial<Pick<LogtapConfig, 'tables'>>, table: TableSchema): TopicSettings {
  const base = { partitions: config.topics.partitions, replicationFactor: config.topics.replicationFactor, table: tableIdText(table.id) };
  if (tableEnvelopeFor(config, table.id.namespace, table.id.name) === 'key-only') return { ...base, compacted: false };
  return table.key.length > 0 ? { ...base, compacted: true } : { ...base, partitions: 1, compacted: false, keepAll: true };
}

/** The connector as the daemon builds it: tools that stream or move its checkpoint must see the same tables (and publication). */
export function connectorOptions(config: LogtapConfig, log: Logger, kafka?: Kafka, metrics?: PipelineMetrics & SourceMetrics): ConnectorOptions {
  // Outbox tables are captured (their rows become outbox records) even when source.tables leaves them out.
  const outboxTables = config.outbox.tables.map((t) => t.table).filter((t) => !config.source.tables?.includes(t));
  return {
    name: config.name, url: config.source.url, tables: config.source.tables && [...config.source.tables, ...outboxTables], excludeTables: config.source.excludeTables, tableSettings: config.tables,
    outboxPrefix: config.outbox.enabled ? config.outbox.prefix : undefined, log,
    signalTable: config.signal.enabled ? (config.signal.table ?? '') : undefined,
    unchangedToast: config.toast.unchanged, metrics, streaming: config.streaming,
    sourceClock: config.watermarks.topic || config.watermarks.header,
    internalBackfills: config.schemaChanges.resync === 'auto',
    // Only the entity envelope carries whole rows a connector can read back (foreign-key cascades).
    publishedRows: kafka && config.envelope === 'entity' && Object.values(config.tables).every((t) => (t.envelope ?? 'entity') === 'entity') ? topicRowsReader(kafka, config.topicPrefix, config.encoding.registryUrl, topicRouter(config)) : undefined,
  };
}

/** The config's topic names (topics.name, topics.routes). */
export const topicRouter = (config: Pick<LogtapConfig, 'topicPrefix' | 'topics'>): TopicRouter => new TopicRouter(config.topicPrefix, config.topics);

/** Transaction boundaries and watermarks when the config asks for either (their topics made sure of), else null. */
async function eventContract(config: LogtapConfig, topics: TopicManager, checkpoints: CheckpointStore, restored: EventContractState | null, from: Checkpoint['position'] | null, log: Logger): Promise<EventContract | null> {
  const { transactions, watermarks } = config;
  if (!transactions.topic && !watermarks.topic && !watermarks.header) return null;
  const replicationFactor = config.topics.replicationFactor;
  // One partition each: consumers read them in order.
  if (transactions.topic) await topics.ensure(transactionsTopic(config.topicPrefix), { partitions: 1, replicationFactor, compacted: false });
  if (watermarks.topic) await topics.ensure(watermarksTopic(config.topicPrefix), { partitions: 1, replicationFactor, compacted: true });
  return new EventContract({
    connector: config.name,
    transactionsTopic: transactions.topic ? transactionsTopic(config.topicPrefix) : null,
    watermarksTopic: watermarks.topic ? watermarksTopic(config.topicPrefix) : null,
    watermarkHeader: watermarks.header,
    restored, checkpointPosition: from?.token ?? null,
    stateRecord: (state) => checkpoints.eventContractRecord(state),
    onStale: (id) => log.warn({ transaction: id }, 'the checkpoint no longer continues this source transaction: its END record is not written'),
    onLateCommit: lateCommitWarning(log),
  });
}

/** The first late commit of a run is said at once, later ones at most once a minute with how many there were. */
function lateCommitWarning(log: Logger): NonNullable<EventContractOptions['onLateCommit']> {
  let unsaid = 0;
  let saidAt = 0;
  return ({ commitTimeMicros, watermarkMicros, transactionId }) => {
    unsaid++;
    if (saidAt !== 0 && Date.now() - saidAt < 60_000) return;
    saidAt = Date.now();
    log.warn({ transaction: transactionId, commitTimeMicros: commitTimeMicros.toString(), watermarkMicros: watermarkMicros.toString(), lateCommits: unsaid },
      'a transaction committed at or before a watermark already in use: consumers that closed that window missed it (docs/events.md, Watermarks)');
    unsaid = 0;
  };
}

const isRetriable = (err: unknown): boolean => err instanceof LogtapError && err.retriable;

/**
 * Before the first start: what `logtap check` finds as errors stops the daemon with one line, instead of
 * retrying a misconfiguration forever. Transient failures after that are retried.
 */
async function preflight(connector: SourceConnector, config: LogtapConfig): Promise<void> {
  const errors = [...(await connector.check()), ...(await outboxFindings(config.outbox.tables, connector))].filter((f) => f.level === 'error');
  if (errors.length === 0) return;
  const [first] = errors;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem(s): run logtap check)` : '';
  throw new LogtapError('PREFLIGHT', `${first!.message}; fix: ${first!.fix}${more}`);
}

function lastFailure(err: unknown, position: Checkpoint['position'] | null, version: string): LastFailure {
  return {
    code: err instanceof LogtapError ? err.code : 'INTERNAL',
    // As a user sees it on stderr (src/cli/exit-codes.ts): never a password in a URL.
    message: redactUrl(err instanceof Error ? err.message.split('\n')[0]! : String(err)),
    position, failedAtMicros: BigInt(Date.now()) * 1000n, logtapVersion: version,
  };
}

/**
 * Keeps why the connector stopped beside its checkpoint, through the sink that holds the connector's
 * transactional id: fenced by a newer instance, the write fails and nothing is recorded (that one runs).
 */
async function recordFailure(sink: ChangeSink, record: KafkaRecord, log: Logger): Promise<void> {
  try {
    await sink.commit([], record);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'the failure could not be recorded beside the checkpoint');
  }
}

/**
 * Runs one connector until `signal` aborts. A retriable failure (database or Kafka restarting) closes
 * everything and starts again from the last committed checkpoint, after a growing backoff; any other
 * failure is thrown for the caller to report.
 */
export async function runConnector(config: LogtapConfig, deps: RunDependencies, signal: AbortSignal): Promise<void> {
  const { kafka, log } = deps;
  const topics = new TopicManager(kafka, config.name);
  const checkpoints = new CheckpointStore(kafka, config.topicPrefix, config.name);
  const schemaTopic = new SchemaTopic(kafka, config.topicPrefix);
  /** The table of each table topic met, to name it when Kafka refuses its records. */
  const tableOfTopic = new Map<string, string>();
  let failures = 0;
  /** Whether streaming ever began: until then every failure is reported, not retried (a misconfiguration, not an outage). */
  let started = false;
  // Before anything connects: a hash mask without its salt is a configuration error.
  const shaper = configuredShaper(config);

  while (!signal.aborted) {
    deps.onState?.('starting');
    let connector: SourceConnector | undefined;
    let sink: ChangeSink | undefined;
    let schemaProducer: Producer | undefined;
    let backfill: OnlineBackfill | undefined;
    let cleanup: OutboxCleanup | undefined;
    let encodePool: EncodePool | undefined;
    /** The last checkpoint of this connector, once read: a failure is recorded as following it. */
    let reached: Checkpoint['position'] | null = null;
    /** When this attempt began streaming: a long healthy stream resets the backoff, a long failing start does not. */
    let streamingSince: number | undefined;
    try {
      connector = deps.createConnector(connectorOptions(config, log.child({ component: 'source' }), kafka, deps.metrics));
      deps.onSource?.(connector);
      if (!started) await preflight(connector, config);
      if (connector.awaitExclusive) {
        // A standby (same name, another instance streaming) waits here without fencing the active one.
        deps.onState?.('standby');
        await connector.awaitExclusive(signal);
        if (signal.aborted) continue;
        deps.onState?.('starting');
      }
      // Fence any older instance first, so no checkpoint can move after we read it.
      const tableOf = (topic: string) => tableOfTopic.get(topic);
      sink = config.delivery === 'exactly-once' ? await openTransactionalSink(kafka, config.name, tableOf) : await openIdempotentSink(kafka, config.name, tableOf);
      // Both in one request and one wait for leaders (seconds each on a loaded broker).
      const internal = { partitions: 1, replicationFactor: config.topics.replicationFactor, compacted: true };
      await topics.ensureAll([{ topic: checkpoints.topic, settings: internal }, { topic: schemaTopic.topic, settings: internal }]);
      const { checkpoint, failure, contract: contractState } = await checkpoints.loadState(signal);
      const from = checkpoint?.position ?? null;
      reached = from;
      if (failure) log.info({ code: failure.code, failedAt: new Date(Number(failure.failedAtMicros / 1000n)).toISOString() }, 'the last run stopped on a failure: cleared with the first checkpoint of this run');
      // Before the stream and the snapshot look the signal table up (PostgreSQL publishes it by name).
      if (connector.backfills) {
        await connector.backfills.prepare();
        backfill = new OnlineBackfill({
          source: connector.backfills, connector: config.name, checkpointed: checkpoint?.snapshot ?? null, chunkRows: config.signal.chunkRows,
          log: log.child({ component: 'backfill' }), metrics: deps.metrics,
        });
      }
      const catalog = new SchemaCatalog(config.schemaEvolution.onIncompatible, (await schemaTopic.readAll(signal)) ?? []);
      const interceptor = new SchemaChangeResync({
        mode: config.schemaChanges.resync, backfill, log: log.child({ component: 'schema-changes' }), metrics: deps.metrics,
        // Every row is published again in the new shape: an incompatible new schema does not strand the topic.
        onResync: (table) => catalog.allowIncompatibleOnce(tableIdText(table)),
      });
      schemaProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await schemaProducer.connect().catch((err: unknown) => { throw kafkaError(err, 'connecting the schema producer', config.name); });
      const producer = schemaProducer;

      // A new router per attempt: it remembers the tables it named (two tables never share a topic by accident).
      const router = topicRouter(config);
      const outboxTables = new OutboxTables(config.outbox.tables, config.topicPrefix);
      if (connector.rowDeleter && config.outbox.tables.some((t) => t.deleteAfterCapture)) cleanup = new OutboxCleanup(connector.rowDeleter, log.child({ component: 'outbox' }));
      const encoder = new EventEncoder({
        topicPrefix: config.topicPrefix,
        topics: router,
        envelope: config.envelope,
        envelopeOf: (table) => tableEnvelopeFor(config, table.namespace, table.name),
        deleteEvents: config.deleteEvents,
        source: { connector: connector.debeziumConnector, database: connector.database, version: deps.version },
        catalog,
        wire: config.encoding.format === 'confluent' ? confluentWire(config.encoding.registryUrl!) : singleObjectWire,
        debezium: config.debezium,
      });
      const contract = await eventContract(config, topics, checkpoints, contractState, from, log);
      if (contract?.resumedTransaction) encoder.resumeTransaction(contract.resumedTransaction);
      const workers = config.workers ?? defaultWorkers();
      if (workers > 0) encodePool = new EncodePool({ workers, encoder, log: log.child({ component: 'encoding' }) });
      const snapshot = snapshotStep(config.snapshot, connector, from, log, deps.metrics);
      const pipeline = new Pipeline({
        name: config.name,
        source: connector,
        encoder,
        ...(encodePool ? { encodePool } : {}),
        sink,
        publishSchema: (entry) => schemaTopic.publish(producer, entry),
        publishSchemas: (entries) => schemaTopic.publishAll(producer, entries),
        ensureTableTopic: (table) => {
          const { topic } = router.route(table.id);
          tableOfTopic.set(topic, tableIdText(table.id));
          return topics.ensure(topic, tableTopicSettings(config, table));
        },
        ensureTableTopics: (tables, upcoming = []) => {
          const requests = (list: readonly TableSchema[]) => list.map((table) => {
            const { topic } = router.route(table.id);
            tableOfTopic.set(topic, tableIdText(table.id));
            return { topic, settings: tableTopicSettings(config, table) };
          });
          const now = requests(tables);
          // Asked for in order, these first: ensureAll below waits only for their creation requests and leaders.
          if (upcoming.length > 0) topics.createAhead([...now, ...requests(upcoming)]);
          return topics.ensureAll(now);
        },
        ensureOutboxTopic: (topic) => topics.ensure(topic, { partitions: config.topics.partitions, replicationFactor: config.topics.replicationFactor, compacted: false }),
        outboxTables,
        ...(cleanup ? { onOutboxCommitted: (rows) => cleanup!.enqueue(rows) } : {}),
        checkpointRecord: (c) => checkpoints.record(c),
        from,
        ...(failure ? { firstCommitRecords: [checkpoints.failureRecord(null)] } : {}),
        onCheckpoint: (c) => {
          reached = c.position;
          deps.onCheckpoint?.(c);
        },
        ...(snapshot ? { beforeStream: (handler, stop, prepare) => { deps.onPhase?.('snapshot'); return snapshot(handler, stop, prepare); } } : {}),
        // "streaming" only once the source streams: an initial snapshot comes first, and a reader of the log
        // (or a test waiting for this line before it writes) must not take the snapshot's start for it.
        onStreaming: (streamFrom) => {
          deps.onPhase?.('stream');
          log.info({ from: streamFrom?.display ?? 'the source\'s start point', delivery: config.delivery }, 'streaming');
        },
        interceptor,
        ...(contract ? { contract } : {}),
        ...(shaper ? { shape: (event) => shaper.event(event), shapeTable: (table) => shaper.table(table) } : {}),
        limits: config.batch,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        version: deps.version,
        log,
        metrics: deps.metrics ?? noMetrics,
      });
      log.info({ from: from?.display ?? 'the source\'s start point', delivery: sink.mode, snapshot: config.snapshot.mode, encodingWorkers: encodePool?.size ?? 0 }, 'started');
      deps.onState?.('streaming');
      started = true;
      streamingSince = Date.now();
      await pipeline.run(signal);
      deps.onState?.('stopped');
      return;
    } catch (err) {
      // Stopping (SIGTERM) while an attempt was starting or streaming: whatever that interrupted is not a failure.
      if (signal.aborted) break;
      deps.onError?.(err);
      if (!isRetriable(err) || !started) {
        if (sink) await recordFailure(sink, checkpoints.failureRecord(lastFailure(err, reached, deps.version)), log);
        throw err;
      }
      if (streamingSince !== undefined && Date.now() - streamingSince > 60_000) failures = 0;
      const backoff = Math.min(config.restart.maxBackoffMs, config.restart.initialBackoffMs * 2 ** failures);
      failures++;
      deps.onState?.('backoff');
      log.warn({ err: (err as Error).message, code: (err as LogtapError).code, retryInMs: backoff, failures }, 'streaming stopped; restarting from the last checkpoint');
      await sleep(backoff, undefined, { signal }).catch(() => {});
    } finally {
      deps.onSource?.(null);
      await encodePool?.close();
      await sink?.close().catch(() => {});
      await schemaProducer?.disconnect().catch(() => {});
      await backfill?.close();
      await cleanup?.drain();
      await connector?.close().catch(() => {});
    }
  }
  deps.onState?.('stopped');
}
