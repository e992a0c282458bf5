import net from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

/** Both ends of a loopback TCP connection; `close` ends both and the listener. */
export async function socketPair(): Promise<{ client: net.Socket; server: net.Socket; close: () => void }> {
  const listener = net.createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const accepted = once(listener, 'connection');
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  const [server] = (await accepted) as [net.Socket];
  await once(client, 'connect');
  return { client, server, close: () => { client.destroy(); server.destroy(); listener.close(); } };
}

/** Waits until `done` holds (2 s at most): what arrives on loopback is read within a millisecond or so. */
export async function until(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 2000; !done() && Date.now() < deadline;) await sleep(5);
}
