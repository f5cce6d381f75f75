// How /metrics is served cheaply: the exposition compressed once per poll with a fresh
// tail spliced on per scrape, and the render cut into slices so scrapes are answered
// while the next exposition is rendered.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deflateHead, deflateSteps, gzipWithTail } from '../../src/metrics/compressed.js';
import { freshnessOf, renderFreshness, renderMetrics, renderSteps } from '../../src/metrics/render.js';
import { acceptsGzip } from '../../src/server/http.js';
import type { PollStatus } from '../../src/poll/index.js';
import { makeQueue, makeSnapshot } from '../support/snapshot.js';

describe('gzip: the poll part compressed once, a fresh tail per scrape', () => {
  it('decompresses to exactly head + tail, as one gzip member, the head compressed in slices', () => {
    // ~2.6 MB: three 1 MiB slices, each ended by a full flush.
    const head = Buffer.from(Array.from({ length: 60_000 }, (_, i) => `rabbitmq_queue_messages{queue="q${i}"} ${i % 7}\n`).join(''));
    let slices = 0;
    const steps = deflateSteps(head);
    let step = steps.next();
    for (; !step.done; step = steps.next()) slices++;
    expect(slices).toBe(3);
    const compressed = step.value;
    expect(compressed).toEqual(deflateHead(head));
    expect(gunzipSync(Buffer.concat(gzipWithTail(deflateHead(Buffer.alloc(0)), Buffer.from('x 1\n')))).toString()).toBe('x 1\n');
    for (const tail of ['process_cpu_seconds_total 1.5\n', '', 'é'.repeat(3000)]) {
      const body = Buffer.concat(gzipWithTail(compressed, Buffer.from(tail)));
      expect(gunzipSync(body).toString()).toBe(head.toString() + tail);
      // Much smaller than the text: the reason to serve it.
      expect(body.length).toBeLessThan(head.length / 5);
      // One member: the trailer's size covers head and tail (a second member's would
      // count the tail alone; gunzip accepts that, clients that read one member do not).
      expect(body.subarray(body.length - 4).readUInt32LE(0)).toBe(head.length + Buffer.byteLength(tail));
    }
  });

  it('reads Accept-Encoding as Prometheus and curl send it, q=0 refuses', () => {
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('gzip, deflate, br')).toBe(true);
    expect(acceptsGzip('deflate, GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip(undefined)).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('br, deflate')).toBe(false);
  });
});

describe('render in slices', () => {
  const snapshot = makeSnapshot({ queues: Array.from({ length: 3500 }, (_, i) => makeQueue({ name: `q${i}`, messages: i })) });
  const status: PollStatus = {
    latest: snapshot, history: [snapshot], lastAttemptAt: snapshot.takenAt, lastSuccessAt: snapshot.takenAt,
    lastError: null, consecutiveFailures: 0, skipped: 0, errors: 0, clusterLabel: 'c',
  };
  const input = [{ status, intervalMs: 30_000, expectedNodes: 1, view: null, alerts: [] }];
  const self = { version: 't', notifications: [], now: snapshot.takenAt };

  it('yields every few hundred queues and renders the same exposition as the one-go render', () => {
    const steps = renderSteps(input, self);
    let slices = 0;
    let r = steps.next();
    while (!r.done) {
      slices++;
      r = steps.next();
    }
    expect(slices).toBeGreaterThanOrEqual(4);
    const strip = (t: string) => t.replace(/^warren_render_duration_seconds .*$/m, '');
    // renderMetrics appends the scrape-time families the daemon splices on per scrape.
    expect(strip(r.value.text + renderFreshness(input.map((c) => freshnessOf(c, self.now)), self.now).text)).toBe(strip(renderMetrics(input, self).text));
    expect(r.value.text).toContain('rabbitmq_queue_messages{cluster="c",vhost="/",queue="q3499"');
  });
});
