import type { AvroSchema } from '../avro/column-avro-type.js';

/**
 * What a schema says about its records beyond what Avro's Parsing Canonical Form keeps. The CRC-64-AVRO
 * fingerprint (single-object framing, the schema topic's key) is taken over that form, which drops `logicalType`,
 * `precision` and `scale`: `numeric(12,0)` and `numeric(12,2)` — or an int and a date — would share a fingerprint,
 * and a reader would decode 8.22 as 822. This text adds them back (and each field's default and logtap column
 * type), so two schemas with one fingerprint can be told apart.
 */
export function wireIdentity(schema: AvroSchema): string {
  return JSON.stringify(strip(schema));
}

const KEPT = ['type', 'name', 'namespace', 'fields', 'items', 'values', 'symbols', 'size', 'logicalType', 'precision', 'scale', 'default', 'logtap.columnType'];

function strip(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strip);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const key of KEPT) if (key in (node as Record<string, unknown>)) out[key] = strip((node as Record<string, unknown>)[key]);
  return out;
}

/**
 * The schema under another name, for a schema whose fingerprint a different one already has (wireIdentity): the
 * top-level record is named `<name>_<n>` with its usual full name and the earlier renamed ones as aliases, so its
 * fingerprint differs while an Avro reader with this schema still resolves records of any of them (Avro matches a
 * writer's name against the reader's aliases).
 */
export function renamedSchema(schema: AvroSchema, n: number): AvroSchema {
  const record = schema as { name?: string; namespace?: string; aliases?: string[] };
  if (typeof record !== 'object' || typeof record.name !== 'string') throw new Error('only a named schema can be renamed');
  const full = record.namespace ? `${record.namespace}.${record.name}` : record.name;
  const earlier = Array.from({ length: n - 2 }, (_, i) => `${full}_${i + 2}`);
  return { ...record, name: `${record.name}_${n}`, aliases: [...(record.aliases ?? []), full, ...earlier] } as AvroSchema;
}
