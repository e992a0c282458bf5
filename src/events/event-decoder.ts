import type { Operation, Row } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';
import { EncodingError } from '../errors.js';
import { type RowCodec, compileRowCodec } from '../avro/row-codec.js';
import { readSingleObjectHeader } from '../avro/single-object.js';
import { readTableRecord } from '../avro/table-avro-schema.js';
import type { SchemaEntry } from '../schema/schema-catalog.js';
import { fixedSchema } from '../schema/fixed-schemas.js';
import { HEADER } from './event-encoder.js';

/** One entity-envelope message, decoded to canonical values. */
export type DecodedEntityEvent =
  | { kind: 'row'; op: Operation; table: TableSchema; key: Row | null; row: Row; position: string; commitTimeMicros?: bigint }
  | { kind: 'tombstone'; op: 'd'; key: Row | null; table: TableSchema | null; position: string; commitTimeMicros?: bigint }
  | { kind: 'truncate'; op: 't'; table: string; position: string; commitTimeMicros?: bigint };

export interface KafkaMessageLike {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | undefined | (Buffer | string)[]>;
}

/**
 * Reads entity-envelope messages (registry-free, single-object encoded): finds each writer schema by
 * fingerprint, rebuilds the table from it and decodes exactly what the encoder wrote.
 */
export class EntityEventDecoder {
  private readonly codecs = new Map<string, { codec: RowCodec; table: TableSchema }>();
  /** `schemas` gives the writer schema of a fingerprint (16 hex digits), e.g. from the schema topic. */
  constructor(private readonly schemas: (fingerprintHex: string) => SchemaEntry | undefined) {}

  decode(message: KafkaMessageLike): DecodedEntityEvent {
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
      const truncate = fixedSchema('truncate').type.fromBuffer(readSingleObjectHeader(message.value!).body) as { table: string };
      return { kind: 'truncate', op: 't', table: truncate.table, ...base };
    }
    const keyPart = message.key ? this.decodePart(message.key, 'key') : null;
    if (message.value === null) return { kind: 'tombstone', op: 'd', key: keyPart?.row ?? null, table: keyPart?.table ?? null, ...base };
    const valuePart = this.decodePart(message.value, 'value');
    return { kind: 'row', op: op ?? 'c', table: valuePart.table, key: keyPart?.row ?? null, row: valuePart.row, ...base };
  }

  private decodePart(bytes: Buffer, part: 'key' | 'value'): { row: Row; table: TableSchema } {
    const { fingerprintHex, body } = readSingleObjectHeader(bytes);
    let compiled = this.codecs.get(fingerprintHex);
    if (!compiled) {
      const entry = this.schemas(fingerprintHex);
      if (!entry) throw new EncodingError(`no schema with fingerprint ${fingerprintHex} is known: read the schema topic first`);
      // Decode with the writer's own schema, rebuilt into the table it was made from.
      const { table, fields } = readTableRecord(entry.schema, part);
      compiled = { codec: compileRowCodec(table, { schema: entry.schema, fields }), table };
      this.codecs.set(fingerprintHex, compiled);
    }
    return { row: compiled.codec.decode(body), table: compiled.table };
  }
}
