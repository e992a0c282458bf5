import type avro from 'avsc';
import type { ChangeEvent, Row } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';
import { tableIdText } from '../model/table-schema.js';
import { EncodingError } from '../errors.js';
import type { AvroSchema } from '../avro/column-avro-type.js';
import type { FieldPlan } from '../avro/table-avro-schema.js';
import { type RowCodec, compileRowCodec } from '../avro/row-codec.js';
import { fixedSchema } from '../schema/fixed-schemas.js';
import { AvroWriter } from '../avro/binary-writer.js';
import { SOURCE_TABLE_KEY_FIELD } from '../routing/topic-router.js';
import type { KafkaRecord } from './kafka-record.js';
import { HEADER, headersOf } from './record-headers.js';

/** One Avro part of a table's records: the table version its codec reads rows of, its record schema, its wire header. */
export interface PreparedPart {
  table: TableSchema;
  avro: { schema: AvroSchema; fields: FieldPlan[] };
  /** The wire format's header (schema id or fingerprint) written before every body of this schema. */
  header: Uint8Array;
}

/**
 * Everything a table version's records are made of once its schemas are registered: plain data, so that an
 * encoding worker (src/encoding/) rebuilds the same encoder from it (structured clone keeps every field).
 */
export interface PreparedTable {
  /** The table version the events carry. */
  table: TableSchema;
  topic: string;
  /** entity or key-only (a debezium table is the DebeziumEncoder's and stays on the main thread). */
  kind: 'entity' | 'key-only';
  key: PreparedPart | null;
  /** entity: the row's value record. */
  value: PreparedPart | null;
  /** key-only: the header of the fixed key-only-change schema. */
  keyOnlyHeader: Uint8Array | null;
  truncateKey: { header: Uint8Array; body: Uint8Array };
  truncateHeader: Uint8Array;
  /** Partitions of the topic: a truncate marker goes to each. */
  partitions: number;
  /** A topic several tables share (a route): `namespace.table`, put into the key and the `logtap.table` header. */
  sourceTable: string | null;
  /** entity: a delete event carrying the before-image ahead of the tombstone, when the change has it. */
  deleteEvents: boolean;
}

interface CompiledPart {
  header: Buffer;
  codec: RowCodec;
}

// records() is synchronous: one writer serves every table.
const writer = new AvroWriter();

const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/** The Kafka records of one table version's changes (entity and key-only envelopes), compiled from a PreparedTable. */
export class TableRecords {
  private readonly key: CompiledPart | null;
  private readonly value: CompiledPart | null;
  private readonly keyOnly: { header: Buffer; type: avro.Type } | null;
  private readonly truncateKey: Buffer;
  private readonly truncate: { header: Buffer; type: avro.Type };

  constructor(readonly prepared: PreparedTable) {
    const part = (p: PreparedPart | null): CompiledPart | null => p && { header: asBuffer(p.header), codec: compileRowCodec(p.table, p.avro) };
    this.key = part(prepared.key);
    this.value = part(prepared.value);
    this.keyOnly = prepared.keyOnlyHeader && { header: asBuffer(prepared.keyOnlyHeader), type: fixedSchema('key-only-change').type };
    this.truncateKey = Buffer.concat([prepared.truncateKey.header, prepared.truncateKey.body]);
    this.truncate = { header: asBuffer(prepared.truncateHeader), type: fixedSchema('truncate').type };
  }

  /** The records of one change, in the order they must be written (event ids not yet set: event-id.ts). */
  records(event: ChangeEvent): KafkaRecord[] {
    const records = this.recordsOf(event);
    const { sourceTable } = this.prepared;
    if (sourceTable !== null) for (const r of records) r.headers[HEADER.table] = sourceTable;
    return records;
  }

  private recordsOf(event: ChangeEvent): KafkaRecord[] {
    if (event.op === 't') return this.truncateRecords(event);
    return this.prepared.kind === 'entity' ? this.entityRecords(event) : this.keyOnlyRecords(event);
  }

  private entityRecords(event: ChangeEvent): KafkaRecord[] {
    if (!this.key) return this.changeLogRecords(event);
    const value = this.value!;
    const { topic } = this.prepared;
    if (event.op === 'd') {
      const key = this.keyOf(event, event.before);
      const records: KafkaRecord[] = [];
      if (this.prepared.deleteEvents && event.before && hasAllColumns(event.table, event.before)) {
        records.push({ topic, key, value: rowMessage(value, event.before, event), headers: headersOf(event, 'd') });
      }
      records.push({ topic, key, value: null, headers: headersOf(event, 'd') });
      return records;
    }
    const key = this.keyOf(event, event.after);
    const row = { topic, key, value: rowMessage(value, event.after!, event), headers: headersOf(event, event.op) };
    // A changed key is a delete of the old key (tombstone), then the row under the new one.
    const oldKey = this.changedKey(event, key);
    return oldKey ? [{ topic, key: oldKey, value: null, headers: headersOf(event, 'd') }, row] : [row];
  }

  /**
   * A table without a key: its topic is a change log of whole rows, null keys. A row that leaves the table
   * (delete, and the old row of an update) is a `d` record carrying it; a row that enters it (insert, read,
   * the new row of an update) a record carrying it. Rows are their own identity, so an update is the two.
   */
  private changeLogRecords(event: ChangeEvent): KafkaRecord[] {
    const value = this.value!;
    const { topic } = this.prepared;
    const old = (): KafkaRecord => {
      if (!event.before || !hasAllColumns(event.table, event.before)) {
        throw new EncodingError(`cannot publish the ${event.op === 'd' ? 'delete' : 'update'} of ${tableIdText(event.table.id)} at ${event.position.token}: the table has no primary key and the change does not carry the whole old row (PostgreSQL: ALTER TABLE … REPLICA IDENTITY FULL)`);
      }
      return { topic, key: null, value: rowMessage(value, event.before, event), headers: headersOf(event, 'd') };
    };
    if (event.op === 'd') return [old()];
    const row = { topic, key: null, value: rowMessage(value, event.after!, event), headers: headersOf(event, event.op) };
    return event.op === 'u' ? [old(), row] : [row];
  }

  private keyOnlyRecords(event: ChangeEvent): KafkaRecord[] {
    const { topic } = this.prepared;
    const env = this.keyOnly!;
    const change = (op: string) => Buffer.concat([env.header, env.type.toBuffer({ ...keyOnlyValue(event), op })]);
    if (event.op === 'd') return [{ topic, key: this.keyOf(event, event.before), value: change('d'), headers: headersOf(event, 'd') }];
    const key = this.keyOf(event, event.after);
    const record = { topic, key, value: change(event.op), headers: headersOf(event, event.op) };
    const oldKey = this.changedKey(event, key);
    return oldKey ? [{ topic, key: oldKey, value: change('d'), headers: headersOf(event, 'd') }, record] : [record];
  }

  /**
   * One marker per partition of the topic, each written to its partition explicitly: rows of every partition
   * sit before the marker of their own partition, so a reader of any partition (and compaction, which keeps
   * the latest marker of each partition) sees the truncate in order with them.
   */
  private truncateRecords(event: ChangeEvent): KafkaRecord[] {
    const { topic, partitions } = this.prepared;
    const value = this.prepared.kind === 'key-only'
      ? Buffer.concat([this.keyOnly!.header, this.keyOnly!.type.toBuffer(keyOnlyValue(event))])
      : Buffer.concat([this.truncate.header, this.truncate.type.toBuffer({ table: tableIdText(event.table.id), position: event.position.token, commitTimeMicros: event.commitTimeMicros ?? null })]);
    const headers = { ...headersOf(event, 't'), [HEADER.partitions]: String(partitions) };
    return Array.from({ length: partitions }, (_, partition) => ({ topic, key: this.truncateKey, value, headers, partition }));
  }

  private keyOf(event: ChangeEvent, row: Row | undefined): Buffer | null {
    if (!this.key) return null;
    if (!row) throw new EncodingError(`cannot encode ${tableIdText(event.table.id)} at ${event.position.token}: the change carries no key`);
    const { sourceTable } = this.prepared;
    return rowMessage(this.key, sourceTable === null ? row : { ...row, [SOURCE_TABLE_KEY_FIELD]: sourceTable }, event);
  }

  /** The old key of an update that changed the key, else null. */
  private changedKey(event: ChangeEvent, newKey: Buffer | null): Buffer | null {
    if (!event.before || !newKey) return null;
    const oldKey = this.keyOf(event, event.before);
    return oldKey && !oldKey.equals(newKey) ? oldKey : null;
  }
}

/** Rows, the bulk of the traffic, are written with their header straight into the shared writer. */
function rowMessage(part: CompiledPart, row: Row, event: ChangeEvent): Buffer {
  writer.reset();
  writer.raw(part.header);
  part.codec.write(writer, row, event.position.token);
  return writer.take();
}

const keyOnlyValue = (event: ChangeEvent) => ({ op: event.op, position: event.position.token, txId: event.txId ?? null, commitTimeMicros: event.commitTimeMicros ?? null });

const hasAllColumns = (table: TableSchema, row: Row): boolean => table.columns.every((c) => row[c.name] !== undefined);
