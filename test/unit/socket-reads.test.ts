import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { pauseSocket, resumeSocket } from '../../src/source/socket-reads.js';
import { socketPair as openPair, until } from '../helpers/socket-pair.js';

// Real loopback sockets: what the kernel hands the process while the replication socket rests.
let cleanup: Array<() => void> = [];
async function socketPair() {
  const pair = await openPair();
  cleanup.push(pair.close);
  return pair;
}

afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

describe('replication socket reads', () => {
  it('a plain pause still reads what arrives (the reason for stopping the handle)', async () => {
    const { client, server } = await socketPair();
    client.on('data', () => {});
    client.pause();
    server.write(Buffer.alloc(1000, 1));
    await until(() => client.bytesRead === 1000);
    expect(client.bytesRead).toBe(1000);
  });

  it('pauseSocket leaves what arrives in the kernel; resumeSocket delivers all of it, in order', async () => {
    const { client, server } = await socketPair();
    const received: Buffer[] = [];
    client.on('data', (chunk: Buffer) => received.push(chunk));
    pauseSocket(client);
    server.write(Buffer.from('first '));
    server.write(Buffer.from('second'));
    await sleep(50);
    expect(client.bytesRead).toBe(0);
    expect(received).toEqual([]);
    resumeSocket(client);
    await until(() => Buffer.concat(received).length === 12);
    expect(Buffer.concat(received).toString()).toBe('first second');
    // And it keeps reading after that.
    server.write(Buffer.from(' third'));
    await until(() => Buffer.concat(received).length === 18);
    expect(Buffer.concat(received).toString()).toBe('first second third');
  });

  it('pausing twice and resuming once reads again (the arrival queue pauses for a rest and for a busy sink)', async () => {
    const { client, server } = await socketPair();
    const received: Buffer[] = [];
    client.on('data', (chunk: Buffer) => received.push(chunk));
    pauseSocket(client);
    pauseSocket(client);
    server.write(Buffer.from('x'));
    await sleep(30);
    expect(received).toEqual([]);
    resumeSocket(client);
    await until(() => received.length > 0);
    expect(Buffer.concat(received).toString()).toBe('x');
  });
});
