import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Argv } from 'yargs';
import { loadConfig, redactUrl } from '../../config/load-config.js';
import { ConfigError } from '../../errors.js';
import { silentLogger } from '../../logger.js';
import { renderSetupScript, type SetupPlan } from '../../setup/setup-plan.js';
import { connectorFactoryFor } from '../connectors.js';

interface InitArgs {
  'source-url': string;
  brokers: string;
  name?: string;
  'topic-prefix'?: string;
  role: string;
  out: string;
  'sql-out': string;
  force: boolean;
}

export const initCommand = {
  command: 'init',
  describe: 'look at a source (read-only) and write a commented config for it, plus the SQL an administrator runs so that `logtap check` passes',
  builder: (y: Argv) => y
    .option('source-url', { type: 'string', demandOption: true, describe: 'the source to inspect (any account that can read its catalog; the config gets the role below)' })
    .option('brokers', { type: 'string', demandOption: true, describe: 'Kafka brokers, comma-separated' })
    .option('name', { type: 'string', describe: 'connector name (default: the database\'s name)' })
    .option('topic-prefix', { type: 'string', describe: 'topic prefix (default: the connector name)' })
    .option('role', { type: 'string', default: 'logtap', describe: 'the role (PostgreSQL) or user (MySQL/MariaDB) logtap will run as' })
    .option('out', { type: 'string', default: 'logtap.yaml', describe: 'the config file to write' })
    .option('sql-out', { type: 'string', default: 'logtap-setup.sql', describe: 'the administrator\'s SQL script to write' })
    .option('force', { type: 'boolean', default: false, describe: 'overwrite existing files' })
    .example('$0 init --source-url postgres://admin@db/shop --brokers kafka:9092', 'writes logtap.yaml and logtap-setup.sql'),
  handler: async (args: InitArgs) => {
    for (const file of [args.out, args['sql-out']]) {
      if (existsSync(file) && !args.force) throw new ConfigError(`${file} exists: move it away, choose another --out/--sql-out, or pass --force to overwrite it`);
    }
    const url = args['source-url'];
    const database = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
    const name = args.name ?? (database.replace(/[^A-Za-z0-9_.-]/g, '_') || 'logtap');
    const topicPrefix = args['topic-prefix'] ?? name;
    const brokers = args.brokers.split(',').map((b) => b.trim()).filter(Boolean);
    // The flags are checked as the config will be, before anything is inspected or written.
    loadConfig({ env: {}, overrides: { name, 'source.url': url, 'kafka.brokers': brokers, topicPrefix } });

    const connector = (await connectorFactoryFor(url))({ name, url, log: silentLogger });
    let plan: SetupPlan;
    try {
      if (!connector.setupPlan) throw new ConfigError(`logtap init does not know the ${connector.kind} connector's setup`);
      plan = await connector.setupPlan({ role: args.role, name });
    } finally {
      await connector.close();
    }

    const config = renderConfig(plan, { name, topicPrefix, brokers, sqlFile: basename(args['sql-out']), configFile: basename(args.out) });
    // What is written must load: the same validation `run` applies, with the password variable set.
    const probe = join(dirname(args.out), `.${basename(args.out)}.${process.pid}.tmp`);
    writeFileSync(probe, config);
    try {
      loadConfig({ file: probe, env: { [plan.passwordVariable]: 'probe' } });
    } catch (err) {
      rmSync(probe, { force: true });
      throw err;
    }
    const sqlTemp = `${args['sql-out']}.${process.pid}.tmp`;
    writeFileSync(sqlTemp, renderSetupScript(plan, [
      `logtap setup for ${plan.server} (${redactUrl(url)}), connector ${name}, written by \`logtap init\` on ${new Date().toISOString().slice(0, 10)}.`,
      `What an administrator runs once so that role ${args.role} can run the connector; every statement says why it is here.`,
    ]));
    renameSync(sqlTemp, args['sql-out']);
    renameSync(probe, args.out);

    const say = (line = '') => process.stdout.write(`${line}\n`);
    say(`wrote ${args.out}: connector ${name}, ${plan.tables.length} table(s), topics ${topicPrefix}.<namespace>.<table>`);
    say(`wrote ${args['sql-out']}: ${plan.statements.length} statement(s)${plan.settings.length ? `, ${plan.settings.length} server setting(s) to change first` : ''}`);
    say('next:');
    if (plan.settings.length) say(`  1. change ${plan.settings.map((s) => `${s.name}=${s.value}`).join(', ')} in the server's configuration and restart it`);
    say(`  ${plan.settings.length ? 2 : 1}. an administrator runs ${args['sql-out']}: ${plan.howToRun.replace('<this file>', args['sql-out'])}`);
    say(`  ${plan.settings.length ? 3 : 2}. export ${plan.passwordVariable}=<the role's password>; logtap check --config ${args.out}`);
    say(`  ${plan.settings.length ? 4 : 3}. logtap run --config ${args.out}`);
  },
};

function renderConfig(plan: SetupPlan, o: { name: string; topicPrefix: string; brokers: string[]; sqlFile: string; configFile: string }): string {
  const q = (text: string) => JSON.stringify(text);
  const shown = plan.tables.slice(0, 8).join(', ') + (plan.tables.length > 8 ? `, … (${plan.tables.length - 8} more)` : '');
  return [
    `# logtap configuration for ${plan.server}, written by \`logtap init\`.`,
    `# Before the first start an administrator runs ${o.sqlFile}; then export ${plan.passwordVariable} and run`,
    `# \`logtap check --config ${o.configFile}\` (every problem with its fix) and \`logtap run --config ${o.configFile}\`.`,
    '',
    `# Slot, publication, transactional id and checkpoint key derive from the name: never change it once running.`,
    `name: ${q(o.name)}`,
    'source:',
    `  # The role ${o.sqlFile} creates; the password comes from the environment, never from this file.`,
    `  url: ${q(plan.url)}`,
    `  # Default: every table, now ${plan.tables.length}${shown ? `: ${shown}` : ''}.`,
    '  # To capture fewer, list them: tables: [namespace.table, …]',
    'kafka:',
    `  brokers: [${o.brokers.map(q).join(', ')}]`,
    `# One topic per table: ${o.topicPrefix}.<namespace>.<table>.`,
    `topicPrefix: ${q(o.topicPrefix)}`,
    '',
    '# Optional (docs/operations.md, docs/snapshots.md, docs/backfill.md):',
    '# http: { port: 8080 }            # /healthz, /readyz, /metrics and the console',
    '# topics: { partitions: 1 }       # per table topic',
    '# snapshot: { mode: initial }     # initial | always | never',
    '# signal: { enabled: true }       # online backfills with `logtap snapshot --table …` (creates a signal table)',
    '',
  ].join('\n');
}
