import { frameSingleObject } from '../avro/single-object.js';
import type { SchemaEntry } from './schema-catalog.js';

/**
 * How an Avro body names its writer schema on the wire: a header written before the body. `prepare`
 * runs once per new schema before the first record that uses it (a registry registers it there).
 */
export interface WireFormat {
  readonly name: 'single-object' | 'confluent';
  prepare(entry: SchemaEntry): Promise<void>;
  header(entry: SchemaEntry): Buffer;
}

const singleObjectHeaders = new WeakMap<SchemaEntry, Buffer>();

/** Registry-free default: Avro single-object encoding (C3 01 + CRC-64-AVRO fingerprint + body). */
export const singleObjectWire: WireFormat = {
  name: 'single-object',
  prepare: async () => {},
  header(entry) {
    let header = singleObjectHeaders.get(entry);
    if (!header) {
      header = frameSingleObject(entry.fingerprint, Buffer.alloc(0));
      singleObjectHeaders.set(entry, header);
    }
    return header;
  },
};

/** Header + body in one buffer, for records encoded outside the hot path. */
export const framed = (wire: WireFormat, entry: SchemaEntry, body: Buffer): Buffer => Buffer.concat([wire.header(entry), body]);
