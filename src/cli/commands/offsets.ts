import type { Argv } from 'yargs';
import pkg from '../../../package.json' with { type: 'json' };
import type { LogtapConfig } from '../../config/config-schema.js';
import { loadConfig } from '../../config/load-config.js';
import { ConfigError, LogtapError } from '../../errors.js';
import { createLogger } from '../../logger.js';
import { createKafka } from '../../kafka/kafka-client.js';
import { CheckpointStore } from '../../kafka/checkpoint-store.js';
import type { Checkpoint } from '../../pipeline/checkpoint.js';
import { type LastFailure, failureFix } from '../../pipeline/last-failure.js';
import { connectorOptions } from '../../pipeline/runner.js';
import type { SourceConnector } from '../../source/source-connector.js';
import { nextTransaction } from '../../offsets/next-transaction.js';
import { commitOffsetsRecords } from '../../offsets/offsets-writer.js';
import { connectorFactoryFor } from '../connectors.js';
import { configOptions, configOverrides, type ConfigArgs } from './config-options.js';

const micros = (us: bigint): string => new Date(Number(us / 1000n)).toISOString();
const out = (line: string): void => void process.stdout.write(`${line}\n`);

export const checkpointLine = (c: Checkpoint | null): string =>
  c ? `${c.position.display} (${c.position.token}), checkpointed ${micros(c.committedAtMicros)} by logtap ${c.logtapVersion}` : 'no checkpoint (the next start is a first start)';

export function failureLines(f: LastFailure): string[] {
  return [
    `last failure: ${micros(f.failedAtMicros)} ${f.code}: ${f.message}`,
    `  after checkpoint: ${f.position?.display ?? 'none'}`,
    `  fix: ${failureFix(f.code)}`,
  ];
}

/** What every subcommand opens: the config, the connector as the daemon builds it, and the checkpoint store. */
interface Opened {
  config: LogtapConfig;
  connector: SourceConnector;
  store: CheckpointStore;
  kafka: ReturnType<typeof createKafka>;
}

async function open(args: ConfigArgs): Promise<Opened> {
  const config = loadConfig({ ...(args.config ? { file: args.config } : {}), overrides: configOverrides(args) });
  const log = createLogger().child({ connector: config.name, component: 'offsets' });
  const kafka = createKafka(config.kafka, `${config.name}-offsets`);
  // Built as the daemon builds it (its tables, publication and cascade reader), so what it finds is what the daemon would.
  const connector = (await connectorFactoryFor(config.source.url))(connectorOptions(config, log, kafka));
  return { config, connector, store: new CheckpointStore(kafka, config.topicPrefix, config.name), kafka };
}

async function withOpened(args: ConfigArgs, work: (o: Opened) => Promise<void>): Promise<void> {
  const opened = await open(args);
  try {
    await work(opened);
  } finally {
    await opened.connector.close().catch(() => {});
  }
}

/**
 * Moving a checkpoint under a running daemon would race its commits: refused while the source says an
 * instance streams (PostgreSQL slot active, MySQL instance lock held). A daemon between attempts holds
 * neither, but it re-reads the checkpoint after fencing, so it continues from whatever was committed last.
 */
async function requireStopped(connector: SourceConnector, config: LogtapConfig): Promise<void> {
  const active = await connector.activeInstance?.();
  if (active) throw new LogtapError('CONNECTOR_RUNNING', `connector ${config.name} is running (${active}): stop logtap run first — offsets moves only a stopped connector's checkpoint`);
}

/** Writes `checkpoint` through the connector's fenced transactional ids and prints before and after. */
async function move(o: Opened, before: Checkpoint | null, position: Checkpoint['position'], note?: string): Promise<void> {
  const after: Checkpoint = {
    connector: o.config.name, source: o.connector.kind, position, snapshot: before?.snapshot ?? null,
    committedAtMicros: BigInt(Date.now()) * 1000n, logtapVersion: pkg.version,
  };
  await requireStopped(o.connector, o.config);
  await commitOffsetsRecords(o.kafka, o.config, o.store.topic, [o.store.record(after)]);
  out(`before: ${checkpointLine(before)}`);
  out(`after:  ${checkpointLine(after)}`);
  if (note) out(note);
  out('start logtap run to stream from there');
}

const show = {
  command: 'show',
  describe: 'print the checkpoint, the last failure and whether an instance runs',
  builder: (y: Argv) => configOptions(y),
  handler: (args: ConfigArgs) => withOpened(args, async (o) => {
    const { checkpoint, failure } = await o.store.loadState();
    const active = await o.connector.activeInstance?.();
    out(`connector ${o.config.name} (${o.connector.kind}), checkpoints in ${o.store.topic}`);
    out(`checkpoint: ${checkpointLine(checkpoint)}`);
    out(`instance: ${active ?? 'none streams'}`);
    if (failure) for (const line of failureLines(failure)) out(line);
    else out('last failure: none');
  }),
};

const set = {
  command: 'set <position>',
  describe: 'move the stopped connector\'s checkpoint to a position (PostgreSQL: an LSN such as 0/16B3748; MySQL: file:offset or a GTID set)',
  builder: (y: Argv) => configOptions(y).positional('position', { type: 'string', demandOption: true, describe: 'where streaming continues' }),
  handler: (args: ConfigArgs & { position: string }) => withOpened(args, async (o) => {
    const control = o.connector.positions;
    if (!control) throw new ConfigError(`the ${o.connector.kind} connector cannot take a position from the command line`);
    const position = control.parse(String(args.position));
    const refusal = await control.refusal(position);
    if (refusal) throw new LogtapError('POSITION_REFUSED', `offsets set ${position.display}: ${refusal}`);
    await requireStopped(o.connector, o.config);
    const { checkpoint } = await o.store.loadState();
    const inSnapshot = checkpoint !== null && o.connector.snapshots?.isSnapshotPosition(checkpoint.position) === true;
    await move(o, checkpoint, position, checkpoint?.position.token === position.token ? 'the checkpoint was already there'
      : inSnapshot ? 'the initial snapshot it was in is abandoned: tables it had not finished are published only by later changes (logtap snapshot --table re-publishes them)' : undefined);
  }),
};

const skip = {
  command: 'skip-current-transaction',
  describe: 'move the stopped connector\'s checkpoint past the source transaction that follows it (the one it stopped on); prints what was skipped',
  builder: (y: Argv) => configOptions(y),
  handler: (args: ConfigArgs) => withOpened(args, async (o) => {
    await requireStopped(o.connector, o.config);
    const { checkpoint } = await o.store.loadState();
    if (!checkpoint) throw new LogtapError('NO_CHECKPOINT', `connector ${o.config.name} has no checkpoint in ${o.store.topic}: there is no transaction to skip after it`);
    if (o.connector.snapshots?.isSnapshotPosition(checkpoint.position)) {
      throw new LogtapError('IN_SNAPSHOT', `the checkpoint of connector ${o.config.name} lies inside its initial snapshot (${checkpoint.position.display}): there is no source transaction to skip — fix the row at the source or leave its table out of source.tables, or start the snapshot over with logtap offsets reset`);
    }
    const next = await nextTransaction(o.connector, checkpoint.position).catch((err: unknown) => {
      // A connector that finds the transaction by streaming it fails where its stream fails.
      if (!(err instanceof LogtapError) || err.retriable) throw err;
      throw new LogtapError(err.code, `cannot read the transaction after the checkpoint (${checkpoint.position.display}): ${err.message} — move past it with logtap offsets set <position> (docs/operations.md#runbook)`, { cause: err });
    });
    if (!next) {
      out(`no transaction follows the checkpoint (${checkpoint.position.display}): nothing skipped`);
      process.exitCode = 1;
      return;
    }
    const tables = next.tables.length > 0 ? next.tables.join(', ') : 'no table';
    const what = `${next.changes} change(s)${next.messages > 0 ? ` and ${next.messages} outbox message(s)` : ''}`;
    const committed = next.commitTimeMicros === null ? '' : `, committed ${micros(next.commitTimeMicros)}`;
    out(`skipped transaction ${next.txId ?? '(no id)'}${committed}: ${what} of ${tables}`);
    await move(o, checkpoint, next.end, next.tables.length > 0
      ? `these changes are not published: re-publish the tables with logtap snapshot --config … ${next.tables.map((t) => `--table ${t}`).join(' ')}`
      : undefined);
  }),
};

const reset = {
  command: 'reset',
  describe: 'forget the stopped connector\'s checkpoint: the next start is a first start (it snapshots per snapshot.mode)',
  builder: (y: Argv) => configOptions(y),
  handler: (args: ConfigArgs) => withOpened(args, async (o) => {
    await requireStopped(o.connector, o.config);
    const { checkpoint } = await o.store.loadState();
    await commitOffsetsRecords(o.kafka, o.config, o.store.topic, [o.store.forgetRecord()]);
    out(`before: ${checkpointLine(checkpoint)}`);
    out(`after:  ${checkpointLine(null)}`);
  }),
};

export const offsetsCommand = {
  command: 'offsets',
  describe: 'show or move a stopped connector\'s checkpoint: show | set <position> | skip-current-transaction | reset (docs/operations.md#runbook)',
  builder: (y: Argv) => y.command(show).command(set).command(skip).command(reset).demandCommand(1, 'name an action: show, set, skip-current-transaction or reset'),
  handler: () => {},
};
