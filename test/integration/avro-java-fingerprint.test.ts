import avro from 'avsc';
import { beforeAll, describe, expect, it } from 'vitest';
import { avroType } from '../../src/avro/avro-type.js';
import { fingerprint64, fingerprint64Bytes, parsingCanonicalForm } from '../../src/avro/fingerprint.js';
import { frameSingleObject, readSingleObjectHeader } from '../../src/avro/single-object.js';
import { avroJavaDecode, avroJavaFingerprints } from '../helpers/avro-java.js';

// Apache Avro Java is the referee: the same schemas must get the same Parsing Canonical Form and
// CRC-64-AVRO there as here, and what logtap frames must decode there to the values written here.

const SCHEMAS: { label: string; schema: object | string }[] = [
  ...['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'].map((p) => ({ label: `primitive ${p}`, schema: p })),
  { label: 'primitive as an object with extra attributes', schema: { type: 'long', 'connect.name': 'x', doc: 'd' } },
  { label: 'empty record', schema: { type: 'record', name: 'Empty', fields: [] } },
  {
    label: 'record with namespace, doc, aliases, defaults and order',
    schema: {
      type: 'record',
      name: 'Customer',
      namespace: 'shop.public',
      doc: 'one customer',
      aliases: ['Client', 'legacy.Buyer'],
      fields: [
        { name: 'id', type: 'long', doc: 'primary key', order: 'descending' },
        { name: 'email', type: ['null', 'string'], default: null, aliases: ['mail'] },
        { name: 'score', type: 'double', default: 1.5, order: 'ignore' },
      ],
    },
  },
  {
    label: 'dotted name overriding the namespace attribute, with nested names taking its namespace',
    schema: {
      type: 'record',
      name: 'a.b.Outer',
      namespace: 'ignored.ns',
      fields: [
        { name: 'inner', type: { type: 'record', name: 'Inner', fields: [{ name: 'x', type: 'int' }] } },
        { name: 'again', type: 'a.b.Inner' },
      ],
    },
  },
  {
    label: 'nested named types referenced by short name and by fullname',
    schema: {
      type: 'record',
      name: 'Order',
      namespace: 'shop.v1',
      fields: [
        { name: 'id', type: { type: 'fixed', name: 'Id', size: 16 } },
        { name: 'customer', type: 'Id' },
        { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'shop.v1.Id' }] } } },
        { name: 'first', type: ['null', 'Line'], default: null },
      ],
    },
  },
  {
    label: 'nested type in another namespace and in the null namespace',
    schema: {
      type: 'record',
      name: 'Envelope',
      namespace: 'outer',
      fields: [
        { name: 'k', type: { type: 'enum', name: 'Kind', namespace: 'other.place', symbols: ['A', 'B'] } },
        { name: 'k2', type: 'other.place.Kind' },
        { name: 'g', type: { type: 'record', name: 'Global', namespace: '', fields: [{ name: 'v', type: 'int' }] } },
        { name: 'local', type: { type: 'record', name: 'Local', fields: [{ name: 'k', type: 'other.place.Kind' }] } },
      ],
    },
  },
  {
    label: 'same short name in two namespaces',
    schema: {
      type: 'record',
      name: 'Pair',
      fields: [
        { name: 'left', type: { type: 'record', name: 'Thing', namespace: 'one', fields: [{ name: 'a', type: 'int' }] } },
        { name: 'right', type: { type: 'record', name: 'Thing', namespace: 'two', fields: [{ name: 'b', type: 'string' }] } },
        { name: 'both', type: ['one.Thing', 'two.Thing'] },
      ],
    },
  },
  {
    label: 'recursive linked list',
    schema: {
      type: 'record',
      name: 'Node',
      namespace: 'list',
      fields: [
        { name: 'value', type: 'string' },
        { name: 'next', type: ['null', 'Node'], default: null },
      ],
    },
  },
  { label: 'enum with doc, aliases and default', schema: { type: 'enum', name: 'Suit', namespace: 'cards', doc: 'x', aliases: ['Old'], symbols: ['SPADES', 'HEARTS'], default: 'HEARTS' } },
  { label: 'fixed with namespace and aliases', schema: { type: 'fixed', name: 'Md5', namespace: 'hash.v1', aliases: ['Digest'], size: 16 } },
  { label: 'array of maps of arrays', schema: { type: 'array', items: { type: 'map', values: { type: 'array', items: 'long' } } } },
  { label: 'map of unions', schema: { type: 'map', values: ['null', 'int', 'string', { type: 'array', items: 'bytes' }] } },
  {
    label: 'union of record, enum, fixed, map and null',
    schema: [
      'null',
      { type: 'record', name: 'R', namespace: 'u', fields: [{ name: 'f', type: 'int' }] },
      { type: 'enum', name: 'E', namespace: 'u', symbols: ['X'] },
      { type: 'fixed', name: 'F', namespace: 'u', size: 2 },
      { type: 'map', values: 'u.R' },
    ],
  },
  { label: 'logical decimal on bytes', schema: { type: 'bytes', logicalType: 'decimal', precision: 38, scale: 9 } },
  { label: 'logical decimal on fixed', schema: { type: 'fixed', name: 'Dec', size: 16, logicalType: 'decimal', precision: 38, scale: 4 } },
  { label: 'logical uuid', schema: { type: 'string', logicalType: 'uuid' } },
  { label: 'logical date', schema: { type: 'int', logicalType: 'date' } },
  { label: 'logical time-micros', schema: { type: 'long', logicalType: 'time-micros' } },
  { label: 'logical timestamp-micros', schema: { type: 'long', logicalType: 'timestamp-micros' } },
  { label: 'logical local-timestamp-micros', schema: { type: 'long', logicalType: 'local-timestamp-micros' } },
  { label: 'invalid decimal (scale > precision), which readers ignore', schema: { type: 'bytes', logicalType: 'decimal', precision: 2, scale: 5 } },
  {
    label: 'record of every logical type, some nullable',
    schema: {
      type: 'record',
      name: 'Typed',
      namespace: 'logtap.test',
      fields: [
        { name: 'd', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
        { name: 'u', type: ['null', { type: 'string', logicalType: 'uuid' }], default: null },
        { name: 'day', type: { type: 'int', logicalType: 'date' } },
        { name: 'tm', type: { type: 'int', logicalType: 'time-millis' } },
        { name: 'tu', type: { type: 'long', logicalType: 'time-micros' } },
        { name: 'tsm', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'tsu', type: ['null', { type: 'long', logicalType: 'timestamp-micros' }] },
        { name: 'ltu', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
        { name: 'dur', type: { type: 'fixed', name: 'Duration', size: 12, logicalType: 'duration' } },
      ],
    },
  },
  {
    label: 'odd but valid names',
    schema: {
      type: 'record',
      name: '_',
      namespace: '_a._9',
      fields: [
        { name: 'type', type: 'int' },
        { name: 'name', type: 'string' },
        { name: 'fields', type: { type: 'record', name: 'record', fields: [{ name: 'items', type: 'int' }] } },
        { name: 'symbols', type: { type: 'enum', name: 'enum', symbols: ['null', 'int', '_', 'Z9'] } },
        { name: 'int_', type: 'record' },
        { name: '__proto__x', type: { type: 'fixed', name: 'size', size: 1 } },
      ],
    },
  },
  {
    label: 'custom properties at every level',
    schema: {
      type: 'record',
      name: 'Tagged',
      'connect.version': 3,
      'x-meta': { nested: ['a', { b: 1 }] },
      fields: [{ name: 'f', type: { type: 'string', 'avro.java.string': 'String' }, 'x-f': true }],
    },
  },
  {
    label: 'non-ASCII text in docs and defaults, which PCF strips',
    schema: {
      type: 'record',
      name: 'Unicode',
      doc: 'żółw 🐢 "quoted" \\ back\nslash',
      fields: [{ name: 's', type: 'string', default: 'é\u0000\u2028', doc: '\t' }],
    },
  },
  { label: 'error type, which Avro Java writes as a record', schema: { type: 'error', name: 'Failure', namespace: 'rpc', fields: [{ name: 'message', type: 'string' }] } },
  { label: 'JSON text with whitespace', schema: '{ "type" : "map" ,\n "values" : { "type" : "array", "items" : "float" } }' },
];

/** What Avro Java gets when the schema is given to it as JSON text rather than a value. */
const asJavaInput = (schema: object | string): object | string =>
  typeof schema === 'string' && schema.trimStart().startsWith('{') ? (JSON.parse(schema) as object) : schema;

describe('Avro Java agrees on Parsing Canonical Form and CRC-64-AVRO', () => {
  let java: { fingerprints: string[]; canonical: string[] };

  beforeAll(async () => {
    // One JVM for all schemas; the first run also builds the tool.
    java = await avroJavaFingerprints(SCHEMAS.map((s) => asJavaInput(s.schema)));
  }, 180_000);

  it('covers at least 30 schemas', () => {
    expect(SCHEMAS.length).toBeGreaterThanOrEqual(30);
  });

  it.each(SCHEMAS.map((s, i) => ({ ...s, i })))('$label', ({ schema, i }) => {
    expect(parsingCanonicalForm(schema)).toBe(java.canonical[i]);
    expect(fingerprint64(schema).toString(16).padStart(16, '0')).toBe(java.fingerprints[i]);
    // The framed header names the same fingerprint Avro Java prints.
    expect(readSingleObjectHeader(frameSingleObject(fingerprint64Bytes(schema), Buffer.alloc(0))).fingerprintHex).toBe(java.fingerprints[i]);
  });
});

const ROW = {
  type: 'record',
  name: 'Row',
  namespace: 'logtap.test',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'flag', type: 'boolean' },
    { name: 'ratio', type: 'double' },
    { name: 'small', type: 'float' },
    { name: 'count', type: 'int' },
    { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 20, scale: 4 } },
    { name: 'uid', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'local', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
    { name: 'tod', type: { type: 'long', logicalType: 'time-micros' } },
    { name: 'blob', type: 'bytes' },
    { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 4 } },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['ACTIVE', 'GONE'] } },
    { name: 'note', type: ['null', 'string'] },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: 'long' } },
  ],
};

const OTHER = {
  type: 'record',
  name: 'Other',
  namespace: 'logtap.test.v2',
  fields: [
    {
      name: 'child',
      type: ['null', { type: 'record', name: 'Child', fields: [{ name: 'n', type: 'int' }, { name: 'when', type: { type: 'long', logicalType: 'timestamp-millis' } }] }],
    },
    { name: 'grid', type: { type: 'map', values: { type: 'array', items: ['null', 'double'] } } },
    { name: 'money', type: { type: 'fixed', name: 'Money', size: 8, logicalType: 'decimal', precision: 18, scale: 2 } },
    { name: 'clock', type: { type: 'int', logicalType: 'time-millis' } },
    { name: 'ts', type: ['null', { type: 'long', logicalType: 'local-timestamp-micros' }] },
  ],
};

const hex = (h: string): Buffer => Buffer.from(h, 'hex');

// Values as logtap's avsc types take them (longs as BigInt); expected values written by hand in the
// form AvroCheck prints (longs, floats and doubles as Java's text, bytes as hex, decimals as plain text).
const CASES: { schema: object; value: Record<string, unknown>; expected: unknown }[] = [
  {
    schema: ROW,
    value: {
      id: 9223372036854775807n, name: 'żółw 🐢', flag: true, ratio: 0.1, small: 1.5, count: -2147483648,
      price: hex('075bcd15'), uid: '123e4567-e89b-12d3-a456-426614174000', day: -1, at: 1700000000123456n, local: -1n,
      tod: 86399999999n, blob: hex(''), hash: hex('deadbeef'), status: 'GONE', note: null, tags: ['a', ''],
      attrs: { x: -9223372036854775808n, y: 0n },
    },
    expected: {
      id: '9223372036854775807', name: 'żółw 🐢', flag: true, ratio: '0.1', small: '1.5', count: -2147483648,
      price: '12345.6789', uid: '123e4567-e89b-12d3-a456-426614174000', day: -1, at: '1700000000123456', local: '-1',
      tod: '86399999999', blob: '', hash: 'deadbeef', status: 'GONE', note: null, tags: ['a', ''],
      attrs: { x: '-9223372036854775808', y: '0' },
    },
  },
  {
    schema: OTHER,
    value: { child: { n: 7, when: 1700000000123n }, grid: { a: [null, 2.5], b: [] }, money: hex('ffffffffffffcfc7'), clock: 43200000, ts: 1n },
    expected: { child: { n: 7, when: '1700000000123' }, grid: { a: [null, '2.5'], b: [] }, money: '-123.45', clock: 43200000, ts: '1' },
  },
  {
    schema: ROW,
    value: {
      id: -1n, name: '', flag: false, ratio: Number.NaN, small: Number.NEGATIVE_INFINITY, count: 0,
      price: hex('ff'), uid: '00000000-0000-0000-0000-000000000000', day: 0, at: 0n, local: 253402300799999999n,
      tod: 0n, blob: hex('00ff'), hash: hex('00000000'), status: 'ACTIVE', note: 'x', tags: [], attrs: {},
    },
    expected: {
      id: '-1', name: '', flag: false, ratio: 'NaN', small: '-Infinity', count: 0,
      price: '-0.0001', uid: '00000000-0000-0000-0000-000000000000', day: 0, at: '0', local: '253402300799999999',
      tod: '0', blob: '00ff', hash: '00000000', status: 'ACTIVE', note: 'x', tags: [], attrs: {},
    },
  },
  {
    schema: OTHER,
    value: { child: null, grid: {}, money: hex('0000000000000000'), clock: 0, ts: null },
    expected: { child: null, grid: {}, money: '0.00', clock: 0, ts: null },
  },
  {
    schema: ROW,
    value: {
      id: 0n, name: 'x', flag: true, ratio: -0, small: 3.4028234663852886e38, count: 2147483647,
      price: hex('7fffffffffffffff'), uid: 'ffffffff-ffff-ffff-ffff-ffffffffffff', day: 2932896, at: -62135596800000000n,
      local: 0n, tod: 1n, blob: hex('80'), hash: hex('ffffffff'), status: 'ACTIVE', note: null, tags: ['🐢'], attrs: { '': 1n },
    },
    expected: {
      id: '0', name: 'x', flag: true, ratio: '-0.0', small: '3.4028235E38', count: 2147483647,
      price: '922337203685477.5807', uid: 'ffffffff-ffff-ffff-ffff-ffffffffffff', day: 2932896, at: '-62135596800000000',
      local: '0', tod: '1', blob: '80', hash: 'ffffffff', status: 'ACTIVE', note: null, tags: ['🐢'], attrs: { '': '1' },
    },
  },
];

describe('Avro Java decodes what logtap frames', () => {
  type Schema = Parameters<typeof avroType>[0];
  const encode = (schema: object, value: unknown): Buffer => avroType(schema as Schema).toBuffer(value);
  const frame = (schema: object, value: unknown): Buffer => frameSingleObject(fingerprint64Bytes(schema), encode(schema, value));

  it('decodes single-object records of two writer schemas to the values written', async () => {
    const records = CASES.map((c) => frame(c.schema, c.value));
    const decoded = await avroJavaDecode([ROW, OTHER], records);
    expect(decoded).toEqual(CASES.map((c) => c.expected));
  }, 180_000);

  it('refuses a record whose fingerprint names no given schema', async () => {
    const unknown = frameSingleObject(fingerprint64Bytes('string'), avro.Type.forSchema('string').toBuffer('x'));
    await expect(avroJavaDecode([ROW], [unknown])).rejects.toThrow(/no writer schema has fingerprint 8f014872634503c7/);
  }, 180_000);

  it('refuses a fingerprint written big-endian', async () => {
    const bigEndian = frameSingleObject(fingerprint64Bytes(OTHER).reverse(), encode(OTHER, CASES[3]!.value));
    await expect(avroJavaDecode([OTHER], [bigEndian])).rejects.toThrow(/no writer schema/);
  }, 180_000);

  it('refuses bytes left over after the datum', async () => {
    const framed = frame(OTHER, CASES[3]!.value);
    await expect(avroJavaDecode([OTHER], [Buffer.concat([framed, hex('00')])])).rejects.toThrow(/left over/);
  }, 180_000);
});
