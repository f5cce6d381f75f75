// A fake RabbitMQ management API on 127.0.0.1 serving the recorded 3.10.8 responses,
// switchable at run time into the ways a real one fails: refusing connections, 401,
// 403, 500, 503, hanging, answering slowly, truncated or malformed JSON, a connection
// cut mid-body, or a body far larger than warren accepts. For reliability tests only:
// the real-broker behaviour is covered by the integration tests against RabbitMQ.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '../fixtures/rabbitmq-3.10.8');

export const ROUTES: Record<string, string> = {
  '/api/overview': 'overview.json',
  '/api/nodes': 'nodes.json',
  '/api/queues': 'queues-full.json',
  '/api/connections': 'connections.json',
  '/api/consumers': 'consumers.json',
  '/api/channels': 'channels.json',
  '/api/exchanges': 'exchanges.json',
  '/api/vhosts': 'vhosts.json',
  '/api/users': 'users.json',
  '/api/policies': 'policies.json',
};

export type FakeApiMode =
  | 'healthy'
  /** The listener is closed: connection refused. */
  | 'refuse'
  | 'status-401'
  | 'status-403'
  | 'status-500'
  | 'status-503'
  /** Accepts the request and never answers. */
  | 'hang'
  /** Answers correctly after `slowMs`. */
  | 'slow'
  /** A complete HTTP answer whose JSON stops half-way (a proxy's buffer limit). */
  | 'truncated'
  /** HTTP 200 with an HTML error page instead of JSON (a proxy in between). */
  | 'malformed'
  /** Promises a full body, sends half, closes the connection. */
  | 'cut'
  /** A chunked body (no content-length) of `hugeBytes`. */
  | 'huge';

export interface FakeApi {
  url: string;
  port: number;
  mode(): FakeApiMode;
  setMode(mode: FakeApiMode): Promise<void>;
  /** Requests served since start (or since the last reset). */
  requests(): number;
  resetRequests(): void;
  /** Authorization headers seen (tests check they carry the configured credentials). */
  authorizations(): string[];
  /** Replace a recorded answer, e.g. to change a queue's depth. */
  setBody(path: string, body: unknown): void;
  close(): Promise<void>;
}

export interface FakeApiOptions {
  slowMs?: number;
  hugeBytes?: number;
}

export async function startFakeApi(opts: FakeApiOptions = {}): Promise<FakeApi> {
  const slowMs = opts.slowMs ?? 700;
  const hugeBytes = opts.hugeBytes ?? 4 * 1024 * 1024;
  const bodies = new Map(Object.entries(ROUTES).map(([p, f]) => [p, readFileSync(join(FIXTURES, f), 'utf8')]));
  let mode: FakeApiMode = 'healthy';
  let requests = 0;
  const auth: string[] = [];
  const sockets = new Set<Socket>();
  const hung = new Set<ServerResponse>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests++;
    auth.push(req.headers.authorization ?? '');
    if (auth.length > 100) auth.shift();
    const path = (req.url ?? '/').split('?')[0]!;
    const body = bodies.get(path);
    if (body === undefined) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Object Not Found","reason":"Not Found"}');
    const json = (status: number, text: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(text);
    switch (mode) {
      case 'healthy':
      case 'refuse':
        return void json(200, body);
      case 'status-401':
        return void json(401, '{"error":"not_authorized","reason":"Login failed"}');
      case 'status-403':
        return void json(403, '{"error":"not_authorized","reason":"Not management user"}');
      case 'status-500':
        return void json(500, '{"error":"Internal Server Error","reason":"{badarg,[{erlang,list_to_atom}]}"}');
      case 'status-503':
        return void res.writeHead(503, { 'content-type': 'text/html' }).end('<html><body><h1>503 Service Unavailable</h1>No server is available to handle this request.</body></html>');
      case 'hang':
        hung.add(res);
        res.on('close', () => hung.delete(res));
        return;
      case 'slow': {
        const t = setTimeout(() => json(200, body), slowMs);
        res.on('close', () => clearTimeout(t));
        return;
      }
      case 'truncated':
        return void json(200, body.slice(0, Math.floor(body.length / 2)));
      case 'malformed':
        return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>');
      case 'cut': {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.write(body.slice(0, Math.floor(body.length / 2)));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      case 'huge': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20); // spaces: valid JSON padding, if it were ever read whole
        res.write('[');
        let sent = 0;
        const pump = () => {
          while (sent < hugeBytes) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end(']');
        };
        res.on('error', () => undefined);
        pump();
        return;
      }
    }
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  let listening = true;

  const closeListener = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of sockets) s.destroy();
    await closed;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    mode: () => mode,
    async setMode(next) {
      // Whatever hung is released, as a restarted broker would drop it.
      for (const r of hung) r.destroy();
      hung.clear();
      mode = next;
      if (next === 'refuse') await closeListener();
      else if (!listening) {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, '127.0.0.1', () => {
            server.off('error', reject);
            resolve();
          });
        });
        listening = true;
      }
    },
    requests: () => requests,
    resetRequests: () => void (requests = 0),
    authorizations: () => [...auth],
    setBody(path, body) {
      bodies.set(path, typeof body === 'string' ? body : JSON.stringify(body));
    },
    async close() {
      for (const r of hung) r.destroy();
      await closeListener();
    },
  };
}
