import { describe, expect, it } from 'vitest';
import type { Column } from '../../src/model/table-schema.js';
import { tableShapeText } from '../../src/model/table-schema.js';
import { decodeMissingValue } from '../../connectors/postgres/missing-value.js';
import { isCarriedPgExpression, pgColumnDefaults } from '../../connectors/postgres/replay-defaults.js';
import { pgTextEncoder } from '../../connectors/postgres/replay-values.js';
import { classifyColumnDefault, constantDefaultValue, unquoteMariaDbLiteral } from '../../connectors/mysql/column-default.js';
import { columnInfoFromRow } from '../../connectors/mysql/introspect-columns.js';
import { columnOf } from '../../connectors/mysql/column-mapping.js';
import { isCarriedMysqlExpression, mysqlColumnDefaults } from '../../connectors/mysql/replay-defaults.js';
import { mysqlParamEncoder } from '../../connectors/mysql/replay-values.js';

const pgColumn = (type: Column['type'], sourceType: string, arrayDelimiter = ',') => ({ name: 'c', type, sourceType, arrayDelimiter, money: false });

describe('PostgreSQL attmissingval → the canonical value older rows read', () => {
  it('reads the one element with the column\'s own text decoder', () => {
    expect(decodeMissingValue(pgColumn({ kind: 'string' }, 'text'), '{web}')).toBe('web');
    expect(decodeMissingValue(pgColumn({ kind: 'string' }, 'text'), '{"a \\"b\\" {c}"}')).toBe('a "b" {c}');
    expect(decodeMissingValue(pgColumn({ kind: 'int', bits: 32 }, 'integer'), '{10}')).toBe(10);
    expect(decodeMissingValue(pgColumn({ kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 1 }, 'integer[]'), '{"{1,2}"}')).toEqual([1, 2]);
    expect(decodeMissingValue(pgColumn({ kind: 'timestamp-micros', zoned: true }, 'timestamp with time zone'), '{"2026-12-06 22:41:13.536298+00"}')).toBe(1796596873536298n);
    expect(decodeMissingValue(pgColumn({ kind: 'variable-decimal', specials: true }, 'numeric'), '{NaN}')).toBe('NaN');
    // box's elements are separated by ';' (its typdelim), so its own commas stay inside the one element.
    expect(decodeMissingValue(pgColumn({ kind: 'string', semantic: 'geometric' }, 'box', ';'), '{(1,1),(0,0)}')).toBe('(1,1),(0,0)');
    expect(decodeMissingValue(pgColumn({ kind: 'int', bits: 32 }, 'integer'), '{NULL}')).toBeNull();
  });

  it('names the column when the text is not what the column type promises', () => {
    expect(() => decodeMissingValue(pgColumn({ kind: 'int', bits: 32 }, 'integer'), '{abc}')).toThrow(/column "c" \(integer\)/);
    expect(() => decodeMissingValue(pgColumn({ kind: 'int', bits: 32 }, 'integer'), '{1,2}')).toThrow(/one-element/);
  });

  it('a table shape with a BigInt or infinite missing value has a text (versions are told apart by it)', () => {
    const table = { id: { namespace: 'p', name: 't' }, key: [], columns: [{ name: 'at', type: { kind: 'date' as const }, nullable: true, sourceType: 'date', missingValue: Infinity }, { name: 'n', type: { kind: 'long' as const }, nullable: true, sourceType: 'bigint', missingValue: 5n }] };
    expect(tableShapeText(table)).toContain('"missingValue":"Infinity"');
    expect(tableShapeText(table)).toContain('"missingValue":"5n"');
  });
});

describe('PostgreSQL replay defaults', () => {
  it('carries the source\'s expression only in the shapes a target can take', () => {
    for (const carried of ["'web'::text", '10', '1.5', "'-1'::integer", "'{1,2}'::integer[]", "'happy'::\"Mood\"", "'x'::app.mood", 'true', 'NULL::text', 'now()', 'CURRENT_TIMESTAMP', 'CURRENT_TIMESTAMP(3)', 'gen_random_uuid()', "'a''b'::character varying"]) {
      expect(isCarriedPgExpression(carried), carried).toBe(true);
    }
    for (const refused of ["nextval('loan_id_seq'::regclass)", "(now() + '1 day'::interval)", "'x'; DROP TABLE t; --", "'x'::text); DROP TABLE t; --", 'my_function()', 'lower(name)', "'a\\'::text"]) {
      expect(isCarriedPgExpression(refused), refused).toBe(false);
    }
  });

  it('adds a column with the missing value, and keeps the expression as the table default', () => {
    const column: Column = { name: 'at', type: { kind: 'timestamp-micros', zoned: true }, nullable: false, sourceType: 'timestamp with time zone', missingValue: 0n, defaultExpression: 'now()' };
    const sqlType = 'timestamp with time zone';
    expect(pgColumnDefaults(column, 'postgres', sqlType, pgTextEncoder(column.type))).toEqual({ table: 'now()', added: "'1970-01-01 00:00:00.000000+00'::timestamp with time zone" });
    // From MySQL (or an expression not carried) the constant is the table default too.
    expect(pgColumnDefaults({ ...column, defaultExpression: 'current_timestamp(6)' }, 'mysql', sqlType, pgTextEncoder(column.type))).toEqual({
      table: "'1970-01-01 00:00:00.000000+00'::timestamp with time zone", added: "'1970-01-01 00:00:00.000000+00'::timestamp with time zone",
    });
    expect(pgColumnDefaults({ ...column, missingValue: undefined, defaultExpression: "nextval('s'::regclass)" }, 'postgres', sqlType, pgTextEncoder(column.type))).toEqual({});
    // A column rebuilt in another type (a domain the target lacks) takes no expression: it may cast to the source's type.
    const domain: Column = { name: 'n', type: { kind: 'int', bits: 32 }, nullable: true, sourceType: 'posint', missingValue: 5, defaultExpression: "'5'::posint" };
    expect(pgColumnDefaults(domain, 'postgres', 'integer', pgTextEncoder(domain.type))).toEqual({ table: "'5'::integer", added: "'5'::integer" });
    expect(pgColumnDefaults({ name: 'q', type: { kind: 'string' }, nullable: true, sourceType: 'text', missingValue: "it's" }, 'postgres', 'text', pgTextEncoder({ kind: 'string' }))).toEqual({ table: "'it''s'::text", added: "'it''s'::text" });
  });
});

describe('MySQL/MariaDB COLUMN_DEFAULT', () => {
  it('tells MariaDB\'s quoted literals, numbers, bit literals, NULL and expressions apart', () => {
    expect(classifyColumnDefault("'web'", '', true)).toEqual({ kind: 'literal', text: 'web', expression: "'web'" });
    expect(classifyColumnDefault("'it''s'", '', true)).toEqual({ kind: 'literal', text: "it's", expression: "'it''s'" });
    expect(classifyColumnDefault("'a\\\\b'", '', true)).toEqual({ kind: 'literal', text: 'a\\b', expression: "'a\\\\b'" });
    expect(classifyColumnDefault('10', '', true)).toEqual({ kind: 'literal', text: '10', expression: '10' });
    expect(classifyColumnDefault("b'101'", '', true)).toEqual({ kind: 'literal', text: "b'101'", expression: "b'101'" });
    expect(classifyColumnDefault('NULL', '', true)).toEqual({ kind: 'null', expression: 'NULL' });
    expect(classifyColumnDefault('current_timestamp()', '', true)).toEqual({ kind: 'expression', expression: 'current_timestamp()' });
    expect(classifyColumnDefault('uuid()', '', true)).toEqual({ kind: 'expression', expression: 'uuid()' });
    expect(classifyColumnDefault(null, '', true)).toBeUndefined();
  });

  it('MySQL 8 (unit-tested only): unquoted literals, expressions flagged DEFAULT_GENERATED', () => {
    expect(classifyColumnDefault('web', '', false)).toEqual({ kind: 'literal', text: 'web', expression: "'web'" });
    expect(classifyColumnDefault("it's", '', false)).toEqual({ kind: 'literal', text: "it's", expression: "'it''s'" });
    expect(classifyColumnDefault('10', '', false)).toEqual({ kind: 'literal', text: '10', expression: '10' });
    expect(classifyColumnDefault('CURRENT_TIMESTAMP', 'DEFAULT_GENERATED', false)).toEqual({ kind: 'expression', expression: 'CURRENT_TIMESTAMP' });
    expect(classifyColumnDefault('CURRENT_TIMESTAMP(6)', '', false)).toEqual({ kind: 'expression', expression: 'CURRENT_TIMESTAMP(6)' });
    expect(classifyColumnDefault('uuid()', 'DEFAULT_GENERATED', false)).toEqual({ kind: 'expression', expression: 'uuid()' });
  });

  it('unquotes MariaDB literals, and refuses text that is not one literal', () => {
    expect(unquoteMariaDbLiteral("'a\\nb\\'c'")).toBe("a\nb'c");
    expect(unquoteMariaDbLiteral("''")).toBe('');
    expect(unquoteMariaDbLiteral("'a' || 'b'")).toBeUndefined();
  });

  it('turns a constant into the canonical value of the column type, or says nothing when the text is not exact', () => {
    expect(constantDefaultValue({ kind: 'int', bits: 32 }, '10')).toBe(10);
    expect(constantDefaultValue({ kind: 'long' }, '-9223372036854775808')).toBe(-9223372036854775808n);
    expect(constantDefaultValue({ kind: 'float' }, '1.1')).toBe(Math.fround(1.1));
    expect(constantDefaultValue({ kind: 'double' }, '1e300')).toBe(1e300);
    expect(constantDefaultValue({ kind: 'decimal', precision: 6, scale: 2 }, '1.5')).toBe('1.50');
    expect(constantDefaultValue({ kind: 'decimal', precision: 20, scale: 0 }, '18446744073709551615')).toBe('18446744073709551615');
    expect(constantDefaultValue({ kind: 'string' }, 'web')).toBe('web');
    expect(constantDefaultValue({ kind: 'set', name: 's', symbols: ['p', 'q'] }, 'p,q')).toEqual(['p', 'q']);
    expect(constantDefaultValue({ kind: 'set', name: 's', symbols: ['p', 'q'] }, '')).toEqual([]);
    expect(constantDefaultValue({ kind: 'date' }, '1970-01-02')).toBe(1);
    expect(constantDefaultValue({ kind: 'timestamp-micros', zoned: false }, '1970-01-01 00:00:01.500')).toBe(1_500_000n);
    expect(constantDefaultValue({ kind: 'duration-micros' }, '-01:00:00')).toBe(-3_600_000_000n);
    expect(constantDefaultValue({ kind: 'bits', length: 5 }, "b'101'")).toBe('00101');
    expect(constantDefaultValue({ kind: 'year' }, '2020')).toBe(2020);
    expect(constantDefaultValue({ kind: 'uuid' }, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11')).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    // TIMESTAMP text is in the session's zone; binary text is not exact; a zero date has no value.
    expect(constantDefaultValue({ kind: 'timestamp-micros', zoned: true }, '2020-01-01 00:00:00')).toBeUndefined();
    expect(constantDefaultValue({ kind: 'bytes' }, 'ab')).toBeUndefined();
    expect(constantDefaultValue({ kind: 'date' }, '0000-00-00')).toBeUndefined();
    expect(constantDefaultValue({ kind: 'int', bits: 32 }, '1.5')).toBeUndefined();
  });

  it('an INFORMATION_SCHEMA row becomes a column with its missing value and default expression', () => {
    const row = (type: string, columnType: string, columnDefault: string | null, nullable = 'YES') => ({ name: 'c', ordinal: 2, data_type: type, column_type: columnType, is_nullable: nullable, column_default: columnDefault, extra: '' });
    const table = { database: 'shop', table: 'loan' };
    expect(columnOf(table, columnInfoFromRow(row('varchar', 'varchar(16)', "'web'", 'NO'), [], true))).toMatchObject({ nullable: false, missingValue: 'web', defaultExpression: "'web'" });
    expect(columnOf(table, columnInfoFromRow(row('int', 'int(11)', '10'), [], true))).toMatchObject({ missingValue: 10, defaultExpression: '10' });
    expect(columnOf(table, columnInfoFromRow(row('int', 'int(11)', 'NULL'), [], true))).toMatchObject({ missingValue: null, defaultExpression: 'NULL' });
    const clock = columnOf(table, columnInfoFromRow(row('datetime', 'datetime(6)', 'current_timestamp(6)'), [], true));
    expect(clock).toMatchObject({ defaultExpression: 'current_timestamp(6)' });
    expect(clock).not.toHaveProperty('missingValue');
    const none = columnOf(table, columnInfoFromRow(row('int', 'int(11)', null), [], true));
    expect(none).not.toHaveProperty('missingValue');
    expect(none).not.toHaveProperty('defaultExpression');
  });
});

describe('MySQL replay defaults', () => {
  const escape = (v: unknown): string => (typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : String(v));

  it('carries the source\'s expression only in the shapes a target can take', () => {
    for (const carried of ["'web'", "'it''s'", "'a\\\\b'", '10', '-1.5', '1e300', "b'101'", 'NULL', 'current_timestamp()', 'CURRENT_TIMESTAMP(6)', 'uuid()', 'curdate()']) {
      expect(isCarriedMysqlExpression(carried), carried).toBe(true);
    }
    for (const refused of ["'x'); DROP TABLE t; -- '", 'concat(a, b)', "'a' 'b'", 'rand()']) expect(isCarriedMysqlExpression(refused), refused).toBe(false);
  });

  it('adds a column with the missing value in parentheses, and keeps the expression as the table default', () => {
    const channel: Column = { name: 'channel', type: { kind: 'string' }, nullable: false, sourceType: 'varchar(16)', missingValue: 'web', defaultExpression: "'web'" };
    expect(mysqlColumnDefaults(channel, 'mysql', mysqlParamEncoder(channel.type), escape)).toEqual({ table: "('web')", added: "('web')" });
    const at: Column = { name: 'at', type: { kind: 'timestamp-micros', zoned: false }, nullable: true, sourceType: 'datetime(6)', defaultExpression: 'current_timestamp(6)' };
    expect(mysqlColumnDefaults(at, 'mysql', mysqlParamEncoder(at.type), escape)).toEqual({ table: 'current_timestamp(6)' });
    const id: Column = { name: 'id', type: { kind: 'string' }, nullable: true, sourceType: 'char(36)', defaultExpression: 'uuid()' };
    expect(mysqlColumnDefaults(id, 'mysql', mysqlParamEncoder(id.type), escape)).toEqual({ table: '(uuid())' });
    // From PostgreSQL only the constant crosses over.
    const points: Column = { name: 'points', type: { kind: 'int', bits: 32 }, nullable: true, sourceType: 'integer', missingValue: 10, defaultExpression: '10' };
    expect(mysqlColumnDefaults(points, 'postgres', mysqlParamEncoder(points.type), escape)).toEqual({ table: '(10)', added: '(10)' });
    expect(mysqlColumnDefaults({ ...points, missingValue: undefined }, 'postgres', mysqlParamEncoder(points.type), escape)).toEqual({});
  });
});
