import { frameSingleObject } from '../avro/single-object.js';
import type { SchemaEntry } from './schema-catalog.js';

/**
 * How an Avro body names its writer schema on the wire. `prepare` runs once per new schema before the
 * first record that uses it (a registry registers it there); `frame` then runs per record.
 */
export interface WireFormat {
  readonly name: 'single-object' | 'confluent';
  prepare(entry: SchemaEntry): Promise<void>;
  frame(entry: SchemaEntry, body: Buffer): Buffer;
}

/** Registry-free default: Avro single-object encoding (C3 01 + CRC-64-AVRO fingerprint + body). */
export const singleObjectWire: WireFormat = {
  name: 'single-object',
  prepare: async () => {},
  frame: (entry, body) => frameSingleObject(entry.fingerprint, body),
};
