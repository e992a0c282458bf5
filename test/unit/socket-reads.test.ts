import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { pauseSocket, resumeSocket } from '../../src/source/socket-reads.js';

// Real loopback sockets: what the kernel hands the process while the replication socket rests.
let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

/** Waits until `done` holds (2 s at most): what arrives on loopback is read within a millisecond or so. */
async function until(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 2000; !done() && Date.now() < deadline;) await sleep(5);
}

async function socketPair(): Promise<{ client: net.Socket; server: net.Socket }> {
  const listener = net.createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const accepted = once(listener, 'connection');
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  const [server] = (await accepted) as [net.Socket];
  await once(client, 'connect');
  cleanup.push(() => { client.destroy(); server.destroy(); listener.close(); });
  return { client, server };
}

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
