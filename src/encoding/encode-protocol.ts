import type { ChangeEvent, Operation, Row } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';
import type { KafkaRecord } from '../events/kafka-record.js';
import type { PreparedTable } from '../events/table-records.js';

/**
 * The messages between the pool (main thread) and an encoding worker. Changes travel as plain data (structured
 * clone) with their table version as a number; records come back packed: every key and value in one buffer that
 * is transferred, not copied, and the topics and headers in one string.
 */
export type ToWorker =
  | { kind: 'prepare'; id: number; table: PreparedTable }
  | { kind: 'encode'; batch: number; changes: unknown[] };

export type FromWorker = { kind: 'encoded'; batch: number } & PackedRecords;

/**
 * Changes as they cross to a worker: one flat array of plain values, which structured clone copies about twice as
 * fast as the same changes as objects (no property names per row). Per change: its table version (a number), its
 * operation, flags (snapshot, has after, has before), position token, transaction id, commit time, event id base
 * (a streamed change's, counted in log order on the main thread: event-id.ts), then the after and before rows'
 * values in the table's column order.
 */
export class WireChanges {
  readonly values: unknown[] = [];

  push(event: ChangeEvent, table: number, idBase: string | undefined): void {
    const v = this.values;
    const flags = (event.snapshot ? 1 : 0) | (event.after ? 2 : 0) | (event.before ? 4 : 0);
    v.push(table, event.op, flags, event.position.token, event.txId, event.commitTimeMicros, idBase);
    const { columns } = event.table;
    if (event.after) for (const c of columns) v.push(event.after[c.name]);
    if (event.before) for (const c of columns) v.push(event.before[c.name]);
  }
}

/** The changes of a WireChanges array, each with its event id base (undefined: a snapshot row's, made from its key). */
export function* readChanges(values: unknown[], tableOf: (id: number) => TableSchema): Generator<{ table: number; event: ChangeEvent; idBase: string | undefined }> {
  let at = 0;
  const row = (table: TableSchema): Row => {
    const r: Row = {};
    for (const c of table.columns) {
      const value = values[at++];
      // A value the change does not carry (an unchanged TOASTed value) stays absent, as in the source's row.
      if (value !== undefined) r[c.name] = value;
    }
    return r;
  };
  while (at < values.length) {
    const id = values[at++] as number;
    const table = tableOf(id);
    const op = values[at++] as Operation;
    const flags = values[at++] as number;
    const token = values[at++] as string;
    const txId = values[at++] as string | undefined;
    const commitTimeMicros = values[at++] as bigint | undefined;
    const idBase = values[at++] as string | undefined;
    const event: ChangeEvent = { table, op, position: { token, display: token }, snapshot: (flags & 1) !== 0 };
    if (txId !== undefined) event.txId = txId;
    if (commitTimeMicros !== undefined) event.commitTimeMicros = commitTimeMicros;
    if (flags & 2) event.after = row(table);
    if (flags & 4) event.before = row(table);
    yield { table: id, event, idBase };
  }
}

/**
 * The records of a batch of changes. `layout` per change: its record count; per record: key offset, key length
 * (−1: null), value offset, value length (−1: tombstone), partition (−1: by key), header count. `text`: per record
 * its topic, then its header names and values, each ended by NUL (no topic, header name or value holds one).
 * `failedAt`: the change that could not be encoded (the changes before it are packed), with its error.
 */
export interface PackedRecords {
  bytes: ArrayBuffer;
  layout: Int32Array;
  text: string;
  failedAt?: number;
  error?: { message: string; encoding: boolean };
}

const SEPARATOR = '\u0000';
const PER_RECORD = 6;

export function packRecords(changes: KafkaRecord[][]): Omit<PackedRecords, 'failedAt' | 'error'> {
  let size = 0;
  let records = 0;
  for (const list of changes) {
    records += list.length;
    for (const r of list) size += (r.key?.length ?? 0) + (r.value?.length ?? 0);
  }
  const bytes = new ArrayBuffer(size);
  const out = new Uint8Array(bytes);
  const layout = new Int32Array(changes.length + records * PER_RECORD);
  const text: string[] = [];
  let at = 0;
  let pos = 0;
  const put = (b: Buffer | null): void => {
    if (b === null) {
      layout[at++] = 0;
      layout[at++] = -1;
      return;
    }
    out.set(b, pos);
    layout[at++] = pos;
    layout[at++] = b.length;
    pos += b.length;
  };
  for (const list of changes) {
    layout[at++] = list.length;
    for (const r of list) {
      put(r.key);
      put(r.value);
      layout[at++] = r.partition ?? -1;
      const names = Object.keys(r.headers);
      layout[at++] = names.length;
      text.push(r.topic);
      for (const name of names) text.push(name, r.headers[name]!);
    }
  }
  return { bytes, layout, text: text.length > 0 ? text.join(SEPARATOR) + SEPARATOR : '' };
}

/** The records of each packed change, in order; keys and values are views of the transferred buffer. */
export function unpackRecords(packed: PackedRecords, changes: number): KafkaRecord[][] {
  const bytes = Buffer.from(packed.bytes);
  const { layout } = packed;
  const text = packed.text.split(SEPARATOR);
  const result: KafkaRecord[][] = new Array(changes);
  let at = 0;
  let t = 0;
  const take = (): Buffer | null => {
    const offset = layout[at++]!;
    const length = layout[at++]!;
    return length < 0 ? null : bytes.subarray(offset, offset + length);
  };
  for (let c = 0; c < changes; c++) {
    const count = layout[at++]!;
    const list: KafkaRecord[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const key = take();
      const value = take();
      const partition = layout[at++]!;
      const headerCount = layout[at++]!;
      const topic = text[t++]!;
      const headers: Record<string, string> = {};
      for (let h = 0; h < headerCount; h++) headers[text[t++]!] = text[t++]!;
      const record: KafkaRecord = { topic, key, value, headers };
      if (partition >= 0) record.partition = partition;
      list[i] = record;
    }
    result[c] = list;
  }
  return result;
}
