import type { ColumnType } from '../model/column-type.js';
import { distinctAvroNames } from './avro-names.js';
import type { AvroWriter } from './binary-writer.js';
import { DECIMAL_SPECIAL_SYMBOLS } from './column-avro-type.js';

/**
 * Writes a column's value, already lowered by its ColumnCodec, in the Avro binary form of the column's
 * Avro type (column-avro-type.ts). A type whose Avro form is a union writes its own branch index,
 * counted from `offset` (1 when a null branch precedes it).
 */
export interface ColumnWriter {
  isUnion: boolean;
  write(w: AvroWriter, value: any, offset: number): void;
}

const plain = (write: (w: AvroWriter, v: any) => void): ColumnWriter => ({ isUnion: false, write: (w, v) => write(w, v) });
const SPECIAL_INDEX = new Map(Object.values(DECIMAL_SPECIAL_SYMBOLS).map((symbol, i) => [symbol, i]));

/** `[value type, DecimalSpecial]`: the special symbols are strings, every finite value is not. */
function withSpecials(inner: (w: AvroWriter, v: any) => void): ColumnWriter {
  return {
    isUnion: true,
    write: (w, v, offset) => {
      if (typeof v === 'string') {
        w.long(offset + 1);
        w.long(SPECIAL_INDEX.get(v)!);
      } else {
        w.long(offset);
        inner(w, v);
      }
    },
  };
}

function enumIndex(labels: string[]): (w: AvroWriter, symbol: string) => void {
  const index = new Map(distinctAvroNames(labels).map((s, i) => [s, i]));
  return (w, symbol) => w.long(index.get(symbol)!);
}

/** An Avro array: one block of all items, then the empty block. */
function writeArray(w: AvroWriter, items: unknown[], item: (w: AvroWriter, v: any) => void): void {
  if (items.length > 0) {
    w.long(items.length);
    for (const v of items) item(w, v);
  }
  w.long(0);
}

/** An item of `["null", element…]`. */
function nullableItem(element: ColumnWriter): (w: AvroWriter, v: any) => void {
  return (w, v) => {
    if (v === null) w.long(0);
    else if (element.isUnion) element.write(w, v, 1);
    else {
      w.long(1);
      element.write(w, v, 0);
    }
  };
}

export function columnWriter(type: ColumnType): ColumnWriter {
  switch (type.kind) {
    case 'boolean':
      return plain((w, v) => w.boolean(v));
    case 'int':
      return type.bits === 32 && type.unsigned ? plain((w, v) => w.bigLong(v)) : plain((w, v) => w.long(v));
    case 'long':
    case 'time-micros':
    case 'duration-micros':
    case 'timestamp-micros':
      return plain((w, v) => w.bigLong(v));
    case 'float':
      return plain((w, v) => w.float(v));
    case 'double':
      return plain((w, v) => w.double(v));
    case 'decimal': {
      const decimal = (w: AvroWriter, v: Buffer) => w.bytes(v);
      return type.specials ? withSpecials(decimal) : plain(decimal);
    }
    case 'variable-decimal': {
      const variable = (w: AvroWriter, v: { scale: number; value: Buffer }) => {
        w.long(v.scale);
        w.bytes(v.value);
      };
      return type.specials ? withSpecials(variable) : plain(variable);
    }
    case 'string':
    case 'json':
    case 'uuid':
      return plain((w, v) => w.string(v));
    case 'bytes':
      return plain((w, v) => w.bytes(v));
    case 'bits':
      return plain((w, v: { length: number; bits: Buffer }) => {
        w.long(v.length);
        w.bytes(v.bits);
      });
    case 'date':
    case 'year':
      return plain((w, v) => w.long(v));
    case 'time-tz':
      return plain((w, v: { micros: bigint; offsetSeconds: number }) => {
        w.bigLong(v.micros);
        w.long(v.offsetSeconds);
      });
    case 'interval':
      return plain((w, v: { months: number; days: number; micros: bigint }) => {
        w.long(v.months);
        w.long(v.days);
        w.bigLong(v.micros);
      });
    case 'enum':
      return plain(enumIndex(type.symbols));
    case 'set': {
      const index = enumIndex(type.symbols);
      return plain((w, v: string[]) => writeArray(w, v, index));
    }
    case 'array': {
      let items = nullableItem(columnWriter(type.element));
      for (let d = 1; d < type.dimensions; d++) {
        const inner = items;
        items = (w, v) => writeArray(w, v, inner);
      }
      const outer = items;
      return plain((w, v) => writeArray(w, v, outer));
    }
    case 'geometry':
      return plain((w, v: { srid: number | null; wkb: Buffer }) => {
        if (v.srid === null) w.long(0);
        else {
          w.long(1);
          w.long(v.srid);
        }
        w.bytes(v.wkb);
      });
  }
}
