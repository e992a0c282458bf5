import { z } from 'zod';

/** `host:port`, the form Kafka clients take. */
const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');

/** Names that become slots, publications, transactional ids and topic parts: keep them portable. */
const identifier = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'expected 1–100 letters, digits, _ . or -');

const kafkaSection = z.object({
  brokers: z.array(hostPort).min(1, 'expected at least one broker'),
  clientId: z.string().optional(),
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
  encoding: z.object({
    format: z.enum(['single-object', 'confluent']).default('single-object'),
    /** Confluent-compatible Schema Registry, for format: confluent. */
    registryUrl: z.string().url().optional(),
  }).strict().default({ format: 'single-object' }),
  schemaEvolution: z.object({
    onIncompatible: z.enum(['fail', 'allow']).default('fail'),
  }).strict().default({ onIncompatible: 'fail' }),
}).strict().superRefine((c, ctx) => {
  if (c.encoding.format === 'confluent' && !c.encoding.registryUrl) {
    ctx.addIssue({ code: 'custom', path: ['encoding', 'registryUrl'], message: 'required when encoding.format is confluent' });
  }
});

export type LogtapConfig = z.infer<typeof configSchema>;

/** What commands that only read logtap's topics need (schemas, replay's Kafka side). */
export const topicsConfigSchema = z.object({ kafka: kafkaSection, topicPrefix: identifier });
export type TopicsConfig = z.infer<typeof topicsConfigSchema>;
