import type { ColumnType, DecimalSpecial } from '../model/column-type.js';
import { DECIMAL_SPECIALS } from '../model/column-type.js';
import { distinctAvroNames } from './avro-names.js';
import {
  DATE_NEGATIVE_INFINITY,
  DATE_POSITIVE_INFINITY,
  DECIMAL_SPECIAL_SYMBOLS,
  TIMESTAMP_NEGATIVE_INFINITY,
  TIMESTAMP_POSITIVE_INFINITY,
} from './column-avro-type.js';
import { bytesToUnscaled, decimalText, digitCount, scaleOf, smallUnscaledAt, smallUnscaledToBytes, unscaledAt, unscaledToBytes } from './decimal-bytes.js';

/**
 * Per column type: `lower` turns a canonical value (model/column-type.ts) into what avsc writes for the
 * column's Avro type, `raise` turns what avsc read back into the canonical value. `lower` throws a
 * ValueMismatch (a plain reason) for a value that does not fit; the row codec adds table, column and position.
 */
export interface ColumnCodec {
  lower(value: unknown): unknown;
  raise(value: unknown): unknown;
}

export class ValueMismatch extends Error {}

const mismatch = (reason: string): never => {
  throw new ValueMismatch(reason);
};

const INT_RANGES: Record<number, [number, number, number]> = { 8: [-128, 127, 255], 16: [-32768, 32767, 65535], 24: [-8388608, 8388607, 16777215], 32: [-2147483648, 2147483647, 4294967295] };
const MAX_TIME_MICROS = 86_400_000_000n;
const SPECIAL_BY_SYMBOL = new Map(Object.entries(DECIMAL_SPECIAL_SYMBOLS).map(([special, symbol]) => [symbol, special]));
/** Lower-case 8-4-4-4-12 hex (a character loop: this runs per value). */
function isUuid(s: string): boolean {
  if (s.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

const identity = (v: unknown): unknown => v;
const asBuffer = (v: Uint8Array): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));

function bigintOf(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') return value;
  // A safe integer converts to BigInt without loss; anything else would be a guess.
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return mismatch(`expected ${what} as a BigInt, got ${describe(value)}`);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'bigint') return `bigint ${value}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return `array of ${value.length}`;
  return typeof value;
}

function specialsCodec(inner: ColumnCodec, specials: boolean | undefined): ColumnCodec {
  if (!specials) return inner;
  return {
    lower: (v) => (typeof v === 'string' && (DECIMAL_SPECIALS as readonly string[]).includes(v) ? DECIMAL_SPECIAL_SYMBOLS[v as DecimalSpecial] : inner.lower(v)),
    raise: (v) => (typeof v === 'string' ? SPECIAL_BY_SYMBOL.get(v) : inner.raise(v)),
  };
}

function enumCodec(labels: string[]): ColumnCodec {
  const symbols = distinctAvroNames(labels);
  const toSymbol = new Map(labels.map((l, i) => [l, symbols[i]!]));
  const toLabel = new Map(symbols.map((s, i) => [s, labels[i]!]));
  return {
    lower: (v) => (typeof v === 'string' ? toSymbol.get(v) : undefined) ?? mismatch(`${describe(v)} is not one of the enum's ${labels.length} labels`),
    raise: (v) => toLabel.get(v as string),
  };
}

function arrayCodec(element: ColumnCodec, depth: number): ColumnCodec {
  const lowerAt = (v: unknown, d: number): unknown => {
    if (!Array.isArray(v)) return mismatch(`expected an array ${depth} deep, got ${describe(v)} at depth ${depth - d + 1}`);
    if (d === 1) return v.map((e) => (e === null ? null : element.lower(e)));
    return v.map((e) => lowerAt(e, d - 1));
  };
  const raiseAt = (v: unknown[], d: number): unknown[] => (d === 1 ? v.map((e) => (e === null ? null : element.raise(e))) : v.map((e) => raiseAt(e as unknown[], d - 1)));
  return { lower: (v) => lowerAt(v, depth), raise: (v) => raiseAt(v as unknown[], depth) };
}

export function columnCodec(type: ColumnType): ColumnCodec {
  switch (type.kind) {
    case 'boolean':
      return { lower: (v) => (typeof v === 'boolean' ? v : mismatch(`expected a boolean, got ${describe(v)}`)), raise: identity };
    case 'int': {
      const [min, max, umax] = INT_RANGES[type.bits]!;
      const lo = type.unsigned ? 0 : min;
      const hi = type.unsigned ? umax : max;
      const wide = type.bits === 32 && type.unsigned; // written as Avro long
      return {
        lower: (v) => {
          if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) return mismatch(`expected an integer in ${lo}…${hi}, got ${describe(v)}`);
          return wide ? BigInt(v) : v;
        },
        raise: wide ? (v) => Number(v as bigint) : identity,
      };
    }
    case 'long': {
      const [lo, hi] = type.unsigned32 ? [0n, 4294967295n] : [-(1n << 63n), (1n << 63n) - 1n];
      return {
        lower: (v) => {
          const n = bigintOf(v, 'a 64-bit integer');
          return n >= lo && n <= hi ? n : mismatch(`${n} is outside ${lo}…${hi}`);
        },
        raise: identity,
      };
    }
    case 'float':
    case 'double':
      return { lower: (v) => (typeof v === 'number' ? v : mismatch(`expected a number, got ${describe(v)}`)), raise: identity };
    case 'decimal': {
      const { precision, scale } = type;
      return specialsCodec({
        lower: (v) => {
          if (typeof v !== 'string') return mismatch(`expected decimal text, got ${describe(v)}`);
          const small = smallUnscaledAt(v, scale);
          if (typeof small === 'number' && (precision >= 15 || Math.abs(small) < 10 ** precision)) return smallUnscaledToBytes(small);
          const unscaled = unscaledAt(v, scale);
          if (unscaled === null) return mismatch(`${describe(v)} is not a decimal with at most ${scale} fractional digits`);
          if (digitCount(unscaled) > precision) return mismatch(`${describe(v)} has more than ${precision} digits`);
          return unscaledToBytes(unscaled);
        },
        raise: (v) => decimalText(bytesToUnscaled(v as Buffer), scale),
      }, type.specials);
    }
    case 'variable-decimal':
      return specialsCodec({
        lower: (v) => {
          if (typeof v !== 'string') return mismatch(`expected decimal text, got ${describe(v)}`);
          const scale = scaleOf(v);
          const unscaled = unscaledAt(v, scale);
          if (unscaled === null) return mismatch(`${describe(v)} is not decimal text`);
          return { scale, value: unscaledToBytes(unscaled) };
        },
        raise: (v) => {
          const r = v as { scale: number; value: Buffer };
          return decimalText(bytesToUnscaled(r.value), r.scale);
        },
      }, type.specials);
    case 'string':
    case 'json':
      return { lower: (v) => (typeof v === 'string' ? v : mismatch(`expected a string, got ${describe(v)}`)), raise: identity };
    case 'uuid':
      return { lower: (v) => (typeof v === 'string' && isUuid(v) ? v : mismatch(`expected a lower-case UUID, got ${describe(v)}`)), raise: identity };
    case 'bytes':
      return { lower: (v) => (v instanceof Uint8Array ? asBuffer(v) : mismatch(`expected bytes, got ${describe(v)}`)), raise: identity };
    case 'bits':
      return {
        lower: (v) => {
          if (typeof v !== 'string' || !/^[01]*$/.test(v)) return mismatch(`expected a string of 0 and 1, got ${describe(v)}`);
          if (type.length !== undefined && v.length !== type.length) return mismatch(`expected ${type.length} bits, got ${v.length}`);
          const bits = Buffer.alloc(Math.ceil(v.length / 8));
          for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) === 49) bits[i >> 3]! |= 0x80 >> (i & 7);
          return { length: v.length, bits };
        },
        raise: (v) => {
          const r = v as { length: number; bits: Buffer };
          let out = '';
          for (let i = 0; i < r.length; i++) out += (r.bits[i >> 3]! & (0x80 >> (i & 7))) !== 0 ? '1' : '0';
          return out;
        },
      };
    case 'date':
      return {
        lower: (v) => {
          if (v === Infinity) return DATE_POSITIVE_INFINITY;
          if (v === -Infinity) return DATE_NEGATIVE_INFINITY;
          if (typeof v !== 'number' || !Number.isInteger(v) || v <= DATE_NEGATIVE_INFINITY || v >= DATE_POSITIVE_INFINITY) return mismatch(`expected days since 1970-01-01, got ${describe(v)}`);
          return v;
        },
        raise: (v) => (v === DATE_POSITIVE_INFINITY ? Infinity : v === DATE_NEGATIVE_INFINITY ? -Infinity : v),
      };
    case 'time-micros':
      return {
        lower: (v) => {
          const n = bigintOf(v, 'microseconds since midnight');
          return n >= 0n && n <= MAX_TIME_MICROS ? n : mismatch(`${n} µs is not a time of day`);
        },
        raise: identity,
      };
    case 'time-tz':
      return {
        lower: (v) => {
          const t = v as { micros?: unknown; offsetSeconds?: unknown } | null;
          if (!t || typeof t !== 'object' || typeof t.offsetSeconds !== 'number') return mismatch(`expected {micros, offsetSeconds}, got ${describe(v)}`);
          const micros = bigintOf(t.micros, 'microseconds since midnight');
          if (micros < 0n || micros > MAX_TIME_MICROS) return mismatch(`${micros} µs is not a time of day`);
          return { micros, offsetSeconds: t.offsetSeconds };
        },
        raise: identity,
      };
    case 'duration-micros':
      return { lower: (v) => bigintOf(v, 'signed microseconds'), raise: identity };
    case 'interval':
      return {
        lower: (v) => {
          const i = v as { months?: unknown; days?: unknown; micros?: unknown } | null;
          if (!i || typeof i !== 'object' || !Number.isInteger(i.months) || !Number.isInteger(i.days)) return mismatch(`expected {months, days, micros}, got ${describe(v)}`);
          return { months: i.months, days: i.days, micros: bigintOf(i.micros, 'interval microseconds') };
        },
        raise: identity,
      };
    case 'timestamp-micros':
      return {
        lower: (v) => {
          if (v === Infinity) return TIMESTAMP_POSITIVE_INFINITY;
          if (v === -Infinity) return TIMESTAMP_NEGATIVE_INFINITY;
          const n = bigintOf(v, 'microseconds since the epoch');
          // The extremes of the long are reserved for ±infinity.
          return n > TIMESTAMP_NEGATIVE_INFINITY && n < TIMESTAMP_POSITIVE_INFINITY ? n : mismatch(`${n} µs is out of the representable range`);
        },
        raise: (v) => (v === TIMESTAMP_POSITIVE_INFINITY ? Infinity : v === TIMESTAMP_NEGATIVE_INFINITY ? -Infinity : v),
      };
    case 'enum':
      return enumCodec(type.symbols);
    case 'set': {
      const e = enumCodec(type.symbols);
      return {
        lower: (v) => (Array.isArray(v) ? v.map(e.lower) : mismatch(`expected an array of set members, got ${describe(v)}`)),
        raise: (v) => (v as unknown[]).map(e.raise),
      };
    }
    case 'array':
      return arrayCodec(columnCodec(type.element), type.dimensions);
    case 'year':
      return { lower: (v) => (typeof v === 'number' && Number.isInteger(v) ? v : mismatch(`expected a year, got ${describe(v)}`)), raise: identity };
    case 'geometry':
      return {
        lower: (v) => {
          const g = v as { srid?: unknown; wkb?: unknown } | null;
          if (!g || typeof g !== 'object' || !(g.wkb instanceof Uint8Array)) return mismatch(`expected {srid, wkb}, got ${describe(v)}`);
          if (g.srid !== null && !Number.isInteger(g.srid)) return mismatch(`expected an integer srid or null, got ${describe(g.srid)}`);
          return { srid: g.srid, wkb: asBuffer(g.wkb) };
        },
        raise: identity,
      };
  }
}
