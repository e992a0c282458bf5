import type { Operation, Row } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';
import { ConfigError, EncodingError } from '../errors.js';
import { type RowCodec, compileRowCodec } from '../avro/row-codec.js';
import { readSingleObjectHeader } from '../avro/single-object.js';
import { readTableRecord } from '../avro/table-avro-schema.js';
import type { AvroSchema } from '../avro/column-avro-type.js';
import type { SchemaEntry } from '../schema/schema-catalog.js';
import { CONFLUENT_MAGIC } from '../schema/confluent-wire.js';
import { fixedSchema } from '../schema/fixed-schemas.js';
import { HEADER } from './event-encoder.js';

/** One entity-envelope message, decoded to canonical values. */
export type DecodedEntityEvent =
  | { kind: 'row'; op: Operation; table: TableSchema; key: Row | null; row: Row; position: string; commitTimeMicros?: bigint }
  | { kind: 'tombstone'; op: 'd'; key: Row | null; table: TableSchema | null; position: string; commitTimeMicros?: bigint }
  /** `partitions`: how many partitions the marker was written to, one record each (absent: written by an older logtap, to one). */
  | { kind: 'truncate'; op: 't'; table: string; position: string; commitTimeMicros?: bigint; partitions?: number };

export interface KafkaMessageLike {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | undefined | (Buffer | string)[]>;
}

/** Which writer schema a message names: a CRC-64-AVRO fingerprint (single-object) or a registry id (Confluent). */
export type SchemaRef = { fingerprintHex: string } | { registryId: number };

/** Gives the writer schema of a reference: from the schema topic, or from a registry. */
export type SchemaResolver = (ref: SchemaRef) => AvroSchema | undefined | Promise<AvroSchema | undefined>;

/** Splits a message into its schema reference and Avro body, for either framing. */
export function readFraming(bytes: Buffer): { ref: SchemaRef; refText: string; body: Buffer } {
  if (bytes[0] === CONFLUENT_MAGIC && bytes.length >= 5) {
    const registryId = bytes.readUInt32BE(1);
    return { ref: { registryId }, refText: `registry id ${registryId}`, body: bytes.subarray(5) };
  }
  const { fingerprintHex, body } = readSingleObjectHeader(bytes);
  return { ref: { fingerprintHex }, refText: `fingerprint ${fingerprintHex}`, body };
}

/** A resolver over the schema topic's entries (registry-free framing). */
export const schemaTopicResolver = (entries: readonly SchemaEntry[]): SchemaResolver => {
  const byFingerprint = new Map(entries.map((e) => [e.fingerprintHex, e.schema]));
  return (ref) => ('fingerprintHex' in ref ? byFingerprint.get(ref.fingerprintHex) : undefined);
};

/** Writer schemas from the schema topic, and from the registry at `registryUrl` for Confluent-framed records. */
export function schemaResolverFor(entries: readonly SchemaEntry[], registryUrl: string | undefined): SchemaResolver {
  const fromTopic = schemaTopicResolver(entries);
  const byId = new Map<number, Promise<AvroSchema | undefined>>();
  return (ref) => {
    if ('fingerprintHex' in ref) return fromTopic(ref);
    if (!registryUrl) throw new ConfigError(`the topics are framed for a schema registry (id ${ref.registryId}): set encoding.registryUrl in the config`);
    let schema = byId.get(ref.registryId);
    if (!schema) {
      schema = fetch(`${registryUrl.replace(/\/$/, '')}/schemas/ids/${ref.registryId}`).then(async (res) => {
        if (!res.ok) return undefined;
        return JSON.parse(((await res.json()) as { schema: string }).schema) as AvroSchema;
      });
      byId.set(ref.registryId, schema);
    }
    return schema;
  };
}

/**
 * Reads entity-envelope messages in either framing: finds each writer schema, rebuilds the table from
 * it and decodes exactly what the encoder wrote.
 */
export class EntityEventDecoder {
  private readonly codecs = new Map<string, { codec: RowCodec; table: TableSchema }>();

  constructor(private readonly schemas: SchemaResolver) {}

  async decode(message: KafkaMessageLike): Promise<DecodedEntityEvent> {
    const header = (name: string): string | undefined => {
      const v = message.headers?.[name];
      const one = Array.isArray(v) ? v[0] : v;
      return one === undefined ? undefined : one.toString();
    };
    const op = header(HEADER.op) as Operation | undefined;
    const position = header(HEADER.position) ?? '';
    const commit = header(HEADER.commitTimeMicros);
    const commitTimeMicros = commit === undefined ? undefined : BigInt(commit);
    const base = { position, ...(commitTimeMicros === undefined ? {} : { commitTimeMicros }) };

    if (op === 't') {
      const truncate = fixedSchema('truncate').type.fromBuffer(readFraming(message.value!).body) as { table: string };
      const partitions = header(HEADER.partitions);
      return { kind: 'truncate', op: 't', table: truncate.table, ...base, ...(partitions === undefined ? {} : { partitions: Number(partitions) }) };
    }
    const keyPart = message.key ? await this.decodePart(message.key, 'key') : null;
    if (message.value === null) return { kind: 'tombstone', op: 'd', key: keyPart?.row ?? null, table: keyPart?.table ?? null, ...base };
    const valuePart = await this.decodePart(message.value, 'value');
    return { kind: 'row', op: op ?? 'c', table: valuePart.table, key: keyPart?.row ?? null, row: valuePart.row, ...base };
  }

  private async decodePart(bytes: Buffer, part: 'key' | 'value'): Promise<{ row: Row; table: TableSchema }> {
    const { ref, refText, body } = readFraming(bytes);
    let compiled = this.codecs.get(refText);
    if (!compiled) {
      const schema = await this.schemas(ref);
      if (!schema) throw new EncodingError(`no schema with ${refText} is known`);
      // Decode with the writer's own schema, rebuilt into the table it was made from.
      const { table, fields } = readTableRecord(schema, part);
      compiled = { codec: compileRowCodec(table, { schema, fields }), table };
      this.codecs.set(refText, compiled);
    }
    return { row: compiled.codec.decode(body), table: compiled.table };
  }
}
