import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import bcrypt from 'bcryptjs';
import type { Logger } from 'pino';
import { ConfigError, type WebConfig } from '../config/index.js';
import { renderRulesPage } from '../report/index.js';

/** What the endpoints serve. Every handler reads state the poller already has: none calls the broker. */
export interface Routes {
  /**
   * The exposition, gzip-compressed when the scraper accepts it and a compressed copy is
   * ready; as Buffers where it is kept encoded (re-encoding ~10 MB per scrape dominated its latency).
   */
  metrics(acceptsGzip: boolean): Promise<Metrics> | Metrics;
  /** Changes whenever the poll's exposition does: a kept /metrics answer is reused only while it stays the same. */
  metricsVersion?(): unknown;
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
  /**
   * From a request's arrival to the last byte of its answer handed to the kernel: a client
   * that does not read is dropped then, and lets go of the exposition it was sent.
   */
  sendTimeoutMs: number;
  /** Open connections at most; more are refused at once (each is a socket and its buffers). */
  maxConnections: number;
  /**
   * One /metrics answer (per encoding) is served to every scraper asking within this long:
   * 200 scrapers cost one render of the process metrics, not 200, and share its buffers.
   */
  metricsReuseMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  requestTimeoutMs: 15_000,
  headersTimeoutMs: 10_000,
  maxHeaderBytes: 16 * 1024,
  handshakeTimeoutMs: 10_000,
  // Prometheus gives up on a scrape after 10 s by default; a minute is generous to any reader.
  sendTimeoutMs: 60_000,
  maxConnections: 512,
  metricsReuseMs: 1_000,
};

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
  const metrics = sharedMetrics(routes, limits.metricsReuseMs);
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
    const deadline = setTimeout(() => {
      log.debug({ path: req.url }, 'client did not read the answer in time; connection dropped');
      res.destroy();
    }, limits.sendTimeoutMs);
    deadline.unref();
    res.once('close', () => clearTimeout(deadline));
    res.once('finish', () => clearTimeout(deadline));
    handle(req, res, routes, metrics, authenticate).catch((err: unknown) => {
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
  server.maxConnections = limits.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, listen)));
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

async function handle(req: IncomingMessage, res: ServerResponse, routes: Routes, metrics: Routes['metrics'], authenticate: Authenticator | null): Promise<void> {
  // No endpoint takes a body: refuse one before reading it, and drop the connection so it is never read.
  if ((req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined) {
    res.setHeader('connection', 'close');
    return send(res, 413, 'text/plain', 'request bodies are not accepted\n');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'text/plain', 'method not allowed\n');
  }
  // Probes before any other work (URL parsing, authentication): nothing a scraper does makes /healthz wait.
  if (req.url === '/healthz') {
    const h = routes.healthz();
    return send(res, h.ok ? 200 : 503, 'application/json', JSON.stringify(h.body) + '\n');
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (authenticate && !OPEN_PATHS.has(url.pathname) && !(await authenticate(req.headers.authorization))) {
    res.setHeader('www-authenticate', 'Basic realm="warren", charset="UTF-8"');
    return send(res, 401, 'text/plain', 'authentication required\n');
  }
  switch (url.pathname) {
    case '/metrics': {
      const m = await metrics(acceptsGzip(req.headers['accept-encoding']));
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

/**
 * routes.metrics with its answer kept for `reuseMs` per encoding, and one call in flight
 * shared by every scraper that asks meanwhile. The answer's Buffers are sent as they are
 * to each client (never copied), so a slow client holds a reference, not a copy.
 */
function sharedMetrics(routes: Routes, reuseMs: number): Routes['metrics'] {
  const kept = new Map<boolean, { at: number; version: unknown; answer: Promise<Metrics> }>();
  return (gzip) => {
    const now = Date.now();
    const version = routes.metricsVersion?.();
    const k = kept.get(gzip);
    if (k && now - k.at < reuseMs && k.version === version && version !== undefined) return k.answer;
    const answer = Promise.resolve(routes.metrics(gzip));
    kept.set(gzip, { at: now, version, answer });
    // A failed answer is not kept.
    answer.catch(() => kept.delete(gzip));
    return answer;
  };
}

/** Why the listen address cannot be used, as one line (a ConfigError: it is the configuration's to fix). */
function listenError(err: NodeJS.ErrnoException, listen: { host: string; port: number }): Error {
  const at = `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
  const why: Record<string, string> = {
    EADDRINUSE: 'the address is in use by another process; stop it or give another --listen port',
    EADDRNOTAVAIL: 'no interface of this machine has that address; give a local address, or 0.0.0.0 for all',
    EACCES: 'not permitted (ports below 1024 need privileges); give a port of 1024 or above',
    ENOTFOUND: 'the host name does not resolve; give an address such as 0.0.0.0 or 127.0.0.1',
    EAI_AGAIN: 'the host name does not resolve; give an address such as 0.0.0.0 or 127.0.0.1',
  };
  return new ConfigError(`listen ${at}: cannot listen: ${why[err.code ?? ''] ?? `${err.code ?? 'error'}: ${err.message.split('\n')[0]}`}`);
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
