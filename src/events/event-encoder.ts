import type avro from 'avsc';
import type { ChangeEvent, Row } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';
import { tableIdText } from '../model/table-schema.js';
import { EncodingError } from '../errors.js';
import { avroType } from '../avro/avro-type.js';
import { type AvroSchema, orNull } from '../avro/column-avro-type.js';
import { type RowCodec, compileRowCodec } from '../avro/row-codec.js';
import { tableAvroSchemas } from '../avro/table-avro-schema.js';
import { fixedSchema, type FixedSchemaName } from '../schema/fixed-schemas.js';
import type { SchemaCatalog, SchemaEntry } from '../schema/schema-catalog.js';
import type { WireFormat } from '../schema/wire-format.js';
import type { KafkaRecord } from './kafka-record.js';
import { keySubject, tableTopic, valueSubject } from './topic-names.js';

/**
 * - `entity` (default): key = key columns, value = the whole row after the change, delete = tombstone,
 *   metadata in headers; a compacted topic is the table.
 * - `debezium`: value = Debezium's envelope (before, after, source, op, ts_ms, transaction).
 * - `key-only`: key = key columns, value = op and position, no row.
 */
export type Envelope = 'entity' | 'debezium' | 'key-only';

export interface EventEncoderOptions {
  topicPrefix: string;
  envelope: Envelope;
  /** entity: publish a delete event carrying the before-image ahead of the tombstone, when the source has it. */
  deleteEvents?: boolean;
  /** For Debezium's source block. */
  source: { connector: 'postgresql' | 'mysql'; database: string; version: string };
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
}

export const HEADER = {
  op: 'logtap.op',
  position: 'logtap.position',
  txId: 'logtap.txid',
  commitTimeMicros: 'logtap.commit_us',
  snapshot: 'logtap.snapshot',
  table: 'logtap.table',
} as const;

/**
 * Turns change events into Kafka records. Each table version (a TableSchema object) is prepared once:
 * its schemas are registered, published and compiled; encoding itself is synchronous.
 */
export class EventEncoder {
  private readonly tables = new WeakMap<TableSchema, TableState>();

  constructor(private readonly options: EventEncoderOptions) {}

  isPrepared(table: TableSchema): boolean {
    return this.tables.has(table);
  }

  async prepare(table: TableSchema, publish: PublishSchema): Promise<void> {
    if (this.tables.has(table)) return;
    const { envelope } = this.options;
    const topic = tableTopic(this.options.topicPrefix, table.id);
    const avro = tableAvroSchemas(table, topic);
    const tableText = tableIdText(table.id);
    const register = async (subject: string, schema: AvroSchema, forTable: string | null) => {
      const { entry, isNew } = this.options.catalog.register(subject, schema, forTable);
      if (isNew) {
        await publish(entry);
        await this.options.wire.prepare(entry);
      }
      return entry;
    };

    const key = avro.key && { entry: await register(keySubject(topic), avro.key.schema, tableText), codec: compileRowCodec(table, avro.key) };
    let value: TableState['value'] = null;
    let envelopeState: TableState['envelope'] = null;
    if (envelope === 'entity') {
      value = { entry: await register(valueSubject(topic), avro.value.schema, tableText), codec: compileRowCodec(table, avro.value) };
    } else if (envelope === 'debezium') {
      const schema = debeziumEnvelopeSchema(avro.namespace, avro.value.schema);
      // The row codec lowers the row values; the envelope type writes them inside before/after.
      value = { entry: await register(valueSubject(topic), schema, tableText), codec: compileRowCodec(table, avro.value) };
      envelopeState = { entry: value.entry, type: avroType(schema) };
    } else {
      const fixed = fixedSchema('key-only-change');
      envelopeState = { entry: await register(valueSubject(topic), fixed.schema, tableText), type: fixed.type };
    }
    const truncateKeyFixed = fixedSchema('truncate-key');
    const truncateFixed = fixedSchema('truncate');
    const truncateKey = { entry: await register(`logtap.${fixedName('truncate-key')}`, truncateKeyFixed.schema, null), body: truncateKeyFixed.type.toBuffer({ table: tableText }) };
    const truncate = { entry: await register(`logtap.${fixedName('truncate')}`, truncateFixed.schema, null), type: truncateFixed.type };
    this.tables.set(table, { topic, key, value, envelope: envelopeState, truncateKey, truncate });
  }

  /** The records of one change, in the order they must be written. */
  encode(event: ChangeEvent): KafkaRecord[] {
    const state = this.tables.get(event.table);
    if (!state) throw new Error(`table version of ${tableIdText(event.table.id)} used before prepare()`);
    const position = event.position.token;
    const headers = (op: string): Record<string, string> => {
      const h: Record<string, string> = { [HEADER.op]: op, [HEADER.position]: position, [HEADER.snapshot]: event.snapshot ? 'true' : 'false' };
      if (event.txId !== undefined) h[HEADER.txId] = event.txId;
      if (event.commitTimeMicros !== undefined) h[HEADER.commitTimeMicros] = event.commitTimeMicros.toString();
      return h;
    };
    const wire = this.options.wire;
    const frame = (entry: SchemaEntry, body: Buffer) => wire.frame(entry, body);
    const keyOf = (row: Row | undefined): Buffer | null => {
      if (!state.key) return null;
      if (!row) throw new EncodingError(`cannot encode ${tableIdText(event.table.id)} at ${position}: the change carries no key`);
      return frame(state.key.entry, state.key.codec.encode(row, position));
    };

    if (event.op === 't') {
      const marker = { table: tableIdText(event.table.id), position, commitTimeMicros: event.commitTimeMicros ?? null };
      const value = this.options.envelope === 'key-only'
        ? frame(state.envelope!.entry, state.envelope!.type.toBuffer(this.keyOnlyValue(event)))
        : frame(state.truncate.entry, state.truncate.type.toBuffer(marker));
      return [{ topic: state.topic, key: frame(state.truncateKey.entry, state.truncateKey.body), value, headers: headers('t') }];
    }

    const afterKey = event.op === 'd' ? null : keyOf(event.after);
    const beforeKey = event.before && state.key ? keyOf(event.before) : null;
    const records: KafkaRecord[] = [];

    switch (this.options.envelope) {
      case 'entity': {
        const value = state.value!;
        if (event.op === 'd') {
          const key = beforeKey ?? keyOf(event.before);
          if (this.options.deleteEvents && event.before && hasAllColumns(event.table, event.before)) {
            records.push({ topic: state.topic, key, value: frame(value.entry, value.codec.encode(event.before, position)), headers: headers('d') });
          }
          if (key) records.push({ topic: state.topic, key, value: null, headers: headers('d') });
          else if (event.before) records.push({ topic: state.topic, key: null, value: frame(value.entry, value.codec.encode(event.before, position)), headers: headers('d') });
          return records;
        }
        // A changed key is a delete of the old key (tombstone) and the row under the new one.
        if (beforeKey && afterKey && !beforeKey.equals(afterKey)) records.push({ topic: state.topic, key: beforeKey, value: null, headers: headers('d') });
        records.push({ topic: state.topic, key: afterKey, value: frame(value.entry, value.codec.encode(event.after!, position)), headers: headers(event.op) });
        return records;
      }
      case 'debezium': {
        const value = state.value!;
        const env = state.envelope!;
        const envelopeBody = (op: string, before: Row | undefined, after: Row | undefined) =>
          frame(env.entry, env.type.toBuffer({
            before: before && hasAllColumns(event.table, before) ? value.codec.lower(before, position) : null,
            after: after ? value.codec.lower(after, position) : null,
            source: this.debeziumSource(event),
            op,
            ts_ms: BigInt(Date.now()),
            ts_us: null,
            transaction: null,
          }));
        if (event.op === 'd') {
          const key = beforeKey ?? keyOf(event.before);
          records.push({ topic: state.topic, key, value: envelopeBody('d', event.before, undefined), headers: headers('d') });
          if (key) records.push({ topic: state.topic, key, value: null, headers: headers('d') });
          return records;
        }
        if (beforeKey && afterKey && !beforeKey.equals(afterKey)) {
          records.push({ topic: state.topic, key: beforeKey, value: envelopeBody('d', event.before, undefined), headers: headers('d') });
          records.push({ topic: state.topic, key: beforeKey, value: null, headers: headers('d') });
          records.push({ topic: state.topic, key: afterKey, value: envelopeBody('c', undefined, event.after), headers: headers('c') });
          return records;
        }
        records.push({ topic: state.topic, key: afterKey, value: envelopeBody(event.op, event.before, event.after), headers: headers(event.op) });
        return records;
      }
      case 'key-only': {
        const env = state.envelope!;
        if (beforeKey && afterKey && !beforeKey.equals(afterKey)) {
          records.push({ topic: state.topic, key: beforeKey, value: frame(env.entry, env.type.toBuffer({ ...this.keyOnlyValue(event), op: 'd' })), headers: headers('d') });
        }
        const key = event.op === 'd' ? beforeKey ?? keyOf(event.before) : afterKey;
        records.push({ topic: state.topic, key, value: frame(env.entry, env.type.toBuffer(this.keyOnlyValue(event))), headers: headers(event.op) });
        return records;
      }
    }
  }

  private keyOnlyValue(event: ChangeEvent) {
    return { op: event.op, position: event.position.token, txId: event.txId ?? null, commitTimeMicros: event.commitTimeMicros ?? null };
  }

  private debeziumSource(event: ChangeEvent) {
    const { source, topicPrefix } = this.options;
    const micros = event.commitTimeMicros ?? BigInt(Date.now()) * 1000n;
    return {
      version: source.version,
      connector: source.connector,
      name: topicPrefix,
      ts_ms: micros / 1000n,
      ts_us: micros,
      snapshot: event.snapshot ? 'true' : 'false',
      db: source.database,
      schema: source.connector === 'postgresql' ? event.table.id.namespace : null,
      table: event.table.id.name,
      txId: event.txId ?? null,
      position: event.position.token,
    };
  }
}

const fixedName = (name: FixedSchemaName): string => {
  const schema = fixedSchema(name).schema as { name: string };
  return schema.name;
};

const hasAllColumns = (table: TableSchema, row: Row): boolean => table.columns.every((c) => row[c.name] !== undefined);

/** Debezium's envelope record around a table's Value record, named `<topic>.Envelope`. */
function debeziumEnvelopeSchema(namespace: string, valueSchema: AvroSchema): AvroSchema {
  const valueName = `${namespace}.Value`;
  return {
    type: 'record',
    name: 'Envelope',
    namespace,
    fields: [
      { name: 'before', type: orNull(valueSchema), default: null },
      { name: 'after', type: ['null', valueName], default: null },
      { name: 'source', type: fixedSchema('debezium-source').schema },
      { name: 'op', type: 'string' },
      { name: 'ts_ms', type: ['null', 'long'], default: null },
      { name: 'ts_us', type: ['null', 'long'], default: null },
      { name: 'transaction', type: ['null', fixedSchema('transaction').schema], default: null },
    ],
  };
}
