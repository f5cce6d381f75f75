import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseDuration } from '../../src/config/index.js';
import { buildTopicTable } from '../../src/openstack/index.js';
import { appendHistory, createPollState, startPoller, warningsToLog } from '../../src/poll/index.js';
import { baselineFor, queueRates, totalRates } from '../../src/snapshot/index.js';
import { SourceError, type HttpClient } from '../../src/sources/index.js';
import { FakeClock } from '../support/clock.js';
import { FIXTURES, ROUTES } from '../support/fake-api.js';
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
  const body = (p: string) => readFileSync(join(FIXTURES, p), 'utf8');

  /**
   * A management API on the fake clock: each answer takes `delayMs` of clock time, and a
   * poll makes two rounds of requests (overview and nodes, then the rest at once).
   */
  function fakeApi(clock: FakeClock, delayMs: number, fail = () => false): HttpClient {
    const counter = { requests: 0, bytes: 0 };
    return {
      lifetime: counter,
      close: async () => undefined,
      getText: async () => {
        throw new SourceError('http', 'no plugin here', 404);
      },
      getJson: async (url, c, opts) => {
        c.requests++;
        // Like the real client, a stopped poller's requests end at once.
        await Promise.race([
          clock.delay(delayMs),
          new Promise((_, reject) => opts?.signal?.addEventListener('abort', () => reject(new SourceError('unreachable', 'aborted')))),
        ]);
        const path = new URL(url).pathname;
        if (fail()) throw new SourceError('http', `${path} answered HTTP 503 (unavailable)`, 503);
        const file = ROUTES[path];
        if (!file) throw new SourceError('http', `${path} answered HTTP 404`, 404);
        return JSON.parse(body(file)) as unknown;
      },
    };
  }

  function poller(clock: FakeClock, http: HttpClient, interval: string) {
    // Intervals below the 1 s a config may ask for, set directly: the clock is the test's.
    const cfg = { ...loadConfig({ url: 'http://broker.invalid:15672' }, {}).clusters[0]!, interval: parseDuration(interval)! };
    const c = { ...cfg, queueSource: 'management' as const };
    const polls: Array<{ start: number; end: number }> = [];
    const p = startPoller({
      cluster: c, http, topics: buildTopicTable([]), openstack: { topics: [], hosts: {} }, log: pino({ level: 'silent' }), clock,
      onPoll: (st) => { if (st.latest) polls.push({ start: st.latest.poll.startedAt, end: st.latest.poll.startedAt + st.latest.poll.durationMs }); },
    });
    return { p, polls };
  }

  it('never overlaps polls: ticks that find a poll running are skipped and counted', async () => {
    // Two rounds of 375 ms answers: a poll takes 750 ms, far over the 100 ms interval.
    const clock = new FakeClock();
    const { p, polls } = poller(clock, fakeApi(clock, 375), '100ms');
    await clock.advance(2500);
    await p.stop();
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
    const clock = new FakeClock();
    const { p } = poller(clock, fakeApi(clock, 0, () => failing), '300ms');
    await clock.advance(2000);
    const st = p.status();
    // A fixed 300 ms cadence would make ~7 attempts in 2 s; backoff (1 s, then capped at 4 intervals) makes 2.
    expect(st.errors).toBeGreaterThanOrEqual(1);
    expect(st.errors).toBeLessThanOrEqual(2);
    expect(st.lastError).toMatch(/HTTP 503/);
    failing = false;
    for (let i = 0; i < 30 && p.status().lastError !== null; i++) await clock.advance(100);
    expect(p.status().lastError).toBeNull();
    expect(p.status().latest).not.toBeNull();
    await p.stop();
  });
});

describe('poll state', () => {
  const withWarnings = (warnings: string[], inventoryRefreshed: boolean) => {
    const s = makeSnapshot();
    return makeSnapshot({ poll: { ...s.poll, warnings, inventoryRefreshed } });
  };

  it('logs a warning once while it lasts, and again when it comes back after a full poll without it', () => {
    const state = createPollState();
    const denied = 'user "monitor" may not read /api/users (HTTP 403)';
    expect(warningsToLog(state, withWarnings([denied], true))).toEqual([denied]);
    expect(warningsToLog(state, withWarnings([denied], true))).toEqual([]);
    // A poll that did not ask /api/users forgets nothing.
    expect(warningsToLog(state, withWarnings([], false))).toEqual([]);
    expect(warningsToLog(state, withWarnings([denied], true))).toEqual([]);
    // A full poll without it: forgotten, so its return is logged.
    expect(warningsToLog(state, withWarnings([], true))).toEqual([]);
    expect(state.warned.size).toBe(0);
    expect(warningsToLog(state, withWarnings([denied], true))).toEqual([denied]);
  });

  it('keeps rates per cluster: two clusters polled in turn do not evict each other', () => {
    const a = createPollState();
    const b = createPollState();
    const q = (n: number) => [makeQueue({ name: 'q', messages: n, counters: { published: n, delivered: 0, acked: 0, redelivered: 0 } })];
    const a0 = makeSnapshot({ target: 'a', queues: q(0) });
    const a1 = later(a0, 10, { queues: q(100) });
    const b0 = makeSnapshot({ target: 'b', queues: q(0) });
    const b1 = later(b0, 10, { queues: q(50) });
    const ra = a.rates.queueRates(a0, a1);
    expect(b.rates.queueRates(b0, b1).get('/\u0000q')!.publish).toBe(5);
    expect(a.rates.queueRates(a0, a1)).toBe(ra);
    expect(ra.get('/\u0000q')!.publish).toBe(10);
  });
});
