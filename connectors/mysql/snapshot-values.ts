import type { Row } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import { qualifiedColumnName, type MysqlTableInfo } from './mysql-column-info.js';
import { ValueDecodeError } from './mysql-errors.js';
import { parseTimeText } from './temporal-text.js';
import { compileValueDecoder, type ValueDecoder } from './value-decoders.js';

/**
 * How a snapshot SELECT reads each column so that the binlog's value decoders (value-decoders.ts) apply to it
 * unchanged and give the same canonical values as the stream: each column is selected in the form zongji hands
 * the decoder (after bindTableMap), on a connection with SNAPSHOT_CONNECTION_OPTIONS and time_zone '+00:00'.
 *
 * - FLOAT as `CAST(c AS DOUBLE)`: the exact float32 value (the server prints FLOAT with 6 digits);
 * - latin1 text as its bytes, one character per byte (as the bound binlog reads it; latin1.ts maps it);
 * - UUID / INET4 / INET6 as their binary form (`CAST(c AS BINARY(n))`), which the decoders format;
 * - ENUM / SET as `c+0`: the index / member bitmask, turned into zongji's index tokens here;
 * - GEOMETRY as the raw SRID + WKB bytes (the connection's typeCast);
 * - TIME as the server prints it (the exact form, none of zongji's TIME2 borrow).
 * Everything else (integers, DECIMAL and BIGINT as exact text, dates as text, BIT / binary as bytes, JSON text)
 * comes from mysql2 as the binlog path gets it.
 */
export const SNAPSHOT_CONNECTION_OPTIONS = {
  supportBigNumbers: true,
  bigNumberStrings: false,
  dateStrings: true,
  decimalNumbers: false,
  jsonStrings: true,
  timezone: 'Z',
  // GEOMETRY as the server stores it (4-byte SRID + WKB), not parsed into points.
  typeCast: (field: { type: string; buffer(): Buffer | null }, next: () => unknown) => (field.type === 'GEOMETRY' ? field.buffer() : next()),
} as const;

export interface SnapshotColumnReader {
  /** The column's expression in the SELECT list (aliased to a positional name). */
  expression: string;
  /** mysql2's value of that expression → canonical value (non-null). */
  decode: ValueDecoder;
}

export const quoteMysqlIdent = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

/** The readers of every column of a table version, in column order. */
export function snapshotColumnReaders(table: MysqlTableInfo, schema: TableSchema): SnapshotColumnReader[] {
  return table.columns.map((info, i) => {
    const column = schema.columns[i]!;
    const where = qualifiedColumnName(table, info.name);
    const ident = quoteMysqlIdent(info.name);
    const fail = (message: string): never => {
      throw new ValueDecodeError(where, message);
    };
    const binlog = (expression: string, convert: (raw: unknown) => unknown = (raw) => raw): SnapshotColumnReader => {
      const decode = compileValueDecoder(info, column.type, 0, where);
      return { expression, decode: (raw) => decode(convert(raw)) };
    };
    switch (column.type.kind) {
      case 'float':
        return binlog(`CAST(${ident} AS DOUBLE)`);
      case 'duration-micros':
        return {
          expression: ident,
          decode: (raw) => {
            if (typeof raw !== 'string') return fail(`expected TIME text, got ${typeof raw}`);
            try {
              return parseTimeText(raw, 'exact');
            } catch (err) {
              return fail((err as Error).message);
            }
          },
        };
      case 'uuid':
        return binlog(`CAST(${ident} AS BINARY(16))`);
      case 'enum':
        // Index 0 is the '' error value, which zongji hands over as undefined.
        return binlog(`${ident}+0`, (raw) => (Number(raw) === 0 ? undefined : String(raw)));
      case 'set':
        return binlog(`${ident}+0`, (raw) => setTokens(BigInt(raw as number | string)));
      case 'string':
        if (info.dataType === 'inet4' || info.dataType === 'inet6') return binlog(`CAST(${ident} AS BINARY(${info.dataType === 'inet4' ? 4 : 16}))`);
        if (info.characterSet === 'latin1') return binlog(`CAST(${ident} AS BINARY)`, (raw) => (Buffer.isBuffer(raw) ? raw.toString('latin1') : raw));
        return binlog(ident);
      default:
        return binlog(ident);
    }
  });
}

/** A SET's member bitmask → zongji's comma-joined 0-based member indexes. */
function setTokens(mask: bigint): string {
  const tokens: number[] = [];
  for (let i = 0; mask > 0n; i++, mask >>= 1n) if (mask & 1n) tokens.push(i);
  return tokens.join(',');
}

/** A row of the snapshot SELECT (positional aliases c0, c1, …) → canonical row, and its approximate size. */
export function compileSnapshotRowDecoder(schema: TableSchema, readers: readonly SnapshotColumnReader[]): (raw: Record<string, unknown>) => { row: Row; bytes: number } {
  const names = schema.columns.map((c) => c.name);
  const aliases = readers.map((_, i) => `c${i}`);
  return (raw) => {
    const row: Row = {};
    let bytes = 0;
    for (let i = 0; i < names.length; i++) {
      const value = raw[aliases[i]!];
      if (value === null || value === undefined) {
        row[names[i]!] = null;
        continue;
      }
      bytes += typeof value === 'string' ? value.length : Buffer.isBuffer(value) ? value.length : 8;
      row[names[i]!] = readers[i]!.decode(value);
    }
    return { row, bytes };
  };
}
