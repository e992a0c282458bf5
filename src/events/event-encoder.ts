import type avro from 'avsc';
import type { ChangeEvent, Row } from '../model/change-event.js';
import type { TableId, TableSchema } from '../model/table-schema.js';
import { tableIdText } from '../model/table-schema.js';
import { EncodingError } from '../errors.js';
import type { AvroSchema } from '../avro/column-avro-type.js';
import { type RowCodec, compileRowCodec } from '../avro/row-codec.js';
import { tableAvroSchemas } from '../avro/table-avro-schema.js';
import { fixedSchema, type FixedSchemaName } from '../schema/fixed-schemas.js';
import type { SchemaCatalog, SchemaEntry } from '../schema/schema-catalog.js';
import { type WireFormat, framed } from '../schema/wire-format.js';
import { keepMissingValues } from '../schema/missing-values.js';
import { AvroWriter } from '../avro/binary-writer.js';
import type { KafkaRecord } from './kafka-record.js';
import { keySubject, valueSubject } from './topic-names.js';
import { SOURCE_TABLE_KEY_FIELD, TopicRouter } from '../routing/topic-router.js';
import { EVENT_ID_HEADER, EventIds } from './event-id.js';
import type { OpenTransaction } from './transaction-boundaries.js';
import { DebeziumEncoder, type DebeziumSettings } from './debezium-encoder.js';

/**
 * - `entity` (default): key = key columns, value = the whole row after the change, delete = tombstone,
 *   metadata in headers; a compacted topic is the table. A table without a key: a change log (changeLogRecords).
 * - `debezium`: Debezium's envelope and semantic types (debezium-encoder.ts).
 * - `key-only`: key = key columns, value = op and position, no row.
 */
export type Envelope = 'entity' | 'debezium' | 'key-only';

export interface EventEncoderOptions {
  topicPrefix: string;
  /** Each table's topic (config `topics.name` and `topics.routes`); absent: `<topicPrefix>.<namespace>.<table>`. */
  topics?: TopicRouter;
  /** A table's own envelope (config `tables:`); absent: `envelope` for every table. */
  envelopeOf?: (table: TableId) => Envelope;
  envelope: Envelope;
  /** entity: publish a delete event carrying the before-image ahead of the tombstone, when the source has it. */
  deleteEvents?: boolean;
  /** For Debezium's source block. */
  source: { connector: 'postgresql' | 'mysql'; database: string; version: string };
  /** debezium: the `transaction` block and truncate events (default: neither, as Debezium's defaults). */
  debezium?: Partial<DebeziumSettings>;
  catalog: SchemaCatalog;
  wire: WireFormat;
}

/** Called for every schema new to the catalog, before any record that uses it; must make it durable. */
export type PublishSchema = (entry: SchemaEntry) => Promise<void>;

interface TableState {
  topic: string;
  key: { entry: SchemaEntry; codec: RowCodec } | null;
  value: { entry: SchemaEntry; codec: RowCodec } | null;
  envelope: { entry: SchemaEntry; type: avro.Type } | null;
  truncateKey: { entry: SchemaEntry; body: Buffer };
  truncate: { entry: SchemaEntry; type: avro.Type };
  /** Partitions of the topic: a truncate marker goes to each. */
  partitions: number;
  /** A topic several tables share (a route): `namespace.table`, put into the key and the `logtap.table` header. */
  sourceTable: string | null;
  /** entity or key-only (a debezium table is the DebeziumEncoder's). */
  kind: Envelope;
}

// encode() is synchronous: one writer serves every encoder.
const writer = new AvroWriter();

export const HEADER = {
  op: 'logtap.op',
  position: 'logtap.position',
  txId: 'logtap.txid',
  commitTimeMicros: 'logtap.commit_us',
  snapshot: 'logtap.snapshot',
  table: 'logtap.table',
  /** On a truncate marker: how many partitions the marker was written to (0 … n−1), one record each. */
  partitions: 'logtap.partitions',
} as const;

/**
 * Turns change events into Kafka records. Each table version (a TableSchema object) is prepared once:
 * its schemas are registered, published and compiled; encoding itself is synchronous.
 */
export class EventEncoder {
  private readonly tables = new WeakMap<TableSchema, TableState>();
  private readonly router: TopicRouter;
  private debeziumEncoder: DebeziumEncoder | undefined;
  private resumedTransaction: OpenTransaction | undefined;
  private readonly ids = new EventIds();

  constructor(private readonly options: EventEncoderOptions) {
    this.router = options.topics ?? new TopicRouter(options.topicPrefix);
  }

  isPrepared(table: TableSchema): boolean {
    return this.tables.has(table) || (this.debeziumEncoder?.isPrepared(table) ?? false);
  }

  private envelopeOf(table: TableSchema): Envelope {
    return this.options.envelopeOf?.(table.id) ?? this.options.envelope;
  }

  /** Made on the first table that uses it (one instance: its transaction order spans every table). */
  private get debezium(): DebeziumEncoder {
    const { options } = this;
    if (!this.debeziumEncoder) {
      this.debeziumEncoder = new DebeziumEncoder({
        ...options, topics: this.router, transactionMetadata: options.debezium?.transactionMetadata ?? false, truncateEvents: options.debezium?.truncateEvents ?? false, headers: headersOf,
      });
      const open = this.resumedTransaction;
      if (open) this.debeziumEncoder.resumeTransaction(open.id, open.counts);
    }
    return this.debeziumEncoder;
  }

  /**
   * A source transaction the checkpoint cut (src/pipeline/event-contract.ts): Debezium's transaction block counts on
   * from its events published before, as the END record of the transactions topic counts them.
   */
  resumeTransaction(open: OpenTransaction): void {
    this.resumedTransaction = open;
    this.debeziumEncoder?.resumeTransaction(open.id, open.counts);
  }

  /** `partitions`: how many partitions the table's topic has (a truncate marker is written to each). */
  async prepare(table: TableSchema, publish: PublishSchema, partitions = 1): Promise<void> {
    if (this.isPrepared(table)) return;
    const envelope = this.envelopeOf(table);
    if (envelope === 'debezium') return this.debezium.prepare(table, this.registerWith(publish));
    const { topic, sourceInKey } = this.router.route(table.id);
    // The value rows from before a column read is the one its first version carried (schema/missing-values.ts).
    const described = envelope === 'entity' ? keepMissingValues(table, this.options.catalog.latestSchema(valueSubject(topic))) : table;
    const avro = tableAvroSchemas(described, topic);
    const tableText = tableIdText(table.id);
    const register = this.registerWith(publish);
    let key: TableState['key'] = null;
    if (sourceInKey && table.key.length > 0) {
      // The source table leads the key: shards with the same key values stay apart in the shared topic.
      if (table.columns.some((c) => c.name === SOURCE_TABLE_KEY_FIELD)) throw new EncodingError(`${tableText} has a column named ${SOURCE_TABLE_KEY_FIELD}, which logtap puts into the key of a topic that several tables share (topics.routes); fix: rename the column, or set uniqueKeys: true on the route`);
      const keyed: TableSchema = { ...described, columns: [SOURCE_TABLE_COLUMN, ...described.columns], key: [SOURCE_TABLE_KEY_FIELD, ...described.key] };
      const keyAvro = tableAvroSchemas(keyed, topic).key!;
      key = { entry: await register(keySubject(topic), keyAvro.schema, tableText), codec: compileRowCodec(keyed, keyAvro) };
    } else if (avro.key) {
      key = { entry: await register(keySubject(topic), avro.key.schema, tableText), codec: compileRowCodec(described, avro.key) };
    }
    let value: TableState['value'] = null;
    let envelopeState: TableState['envelope'] = null;
    if (envelope === 'entity') {
      value = { entry: await register(valueSubject(topic), avro.value.schema, tableText), codec: compileRowCodec(described, avro.value) };
    } else {
      const fixed = fixedSchema('key-only-change');
      envelopeState = { entry: await register(valueSubject(topic), fixed.schema, tableText), type: fixed.type };
    }
    const truncateKeyFixed = fixedSchema('truncate-key');
    const truncateFixed = fixedSchema('truncate');
    const truncateKey = { entry: await register(`logtap.${fixedName('truncate-key')}`, truncateKeyFixed.schema, null), body: truncateKeyFixed.type.toBuffer({ table: tableText }) };
    const truncate = { entry: await register(`logtap.${fixedName('truncate')}`, truncateFixed.schema, null), type: truncateFixed.type };
    this.tables.set(table, { topic, key, value, envelope: envelopeState, truncateKey, truncate, partitions, sourceTable: sourceInKey ? tableText : null, kind: envelope });
  }

  private registerWith(publish: PublishSchema) {
    return async (subject: string, schema: AvroSchema, forTable: string | null) => {
      const { entry, isNew } = this.options.catalog.register(subject, schema, forTable);
      if (isNew) await publish(entry);
      // Also for schemas known from before a restart: a registry hands out their ids again.
      await this.options.wire.prepare(entry);
      return entry;
    };
  }

  /** The records of one change, in the order they must be written, each with its event id (event-id.ts). */
  encode(event: ChangeEvent): KafkaRecord[] {
    const records = this.records(event);
    this.ids.assign(event, records);
    return records;
  }

  private records(event: ChangeEvent): KafkaRecord[] {
    const state = this.tables.get(event.table);
    if (!state) {
      if (this.debeziumEncoder?.isPrepared(event.table)) return this.debeziumEncoder.encode(event);
      throw new Error(`table version of ${tableIdText(event.table.id)} used before prepare()`);
    }
    const records = this.recordsOf(state, event);
    if (state.sourceTable !== null) for (const r of records) r.headers[HEADER.table] = state.sourceTable;
    return records;
  }

  private recordsOf(state: TableState, event: ChangeEvent): KafkaRecord[] {
    if (event.op === 't') return this.truncateRecords(state, event);
    return state.kind === 'entity' ? this.entityRecords(state, event) : this.keyOnlyRecords(state, event);
  }

  private entityRecords(state: TableState, event: ChangeEvent): KafkaRecord[] {
    if (!state.key) return this.changeLogRecords(state, event);
    const value = state.value!;
    const { topic } = state;
    if (event.op === 'd') {
      const key = this.keyOf(state, event, event.before);
      const records: KafkaRecord[] = [];
      if (this.options.deleteEvents && event.before && hasAllColumns(event.table, event.before)) {
        records.push({ topic, key, value: this.rowMessage(value, event.before, event), headers: headersOf(event, 'd') });
      }
      records.push({ topic, key, value: null, headers: headersOf(event, 'd') });
      return records;
    }
    const key = this.keyOf(state, event, event.after);
    const row = { topic, key, value: this.rowMessage(value, event.after!, event), headers: headersOf(event, event.op) };
    // A changed key is a delete of the old key (tombstone), then the row under the new one.
    const oldKey = this.changedKey(state, event, key);
    return oldKey ? [{ topic, key: oldKey, value: null, headers: headersOf(event, 'd') }, row] : [row];
  }

  /**
   * A table without a key: its topic is a change log of whole rows, null keys. A row that leaves the table
   * (delete, and the old row of an update) is a `d` record carrying it; a row that enters it (insert, read,
   * the new row of an update) a record carrying it. Rows are their own identity, so an update is the two.
   */
  private changeLogRecords(state: TableState, event: ChangeEvent): KafkaRecord[] {
    const value = state.value!;
    const { topic } = state;
    const old = (): KafkaRecord => {
      if (!event.before || !hasAllColumns(event.table, event.before)) {
        throw new EncodingError(`cannot publish the ${event.op === 'd' ? 'delete' : 'update'} of ${tableIdText(event.table.id)} at ${event.position.token}: the table has no primary key and the change does not carry the whole old row (PostgreSQL: ALTER TABLE … REPLICA IDENTITY FULL)`);
      }
      return { topic, key: null, value: this.rowMessage(value, event.before, event), headers: headersOf(event, 'd') };
    };
    if (event.op === 'd') return [old()];
    const row = { topic, key: null, value: this.rowMessage(value, event.after!, event), headers: headersOf(event, event.op) };
    return event.op === 'u' ? [old(), row] : [row];
  }

  private keyOnlyRecords(state: TableState, event: ChangeEvent): KafkaRecord[] {
    const { topic } = state;
    const env = state.envelope!;
    const change = (op: string) => framed(this.options.wire, env.entry, env.type.toBuffer({ ...this.keyOnlyValue(event), op }));
    if (event.op === 'd') return [{ topic, key: this.keyOf(state, event, event.before), value: change('d'), headers: headersOf(event, 'd') }];
    const key = this.keyOf(state, event, event.after);
    const record = { topic, key, value: change(event.op), headers: headersOf(event, event.op) };
    const oldKey = this.changedKey(state, event, key);
    return oldKey ? [{ topic, key: oldKey, value: change('d'), headers: headersOf(event, 'd') }, record] : [record];
  }

  /**
   * One marker per partition of the topic, each written to its partition explicitly: rows of every partition
   * sit before the marker of their own partition, so a reader of any partition (and compaction, which keeps
   * the latest marker of each partition) sees the truncate in order with them.
   */
  private truncateRecords(state: TableState, event: ChangeEvent): KafkaRecord[] {
    const wire = this.options.wire;
    const value = state.kind === 'key-only'
      ? framed(wire, state.envelope!.entry, state.envelope!.type.toBuffer(this.keyOnlyValue(event)))
      : framed(wire, state.truncate.entry, state.truncate.type.toBuffer({ table: tableIdText(event.table.id), position: event.position.token, commitTimeMicros: event.commitTimeMicros ?? null }));
    const key = framed(wire, state.truncateKey.entry, state.truncateKey.body);
    const headers = { ...headersOf(event, 't'), [HEADER.partitions]: String(state.partitions) };
    return Array.from({ length: state.partitions }, (_, partition) => ({ topic: state.topic, key, value, headers, partition }));
  }

  /** Rows, the bulk of the traffic, are written with their header straight into the shared writer. */
  private rowMessage(part: { entry: SchemaEntry; codec: RowCodec }, row: Row, event: ChangeEvent): Buffer {
    writer.reset();
    writer.raw(this.options.wire.header(part.entry));
    part.codec.write(writer, row, event.position.token);
    return writer.take();
  }

  private keyOf(state: TableState, event: ChangeEvent, row: Row | undefined): Buffer | null {
    if (!state.key) return null;
    if (!row) throw new EncodingError(`cannot encode ${tableIdText(event.table.id)} at ${event.position.token}: the change carries no key`);
    return this.rowMessage(state.key, state.sourceTable === null ? row : { ...row, [SOURCE_TABLE_KEY_FIELD]: state.sourceTable }, event);
  }

  /** The old key of an update that changed the key, else null. */
  private changedKey(state: TableState, event: ChangeEvent, newKey: Buffer | null): Buffer | null {
    if (!event.before || !newKey) return null;
    const oldKey = this.keyOf(state, event, event.before);
    return oldKey && !oldKey.equals(newKey) ? oldKey : null;
  }

  private keyOnlyValue(event: ChangeEvent) {
    return { op: event.op, position: event.position.token, txId: event.txId ?? null, commitTimeMicros: event.commitTimeMicros ?? null };
  }
}

const fixedName = (name: FixedSchemaName): string => {
  const schema = fixedSchema(name).schema as { name: string };
  return schema.name;
};

/** The metadata headers every record of a change carries. */
function headersOf(event: ChangeEvent, op: string): Record<string, string> {
  // The event id is set once the change's records are known (event-id.ts); present from the start, the object keeps one shape.
  const h: Record<string, string> = { [HEADER.op]: op, [HEADER.position]: event.position.token, [HEADER.snapshot]: event.snapshot ? 'true' : 'false', [EVENT_ID_HEADER]: '' };
  if (event.txId !== undefined) h[HEADER.txId] = event.txId;
  if (event.commitTimeMicros !== undefined) h[HEADER.commitTimeMicros] = event.commitTimeMicros.toString();
  return h;
}

/** The key field of a shared topic, described as a column so that readers rebuild it like any key column. */
const SOURCE_TABLE_COLUMN = { name: SOURCE_TABLE_KEY_FIELD, type: { kind: 'string' }, nullable: false, sourceType: 'logtap source table' } as const satisfies TableSchema['columns'][number];

const hasAllColumns = (table: TableSchema, row: Row): boolean => table.columns.every((c) => row[c.name] !== undefined);
