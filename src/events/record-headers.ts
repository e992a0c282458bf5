import type { ChangeEvent } from '../model/change-event.js';
import { EVENT_ID_HEADER } from './event-id.js';

export const HEADER = {
  op: 'logtap.op',
  position: 'logtap.position',
  txId: 'logtap.txid',
  commitTimeMicros: 'logtap.commit_us',
  snapshot: 'logtap.snapshot',
  table: 'logtap.table',
  /** On a truncate marker: how many partitions the marker was written to (0 … n−1), one record each. */
  partitions: 'logtap.partitions',
} as const;

/** The metadata headers every record of a change carries (the same in every envelope). */
export function headersOf(event: ChangeEvent, op: string): Record<string, string> {
  // The event id is set once the change's records are known (event-id.ts); present from the start, the object keeps one shape.
  const h: Record<string, string> = { [HEADER.op]: op, [HEADER.position]: event.position.token, [HEADER.snapshot]: event.snapshot ? 'true' : 'false', [EVENT_ID_HEADER]: '' };
  if (event.txId !== undefined) h[HEADER.txId] = event.txId;
  if (event.commitTimeMicros !== undefined) h[HEADER.commitTimeMicros] = event.commitTimeMicros.toString();
  return h;
}
