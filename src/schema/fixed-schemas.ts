import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type avro from 'avsc';
import { packageRoot } from '../package-root.js';
import { avroType } from '../avro/avro-type.js';
import type { AvroSchema } from '../avro/column-avro-type.js';

/** logtap's own fixed Avro schemas, loaded from the repository's schemas/ folder (the docs cite the same files). */
export type FixedSchemaName = 'checkpoint' | 'schema-record' | 'truncate-key' | 'truncate' | 'key-only-change' | 'transaction';

export interface FixedSchema {
  name: FixedSchemaName;
  schema: AvroSchema;
  type: avro.Type;
}

const loaded = new Map<FixedSchemaName, FixedSchema>();

export function fixedSchema(name: FixedSchemaName): FixedSchema {
  let entry = loaded.get(name);
  if (!entry) {
    const schema = JSON.parse(readFileSync(join(packageRoot(), 'schemas', `${name}.avsc`), 'utf8')) as AvroSchema;
    entry = { name, schema, type: avroType(schema) };
    loaded.set(name, entry);
  }
  return entry;
}
