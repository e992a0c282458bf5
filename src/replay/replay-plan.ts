import { ConfigError } from '../errors.js';
import { type TableSchema, tableShapeText } from '../model/table-schema.js';
import type { SchemaEntry } from '../schema/schema-catalog.js';
import { readTableRecord } from '../avro/table-avro-schema.js';
import { keySubject, valueSubject } from '../events/topic-names.js';
import { SOURCE_TABLE_KEY_FIELD } from '../routing/topic-router.js';

/**
 * The tables of a topic several tables share (topics.routes: its key carries the source table, or its schemas
 * name several tables), or null for a table's own topic.
 */
export function mergedTopicTables(topic: string, entries: readonly SchemaEntry[]): string[] | null {
  const own = entries.filter((e) => e.subject === valueSubject(topic) || e.subject === keySubject(topic));
  const tables = [...new Set(own.map((e) => e.table).filter((t): t is string => t !== null))].sort();
  const sourceInKey = own.some((e) => e.subject === keySubject(topic)
    && ((e.schema as { fields?: Array<{ name: string }> }).fields ?? []).some((f) => f.name === SOURCE_TABLE_KEY_FIELD));
  return tables.length > 1 || sourceInKey ? tables : null;
}

/** One topic to replay: the table versions its schema topic lists, oldest first, each with the table's key. */
export interface TopicPlan {
  topic: string;
  versions: TableSchema[];
}

/**
 * The table versions of a topic from the schemas logtap published for it (key [] for a table without a key).
 * Only the entity envelope can be replayed: a Debezium or key-only topic is a usage error, said before anything is written.
 */
export function planTopic(topic: string, entries: readonly SchemaEntry[]): TopicPlan {
  const values = entries.filter((e) => e.subject === valueSubject(topic)).sort((a, b) => a.version - b.version);
  if (values.length === 0) throw new ConfigError(`no schema of topic ${topic} is in the schema topic: was it written by logtap with this topicPrefix?`);
  const merged = mergedTopicTables(topic, entries);
  if (merged) {
    throw new ConfigError(`topic ${topic} holds several tables (${merged.join(', ')}; topics.routes): replay rebuilds one table per topic and does not split a shared one; replay the other tables, or consume this topic by its logtap.table header`);
  }
  const keys = entries.filter((e) => e.subject === keySubject(topic)).sort((a, b) => a.version - b.version);
  const versions = values.map((entry) => {
    const name = (entry.schema as { name?: string }).name;
    if (name === 'Envelope') throw new ConfigError(`topic ${topic} uses the debezium envelope: replay reads the entity envelope only (envelope: entity)`);
    if (name === 'KeyOnlyChange') throw new ConfigError(`topic ${topic} uses the key-only envelope, which carries no rows: replay needs the entity envelope (envelope: entity)`);
    return readTableRecord(entry.schema, 'value').table;
  });
  // A table without a key has no key schema: its topic is a change log, rebuilt row by row (table-applier.ts).
  const latestKey = keys.at(-1);
  const key = latestKey ? readTableRecord(latestKey.schema, 'key').table.key : [];
  return { topic, versions: versions.map((v) => ({ ...v, key })) };
}

/** Whether two table versions have the same columns (names, types, nullability) in the same order. */
export const sameShape = (a: TableSchema, b: TableSchema): boolean => tableShapeText(a.columns) === tableShapeText(b.columns);
