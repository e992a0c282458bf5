import type { AvroSchema, NamedTypes } from './column-avro-type.js';

/**
 * The Avro JSON that Confluent's AvroConverter (AvroData, `connect.meta.data=true`, its default) writes for a
 * Kafka Connect schema: a named Connect type keeps its name, version, doc and parameters in `connect.*`
 * attributes, INT8/INT16 (which Avro lacks) say so in `connect.type`, and a named struct becomes a record
 * of that full name. Debezium's semantic types (io.debezium.time.MicroTimestamp, …) reach consumers this way.
 */
export interface ConnectMeta {
  name?: string;
  version?: number;
  doc?: string;
  parameters?: Record<string, string>;
}

type AvroPrimitive = 'int' | 'long' | 'float' | 'double' | 'boolean' | 'string' | 'bytes';

function metaAttributes(meta: ConnectMeta): Record<string, unknown> {
  return {
    ...(meta.doc === undefined ? {} : { 'connect.doc': meta.doc }),
    ...(meta.version === undefined ? {} : { 'connect.version': meta.version }),
    ...(meta.parameters === undefined ? {} : { 'connect.parameters': meta.parameters }),
    ...(meta.name === undefined ? {} : { 'connect.name': meta.name }),
  };
}

/** A Connect primitive (optionally named): a bare Avro type name when there is nothing to annotate. */
export function connectPrimitive(type: AvroPrimitive, meta: ConnectMeta = {}): AvroSchema {
  const attributes = metaAttributes(meta);
  return Object.keys(attributes).length === 0 ? type : { type, ...attributes };
}

/** Connect's INT8 / INT16: an Avro int marked with the Connect type it narrows. */
export const connectInt16: AvroSchema = { type: 'int', 'connect.type': 'int16' };

export const CONNECT_DECIMAL = 'org.apache.kafka.connect.data.Decimal';
/** AvroData's precision for a Decimal whose schema names none (`connect.decimal.precision` absent). */
const DEFAULT_DECIMAL_PRECISION = 64;

/**
 * Connect's Decimal (version 1, parameter `scale`), with Debezium's `connect.decimal.precision` parameter
 * when the column has a declared precision; AvroData adds Avro's own decimal logical type.
 */
export function connectDecimal(scale: number, precision: number | null): AvroSchema {
  const parameters: Record<string, string> = { scale: String(scale) };
  if (precision !== null) parameters['connect.decimal.precision'] = String(precision);
  return {
    type: 'bytes',
    scale,
    precision: precision ?? DEFAULT_DECIMAL_PRECISION,
    ...metaAttributes({ name: CONNECT_DECIMAL, version: 1, parameters }),
    logicalType: 'decimal',
  };
}

export interface ConnectField {
  name: string;
  schema: AvroSchema;
  optional: boolean;
}

/** A Connect field: an optional one is `["null", T]` with default null, as AvroData writes it. */
export function connectField(field: ConnectField): Record<string, unknown> {
  return field.optional
    ? { name: field.name, type: ['null', field.schema], default: null }
    : { name: field.name, type: field.schema };
}

/**
 * A named Connect struct as an Avro record named by its full name. Repeats within one schema become
 * references to the first definition (Avro allows each name to be defined once).
 */
export function connectRecord(fullName: string, fields: ConnectField[], meta: Omit<ConnectMeta, 'name'>, named: NamedTypes | null): AvroSchema {
  const dot = fullName.lastIndexOf('.');
  const definition = {
    type: 'record',
    name: fullName.slice(dot + 1),
    ...(dot < 0 ? {} : { namespace: fullName.slice(0, dot) }),
    fields: fields.map(connectField),
    ...metaAttributes({ ...meta, name: fullName }),
  };
  return named ? named.use(fullName, definition) : definition;
}
