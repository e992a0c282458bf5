import { EncodingError } from '../errors.js';
import type { ChangeEvent, Row } from '../model/change-event.js';
import { type TableId, parseTableId, tableIdText } from '../model/table-schema.js';
import type { KafkaRecord } from '../events/kafka-record.js';
import { HEADER } from '../events/event-encoder.js';
import { parseTopicTemplate, topicNameProblem, type TopicTemplate } from '../routing/topic-template.js';
import { OUTBOX_HEADER, OUTBOX_TOPIC_PLACEHOLDERS, type OutboxTableConfig } from './outbox-config.js';

/** A captured outbox row the source may delete once its checkpoint is durable (deleteAfterCapture). */
export interface CapturedOutboxRow {
  table: TableId;
  idColumn: string;
  id: unknown;
}

/**
 * One outbox table: an inserted row (or a row of its snapshot) becomes one record on its aggregate type's topic,
 * key = aggregate id as text, value = payload as stored (JSON text as UTF-8, bytes as they are), headers = `id`,
 * `eventType` and the `headers` column's JSON object. Updates and deletes of outbox rows publish nothing.
 */
export class OutboxTable {
  readonly id: TableId;
  private readonly topic: TopicTemplate;

  constructor(private readonly config: OutboxTableConfig, private readonly prefix: string) {
    this.id = parseTableId(config.table)!;
    this.topic = parseTopicTemplate(config.topic, OUTBOX_TOPIC_PLACEHOLDERS);
  }

  get deleteAfterCapture(): boolean {
    return this.config.deleteAfterCapture;
  }

  /** The record of an inserted (or snapshot) row; null for every other change. */
  record(event: ChangeEvent): KafkaRecord | null {
    if ((event.op !== 'c' && event.op !== 'r') || !event.after) return null;
    const row = event.after;
    const { columns } = this.config;
    const where = () => `outbox row of ${this.config.table} at ${event.position.display}`;
    const required = (column: string): unknown => {
      if (!(column in row)) throw new EncodingError(`${where()}: the table has no column ${column}; fix: outbox.tables[].columns names the table's columns`);
      const value = row[column];
      if (value === null || value === undefined) throw new EncodingError(`${where()}: ${column} is null; an outbox row needs its id, aggregate type, aggregate id and event type`);
      return value;
    };
    const id = textOf(required(columns.id));
    const aggregateType = textOf(required(columns.aggregateType));
    const topic = this.topic.render({ prefix: this.prefix, aggregateType: topicPart(aggregateType), schema: this.id.namespace, database: this.id.namespace, table: this.id.name });
    const problem = topicNameProblem(topic);
    if (problem) throw new EncodingError(`${where()}: its topic ${JSON.stringify(topic)} is not a valid Kafka topic name (${problem})`);
    const headers: Record<string, string> = { ...this.userHeaders(row, where) };
    Object.assign(headers, {
      [OUTBOX_HEADER.id]: id,
      [OUTBOX_HEADER.eventType]: textOf(required(columns.eventType)),
      'logtap.kind': 'outbox',
      [HEADER.table]: tableIdText(this.id),
      [HEADER.position]: event.position.token,
    });
    if (event.txId !== undefined) headers[HEADER.txId] = event.txId;
    if (event.commitTimeMicros !== undefined) headers[HEADER.commitTimeMicros] = event.commitTimeMicros.toString();
    if (!(columns.payload in row)) throw new EncodingError(`${where()}: the table has no column ${columns.payload}; fix: outbox.tables[].columns.payload`);
    return { topic, key: Buffer.from(textOf(required(columns.aggregateId))), value: bytesOf(row[columns.payload]), headers };
  }

  /** The row to delete once published (deleteAfterCapture), or null. */
  captured(event: ChangeEvent): CapturedOutboxRow | null {
    if (!this.config.deleteAfterCapture || (event.op !== 'c' && event.op !== 'r') || !event.after) return null;
    return { table: this.id, idColumn: this.config.columns.id, id: event.after[this.config.columns.id] };
  }

  private userHeaders(row: Row, where: () => string): Record<string, string> {
    const column = this.config.columns.headers;
    if (column === undefined) return {};
    const value = row[column];
    if (value === null || value === undefined) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof value === 'string' ? value : Buffer.from(value as Uint8Array).toString('utf8'));
    } catch {
      throw new EncodingError(`${where()}: ${column} is not JSON; the headers column holds a JSON object of header names to values`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new EncodingError(`${where()}: ${column} is not a JSON object of header names to values`);
    const out: Record<string, string> = {};
    for (const [name, v] of Object.entries(parsed as Record<string, unknown>)) if (v !== null && v !== undefined) out[name] = typeof v === 'string' ? v : JSON.stringify(v);
    return out;
  }
}

/** The outbox tables of a config, found by table. */
export class OutboxTables {
  private readonly byTable = new Map<string, OutboxTable>();

  constructor(configs: readonly OutboxTableConfig[], prefix: string) {
    for (const c of configs) {
      const table = new OutboxTable(c, prefix);
      this.byTable.set(tableIdText(table.id), table);
    }
  }

  get size(): number {
    return this.byTable.size;
  }

  find(id: TableId): OutboxTable | undefined {
    return this.byTable.size === 0 ? undefined : this.byTable.get(tableIdText(id));
  }

  all(): OutboxTable[] {
    return [...this.byTable.values()];
  }
}

/** An id, aggregate type or aggregate id as text (numbers as digits, bytes as hex). */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return JSON.stringify(value);
}

/** The payload as stored: text (JSON included) as UTF-8, bytes as they are; null stays null (a tombstone). */
function bytesOf(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return Buffer.from(value);
  return Buffer.from(textOf(value));
}

/** An aggregate type in a topic name: characters Kafka refuses become `_`. */
const topicPart = (text: string): string => text.replace(/[^A-Za-z0-9._-]/g, '_');
