/**
 * CRC-64-AVRO, the 64-bit Rabin fingerprint of a schema's Parsing Canonical Form (Avro specification,
 * "Parsing Canonical Form for Schemas" and "Schema Fingerprints"). Single-object encoding puts it in
 * front of every message, so a consumer can find the writer's schema; it must agree bit for bit with
 * every other Avro implementation. The canonical form is written straight from the schema's JSON: every
 * table's key and value schema is fingerprinted when the table is prepared, and building an avsc type
 * for it (compiled code) took most of the 6 ms per table of a database of thousands of tables.
 */

/** The fingerprint of the empty input; also the polynomial the table is built from. */
const EMPTY = 0xc15d213aa4d7a795n;

/** The table of the spec's algorithm, each 64-bit entry as two 32-bit halves (Number arithmetic, no BigInt per byte). */
const [TABLE_HI, TABLE_LO] = (() => {
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let bit = 0; bit < 8; bit++) fp = (fp >> 1n) ^ (fp & 1n ? EMPTY : 0n);
    hi[i] = Number(fp >> 32n);
    lo[i] = Number(fp & 0xffffffffn);
  }
  return [hi, lo];
})();

/** The fingerprint of raw bytes: fp = (fp >>> 8) ^ TABLE[(fp ^ byte) & 0xff], on two unsigned 32-bit halves. */
function rabin64(bytes: Uint8Array): bigint {
  let hi = Number(EMPTY >> 32n);
  let lo = Number(EMPTY & 0xffffffffn);
  for (const byte of bytes) {
    const i = (lo ^ byte) & 0xff;
    lo = ((lo >>> 8) | ((hi & 0xff) << 24)) ^ TABLE_LO[i]!;
    hi = (hi >>> 8) ^ TABLE_HI[i]!;
  }
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
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
  } catch (err) {
    if (/^[A-Za-z_.][A-Za-z0-9_.]*$/.test(schema)) return schema;
    throw new Error(`not a schema: ${(err as Error).message}`);
  }
  return typeof parsed === 'string' || (typeof parsed === 'object' && parsed !== null) ? parsed : schema;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The schema's Parsing Canonical Form, written from its JSON: names resolved to fullnames ([FULLNAMES]; the
 * namespace of a dotted name wins over a `namespace` attribute, a nested name takes its enclosing type's
 * namespace, a reference not defined in it falls back to the null namespace as in Avro Java), an `error` written
 * as a `record` (Avro Java, the reference for fingerprints), logical types dropped for their underlying type
 * ([STRIP]). What is not a valid schema (an undefined or invalid name, a missing attribute) throws.
 */
export function parsingCanonicalForm(schema: object | string): string {
  return canonical(schemaValue(schema), '', new Set());
}

// Names are checked against NAME, so JSON.stringify escapes nothing in them ([STRINGS]).
const q = (text: string): string => JSON.stringify(text);

/** The fullname of a named type defined as `name` (with attribute `namespace`) inside `enclosing`. */
function fullnameOf(name: unknown, namespace: unknown, enclosing: string): string {
  if (typeof name !== 'string') throw new Error(`a named type without a name: ${JSON.stringify(name)}`);
  const space = name.includes('.') ? '' : typeof namespace === 'string' ? namespace : enclosing;
  const full = name.startsWith('.') ? name.slice(1) : space === '' ? name : `${space}.${name}`;
  for (const part of full.split('.')) if (!NAME.test(part)) throw new Error(`invalid name: ${full}`);
  if (PRIMITIVES.has(full.slice(full.lastIndexOf('.') + 1))) throw new Error(`a primitive type name cannot name a type: ${full}`);
  return full;
}

const namespaceOf = (fullname: string): string => fullname.slice(0, Math.max(0, fullname.lastIndexOf('.')));

/** A reference to a named type met before ([FULLNAMES]: written as its fullname). */
function reference(name: string, enclosing: string, defined: Set<string>): string {
  if (PRIMITIVES.has(name)) return q(name);
  const qualified = name.includes('.') ? name.replace(/^\./, '') : enclosing === '' ? name : `${enclosing}.${name}`;
  if (defined.has(qualified)) return q(qualified);
  if (defined.has(name)) return q(name);
  throw new Error(`undefined type name: ${name}`);
}

/** Writes one type: attributes in [ORDER], nothing else ([STRIP]), no whitespace ([WHITESPACE]). */
function canonical(node: unknown, enclosing: string, defined: Set<string>): string {
  if (typeof node === 'string') return reference(node, enclosing, defined);
  if (Array.isArray(node)) {
    if (node.length === 0) throw new Error('an empty union has no branch to write');
    return `[${node.map((branch) => canonical(branch, enclosing, defined)).join(',')}]`;
  }
  if (node === null || typeof node !== 'object') throw new Error(`not a schema: ${JSON.stringify(node)}`);
  const schema = node as Record<string, unknown>;
  const { type } = schema;
  if (typeof type !== 'string') return canonical(type, enclosing, defined);
  switch (type) {
    case 'record':
    case 'error': {
      const fullname = define(schema, enclosing, defined);
      if (!Array.isArray(schema.fields)) throw new Error(`record ${fullname} has no fields array`);
      const inner = namespaceOf(fullname);
      const fields = schema.fields.map((field: unknown) => {
        const { name, type: fieldType } = (field ?? {}) as { name?: unknown; type?: unknown };
        if (typeof name !== 'string' || !NAME.test(name)) throw new Error(`record ${fullname}: invalid field name ${JSON.stringify(name)}`);
        if (fieldType === undefined) throw new Error(`record ${fullname}: field ${name} has no type`);
        return `{"name":${q(name)},"type":${canonical(fieldType, inner, defined)}}`;
      });
      return `{"name":${q(fullname)},"type":"record","fields":[${fields.join(',')}]}`;
    }
    case 'enum': {
      const fullname = define(schema, enclosing, defined);
      const { symbols } = schema;
      if (!Array.isArray(symbols) || symbols.some((s) => typeof s !== 'string' || !NAME.test(s))) throw new Error(`enum ${fullname}: invalid symbols`);
      return `{"name":${q(fullname)},"type":"enum","symbols":[${(symbols as string[]).map(q).join(',')}]}`;
    }
    case 'fixed': {
      const fullname = define(schema, enclosing, defined);
      const { size } = schema;
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) throw new Error(`fixed ${fullname}: invalid size ${JSON.stringify(size)}`);
      // [INTEGERS]: a number, never a string, never leading zeros.
      return `{"name":${q(fullname)},"type":"fixed","size":${size.toFixed(0)}}`;
    }
    case 'array':
      if (schema.items === undefined) throw new Error('array without items');
      return `{"type":"array","items":${canonical(schema.items, enclosing, defined)}}`;
    case 'map':
      if (schema.values === undefined) throw new Error('map without values');
      return `{"type":"map","values":${canonical(schema.values, enclosing, defined)}}`;
    default:
      // [PRIMITIVES] as the bare name (logicalType and other attributes dropped), or a reference in an object.
      return reference(type, enclosing, defined);
  }
}

/** Defines a named type where it first appears ([FULLNAMES]: written out there, referred to by fullname after). */
function define(schema: Record<string, unknown>, enclosing: string, defined: Set<string>): string {
  const fullname = fullnameOf(schema.name, schema.namespace, enclosing);
  if (defined.has(fullname)) throw new Error(`duplicate type name: ${fullname}`);
  defined.add(fullname);
  return fullname;
}

/** CRC-64-AVRO of the schema's Parsing Canonical Form, as an unsigned 64-bit value. */
export function fingerprint64(schema: object | string): bigint {
  return rabin64(Buffer.from(parsingCanonicalForm(schema), 'utf8'));
}

/**
 * Fingerprints of schema objects met before (logtap's fixed schemas are registered once per table: thousands of
 * times in a database of thousands of tables, not worth writing out again). Keyed by identity: callers never
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
