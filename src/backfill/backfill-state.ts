import type { TableId } from '../model/table-schema.js';
import { tableIdText } from '../model/table-schema.js';

/**
 * What a backfill has published, checkpointed with the stream position (the Checkpoint record's `snapshot`
 * field): the tables still to backfill in order, and of the first one the last key of its last published
 * chunk. Requests (signals) whose tables are all done are remembered, the latest few, for `logtap snapshot`
 * to see them finish.
 */
export interface BackfillState {
  /** Tables still to backfill; the first is being read. */
  queue: QueuedTable[];
  /** Ids of recent requests whose every table is done, newest last (at most KEEP_COMPLETED). */
  completed: string[];
}

export interface QueuedTable {
  table: TableId;
  /** Key text of the last published row's chunk bound; null: nothing published of this table yet. */
  after: string[] | null;
  /** Rows published so far (for progress). */
  rows: number;
  /** The request (signal row id) that asked for it. */
  request: string;
}

const KEEP_COMPLETED = 16;
const VERSION = 'backfill1';

export const emptyBackfillState = (): BackfillState => ({ queue: [], completed: [] });

export function encodeBackfillState(state: BackfillState): string | null {
  if (state.queue.length === 0 && state.completed.length === 0) return null;
  return JSON.stringify({ v: VERSION, queue: state.queue, completed: state.completed });
}

/** Reads encodeBackfillState's text (null: no backfill); throws an Error naming what is wrong. */
export function decodeBackfillState(text: string | null): BackfillState {
  if (text === null || text === '') return emptyBackfillState();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('the checkpoint\'s backfill state is not JSON');
  }
  const v = value as { v?: unknown; queue?: unknown; completed?: unknown };
  if (v.v !== VERSION || !Array.isArray(v.queue) || !Array.isArray(v.completed)) {
    throw new Error(`the checkpoint's backfill state is not a ${VERSION} state`);
  }
  const queue = v.queue.map((q: unknown): QueuedTable => {
    const e = q as Partial<QueuedTable>;
    const after = e.after;
    if (!e.table || typeof e.table.namespace !== 'string' || typeof e.table.name !== 'string' || typeof e.rows !== 'number' || typeof e.request !== 'string'
      || !(after === null || (Array.isArray(after) && after.every((k) => typeof k === 'string')))) {
      throw new Error('the checkpoint\'s backfill state holds a malformed table entry');
    }
    return { table: { namespace: e.table.namespace, name: e.table.name }, after: after ?? null, rows: e.rows, request: e.request };
  });
  return { queue, completed: v.completed.map(String) };
}

/** Adds a request's tables to the queue (a table already queued stays where it is, under its first request). */
export function enqueue(state: BackfillState, request: string, tables: readonly TableId[]): BackfillState {
  if (state.completed.includes(request) || state.queue.some((q) => q.request === request)) return state;
  const queued = new Set(state.queue.map((q) => tableIdText(q.table)));
  const added = tables.filter((t) => !queued.has(tableIdText(t))).map((table): QueuedTable => ({ table, after: null, rows: 0, request }));
  // Every table already queued: the request completes with the request that queued them.
  if (added.length === 0) return { ...state, completed: [...state.completed, request].slice(-KEEP_COMPLETED) };
  return { ...state, queue: [...state.queue, ...added] };
}

/**
 * Queues `table` for a whole new pass under `request` (its rows changed without row events): a pass that is under
 * way — the head of the queue, or one with rows published — has published rows older than now, so a new pass
 * goes to the end; a queued pass not yet begun reads the current rows anyway and is enough.
 */
export function enqueueAgain(state: BackfillState, request: string, table: TableId): BackfillState {
  const key = tableIdText(table);
  const waiting = state.queue.some((q, i) => i > 0 && q.after === null && tableIdText(q.table) === key);
  if (waiting) return { ...state, completed: [...state.completed, request].slice(-KEEP_COMPLETED) };
  return { ...state, queue: [...state.queue, { table, after: null, rows: 0, request }] };
}

/** The first table's chunk up to `upTo` is published (`rows` rows); null `upTo`: the table is done. */
export function chunkPublished(state: BackfillState, upTo: string[] | null, rows: number): BackfillState {
  const [head, ...rest] = state.queue;
  if (!head) return state;
  if (upTo !== null) return { ...state, queue: [{ ...head, after: upTo, rows: head.rows + rows }, ...rest] };
  return finishHead(state, rest);
}

/** The first table is dropped (it cannot be backfilled); its request may be complete. */
export function skipHead(state: BackfillState): BackfillState {
  return finishHead(state, state.queue.slice(1));
}

function finishHead(state: BackfillState, rest: QueuedTable[]): BackfillState {
  const head = state.queue[0]!;
  const completed = rest.some((q) => q.request === head.request) ? state.completed : [...state.completed, head.request].slice(-KEEP_COMPLETED);
  return { queue: rest, completed };
}
