import type { SnapshotChunk, SnapshotPage } from '../source/snapshot-source.js';

/**
 * Reads one chunk ahead of its turn into a queue bounded by bytes (at least one page is always taken), so
 * that several chunks are read at once while their rows are published one chunk after the other.
 * Reading pauses while the queue is full: memory stays at most `limitBytes` plus one page per chunk.
 */
export class ChunkPrefetch {
  private readonly queue: SnapshotPage[] = [];
  private queuedBytes = 0;
  private finished = false;
  private failure: { error: unknown } | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private readonly reading: Promise<void>;

  constructor(
    readonly chunk: SnapshotChunk,
    private readonly limitBytes: number,
    private readonly signal: AbortSignal,
  ) {
    this.reading = this.read();
  }

  private async read(): Promise<void> {
    try {
      for await (const page of this.chunk.pages(this.signal)) {
        this.queue.push(page);
        this.queuedBytes += page.bytes;
        this.wake('consumer');
        while (this.queuedBytes >= this.limitBytes && !this.signal.aborted) {
          await new Promise<void>((resolve) => {
            this.wakeProducer = resolve;
          });
        }
        if (this.signal.aborted) return;
      }
    } catch (err) {
      this.failure = { error: err };
    } finally {
      this.finished = true;
      this.wake('consumer');
    }
  }

  /** The chunk's pages in order, as they arrive; throws the reader's failure. */
  async *pages(): AsyncGenerator<SnapshotPage> {
    for (;;) {
      const page = this.queue.shift();
      if (page) {
        this.queuedBytes -= page.bytes;
        this.wake('producer');
        yield page;
        continue;
      }
      if (this.failure) throw this.failure.error;
      if (this.finished) return;
      await new Promise<void>((resolve) => {
        this.wakeConsumer = resolve;
      });
    }
  }

  /** Stops reading (the signal must be aborted first) and waits until the reader let go of its connection. */
  async stop(): Promise<void> {
    this.wake('producer');
    await this.reading;
  }

  private wake(who: 'consumer' | 'producer'): void {
    const wake = who === 'consumer' ? this.wakeConsumer : this.wakeProducer;
    if (who === 'consumer') this.wakeConsumer = undefined;
    else this.wakeProducer = undefined;
    wake?.();
  }
}
