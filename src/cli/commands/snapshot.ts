import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Argv } from 'yargs';
import { loadConfig } from '../../config/load-config.js';
import { ConfigError } from '../../errors.js';
import { createLogger } from '../../logger.js';
import { createKafka } from '../../kafka/kafka-client.js';
import { CheckpointStore } from '../../kafka/checkpoint-store.js';
import type { TableId } from '../../model/table-schema.js';
import { tableIdText } from '../../model/table-schema.js';
import { decodeBackfillState } from '../../backfill/backfill-state.js';
import { SIGNAL, executeSnapshotData } from '../../backfill/signal-types.js';
import { type RequestDisplay, barDisplay, logDisplay, requestStatus } from '../../backfill/request-progress.js';
import { connectorFactoryFor } from '../connectors.js';
import { topicOptions } from './config-options.js';
import { applyDaemonHeapPolicy } from '../../ops/node-options.js';

interface SnapshotArgs {
  config?: string;
  name?: string;
  'source-url'?: string;
  brokers?: string;
  'topic-prefix'?: string;
  table: string[];
  detach?: boolean;
}

/** How often the checkpoint is read while following a backfill. */
const POLL_MS = 1_000;

export const snapshotCommand = {
  command: 'snapshot',
  describe: 'backfill tables while `logtap run` streams: writes an execute-snapshot signal, then follows the progress (docs/backfill.md)',
  builder: (y: Argv) => topicOptions(y)
    .option('name', { type: 'string', describe: 'connector name (overrides `name`)' })
    .option('source-url', { type: 'string', describe: 'source database URL (overrides `source.url`)' })
    .option('table', { type: 'string', array: true, demandOption: true, describe: 'a table to backfill, namespace.table (repeatable)' })
    .option('detach', { type: 'boolean', default: false, describe: 'write the signal and exit, without following the progress' })
    .example('$0 snapshot --config shop.yaml --table public.orders', 'backfill public.orders through the running daemon'),
  handler: async (args: SnapshotArgs) => {
    applyDaemonHeapPolicy();
    const config = loadConfig({
      ...(args.config ? { file: args.config } : {}),
      overrides: { name: args.name, 'source.url': args['source-url'], 'kafka.brokers': args.brokers?.split(','), topicPrefix: args['topic-prefix'] },
    });
    if (!config.signal.enabled) {
      throw new ConfigError('online backfills are off: set `signal: { enabled: true }` in the config, restart `logtap run` with it, then request the backfill');
    }
    const tables = args.table.map(parseTable);
    const configured = config.source.tables;
    for (const t of tables) {
      if (configured && !configured.includes(tableIdText(t))) {
        throw new ConfigError(`--table ${tableIdText(t)} is not in source.tables of the config: only captured tables can be backfilled`);
      }
    }
    const log = createLogger().child({ connector: config.name, component: 'snapshot' });
    const connector = (await connectorFactoryFor(config.source.url))({
      name: config.name, url: config.source.url, tables: config.source.tables, signalTable: config.signal.table ?? '', log,
    });
    const backfills = connector.backfills;
    if (!backfills) throw new ConfigError(`the ${connector.kind} connector cannot backfill tables online`);
    const request = randomUUID();
    let estimated = 0;
    try {
      await backfills.prepare();
      const session = await backfills.open();
      try {
        // Every table is checked before anything is written: a bad request writes no signal.
        for (const t of tables) {
          const table = await session.table(t);
          if ('problem' in table) throw new ConfigError(`--table ${tableIdText(t)}: ${table.problem}`);
          estimated += table.estimatedRows ?? 0;
        }
        await session.writeSignal({ id: request, type: SIGNAL.executeSnapshot, data: executeSnapshotData(tables, config.name) });
      } finally {
        await session.close();
      }
    } finally {
      await connector.close();
    }
    process.stdout.write(`backfill requested: ${request} (${tables.map(tableIdText).join(', ')}, about ${estimated} rows)\n`);
    if (args.detach) return;

    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const display: RequestDisplay = process.stderr.isTTY ? barDisplay(tables, estimated) : logDisplay(log, estimated);
    const checkpoints = new CheckpointStore(createKafka(config.kafka, `${config.name}-snapshot`), config.topicPrefix, config.name);
    const seen = new Map<string, number>();
    const since = Date.now();
    let warned = false;
    try {
      while (!stop.signal.aborted) {
        const checkpoint = await checkpoints.load(stop.signal).catch((err: unknown) => {
          if (stop.signal.aborted) return null;
          throw err;
        });
        const status = requestStatus(decodeBackfillState(checkpoint?.snapshot ?? null), request, seen);
        display.update(status);
        if (status.phase === 'done') break;
        if (status.phase === 'waiting' && !warned && Date.now() - since > 60_000) {
          warned = true;
          log.warn({ request }, 'no checkpoint names the request after a minute: is `logtap run` running with signal.enabled for this connector?');
        }
        await sleep(POLL_MS, undefined, { signal: stop.signal }).catch(() => {});
      }
    } finally {
      display.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (stop.signal.aborted) {
      process.stdout.write(`stopped following; the daemon goes on with backfill ${request}\n`);
      return;
    }
    process.stdout.write(`backfill ${request} finished\n`);
  },
};

function parseTable(text: string): TableId {
  const match = /^([^.\s]+)\.([^.\s]+)$/.exec(text);
  if (!match) throw new ConfigError(`--table ${JSON.stringify(text)}: expected namespace.table`);
  return { namespace: match[1]!, name: match[2]! };
}
