import { setTimeout as sleep } from 'node:timers/promises';
import { causeChain } from './kafka-errors.js';

/** Partition leadership moving or not yet there: right after a topic's creation, or while a restarted broker loads its partitions. */
const LEADERSHIP = new Set(['NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION']);

export function isLeadershipMoving(err: unknown): boolean {
  return causeChain(err).some((e) => e.type !== undefined && LEADERSHIP.has(e.type));
}

/**
 * Runs an idempotent read again while partition leadership is moving, for at most `forMs` (kafkajs's own retries give
 * up within a second or two): a daemon started during a broker restart reads its checkpoint once the broker is ready,
 * instead of exiting. Anything else, or a leadership error past `forMs`, is thrown as it is.
 */
export async function readWhileLeadershipMoves<T>(read: () => Promise<T>, options: { signal?: AbortSignal | undefined; forMs?: number } = {}): Promise<T> {
  const until = Date.now() + (options.forMs ?? 60_000);
  for (let wait = 250; ; wait = Math.min(wait * 2, 4_000)) {
    try {
      return await read();
    } catch (err) {
      if (!isLeadershipMoving(err) || Date.now() + wait > until || options.signal?.aborted) throw err;
      await sleep(wait, undefined, options.signal ? { signal: options.signal } : undefined);
    }
  }
}
