import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  isJsonValidCheckFor,
  labelsMayBeLossy,
  parseEnumLabels,
  parseNumericModifiers,
  parseTypeLength,
} from '../../connectors/mysql/mysql-column-info.js';
import { columnInfoFromRow } from '../../connectors/mysql/introspect-columns.js';

/** MariaDB's append_unescaped(), which writes ENUM/SET labels into COLUMN_TYPE (sql/sql_show.cc). */
const mariadbQuote = (label: string): string =>
  `'${label.replace(/[\0\n\r\\']/g, (c) => ({ '\0': '\\0', '\n': '\\n', '\r': '\\r', '\\': '\\\\', "'": "''" })[c]!)}'`;

const labelCharacter = fc.oneof(fc.constantFrom("'", '\\', '\0', '\n', '\r', '\t', ',', '(', ')', '"', ' '), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }));

describe('parseEnumLabels', () => {
  it('reads labels with quotes, backslashes, commas, parentheses and control characters as MariaDB 10.11 printed them', () => {
    // COLUMN_TYPE captured from information_schema.COLUMNS on MariaDB 10.11.19 for
    // ENUM('a\\b', 'q''x', 'd"q', 'c,o', 'p(a)', 'n\nl', 't\tb', '  sp ', 'ü😀', 'BIG', 'big2') CHARACTER SET utf8mb4
    const columnType = "enum('a\\\\b','q''x','d\"q','c,o','p(a)','n\\nl','t\tb','  sp','ü?','BIG','big2')";
    expect(parseEnumLabels(columnType)).toEqual(['a\\b', "q'x", 'd"q', 'c,o', 'p(a)', 'n\nl', 't\tb', '  sp', 'ü?', 'BIG', 'big2']);
  });

  it('reads \\0 and \\r escapes (captured: ENUM(\'x\\0y\', \'r\\rz\'))', () => {
    expect(parseEnumLabels("enum('ü?','x\\0y','r\\rz')")).toEqual(['ü?', 'x\0y', 'r\rz']);
  });

  it('reads SET lists and the empty label', () => {
    expect(parseEnumLabels("set('x','y''z','ü','')")).toEqual(['x', "y'z", 'ü', '']);
    expect(parseEnumLabels("set('')")).toEqual(['']);
  });

  it('round-trips any labels written the way MariaDB writes them', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: labelCharacter, maxLength: 12 }), { minLength: 1, maxLength: 8 }), fc.boolean(), (labels, isSet) => {
        const columnType = `${isSet ? 'set' : 'enum'}(${labels.map(mariadbQuote).join(',')})`;
        expect(parseEnumLabels(columnType)).toEqual(labels);
      }),
    );
  });

  it('rejects text that is not a label list', () => {
    expect(() => parseEnumLabels('varchar(10)')).toThrow(/not an ENUM/);
    expect(() => parseEnumLabels("enum('a'")).toThrow(/cannot parse/);
    expect(() => parseEnumLabels("enum('a' 'b')")).toThrow(/cannot parse/);
  });
});

describe('COLUMN_TYPE modifiers', () => {
  it('reads signedness, zerofill and width in the MariaDB and the MySQL 8 spellings', () => {
    expect(parseNumericModifiers('int(10) unsigned zerofill')).toEqual({ unsigned: true, zerofill: true, width: 10 });
    expect(parseNumericModifiers('int(11)')).toEqual({ unsigned: false, zerofill: false, width: 11 });
    expect(parseNumericModifiers('tinyint(1)')).toEqual({ unsigned: false, zerofill: false, width: 1 });
    // MySQL ≥ 8.0.19 prints no display width (except tinyint(1)).
    expect(parseNumericModifiers('bigint unsigned')).toEqual({ unsigned: true, zerofill: false });
    expect(parseNumericModifiers('decimal(12,2) unsigned')).toEqual({ unsigned: true, zerofill: false, width: 12 });
    expect(parseNumericModifiers('double')).toEqual({ unsigned: false, zerofill: false });
    expect(parseNumericModifiers("enum('unsigned')")).toEqual({ unsigned: false, zerofill: false });
  });

  it('reads the length of bit(n) and binary(n)', () => {
    expect(parseTypeLength('bit(64)')).toBe(64);
    expect(parseTypeLength('binary(16)')).toBe(16);
    expect(parseTypeLength('bit')).toBeUndefined();
  });
});

describe('JSON detection', () => {
  it('recognises the CHECK MariaDB writes for a JSON column, column- or table-level (captured CHECK_CLAUSE)', () => {
    expect(isJsonValidCheckFor('json_valid(`j`)', 'j')).toBe(true);
    expect(isJsonValidCheckFor('json_valid(`j``x`)', 'j`x')).toBe(true);
    expect(isJsonValidCheckFor('json_valid(`j`)', 'k')).toBe(false);
    expect(isJsonValidCheckFor('json_valid(`j`) and `j` <> \'\'', 'j')).toBe(false);
  });
});

describe('columnInfoFromRow', () => {
  // Rows as information_schema.COLUMNS returned them on MariaDB 10.11.19 through mysql2 (aliased as in introspect-columns.ts).
  const row = (overrides: Record<string, unknown>): Record<string, unknown> => ({
    ordinal: 1, is_nullable: 'YES', max_length: null, numeric_precision: null, numeric_scale: null,
    datetime_precision: null, character_set: null, collation: null, ...overrides,
  });

  it('builds the column info of a MariaDB JSON column from its CHECK constraint', () => {
    const info = columnInfoFromRow(
      row({ name: 'j', data_type: 'longtext', column_type: 'longtext', max_length: 4294967295, character_set: 'utf8mb4', collation: 'utf8mb4_bin' }),
      ['json_valid(`j`)'],
    );
    expect(info).toMatchObject({ name: 'j', dataType: 'longtext', json: true, characterSet: 'utf8mb4', maxLength: 4294967295 });
  });

  it('reads integer modifiers, BIT length, ENUM labels and nullability', () => {
    expect(columnInfoFromRow(row({ name: 'i5', data_type: 'int', column_type: 'int(5) unsigned zerofill', numeric_precision: 10, numeric_scale: 0 }), []))
      .toMatchObject({ unsigned: true, zerofill: true, displayWidth: 5, numericPrecision: 10 });
    expect(columnInfoFromRow(row({ name: 'b', data_type: 'bit', column_type: 'bit(5)', numeric_precision: 5 }), [])).toMatchObject({ bitLength: 5 });
    expect(columnInfoFromRow(row({ name: 'e', data_type: 'enum', column_type: "enum('a','b')", is_nullable: 'NO', character_set: 'utf8mb4' }), []))
      .toMatchObject({ labels: ['a', 'b'], nullable: false, json: false });
    expect(columnInfoFromRow(row({ name: 't', data_type: 'time', column_type: 'time(6)', datetime_precision: 6 }), [])).toMatchObject({ datetimePrecision: 6 });
  });

  it('flags ENUM labels of a 4-byte charset that INFORMATION_SCHEMA may have printed as ?', () => {
    expect(labelsMayBeLossy(['ü?'], 'utf8mb4')).toBe(true);
    expect(labelsMayBeLossy(['ü?'], 'latin1')).toBe(false);
    expect(labelsMayBeLossy(['ü'], 'utf8mb4')).toBe(false);
    const info = columnInfoFromRow(row({ name: 'e', data_type: 'enum', column_type: "enum('plain','ü?')", character_set: 'utf8mb4' }), []);
    expect(info.labelsMayBeLossy).toBe(true);
  });
});
