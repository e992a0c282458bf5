import { ConfigError } from '../errors.js';
import type { ChangeEvent, Row } from '../model/change-event.js';
import type { Column, TableId, TableSchema } from '../model/table-schema.js';
import { tableIdText } from '../model/table-schema.js';
import type { ColumnMask, ColumnSettings } from '../config/table-settings.js';
import { maskFunction, maskName } from './column-mask.js';

/** The column settings that apply to a table, with the `tables:` key they came from (for error messages). */
export type ColumnSettingsFor = (id: TableId) => { key: string; columns: ColumnSettings } | undefined;

interface Shape {
  table: TableSchema;
  /** The published columns with the mask of each (null: its value as is). */
  columns: Array<{ name: string; mask: ((value: unknown) => unknown) | null }>;
}

/**
 * Applies the configured column settings (include, exclude, mask) to every change as it enters the pipeline,
 * whichever path it came by (initial snapshot, online backfill, stream): the table version loses its excluded
 * columns and records its masks, and each row carries only the published columns, masked. A table version is
 * shaped once. Names of columns a table lacks are ignored: a glob entry covers tables of different shapes, and
 * dropping an excluded column must not stop the stream.
 */
export class TableShaper {
  private readonly shapes = new WeakMap<TableSchema, Shape | null>();

  constructor(private readonly settingsFor: ColumnSettingsFor, private readonly salt: string | undefined) {}

  /** The table version as published (the same object when no setting applies). */
  table(table: TableSchema): TableSchema {
    return this.shapeOf(table)?.table ?? table;
  }

  event(event: ChangeEvent): ChangeEvent {
    const shape = this.shapeOf(event.table);
    if (!shape) return event;
    const shaped: ChangeEvent = { ...event, table: shape.table };
    if (event.after) shaped.after = shapeRow(shape, event.after);
    if (event.before) shaped.before = shapeRow(shape, event.before);
    return shaped;
  }

  private shapeOf(table: TableSchema): Shape | null {
    let shape = this.shapes.get(table);
    if (shape === undefined) {
      const found = this.settingsFor(table.id);
      shape = found ? shapeTable(table, found.key, found.columns, this.salt) : null;
      this.shapes.set(table, shape);
    }
    return shape;
  }
}

function shapeRow(shape: Shape, row: Row): Row {
  const out: Row = {};
  for (const { name, mask } of shape.columns) {
    const value = row[name];
    // undefined: the change does not carry the value (an unchanged TOASTed one); it stays missing.
    out[name] = mask && value !== undefined ? mask(value) : value;
  }
  return out;
}

/** The published shape of a table version, or null when the settings change nothing; a ConfigError for settings it cannot take. */
export function shapeTable(table: TableSchema, key: string, settings: ColumnSettings, salt: string | undefined): Shape | null {
  const name = tableIdText(table.id);
  const where = `tables.${JSON.stringify(key)}.columns`;
  const include = settings.include && new Set(settings.include);
  const exclude = new Set(settings.exclude ?? []);
  const masks = settings.mask ?? {};
  const published = (c: Column) => (include ? include.has(c.name) : !exclude.has(c.name));
  for (const keyColumn of table.key) {
    const column = table.columns.find((c) => c.name === keyColumn);
    if (column && !published(column)) {
      throw new ConfigError(`${where}: column ${JSON.stringify(keyColumn)} of table ${name} is a key column (primary key or replica identity) and cannot be left out — ${include ? 'add it to include' : 'remove it from exclude'}`);
    }
    if (masks[keyColumn] !== undefined) {
      throw new ConfigError(`${where}.mask: column ${JSON.stringify(keyColumn)} of table ${name} is a key column (primary key or replica identity) and cannot be masked — remove its mask`);
    }
  }
  const columns: Column[] = [];
  const plan: Shape['columns'] = [];
  let changed = false;
  for (const column of table.columns) {
    if (!published(column)) {
      changed = true;
      continue;
    }
    const mask = masks[column.name];
    if (mask === undefined) {
      columns.push(column);
      plan.push({ name: column.name, mask: null });
      continue;
    }
    if (typeof mask === 'object' && column.type.kind !== 'string') {
      throw new ConfigError(`${where}.mask: column ${JSON.stringify(column.name)} of table ${name} is ${column.sourceType} (${column.type.kind}), not a string: truncate masks only string columns — use hash or null`);
    }
    const fn = maskFunction(mask, salt);
    columns.push(maskedColumn(column, mask, fn));
    plan.push({ name: column.name, mask: fn });
    changed = true;
  }
  if (!changed) return null;
  const shaped: TableSchema = { ...table, columns };
  if (table.unpublished) {
    const unpublished = table.unpublished.filter((c) => published(c));
    if (unpublished.length > 0) shaped.unpublished = unpublished;
    else delete shaped.unpublished;
  }
  return { table: shaped, columns: plan };
}

/** The column as its masked values describe it: a hash is text, a null mask makes it nullable. */
function maskedColumn(column: Column, mask: ColumnMask, fn: (value: unknown) => unknown): Column {
  const masked: Column = { ...column, mask: maskName(mask) };
  if (column.missingValue !== undefined && column.missingValue !== null) masked.missingValue = fn(column.missingValue);
  if (mask === 'null') {
    masked.nullable = true;
  } else if (mask === 'hash') {
    // A 64-character hex digest in any database replay writes to; the source's definition no longer fits it.
    masked.type = { kind: 'string' };
    masked.sourceType = 'text';
    for (const k of ['charset', 'collation', 'onUpdate', 'autoIncrement', 'identity', 'generated', 'domain', 'defaultExpression'] as const) delete masked[k];
  }
  return masked;
}
