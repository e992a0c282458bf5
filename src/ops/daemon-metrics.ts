import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SourcePosition } from '../model/change-event.js';
import type { KafkaRecord } from '../events/kafka-record.js';
import type { PipelineMetrics } from '../pipeline/pipeline-metrics.js';
import type { SourceConnector, SourceMetrics } from '../source/source-connector.js';
import { LogtapError } from '../errors.js';

/** How long the source's lag query may take before a scrape goes on without it. */
const LAG_QUERY_TIMEOUT_MS = 2_000;

/**
 * The daemon's Prometheus metrics (docs/operations.md lists them). Implements what the pipeline reports,
 * plus what the runner tells (restarts, errors, the current connector for its lag query).
 */
export class DaemonMetrics implements PipelineMetrics, SourceMetrics {
  readonly registry = new Registry();
  private readonly events: Counter<'topic'>;
  private readonly bytes: Counter<'topic'>;
  private readonly sourceTransactions: Counter;
  private readonly kafkaTransactions: Counter;
  private readonly commitToPublish: Histogram;
  private readonly lagSeconds: Gauge;
  private readonly position: Gauge<'position'>;
  private readonly restarts: Counter;
  private readonly errors: Counter<'code'>;
  private readonly snapshot: Counter<'table'>;
  private readonly resyncs: Counter<'table' | 'reason' | 'action'>;
  private readonly toastReads: Counter<'table'>;
  private readonly toastGone: Counter<'table'>;
  private lastCheckpointAt: number | null = null;
  private source: SourceConnector | null = null;

  constructor(connector: string) {
    this.registry.setDefaultLabels({ connector });
    collectDefaultMetrics({ register: this.registry, prefix: 'logtap_' });
    const registers = [this.registry];
    this.events = new Counter({ name: 'logtap_events_published_total', help: 'Records committed to Kafka, per topic (a topic is one table, or an outbox topic)', labelNames: ['topic'], registers });
    this.bytes = new Counter({ name: 'logtap_bytes_published_total', help: 'Key and value bytes committed to Kafka, per topic', labelNames: ['topic'], registers });
    this.sourceTransactions = new Counter({ name: 'logtap_source_transactions_total', help: 'Source transactions handed to the pipeline', registers });
    this.kafkaTransactions = new Counter({ name: 'logtap_kafka_transactions_total', help: 'Kafka transactions committed (changes and checkpoint together)', registers });
    this.commitToPublish = new Histogram({
      name: 'logtap_commit_to_publish_seconds', help: 'Source commit time to Kafka commit, per source transaction',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers,
    });
    this.lagSeconds = new Gauge({ name: 'logtap_lag_seconds', help: 'Source commit time to Kafka commit of the last published source transaction', registers });
    this.position = new Gauge({ name: 'logtap_source_position_info', help: 'The last checkpointed source position (value 1; the position is the label)', labelNames: ['position'], registers });
    this.restarts = new Counter({ name: 'logtap_restarts_total', help: 'Restarts of streaming after a retriable failure (source or Kafka reconnects)', registers });
    this.errors = new Counter({ name: 'logtap_errors_total', help: 'Failures that stopped streaming, by LogtapError code', labelNames: ['code'], registers });
    this.snapshot = new Counter({ name: 'logtap_snapshot_rows_total', help: 'Rows read by initial snapshots and backfills, per table', labelNames: ['table'], registers });
    this.resyncs = new Counter({
      name: 'logtap_schema_change_resyncs_total',
      help: 'DDL statements that changed existing rows without row events, per table, reason and action (resync: re-published; warn: only reported; unavailable: no backfill possible)',
      labelNames: ['table', 'reason', 'action'], registers,
    });
    this.toastReads = new Counter({
      name: 'logtap_toast_read_back_rows_total', help: 'Updates whose unchanged TOASTed values were read back from the source table (toast.unchanged: read-back), per table', labelNames: ['table'], registers,
    });
    this.toastGone = new Counter({
      name: 'logtap_toast_read_back_gone_total', help: 'Of those, rows gone before the read (deleted or re-keyed later): their updates were not published, per table', labelNames: ['table'], registers,
    });
    const self = this;
    const since = (at: number | null) => (at === null ? Number.NaN : (Date.now() - at) / 1000);
    new Gauge({
      name: 'logtap_checkpoint_age_seconds', help: 'Seconds since the last checkpoint was committed (NaN before the first)', registers,
      collect() { this.set(since(self.lastCheckpointAt)); },
    });
    new Gauge({
      name: 'logtap_source_lag_bytes',
      help: 'Log the source retains beyond the released position (PostgreSQL: WAL held by the slot; MySQL: binlog bytes, file positions only)',
      // Labelled, so that "unknown" is no series at all rather than an unlabelled gauge's default 0.
      labelNames: ['source'],
      registers,
      async collect() {
        this.reset();
        const source = self.source;
        const lag = await self.sourceLag();
        if (lag !== null && source) this.set({ source: source.kind }, lag);
      },
    });
  }

  schemaChangeResync(table: string, reason: string, action: 'resync' | 'warn' | 'unavailable'): void {
    this.resyncs.inc({ table, reason, action });
  }

  transaction(): void {
    this.sourceTransactions.inc();
  }

  flushed(batch: { position: SourcePosition }): void {
    this.kafkaTransactions.inc();
    this.lastCheckpointAt = Date.now();
    this.position.reset();
    this.position.set({ position: batch.position.display }, 1);
  }

  commitToAck(millis: number): void {
    const seconds = Math.max(0, millis) / 1000;
    this.commitToPublish.observe(seconds);
    this.lagSeconds.set(seconds);
  }

  published(records: readonly KafkaRecord[]): void {
    const perTopic = new Map<string, { records: number; bytes: number }>();
    for (const r of records) {
      let t = perTopic.get(r.topic);
      if (!t) perTopic.set(r.topic, (t = { records: 0, bytes: 0 }));
      t.records++;
      t.bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
    }
    for (const [topic, t] of perTopic) {
      this.events.inc({ topic }, t.records);
      this.bytes.inc({ topic }, t.bytes);
    }
  }

  snapshotRows(table: string, rows: number): void {
    this.snapshot.inc({ table }, rows);
  }

  unchangedValuesRead(table: string, rows: number, gone: number): void {
    this.toastReads.inc({ table }, rows);
    if (gone > 0) this.toastGone.inc({ table }, gone);
  }

  /** The runner's onError: counts by the error's stable code (UNKNOWN for anything not a LogtapError). */
  error(err: unknown): void {
    this.errors.inc({ code: err instanceof LogtapError ? err.code : 'UNKNOWN' });
  }

  restarted(): void {
    this.restarts.inc();
  }

  /** The runner's onSource: the connector whose lag a scrape asks for. */
  setSource(connector: SourceConnector | null): void {
    this.source = connector;
  }

  /** Prometheus text exposition. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async sourceLag(): Promise<number | null> {
    const source = this.source;
    if (!source?.sourceLag) return null;
    let timer: NodeJS.Timeout | undefined;
    try {
      const lag = await Promise.race([
        source.sourceLag(),
        new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), LAG_QUERY_TIMEOUT_MS); }),
      ]);
      return lag?.bytes ?? null;
    } catch {
      // A lag query failing (source restarting) leaves the metric out of this scrape; the stream reports the failure.
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}
