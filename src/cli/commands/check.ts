import type { Argv } from 'yargs';
import { loadConfig } from '../../config/load-config.js';
import { silentLogger } from '../../logger.js';
import { createKafka } from '../../kafka/kafka-client.js';
import type { CheckFinding } from '../../source/source-connector.js';
import type { LogtapConfig } from '../../config/config-schema.js';
import { connectorFactoryFor } from '../connectors.js';
import { topicRowsReader } from '../../cascade/published-rows.js';
import { EXIT } from '../exit-codes.js';
import { configOptions, configOverrides, type ConfigArgs } from './config-options.js';

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

export const checkCommand = {
  command: 'check',
  describe: 'preflight: list every problem of the source and Kafka that would stop or degrade streaming, each with its fix',
  builder: (y: Argv) => configOptions(y).example('$0 check --config shop.yaml', 'exit code 0 when nothing blocks streaming'),
  handler: async (args: ConfigArgs) => {
    const config = loadConfig({ ...(args.config ? { file: args.config } : {}), overrides: configOverrides(args) });
    const connector = (await connectorFactoryFor(config.source.url))({
      name: config.name, url: config.source.url, tables: config.source.tables, unchangedToast: config.toast.unchanged, log: silentLogger,
      // As run has it: whether the connector can read rows back from the topics (foreign-key cascades).
      publishedRows: config.envelope === 'entity' ? topicRowsReader(createKafka(config.kafka, `${config.name}-check`), config.topicPrefix, config.encoding.registryUrl) : undefined,
    });
    let findings: CheckFinding[];
    try {
      findings = [...(await connector.check()), ...(await checkKafka(config.kafka, config.name))];
    } finally {
      await connector.close();
    }
    for (const f of findings) process.stdout.write(`${f.level === 'error' ? 'ERROR  ' : 'warning'} ${f.id}: ${f.message}\n        fix: ${f.fix}\n`);
    const errors = findings.filter((f) => f.level === 'error').length;
    process.stdout.write(errors === 0 ? `ok: nothing blocks streaming${findings.length ? ` (${findings.length} warning(s))` : ''}\n` : `${errors} problem(s) block streaming\n`);
    if (errors > 0) process.exitCode = EXIT.failure;
  },
};
