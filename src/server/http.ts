import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

/** What the endpoints serve. Every handler reads state the poller already has: none calls the broker. */
export interface Routes {
  metrics(): Promise<string> | string;
  healthz(): { ok: boolean; body: unknown };
  alerts(): unknown;
  report(format: string): { contentType: string; body: string } | null;
}

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

const CONTENT_TYPE_METRICS = 'text/plain; version=0.0.4; charset=utf-8';

export async function startHttpServer(listen: { host: string; port: number }, routes: Routes, log: Logger): Promise<HttpServer> {
  const server = createServer({ requestTimeout: 15_000, headersTimeout: 10_000, maxHeaderSize: 16 * 1024 }, (req, res) => {
    handle(req, res, routes).catch((err: unknown) => {
      log.error({ err: (err as Error).message, path: req.url }, 'request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: Routes): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'text/plain', 'method not allowed\n');
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  switch (url.pathname) {
    case '/metrics':
      return send(res, 200, CONTENT_TYPE_METRICS, await routes.metrics());
    case '/healthz': {
      const h = routes.healthz();
      return send(res, h.ok ? 200 : 503, 'application/json', JSON.stringify(h.body) + '\n');
    }
    case '/alerts':
      return send(res, 200, 'application/json', JSON.stringify(routes.alerts(), null, 2) + '\n');
    case '/report': {
      const format = url.searchParams.get('format') ?? 'html';
      const r = routes.report(format);
      if (!r) return send(res, 503, 'text/plain', 'no successful poll yet; try again after the first poll\n');
      return send(res, 200, r.contentType, r.body);
    }
    case '/':
      return send(res, 200, 'text/html; charset=utf-8',
        '<html><head><title>warren</title></head><body><h1>warren</h1><ul>' +
          '<li><a href="metrics">/metrics</a></li><li><a href="healthz">/healthz</a></li>' +
          '<li><a href="alerts">/alerts</a></li><li><a href="report">/report</a></li></ul></body></html>\n');
    default:
      return send(res, 404, 'text/plain', 'not found\n');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
