import type { AvroWriter } from './binary-writer.js';
import type { AvroSchema } from './column-avro-type.js';

/** Writes one value of a schema into an AvroWriter. */
export type ValueWriter = (w: AvroWriter, value: any) => void;

/**
 * Compiles a Debezium key or Envelope schema (the shapes debezium-*.ts build: primitives with Connect
 * attributes, records, arrays, unions of null and one type, named references) into a writer of its Avro
 * binary form. The values are what avsc would take: bigint or number for long, Buffer for bytes, null for
 * the null branch. avsc's generic toBuffer with BigInt longs is several times slower on the envelope's many longs.
 */
export function compileSchemaWriter(schema: AvroSchema): ValueWriter {
  const named = new Map<string, ValueWriter>();

  const compile = (s: AvroSchema, namespace: string): ValueWriter => {
    if (Array.isArray(s)) return unionWriter(s, namespace);
    if (typeof s === 'string') {
      const primitive = primitiveWriter(s);
      if (primitive) return primitive;
      const fullName = s.includes('.') ? s : `${namespace}.${s}`;
      // A reference: resolved when called, so a record may be referenced inside its own definition.
      return (w, v) => named.get(fullName)!(w, v);
    }
    const type = s.type as AvroSchema;
    if (type === 'record') {
      const name = s.name as string;
      const ns = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : ((s.namespace as string | undefined) ?? namespace);
      const fullName = name.includes('.') ? name : `${ns}.${name}`;
      const fields = (s.fields as Array<{ name: string; type: AvroSchema }>).map((f) => ({ name: f.name, write: compile(f.type, ns) }));
      const write: ValueWriter = (w, v) => {
        for (const f of fields) f.write(w, v[f.name]);
      };
      named.set(fullName, write);
      return write;
    }
    if (type === 'array') {
      const item = compile(s.items as AvroSchema, namespace);
      return (w, v: unknown[]) => {
        if (v.length > 0) {
          w.long(v.length);
          for (const e of v) item(w, e);
        }
        w.long(0);
      };
    }
    return compile(type, namespace);
  };

  const unionWriter = (branches: AvroSchema[], namespace: string): ValueWriter => {
    const nullIndex = branches.indexOf('null');
    if (branches.length !== 2 || nullIndex === -1) throw new Error(`unsupported union ${JSON.stringify(branches)}: only null and one type`);
    const valueIndex = 1 - nullIndex;
    const inner = compile(branches[valueIndex]!, namespace);
    return (w, v) => {
      if (v === null || v === undefined) w.long(nullIndex);
      else {
        w.long(valueIndex);
        inner(w, v);
      }
    };
  };

  return compile(schema, '');
}

function primitiveWriter(type: string): ValueWriter | null {
  switch (type) {
    case 'null':
      return () => {};
    case 'boolean':
      return (w, v) => w.boolean(v);
    case 'int':
      return (w, v) => w.long(v);
    case 'long':
      return (w, v) => (typeof v === 'bigint' ? w.bigLong(v) : w.long(v));
    case 'float':
      return (w, v) => w.float(v);
    case 'double':
      return (w, v) => w.double(v);
    case 'bytes':
      return (w, v) => w.bytes(v);
    case 'string':
      return (w, v) => w.string(v);
    default:
      return null;
  }
}
