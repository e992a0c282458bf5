/**
 * The connector-independent column types. A connector maps each source type onto one of these and hands
 * the core values in the canonical JavaScript form named beside each kind; the Avro layer maps each kind
 * onto exactly one Avro type (docs/types.md). Nothing here may lose information.
 */
export type ColumnType =
  /** value: boolean */
  | { kind: 'boolean' }
  /** value: number, an integer within the given width (signed unless `unsigned`) → Avro int */
  | { kind: 'int'; bits: 8 | 16 | 24 | 32; unsigned?: boolean }
  /** value: bigint, signed 64-bit (or unsigned 32-bit) → Avro long; unsigned 64-bit uses `decimal` (20,0) */
  | { kind: 'long'; unsigned32?: boolean }
  /** value: number (NaN and ±Infinity allowed) → Avro float / double */
  | { kind: 'float' }
  | { kind: 'double' }
  /**
   * value: string, the exact decimal text ("-12.50"), or one of the Special strings when `specials`.
   * Fixed precision and scale → Avro decimal bytes; a value with more fractional digits than `scale`
   * or more digits than `precision` is an error, never rounded.
   */
  | { kind: 'decimal'; precision: number; scale: number; specials?: boolean }
  /** value: string as for decimal, any scale (unconstrained numeric) → record {scale, unscaled} */
  | { kind: 'variable-decimal'; specials?: boolean }
  /** value: string */
  | { kind: 'string'; semantic?: StringSemantic }
  /** value: Uint8Array */
  | { kind: 'bytes' }
  /** value: string of '0' and '1' (bit order as written by the source) → record {length, bits} */
  | { kind: 'bits'; length?: number }
  /** value: number, days since 1970-01-01, or ±Infinity for the source's infinite dates */
  | { kind: 'date' }
  /** value: bigint, microseconds since midnight (0 … 86_400_000_000 inclusive, PostgreSQL allows 24:00) */
  | { kind: 'time-micros' }
  /** value: { micros: bigint; offsetSeconds: number } — time of day with a UTC offset (PostgreSQL timetz) */
  | { kind: 'time-tz' }
  /** value: bigint, signed microseconds (MySQL TIME, −838:59:59 … 838:59:59) */
  | { kind: 'duration-micros' }
  /** value: { months: number; days: number; micros: bigint } (PostgreSQL interval, exact) */
  | { kind: 'interval' }
  /**
   * value: bigint, microseconds since 1970-01-01T00:00:00 (UTC when `zoned`), or ±Infinity for the
   * source's infinite timestamps.
   */
  | { kind: 'timestamp-micros'; zoned: boolean }
  /** value: string, the exact JSON text as the source holds it */
  | { kind: 'json' }
  /** value: string, canonical lower-case 8-4-4-4-12 form */
  | { kind: 'uuid' }
  /** value: string, one of `symbols` (the source's labels, any characters) */
  | { kind: 'enum'; name: string; symbols: string[] }
  /** value: string[], each one of `symbols` (MySQL SET) */
  | { kind: 'set'; name: string; symbols: string[] }
  /** value: nested arrays `dimensions` deep; elements are the element type's values or null */
  | { kind: 'array'; element: ColumnType; dimensions: number }
  /** value: number (MySQL YEAR) */
  | { kind: 'year' }
  /** value: { srid: number | null; wkb: Uint8Array } — well-known binary */
  | { kind: 'geometry' };

/** Meaning of a string column beyond its text, recorded in the schema for consumers. */
export type StringSemantic = 'xml' | 'inet' | 'cidr' | 'macaddr' | 'macaddr8' | 'geometric' | 'range' | 'text-search' | 'other';

/** The non-finite values a `specials` decimal can carry. */
export const DECIMAL_SPECIALS = ['NaN', 'Infinity', '-Infinity'] as const;
export type DecimalSpecial = (typeof DECIMAL_SPECIALS)[number];

export type ColumnKind = ColumnType['kind'];
