import { describe, expect, it } from 'vitest';
import { DeliveryError, PermanentDeliveryError } from '../../src/notify/http.js';
import { DeliveryQueue, type Clock, type DropReason, type QueuedItem } from '../../src/notify/queue.js';

/** A clock whose timers run only when the test advances time. */
class FakeClock implements Clock {
  t = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private seq = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  /** The delays of pending timers, relative to now. */
  pending(): number[] {
    return this.timers.map((x) => x.at - this.t);
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
    await settle();
  }
}

async function settle() {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

interface Harness {
  clock: FakeClock;
  sent: string[][];
  drops: Array<{ payloads: string[]; reason: DropReason }>;
  errors: Array<{ failures: number; retryIn: number }>;
  fail: { next: number; permanent: boolean };
  queue: DeliveryQueue<string>;
}

function harness(opts: { maxSize?: number; batchSize?: number; random?: () => number } = {}): Harness {
  const h = { clock: new FakeClock(), sent: [], drops: [], errors: [], fail: { next: 0, permanent: false } } as unknown as Harness;
  h.queue = new DeliveryQueue<string>({
    receiver: 'test',
    clock: h.clock,
    random: opts.random ?? (() => 0.5),
    maxSize: opts.maxSize ?? 10,
    batchSize: opts.batchSize ?? 2,
    baseDelayMs: 1000,
    maxDelayMs: 8000,
    send: async (batch) => {
      if (h.fail.next > 0) {
        h.fail.next--;
        throw h.fail.permanent ? new PermanentDeliveryError('400 bad payload', 400) : new DeliveryError('503', 503);
      }
      h.sent.push([...batch]);
    },
    onDrop: (items: ReadonlyArray<QueuedItem<string>>, reason) => h.drops.push({ payloads: items.map((i) => i.payload), reason }),
    onError: (_e, failures, retryIn) => h.errors.push({ failures, retryIn }),
  });
  return h;
}

describe('DeliveryQueue', () => {
  it('delivers in order, in batches, one request at a time', async () => {
    const h = harness();
    for (const p of ['a', 'b', 'c', 'd', 'e']) h.queue.enqueue(p);
    await h.clock.advance(0);
    expect(h.sent).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(h.queue.stats()).toMatchObject({ queued: 0, sent: 5, failed: 0, dropped: 0 });
  });

  it('retries with exponential backoff and jitter, capped, keeping the items', async () => {
    const h = harness();
    h.fail.next = 5;
    h.queue.enqueue('a');
    await h.clock.advance(0);
    // equal jitter with random 0.5: 0.75 x (1 s, 2 s, 4 s, 8 s, 8 s cap)
    for (const wait of [750, 1500, 3000, 6000, 6000]) {
      expect(h.sent).toEqual([]);
      expect(h.clock.pending()).toEqual([wait]);
      await h.clock.advance(wait);
    }
    expect(h.errors.map((e) => e.retryIn)).toEqual([750, 1500, 3000, 6000, 6000]);
    expect(h.sent).toEqual([['a']]);
    expect(h.queue.stats()).toMatchObject({ queued: 0, sent: 1, failed: 5, consecutiveFailures: 0 });
  });

  it('jitter stays within [delay/2, delay] and never above the cap', async () => {
    for (const [r, expected] of [[0, 500], [0.999, 1000]] as const) {
      const h = harness({ random: () => r });
      h.fail.next = 1;
      h.queue.enqueue('a');
      await h.clock.advance(0);
      expect(h.clock.pending()[0]).toBeCloseTo(expected, -1);
    }
  });

  it('does not hammer a failing receiver when more notifications arrive', async () => {
    const h = harness();
    h.fail.next = 1;
    h.queue.enqueue('a');
    await h.clock.advance(0);
    h.queue.enqueue('b');
    await h.clock.advance(100);
    expect(h.sent).toEqual([]);
    await h.clock.advance(650);
    expect(h.sent).toEqual([['a', 'b']]);
  });

  it('when full drops the oldest resolved notification first, then the oldest firing one, counting both', async () => {
    const h = harness({ maxSize: 3 });
    h.fail.next = 100; // keep everything queued
    h.queue.enqueue('f1');
    h.queue.enqueue('r1', { resolved: true });
    h.queue.enqueue('f2');
    h.queue.enqueue('f3'); // full: r1 goes
    h.queue.enqueue('f4'); // no resolved left: the oldest not in flight goes
    await h.clock.advance(0);
    expect(h.drops).toEqual([
      { payloads: ['r1'], reason: 'full' },
      { payloads: ['f1'], reason: 'full' },
    ]);
    expect(h.queue.stats()).toMatchObject({ queued: 3, dropped: 2, droppedResolved: 1, droppedFiring: 1 });
    h.fail.next = 0;
    await h.clock.advance(60_000);
    expect(h.sent.flat()).toEqual(['f2', 'f3', 'f4']);
  });

  it('never drops what is being sent', async () => {
    const h = harness({ maxSize: 2, batchSize: 2 });
    let release!: () => void;
    const q = new DeliveryQueue<string>({
      receiver: 'slow',
      clock: h.clock,
      maxSize: 2,
      batchSize: 2,
      send: (batch) =>
        new Promise<void>((resolve) => {
          h.sent.push([...batch]);
          release = resolve;
        }),
      onDrop: (items, reason) => h.drops.push({ payloads: items.map((i) => i.payload), reason }),
    });
    q.enqueue('a');
    q.enqueue('b');
    await h.clock.advance(0); // a and b in flight
    q.enqueue('c'); // full, everything in flight: the newcomer is dropped, and counted
    expect(h.drops).toEqual([{ payloads: ['c'], reason: 'full' }]);
    release();
    await h.clock.advance(0);
    expect(q.stats()).toMatchObject({ sent: 2, dropped: 1 });
  });

  it('coalesces items with the same key (the newest state wins) without counting a drop', async () => {
    const h = harness();
    h.fail.next = 1;
    h.queue.enqueue('alert-1 firing', { key: 'alert-1' });
    await h.clock.advance(0); // failed once, waiting
    h.queue.enqueue('alert-1 resolved', { key: 'alert-1', resolved: true });
    h.queue.enqueue('alert-2 firing', { key: 'alert-2' });
    await h.clock.advance(10_000);
    expect(h.sent).toEqual([['alert-1 resolved', 'alert-2 firing']]);
    expect(h.queue.stats()).toMatchObject({ coalesced: 1, dropped: 0 });
  });

  it('drops a batch the receiver rejects for good, reports it, and goes on', async () => {
    const h = harness({ batchSize: 1 });
    h.fail.next = 1;
    h.fail.permanent = true;
    h.queue.enqueue('bad');
    h.queue.enqueue('good');
    await h.clock.advance(0);
    expect(h.drops).toEqual([{ payloads: ['bad'], reason: 'rejected' }]);
    expect(h.sent).toEqual([['good']]);
    expect(h.queue.stats()).toMatchObject({ rejected: 1, dropped: 1, sent: 1, failed: 0 });
  });

  it('saves and restores its items and counters', async () => {
    const h = harness();
    h.fail.next = 100;
    h.queue.enqueue('a', { key: 'k' });
    h.queue.enqueue('b', { resolved: true });
    await h.clock.advance(0);
    h.queue.close();
    const saved = JSON.parse(JSON.stringify(h.queue.toJSON()));
    expect(saved.items.map((i: QueuedItem<string>) => [i.payload, i.resolved, i.key])).toEqual([
      ['a', false, 'k'],
      ['b', true, undefined],
    ]);
    const sent: string[] = [];
    const clock = new FakeClock();
    const restored = DeliveryQueue.fromJSON<string>(saved, { receiver: 'test', clock, send: async (b) => void sent.push(...b) });
    await clock.advance(0);
    expect(sent).toEqual(['a', 'b']);
    expect(restored.stats()).toMatchObject({ failed: 1, sent: 2 });
  });

  it('drain sends now, ignoring the backoff, and says whether everything went', async () => {
    const h = harness();
    h.fail.next = 1;
    h.queue.enqueue('a');
    await h.clock.advance(0);
    expect(h.clock.pending()).toEqual([750]);
    expect(await h.queue.drain(5000)).toBe(true);
    expect(h.sent).toEqual([['a']]);
    h.fail.next = 1;
    h.queue.enqueue('b');
    h.queue.close();
    expect(await h.queue.drain(5000)).toBe(false);
    expect(h.queue.size).toBe(1);
  });
});
