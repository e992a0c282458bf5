import avro from 'avsc';

/**
 * CRC-64-AVRO, the 64-bit Rabin fingerprint of a schema's Parsing Canonical Form (Avro specification,
 * "Parsing Canonical Form for Schemas" and "Schema Fingerprints"). Single-object encoding puts it in
 * front of every message, so a consumer can find the writer's schema; it must agree bit for bit with
 * every other Avro implementation.
 */

/** The fingerprint of the empty input; also the polynomial the table is built from. */
const EMPTY = 0xc15d213aa4d7a795n;

const TABLE: readonly bigint[] = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let bit = 0; bit < 8; bit++) fp = (fp >> 1n) ^ (fp & 1n ? EMPTY : 0n);
    table.push(fp);
  }
  return table;
})();

/** The fingerprint of raw bytes; values are kept as unsigned 64-bit, so `>>` is the spec's `>>>`. */
function rabin64(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const byte of bytes) fp = (fp >> 8n) ^ TABLE[(Number(fp & 0xffn) ^ byte) & 0xff]!;
  return fp;
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/**
 * A schema given as JSON text, or as a bare type name such as `int`. `null` is both JSON and a name;
 * as a schema only the name makes sense.
 */
function schemaValue(schema: object | string): unknown {
  if (typeof schema !== 'string') return schema;
  let parsed: unknown;
  try {
    parsed = JSON.parse(schema);
  } catch {
    return schema;
  }
  return typeof parsed === 'string' || (typeof parsed === 'object' && parsed !== null) ? parsed : schema;
}

const NAMED = new Set(['record', 'error', 'enum', 'fixed']);

/**
 * A copy of the schema in which every named type whose name is a fullname (`a.b.R`) has the namespace
 * of that name as its `namespace` attribute. The spec ignores the attribute then, and types nested
 * inside take the name's namespace; avsc takes the attribute, and would make `a.b.R`'s nested `S`
 * into `<attribute>.S` where Avro Java says `a.b.S`.
 */
function namespacesFromFullnames(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(namespacesFromFullnames);
  if (node === null || typeof node !== 'object') return node;
  const schema: Record<string, unknown> = { ...(node as Record<string, unknown>) };
  const { name, type } = schema;
  if (typeof type !== 'string') {
    schema.type = namespacesFromFullnames(type);
    return schema;
  }
  if (NAMED.has(type) && typeof name === 'string' && name.includes('.')) {
    schema.namespace = name.slice(0, name.lastIndexOf('.'));
  }
  if ((type === 'record' || type === 'error') && Array.isArray(schema.fields)) {
    schema.fields = schema.fields.map((field: unknown) =>
      field !== null && typeof field === 'object'
        ? { ...field, type: namespacesFromFullnames((field as { type?: unknown }).type) }
        : field,
    );
  }
  if (type === 'array' && 'items' in schema) schema.items = namespacesFromFullnames(schema.items);
  if (type === 'map' && 'values' in schema) schema.values = namespacesFromFullnames(schema.values);
  return schema;
}

/**
 * The schema's Parsing Canonical Form. avsc parses and validates the schema and resolves every name to
 * its fullname; the text is written here rather than taken from avsc's `getSchema()`, which writes an
 * `error` as `"type":"error"` where Avro Java (the reference for fingerprints) writes `"record"`.
 * Logical types vanish: avsc is not given any, so it keeps only the underlying type ([STRIP]).
 */
export function parsingCanonicalForm(schema: object | string): string {
  const type = avro.Type.forSchema(namespacesFromFullnames(schemaValue(schema)) as avro.Schema);
  return canonical(type, new Set());
}

// Names are validated by avsc ([A-Za-z_][A-Za-z0-9_]*), so JSON.stringify escapes nothing in them ([STRINGS]).
const q = (text: string): string => JSON.stringify(text);

/** Writes one type: attributes in [ORDER], nothing else ([STRIP]), no whitespace ([WHITESPACE]). */
function canonical(type: avro.Type, defined: Set<string>): string {
  if (type instanceof avro.types.LogicalType) return canonical(type.underlyingType, defined);
  const name = type.name;
  if (name !== undefined) {
    // [FULLNAMES]: a named type is written out where it first appears and referred to by fullname after.
    if (defined.has(name)) return q(name);
    defined.add(name);
  }
  if (type instanceof avro.types.RecordType) {
    const fields = type.fields.map((field) => `{"name":${q(field.name)},"type":${canonical(field.type, defined)}}`);
    return `{"name":${q(name!)},"type":"record","fields":[${fields.join(',')}]}`;
  }
  if (type instanceof avro.types.EnumType) {
    return `{"name":${q(name!)},"type":"enum","symbols":[${type.symbols.map(q).join(',')}]}`;
  }
  if (type instanceof avro.types.FixedType) {
    // [INTEGERS]: a number, never a string, never leading zeros.
    return `{"name":${q(name!)},"type":"fixed","size":${type.size.toFixed(0)}}`;
  }
  if (type instanceof avro.types.ArrayType) return `{"type":"array","items":${canonical(type.itemsType, defined)}}`;
  if (type instanceof avro.types.MapType) return `{"type":"map","values":${canonical(type.valuesType as avro.Type, defined)}}`;
  if (type instanceof avro.types.UnwrappedUnionType || type instanceof avro.types.WrappedUnionType) {
    return `[${type.types.map((branch) => canonical(branch, defined)).join(',')}]`;
  }
  // [PRIMITIVES]: always the bare name.
  if (PRIMITIVES.has(type.typeName)) return q(type.typeName);
  throw new Error(`no Parsing Canonical Form for avsc type ${type.typeName}`);
}

/** CRC-64-AVRO of the schema's Parsing Canonical Form, as an unsigned 64-bit value. */
export function fingerprint64(schema: object | string): bigint {
  return rabin64(Buffer.from(parsingCanonicalForm(schema), 'utf8'));
}

/**
 * Fingerprints of schema objects met before (logtap's fixed schemas are registered once per table: thousands of
 * times in a database of thousands of tables, at a few ms each through avsc). Keyed by identity: callers never
 * change a schema object once made.
 */
const fingerprints = new WeakMap<object, bigint>();

/** The fingerprint as single-object encoding carries it: 8 bytes, little-endian. */
export function fingerprint64Bytes(schema: object | string): Buffer {
  let fingerprint = typeof schema === 'object' ? fingerprints.get(schema) : undefined;
  if (fingerprint === undefined) {
    fingerprint = fingerprint64(schema);
    if (typeof schema === 'object') fingerprints.set(schema, fingerprint);
  }
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeBigUInt64LE(fingerprint);
  return bytes;
}
