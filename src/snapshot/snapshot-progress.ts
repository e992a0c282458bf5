import type { TableId } from '../model/table-schema.js';
import type { SourcePosition } from '../model/change-event.js';
import { ConfigError } from '../errors.js';

/**
 * How far a snapshot got, for connectors to embed in their position tokens: every table ordered before
 * `table` (by `compareTables`) is published, and of `table` the rows with a key up to `after` (the key
 * columns' text, in key order), or all of them when `after` is null (`done`). Null progress: nothing yet.
 */
export type SnapshotProgress = { table: TableId; after: string[] } | { table: TableId; done: true };

/** The order tables are snapshotted in, the same on every run: by `namespace.table`, code unit by code unit. */
export function compareTables(a: TableId, b: TableId): number {
  const x = `${a.namespace}.${a.name}`;
  const y = `${b.namespace}.${b.name}`;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Compact, readable text: `["public","orders",["42"]]` or `["public","orders",true]` (done). */
export function encodeProgress(progress: SnapshotProgress | null): string {
  if (progress === null) return '';
  const tail = 'done' in progress ? true : progress.after;
  return JSON.stringify([progress.table.namespace, progress.table.name, tail]);
}

/** Reads encodeProgress's text; throws an Error saying what is wrong (callers add the token's context). */
export function decodeProgress(text: string): SnapshotProgress | null {
  if (text === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('snapshot progress is not JSON');
  }
  if (!Array.isArray(value) || value.length !== 3 || typeof value[0] !== 'string' || typeof value[1] !== 'string') {
    throw new Error('snapshot progress is not [namespace, table, key or true]');
  }
  const table = { namespace: value[0], name: value[1] };
  const tail: unknown = value[2];
  if (tail === true) return { table, done: true };
  if (Array.isArray(tail) && tail.length > 0 && tail.every((k) => typeof k === 'string')) return { table, after: tail as string[] };
  throw new Error('snapshot progress names no key (expected a non-empty array of key texts, or true)');
}

/** Whether the table lies entirely before the progress point (already published). */
export function tablePublished(table: TableId, progress: SnapshotProgress | null): boolean {
  if (progress === null) return false;
  const order = compareTables(table, progress.table);
  return order < 0 || (order === 0 && 'done' in progress);
}

/** Where reading the table starts: after this key (null: from its first row). */
export function resumeKey(table: TableId, progress: SnapshotProgress | null): string[] | null {
  if (progress === null || 'done' in progress || compareTables(table, progress.table) !== 0) return null;
  return progress.after;
}

/** A readable form for logs and position displays. */
export function describeProgress(progress: SnapshotProgress | null): string {
  if (progress === null) return 'nothing published yet';
  const table = `${progress.table.namespace}.${progress.table.name}`;
  return 'done' in progress ? `${table} done` : `${table} up to key (${progress.after.join(', ')})`;
}

/** How one connector spells its stream positions, for the snapshot tokens that wrap them. */
export interface SnapshotTokenCodec<S> {
  /** Versioned, e.g. `pgsnap1:`. */
  prefix: string;
  /** For messages, e.g. `PostgreSQL`. */
  database: string;
  /** The stream token, with no `|` (escape it if the connector's tokens may hold one). */
  streamToken(stream: S): string;
  parseStream(text: string): S;
  describeStream(stream: S): string;
}

export interface SnapshotTokenPosition<S> {
  stream: S;
  progress: SnapshotProgress | null;
}

/** `<prefix><stream token>|<progress>`: where streaming continues once the snapshot is published, and which rows are. */
export function snapshotToken<S>(codec: SnapshotTokenCodec<S>, position: SnapshotTokenPosition<S>): string {
  return `${codec.prefix}${codec.streamToken(position.stream)}|${encodeProgress(position.progress)}`;
}

export function snapshotSourcePosition<S>(codec: SnapshotTokenCodec<S>, position: SnapshotTokenPosition<S>): SourcePosition {
  return {
    token: snapshotToken(codec, position),
    display: `snapshot (then ${codec.describeStream(position.stream)}): ${describeProgress(position.progress)}`,
  };
}

/** Reads a token snapshotToken wrote; anything else is a ConfigError. */
export function parseSnapshotToken<S>(codec: SnapshotTokenCodec<S>, token: string): SnapshotTokenPosition<S> {
  const shown = JSON.stringify(token.length > 80 ? `${token.slice(0, 80)}…` : token);
  const fail = (why: string): never => {
    throw new ConfigError(`checkpoint position ${shown} is not a ${codec.database} snapshot position of this logtap version (${why}): was the checkpoint written by another connector?`);
  };
  if (!token.startsWith(codec.prefix)) return fail(`expected ${codec.prefix}<stream position>|<progress>`);
  const body = token.slice(codec.prefix.length);
  const bar = body.indexOf('|');
  if (bar < 0) return fail('no | between stream position and progress');
  const stream = codec.parseStream(body.slice(0, bar));
  let progress: SnapshotProgress | null;
  try {
    progress = decodeProgress(body.slice(bar + 1));
  } catch (err) {
    return fail((err as Error).message);
  }
  return { stream, progress };
}
