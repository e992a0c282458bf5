import type { TableId } from '../model/table-schema.js';

/** The `type` column of the signal table (Debezium's names where Debezium has one). */
export const SIGNAL = {
  /** data: `{"data-collections": ["ns.table", …], "connector": "<name>"}` — written by `logtap snapshot`. */
  executeSnapshot: 'execute-snapshot',
  /** A chunk's low watermark; id `<window>-open`. */
  windowOpen: 'snapshot-window-open',
  /** A chunk's high watermark; id `<window>-close`. */
  windowClose: 'snapshot-window-close',
} as const;

export interface SnapshotRequestData {
  tables: TableId[];
  /** The connector the request is for; null: every connector that captures the signal table. */
  connector: string | null;
}

export function executeSnapshotData(tables: readonly TableId[], connector: string): string {
  return JSON.stringify({ 'data-collections': tables.map((t) => `${t.namespace}.${t.name}`), connector });
}

/** Reads an execute-snapshot row's data; throws an Error saying what is wrong. */
export function parseExecuteSnapshotData(data: unknown): SnapshotRequestData {
  let value: unknown;
  try {
    value = JSON.parse(String(data));
  } catch {
    throw new Error('data is not JSON');
  }
  const collections = (value as { 'data-collections'?: unknown })['data-collections'];
  if (!Array.isArray(collections) || collections.length === 0 || !collections.every((c) => typeof c === 'string' && /^[^.]+\.[^.]+$/.test(c))) {
    throw new Error('data-collections is not a non-empty list of namespace.table names');
  }
  const connector = (value as { connector?: unknown }).connector;
  return {
    tables: (collections as string[]).map((c) => ({ namespace: c.slice(0, c.indexOf('.')), name: c.slice(c.indexOf('.') + 1) })),
    connector: typeof connector === 'string' ? connector : null,
  };
}
