import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { BoundedQueue } from '../../connectors/mysql/bounded-queue.js';
import { installPauseGate } from '../../connectors/mysql/pause-gate.js';
import { socketPair, until } from '../helpers/socket-pair.js';

/** A stand-in for mysql2's connection: counts the real pause/resume calls. */
function fakeConnection() {
  const state = { paused: false, pauses: 0, resumes: 0 };
  const connection = {
    pause() {
      state.paused = true;
      state.pauses++;
    },
    resume() {
      state.paused = false;
      state.resumes++;
    },
  };
  return { connection, state };
}

describe('pause gate', () => {
  it('reads only while nobody holds it, whatever the order of holds and releases', () => {
    const { connection, state } = fakeConnection();
    const gate = installPauseGate(connection);
    gate.hold('queue');
    connection.pause(); // zongji's own pause (fetching column metadata)
    expect(state).toEqual({ paused: true, pauses: 1, resumes: 0 });
    connection.resume(); // zongji resumes: the queue still holds
    expect(state.paused).toBe(true);
    gate.release('queue');
    expect(state).toEqual({ paused: false, pauses: 1, resumes: 1 });
    gate.release('queue'); // an extra release is ignored
    expect(state.resumes).toBe(1);
  });

  it('lets a handler running inside the resume hold again', () => {
    const { connection, state } = fakeConnection();
    const gate = installPauseGate(connection);
    let opened = 0;
    gate.onOpen = () => {
      opened++;
      gate.hold('schema'); // as a TableMap handled while buffered packets replay would
    };
    gate.hold('queue');
    gate.release('queue');
    expect(opened).toBe(1);
    expect(gate.held).toBe(true);
    expect(state.pauses).toBe(2);
  });
});

describe('pause gate over the binlog socket', () => {
  it('a hold stops the socket reading in the kernel; the last release reads again, unless the replay held again', async () => {
    const { client: socket, server, close } = await socketPair();
    try {
      const received: string[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk.toString()));
      const { connection } = fakeConnection();
      const gate = installPauseGate(connection, socket);

      gate.hold('rest');
      server.write('a');
      await sleep(40);
      expect(socket.bytesRead).toBe(0); // in the kernel, not in the socket's buffer

      // A handler running in the replay holds again: still nothing read.
      gate.onOpen = () => {
        gate.onOpen = undefined;
        gate.hold('queue');
      };
      gate.release('rest');
      await sleep(40);
      expect(socket.bytesRead).toBe(0);

      gate.release('queue');
      await until(() => received.join('') === 'a');
      expect(received.join('')).toBe('a');
      server.write('b');
      await until(() => received.join('') === 'ab');
      expect(received.join('')).toBe('ab');
    } finally {
      close();
    }
  });
});

describe('bounded queue', () => {
  it('signals full at the limit and drained at half, by weight', async () => {
    const events: string[] = [];
    const queue = new BoundedQueue<string>(10, () => events.push('full'), () => events.push('drained'));
    queue.push('a', 4);
    queue.push('b', 4);
    expect(events).toEqual([]);
    queue.push('c', 4);
    expect(events).toEqual(['full']);
    queue.push('d', 1);
    expect(await queue.next()).toBe('a');
    expect(events).toEqual(['full']);
    expect(await queue.next()).toBe('b');
    expect(events).toEqual(['full', 'drained']);
    expect(queue.totalWeight).toBe(5);
  });

  it('hands a pushed item straight to a waiting consumer', async () => {
    const queue = new BoundedQueue<number>(2, () => {}, () => {});
    const waiting = queue.next();
    queue.push(7);
    expect(await waiting).toBe(7);
    expect(queue.size).toBe(0);
  });

  it('delivers the items before a failure, then the failure; close drops everything', async () => {
    const queue = new BoundedQueue<number>(100, () => {}, () => {});
    queue.push(1);
    queue.fail(new Error('first'));
    queue.fail(new Error('second'));
    queue.push(2);
    expect(await queue.next()).toBe(1);
    await expect(queue.next()).rejects.toThrow('first');
    const closing = new BoundedQueue<number>(100, () => {}, () => {});
    closing.push(1);
    closing.close();
    expect(await closing.next()).toBeUndefined();
    const waiting = new BoundedQueue<number>(100, () => {}, () => {});
    const pending = waiting.next();
    waiting.close();
    expect(await pending).toBeUndefined();
  });

  it('keeps order across many items without growing its array forever', async () => {
    const queue = new BoundedQueue<number>(1_000_000, () => {}, () => {});
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3000; i++) queue.push(round * 3000 + i);
      for (let i = 0; i < 3000; i++) expect(await queue.next()).toBe(round * 3000 + i);
    }
    expect(queue.size).toBe(0);
  });
});
