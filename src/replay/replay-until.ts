import { ConfigError } from '../errors.js';
import type { PositionOrder } from './replay-target.js';

/** Where replay stops: after the last change committed at or before a time, or at or before a source position. */
export type ReplayUntil =
  | { kind: 'time'; micros: bigint; text: string }
  | { kind: 'position'; position: unknown; text: string };

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * `--until`: an ISO-8601 time with a zone (`2026-11-22T10:00:00.123456Z`; microseconds kept) or a position
 * token of the source's connector (`pg1:0/16B3748#2`, `my1:gtid=0-1-42`). Anything else is a usage error.
 */
export function parseUntil(text: string, order: PositionOrder): ReplayUntil {
  const iso = ISO.exec(text.trim());
  if (iso) {
    const [, y, mo, d, h, mi, s = '00', fraction = '', zone] = iso;
    const millis = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone === 'Z' ? 'Z' : zone!.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')}`);
    if (!Number.isNaN(millis)) {
      const micros = BigInt(millis) * 1000n + BigInt((fraction + '000000').slice(0, 6));
      return { kind: 'time', micros, text };
    }
  }
  try {
    return { kind: 'position', position: order.parse(text.trim()), text };
  } catch {
    throw new ConfigError(`--until ${JSON.stringify(text)} is neither an ISO-8601 time with a zone (e.g. 2026-11-22T10:00:00Z) nor a source position (e.g. ${order.example}): give one of those`);
  }
}

/** Whether a change at `position`, committed at `commitMicros`, lies within `until`. */
export function withinUntil(until: ReplayUntil | undefined, order: PositionOrder, position: string, commitMicros: bigint | undefined): boolean {
  if (!until) return true;
  if (until.kind === 'time') return commitMicros === undefined || commitMicros <= until.micros;
  let at: unknown;
  try {
    at = order.parse(position);
  } catch {
    // Not a streaming position (a snapshot read carries the snapshot's own): it precedes the stream.
    return true;
  }
  return order.compare(at, until.position) <= 0;
}
