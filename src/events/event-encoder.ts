import type { ChangeEvent } from '../model/change-event.js';
import type { TableId, TableSchema } from '../model/table-schema.js';
import { tableIdText } from '../model/table-schema.js';
import { EncodingError } from '../errors.js';
import type { AvroSchema } from '../avro/column-avro-type.js';
import { tableAvroSchemas } from '../avro/table-avro-schema.js';
import { fixedSchema, type FixedSchemaName } from '../schema/fixed-schemas.js';
import type { SchemaCatalog, SchemaEntry } from '../schema/schema-catalog.js';
import type { WireFormat } from '../schema/wire-format.js';
import { keepMissingValues } from '../schema/missing-values.js';
import type { KafkaRecord } from './kafka-record.js';
import { keySubject, valueSubject } from './topic-names.js';
import { SOURCE_TABLE_KEY_FIELD, TopicRouter } from '../routing/topic-router.js';
import { EventIds } from './event-id.js';
import type { OpenTransaction } from './transaction-boundaries.js';
import { DebeziumEncoder, type DebeziumSettings } from './debezium-encoder.js';
import { headersOf } from './record-headers.js';
import { type PreparedPart, type PreparedTable, TableRecords } from './table-records.js';

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

export { HEADER } from './record-headers.js';

/**
 * Turns change events into Kafka records. Each table version (a TableSchema object) is prepared once:
 * its schemas are registered, published and compiled; encoding itself is synchronous.
 */
export class EventEncoder {
  private readonly tables = new WeakMap<TableSchema, TableRecords>();
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
    const { wire } = this.options;
    const part = async (subject: string, partTable: TableSchema, partAvro: PreparedPart['avro']): Promise<PreparedPart> => ({
      table: partTable, avro: partAvro, header: ownBytes(wire.header(await register(subject, partAvro.schema, tableText))),
    });
    let key: PreparedPart | null = null;
    if (sourceInKey && table.key.length > 0) {
      // The source table leads the key: shards with the same key values stay apart in the shared topic.
      if (table.columns.some((c) => c.name === SOURCE_TABLE_KEY_FIELD)) throw new EncodingError(`${tableText} has a column named ${SOURCE_TABLE_KEY_FIELD}, which logtap puts into the key of a topic that several tables share (topics.routes); fix: rename the column, or set uniqueKeys: true on the route`);
      const keyed: TableSchema = { ...described, columns: [SOURCE_TABLE_COLUMN, ...described.columns], key: [SOURCE_TABLE_KEY_FIELD, ...described.key] };
      key = await part(keySubject(topic), keyed, tableAvroSchemas(keyed, topic).key!);
    } else if (avro.key) {
      key = await part(keySubject(topic), described, avro.key);
    }
    let value: PreparedPart | null = null;
    let keyOnlyHeader: Uint8Array | null = null;
    if (envelope === 'entity') {
      value = await part(valueSubject(topic), described, avro.value);
    } else {
      keyOnlyHeader = ownBytes(wire.header(await register(valueSubject(topic), fixedSchema('key-only-change').schema, tableText)));
    }
    const truncateKeyFixed = fixedSchema('truncate-key');
    const truncateKey = { header: ownBytes(wire.header(await register(`logtap.${fixedName('truncate-key')}`, truncateKeyFixed.schema, null))), body: ownBytes(truncateKeyFixed.type.toBuffer({ table: tableText })) };
    const truncateHeader = ownBytes(wire.header(await register(`logtap.${fixedName('truncate')}`, fixedSchema('truncate').schema, null)));
    this.tables.set(table, new TableRecords({
      table, topic, kind: envelope, key, value, keyOnlyHeader, truncateKey, truncateHeader, partitions,
      sourceTable: sourceInKey ? tableText : null, deleteEvents: this.options.deleteEvents ?? false,
    }));
  }

  /** What an encoding worker needs to encode this table version's changes; undefined for a debezium table or one not prepared. */
  preparedTable(table: TableSchema): PreparedTable | undefined {
    return this.tables.get(table)?.prepared;
  }

  /** The event id base of a streamed change (event-id.ts), in log order: for a change encoded elsewhere. */
  changeIdBase(event: ChangeEvent): string {
    return this.ids.changeBase(event);
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
    const table = this.tables.get(event.table);
    if (!table) {
      if (this.debeziumEncoder?.isPrepared(event.table)) {
        const records = this.debeziumEncoder.encode(event);
        this.ids.assign(event, records);
        return records;
      }
      throw new Error(`table version of ${tableIdText(event.table.id)} used before prepare()`);
    }
    const records = table.records(event);
    this.ids.assign(event, records);
    return records;
  }
}

/** A copy in its own memory: a Buffer may be a view of a shared pool, which a structured clone would copy whole. */
const ownBytes = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

const fixedName = (name: FixedSchemaName): string => {
  const schema = fixedSchema(name).schema as { name: string };
  return schema.name;
};

/** The key field of a shared topic, described as a column so that readers rebuild it like any key column. */
const SOURCE_TABLE_COLUMN = { name: SOURCE_TABLE_KEY_FIELD, type: { kind: 'string' }, nullable: false, sourceType: 'logtap source table' } as const satisfies TableSchema['columns'][number];

