import type { Argv } from 'yargs';
import { configuredShaper } from '../../columns/configured-shaper.js';
import { loadConfig } from '../../config/load-config.js';
import { silentLogger } from '../../logger.js';
import { createKafka } from '../../kafka/kafka-client.js';
import type { CheckFinding } from '../../source/source-connector.js';
import type { LogtapConfig } from '../../config/config-schema.js';
import { connectorFactoryFor } from '../connectors.js';
import { EXIT } from '../exit-codes.js';
import { CheckpointStore } from '../../kafka/checkpoint-store.js';
import { failureFix } from '../../pipeline/last-failure.js';
import { configOptions, configOverrides, type ConfigArgs } from './config-options.js';
import { connectorOptions } from '../../pipeline/runner.js';
import { outboxFindings } from '../../outbox/outbox-check.js';

/** Kafka's side of the preflight: reachable, and transactions usable for exactly-once delivery. */
async function checkKafka(kafka: LogtapConfig['kafka'], name: string): Promise<CheckFinding[]> {
  const { brokers } = kafka;
  // The run's own connection settings (TLS, SASL), so check sees what run will.
  const admin = createKafka(kafka, `${name}-check`).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return [];
  } catch (err) {
    return [{ level: 'error', id: 'kafka_unreachable', message: `Kafka at ${brokers.join(',')} cannot be reached: ${(err as Error).message}`, fix: 'check kafka.brokers and that the brokers listen on those addresses' }];
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * A daemon that stopped on a failure it does not retry left it beside its checkpoint: reported as an error, so
 * "ok" never stands beside a stopped connector. Cleared by the daemon's first checkpoint once it streams again.
 */
async function checkLastFailure(config: LogtapConfig): Promise<CheckFinding[]> {
  const store = new CheckpointStore(createKafka(config.kafka, `${config.name}-check`), config.topicPrefix, config.name);
  let failure;
  try {
    ({ failure } = await store.loadState());
  } catch (err) {
    return [{ level: 'warning', id: 'checkpoint_unreadable', message: `cannot read ${store.topic} to see whether the connector stopped on a failure: ${(err as Error).message}`, fix: 'grant this user read access to the topic (logtap run needs it too)' }];
  }
  if (!failure) return [];
  const at = new Date(Number(failure.failedAtMicros / 1000n)).toISOString();
  return [{
    level: 'error', id: 'last_failure',
    message: `connector ${config.name} stopped at ${at} on ${failure.code}: ${failure.message} (after checkpoint ${failure.position?.display ?? 'none'})`,
    fix: failureFix(failure.code),
  }];
}

export const checkCommand = {
  command: 'check',
  describe: 'preflight: list every problem of the source and Kafka that would stop or degrade streaming, each with its fix',
  builder: (y: Argv) => configOptions(y).example('$0 check --config shop.yaml', 'exit code 0 when nothing blocks streaming'),
  handler: async (args: ConfigArgs) => {
    const config = loadConfig({ ...(args.config ? { file: args.config } : {}), overrides: configOverrides(args) });
    // As run refuses it: a hash mask without its salt.
    configuredShaper(config);
    // Built as run builds it: the same tables, TOAST policy and cascade reader, so check sees what run will.
    const connector = (await connectorFactoryFor(config.source.url))(connectorOptions(config, silentLogger, createKafka(config.kafka, `${config.name}-check`)));
    let findings: CheckFinding[];
    try {
      const kafka = await checkKafka(config.kafka, config.name);
      findings = [...(await connector.check()), ...(await outboxFindings(config.outbox.tables, connector)), ...kafka, ...(kafka.length === 0 ? await checkLastFailure(config) : [])];
    } finally {
      await connector.close();
    }
    for (const f of findings) process.stdout.write(`${f.level === 'error' ? 'ERROR  ' : 'warning'} ${f.id}: ${f.message}\n        fix: ${f.fix}\n`);
    const errors = findings.filter((f) => f.level === 'error').length;
    process.stdout.write(errors === 0 ? `ok: nothing blocks streaming${findings.length ? ` (${findings.length} warning(s))` : ''}\n` : `${errors} problem(s) block streaming\n`);
    if (errors > 0) process.exitCode = EXIT.failure;
  },
};
