import { z } from 'zod';
import { DEFAULT_TOPIC_NAME, topicsNamingProblem } from '../routing/topic-router.js';
import { DEFAULT_OUTBOX_COLUMNS, DEFAULT_OUTBOX_TOPIC, outboxTopicProblem } from '../outbox/outbox-config.js';
import { tableSettingsSchema, type TableSettings } from './table-settings.js';
import { tablePattern } from './table-pattern.js';

/** `host:port`, the form Kafka clients take. */
const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');

/** Names that become slots, publications, transactional ids and topic parts: keep them portable. */
const identifier = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'expected 1–100 letters, digits, _ . or -');

/** `namespace.table`, exact or a glob (src/config/table-pattern.ts). */
const tableName = z.string().regex(/^[^.\s]+\.[^.\s]+$/, 'expected namespace.table');

const kafkaSection = z.object({
  brokers: z.array(hostPort).min(1, 'expected at least one broker'),
  clientId: z.string().optional(),
  /** TLS to the brokers when present (`ssl: {}`: the system's CAs); PEM file paths. docs/operations.md. */
  ssl: z.object({
    ca: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    rejectUnauthorized: z.boolean().default(true),
  }).strict().optional(),
  /** SASL authentication (put the password in the environment: `password: ${KAFKA_PASSWORD}`). */
  sasl: z.object({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
    username: z.string().min(1),
    password: z.string().min(1),
  }).strict().optional(),
}).strict();

/** The host part of a URL (`h1:5432,h2:5433` for several hosts). */
const hostsOf = (url: string): string => /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#]*)/i.exec(url)?.[1] ?? '';
/**
 * Topic names (docs/configuration.md#topic-names-and-routes): `name` is the template of a table's topic; `routes`
 * send the tables whose `namespace.table` matches (whole) to another topic, the first match winning.
 */
const topicsSection = z.object({
  partitions: z.number().int().min(1).default(1),
  replicationFactor: z.number().int().min(1).optional(),
  name: z.string().min(1).default(DEFAULT_TOPIC_NAME),
  routes: z.array(z.object({
    match: z.string().min(1),
    topic: z.string().min(1),
    uniqueKeys: z.boolean().default(false),
  }).strict()).default([]),
}).strict().superRefine((t, ctx) => {
  const problem = topicsNamingProblem(t);
  if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
}).default({ partitions: 1, name: DEFAULT_TOPIC_NAME, routes: [] });

const outboxTable = z.object({
  table: z.string().regex(/^[^.\s]+\.[^.\s]+$/, 'expected namespace.table'),
  columns: z.object({
    id: z.string().min(1).default(DEFAULT_OUTBOX_COLUMNS.id),
    aggregateType: z.string().min(1).default(DEFAULT_OUTBOX_COLUMNS.aggregateType),
    aggregateId: z.string().min(1).default(DEFAULT_OUTBOX_COLUMNS.aggregateId),
    eventType: z.string().min(1).default(DEFAULT_OUTBOX_COLUMNS.eventType),
    payload: z.string().min(1).default(DEFAULT_OUTBOX_COLUMNS.payload),
    headers: z.string().min(1).optional(),
  }).strict().default(DEFAULT_OUTBOX_COLUMNS),
  topic: z.string().min(1).default(DEFAULT_OUTBOX_TOPIC),
  deleteAfterCapture: z.boolean().default(false),
}).strict().superRefine((t, ctx) => {
  const problem = outboxTopicProblem(t.topic);
  if (problem) ctx.addIssue({ code: 'custom', path: ['topic'], message: problem });
});

export const configSchema = z.object({
  /** Connector name: slot, publication, transactional.id and checkpoint key derive from it. */
  name: identifier,
  source: z.object({
    /**
     * PostgreSQL may list several servers of one cluster, libpq-style (`postgres://u@h1:5432,h2:5432/db`):
     * logtap connects to the one that is the primary, and after a failover to the promoted one.
     */
    url: z.string().regex(/^(postgres|postgresql|mysql|mariadb):\/\//, 'expected a postgres://, mysql:// or mariadb:// URL')
      .refine((url) => !/^(mysql|mariadb):/.test(url) || !hostsOf(url).includes(','), 'several hosts (h1,h2) are supported for PostgreSQL only: name one MySQL/MariaDB server')
      .refine((url) => !hostsOf(url).includes(',') || !hostsOf(url).split(',').includes(''), 'the host list has an empty entry (h1,,h2): remove the extra comma'),
    /**
     * `schema.table` (PostgreSQL) or `database.table` (MySQL), exact or a glob (`public.*`, `shop.orders_*`:
     * tables created later that match are captured too); default: every table.
     */
    tables: z.array(tableName).optional(),
    /** Tables left out of `tables` (exact or globs). */
    excludeTables: z.array(tableName).optional(),
  }).strict(),
  /**
   * Per-table settings, keyed by `namespace.table` or a glob of it (docs/configuration.md): an exact key wins over
   * globs, and among globs the first in the file. `columns` (include/exclude/mask), `where` (row filter).
   */
  tables: z.record(z.string(), tableSettingsSchema).default({}),
  /** Hash masks: SHA-256 of (salt + value), the salt read from this environment variable. */
  masking: z.object({
    saltEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name').default('LOGTAP_MASK_SALT'),
  }).strict().default({ saltEnv: 'LOGTAP_MASK_SALT' }),
  kafka: kafkaSection,
  /** {prefix} of the topic names (`topics.name`, default `<topicPrefix>.<namespace>.<table>`) and of logtap's own topics. */
  topicPrefix: identifier,
  envelope: z.enum(['entity', 'debezium', 'key-only']).default('entity'),
  /** entity: a delete event with the before-image ahead of the tombstone. */
  deleteEvents: z.boolean().default(false),
  /**
   * envelope: debezium — fill each envelope's `transaction` block (Debezium's provide.transaction.metadata);
   * publish truncates as `op: t` envelopes (Debezium skips them by default: skipped.operations=t).
   */
  debezium: z.object({
    transactionMetadata: z.boolean().default(false),
    truncateEvents: z.boolean().default(false),
  }).strict().default({ transactionMetadata: false, truncateEvents: false }),
  /**
   * Source transaction boundaries (docs/events.md, Event contract): a BEGIN and an END record per source transaction
   * in `<topicPrefix>._transactions`, in the same Kafka transaction as its changes.
   */
  transactions: z.object({
    topic: z.boolean().default(false),
  }).strict().default({ topic: false }),
  /**
   * Watermarks (docs/events.md, Event contract): with each checkpoint a record in `<topicPrefix>._watermarks` saying up to
   * which source commit time every change is published; `header`: the same on every data record (`logtap.watermark`).
   */
  watermarks: z.object({
    topic: z.boolean().default(false),
    header: z.boolean().default(false),
  }).strict().default({ topic: false, header: false }),
  encoding: z.object({
    format: z.enum(['single-object', 'confluent']).default('single-object'),
    /** Confluent-compatible Schema Registry, for format: confluent. */
    registryUrl: z.string().url().optional(),
  }).strict().default({ format: 'single-object' }),
  schemaEvolution: z.object({
    onIncompatible: z.enum(['fail', 'allow']).default('fail'),
  }).strict().default({ onIncompatible: 'fail' }),
  /** exactly-once: changes and checkpoint in one Kafka transaction; at-least-once: for clusters without transactions. */
  delivery: z.enum(['exactly-once', 'at-least-once']).default('exactly-once'),
  /** Source transactions grouped into one Kafka transaction, bounded by records, bytes and time. */
  batch: z.object({
    maxRecords: z.number().int().min(1).max(1_000_000).default(5000),
    maxBytes: z.number().int().min(1024).default(8 * 1024 * 1024),
    maxDelayMs: z.number().int().min(0).max(60_000).default(20),
  }).strict().default({ maxRecords: 5000, maxBytes: 8 * 1024 * 1024, maxDelayMs: 20 }),
  /**
   * Worker threads that encode the changes (Avro, event ids) while the main thread reads the source, keeps order and
   * produces to Kafka; absent: the machine's cores − 1, but none on 1 or 2 cores (encode-pool.ts defaultWorkers);
   * 0: everything on the main thread.
   */
  workers: z.number().int().min(0).max(64).optional(),
  /** An idle source still checkpoints (and lets the database release its log) this often. */
  heartbeatIntervalMs: z.number().int().min(100).default(10_000),
  topics: topicsSection,
  /** Backoff between restarts after a retriable failure (source or Kafka down). */
  restart: z.object({
    initialBackoffMs: z.number().int().min(10).default(500),
    maxBackoffMs: z.number().int().min(10).default(30_000),
  }).strict().default({ initialBackoffMs: 500, maxBackoffMs: 30_000 }),
  /**
   * Transactional outbox (PostgreSQL): `pg_logical_emit_message(…, prefix, '{"topic", "key", "value"}')` is
   * published to the topic it names. Off by default: every slot of a database receives every message, so
   * only the connector meant to publish them turns it on (or each uses its own prefix).
   */
  outbox: z.object({
    enabled: z.boolean().default(false),
    prefix: z.string().min(1).default('logtap.outbox'),
    /** Outbox tables (both databases, docs/configuration.md#outbox-tables): each inserted row is published to its aggregate type's topic. */
    tables: z.array(outboxTable).default([]),
  }).strict().default({ enabled: false, prefix: 'logtap.outbox', tables: [] }),
  /**
   * PostgreSQL: an UPDATE that leaves a TOASTed (large, out-of-line) value unchanged does not carry it unless
   * the table has REPLICA IDENTITY FULL. read-back: read it from the table by key (the final state is exact; a
   * record may carry a newer value of that column); fail: stop the stream there (docs/postgres-connector.md).
   */
  toast: z.object({
    unchanged: z.enum(['read-back', 'fail']).default('read-back'),
  }).strict().default({ unchanged: 'read-back' }),
  /**
   * PostgreSQL 14+: a large transaction's changes arrive while the server decodes it (pgoutput streaming) and
   * are spooled to `spillDir` until its commit; `off`: the server decodes it whole first (docs/postgres-connector.md).
   * `workMem` sets logical_decoding_work_mem for logtap's replication connection only.
   */
  streaming: z.object({
    mode: z.enum(['auto', 'off']).default('auto'),
    spillDir: z.string().min(1).optional(),
    workMem: z.string().regex(/^\d+(kB|MB|GB)$/, 'expected a size like 64MB or 512kB (at least 64kB)')
      .refine((v) => Number(/^\d+/.exec(v)![0]) * ({ kB: 1, MB: 1024, GB: 1024 * 1024 } as const)[/(kB|MB|GB)$/.exec(v)![0] as 'kB' | 'MB' | 'GB'] >= 64, 'expected at least 64kB')
      .optional(),
  }).strict().default({ mode: 'auto' }),
  /** SIGTERM/SIGINT: how long the in-flight Kafka transaction and checkpoint may take before exit. */
  shutdownGraceMs: z.number().int().min(0).default(30_000),
  /** Initial snapshot (docs/snapshots.md): initial (first start), always (every start) or never; chunks read at once; rows per chunk. */
  snapshot: z.object({
    mode: z.enum(['initial', 'always', 'never']).default('initial'),
    parallelism: z.number().int().min(1).max(64).default(2),
    chunkRows: z.number().int().min(1).max(10_000_000).default(10_000),
  }).strict().default({ mode: 'initial', parallelism: 2, chunkRows: 10_000 }),
  /**
   * Online backfills (docs/backfill.md): a signal table in the source that `logtap snapshot` writes to and the
   * stream captures (never published). Off by default: logtap then creates nothing in the source for it.
   * `table` defaults to `public.logtap_signal` (PostgreSQL) or `<database>.logtap_signal` (MySQL/MariaDB).
   */
  signal: z.object({
    enabled: z.boolean().default(false),
    table: z.string().regex(/^[^.\s]+\.[^.\s]+$/, 'expected namespace.table').optional(),
    /** Rows per backfill chunk (one watermark window; the chunk is held in memory until its high watermark). */
    chunkRows: z.number().int().min(1).max(100_000).default(2_000),
  }).strict().default({ enabled: false, chunkRows: 2_000 }),
  /**
   * DDL that changes existing rows without row events (docs/schema-changes.md): `auto` publishes the
   * table's current rows again through the online backfill, `warn` only logs and counts it, `off` ignores it.
   */
  schemaChanges: z.object({
    resync: z.enum(['auto', 'warn', 'off']).default('auto'),
  }).strict().default({ resync: 'auto' }),
  /**
   * The daemon's /healthz, /readyz, /metrics and web console at / (docs/operations.md). Served only when `http.port`
   * is set (config, LOGTAP_HTTP_PORT or --http-port; deploy/kubernetes uses 8080); 0 binds a free port. Bound to
   * 127.0.0.1 unless `host` says otherwise (containers: 0.0.0.0). The console is read-only unless `token` is set:
   * its actions (a backfill request) then need `Authorization: Bearer <token>`.
   */
  http: z.object({
    // LOGTAP_HTTP_PORT arrives as text.
    port: z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
      z.number('expected a port number 0–65535').int('expected a port number 0–65535').min(0, 'expected a port number 0–65535').max(65535, 'expected a port number 0–65535').optional()),
    host: z.string().min(1).default('127.0.0.1'),
    token: z.string().min(16, 'expected at least 16 characters (put it in the environment: token: ${LOGTAP_HTTP_TOKEN})').optional(),
  }).strict().default({ host: '127.0.0.1' }),
}).strict().superRefine((c, ctx) => {
  for (const key of Object.keys(c.tables)) {
    if (!tablePattern(key)) ctx.addIssue({ code: 'custom', path: ['tables', key], message: 'expected namespace.table (or a glob of it, e.g. public.*) as the key' });
  }
  if (c.encoding.format === 'confluent' && !c.encoding.registryUrl) {
    ctx.addIssue({ code: 'custom', path: ['encoding', 'registryUrl'], message: 'required when encoding.format is confluent' });
  }
  if (c.envelope === 'debezium') {
    const merging = c.topics.routes.findIndex((r) => !r.uniqueKeys);
    if (merging >= 0) ctx.addIssue({ code: 'custom', path: ['topics', 'routes', merging, 'uniqueKeys'], message: 'envelope debezium keeps Debezium\'s key: a route needs uniqueKeys: true (the routed tables\' keys must not collide), or use envelope entity' });
  }
  const seen = new Set<string>();
  for (const [i, t] of c.outbox.tables.entries()) {
    if (seen.has(t.table)) ctx.addIssue({ code: 'custom', path: ['outbox', 'tables', i, 'table'], message: `${t.table} is listed twice` });
    seen.add(t.table);
  }
});

export type LogtapConfig = z.infer<typeof configSchema>;
export type { TableSettings };

/** What commands that only read logtap's topics need (schemas, replay's Kafka side). */
export const topicsConfigSchema = z.object({ kafka: kafkaSection, topicPrefix: identifier, topics: topicsSection });
export type TopicsConfig = z.infer<typeof topicsConfigSchema>;
