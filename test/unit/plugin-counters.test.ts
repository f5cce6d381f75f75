// Issue 15, item 1: per-queue message counters on the plugin path, summed from the
// plugin's per-channel families (src/sources/plugin-counters.ts). The recorded answer is
// RabbitMQ 3.10.8's, taken from the scenario of test/integration/plugin-counters.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drain } from '../../src/slices.js';
import { queueRates } from '../../src/snapshot/rates.js';
import type { Snapshot } from '../../src/snapshot/index.js';
import type { HttpClient } from '../../src/sources/http.js';
import type { RawQueue } from '../../src/sources/parse.js';
import { COUNTER_FAMILIES, countersOf, readCounterSteps, ZERO_COUNTERS } from '../../src/sources/plugin-counters.js';
import { pluginDepth } from '../../src/sources/plugin-depth.js';
import { queueKey, type QueueCounters } from '../../src/sources/types.js';

const RECORDED = readFileSync(join(import.meta.dirname, '../fixtures/rabbitmq-3.10.8/prometheus-detailed-counters.txt'), 'utf8');
const key = (name: string, vhost = '/') => queueKey({ vhost, name });
const counters = (published: number, delivered: number, acked: number, redelivered: number): QueueCounters => ({ published, delivered, acked, redelivered });

/** The amounts of the recorded scenario (see the integration test for how each came about). */
const EXPECTED: Record<string, QueueCounters> = {
  'cnt.acked': counters(13, 16, 13, 3),
  'cnt.noack': counters(7, 7, 0, 0),
  'cnt.quorum': counters(6, 3, 2, 0),
  'cnt.idle': counters(0, 0, 0, 0),
};
const LISTED = new Set(Object.keys(EXPECTED).map((n) => key(n)));
const read = (texts: readonly string[], listed: ReadonlySet<string> = LISTED) => drain(readCounterSteps(texts, listed));

/** One line of channel_queue_metrics or of the published family, written unescaped (3.10.8) unless `esc`. */
const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
const HEADERS = '# TYPE rabbitmq_detailed_channel_messages_acked_total counter\n# TYPE rabbitmq_detailed_queue_messages_published_total counter\n';
const chLine = (family: string, vhost: string, queue: string, value: number, channel = '<0.900.0>') => `rabbitmq_detailed_channel_${family}{channel="${channel}",vhost="${vhost}",queue="${queue}"} ${value}`;
const pubLine = (vhost: string, queue: string, exchange: string, value: number, channel = '<0.901.0>') =>
  `rabbitmq_detailed_queue_messages_published_total{channel="${channel}",queue_vhost="${vhost}",queue="${queue}",exchange_vhost="${vhost}",exchange="${exchange}"} ${value}`;

describe('per-queue counters from the plugin', () => {
  it('sums the recorded 3.10.8 answer per queue over channels and exchanges: deliveries in both ack modes and basic.get, not get_empty', () => {
    const r = read([RECORDED]);
    expect(r.doubtful.size).toBe(0);
    for (const [name, c] of Object.entries(EXPECTED)) expect(countersOf(r, key(name)), name).toEqual(c);
  });

  it('names the two families the collector asks for', () => {
    expect(COUNTER_FAMILIES).toBe('&family=channel_queue_metrics&family=channel_queue_exchange_metrics');
  });

  it('adds up the answers of several nodes (a channel and its counters live on one node)', () => {
    const other = HEADERS + [pubLine('/', 'cnt.idle', '', 4), chLine('messages_delivered_ack_total', '/', 'cnt.idle', 3), chLine('messages_acked_total', '/', 'cnt.idle', 2), chLine('get_total', '/', 'cnt.acked', 1)].join('\n') + '\n';
    const r = read([RECORDED, other]);
    expect(countersOf(r, key('cnt.idle'))).toEqual(counters(4, 3, 2, 0));
    expect(countersOf(r, key('cnt.acked'))).toEqual(counters(13, 17, 13, 3));
  });

  it('gives a listed queue no open channel touched 0s, and ignores queues not listed', () => {
    const r = read([RECORDED], new Set([key('cnt.noack'), key('fresh')]));
    expect(countersOf(r, key('fresh'))).toBe(ZERO_COUNTERS);
    expect(countersOf(r, key('cnt.noack'))).toEqual(EXPECTED['cnt.noack']);
    expect(r.sums.has(key('cnt.acked'))).toBe(false);
  });

  it('leaves every counter unknown (null, not 0) when an answer lacks the families; an empty family is 0s', () => {
    // 3.10.8 with no channel open: both families' # TYPE lines and no sample.
    const empty = ['# TYPE rabbitmq_detailed_channel_messages_acked_total counter', '# TYPE rabbitmq_detailed_queue_messages_published_total counter'].join('\n') + '\n';
    expect(countersOf(read([empty]), key('cnt.acked'))).toEqual(ZERO_COUNTERS);
    const depthOnly = RECORDED.split('\n').filter((l) => !/rabbitmq_detailed_(channel_|queue_messages_published)/.test(l)).join('\n');
    expect(countersOf(read([depthOnly]), key('cnt.acked'))).toBeNull();
    // One node of two without them: a sum over part of the cluster would undercount.
    expect(countersOf(read([RECORDED, depthOnly]), key('cnt.acked'))).toBeNull();
  });

  for (const escaped of [false, true]) {
    it(`never gives a queue another's counters: a line that fits two listed queues leaves both unknown (${escaped ? 'escaped' : '3.10.8, unescaped'})`, () => {
      const v = escaped ? esc : (s: string) => s;
      // Unescaped, queue `a",queue="b` in `/` and queue `b` in `/",queue="a` print the same labels.
      const one = { vhost: '/', name: 'a",queue="b' };
      const twin = { vhost: '/",queue="a', name: 'b' };
      const clean = { vhost: '/', name: 'compute.cmp-10"k' };
      const text = HEADERS + [
        chLine('messages_acked_total', v(one.vhost), v(one.name), 5),
        chLine('messages_acked_total', v(clean.vhost), v(clean.name), 2),
        pubLine(v(clean.vhost), v(clean.name), v('odd",exchange_vhost="/'), 9),
      ].join('\n') + '\n';
      const r = read([text], new Set([queueKey(one), queueKey(twin), queueKey(clean)]));
      expect(countersOf(r, queueKey(clean))).toEqual(counters(9, 0, 2, 0));
      if (escaped) {
        expect(countersOf(r, queueKey(one))).toEqual(counters(0, 0, 5, 0));
        expect(countersOf(r, queueKey(twin))).toEqual(ZERO_COUNTERS);
      } else {
        expect(countersOf(r, queueKey(one))).toBeNull();
        expect(countersOf(r, queueKey(twin))).toBeNull();
      }
    });
  }
});

describe('pluginDepth with counters', () => {
  const listing = { queues: Object.keys(EXPECTED).map((name) => ({ name, vhost: '/' }) as RawQueue) };
  const http: HttpClient = {
    lifetime: { requests: 0, bytes: 0 },
    getText: async (url) => {
      expect(url).toContain(COUNTER_FAMILIES);
      return RECORDED;
    },
    getJson: async () => null,
    close: async () => undefined,
  };

  it("gives every listed queue the plugin's counters, also the quorum queue whose depth 3.10.8 leaves to the management API", async () => {
    // 3.10.8's queue_coarse_metrics has no quorum queue: cnt.quorum's depth is asked by name.
    const api = async () => ({ name: 'cnt.quorum', vhost: '/', consumers: 0, messages: 3, messages_ready: 3, messages_unacknowledged: 0, message_stats: { publish: 99 } });
    const r = await pluginDepth({ http, pluginUrls: ['http://p'], counter: { requests: 0, bytes: 0 }, api, kept: null, fetchListing: async () => listing, statsDisabled: false });
    expect(r.fromManagement).toBe(1);
    expect(r.depth.get(key('cnt.quorum'))?.messages).toBe(3);
    expect(Object.fromEntries([...r.counters].map(([k, c]) => [k.split('\u0000')[1], c]))).toEqual(EXPECTED);
  });
});

describe('rates from plugin counters', () => {
  const snap = (takenAt: number, published: number): Snapshot =>
    ({ takenAt, queues: [{ vhost: '/', name: 'cnt.acked', messages: 0, counters: counters(published, 0, 0, 0) }] }) as unknown as Snapshot;

  it('rates a rising sum, and gives no rate (not a negative one) when a closed channel takes its counts away', () => {
    expect(queueRates(snap(0, 13), snap(10_000, 33)).get(key('cnt.acked'))?.publish).toBe(2);
    // The publishing channel closed between the two polls: the sum fell from 33 to 5.
    expect(queueRates(snap(10_000, 33), snap(20_000, 5)).get(key('cnt.acked'))?.publish).toBeNull();
    expect(queueRates(snap(20_000, 5), snap(30_000, 15)).get(key('cnt.acked'))?.publish).toBe(1);
  });
});
