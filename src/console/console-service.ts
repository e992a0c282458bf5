import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Kafka } from 'kafkajs';
import type { LogtapConfig } from '../config/config-schema.js';
import { redactUrl } from '../config/load-config.js';
import type { Logger } from '../logger.js';
import { parseTableId, tableIdText, type TableId } from '../model/table-schema.js';
import { CheckpointStore } from '../kafka/checkpoint-store.js';
import type { Checkpoint } from '../pipeline/checkpoint.js';
import type { LastFailure } from '../pipeline/last-failure.js';
import { SchemaTopic } from '../kafka/schema-topic.js';
import type { SchemaEntry } from '../schema/schema-catalog.js';
import { decodeBackfillState } from '../backfill/backfill-state.js';
import { requestBackfill } from '../backfill/request-backfill.js';
import type { ConnectorFactory } from '../source/source-connector.js';
import type { TableRowReader } from '../replay/replay-target.js';
import { topicRouter } from '../pipeline/runner.js';
import type { ConsoleSamples } from './console-samples.js';
import type { ConsoleState } from './console-state.js';
import { overviewPage, tablePage, tablesPage, type TableModel } from './console-pages.js';
import { schemaDiff } from './schema-diff.js';
import { dualityView } from './duality-view.js';

export interface ConsoleOptions {
  config: LogtapConfig;
  version: string;
  kafka: Kafka;
  state: ConsoleState;
  samples: ConsoleSamples;
  log: Logger;
  /** Builds the connector that writes backfill requests (the one the daemon runs). */
  createConnector: ConnectorFactory;
  /** Opens a reader of the source's rows (read-only) for the table-from-its-topic view. */
  openSourceReader: () => Promise<TableRowReader>;
}

/** Schema topic reads are reused this long: a page refresh costs no Kafka round trip. */
const SCHEMAS_CACHE_MS = 5_000;

/**
 * The daemon's web console (docs/operations.md, "Console"): the overview, the tables, one table from its topic
 * beside the source, and the one action (request a backfill). Served by the ops server next to /metrics. Reading
 * needs nothing; an action needs `Authorization: Bearer <http.token>`, and without `http.token` the console is
 * read-only. Nothing secret is rendered: the source URL is shown with its password masked.
 */
export class ConsoleService {
  private schemas: { at: number; entries: Promise<SchemaEntry[]> } | null = null;
  /** Backfills requested here: request id → table, estimate, and the progress last seen (for the rate and ETA). */
  private readonly requests = new Map<string, { table: string; estimatedRows: number | null; first: { at: number; rows: number } | null }>();
  /**
   * The checkpoint and recorded failure this daemon started from, read once: later checkpoints come from the
   * runner (ConsoleState), so a page never reads the offsets topic again.
   */
  private readonly atStart: Promise<{ checkpoint: Checkpoint | null; failure: LastFailure | null }>;

  constructor(private readonly o: ConsoleOptions) {
    this.atStart = new CheckpointStore(o.kafka, o.config.topicPrefix, o.config.name).loadState().catch(() => ({ checkpoint: null, failure: null }));
  }

  /** Answers a console request; false when the path is not the console's. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (path === '/' && get) return this.send(req, res, 200, 'text/html; charset=utf-8', overviewPage(await this.overview()));
    if (path === '/tables' && get) return this.send(req, res, 200, 'text/html; charset=utf-8', tablesPage(await this.tables(), { backfills: this.o.config.signal.enabled, actions: this.o.config.http.token !== undefined }));
    if (path.startsWith('/tables/') && get) {
      const table = decodeURIComponent(path.slice('/tables/'.length));
      return this.send(req, res, 200, 'text/html; charset=utf-8', tablePage(await this.tableDetail(table)));
    }
    if (path === '/api/samples' && get) {
      const { position, ageSeconds } = this.o.samples.checkpoint();
      return this.send(req, res, 200, 'application/json', JSON.stringify({ phase: this.o.state.phase(), checkpoint: position, checkpointAgeSeconds: ageSeconds, samples: this.o.samples.history() }));
    }
    if (path === '/api/backfill') {
      if (req.method !== 'POST') return this.send(req, res, 405, 'text/plain', 'POST a JSON body {"table": "namespace.table"}\n');
      return this.backfill(req, res);
    }
    return false;
  }

  private send(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: string): true {
    res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'" });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }

  private async overview() {
    const { config } = this.o;
    // This process's last failure, else the one an earlier run recorded beside the checkpoint (cleared by the
    // first checkpoint after streaming resumed): a restarted or stopped connector says why it stopped.
    // The first checkpoint this process commits clears the record.
    const recorded = this.o.state.lastError() || this.o.state.lastCheckpoint() ? null : (await this.atStart).failure;
    const error = this.o.state.lastError() ?? (recorded ? { at: Number(recorded.failedAtMicros / 1000n), code: recorded.code, message: redactUrl(recorded.message), retriable: false, recorded: true } : null);
    const last = this.o.samples.history().at(-1);
    const checkpoint = this.o.samples.checkpoint();
    return {
      connector: config.name,
      kind: /^(mysql|mariadb):/.test(config.source.url) ? 'MySQL/MariaDB' : 'PostgreSQL',
      source: redactUrl(config.source.url),
      topicPrefix: config.topicPrefix,
      topicName: config.topics.name.replaceAll('{prefix}', config.topicPrefix),
      routes: config.topics.routes.length,
      version: this.o.version,
      phase: this.o.state.phase(),
      error,
      checkpoint,
      lag: { bytes: last?.lagBytes ?? null, seconds: last?.lagSeconds ?? null },
    };
  }

  private entries(): Promise<SchemaEntry[]> {
    if (!this.schemas || Date.now() - this.schemas.at > SCHEMAS_CACHE_MS) {
      const entries = new SchemaTopic(this.o.kafka, this.o.config.topicPrefix).readAll().then((e) => e ?? []);
      this.schemas = { at: Date.now(), entries };
      entries.catch(() => { this.schemas = null; });
    }
    return this.schemas.entries;
  }

  private async tables(): Promise<TableModel[]> {
    const entries = await this.entries();
    const activity = this.o.samples.topicActivity();
    const snapshot = this.o.samples.snapshotProgress();
    const checkpoint = this.o.state.lastCheckpoint() ?? (await this.atStart).checkpoint;
    const state = decodeBackfillState(checkpoint?.snapshot ?? null);
    const latest = new Map<string, SchemaEntry>();
    for (const e of entries) {
      if (e.table === null || !e.subject.endsWith('-value')) continue;
      const known = latest.get(e.table);
      if (!known || known.version < e.version) latest.set(e.table, e);
    }
    return [...latest.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([table, entry]): TableModel => {
      const topic = entry.subject.slice(0, -'-value'.length);
      return {
        table, topic,
        events: activity.get(topic)?.events ?? 0,
        lastChangeAt: activity.get(topic)?.lastChangeAt ?? null,
        schemaVersion: entry.version,
        snapshotRows: snapshot.get(table) ?? null,
        backfill: this.backfillOf(table, state),
      };
    });
  }

  /** The table's backfill as the last checkpoint has it: queued or running with its rows, or done (requested here). */
  private backfillOf(table: string, state: ReturnType<typeof decodeBackfillState>): TableModel['backfill'] {
    const queued = state.queue.findIndex((q) => tableIdText(q.table) === table);
    const mine = [...this.requests.entries()].filter(([, r]) => r.table === table).at(-1);
    if (queued >= 0) {
      const q = state.queue[queued]!;
      const request = this.requests.get(q.request);
      let etaSeconds: number | null = null;
      if (request && queued === 0) {
        request.first ??= { at: Date.now(), rows: q.rows };
        const rate = (q.rows - request.first.rows) / ((Date.now() - request.first.at) / 1000);
        if (request.estimatedRows && rate > 0) etaSeconds = Math.max(0, (request.estimatedRows - q.rows) / rate);
      }
      return { phase: queued === 0 ? 'running' : 'queued', rows: q.rows, estimatedRows: request?.estimatedRows ?? null, etaSeconds };
    }
    if (mine && state.completed.includes(mine[0])) return { phase: 'done', rows: 0, estimatedRows: mine[1].estimatedRows, etaSeconds: 0 };
    if (mine) return { phase: 'queued', rows: 0, estimatedRows: mine[1].estimatedRows, etaSeconds: null };
    return null;
  }

  private async tableDetail(table: string) {
    const entries = await this.entries();
    const values = entries.filter((e) => e.table === table && e.subject.endsWith('-value')).sort((a, b) => a.version - b.version);
    const topic = values[0]?.subject.slice(0, -'-value'.length) ?? topicRouter(this.o.config).topicOf(parseTable(table));
    const versions = values.map((v, i) => ({
      version: v.version,
      columns: ((v.schema as { fields?: unknown[] }).fields ?? []).length,
      changes: i === 0 ? null : schemaDiff(values[i - 1]!.schema, v.schema),
    }));
    let duality;
    let reader: TableRowReader | undefined;
    try {
      reader = await this.o.openSourceReader();
      duality = await dualityView(this.o.kafka, topic, entries, reader);
    } catch (err) {
      duality = { problem: redactUrl((err as Error).message.split('\n')[0] ?? String(err)) };
    } finally {
      await reader?.close().catch(() => {});
    }
    return { table, topic, versions, duality };
  }

  private async backfill(req: IncomingMessage, res: ServerResponse): Promise<true> {
    const token = this.o.config.http.token;
    if (token === undefined) return this.send(req, res, 403, 'text/plain', 'the console is read-only: set http.token to allow actions\n');
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return this.send(req, res, 401, 'text/plain', 'a valid bearer token is needed (Authorization: Bearer <http.token>)\n');
    if (!this.o.config.signal.enabled) return this.send(req, res, 409, 'text/plain', 'online backfills are off: set signal: { enabled: true } and restart\n');
    let table: TableId;
    try {
      const body = JSON.parse(await readBody(req)) as { table?: unknown };
      table = parseTable(String(body.table));
    } catch (err) {
      return this.send(req, res, 400, 'text/plain', `${(err as Error).message}\n`);
    }
    const { config } = this.o;
    const connector = this.o.createConnector({ name: config.name, url: config.source.url, tables: config.source.tables, excludeTables: config.source.excludeTables, signalTable: config.signal.table ?? '', log: this.o.log });
    let request: string;
    try {
      const requested = await requestBackfill(connector.backfills!, [table], config.name);
      if ('problem' in requested) return this.send(req, res, 400, 'text/plain', `${tableIdText(table)}: ${requested.problem}\n`);
      request = requested.request;
      this.requests.set(request, { table: tableIdText(table), estimatedRows: requested.estimatedRows || null, first: null });
    } finally {
      await connector.close().catch(() => {});
    }
    this.o.log.info({ table: tableIdText(table), request }, 'backfill requested from the console');
    return this.send(req, res, 202, 'text/plain', `backfill ${request} of ${tableIdText(table)}\n`);
  }
}

function parseTable(text: string): TableId {
  const id = parseTableId(text);
  if (!id) throw new Error(`${JSON.stringify(text)}: expected namespace.table`);
  return id;
}

async function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) throw new Error('request body too large');
  }
  return body;
}
