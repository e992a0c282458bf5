import type { ChangeEvent, Row } from '../../src/model/change-event.js';
import { tableIdText } from '../../src/model/table-schema.js';
import type { TableVersion } from './relation-cache.js';

/*
 * A row moved to another partition. PostgreSQL executes an UPDATE that changes a row's partition as a
 * DELETE from the old partition and an INSERT into the new one, and logical decoding hands them over as
 * exactly that: a delete and an insert, adjacent in the transaction (pgoutput, PostgreSQL 15). Under
 * publish_via_partition_root both come as changes of the root. The translator holds a partitioned table's
 * delete until the next message and joins it with an insert that
 *   - follows at once (Relation messages in between are allowed; pgoutput sends one for the first change
 *     of each partition in a session), in the same transaction, of the same root table, and
 *   - has the same values in the key columns outside every partition key (TableVersion.moveIdentity;
 *     none for a keyless table or a key made of partition columns only: then any such insert joins).
 * The joined change is one update: `before` as the delete had it (the key, or the full row under REPLICA
 * IDENTITY FULL), `after` the inserted row; a changed key becomes a tombstone and the row, as for any
 * update that changes its key. A DELETE and an INSERT that the application wrote back to back and that
 * pass the same test are published as one update too: the table they leave is the same.
 *
 * Positions: the update takes the insert's position (the delete's index + 1), so a checkpoint covers both
 * halves or neither; a delete that joins nothing is handed over alone, at its own index, before the next
 * change. Which changes join depends only on the WAL and the table's key, so a restart inside the
 * transaction (resume-filter.ts) makes the same decision and skips whole changes.
 */

/** Whether `insert` is the second half of the row move whose first half is `held` (a delete). */
export function isPartitionMove(held: ChangeEvent, insert: ChangeEvent, version: TableVersion): boolean {
  if (version.moveIdentity === null || held.op !== 'd' || insert.op !== 'c') return false;
  if (held.txId !== insert.txId || tableIdText(held.table.id) !== tableIdText(insert.table.id)) return false;
  const before = held.before;
  const after = insert.after;
  if (!before || !after) return false;
  return version.moveIdentity.every((column) => column in before && sameValue(before[column], after[column]));
}

/** The one update a row move is. */
export function asMove(held: ChangeEvent, insert: ChangeEvent): ChangeEvent {
  return { ...insert, op: 'u', ...(held.before ? { before: held.before } : {}) };
}

function sameValue(a: Row[string], b: Row[string]): boolean {
  return canonicalText(a) === canonicalText(b);
}

/** Canonical values are JSON-like, with bigints and Buffers: compared by a text that keeps both apart. */
const canonicalText = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? 'undefined';
