import type { LogtapConfig } from '../config/config-schema.js';
import type { Logger } from '../logger.js';
import type { RunDependencies } from '../pipeline/runner.js';
import { createKafka } from '../kafka/kafka-client.js';
import { DaemonMetrics } from './daemon-metrics.js';
import { Readiness } from './readiness.js';
import { startOpsServer } from './ops-server.js';

/** A Kafka probe slower than this counts as Kafka not answering. */
const KAFKA_PROBE_TIMEOUT_MS = 3_000;

export type RunnerHooks = Pick<RunDependencies, 'metrics' | 'onState' | 'onSource' | 'onError'>;

export interface DaemonOps {
  /** What `runConnector` takes to feed the endpoints (empty when HTTP is off). */
  hooks: RunnerHooks;
  close(): Promise<void>;
}

/**
 * Starts the HTTP endpoints when `http.port` is configured, and returns the runner hooks that feed them
 * (metrics, readiness state, the current connector for its lag query, errors by kind).
 */
export async function startDaemonOps(config: LogtapConfig, log: Logger): Promise<DaemonOps> {
  if (config.http.port === undefined) return { hooks: {}, close: async () => {} };
  const metrics = new DaemonMetrics(config.name);
  // Its own client without retries: a probe answers now, or Kafka counts as unreachable.
  const probeClient = createKafka(config.kafka, `${config.name}-probe`, { retries: 0 });
  const readiness = new Readiness(() => probeKafka(probeClient));
  const server = await startOpsServer({ host: config.http.host, port: config.http.port, readiness, metrics });
  log.info({ host: server.address.host, port: server.address.port }, 'http endpoints listening');
  return {
    hooks: {
      metrics,
      onState: (state) => {
        readiness.setState(state);
        if (state === 'backoff') metrics.restarted();
      },
      onSource: (connector) => metrics.setSource(connector),
      onError: (err) => metrics.error(err),
    },
    close: () => server.close(),
  };
}

async function probeKafka(kafka: ReturnType<typeof createKafka>): Promise<void> {
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await admin.connect();
        await admin.describeCluster();
      })(),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${KAFKA_PROBE_TIMEOUT_MS} ms`)), KAFKA_PROBE_TIMEOUT_MS); }),
    ]);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => {});
  }
}
