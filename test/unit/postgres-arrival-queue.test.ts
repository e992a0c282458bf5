import { describe, expect, it } from 'vitest';
import { ArrivalQueue } from '../../connectors/postgres/arrival-queue.js';
import type { RawPgoutputMessage } from '../../connectors/postgres/raw-pgoutput-plugin.js';
import type { MessageSink } from '../../connectors/postgres/stream-spool.js';

// The replication session's arrival queue: what one socket read delivers is handed over in one run, in arrival
// order with keepalives, waiting (and pausing the socket) only where the sink returns a promise.

const begin = (xid: number) => ({ tag: 'begin', xid, commitLsn: 0x10n, commitTime: 0n }) as unknown as RawPgoutputMessage;
const commit = (xid: number) => ({ tag: 'commit', xid }) as unknown as RawPgoutputMessage;

class RecordingSink implements MessageSink {
  readonly seen: string[] = [];
  /** Tags whose handling waits until `release()`. */
  waitOn = new Set<string>();
  private releases: Array<() => void> = [];
  failOn: string | null = null;

  message(msg: RawPgoutputMessage): Promise<void> | void {
    const name = `${msg.tag}:${(msg as { xid?: number }).xid}`;
    this.seen.push(name);
    if (this.failOn === name) throw new Error(`cannot handle ${name}`);
    if (this.waitOn.has(name)) return new Promise<void>((resolve) => this.releases.push(resolve));
  }

  keepalive(walEnd: bigint): Promise<void> | void {
    this.seen.push(`keepalive:${walEnd}`);
  }

  release(): void {
    for (const r of this.releases.splice(0)) r();
  }
}

function queueFor(sink: MessageSink, restMs = 0) {
  const events: string[] = [];
  const failures: unknown[] = [];
  const queue = new ArrivalQueue({
    sink,
    pause: () => events.push('pause'),
    resume: () => events.push('resume'),
    fail: (err) => failures.push(err),
    idle: () => events.push('idle'),
    restMs,
  });
  return { queue, events, failures };
}

/** A few microtask turns: fewer than a promise chain per message would take for the runs below. */
const turns = async (n = 2) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

describe('arrival queue', () => {
  it('hands a read of several transactions over in one run, with a keepalive after the messages before it', async () => {
    const sink = new RecordingSink();
    const { queue, events } = queueFor(sink);
    // One socket read: two transactions and a keepalive, then another transaction.
    queue.message(begin(1), '0/1');
    queue.message(commit(1), '0/2');
    queue.message(begin(2), '0/3');
    queue.keepalive(0x20n);
    queue.message(commit(2), '0/4');
    expect(sink.seen).toEqual([]);
    await turns();
    expect(sink.seen).toEqual(['begin:1', 'commit:1', 'begin:2', 'keepalive:32', 'commit:2']);
    // Nothing waited: the socket was never paused.
    expect(events).toEqual(['idle']);
    expect(queue.idle).toBe(true);
  });

  it('pauses the socket while the sink waits; what arrives meanwhile follows in order, its last keepalive after it', async () => {
    const sink = new RecordingSink();
    sink.waitOn.add('commit:1');
    const { queue, events } = queueFor(sink);
    queue.message(begin(1), '0/1');
    queue.message(commit(1), '0/2');
    await turns();
    expect(sink.seen).toEqual(['begin:1', 'commit:1']);
    expect(events).toEqual(['pause']);
    // Arrive while the commit is being flushed (the socket's read in flight).
    queue.keepalive(0x10n);
    queue.message(begin(2), '0/3');
    queue.keepalive(0x30n);
    queue.keepalive(0x40n);
    await turns(5);
    expect(sink.seen).toEqual(['begin:1', 'commit:1']);
    expect(queue.idle).toBe(false);
    sink.release();
    await turns(5);
    // Of a run's keepalives only the last applies, after everything that arrived before it.
    expect(sink.seen).toEqual(['begin:1', 'commit:1', 'begin:2', 'keepalive:64']);
    expect(events).toEqual(['pause', 'resume', 'idle']);
    expect(queue.idle).toBe(true);
  });

  it('after a sink failure hands nothing more over and does not resume the socket', async () => {
    const sink = new RecordingSink();
    sink.waitOn.add('begin:1');
    sink.failOn = 'commit:1';
    const { queue, events, failures } = queueFor(sink);
    queue.message(begin(1), '0/1');
    queue.message(commit(1), '0/2');
    queue.message(begin(2), '0/3');
    await turns();
    sink.release();
    await turns(5);
    expect(sink.seen).toEqual(['begin:1', 'commit:1']);
    expect(failures.map((e) => (e as Error).message)).toEqual(['cannot handle commit:1']);
    expect(events).toEqual(['pause']);
    queue.message(begin(3), '0/4');
    await turns();
    expect(sink.seen).toEqual(['begin:1', 'commit:1']);
  });

  it('a stop drops what is queued; the call in flight finishes', async () => {
    const sink = new RecordingSink();
    sink.waitOn.add('begin:1');
    const { queue } = queueFor(sink);
    queue.message(begin(1), '0/1');
    queue.message(commit(1), '0/2');
    await turns();
    queue.stop();
    const settled = queue.settled();
    sink.release();
    await settled;
    expect(sink.seen).toEqual(['begin:1']);
    expect(queue.idle).toBe(true);
  });

  it('rests the socket after a run, so the next read carries what arrived meanwhile', async () => {
    const sink = new RecordingSink();
    const { queue, events } = queueFor(sink, 20);
    queue.message(begin(1), '0/1');
    await turns();
    expect(sink.seen).toEqual(['begin:1']);
    expect(events).toEqual(['pause', 'idle']);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(events).toEqual(['pause', 'idle', 'resume']);
    // A stop while resting leaves the socket to the session (it is closing).
    queue.message(commit(1), '0/2');
    await turns();
    queue.stop();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(sink.seen).toEqual(['begin:1', 'commit:1']);
    expect(events).toEqual(['pause', 'idle', 'resume', 'pause', 'idle']);
  });

  it('reads again at once after a drain of full reads (a catch-up)', async () => {
    const sink = new RecordingSink();
    const { queue, events } = queueFor(sink, 20);
    for (let xid = 1; xid <= 150; xid++) {
      queue.message(begin(xid), '0/1');
      queue.message(commit(xid), '0/2');
    }
    await turns();
    expect(sink.seen.length).toBe(300);
    expect(events).toEqual(['idle']);
  });
});
