import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import bcrypt from 'bcryptjs';
import type { Logger } from 'pino';
import type { WebConfig } from '../config/index.js';
import { renderRulesPage } from '../report/index.js';

/** What the endpoints serve. Every handler reads state the poller already has: none calls the broker. */
export interface Routes {
  /**
   * The exposition, gzip-compressed when the scraper accepts it and a compressed copy is
   * ready; as Buffers where it is kept encoded (re-encoding ~10 MB per scrape dominated its latency).
   */
  metrics(acceptsGzip: boolean): Promise<Metrics> | Metrics;
  healthz(): { ok: boolean; body: unknown };
  alerts(): unknown;
  report(format: string): { contentType: string; body: string } | null;
}

export type Metrics = string | { body: Buffer[]; gzip: boolean };

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

/** How much a client may send and how long it may take: the endpoints take no bodies and answer at once. */
export interface ServerLimits {
  /** Whole request, headers included. */
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  /** Request line plus headers. */
  maxHeaderBytes: number;
  /** A connection that has not finished its TLS handshake by then is dropped. */
  handshakeTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = { requestTimeoutMs: 15_000, headersTimeoutMs: 10_000, maxHeaderBytes: 16 * 1024, handshakeTimeoutMs: 10_000 };

export interface HttpServerOptions {
  /** TLS and basic auth (config key `web`); absent: plain HTTP, open. */
  web?: WebConfig | null | undefined;
  limits?: Partial<ServerLimits>;
}

const CONTENT_TYPE_METRICS = 'text/plain; version=0.0.4; charset=utf-8';
/** Load balancers and orchestrators probe this without credentials; it says nothing secret. */
const OPEN_PATHS = new Set(['/healthz']);

export async function startHttpServer(listen: { host: string; port: number }, routes: Routes, log: Logger, opts: HttpServerOptions = {}): Promise<HttpServer> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const users = opts.web?.basicAuthUsers ?? {};
  const authenticate = Object.keys(users).length > 0 ? basicAuthenticator(users) : null;
  const httpOptions: ServerOptions = {
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    maxHeaderSize: limits.maxHeaderBytes,
    // Node checks the two timeouts above only this often (default 30 s): a slow client would linger.
    connectionsCheckingInterval: Math.max(100, Math.min(2_000, Math.floor(limits.headersTimeoutMs / 2))),
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res, routes, authenticate).catch((err: unknown) => {
      log.error({ err: (err as Error).message, path: req.url }, 'request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    });
  };
  const tls = opts.web?.tls ?? null;
  let server: Server;
  if (tls) {
    server = createTlsServer(
      {
        ...httpOptions,
        cert: readFileSync(tls.certFile),
        key: readFileSync(tls.keyFile),
        ...(tls.clientCaFile ? { ca: readFileSync(tls.clientCaFile), requestCert: true, rejectUnauthorized: true } : {}),
        minVersion: 'TLSv1.2',
        handshakeTimeout: limits.handshakeTimeoutMs,
      },
      handler,
    );
    // A failed handshake (wrong CA, no client certificate, plain HTTP on the TLS port) is the client's problem.
    server.on('tlsClientError', (err: Error) => log.debug({ err: err.message }, 'TLS handshake failed'));
  } else {
    server = createServer(httpOptions, handler);
  }
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `${tls ? 'https' : 'http'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** GET /rules: the catalogue does not change while warren runs, so the page is rendered once. */
let rulesPage: string | undefined;

async function handle(req: IncomingMessage, res: ServerResponse, routes: Routes, authenticate: Authenticator | null): Promise<void> {
  // No endpoint takes a body: refuse one before reading it, and drop the connection so it is never read.
  if ((req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined) {
    res.setHeader('connection', 'close');
    return send(res, 413, 'text/plain', 'request bodies are not accepted\n');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'text/plain', 'method not allowed\n');
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (authenticate && !OPEN_PATHS.has(url.pathname) && !(await authenticate(req.headers.authorization))) {
    res.setHeader('www-authenticate', 'Basic realm="warren", charset="UTF-8"');
    return send(res, 401, 'text/plain', 'authentication required\n');
  }
  switch (url.pathname) {
    case '/metrics': {
      const m = await routes.metrics(acceptsGzip(req.headers['accept-encoding']));
      if (typeof m === 'string') return send(res, 200, CONTENT_TYPE_METRICS, m);
      res.setHeader('vary', 'Accept-Encoding');
      if (m.gzip) res.setHeader('content-encoding', 'gzip');
      return send(res, 200, CONTENT_TYPE_METRICS, m.body);
    }
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
    case '/rules':
      return send(res, 200, 'text/html; charset=utf-8', (rulesPage ??= renderRulesPage()));
    case '/':
      return send(res, 200, 'text/html; charset=utf-8',
        '<html><head><title>warren</title></head><body><h1>warren</h1><ul>' +
          '<li><a href="metrics">/metrics</a></li><li><a href="healthz">/healthz</a></li>' +
          '<li><a href="alerts">/alerts</a></li><li><a href="report">/report</a></li><li><a href="rules">/rules</a></li></ul></body></html>\n');
    default:
      return send(res, 404, 'text/plain', 'not found\n');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer[]): void {
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.reduce((n, b) => n + b.length, 0);
  res.writeHead(status, { 'content-type': type, 'content-length': length, 'cache-control': 'no-store' });
  if (res.req.method === 'HEAD') return void res.end();
  if (typeof body === 'string') return void res.end(body);
  for (const b of body) res.write(b);
  res.end();
}

/** Whether Accept-Encoding allows gzip (not refused with q=0). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

type Authenticator = (authorization: string | undefined) => Promise<boolean>;

/**
 * Checks `Authorization: Basic ...` against bcrypt hashes, as Prometheus's exporter
 * web config does. bcrypt is slow on purpose (~50-100 ms at cost 10), and Prometheus
 * scrapes every few seconds, so credentials that passed once are remembered (as a
 * keyed hash, never in clear) and pass again without bcrypt. An unknown user costs the
 * same as a wrong password, so timing does not reveal which users exist.
 */
export function basicAuthenticator(users: Readonly<Record<string, string>>): Authenticator {
  const key = randomBytes(32);
  const verified = new Set<string>();
  const hashes = new Map(Object.entries(users));
  // Same cost as the configured hashes, so a missing user takes as long as a present one.
  const cost = bcrypt.getRounds([...hashes.values()][0]!);
  const dummy = bcrypt.hashSync(randomBytes(16).toString('hex'), cost);
  return async (authorization) => {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = hashes.get(user);
    const id = createHmac('sha256', key).update(`${user}\u0000${password}\u0000${hash ?? ''}`).digest('hex');
    if (hash !== undefined && verified.has(id)) return true;
    const ok = await bcrypt.compare(password, hash ?? dummy);
    if (!ok || hash === undefined) return false;
    if (verified.size >= 256) verified.clear();
    verified.add(id);
    return true;
  };
}
