import { z } from 'zod';

/** `host:port`, the form Kafka clients take. */
const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');

/** Names that become slots, publications, transactional ids and topic parts: keep them portable. */
const identifier = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'expected 1–100 letters, digits, _ . or -');

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

export const configSchema = z.object({
  /** Connector name: slot, publication, transactional.id and checkpoint key derive from it. */
  name: identifier,
  source: z.object({
    url: z.string().regex(/^(postgres|postgresql|mysql|mariadb):\/\//, 'expected a postgres://, mysql:// or mariadb:// URL'),
    /** `schema.table` (PostgreSQL) or `database.table` (MySQL); default: every table. */
    tables: z.array(z.string().regex(/^[^.\s]+\.[^.\s]+$/, 'expected namespace.table')).optional(),
  }).strict(),
  kafka: kafkaSection,
  /** Topic per table: `<topicPrefix>.<namespace>.<table>`. */
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
  /** An idle source still checkpoints (and lets the database release its log) this often. */
  heartbeatIntervalMs: z.number().int().min(100).default(10_000),
  topics: z.object({
    partitions: z.number().int().min(1).default(1),
    replicationFactor: z.number().int().min(1).optional(),
  }).strict().default({ partitions: 1 }),
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
  }).strict().default({ enabled: false, prefix: 'logtap.outbox' }),
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
  if (c.encoding.format === 'confluent' && !c.encoding.registryUrl) {
    ctx.addIssue({ code: 'custom', path: ['encoding', 'registryUrl'], message: 'required when encoding.format is confluent' });
  }
});

export type LogtapConfig = z.infer<typeof configSchema>;

/** What commands that only read logtap's topics need (schemas, replay's Kafka side). */
export const topicsConfigSchema = z.object({ kafka: kafkaSection, topicPrefix: identifier });
export type TopicsConfig = z.infer<typeof topicsConfigSchema>;
