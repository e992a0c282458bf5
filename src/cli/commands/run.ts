import type { Argv } from 'yargs';
import pkg from '../../../package.json' with { type: 'json' };
import { loadConfig } from '../../config/load-config.js';
import { createLogger } from '../../logger.js';
import { createKafka } from '../../kafka/kafka-client.js';
import { runConnector } from '../../pipeline/runner.js';
import { connectorFactoryFor } from '../connectors.js';
import { replayConnectorFor } from '../replay-targets.js';
import { startDaemonOps } from '../../ops/daemon-ops.js';
import { configOptions, configOverrides, type ConfigArgs } from './config-options.js';
import { applyDaemonHeapPolicy } from '../../ops/node-options.js';

export const runCommand = {
  command: 'run',
  describe: 'stream changes from the source database into Kafka until stopped (SIGTERM/SIGINT finish the in-flight transaction)',
  builder: (y: Argv) => configOptions(y)
    .option('http-port', { type: 'number', describe: 'serve /healthz, /readyz and /metrics on this port (overrides `http.port`; 0: a free port)' })
    .example('$0 run --config shop.yaml', 'stream the tables of shop.yaml')
    .example('LOGTAP_SOURCE_URL=postgres://... $0 run --config shop.yaml', 'the URL from the environment'),
  handler: async (args: ConfigArgs & { 'http-port'?: number }) => {
    applyDaemonHeapPolicy();
    const config = loadConfig({ ...(args.config ? { file: args.config } : {}), overrides: { ...configOverrides(args), 'http.port': args['http-port'] } });
    const log = createLogger().child({ connector: config.name });
    const stop = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (stop.signal.aborted) return;
      log.info({ signal }, 'stopping: finishing the in-flight transaction');
      stop.abort();
      // A stop that takes longer than the grace period ends the process (the next start resumes from the checkpoint).
      setTimeout(() => {
        log.error({ graceMs: config.shutdownGraceMs }, 'stop took longer than the grace period');
        process.exit(1);
      }, config.shutdownGraceMs).unref();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const createConnector = await connectorFactoryFor(config.source.url);
    const ops = await startDaemonOps(config, log, {
      version: pkg.version,
      createConnector,
      openSourceReader: async () => (await replayConnectorFor(config.source.url, 'source')).openReader(config.source.url, 'source'),
    });
    try {
      await runConnector(config, {
        kafka: createKafka(config.kafka, config.name),
        createConnector,
        log,
        version: pkg.version,
        ...ops.hooks,
      }, stop.signal);
    } finally {
      await ops.close();
    }
    log.info({}, 'stopped');
  },
};
