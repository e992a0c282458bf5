import type { ChangeEvent, Row } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';
import { tableIdText } from '../model/table-schema.js';
import { EncodingError } from '../errors.js';
import { AvroWriter } from '../avro/binary-writer.js';
import { type ValueWriter, compileSchemaWriter } from '../avro/debezium-schema-writer.js';
import type { AvroSchema } from '../avro/column-avro-type.js';
import type { DebeziumConnector } from '../avro/debezium-column-type.js';
import { type DebeziumRecordCodec, debeziumTableRecords } from '../avro/debezium-row-codec.js';
import type { SchemaEntry } from '../schema/schema-catalog.js';
import type { WireFormat } from '../schema/wire-format.js';
import type { KafkaRecord } from './kafka-record.js';
import { debeziumEnvelopeSchema } from './debezium-envelope-schema.js';
import { type TransactionBlock, TransactionOrder } from './debezium-transaction-order.js';
import { keySubject, valueSubject } from './topic-names.js';
import type { TopicRouter } from '../routing/topic-router.js';

/** `debezium:` in the config. */
export interface DebeziumSettings {
  /** Fill each envelope's `transaction` block (Debezium's provide.transaction.metadata); false: null. */
  transactionMetadata: boolean;
  /** Publish a truncate as an `op: t` envelope; false: nothing, as Debezium's default skipped.operations=t. */
  truncateEvents: boolean;
}

export interface DebeziumEncoderOptions extends DebeziumSettings {
  topicPrefix: string;
  /** Each table's topic (routes need uniqueKeys: true with this envelope: the key stays Debezium's). */
  topics: TopicRouter;
  source: { connector: DebeziumConnector; database: string; version: string };
  wire: WireFormat;
  /** The metadata headers of a record of `event` with operation `op` (the same in every envelope). */
  headers: (event: ChangeEvent, op: string) => Record<string, string>;
}

/** Registers a schema under a subject (publishing it first when new) and prepares the wire format for it. */
export type RegisterSchema = (subject: string, schema: AvroSchema, table: string | null) => Promise<SchemaEntry>;

interface TableState {
  topic: string;
  tableText: string;
  key: { entry: SchemaEntry; codec: DebeziumRecordCodec; write: ValueWriter } | null;
  value: { entry: SchemaEntry; codec: DebeziumRecordCodec; write: ValueWriter };
}

// encode() is synchronous: one writer serves every encoder.
const writer = new AvroWriter();

const DIGITS = /^\d+$/;
const MARIADB_GTID = /^\d+-\d+-\d+$/;
const MYSQL_GTID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:\d+$/i;

/**
 * The Debezium-compatible envelope (docs/events.md): keys `<topic>.Key`, values `<topic>.Envelope` with
 * Debezium's semantic types, `source` block and optional `transaction` block, so that consumers built for
 * Debezium read the topics unchanged.
 */
export class DebeziumEncoder {
  private readonly tables = new WeakMap<TableSchema, TableState>();
  private readonly order = new TransactionOrder();
  /** The last source block and processing time: the events of one transaction and millisecond share them. */
  private lastSource: { table: TableSchema; txId: string | undefined; commit: bigint | undefined; snapshot: boolean; block: Record<string, unknown> } | null = null;
  private lastNow = { ms: -1, times: { ts_ms: 0n, ts_us: 0n, ts_ns: 0n } };

  constructor(private readonly options: DebeziumEncoderOptions) {}

  isPrepared(table: TableSchema): boolean {
    return this.tables.has(table);
  }

  /** The transaction block counts on in a source transaction a checkpoint cut. */
  resumeTransaction(txId: string, counts: [string, number][]): void {
    this.order.resume(txId, counts);
  }

  async prepare(table: TableSchema, register: RegisterSchema): Promise<void> {
    if (this.tables.has(table)) return;
    const { topic } = this.options.topics.route(table.id);
    const tableText = tableIdText(table.id);
    const records = debeziumTableRecords(table, topic, this.options.source.connector);
    const key = records.key && {
      entry: await register(keySubject(topic), records.key.schema, tableText), codec: records.key, write: compileSchemaWriter(records.key.schema),
    };
    const envelope = debeziumEnvelopeSchema(records.namespace, records.value.schema, this.options.source.connector);
    const value = { entry: await register(valueSubject(topic), envelope, tableText), codec: records.value, write: compileSchemaWriter(envelope) };
    this.tables.set(table, { topic, tableText, key, value });
  }

  /** The records of one change, in the order they must be written. */
  encode(event: ChangeEvent): KafkaRecord[] {
    const state = this.tables.get(event.table);
    if (!state) throw new Error(`table version of ${tableIdText(event.table.id)} used before prepare()`);
    const { topic } = state;
    const { headers } = this.options;
    if (event.op === 't') {
      return this.options.truncateEvents ? [{ topic, key: null, value: this.envelope(state, event, 't', undefined, undefined), headers: headers(event, 't') }] : [];
    }
    if (event.op === 'd') {
      const key = this.keyOf(state, event, event.before);
      const deleted = { topic, key, value: this.envelope(state, event, 'd', event.before, undefined), headers: headers(event, 'd') };
      // tombstones.on.delete=true: the tombstone lets compaction drop the key.
      return key ? [deleted, { topic, key, value: null, headers: headers(event, 'd') }] : [deleted];
    }
    const key = this.keyOf(state, event, event.after);
    const oldKey = event.before && key ? this.keyOf(state, event, event.before) : null;
    if (oldKey && key && !oldKey.equals(key)) {
      // Debezium's form of a key change: a delete and a tombstone for the old key, a create for the new.
      return [
        { topic, key: oldKey, value: this.envelope(state, event, 'd', event.before, undefined), headers: headers(event, 'd') },
        { topic, key: oldKey, value: null, headers: headers(event, 'd') },
        { topic, key, value: this.envelope(state, event, 'c', undefined, event.after), headers: headers(event, 'c') },
      ];
    }
    return [{ topic, key, value: this.envelope(state, event, event.op, event.before, event.after), headers: headers(event, event.op) }];
  }

  private keyOf(state: TableState, event: ChangeEvent, row: Row | undefined): Buffer | null {
    if (!state.key) return null;
    if (!row) throw new EncodingError(`cannot encode ${state.tableText} at ${event.position.token}: the change carries no key`);
    return this.message(state.key, state.key.codec.lower(row, event.position.token));
  }

  private envelope(state: TableState, event: ChangeEvent, op: string, before: Row | undefined, after: Row | undefined): Buffer {
    const { value } = state;
    const position = event.position.token;
    const now = this.processingTime();
    return this.message(value, {
      // PostgreSQL's default replica identity gives the key columns only: the rest are Debezium's placeholders.
      before: before ? value.codec.lowerBefore(before, position) : null,
      after: after ? value.codec.lower(after, position) : null,
      source: this.source(event, now.ts_ms),
      transaction: this.transaction(state, event),
      op,
      ...now,
    });
  }

  /** The wire header and the Avro body of one key or Envelope. */
  private message(part: { entry: SchemaEntry; write: ValueWriter }, record: Record<string, unknown>): Buffer {
    writer.reset();
    writer.raw(this.options.wire.header(part.entry));
    part.write(writer, record);
    return writer.take();
  }

  private transaction(state: TableState, event: ChangeEvent): TransactionBlock | null {
    if (!this.options.transactionMetadata || event.snapshot || event.txId === undefined) return null;
    return this.order.next(event.txId, state.tableText);
  }

  /** Debezium's envelope ts_ms / ts_us / ts_ns: when the event was processed. */
  private processingTime(): { ts_ms: bigint; ts_us: bigint; ts_ns: bigint } {
    const ms = Date.now();
    if (ms !== this.lastNow.ms) {
      const big = BigInt(ms);
      this.lastNow = { ms, times: { ts_ms: big, ts_us: big * 1000n, ts_ns: big * 1_000_000n } };
    }
    return this.lastNow.times;
  }

  /**
   * Debezium's source block: the table's and transaction's part is shared by the events of one transaction; the
   * connector's fields of the change's place in the log (ChangeEvent.sourceFields) are laid over it. Fields
   * the connector does not know keep their empty values (docs/events.md).
   */
  private source(event: ChangeEvent, nowMs: bigint): Record<string, unknown> {
    const shared = this.sharedSource(event, nowMs);
    return event.sourceFields ? { ...shared, ...event.sourceFields } : shared;
  }

  private sharedSource(event: ChangeEvent, nowMs: bigint): Record<string, unknown> {
    const last = this.lastSource;
    // Events without a commit time (snapshot reads) take the processing time: not shared.
    if (last && event.commitTimeMicros !== undefined && last.table === event.table && last.txId === event.txId
      && last.commit === event.commitTimeMicros && last.snapshot === event.snapshot) return last.block;
    const block = this.sourceBlock(event, nowMs);
    this.lastSource = { table: event.table, txId: event.txId, commit: event.commitTimeMicros, snapshot: event.snapshot, block };
    return block;
  }

  private sourceBlock(event: ChangeEvent, nowMs: bigint): Record<string, unknown> {
    const { source, topicPrefix } = this.options;
    const micros = event.commitTimeMicros ?? nowMs * 1000n;
    const ms = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
    const { txId } = event;
    const snapshot = event.snapshot ? 'true' : 'false';
    if (source.connector === 'postgresql') {
      return {
        version: source.version, connector: source.connector, name: topicPrefix, ts_ms: ms, snapshot, db: source.database, sequence: null,
        ts_us: micros, ts_ns: micros * 1000n, schema: event.table.id.namespace, table: event.table.id.name,
        txId: txId !== undefined && DIGITS.test(txId) ? BigInt(txId) : null, lsn: null, xmin: null,
      };
    }
    return {
      version: source.version, connector: source.connector, name: topicPrefix, ts_ms: ms, snapshot, db: event.table.id.namespace, sequence: null,
      ts_us: micros, ts_ns: micros * 1000n, table: event.table.id.name, server_id: 0n,
      gtid: txId !== undefined && (MARIADB_GTID.test(txId) || MYSQL_GTID.test(txId)) ? txId : null,
      file: '', pos: 0n, row: 0, thread: null, query: null,
    };
  }

}
