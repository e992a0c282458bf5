import type { Argv } from 'yargs';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import type { Consumer } from 'kafkajs';
import pkg from '../../../package.json' with { type: 'json' };
import { loadConfig, redactUrl } from '../../config/load-config.js';
import { ConfigError, LogtapError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { createKafka } from '../../kafka/kafka-client.js';
import { SchemaTopic } from '../../kafka/schema-topic.js';
import { TopicManager } from '../../kafka/topic-manager.js';
import { type DecodedEntityEvent, EntityEventDecoder, type SchemaResolver } from '../../events/event-decoder.js';
import type { AvroSchema } from '../../avro/column-avro-type.js';
import { runConnector } from '../../pipeline/runner.js';
import { packageRoot } from '../../package-root.js';
import { connectorFactoryFor } from '../connectors.js';
import { replayConnectorFor } from '../replay-targets.js';
import { type DaemonOps, startDaemonOps } from '../../ops/daemon-ops.js';

interface DemoArgs {
  'source-url'?: string;
  brokers?: string;
  steps: number;
  replay: boolean;
  schema: string;
}

const tty = process.stdout.isTTY === true;
const paint = (code: string) => (text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
const bold = paint('1');
const dim = paint('2');
const green = paint('32');
const cyan = paint('36');
const yellow = paint('33');
const red = paint('31');
const say = (line = '') => process.stdout.write(`${line}\n`);
const heading = (line: string) => say(`${cyan('▸')} ${line}`);

export const demoCommand = {
  command: 'demo',
  describe: 'try logtap in one command: local PostgreSQL and Kafka, a sample schema, a write workload, the events live, then the tables rebuilt by replay',
  builder: (y: Argv) => y
    .option('source-url', { type: 'string', describe: 'use this PostgreSQL (wal_level=logical) instead of starting the local test bed' })
    .option('brokers', { type: 'string', describe: 'use these Kafka brokers (comma-separated) instead of the local test bed' })
    .option('steps', { type: 'number', default: 12, describe: 'transactions the workload writes' })
    .option('replay', { type: 'boolean', default: true, describe: 'rebuild the tables from their topics afterwards (--no-replay: skip)' })
    .option('schema', { type: 'string', default: 'logtap_demo', describe: 'the sample schema (dropped and created again)' })
    .example('$0 demo', 'starts the local services and shows changes travelling PostgreSQL → Kafka → PostgreSQL')
    .example('$0 demo --source-url postgres://u:p@localhost/db --brokers localhost:9092', 'against your own PostgreSQL and Kafka'),
  handler: async (args: DemoArgs) => {
    if (!Number.isInteger(args.steps) || args.steps < 1 || args.steps > 1000) throw new ConfigError(`--steps ${args.steps}: expected a whole number from 1 to 1000`);
    if (!/^[a-z_][a-z0-9_]{0,40}$/.test(args.schema)) throw new ConfigError(`--schema ${JSON.stringify(args.schema)}: expected a lower-case identifier`);
    const stop = new AbortController();
    const onSignal = () => {
      if (stop.signal.aborted) return;
      say();
      heading('stopping (Ctrl-C): the daemon finishes its Kafka transaction, the demo drops its replication slot');
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await demo(args, stop.signal);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

async function demo(args: DemoArgs, signal: AbortSignal): Promise<void> {
  say(bold(`logtap ${pkg.version} demo — PostgreSQL → Kafka → PostgreSQL, live`));
  const { pgUrl, brokers } = services(args);
  heading(`PostgreSQL ${dim(redactUrl(pgUrl))}, Kafka ${dim(brokers.join(','))}`);

  const suffix = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const name = `demo-${suffix}`;
  const topicPrefix = `demo_${suffix}`;
  // The database side lives with its connector (src/ never loads a database driver itself).
  const { openDemoDatabase } = await import('../../../connectors/postgres/demo-database.js');
  const db = await openDemoDatabase(pgUrl, args.schema);
  const kafka = createKafka({ brokers }, 'demo');
  let consumer: Consumer | undefined;
  let daemon: Promise<void> | undefined;
  let ops: DaemonOps | undefined;
  const daemonStop = new AbortController();
  try {
    await db.prepare();
    heading(`sample schema ${bold(args.schema)}: tables ${db.tables.map((t) => t.split('.')[1]).join(', ')}`);
    const config = loadConfig({
      env: {},
      overrides: { name, 'source.url': pgUrl, 'source.tables': db.tables, 'kafka.brokers': brokers, topicPrefix, heartbeatIntervalMs: 1000, 'batch.maxDelayMs': 20, 'http.port': 0 },
    });
    const topics = db.tables.map((t) => `${topicPrefix}.${t}`);
    const manager = new TopicManager(kafka, 'demo');
    for (const topic of topics) await manager.ensure(topic, { partitions: 1, compacted: true });

    // The events as any consumer sees them: read_committed, decoded with the schemas logtap published.
    let seen = 0;
    consumer = kafka.consumer({ groupId: `logtap-demo-${suffix}`, readUncommitted: false, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    const decoder = new EntityEventDecoder(schemaTopicLookup(new SchemaTopic(kafka, topicPrefix)));
    await consumer.run({
      eachMessage: async ({ message }) => {
        const event = await decoder.decode({ key: message.key, value: message.value, headers: message.headers as Record<string, Buffer> });
        seen++;
        say(`  ${green('Kafka     ')} ${describeEvent(event)}`);
      },
    });

    heading(`logtap run, in this process: connector ${bold(name)}, topics ${bold(`${topicPrefix}.${args.schema}.*`)}`);
    const linked = AbortSignal.any([signal, daemonStop.signal]);
    const createConnector = await connectorFactoryFor(pgUrl);
    ops = await startDaemonOps(config, terminalLogger, {
      version: pkg.version, createConnector,
      openSourceReader: async () => (await replayConnectorFor(pgUrl, 'source')).openReader(pgUrl, 'source'),
    });
    heading(`the daemon's console: ${bold(`http://${ops.address!.host}:${ops.address!.port}/`)} (open while the demo runs)`);
    daemon = runConnector(config, { kafka, createConnector, log: terminalLogger, version: pkg.version, ...ops.hooks }, linked);
    const failed = daemon.then(() => undefined, (err: unknown) => err);
    await Promise.race([db.awaitSlot(name, signal), failed.then((err) => { if (err) throw err; })]);
    if (signal.aborted) return;

    heading(`streaming. ${args.steps} transactions follow; each event is printed as Kafka delivers it:`);
    let changes = 0;
    for (let i = 0; i < args.steps && !signal.aborted; i++) {
      const step = await db.step(i);
      changes += step.changes;
      say(`  ${yellow('PostgreSQL')} ${step.did}`);
      await sleep(600, undefined, { signal }).catch(() => {});
    }
    if (signal.aborted) return;
    const deadline = Date.now() + 60_000;
    while (seen < changes && Date.now() < deadline && !signal.aborted) await sleep(100);
    if (signal.aborted) return;
    if (seen < changes) throw new LogtapError('DEMO', `only ${seen} of ${changes} changes arrived in Kafka within a minute`);
    heading(`all ${changes} changes arrived, each once, in commit order. Stopping the daemon (it commits and checkpoints first).`);
    daemonStop.abort();
    await daemon;
    daemon = undefined;

    if (args.replay) await replayIntoReplica(db, config, signal);
    if (signal.aborted) return;
    say();
    say(`${green('done.')} The topics stay in Kafka (prefix ${topicPrefix}); the services keep running (npm run services:down stops the local ones).`);
  } finally {
    daemonStop.abort();
    const stopped = await daemon?.then(() => undefined, (err: unknown) => err);
    await consumer?.disconnect().catch(() => {});
    await ops?.close().catch(() => {});
    await db.dropConnectorObjects(name).catch(() => {});
    await db.close();
    if (signal.aborted) heading('stopped.');
    if (stopped) throw stopped;
  }
}

/** The local test bed (started when needed), or the user's own PostgreSQL and Kafka. */
function services(args: DemoArgs): { pgUrl: string; brokers: string[] } {
  if (args['source-url'] && args.brokers) return { pgUrl: args['source-url'], brokers: args.brokers.split(',') };
  const root = packageRoot();
  const script = join(root, 'scripts', 'services.mjs');
  if (!existsSync(script)) {
    throw new ConfigError('logtap demo starts the local services from a source checkout (scripts/services.mjs); here, pass --source-url and --brokers');
  }
  heading('starting the local services (PostgreSQL, MariaDB, Kafka; the first time Kafka is assembled from Maven Central, a few minutes)');
  const up = spawnSync(process.execPath, [script, 'up'], { cwd: root, encoding: 'utf8' });
  if (up.status !== 0) throw new LogtapError('DEMO', `scripts/services.mjs up failed: ${(up.stderr || up.stdout).trim().split('\n').at(-1)}`);
  const env = Object.fromEntries(readFileSync(join(root, '.services', 'env'), 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const pgUrl = args['source-url'] ?? env.LOGTAP_TEST_PG_URL;
  const brokers = args.brokers?.split(',') ?? env.LOGTAP_TEST_KAFKA_BROKERS?.split(',');
  if (!pgUrl || !brokers) throw new LogtapError('DEMO', '.services/env names no PostgreSQL URL or Kafka brokers');
  return { pgUrl, brokers };
}

/** Writer schemas from `<prefix>._schemas`, read again when a message names one not seen yet. */
function schemaTopicLookup(topic: SchemaTopic): SchemaResolver {
  const known = new Map<string, AvroSchema>();
  return async (ref) => {
    if (!('fingerprintHex' in ref)) return undefined;
    if (!known.has(ref.fingerprintHex)) for (const e of (await topic.readAll()) ?? []) known.set(e.fingerprintHex, e.schema);
    return known.get(ref.fingerprintHex);
  };
}

const OPS: Record<string, string> = { c: 'insert', u: 'update', d: 'delete', r: 'read  ', t: 'truncate' };

function describeEvent(event: DecodedEntityEvent): string {
  // Timestamps travel as microseconds since the epoch: shown as ISO text with all six digits.
  const timestamps = new Set(event.kind === 'truncate' ? [] : (event.table?.columns ?? []).filter((c) => c.type.kind === 'timestamp-micros').map((c) => c.name));
  const iso = (micros: bigint) => new Date(Number(micros / 1000n)).toISOString().replace(/\.(\d{3})Z$/, (_, ms: string) => `.${ms}${String(micros % 1000n).padStart(3, '0')}Z`);
  const text = (row: unknown) => JSON.stringify(row, (k, v) => (typeof v === 'bigint' ? (timestamps.has(k) ? iso(v) : v.toString()) : v));
  const where = dim(event.position);
  if (event.kind === 'truncate') return `${event.table.padEnd(22)} truncate  ${where}`;
  const table = event.table ? `${event.table.id.namespace}.${event.table.id.name}` : '?';
  if (event.kind === 'tombstone') return `${table.padEnd(22)} ${red('delete')}  key ${text(event.key)}  ${where}`;
  return `${table.padEnd(22)} ${OPS[event.op] ?? event.op}  ${text(event.row)}  ${where}`;
}

/** Rebuilds the tables from their topics with `logtap replay --verify`, as a user would run it, and prints them. */
async function replayIntoReplica(db: Awaited<ReturnType<typeof import('../../../connectors/postgres/demo-database.js').openDemoDatabase>>, config: ReturnType<typeof loadConfig>, signal: AbortSignal): Promise<void> {
  const target = await db.createReplica();
  const file = join(mkdtempSync(join(tmpdir(), 'logtap-demo-')), 'demo.yaml');
  writeFileSync(file, stringify({ name: config.name, source: { url: config.source.url, tables: config.source.tables }, kafka: { brokers: config.kafka.brokers }, topicPrefix: config.topicPrefix }));
  heading(`replaying the topics into the database ${bold(new URL(target).pathname.slice(1))}:`);
  say(dim(`  $ logtap replay --config ${file} --target ${redactUrl(target)} --verify`));
  const root = packageRoot();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'logtap.js'), 'replay', '--config', file, '--target', target, '--verify'], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, LOGTAP_LOG_LEVEL: 'warn' } });
    child.once('exit', (c) => resolve(c ?? 1));
  });
  if (signal.aborted) return;
  if (code !== 0) throw new LogtapError('DEMO', `logtap replay exited with ${code}`);
  for (const table of config.source.tables ?? []) {
    heading(`${table}, rebuilt from its topic:`);
    for (const row of await db.rows(target, table)) say(`  ${JSON.stringify(row)}`);
  }
}

/** The in-process daemon's warnings and errors as plain lines; the rest stays quiet. */
const terminalLogger: Logger = {
  debug() {},
  info() {},
  warn(obj, msg) { process.stderr.write(`  ${yellow('logtap:')} ${msg ?? ''} ${redactUrl(JSON.stringify(obj))}\n`); },
  error(obj, msg) { process.stderr.write(`  ${red('logtap:')} ${msg ?? ''} ${redactUrl(JSON.stringify(obj))}\n`); },
  child() { return terminalLogger; },
};
