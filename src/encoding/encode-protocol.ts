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
  | { kind: 'encode'; batch: number; changes: WireChange[] };

export type FromWorker = { kind: 'encoded'; batch: number } & PackedRecords;

/** A change as it crosses to a worker: its table version by number, its position by token. */
export interface WireChange {
  table: number;
  op: Operation;
  after?: Row;
  before?: Row;
  token: string;
  txId?: string;
  commitTimeMicros?: bigint;
  snapshot: boolean;
  /** A streamed change's event id base (counted in log order on the main thread: event-id.ts). */
  idBase?: string;
}

export const toWire = (event: ChangeEvent, table: number, idBase: string | undefined): WireChange => {
  const change: WireChange = { table, op: event.op, token: event.position.token, snapshot: event.snapshot };
  if (event.after !== undefined) change.after = event.after;
  if (event.before !== undefined) change.before = event.before;
  if (event.txId !== undefined) change.txId = event.txId;
  if (event.commitTimeMicros !== undefined) change.commitTimeMicros = event.commitTimeMicros;
  if (idBase !== undefined) change.idBase = idBase;
  return change;
};

export const fromWire = (change: WireChange, table: TableSchema): ChangeEvent => {
  const event: ChangeEvent = { table, op: change.op, position: { token: change.token, display: change.token }, snapshot: change.snapshot };
  if (change.after !== undefined) event.after = change.after;
  if (change.before !== undefined) event.before = change.before;
  if (change.txId !== undefined) event.txId = change.txId;
  if (change.commitTimeMicros !== undefined) event.commitTimeMicros = change.commitTimeMicros;
  return event;
};

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
