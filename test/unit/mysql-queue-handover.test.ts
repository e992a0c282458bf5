import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../connectors/mysql/bounded-queue.js';

/** The binlog reader hands queued items over without a promise turn each (nextNow); the order and signals stay next()'s. */
describe('bounded queue hand-over at once', () => {
  it('returns a queued item itself, and signals drained at half as it is taken', () => {
    const signals: string[] = [];
    const queue = new BoundedQueue<number>(4, () => signals.push('full'), () => signals.push('drained'));
    for (let i = 1; i <= 4; i++) queue.push(i);
    expect(signals).toEqual(['full']);
    expect(queue.nextNow()).toBe(1);
    expect(queue.nextNow()).toBe(2);
    expect(signals).toEqual(['full', 'drained']);
    expect([queue.nextNow(), queue.nextNow()]).toEqual([3, 4]);
  });

  it('returns a promise when empty, resolved by the next push', async () => {
    const queue = new BoundedQueue<string>(10, () => {}, () => {});
    const pending = queue.nextNow();
    expect(pending).toBeInstanceOf(Promise);
    queue.push('a');
    await expect(pending).resolves.toBe('a');
  });

  it('hands over the items before a failure, then rejects; after close, resolves undefined', async () => {
    const queue = new BoundedQueue<string>(10, () => {}, () => {});
    queue.push('a');
    queue.fail(new Error('gone'));
    expect(queue.nextNow()).toBe('a');
    await expect(queue.nextNow()).rejects.toThrow('gone');
    const closed = new BoundedQueue<string>(10, () => {}, () => {});
    closed.push('b');
    closed.close();
    await expect(closed.nextNow()).resolves.toBeUndefined();
  });
});
