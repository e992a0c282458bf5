import { type Lsn, maxLsn } from './lsn.js';
import type { RawPgoutputMessage } from './raw-pgoutput-plugin.js';
import type { MessageSink } from './stream-spool.js';

/**
 * A drain of at least this many arrivals came from full reads (a catch-up): the socket is read again at once. Live,
 * a read carries a message or a few.
 */
const BUSY_DRAIN = 256;

/** An XLogData message with its WAL position, or a keepalive (message null) with the server's WAL end. */
type Arrival = { message: RawPgoutputMessage; walStart: string } | { message: null; walEnd: Lsn };

export interface ArrivalQueueOptions {
  sink: MessageSink;
  /** Stop reading the socket: the sink is behind (backpressure, bounded memory). */
  pause(): void;
  resume(): void;
  /** The sink failed: nothing more is handed over. */
  fail(err: unknown): void;
  /** Everything that arrived has been handled. */
  idle(): void;
  /**
   * After a run the socket rests this long before it is read again, so the next read carries what arrived meanwhile:
   * the walsender flushes every message on its own, and live each one would otherwise cost a read and a run. 0: read at once.
   */
  restMs: number;
}

/**
 * What the replication connection delivers, handed to the sink in arrival order, a run at a time: every
 * message of one socket read (pg parses a read whole before the queued microtask runs) is handled in one
 * loop, and a sink call is awaited only when it returned a promise (a flush, a TOAST read-back, a table's
 * preparation), instead of a promise chain per message. Keepalives queue behind the messages that arrived
 * before them, so one never overtakes a transaction still queued; of a run's keepalives only the last is applied
 * (live, the walsender sends one after nearly every transaction). The socket is paused while the sink is
 * awaited, and after a small run (live) it rests `restMs` before it is read again (the kernel holds what arrives
 * meanwhile); after full reads (a catch-up) it is read again at once.
 */
export class ArrivalQueue {
  private queue: Arrival[] = [];
  private running: Promise<void> | null = null;
  private paused = false;
  private resting: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: ArrivalQueueOptions) {}

  message(message: RawPgoutputMessage, walStart: string): void {
    if (this.stopped) return;
    this.queue.push({ message, walStart });
    this.schedule();
  }

  keepalive(walEnd: Lsn): void {
    if (this.stopped) return;
    // Keepalives in a row say nothing the last of them does not.
    const last = this.queue[this.queue.length - 1];
    if (last && last.message === null) last.walEnd = maxLsn(last.walEnd, walEnd);
    else this.queue.push({ message: null, walEnd });
    this.schedule();
  }

  /** Nothing queued and nothing being handled. */
  get idle(): boolean {
    return this.running === null;
  }

  /** Drops what is queued; a sink call in flight finishes (await `settled`). */
  stop(): void {
    this.stopped = true;
    this.queue = [];
    clearTimeout(this.resting);
  }

  /** Resolves once no sink call runs. Never rejects. */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private schedule(): void {
    if (this.running) return;
    this.running = this.drain();
  }

  private async drain(): Promise<void> {
    // The rest of this socket read arrives before the microtask continues: it joins this run.
    await undefined;
    const { sink } = this.options;
    let handled = 0;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const run = this.queue;
        this.queue = [];
        handled += run.length;
        // Only a run's last keepalive is applied (at its place): it reports everything the earlier ones would.
        let lastKeepalive = -1;
        for (let i = run.length - 1; i >= 0 && lastKeepalive < 0; i--) if (run[i]!.message === null) lastKeepalive = i;
        for (let i = 0; i < run.length; i++) {
          const arrival = run[i]!;
          if (this.stopped) return;
          if (arrival.message === null && i !== lastKeepalive) continue;
          const pending = arrival.message === null ? sink.keepalive(arrival.walEnd) : sink.message(arrival.message, arrival.walStart);
          if (!pending) continue;
          this.pause();
          await pending;
        }
      }
    } catch (err) {
      this.stop();
      this.options.fail(err);
    } finally {
      this.running = null;
      if (!this.stopped) {
        this.rest(handled < BUSY_DRAIN ? this.options.restMs : 0);
        this.options.idle();
      }
    }
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.options.pause();
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.options.resume();
  }

  private rest(ms: number): void {
    clearTimeout(this.resting);
    this.resting = undefined;
    if (ms <= 0) return this.resume();
    this.pause();
    this.resting = setTimeout(() => {
      this.resting = undefined;
      if (!this.stopped && !this.running) this.resume();
    }, ms);
  }
}
