import type { AvroSchema } from '../avro/column-avro-type.js';

/** One column's change between two versions of a table's value schema. */
export interface FieldChange {
  column: string;
  change: 'added' | 'removed' | 'changed';
  /** The source type before and after (`logtap.sourceType`), with NOT NULL where the column is not nullable. */
  before?: string;
  after?: string;
}

interface FieldJson { name: string; type: unknown; 'logtap.column'?: string; 'logtap.sourceType'?: string; default?: unknown }

const describe = (f: FieldJson): string => {
  const nullable = Array.isArray(f.type) && f.type.includes('null');
  const base = f['logtap.sourceType'] || JSON.stringify(f.type);
  return `${base}${nullable ? '' : ' NOT NULL'}${f.default !== undefined && f.default !== null ? ` DEFAULT ${JSON.stringify(f.default)}` : ''}`;
};

/** What changed between two value schemas of one table, column by column, in the newer schema's order. */
export function schemaDiff(older: AvroSchema, newer: AvroSchema): FieldChange[] {
  const fields = (s: AvroSchema) => new Map(((s as { fields?: FieldJson[] }).fields ?? []).map((f) => [f['logtap.column'] ?? f.name, f]));
  const before = fields(older);
  const after = fields(newer);
  const changes: FieldChange[] = [];
  for (const [column, f] of after) {
    const was = before.get(column);
    if (!was) changes.push({ column, change: 'added', after: describe(f) });
    else if (describe(was) !== describe(f)) changes.push({ column, change: 'changed', before: describe(was), after: describe(f) });
  }
  for (const [column, f] of before) if (!after.has(column)) changes.push({ column, change: 'removed', before: describe(f) });
  return changes;
}
