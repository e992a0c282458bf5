import type { ColumnType } from '../model/column-type.js';

const MICROS_PER_DAY = 86_400_000_000n;

/**
 * A value as one database's type layer read it (its own canonical form) turned into the canonical form of
 * the column type the topics carry. Same-database replays pass values through; across databases the
 * rebuilt column may have another kind (MySQL TIME as PostgreSQL interval, boolean as TINYINT(1), …).
 * A value that cannot be carried over is returned as is, so the checksum comparison reports it.
 */
export function conformValue(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case 'boolean':
      if (typeof value === 'number') return value !== 0;
      if (typeof value === 'bigint') return value !== 0n;
      return value;
    case 'int':
    case 'year':
    case 'date':
      return typeof value === 'bigint' ? Number(value) : value;
    case 'long':
      return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : typeof value === 'string' && /^-?\d+$/.test(value) ? BigInt(value) : value;
    case 'float':
      return typeof value === 'number' ? Math.fround(value) : value;
    case 'decimal':
    case 'variable-decimal':
      return typeof value === 'number' || typeof value === 'bigint' ? String(value) : value;
    case 'time-micros':
    case 'duration-micros':
      if (isInterval(value) && value.months === 0) return BigInt(value.days) * MICROS_PER_DAY + value.micros;
      return value;
    case 'set':
      return Array.isArray(value) ? value : typeof value === 'string' ? (value === '' ? [] : value.split(',')) : value;
    case 'bits':
      return value;
    case 'array':
      return Array.isArray(value) ? value.map((v) => conformElement(v, type.element, type.dimensions)) : value;
    default:
      return value;
  }
}

function conformElement(value: unknown, element: ColumnType, dimensions: number): unknown {
  if (dimensions > 1 && Array.isArray(value)) return value.map((v) => conformElement(v, element, dimensions - 1));
  return conformValue(value, element);
}

function isInterval(value: unknown): value is { months: number; days: number; micros: bigint } {
  return typeof value === 'object' && value !== null && 'months' in value && 'days' in value && 'micros' in value;
}
