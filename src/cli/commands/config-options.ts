import type { Argv } from 'yargs';

export interface ConfigArgs {
  config?: string;
  name?: string;
  'source-url'?: string;
  table?: string[];
  brokers?: string;
  'topic-prefix'?: string;
}

/** What commands that only read logtap's topics take; flags override the file and LOGTAP_* variables. */
export const topicOptions = (y: Argv) => y
  .option('config', { type: 'string', describe: 'YAML config file (${VAR} expands from the environment)' })
  .option('brokers', { type: 'string', describe: 'Kafka brokers, comma-separated (overrides `kafka.brokers`)' })
  .option('topic-prefix', { type: 'string', describe: 'topic prefix (overrides `topicPrefix`)' });

/** The options of commands that run a connector. */
export const configOptions = (y: Argv) => topicOptions(y)
  .option('name', { type: 'string', describe: 'connector name (overrides `name`)' })
  .option('source-url', { type: 'string', describe: 'source database URL (overrides `source.url`)' })
  .option('table', { type: 'string', array: true, describe: 'a table to capture, namespace.table (repeatable; overrides `source.tables`)' });

export const configOverrides = (args: ConfigArgs): Record<string, unknown> => ({
  name: args.name,
  'source.url': args['source-url'],
  'source.tables': args.table,
  'kafka.brokers': args.brokers?.split(','),
  topicPrefix: args['topic-prefix'],
});
