import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprint64, fingerprint64Bytes, parsingCanonicalForm } from '../../src/avro/fingerprint.js';
import { frameSingleObject, readSingleObjectHeader } from '../../src/avro/single-object.js';

/**
 * Inputs, canonical forms and fingerprints copied from Apache Avro's shared test vectors,
 * share/test/data/schema-tests.txt (apache/avro; cross-checked there by Avro Java's own direct
 * implementation). Fingerprints are as published: signed 64-bit decimals. Case 016, the empty union
 * `[]`, is left out: avsc refuses to parse it (see the test further down).
 */
const SPEC_VECTORS: { case: string; input: string; canonical: string; fingerprint: bigint }[] = [
  { case: '000', input: '"null"', canonical: '"null"', fingerprint: 7195948357588979594n },
  { case: '001', input: '{"type":"null"}', canonical: '"null"', fingerprint: 7195948357588979594n },
  { case: '002', input: '"boolean"', canonical: '"boolean"', fingerprint: -6970731678124411036n },
  { case: '003', input: '{"type":"boolean"}', canonical: '"boolean"', fingerprint: -6970731678124411036n },
  { case: '004', input: '"int"', canonical: '"int"', fingerprint: 8247732601305521295n },
  { case: '005', input: '{"type":"int"}', canonical: '"int"', fingerprint: 8247732601305521295n },
  { case: '006', input: '"long"', canonical: '"long"', fingerprint: -3434872931120570953n },
  { case: '007', input: '{"type":"long"}', canonical: '"long"', fingerprint: -3434872931120570953n },
  { case: '008', input: '"float"', canonical: '"float"', fingerprint: 5583340709985441680n },
  { case: '009', input: '{"type":"float"}', canonical: '"float"', fingerprint: 5583340709985441680n },
  { case: '010', input: '"double"', canonical: '"double"', fingerprint: -8181574048448539266n },
  { case: '011', input: '{"type":"double"}', canonical: '"double"', fingerprint: -8181574048448539266n },
  { case: '012', input: '"bytes"', canonical: '"bytes"', fingerprint: 5746618253357095269n },
  { case: '013', input: '{"type":"bytes"}', canonical: '"bytes"', fingerprint: 5746618253357095269n },
  { case: '014', input: '"string"', canonical: '"string"', fingerprint: -8142146995180207161n },
  { case: '015', input: '{"type":"string"}', canonical: '"string"', fingerprint: -8142146995180207161n },
  { case: '017', input: '[ "int"  ]', canonical: '["int"]', fingerprint: -5232228896498058493n },
  { case: '018', input: '[ "int" , {"type":"boolean"} ]', canonical: '["int","boolean"]', fingerprint: 5392556393470105090n },
  {
    case: '019',
    input: '{"fields":[], "type":"record", "name":"foo"}',
    canonical: '{"name":"foo","type":"record","fields":[]}',
    fingerprint: -4824392279771201922n,
  },
  {
    case: '020',
    input: '{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}',
    canonical: '{"name":"x.y.foo","type":"record","fields":[]}',
    fingerprint: 5916914534497305771n,
  },
  {
    case: '021',
    input: '{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}',
    canonical: '{"name":"a.b.foo","type":"record","fields":[]}',
    fingerprint: -4616218487480524110n,
  },
  {
    case: '022',
    input: '{"fields":[], "type":"record", "name":"foo", "doc":"Useful info"}',
    canonical: '{"name":"foo","type":"record","fields":[]}',
    fingerprint: -4824392279771201922n,
  },
  {
    case: '023',
    input: '{"fields":[], "type":"record", "name":"foo", "aliases":["foo","bar"]}',
    canonical: '{"name":"foo","type":"record","fields":[]}',
    fingerprint: -4824392279771201922n,
  },
  {
    case: '024',
    input: '{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}',
    canonical: '{"name":"foo","type":"record","fields":[]}',
    fingerprint: -4824392279771201922n,
  },
  {
    case: '025',
    input: '{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}',
    canonical: '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}',
    fingerprint: 7843277075252814651n,
  },
  {
    case: '026',
    input: `{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":true},
            {"order":"descending","name":"f2","doc":"Hello","type":"int"}],
  "type":"record", "name":"foo"
}`,
    canonical: '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
    fingerprint: -4860222112080293046n,
  },
  {
    case: '027',
    input: '{"type":"enum", "name":"foo", "symbols":["A1"]}',
    canonical: '{"name":"foo","type":"enum","symbols":["A1"]}',
    fingerprint: -6342190197741309591n,
  },
  {
    case: '028',
    input: '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}',
    canonical: '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
    fingerprint: -4448647247586288245n,
  },
  {
    case: '029',
    input: '{"name":"foo","type":"fixed","size":15}',
    canonical: '{"name":"foo","type":"fixed","size":15}',
    fingerprint: 1756455273707447556n,
  },
  {
    case: '030',
    input: '{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}',
    canonical: '{"name":"x.y.z.foo","type":"fixed","size":32}',
    fingerprint: -3064184465700546786n,
  },
  {
    case: '031',
    input: '{ "items":{"type":"null"}, "type":"array"}',
    canonical: '{"type":"array","items":"null"}',
    fingerprint: -589620603366471059n,
  },
  {
    case: '032',
    input: '{ "values":"string", "type":"map"}',
    canonical: '{"type":"map","values":"string"}',
    fingerprint: -8732877298790414990n,
  },
  {
    case: '033',
    input: `{"name":"PigValue","type":"record",
   "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}`,
    canonical: '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    fingerprint: -1759257747318642341n,
  },
];
// Case 026 in the file gives f1 the default "true" (a string), which avsc rightly rejects for a boolean;
// defaults are stripped from the canonical form, so `true` here changes neither expected value.

describe('CRC-64-AVRO fingerprint and Parsing Canonical Form against the Avro test vectors', () => {
  it.each(SPEC_VECTORS)('case $case: canonical form and fingerprint', ({ input, canonical, fingerprint }) => {
    expect(parsingCanonicalForm(input)).toBe(canonical);
    expect(fingerprint64(input)).toBe(BigInt.asUintN(64, fingerprint));
  });

  it('gives the same answer for a schema passed as an object as for its JSON text', () => {
    for (const { input, fingerprint } of SPEC_VECTORS) {
      expect(fingerprint64(JSON.parse(input) as object)).toBe(BigInt.asUintN(64, fingerprint));
    }
  });

  it('takes a bare primitive name as its schema, `null` included', () => {
    expect(fingerprint64('int')).toBe(BigInt.asUintN(64, 8247732601305521295n));
    expect(fingerprint64('null')).toBe(7195948357588979594n);
  });

  it('puts the fingerprint into 8 little-endian bytes', () => {
    // 7195948357588979594 (case 000, "null") is 0x63dd24e7cc258f8a; little-endian puts 8a first.
    expect(fingerprint64Bytes('"null"').toString('hex')).toBe('8a8f25cce724dd63');
    // -6970731678124411036 (case 002, "boolean") is 0x9f42fc78a4d4f764 as unsigned.
    expect(fingerprint64Bytes('"boolean"').toString('hex')).toBe('64f7d4a478fc429f');
  });

  it('rejects the empty union, which avsc cannot parse (Avro Java accepts it: case 016)', () => {
    expect(() => parsingCanonicalForm('[]')).toThrow(/empty union/);
  });

  it('rejects what is not a valid schema', () => {
    expect(() => parsingCanonicalForm({ type: 'record', name: 'R', fields: [{ name: 'f', type: 'Missing' }] })).toThrow(/Missing/);
    expect(() => parsingCanonicalForm('{"type":')).toThrow();
  });
});

describe('Parsing Canonical Form rules beyond the test vectors (expected text written from the spec)', () => {
  it('[STRIP] drops logical types and their attributes, keeping the underlying type', () => {
    const schema = {
      type: 'record',
      name: 'Row',
      fields: [
        { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
        { name: 'hash', type: { type: 'fixed', name: 'Money', size: 8, logicalType: 'decimal', precision: 18 } },
        { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
        { name: 'day', type: { type: 'int', logicalType: 'date' } },
        { name: 'at', type: ['null', { type: 'long', logicalType: 'timestamp-micros' }], default: null },
      ],
    };
    expect(parsingCanonicalForm(schema)).toBe(
      '{"name":"Row","type":"record","fields":[{"name":"price","type":"bytes"},' +
        '{"name":"hash","type":{"name":"Money","type":"fixed","size":8}},{"name":"id","type":"string"},' +
        '{"name":"day","type":"int"},{"name":"at","type":["null","long"]}]}',
    );
  });

  it('[STRIP] drops docs, defaults, aliases, order, enum defaults and custom properties', () => {
    const schema = {
      type: 'record',
      name: 'R',
      doc: 'a record',
      aliases: ['Old'],
      'x-custom': { deep: [1, 2] },
      fields: [
        { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'B'], default: 'A', doc: 'e' }, default: 'B', order: 'ignore' },
        { name: 's', type: { type: 'string', 'avro.java.string': 'String' }, aliases: ['t'], doc: 'd' },
      ],
    };
    expect(parsingCanonicalForm(schema)).toBe(
      '{"name":"R","type":"record","fields":[{"name":"e","type":{"name":"E","type":"enum","symbols":["A","B"]}},' +
        '{"name":"s","type":"string"}]}',
    );
  });

  it('[FULLNAMES] qualifies nested names with the enclosing namespace and writes later uses as fullnames', () => {
    const schema = {
      type: 'record',
      name: 'Outer',
      namespace: 'shop.v1',
      fields: [
        { name: 'a', type: { type: 'fixed', name: 'Id', size: 16 } },
        { name: 'b', type: 'Id' },
        { name: 'c', type: { type: 'array', items: 'shop.v1.Id' } },
        { name: 'd', type: { type: 'enum', name: 'Kind', namespace: 'other', symbols: ['X'] } },
        { name: 'e', type: { type: 'map', values: 'other.Kind' } },
      ],
    };
    expect(parsingCanonicalForm(schema)).toBe(
      '{"name":"shop.v1.Outer","type":"record","fields":[' +
        '{"name":"a","type":{"name":"shop.v1.Id","type":"fixed","size":16}},{"name":"b","type":"shop.v1.Id"},' +
        '{"name":"c","type":{"type":"array","items":"shop.v1.Id"}},' +
        '{"name":"d","type":{"name":"other.Kind","type":"enum","symbols":["X"]}},' +
        '{"name":"e","type":{"type":"map","values":"other.Kind"}}]}',
    );
  });

  it('[FULLNAMES] takes the namespace of a dotted name, not its namespace attribute, for nested names', () => {
    // The spec ignores `namespace` when the name is a fullname; avsc alone would make the inner record x.In.
    const schema = {
      type: 'record',
      name: 'a.b.Outer',
      namespace: 'x',
      fields: [
        { name: 'in', type: { type: 'record', name: 'In', fields: [] } },
        { name: 'again', type: 'a.b.In' },
      ],
    };
    expect(parsingCanonicalForm(schema)).toBe(
      '{"name":"a.b.Outer","type":"record","fields":[{"name":"in","type":{"name":"a.b.In","type":"record","fields":[]}},' +
        '{"name":"again","type":"a.b.In"}]}',
    );
  });

  it('writes an error type as a record, as Avro Java does', () => {
    expect(parsingCanonicalForm({ type: 'error', name: 'Oops', fields: [{ name: 'm', type: 'string' }] })).toBe(
      '{"name":"Oops","type":"record","fields":[{"name":"m","type":"string"}]}',
    );
  });

  it('gives schemas that differ only in what PCF strips the same fingerprint, and a changed field another', () => {
    const base = { type: 'record', name: 'R', fields: [{ name: 'f', type: 'int' }] };
    const decorated = { ...base, doc: 'x', fields: [{ name: 'f', type: { type: 'int', logicalType: 'date' }, default: 0 }] };
    const renamed = { ...base, fields: [{ name: 'g', type: 'int' }] };
    expect(fingerprint64(decorated)).toBe(fingerprint64(base));
    expect(fingerprint64(renamed)).not.toBe(fingerprint64(base));
  });
});

describe('single-object framing', () => {
  it('lays out C3 01, the fingerprint bytes and the body', () => {
    const fingerprint = Buffer.from('0102030405060708', 'hex');
    const framed = frameSingleObject(fingerprint, Buffer.from([0xaa, 0xbb]));
    expect(framed.toString('hex')).toBe('c3010102030405060708aabb');
  });

  it('reads back the fingerprint, its hex as Avro Java prints it, and the body', () => {
    const framed = frameSingleObject(fingerprint64Bytes('"null"'), Buffer.from([0x02]));
    const header = readSingleObjectHeader(framed);
    expect(header.fingerprint.toString('hex')).toBe('8a8f25cce724dd63');
    expect(header.fingerprintHex).toBe('63dd24e7cc258f8a'); // 7195948357588979594, case 000
    expect([...header.body]).toEqual([0x02]);
  });

  it('accepts a header with an empty body', () => {
    expect(readSingleObjectHeader(Buffer.from('c3010000000000000000', 'hex')).body.length).toBe(0);
  });

  it('rejects a message shorter than the header', () => {
    expect(() => readSingleObjectHeader(Buffer.alloc(0))).toThrow(/0 bytes, but the header alone takes 10/);
    expect(() => readSingleObjectHeader(Buffer.from('c301000000000000', 'hex'))).toThrow(/8 bytes/);
  });

  it('rejects a message without the C3 01 marker', () => {
    // A Confluent-framed message (magic byte 0, 4-byte schema id) is a likely mix-up.
    expect(() => readSingleObjectHeader(Buffer.from('000000002a0000000000', 'hex'))).toThrow(/starts with 0000, not the marker c301/);
    expect(() => readSingleObjectHeader(Buffer.from('c302000000000000000000', 'hex'))).toThrow(/marker/);
  });

  it('refuses a fingerprint that is not 8 bytes', () => {
    expect(() => frameSingleObject(Buffer.alloc(7), Buffer.alloc(1))).toThrow(RangeError);
  });

  it('round-trips any fingerprint and body', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.uint8Array({ maxLength: 2048 }), (fp, body) => {
        const framed = frameSingleObject(Buffer.from(fp), Buffer.from(body));
        expect(framed.length).toBe(10 + body.length);
        const header = readSingleObjectHeader(framed);
        expect([...header.fingerprint]).toEqual([...fp]);
        expect(header.fingerprintHex).toBe(Buffer.from(fp).reverse().toString('hex'));
        expect([...header.body]).toEqual([...body]);
      }),
    );
  });

  it('rejects any message that does not start with C3 01', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        fc.pre(!(bytes[0] === 0xc3 && bytes[1] === 0x01));
        expect(() => readSingleObjectHeader(Buffer.from(bytes))).toThrow(/not an Avro single-object message/);
      }),
    );
  });
});
