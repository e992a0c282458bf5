import type { ColumnType } from '../../src/model/column-type.js';
import { latin1BytesToText } from './latin1.js';
import { inet4Text, inet6Text, uuidText } from './mariadb-inet.js';
import type { MysqlColumnInfo } from './mysql-column-info.js';
import { ValueDecodeError } from './mysql-errors.js';
import { WIRE } from './binlog-column-types.js';
import { parseDateText, parseDateTimeText, parseTimeText, type TimeTextForm } from './temporal-text.js';
import { readDatetime2, readNewDecimal, readTimestamp2 } from './binlog-binary-values.js';

/** Turns one non-null value as zongji hands it over (bound table map, EXACT_ZONGJI_CONNECTION_OPTIONS) into its canonical form. */
export type ValueDecoder = (raw: unknown) => unknown;

export interface DecodeOptions {
  /**
   * What a zero DATE/DATETIME/TIMESTAMP ('0000-00-00 00:00:00') becomes. 'error' (default) stops with an error
   * naming the column; 'negative-infinity' carries it as -Infinity, a sentinel no real MySQL date can take.
   * Dates with only some parts zero ('2020-00-15') have no day number and are always an error.
   */
  zeroDates?: 'error' | 'negative-infinity';
}

/** 2^32 seconds: zongji reads TIMESTAMP2 seconds as signed 32-bit, MariaDB ≥ 11.5 stores them unsigned (to 2106). */
const TIMESTAMP_WRAP_MICROS = 4_294_967_296_000_000n;

/**
 * Builds the decoder of one column once per table version; `binlogType` is the column's type code in the TableMap
 * (it decides how zongji printed a TIME); `where` names the column in errors.
 */
export function compileValueDecoder(info: MysqlColumnInfo, type: ColumnType, binlogType: number, where: string, options: DecodeOptions = {}): ValueDecoder {
  const fail = (message: string): never => {
    throw new ValueDecodeError(where, message);
  };
  const unexpected = (raw: unknown, expected: string): never =>
    fail(`expected ${expected} from zongji, got ${describe(raw)} (are EXACT_ZONGJI_CONNECTION_OPTIONS set and the table map bound?)`);
  const zeroDate = (raw: string): number => {
    if (options.zeroDates === 'negative-infinity') return Number.NEGATIVE_INFINITY;
    return fail(`zero date ${JSON.stringify(raw)} has no exact value (decode option zeroDates: 'negative-infinity' carries it as -Infinity)`);
  };
  /** A value read from its row image bytes; a failure names the column (no closure per value, unlike guard). */
  const fromImage = <T>(read: (bytes: Uint8Array, fsp: number) => T, bytes: Uint8Array, fsp: number): T => {
    try {
      return read(bytes, fsp);
    } catch (err) {
      return fail((err as Error).message);
    }
  };
  const guard = <T>(parse: () => T): T => {
    try {
      return parse();
    } catch (err) {
      return fail((err as Error).message);
    }
  };

  switch (type.kind) {
    case 'int':
    case 'float':
    case 'double':
      return (raw) => (typeof raw === 'number' ? raw : unexpected(raw, 'a number'));

    case 'long':
      // BIGINT beyond ±2^53 arrives as an exact decimal string.
      return (raw) => (typeof raw === 'number' ? BigInt(raw) : typeof raw === 'string' ? guard(() => BigInt(raw)) : unexpected(raw, 'a number or string'));

    case 'decimal': {
      if (info.dataType === 'bigint') {
        return (raw) => (typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw : unexpected(raw, 'a number or string'));
      }
      // Bytes when the table map was bound to hand them over (binlog precision = introspected precision).
      const precision = info.numericPrecision ?? 0;
      const scale = info.numericScale ?? 0;
      return (raw) => {
        if (typeof raw === 'string') return raw;
        if (!(raw instanceof Uint8Array) || binlogType !== WIRE.NEWDECIMAL) return unexpected(raw, 'an exact decimal string');
        try {
          return readNewDecimal(raw, precision, scale);
        } catch (err) {
          return fail((err as Error).message);
        }
      };
    }

    case 'year':
      // zongji adds 1900 to the stored byte; YEAR 0000 is stored as 0.
      return (raw) => (raw === 1900 ? 0 : typeof raw === 'number' ? raw : unexpected(raw, 'a number'));

    case 'date':
      return (raw) => {
        if (typeof raw !== 'string') return unexpected(raw, 'date text');
        return guard(() => parseDateText(raw)) ?? zeroDate(raw);
      };

    case 'timestamp-micros': {
      // Bytes when the table map was bound to hand them over (binlog fsp = introspected fsp), else text.
      const fsp = info.datetimePrecision ?? 0;
      const zeroText = `0000-00-00 00:00:00${fsp > 0 ? `.${'0'.repeat(fsp)}` : ''}`;
      if (type.zoned) {
        return (raw) => {
          if (raw instanceof Uint8Array && binlogType === WIRE.TIMESTAMP2) return fromImage(readTimestamp2, raw, fsp) ?? zeroDate(zeroText);
          if (typeof raw !== 'string') return unexpected(raw, 'timestamp text');
          const micros = guard(() => parseDateTimeText(raw));
          if (micros === undefined) return zeroDate(raw);
          return micros < 0n ? micros + TIMESTAMP_WRAP_MICROS : micros;
        };
      }
      return (raw) => {
        if (raw instanceof Uint8Array && binlogType === WIRE.DATETIME2) return fromImage(readDatetime2, raw, fsp) ?? zeroDate(zeroText);
        if (typeof raw !== 'string') return unexpected(raw, 'datetime text');
        return guard(() => parseDateTimeText(raw)) ?? zeroDate(raw);
      };
    }

    case 'duration-micros': {
      const form = timeTextForm(binlogType, info) ?? fail(`TIME arrives as binlog type ${binlogType}`);
      return (raw) => (typeof raw === 'string' ? guard(() => parseTimeText(raw, form)) : unexpected(raw, 'time text'));
    }

    case 'string':
      if (info.dataType === 'inet4' || info.dataType === 'inet6') {
        const format = info.dataType === 'inet4' ? inet4Text : inet6Text;
        const width = info.dataType === 'inet4' ? 4 : 16;
        return (raw) => (raw instanceof Uint8Array && raw.length === width ? format(raw) : unexpected(raw, `${width} bytes`));
      }
      if (info.characterSet === 'latin1') {
        // One code unit per byte (the bound `binary` charset); anything above U+00FF means zongji decoded it itself.
        return (raw) => (typeof raw === 'string' && !BEYOND_BYTE.test(raw) ? latin1BytesToText(raw) : unexpected(raw, 'latin1 text one character per byte'));
      }
      return (raw) => (typeof raw === 'string' ? raw : unexpected(raw, `text (zongji cannot decode charset ${info.characterSet})`));

    case 'json':
      return (raw) => (typeof raw === 'string' ? raw : unexpected(raw, 'JSON text'));

    case 'bytes':
      return (raw) => (raw instanceof Uint8Array ? raw : unexpected(raw, 'bytes'));

    case 'uuid':
      return (raw) => (raw instanceof Uint8Array && raw.length === 16 ? uuidText(raw) : unexpected(raw, '16 bytes'));

    case 'bits': {
      const length = type.length ?? 1;
      const byteLength = Math.ceil(length / 8);
      return (raw) => {
        if (!(raw instanceof Uint8Array) || raw.length !== byteLength) return unexpected(raw, `${byteLength} bytes`);
        let text = '';
        for (let i = 0; i < byteLength; i++) text += BYTE_BITS[raw[i]!];
        // Big-endian, so the unused high bits lead; they are zero for any value the column can hold.
        const spare = text.length - length;
        if (spare > 0 && text.slice(0, spare).includes('1')) return fail(`BIT(${length}) value ${text} has bits beyond the width`);
        return spare > 0 ? text.slice(spare) : text;
      };
    }

    case 'enum': {
      const labels = info.labels ?? [];
      return (raw) => {
        // Index 0 — the '' error value — is `undefined` (zongji looks up token[-1]).
        if (raw === undefined) return '';
        if (typeof raw !== 'string') return unexpected(raw, 'an ENUM index token');
        const label = labels[Number(raw) - 1];
        return label ?? unexpected(raw, `an ENUM index token 1…${labels.length}`);
      };
    }

    case 'set': {
      const labels = info.labels ?? [];
      return (raw) => {
        if (typeof raw !== 'string') return unexpected(raw, 'SET index tokens');
        if (raw === '') return [];
        return raw.split(',').map((token) => labels[Number(token)] ?? unexpected(raw, `SET index tokens 0…${labels.length - 1}`));
      };
    }

    case 'geometry':
      // MySQL's internal geometry value: 4-byte little-endian SRID, then WKB.
      return (raw) => {
        if (!(raw instanceof Uint8Array) || raw.length < 9) return unexpected(raw, 'SRID + WKB bytes');
        const srid = (raw[0]! | (raw[1]! << 8) | (raw[2]! << 16) | (raw[3]! << 24)) >>> 0;
        return { srid, wkb: raw.subarray(4) };
      };

    default:
      return fail(`no MySQL decoder for column type ${type.kind}`);
  }
}

function timeTextForm(binlogType: number, info: MysqlColumnInfo): TimeTextForm | undefined {
  if (binlogType === WIRE.TIME2) return 'time2';
  if (binlogType === WIRE.TIME) return (info.datetimePrecision ?? 0) > 0 ? 'exact' : 'classic';
  return undefined;
}

const BEYOND_BYTE = /[^\u0000-\u00ff]/;

const BYTE_BITS = Array.from({ length: 256 }, (_, byte) => byte.toString(2).padStart(8, '0'));

function describe(raw: unknown): string {
  if (raw === undefined) return 'undefined';
  if (raw instanceof Uint8Array) return `${raw.length} bytes`;
  if (typeof raw === 'object' && raw !== null) return raw.constructor.name;
  return `${typeof raw} ${JSON.stringify(raw)}`;
}
