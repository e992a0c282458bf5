import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { SinkError } from '../errors.js';
import { redactUrl } from '../config/load-config.js';
import type { SchemaEntry } from './schema-catalog.js';
import type { WireFormat } from './wire-format.js';

/** Confluent's framing: magic byte 0, the registry's 4-byte schema id (big-endian), then the body. */
export const CONFLUENT_MAGIC = 0x00;

/**
 * Confluent Schema Registry wire format. Every schema a table uses is registered under its
 * TopicNameStrategy subject (`<topic>-key`, `<topic>-value`) before the first record that uses it;
 * registering a known schema returns its id again, so restarts need no state of their own.
 */
export function confluentWire(registryUrl: string): WireFormat {
  const registry = new SchemaRegistry({ host: registryUrl });
  const headers = new Map<string, Buffer>();
  const keyOf = (entry: SchemaEntry) => `${entry.subject}/${entry.fingerprintHex}`;
  return {
    name: 'confluent',
    async prepare(entry) {
      if (headers.has(keyOf(entry))) return;
      let id: number;
      try {
        ({ id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(entry.schema) }, { subject: entry.subject }));
      } catch (err) {
        throw new SinkError(`the schema registry at ${redactUrl(registryUrl)} refused ${entry.subject} v${entry.version}: ${(err as Error).message}`, { cause: err, retriable: false });
      }
      const header = Buffer.alloc(5);
      header[0] = CONFLUENT_MAGIC;
      header.writeUInt32BE(id, 1);
      headers.set(keyOf(entry), header);
    },
    header(entry) {
      const header = headers.get(keyOf(entry));
      if (!header) throw new Error(`schema ${entry.subject} v${entry.version} used before it was registered`);
      return header;
    },
  };
}
