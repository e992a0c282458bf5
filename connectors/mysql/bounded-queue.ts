/**
 * A FIFO between the binlog reader (synchronous pushes) and the consumer (async, one item at a time), bounded by
 * item weight (rows): `onFull` fires when the weight reaches `limit` (pause the source), `onDrained` when it is back
 * at half (resume it). An item heavier than the limit is still accepted — the source has already parsed it.
 */
export class BoundedQueue<T> {
  private readonly items: Array<{ item: T; weight: number }> = [];
  private head = 0;
  private weight = 0;
  private full = false;
  private waiter: { resolve: (item: T | undefined) => void; reject: (err: unknown) => void } | undefined;
  private failure: { error: unknown } | undefined;
  private closed = false;

  constructor(private readonly limit: number, private readonly onFull: () => void, private readonly onDrained: () => void) {}

  get size(): number {
    return this.items.length - this.head;
  }

  get totalWeight(): number {
    return this.weight;
  }

  push(item: T, weight = 1): void {
    if (this.closed || this.failure) return;
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve(item);
      return;
    }
    this.items.push({ item, weight });
    this.weight += weight;
    if (!this.full && this.weight >= this.limit) {
      this.full = true;
      this.onFull();
    }
  }

  /** The next item; undefined once closed; rejects once failed (after the items pushed before the failure). */
  next(): Promise<T | undefined> {
    if (this.head < this.items.length) return Promise.resolve(this.take());
    return this.wait();
  }

  /** The next item at once when one is queued (no promise turn), else as `next()`. */
  nextNow(): T | Promise<T | undefined> {
    return this.head < this.items.length ? this.take() : this.wait();
  }

  private take(): T {
    const { item, weight } = this.items[this.head]!;
    this.items[this.head++] = undefined as never;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    this.weight -= weight;
    if (this.full && this.weight <= this.limit / 2) {
      this.full = false;
      this.onDrained();
    }
    return item;
  }

  private wait(): Promise<T | undefined> {
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Ends the stream with an error: the consumer gets it after what was already queued. First failure wins. */
  fail(error: unknown): void {
    if (this.failure || this.closed) return;
    this.failure = { error };
    if (this.waiter) {
      const { reject } = this.waiter;
      this.waiter = undefined;
      reject(error);
    }
  }

  /** Ends the stream now: queued items are dropped, the consumer gets undefined. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.items.length = 0;
    this.head = 0;
    this.weight = 0;
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve(undefined);
    }
  }
}
