import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, parseDuration } from '../../src/config/index.js';
import { buildTopicTable } from '../../src/openstack/index.js';
import { appendHistory } from '../../src/snapshot/history.js';
import { startPoller } from '../../src/snapshot/poller.js';
import { baselineFor, queueRates, totalRates } from '../../src/snapshot/rates.js';
import { createHttpClient } from '../../src/sources/http.js';
import { later, makeQueue, makeSnapshot, makeTotals } from '../support/snapshot.js';

describe('history', () => {
  const build = (intervalSeconds: number, polls: number) => {
    const s0 = makeSnapshot();
    let h = [s0];
    for (let i = 1; i <= polls; i++) h = appendHistory(h, later(s0, i * intervalSeconds));
    return h.map((s) => (h[h.length - 1]!.takenAt - s.takenAt) / 1000);
  };

  it('keeps every snapshot of the last 30 s, one per 5 s to 150 s, one a minute to 6 min', () => {
    const ages = build(1, 600);
    expect(ages.filter((a) => a <= 30)).toEqual(Array.from({ length: 31 }, (_, i) => 30 - i));
    const mid = ages.filter((a) => a > 30 && a <= 150);
    for (let i = 1; i < mid.length; i++) expect(mid[i - 1]! - mid[i]!).toBeGreaterThanOrEqual(5);
    const old = ages.filter((a) => a > 150);
    for (let i = 1; i < old.length; i++) expect(old[i - 1]! - old[i]!).toBeGreaterThanOrEqual(60);
    expect(Math.max(...ages)).toBeLessThanOrEqual(360);
    expect(ages.length).toBeLessThan(65);
  });

  it('keeps about nine snapshots of a broker polled every 30 s', () => {
    const ages = build(30, 40);
    expect(ages.filter((a) => a <= 150)).toEqual([150, 120, 90, 60, 30, 0]);
    expect(ages.length).toBeLessThanOrEqual(10);
    expect(Math.max(...ages)).toBeLessThanOrEqual(360);
  });
});

describe('rates', () => {
  it('derives per-queue rates and growth from counters, and gives null across a counter reset', () => {
    const a = makeSnapshot({ queues: [makeQueue({ name: 'q', messages: 10, counters: { published: 100, delivered: 50, acked: 50, redelivered: 0 } })] });
    const b = later(a, 20, { queues: [makeQueue({ name: 'q', messages: 50, counters: { published: 160, delivered: 60, acked: 58, redelivered: 0 } })] });
    expect(queueRates(a, b).get('/\u0000q')).toEqual({ publish: 3, deliver: 0.5, ack: 0.4, growth: 2 });
    const reset = later(b, 20, { queues: [makeQueue({ name: 'q', messages: 0, counters: { published: 3, delivered: 3, acked: 3, redelivered: 0 } })] });
    expect(queueRates(b, reset).get('/\u0000q')!.publish).toBeNull();
    expect(queueRates(undefined, b).get('/\u0000q')!.publish).toBeNull();
  });

  it('derives cluster rates including unroutable and churn', () => {
    const a = makeSnapshot({ totals: makeTotals({ published: 0, returnedUnroutable: 1, droppedUnroutable: 1, connectionsCreated: 10 }) });
    const b = later(a, 10, { totals: makeTotals({ published: 100, returnedUnroutable: 6, droppedUnroutable: 6, connectionsCreated: 30 }) });
    expect(totalRates(a, b)).toMatchObject({ publish: 10, unroutable: 1, connectionsOpened: 2 });
  });

  it('picks the oldest snapshot inside the window as the baseline', () => {
    const s0 = makeSnapshot();
    const h = [s0, later(s0, 60), later(s0, 120), later(s0, 180)];
    expect(baselineFor(h, 130_000)).toBe(h[1]);
    expect(baselineFor(h, 1000)).toBe(h[2]);
    expect(baselineFor([s0], 1000)).toBeUndefined();
  });
});

describe('poller', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  const FIX = join(import.meta.dirname, '../fixtures/rabbitmq-3.10.8');
  const body = (p: string) => readFileSync(join(FIX, p), 'utf8');

  /** A fake management API whose answers take `delayMs`, counting the requests it serves. */
  async function fakeApi(delayMs: () => number, fail = () => false): Promise<{ url: string; requests: () => number }> {
    let n = 0;
    server = createServer((req, res) => {
      n++;
      setTimeout(() => {
        if (fail()) {
          res.writeHead(503).end('{"error":"unavailable"}');
          return;
        }
        const path = req.url!.split('?')[0]!;
        const file = { '/api/overview': 'overview.json', '/api/nodes': 'nodes.json', '/api/queues': 'queues-full.json', '/api/connections': 'connections.json', '/api/consumers': 'consumers.json', '/api/channels': 'channels.json', '/api/exchanges': 'exchanges.json', '/api/vhosts': 'vhosts.json', '/api/users': 'users.json', '/api/policies': 'policies.json' }[path];
        if (!file) return res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end(body(file));
      }, delayMs());
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, requests: () => n };
  }

  function poller(url: string, interval: string) {
    // Intervals below the 1 s a config may ask for, set directly: the tests run in real time.
    const cfg = { ...loadConfig({ url }, {}).clusters[0]!, interval: parseDuration(interval)! };
    const c = { ...cfg, queueSource: 'management' as const };
    const http = createHttpClient({ user: 'guest', password: 'guest', timeoutMs: 5000, maxBodyBytes: 1e6 });
    const polls: Array<{ start: number; end: number }> = [];
    const p = startPoller({
      cluster: c, http, topics: buildTopicTable([]), openstack: { topics: [], hosts: {} }, log: pino({ level: 'silent' }),
      onPoll: (st) => { if (st.latest) polls.push({ start: st.latest.poll.startedAt, end: st.latest.poll.startedAt + st.latest.poll.durationMs }); },
    });
    return { p, http, polls };
  }

  it('never overlaps polls: ticks that find a poll running are skipped and counted', async () => {
    // A poll makes ~10 requests over two sockets: at 150 ms an answer it takes ~750 ms, far over the 100 ms interval.
    const api = await fakeApi(() => 150);
    const { p, http, polls } = poller(api.url, '100ms');
    await new Promise((r) => setTimeout(r, 2500));
    await p.stop();
    await http.close();
    const st = p.status();
    expect(st.lastError).toBeNull();
    expect(st.skipped).toBeGreaterThanOrEqual(5);
    expect(polls.length).toBeGreaterThanOrEqual(2);
    expect(polls.length).toBeLessThanOrEqual(4);
    expect(st.latest?.queues.length).toBe(3);
    // No two polls ran at once: each started after the previous one had finished.
    for (let i = 1; i < polls.length; i++) expect(polls[i]!.start).toBeGreaterThanOrEqual(polls[i - 1]!.end);
    expect(polls[0]!.end - polls[0]!.start).toBeGreaterThan(300);
  });

  it('backs off after failures and recovers on its own', async () => {
    let failing = true;
    const api = await fakeApi(() => 0, () => failing);
    const { p, http } = poller(api.url, '300ms');
    await new Promise((r) => setTimeout(r, 2000));
    const st = p.status();
    // A fixed 300 ms cadence would make ~7 attempts in 2 s; backoff (1 s, then capped at 4 intervals) makes 2.
    expect(st.errors).toBeGreaterThanOrEqual(1);
    expect(st.errors).toBeLessThanOrEqual(2);
    expect(st.lastError).toMatch(/HTTP 503/);
    failing = false;
    for (let i = 0; i < 30 && p.status().lastError !== null; i++) await new Promise((r) => setTimeout(r, 100));
    expect(p.status().lastError).toBeNull();
    expect(p.status().latest).not.toBeNull();
    await p.stop();
    await http.close();
  });
});
