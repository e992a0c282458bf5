import type { SourcePosition } from '../model/change-event.js';

/** `snapshot.mode`: initial (first start only, the default), always (every start), never (stream only). */
export type SnapshotMode = 'initial' | 'always' | 'never';

/**
 * Whether a start snapshots before streaming. A snapshot in progress is always finished, whatever the mode
 * now says: its topic holds part of the table, and only the rest of the snapshot makes it whole.
 */
export function snapshotThisStart(mode: SnapshotMode, from: SourcePosition | null, isSnapshotPosition: (p: SourcePosition) => boolean): boolean {
  if (from && isSnapshotPosition(from)) return true;
  if (mode === 'never') return false;
  if (mode === 'always') return true;
  return from === null;
}
