/** What the runner reports through onState. */
export type StreamState = 'starting' | 'standby' | 'streaming' | 'backoff' | 'stopped';

export interface ReadinessReport {
  ready: boolean;
  state: StreamState;
  /** Why not ready, for the 503 body and for people; absent when ready. */
  reason?: string;
}

/** How long one Kafka probe result is reused: a burst of probes costs one round trip. */
const PROBE_CACHE_MS = 1_000;

/**
 * Ready = streaming (the runner started the pipeline and has not failed since) and Kafka answers now. The
 * Kafka probe matters for an idle source: with nothing to commit, a broker outage would otherwise go
 * unnoticed until the next heartbeat checkpoint fails.
 */
export class Readiness {
  private state: StreamState = 'starting';
  private probe: { at: number; result: Promise<string | null> } | null = null;

  /** `probeKafka` resolves when Kafka answers, rejects otherwise (with a short reason). */
  constructor(private readonly probeKafka: () => Promise<void>) {}

  /** The runner's onState. */
  setState(state: StreamState): void {
    this.state = state;
  }

  /**
   * `standbyReady`: a standby waiting to take over counts as ready too (`/readyz?standby=ready`). Kubernetes
   * HA deployments probe so, or a PodDisruptionBudget could never let the active pod be evicted.
   */
  async report(options: { standbyReady?: boolean } = {}): Promise<ReadinessReport> {
    const state = this.state;
    const serving = state === 'streaming' || (state === 'standby' && options.standbyReady === true);
    if (!serving) return { ready: false, state, reason: `not streaming (${state})` };
    const kafkaProblem = await this.kafkaProblem();
    if (kafkaProblem !== null) return { ready: false, state, reason: `Kafka does not answer: ${kafkaProblem}` };
    return { ready: true, state };
  }

  private kafkaProblem(): Promise<string | null> {
    const now = Date.now();
    if (!this.probe || now - this.probe.at > PROBE_CACHE_MS) {
      this.probe = { at: now, result: this.probeKafka().then(() => null, (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!) };
    }
    return this.probe.result;
  }
}
