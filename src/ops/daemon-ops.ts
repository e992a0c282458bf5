import type { LogtapConfig } from '../config/config-schema.js';
import type { Logger } from '../logger.js';
import type { RunDependencies } from '../pipeline/runner.js';
import { createKafka } from '../kafka/kafka-client.js';
import { DaemonMetrics } from './daemon-metrics.js';
import { Readiness } from './readiness.js';
import { startOpsServer } from './ops-server.js';
import type { ConnectorFactory } from '../source/source-connector.js';
import type { TableRowReader } from '../replay/replay-target.js';
import { ConsoleSamples } from '../console/console-samples.js';
import { ConsoleState } from '../console/console-state.js';
import { ConsoleService } from '../console/console-service.js';

/** A Kafka probe slower than this counts as Kafka not answering. */
const KAFKA_PROBE_TIMEOUT_MS = 3_000;

export type RunnerHooks = Pick<RunDependencies, 'metrics' | 'onState' | 'onSource' | 'onError' | 'onPhase' | 'onCheckpoint'>;

/** What the console needs beyond the config: the connector (backfill requests) and a reader of the source's rows. */
export interface ConsoleSources {
  version: string;
  createConnector: ConnectorFactory;
  openSourceReader: () => Promise<TableRowReader>;
}

export interface DaemonOps {
  /** What `runConnector` takes to feed the endpoints (empty when HTTP is off). */
  hooks: RunnerHooks;
  /** Where the endpoints and the console listen (null when HTTP is off). */
  address: { host: string; port: number } | null;
  close(): Promise<void>;
}

/**
 * Starts the HTTP endpoints when `http.port` is configured, and returns the runner hooks that feed them
 * (metrics, readiness state, the current connector for its lag query, errors by kind).
 */
export async function startDaemonOps(config: LogtapConfig, log: Logger, sources: ConsoleSources): Promise<DaemonOps> {
  if (config.http.port === undefined) return { hooks: {}, address: null, close: async () => {} };
  const metrics = new DaemonMetrics(config.name);
  // Its own client without retries: a probe answers now, or Kafka counts as unreachable.
  const probeClient = createKafka(config.kafka, `${config.name}-probe`, { retries: 0 });
  const readiness = new Readiness(() => probeKafka(probeClient));
  const state = new ConsoleState();
  const samples = new ConsoleSamples(metrics.registry);
  const console = new ConsoleService({
    config, version: sources.version, kafka: createKafka(config.kafka, `${config.name}-console`), state, samples,
    log: log.child({ component: 'console' }), createConnector: sources.createConnector, openSourceReader: sources.openSourceReader,
  });
  const server = await startOpsServer({ host: config.http.host, port: config.http.port, readiness, metrics, console });
  samples.start();
  log.info({ host: server.address.host, port: server.address.port, console: `http://${server.address.host.includes(':') ? `[${server.address.host}]` : server.address.host}:${server.address.port}/` }, 'http endpoints listening');
  return {
    hooks: {
      metrics,
      onState: (s) => {
        readiness.setState(s);
        state.setState(s);
        if (s === 'backoff') metrics.restarted();
      },
      onSource: (connector) => metrics.setSource(connector),
      onError: (err) => {
        metrics.error(err);
        state.setError(err);
      },
      onPhase: (phase) => state.setSnapshotting(phase === 'snapshot'),
      onCheckpoint: (checkpoint) => state.setCheckpoint(checkpoint),
    },
    address: server.address,
    close: async () => {
      samples.stop();
      await server.close();
    },
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
