import type { ColumnType } from '../../src/model/column-type.js';
import { dateText, durationText, timeOfDayText, timestampText } from '../../src/replay/civil-time.js';

/** Turns one canonical value into PostgreSQL's text input form for the column's rebuilt type. */
export type PgTextEncoder = (value: unknown) => string;

const floatText = (n: number): string => (Number.isNaN(n) ? 'NaN' : n === Infinity ? 'Infinity' : n === -Infinity ? '-Infinity' : Object.is(n, -0) ? '-0' : String(n));

const hex = (bytes: Uint8Array): string => `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;

const infiniteOr = (value: unknown, finite: (v: never) => string): string =>
  value === Infinity ? 'infinity' : value === -Infinity ? '-infinity' : finite(value as never);

/** `"…"` with `"` and `\` escaped: an array element in any array literal. */
const quoteElement = (text: string): string => `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** The encoder of one column type (the inverse of text-decoder.ts, for values a PostgreSQL column can hold). */
export function pgTextEncoder(type: ColumnType): PgTextEncoder {
  switch (type.kind) {
    case 'boolean':
      return (v) => (v ? 't' : 'f');
    case 'int':
    case 'long':
    case 'year':
    case 'decimal':
    case 'variable-decimal':
      return (v) => String(v);
    case 'float':
    case 'double':
      return (v) => floatText(v as number);
    case 'string':
    case 'json':
    case 'uuid':
    case 'enum':
    case 'bits':
      return (v) => v as string;
    case 'bytes':
      return (v) => hex(v as Uint8Array);
    case 'date':
      return (v) => infiniteOr(v, (d: number) => dateText(d, 'suffix'));
    case 'time-micros':
      return (v) => timeOfDayText(v as bigint);
    case 'time-tz':
      return (v) => {
        const { micros, offsetSeconds } = v as { micros: bigint; offsetSeconds: number };
        const abs = Math.abs(offsetSeconds);
        const offset = `${offsetSeconds < 0 ? '-' : '+'}${String(Math.floor(abs / 3600)).padStart(2, '0')}:${String(Math.floor(abs / 60) % 60).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
        return `${timeOfDayText(micros)}${offset}`;
      };
    case 'duration-micros':
      return (v) => durationText(v as bigint);
    case 'interval':
      return (v) => {
        const { months, days, micros } = v as { months: number; days: number; micros: bigint };
        return `${months} mons ${days} days ${durationText(micros)}`;
      };
    case 'timestamp-micros':
      return (v) => infiniteOr(v, (m: bigint) => (type.zoned ? `${timestampText(m, 'suffix').replace(/( BC)?$/, '+00$1')}` : timestampText(m, 'suffix')));
    case 'set':
      return (v) => `{${(v as string[]).map(quoteElement).join(',')}}`;
    case 'array': {
      const element = pgTextEncoder(type.element);
      const write = (value: unknown, depth: number): string => {
        if (depth === 0) return value === null || value === undefined ? 'NULL' : quoteElement(element(value));
        return `{${(value as unknown[]).map((v) => write(v, depth - 1)).join(',')}}`;
      };
      const hasElement = (value: unknown): boolean => (Array.isArray(value) ? value.some(hasElement) : true);
      // PostgreSQL has one empty array whatever its dimensions: '{{}}' is not an array literal.
      return (v) => (hasElement(v) ? write(v, type.dimensions) : '{}');
    }
    case 'geometry':
      return () => {
        throw new Error('geometry has no PostgreSQL column type without PostGIS');
      };
  }
}
