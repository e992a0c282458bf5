import type avro from 'avsc';
import type { Row } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';
import { tableIdText } from '../model/table-schema.js';
import { EncodingError } from '../errors.js';
import { avroType } from './avro-type.js';
import { type ColumnCodec, ValueMismatch, columnCodec } from './column-codec.js';
import { type ColumnWriter, columnWriter } from './column-writer.js';
import { AvroWriter } from './binary-writer.js';
import type { AvroSchema } from './column-avro-type.js';
import type { FieldPlan } from './table-avro-schema.js';

/** Encodes rows of one table version to Avro binary bodies, and decodes them back, exactly. */
export interface RowCodec {
  readonly schema: AvroSchema;
  readonly type: avro.Type;
  /** `position` names the change in errors. */
  encode(row: Row, position?: string): Buffer;
  /** The record avsc writes for `row` (for embedding it in an envelope record). */
  lower(row: Row, position?: string): Record<string, unknown>;
  /** Appends the Avro body of `row` to `w` (the publishing hot path). */
  write(w: AvroWriter, row: Row, position?: string): void;
  decode(body: Buffer): Row;
}

interface CompiledField {
  column: string;
  field: string;
  nullable: boolean;
  /** Branch index of null in the field's union: 0, or after the value's branches when the field defaults to a value. */
  nullIndex: number;
  codec: ColumnCodec;
  writer: ColumnWriter;
}

// encode() writes here and copies out; nothing awaits in between, so one writer serves every codec.
const scratch = new AvroWriter();

export function compileRowCodec(table: TableSchema, part: { schema: AvroSchema; fields: FieldPlan[] }): RowCodec {
  // avsc compiles code per record type (tens of kB each): made on first decode only, since publishing never
  // needs it and a daemon holds a codec per table (thousands of tables: bench/many-tables).
  let compiled: avro.Type | undefined;
  const type = (): avro.Type => (compiled ??= avroType(part.schema));
  const fieldTypes = new Map(((part.schema as { fields?: Array<{ name: string; type: unknown }> }).fields ?? []).map((f) => [f.name, f.type]));
  const fields: CompiledField[] = part.fields.map(({ column, field }) => {
    const fieldType = fieldTypes.get(field);
    const nullIndex = Array.isArray(fieldType) ? fieldType.indexOf('null') : -1;
    return { column: column.name, field, nullable: column.nullable, nullIndex: Math.max(nullIndex, 0), codec: columnCodec(column.type), writer: columnWriter(column.type) };
  });
  const tableText = tableIdText(table.id);
  const fail = (column: string, position: string | undefined, reason: string): never => {
    throw new EncodingError(`cannot encode ${tableText}.${column}${position ? ` at ${position}` : ''}: ${reason}`);
  };

  /** The lowered value of a field, or null; a value that does not fit fails naming table, column and position. */
  const loweredValue = (f: CompiledField, row: Row, position: string | undefined): unknown => {
    const value = row[f.column];
    if (value === null || value === undefined) {
      if (!f.nullable) fail(f.column, position, value === undefined ? 'the value is missing' : 'null in a NOT NULL column');
      return null;
    }
    try {
      return f.codec.lower(value);
    } catch (err) {
      if (err instanceof ValueMismatch) fail(f.column, position, err.message);
      throw err;
    }
  };

  const lower = (row: Row, position?: string): Record<string, unknown> => {
    const record: Record<string, unknown> = {};
    for (const f of fields) record[f.field] = loweredValue(f, row, position);
    return record;
  };

  const write = (w: AvroWriter, row: Row, position?: string): void => {
    for (const f of fields) {
      const value = loweredValue(f, row, position);
      if (!f.nullable) f.writer.write(w, value, 0);
      else if (value === null) w.long(f.nullIndex);
      else {
        // The value's branches start after a leading null, at 0 before a trailing one.
        const offset = f.nullIndex === 0 ? 1 : 0;
        if (f.writer.isUnion) f.writer.write(w, value, offset);
        else {
          w.long(offset);
          f.writer.write(w, value, 0);
        }
      }
    }
  };

  return {
    schema: part.schema,
    get type() { return type(); },
    lower,
    write,
    encode: (row, position) => {
      scratch.reset();
      write(scratch, row, position);
      return scratch.take();
    },
    decode(body) {
      const record = type().fromBuffer(body) as Record<string, unknown>;
      const row: Row = {};
      for (const f of fields) {
        const value = record[f.field];
        row[f.column] = value === null || value === undefined ? null : f.codec.raise(value);
      }
      return row;
    },
  };
}
