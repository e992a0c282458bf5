import type { Argv } from 'yargs';
import { loadConfig } from '../../config/load-config.js';
import { isGlobText, tableFilter } from '../../config/table-pattern.js';
import { parseTableId } from '../../model/table-schema.js';
import { ConfigError, LogtapError } from '../../errors.js';
import { createLogger } from '../../logger.js';
import { createKafka } from '../../kafka/kafka-client.js';
import { SchemaTopic } from '../../kafka/schema-topic.js';
import { schemaResolverFor } from '../../events/event-decoder.js';
import { mergedTopicTables, planTopic } from '../../replay/replay-plan.js';
import { topicRouter } from '../../pipeline/runner.js';
import type { TopicRouter } from '../../routing/topic-router.js';
import type { SchemaEntry } from '../../schema/schema-catalog.js';
import { parseUntil } from '../../replay/replay-until.js';
import { replayTopics } from '../../replay/replay-engine.js';
import { followTopics } from '../../replay/replay-follow.js';
import { barProgress, logProgress } from '../../replay/replay-progress.js';
import { verifyLine, verifySummary, verifyTable } from '../../replay/replay-verify.js';
import { VERIFY_DIFFERS } from '../exit-codes.js';
import { replayConnectorFor } from '../replay-targets.js';
import { type ConfigArgs, configOverrides, topicOptions } from './config-options.js';
import { applyDaemonHeapPolicy } from '../../ops/node-options.js';

interface ReplayArgs extends ConfigArgs {
  target: string;
  until?: string;
  verify?: boolean;
  follow?: boolean;
  'batch-size': number;
}

const BATCH_SIZE = 5000;

export const replayCommand = {
  command: 'replay',
  describe: 'rebuild tables from their topics in another database (point in time with --until; --verify compares with the source)',
  builder: (y: Argv) => topicOptions(y)
    .option('target', { type: 'string', demandOption: true, describe: 'database to rebuild the tables in: postgres://… or mysql://…/<database>' })
    .option('table', { type: 'string', array: true, describe: 'a table to replay, namespace.table (repeatable; default: the config\'s tables, or every table topic of the prefix)' })
    .option('until', { type: 'string', describe: 'stop after the changes committed at or before an ISO-8601 time, or at or before a source position (logtap.position)' })
    .option('follow', { type: 'boolean', default: false, describe: 'after catching up keep applying new changes until SIGINT/SIGTERM (then exit 0)' })
    .option('verify', { type: 'boolean', default: false, describe: 'afterwards compare row count and checksum of each table with the source; exit 3 when a table differs, 1 when one cannot be compared' })
    .option('batch-size', { type: 'number', default: BATCH_SIZE, describe: 'changes per target transaction' })
    .example('$0 replay --config shop.yaml --target postgres://u:p@host/restore --verify', 'rebuild every table, then compare with the source')
    .example('$0 replay --config shop.yaml --target postgres://u:p@host/replica --follow', 'rebuild, then keep the tables up to date until stopped')
    .example('$0 replay --config shop.yaml --target mysql://u:p@host/restore --until 2026-11-22T10:00:00Z', 'the tables as they were at 10:00 UTC'),
  handler: async (args: ReplayArgs) => {
    applyDaemonHeapPolicy();
    const config = loadConfig({ ...(args.config ? { file: args.config } : {}), overrides: { ...configOverrides(args), 'source.tables': undefined } });
    const log = createLogger().child({ command: 'replay' });
    if (!Number.isInteger(args['batch-size']) || args['batch-size'] < 1) throw new ConfigError(`--batch-size ${args['batch-size']}: expected a whole number ≥ 1`);
    const source = await replayConnectorFor(config.source.url, 'source');
    const targetConnector = await replayConnectorFor(args.target, 'target');
    if (sameDatabase(config.source.url, args.target)) throw new ConfigError('--target names the source database of the config: replay into another database (it would write over the tables it reads)');
    if (args.follow && args.until !== undefined) throw new ConfigError('--follow and --until exclude each other: --until stops at a point, --follow never stops by itself');
    const until = args.until === undefined ? undefined : parseUntil(args.until, source.positionOrder);

    const kafka = createKafka(config.kafka, 'replay');
    const entries = await new SchemaTopic(kafka, config.topicPrefix).readAll();
    if (entries === null) throw new ConfigError(`no topic ${config.topicPrefix}._schemas: nothing was published with topic prefix ${config.topicPrefix}`);
    // With globs (source.tables, excludeTables): the table topics there are whose table the patterns capture.
    const patterns = !args.table && ((config.source.tables ?? []).some(isGlobText) || (config.source.excludeTables ?? []).length > 0);
    const listed = args.table ?? (patterns ? undefined : config.source.tables?.filter((t) => !config.outbox.tables.some((o) => o.table === t)));
    let topics = await topicsToReplay(kafka, topicRouter(config), entries, listed, log);
    if (patterns) {
      const filter = tableFilter(config.source.tables, config.source.excludeTables);
      topics = topics.filter((topic) => {
        const text = entries.find((e) => e.subject === `${topic}-value` && e.table !== null)?.table;
        const id = text ? parseTableId(text) : null;
        return id !== null && filter.captures(id);
      });
    }
    const plans = topics.map((topic) => planTopic(topic, entries));

    const target = await targetConnector.openTarget(args.target, log);
    try {
      // Everything that can be refused is refused here, before the first write.
      for (const plan of plans) await target.check(plan.versions, source.kind);
      const stop = new AbortController();
      // Following ends by a signal; a catch-up that is interrupted has not finished.
      const onSignal = () => stop.abort(args.follow ? undefined : new LogtapError('INTERRUPTED', 'replay interrupted: the batch being written was rolled back; run it again to finish'));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const progress = process.stderr.isTTY ? barProgress() : logProgress(log);
      let results;
      try {
        const options = {
          kafka, plans, target, source: source.kind, order: source.positionOrder, until,
          schemas: schemaResolverFor(entries, config.encoding.registryUrl), batchSize: args['batch-size'], progress, log, signal: stop.signal,
        };
        results = args.follow ? await followTopics(options) : await replayTopics(options);
      } finally {
        progress.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      for (const r of results) process.stdout.write(`replayed ${r.topic}: ${r.events} events\n`);
      if (args.verify) await verify(results.map((r) => r.table), source, config.source.url, targetConnector, args.target);
    } finally {
      await target.close();
    }
  },
};

/** Whether two database URLs name the same server and database (scheme family, host, port, path). */
function sameDatabase(a: string, b: string): boolean {
  const key = (text: string) => {
    try {
      const url = new URL(text);
      const family = /^postgres/.test(url.protocol) ? 'pg' : 'mysql';
      const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
      return `${family}//${host}:${url.port || (family === 'pg' ? '5432' : '3306')}/${decodeURIComponent(url.pathname.replace(/^\//, ''))}`;
    } catch {
      return text;
    }
  };
  return key(a) === key(b);
}

/**
 * The table topics to replay; each must exist. Without tables: every table topic the schema topic names. A topic
 * several tables share (topics.routes) is left out of that list (with a warning) and refused when asked for by name:
 * replay rebuilds one table per topic (docs/replay.md).
 */
async function topicsToReplay(kafka: ReturnType<typeof createKafka>, router: TopicRouter, entries: readonly SchemaEntry[], tables: string[] | undefined, log: ReturnType<typeof createLogger>): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  let existing: string[];
  try {
    existing = await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
  const prefix = router.prefix;
  if (!tables || tables.length === 0) {
    const named = new Set(entries.filter((e) => e.table !== null && e.subject.endsWith('-value')).map((e) => e.subject.slice(0, -'-value'.length)));
    const found = [...named].filter((t) => existing.includes(t)).sort();
    const single = found.filter((topic) => {
      const merged = mergedTopicTables(topic, entries);
      if (merged) log.warn({ topic, tables: merged }, 'left out: the topic holds several tables (topics.routes), which replay does not split');
      return !merged;
    });
    if (single.length === 0) throw new ConfigError(`no table topics of prefix ${prefix} in Kafka: check topicPrefix and topics.name`);
    return single;
  }
  return tables.map((text) => {
    const dot = text.indexOf('.');
    if (dot <= 0 || dot === text.length - 1) throw new ConfigError(`--table ${JSON.stringify(text)}: expected namespace.table`);
    const topic = router.topicOf({ namespace: text.slice(0, dot), name: text.slice(dot + 1) });
    if (!existing.includes(topic)) throw new ConfigError(`topic ${topic} does not exist: check the table name ${text}, topicPrefix ${prefix} and topics.name (was the table captured by logtap run?)`);
    return topic;
  });
}

/**
 * Compares every table, whatever happens to one: each gets a line on stdout (equal, DIFFERENT, FAILED); then
 * one line on stderr and the exit code: 3 when tables differ, 1 when a table could not be compared.
 */
async function verify(
  tables: Parameters<typeof verifyTable>[0][],
  source: Awaited<ReturnType<typeof replayConnectorFor>>, sourceUrl: string,
  target: Awaited<ReturnType<typeof replayConnectorFor>>, targetUrl: string,
): Promise<void> {
  const [sourceReader, targetReader] = await Promise.all([source.openReader(sourceUrl, 'source'), target.openReader(targetUrl, 'target')]);
  try {
    const results = [];
    for (const table of tables) {
      const r = await verifyTable(table, sourceReader, targetReader);
      process.stdout.write(`${verifyLine(r)}\n`);
      results.push(r);
    }
    const summary = verifySummary(results);
    if (summary) throw new LogtapError(summary.failed ? 'VERIFY_FAILED' : VERIFY_DIFFERS, summary.message);
  } finally {
    await Promise.all([sourceReader.close(), targetReader.close()]);
  }
}
