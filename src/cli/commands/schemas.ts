import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { loadTopicsConfig } from '../../config/load-config.js';
import { createKafka } from '../../kafka/kafka-client.js';
import { SchemaTopic } from '../../kafka/schema-topic.js';
import type { SchemaEntry } from '../../schema/schema-catalog.js';
import { type ConfigArgs, configOverrides, topicOptions } from './config-options.js';

interface SchemasArgs extends ConfigArgs { out?: string }

async function readSchemas(args: SchemasArgs): Promise<SchemaEntry[]> {
  const config = loadTopicsConfig({ ...(args.config ? { file: args.config } : {}), overrides: configOverrides(args) });
  const topic = new SchemaTopic(createKafka(config.kafka, 'schemas'), config.topicPrefix);
  const entries = await topic.readAll();
  if (entries === null) process.stderr.write(`no topic ${topic.topic}: nothing was published with topic prefix ${config.topicPrefix}\n`);
  return (entries ?? []).sort((a, b) => a.subject.localeCompare(b.subject) || a.version - b.version);
}

/** `<out>/<subject>-v<version>.avsc`, one file per schema version. */
export const exportFileName = (entry: SchemaEntry): string => `${entry.subject}-v${entry.version}.avsc`;

export const schemasCommand = {
  command: 'schemas <action>',
  describe: 'list or export the Avro schemas logtap published (the <topicPrefix>._schemas topic)',
  builder: (y: Argv) => topicOptions(y)
    .positional('action', { choices: ['list', 'export'] as const, demandOption: true, describe: 'list: one line per schema version; export: write .avsc files' })
    .option('out', { type: 'string', describe: 'folder for export' })
    .example('$0 schemas list --config shop.yaml', 'one line per subject and version')
    .example('$0 schemas export --config shop.yaml --out schemas-out', 'write <subject>-v<version>.avsc files'),
  handler: async (args: SchemasArgs & { action: string }) => {
    if (args.action === 'export' && !args.out) throw Object.assign(new Error('schemas export needs --out <folder>'), { usage: true });
    const entries = await readSchemas(args);
    if (args.action === 'list') {
      for (const e of entries) process.stdout.write(`${e.subject}\tv${e.version}\t${e.fingerprintHex}\n`);
      return;
    }
    mkdirSync(args.out!, { recursive: true });
    for (const e of entries) writeFileSync(join(args.out!, exportFileName(e)), `${JSON.stringify(e.schema, null, 2)}\n`);
    process.stderr.write(`wrote ${entries.length} schema file(s) to ${args.out}\n`);
  },
};
