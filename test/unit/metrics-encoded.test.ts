// The exposition is encoded as it is rendered and compressed off the serving thread: what
// is served must decode to exactly what was rendered, in one gzip member with the tail.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deflateHead, deflateHeadAsync, gzipWithTail } from '../../src/metrics/compressed.js';
import { ExpositionWriter } from '../../src/metrics/exposition.js';

const lines = (n: number) => Array.from({ length: n }, (_, i) => `rabbitmq_queue_messages{queue="q${i}",vhost="/é"} ${i % 7}\n`).join('');

describe('deflateHeadAsync: the poll part compressed in the thread pool', () => {
  it('decompresses with a fresh tail to exactly head + tail, as one gzip member', async () => {
    for (const head of [Buffer.from(lines(60_000)), Buffer.from('x 1\n'), Buffer.alloc(0)]) {
      const compressed = await deflateHeadAsync(head);
      expect(compressed.length).toBe(head.length);
      // Same CRC as the head compressed on the calling thread: the trailer covers the same bytes.
      expect(compressed.crc).toBe(deflateHead(head).crc);
      for (const tail of ['process_cpu_seconds_total 1.5\n', '', 'é'.repeat(3000)]) {
        const body = Buffer.concat(gzipWithTail(compressed, Buffer.from(tail)));
        expect(gunzipSync(body).toString()).toBe(head.toString() + tail);
        // One member: its trailer counts head and tail.
        expect(body.subarray(body.length - 4).readUInt32LE(0)).toBe(head.length + Buffer.byteLength(tail));
      }
    }
  });

  it('compresses a large exposition well', async () => {
    const head = Buffer.from(lines(60_000));
    const body = Buffer.concat(gzipWithTail(await deflateHeadAsync(head), Buffer.alloc(0)));
    expect(body.length).toBeLessThan(head.length / 5);
  });
});

describe('ExpositionWriter: encoded as it goes, assembled in slices', () => {
  const write = (queues: number) => {
    const w = new ExpositionWriter();
    w.family('a_total', 'counter', 'A \\ with\nnewline.').family('unused', 'gauge', 'Never sampled.').family('b', 'gauge', 'B.');
    for (let i = 0; i < queues; i++) {
      const l = { queue: `q${i}-é"\\\n`, vhost: '/' };
      w.sample('a_total', l, i);
      w.sample('b', l, i / 3);
    }
    return w;
  };

  it('gives the exposition text byte for byte, families in declaration order, empty ones left out', () => {
    const w = write(1500);
    const expected =
      '# HELP a_total A \\\\ with\\nnewline.\n# TYPE a_total counter\n' +
      Array.from({ length: 1500 }, (_, i) => `a_total{queue="q${i}-é\\"\\\\\\n",vhost="/"} ${i}\n`).join('') +
      '# HELP b B.\n# TYPE b gauge\n' +
      Array.from({ length: 1500 }, (_, i) => `b{queue="q${i}-é\\"\\\\\\n",vhost="/"} ${i / 3}\n`).join('');
    expect(w.toString()).toBe(expected);
    expect(w.toBuffer().equals(Buffer.from(expected))).toBe(true);
  });

  it('yields while copying a large exposition and gives the same bytes as in one go', () => {
    const w = write(60_000);
    const steps = w.bufferSteps();
    let yields = 0;
    let r = steps.next();
    for (; !r.done; r = steps.next()) yields++;
    expect(yields).toBeGreaterThanOrEqual(1);
    expect(r.value.equals(w.toBuffer())).toBe(true);
    expect(r.value.length).toBeGreaterThan(4 << 20);
  });
});
