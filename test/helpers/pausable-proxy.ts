import net from 'node:net';

/**
 * A loopback TCP proxy to a server whose server → client direction can be held: while held, nothing the server
 * sends reaches any client (the proxy stops reading the server sockets), as on a slow network. For tests that need
 * a source's stream to lag behind statements run on a direct connection.
 */
export interface PausableProxy {
  readonly port: number;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startPausableProxy(target: { host: string; port: number }): Promise<PausableProxy> {
  let held = false;
  const upstreams = new Set<net.Socket>();
  const clients = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    upstreams.add(upstream);
    clients.add(client);
    if (held) upstream.pause();
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    upstream.on('end', () => client.end());
    const drop = (): void => {
      upstreams.delete(upstream);
      clients.delete(client);
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', drop).on('close', drop);
    client.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    hold() {
      held = true;
      for (const upstream of upstreams) upstream.pause();
    },
    release() {
      held = false;
      for (const upstream of upstreams) upstream.resume();
    },
    async close() {
      for (const socket of [...upstreams, ...clients]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
