// A pass-through HTTP proxy in front of a real broker's management API that can hold
// chosen requests unanswered, as a broker too busy to answer them would: the rest pass
// through untouched. For the faults a real broker gives only under a load a test cannot
// afford (its queue listing taking longer than warren's deadline at 50k queues).
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface HoldingProxy {
  url: string;
  /** Hold (true) or pass (false) the requests `matches` picks, from now on. */
  hold(on: boolean): void;
  /** Requests held so far. */
  held(): number;
  close(): Promise<void>;
}

export async function startHoldingProxy(target: string, matches: (pathAndQuery: string) => boolean): Promise<HoldingProxy> {
  const upstream = new URL(target);
  let holding = false;
  let held = 0;
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    if (holding && matches(path)) {
      held++;
      return; // never answered; the client's deadline ends it
    }
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold: (on) => void (holding = on),
    held: () => held,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
