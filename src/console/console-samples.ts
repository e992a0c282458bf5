import type { Registry } from 'prom-client';

/** One point of the console's charts. */
export interface Sample {
  /** Milliseconds since the epoch. */
  at: number;
  /** Records committed to Kafka per second since the previous sample. */
  eventsPerSecond: number;
  /** Source commit → Kafka commit of the last published transaction, in seconds (null before the first). */
  lagSeconds: number | null;
  /** Log the source retains beyond the released position, in bytes (null when not measurable). */
  lagBytes: number | null;
  /** Mean source commit → Kafka commit latency of the transactions published since the previous sample, ms (null: none). */
  commitLatencyMs: number | null;
}

/** What the console knows of one topic from the daemon's own counters. */
export interface TopicActivity {
  events: number;
  /** When its event count last grew (sample time), or null when never since the daemon started. */
  lastChangeAt: number | null;
}

type MetricJson = { name: string; values: { value: number; labels: Record<string, string | number>; metricName?: string }[] };

/**
 * The console's own history, so its charts need no Prometheus: every `intervalMs` it reads the daemon's metrics
 * registry (src/ops/daemon-metrics.ts) and keeps the last `keep` points (an hour at the defaults), plus per-topic
 * event counts and when each last grew. Reads only what /metrics exposes, so the charts and a scrape agree.
 */
export class ConsoleSamples {
  private readonly points: Sample[] = [];
  private readonly topics = new Map<string, TopicActivity>();
  private readonly snapshotRows = new Map<string, number>();
  private previous: { at: number; events: number; latencySum: number; latencyCount: number } | null = null;
  private lastCheckpoint: { position: string | null; committedAt: number | null } = { position: null, committedAt: null };
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly registry: Registry, private readonly intervalMs = 5_000, private readonly keep = 720) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  history(): readonly Sample[] {
    return this.points;
  }

  topicActivity(): ReadonlyMap<string, TopicActivity> {
    return this.topics;
  }

  /** Rows read by the initial snapshot and backfills, per `namespace.table`, since the daemon started. */
  snapshotProgress(): ReadonlyMap<string, number> {
    return this.snapshotRows;
  }

  /** The last checkpointed position and its age in seconds, as of the last sample. */
  checkpoint(): { position: string | null; ageSeconds: number | null } {
    const { position, committedAt } = this.lastCheckpoint;
    return { position, ageSeconds: committedAt === null ? null : (Date.now() - committedAt) / 1000 };
  }

  /** Reads the registry once; public so a page can ask for a fresh point. */
  async sample(): Promise<void> {
    let metrics: MetricJson[];
    try {
      metrics = (await this.registry.getMetricsAsJSON()) as unknown as MetricJson[];
    } catch {
      return; // a failing collect (source restarting) skips this point
    }
    const at = Date.now();
    const find = (name: string) => metrics.find((m) => m.name === name);
    let events = 0;
    for (const v of find('logtap_events_published_total')?.values ?? []) {
      const topic = String(v.labels.topic);
      events += v.value;
      const known = this.topics.get(topic);
      if (!known) this.topics.set(topic, { events: v.value, lastChangeAt: this.previous ? at : null });
      else if (v.value > known.events) this.topics.set(topic, { events: v.value, lastChangeAt: at });
    }
    for (const v of find('logtap_snapshot_rows_total')?.values ?? []) this.snapshotRows.set(String(v.labels.table), v.value);
    const position = find('logtap_source_position_info')?.values[0]?.labels.position;
    const age = find('logtap_checkpoint_age_seconds')?.values[0]?.value;
    if (position !== undefined && age !== undefined && Number.isFinite(age)) this.lastCheckpoint = { position: String(position), committedAt: at - age * 1000 };
    const histogram = find('logtap_commit_to_publish_seconds')?.values ?? [];
    const latencySum = histogram.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
    const latencyCount = histogram.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    const lagSecondsValue = find('logtap_lag_seconds')?.values[0]?.value;
    const lagBytesValue = find('logtap_source_lag_bytes')?.values[0]?.value;
    const previous = this.previous;
    const seconds = previous ? (at - previous.at) / 1000 : 0;
    const published = previous ? latencyCount - previous.latencyCount : 0;
    this.push({
      at,
      eventsPerSecond: previous && seconds > 0 ? Math.max(0, events - previous.events) / seconds : 0,
      lagSeconds: latencyCount > 0 && lagSecondsValue !== undefined ? lagSecondsValue : null,
      lagBytes: lagBytesValue ?? null,
      commitLatencyMs: previous && published > 0 ? ((latencySum - previous.latencySum) / published) * 1000 : null,
    });
    this.previous = { at, events, latencySum, latencyCount };
  }

  private push(sample: Sample): void {
    this.points.push(sample);
    if (this.points.length > this.keep) this.points.splice(0, this.points.length - this.keep);
  }
}
