import type { ColumnType } from '../../src/model/column-type.js';
import { dateText, durationText, timeOfDayText, timestampText } from '../../src/replay/civil-time.js';

/** Turns one canonical value into the parameter mysql2 escapes into the statement for the rebuilt column. */
export type MysqlParamEncoder = (value: unknown) => unknown;

class UnwritableValue extends Error {}

const finite = (n: number, what: string): number => {
  if (!Number.isFinite(n)) throw new UnwritableValue(`${what} ${n} has no MySQL value`);
  return n;
};

/** Bits '0101…' → big-endian bytes (BIT columns take binary strings). */
function bitBytes(bits: string): Buffer {
  const bytes = Buffer.alloc(Math.ceil(bits.length / 8));
  const pad = bytes.length * 8 - bits.length;
  for (let i = 0; i < bits.length; i++) if (bits.charCodeAt(i) === 49) bytes[(i + pad) >> 3]! |= 0x80 >> ((i + pad) & 7);
  return bytes;
}

export function mysqlParamEncoder(type: ColumnType): MysqlParamEncoder {
  switch (type.kind) {
    case 'boolean':
      return (v) => (v ? 1 : 0);
    case 'int':
    case 'year':
      return (v) => v;
    case 'long':
      return (v) => (v as bigint).toString();
    case 'float':
    case 'double':
      return (v) => finite(v as number, type.kind);
    case 'decimal':
    case 'variable-decimal':
      return (v) => {
        if (!/^-?\d/.test(v as string)) throw new UnwritableValue(`decimal ${v as string} has no MySQL value`);
        return v;
      };
    case 'string':
    case 'json':
    case 'uuid':
    case 'enum':
      return (v) => v;
    case 'set':
      return (v) => (v as string[]).join(',');
    case 'bytes':
      return (v) => Buffer.from((v as Uint8Array).buffer, (v as Uint8Array).byteOffset, (v as Uint8Array).byteLength);
    case 'bits':
      return (v) => bitBytes(v as string);
    case 'date':
      // -Infinity is how logtap carries MySQL's zero date.
      return (v) => (v === -Infinity ? '0000-00-00' : dateText(finite(v as number, 'date')));
    case 'timestamp-micros':
      return (v) => {
        if (v === -Infinity) return '0000-00-00 00:00:00';
        if (typeof v !== 'bigint') throw new UnwritableValue(`timestamp ${String(v)} has no MySQL value`);
        return timestampText(v);
      };
    case 'time-micros':
      return (v) => timeOfDayText(v as bigint);
    case 'duration-micros':
      return (v) => durationText(v as bigint);
    case 'geometry':
      return (v) => {
        // MySQL's own geometry value: SRID (4 bytes, little-endian), then the WKB.
        const { srid, wkb } = v as { srid: number | null; wkb: Uint8Array };
        const head = Buffer.alloc(4);
        head.writeUInt32LE(srid ?? 0);
        return Buffer.concat([head, wkb]);
      };
    default:
      return () => {
        throw new UnwritableValue(`a ${type.kind} value has no MySQL column`);
      };
  }
}

export { UnwritableValue };
