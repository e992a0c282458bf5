import { setTimeout as sleep } from 'node:timers/promises';
import type { Argv } from 'yargs';
import { loadConfig } from '../../config/load-config.js';
import { tableFilter } from '../../config/table-pattern.js';
import { ConfigError } from '../../errors.js';
import { createLogger } from '../../logger.js';
import { createKafka } from '../../kafka/kafka-client.js';
import { CheckpointStore } from '../../kafka/checkpoint-store.js';
import type { TableId } from '../../model/table-schema.js';
import { parseTableId, tableIdText } from '../../model/table-schema.js';
import { type BackfillState, decodeBackfillState, emptyBackfillState } from '../../backfill/backfill-state.js';
import pkg from '../../../package.json' with { type: 'json' };
import type { LogtapConfig } from '../../config/config-schema.js';
import type { Logger } from '../../logger.js';
import type { Checkpoint } from '../../pipeline/checkpoint.js';
import { runConnector } from '../../pipeline/runner.js';
import { requestBackfill } from '../../backfill/request-backfill.js';
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
  describe: 'backfill tables: writes an execute-snapshot signal, then follows the running daemon\'s progress, or streams the stopped connector itself until the tables are published (docs/backfill.md)',
  builder: (y: Argv) => topicOptions(y)
    .option('name', { type: 'string', describe: 'connector name (overrides `name`)' })
    .option('source-url', { type: 'string', describe: 'source database URL (overrides `source.url`)' })
    .option('table', { type: 'string', array: true, demandOption: true, describe: 'a table to backfill, namespace.table (repeatable)' })
    .option('detach', { type: 'boolean', default: false, describe: 'write the signal and exit, without following the progress' })
    .example('$0 snapshot --config shop.yaml --table public.orders', 'backfill public.orders (through the daemon when it runs, by streaming the connector here when not)'),
  handler: async (args: SnapshotArgs) => {
    applyDaemonHeapPolicy();
    const config = loadConfig({
      ...(args.config ? { file: args.config } : {}),
      overrides: { name: args.name, 'source.url': args['source-url'], 'kafka.brokers': args.brokers?.split(','), topicPrefix: args['topic-prefix'] },
    });
    if (!config.signal.enabled) {
      throw new ConfigError('online backfills are off: set `signal: { enabled: true }` in the config (and restart `logtap run` with it, if it runs), then request the backfill');
    }
    const tables = args.table.map(parseTable);
    const configured = tableFilter(config.source.tables, config.source.excludeTables);
    for (const t of tables) {
      if (!configured.captures(t)) {
        throw new ConfigError(`--table ${tableIdText(t)} is not in source.tables of the config (or is in source.excludeTables): only captured tables can be backfilled`);
      }
    }
    const log = createLogger().child({ connector: config.name, component: 'snapshot' });
    const createConnector = await connectorFactoryFor(config.source.url);
    const connector = createConnector({
      name: config.name, url: config.source.url, tables: config.source.tables, signalTable: config.signal.table ?? '', log,
    });
    const backfills = connector.backfills;
    if (!backfills) throw new ConfigError(`the ${connector.kind} connector cannot backfill tables online`);
    let request: string;
    let estimated: number;
    /** Who streams the connector now; null: nobody, this command streams it itself. */
    let active: string | null;
    try {
      // A connector that cannot say is assumed to run (the request then waits for it, as before).
      active = connector.activeInstance ? await connector.activeInstance() : 'unknown';
      await backfills.prepare();
      const requested = await requestBackfill(backfills, tables, config.name);
      if ('problem' in requested) throw new ConfigError(`--table ${tableIdText(requested.table)}: ${requested.problem}`);
      ({ request, estimatedRows: estimated } = requested);
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
    const seen = new Map<string, number>();
    let finished: Checkpoint | null = null;
    try {
      if (active === null) {
        process.stdout.write(`no instance of connector ${config.name} runs: streaming it here from its checkpoint until the backfill is published\n`);
        // Exactly `logtap run` (fencing, Kafka transactions, the checkpoint moving on with the stream) until the
        // checkpoint that holds the request's last chunk is committed.
        await runConnector(config, {
          kafka: createKafka(config.kafka, config.name), createConnector, log: createLogger().child({ connector: config.name }), version: pkg.version,
          onCheckpoint: (checkpoint) => {
            const status = requestStatus(backfillStateOf(checkpoint), request, seen);
            display.update(status);
            if (status.phase === 'done' && !finished) {
              finished = checkpoint;
              stop.abort();
            }
          },
        }, stop.signal);
      } else {
        finished = await follow(config, request, display, seen, log, stop.signal);
      }
    } finally {
      display.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (!finished) {
      process.stdout.write(active === null
        ? `stopped before backfill ${request} finished: the next logtap run (or logtap snapshot) continues it from its last checkpoint\n`
        : `stopped following; the daemon goes on with backfill ${request}\n`);
      if (active === null) process.exitCode = 1;
      return;
    }
    process.stdout.write(`backfill ${request} finished (checkpoint ${(finished as Checkpoint).position.display})\n`);
  },
};

/** The backfill state of a checkpoint; during an initial snapshot the field holds the snapshot's own token instead. */
function backfillStateOf(checkpoint: Checkpoint | null): BackfillState {
  try {
    return decodeBackfillState(checkpoint?.snapshot ?? null);
  } catch {
    return emptyBackfillState();
  }
}

/** While a daemon runs: reads its checkpoint until it names the request as done; null when stopped first. */
async function follow(config: LogtapConfig, request: string, display: RequestDisplay, seen: Map<string, number>, log: Logger, signal: AbortSignal): Promise<Checkpoint | null> {
  const checkpoints = new CheckpointStore(createKafka(config.kafka, `${config.name}-snapshot`), config.topicPrefix, config.name);
  const since = Date.now();
  let warned = false;
  while (!signal.aborted) {
    const checkpoint = await checkpoints.load(signal).catch((err: unknown) => {
      if (signal.aborted) return null;
      throw err;
    });
    const status = requestStatus(backfillStateOf(checkpoint), request, seen);
    display.update(status);
    if (status.phase === 'done') return checkpoint;
    if (status.phase === 'waiting' && !warned && Date.now() - since > 60_000) {
      warned = true;
      log.warn({ request }, 'no checkpoint names the request after a minute: is `logtap run` running with signal.enabled for this connector?');
    }
    await sleep(POLL_MS, undefined, { signal }).catch(() => {});
  }
  return null;
}

function parseTable(text: string): TableId {
  const id = parseTableId(text);
  if (!id) throw new ConfigError(`--table ${JSON.stringify(text)}: expected namespace.table`);
  return id;
}
