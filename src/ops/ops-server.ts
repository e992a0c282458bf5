import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readiness } from './readiness.js';
import type { DaemonMetrics } from './daemon-metrics.js';
import type { ConsoleService } from '../console/console-service.js';
import { ConfigError } from '../errors.js';

export interface OpsServer {
  /** The bound address (port 0 in the config binds a free port). */
  address: { host: string; port: number };
  close(): Promise<void>;
}

/**
 * The daemon's HTTP endpoints: `/healthz` (the process serves requests), `/readyz` (200 when streaming and
 * Kafka answers, else 503; `?standby=ready` also counts a waiting standby) and `/metrics` (Prometheus
 * text), and the web console (src/console/) at every other path it knows. Only the console's actions take POST.
 */
export async function startOpsServer(options: { host: string; port: number; readiness: Readiness; metrics: DaemonMetrics; console?: ConsoleService }): Promise<OpsServer> {
  const { readiness, metrics } = options;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const send = (status: number, contentType: string, body: string) => {
      res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const respond = async () => {
      if (options.console && (await options.console.handle(req, res, url))) return;
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
      switch (path) {
        case '/healthz':
          return send(200, 'text/plain', 'ok\n');
        case '/readyz': {
          const report = await readiness.report({ standbyReady: url.searchParams.get('standby') === 'ready' });
          return send(report.ready ? 200 : 503, 'application/json', `${JSON.stringify(report)}\n`);
        }
        case '/metrics': {
          const { contentType, body } = await metrics.text();
          return send(200, contentType, body);
        }
        default:
          return send(404, 'text/plain', `not found: try ${options.console ? '/ (the console), ' : ''}/healthz, /readyz or /metrics\n`);
      }
    };
    respond().catch((err: unknown) => {
      if (!res.headersSent) send(500, 'text/plain', `${(err as Error).message}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL'
        ? new ConfigError(`http.port: cannot listen on ${options.host}:${options.port} (${err.code}): choose another http.port or http.host`)
        : err);
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    address: { host: bound.address, port: bound.port },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
