import { ConfigError } from '../../src/errors.js';
import type { SourcePosition } from '../../src/model/change-event.js';
import { formatLsn, parseLsn } from './lsn.js';
import { completePosition, coveredBelow, parsePosition, toSourcePosition } from './pg-position.js';
import type { SlotState } from './slot.js';

/**
 * A position a user gives `logtap offsets set`: an LSN (`0/16B3748`, every transaction committing below it
 * counts as published) or a checkpoint token as `offsets show` prints it (`pg1:0/16B3748`, `pg1:…#k`).
 */
export function parseUserPosition(text: string): SourcePosition {
  const trimmed = text.trim();
  if (trimmed.startsWith('pg1:')) return toSourcePosition(parsePosition(trimmed));
  try {
    return toSourcePosition(completePosition(parseLsn(trimmed)));
  } catch {
    const shown = JSON.stringify(trimmed.length > 60 ? `${trimmed.slice(0, 60)}…` : trimmed);
    throw new ConfigError(`position ${shown} is not a PostgreSQL position: give an LSN such as 0/16B3748 (or a pg1: token as logtap offsets show prints it)`);
  }
}

/**
 * A slot never goes back: the server starts decoding at its confirmed_flush_lsn whatever the client asks, so a
 * checkpoint before it would silently lose the transactions in between.
 */
export function slotRefusal(slot: SlotState | null, slotName: string, position: SourcePosition): string | null {
  if (!slot) return `replication slot ${slotName} does not exist: no checkpoint can resume without it — logtap offsets reset forgets the checkpoint (the next start snapshots per snapshot.mode)`;
  const wanted = coveredBelow(parsePosition(position.token));
  const confirmed = slot.confirmedFlushLsn;
  if (confirmed !== null && wanted < confirmed) {
    return `replication slot ${slotName} has confirmed the WAL up to ${formatLsn(confirmed)} and cannot go back to ${formatLsn(wanted)}: give a position at or after ${formatLsn(confirmed)}`;
  }
  return null;
}
