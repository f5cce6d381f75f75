// A delivery queue per receiver: notifications wait here until the receiver takes them.
//
// - Sends in batches, one at a time (no parallel requests to one receiver).
// - On a retryable failure it waits base × 2^(failures-1), capped at maxDelay, with
//   "equal jitter" (a random point in the upper half) so a restarted Alertmanager is
//   not hit by every warren at once. Notifications stay queued while it waits.
// - A receiver that refuses a batch for good (PermanentDeliveryError: 4xx) gets it
//   dropped, counted as rejected and reported through onDrop.
// - Bounded: when full, the oldest RESOLVED notification goes first (a missed "resolved"
//   is repaired by Alertmanager's own expiry, a missed "firing" is a page nobody gets),
//   then the oldest of any kind. Every drop is counted and reported through onDrop.
// - Items with the same `key` coalesce: a newer state of the same alert replaces the
//   queued one (counted as `coalesced`, not as a drop: nothing is lost).
// - Time comes from an injected Clock, so tests drive retries without waiting.
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { PermanentDeliveryError } from './http.js';

export { systemClock, type Clock } from '../clock.js';

export interface QueuedItem<T> {
  payload: T;
  /** Resolved notifications are dropped first when the queue is full. */
  resolved: boolean;
  /** Coalescing key: an item with the same key still waiting is replaced. */
  key?: string;
  enqueuedAt: number;
}

export type DropReason = 'full' | 'rejected';

export interface DeliveryQueueOptions<T> {
  /** A name for logs and metrics (a URL without credentials). */
  receiver: string;
  send(batch: readonly T[]): Promise<void>;
  maxSize?: number;
  batchSize?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  clock?: Clock;
  /** [0, 1); injectable for tests. */
  random?: () => number;
  onDrop?(items: ReadonlyArray<QueuedItem<T>>, reason: DropReason, error?: unknown): void;
  onError?(error: unknown, consecutiveFailures: number, retryInMs: number): void;
}

export interface QueueStats {
  receiver: string;
  queued: number;
  sent: number;
  /** Failed delivery attempts (each retried batch counts once per attempt). */
  failed: number;
  /** Notifications dropped: full queue plus rejected by the receiver. */
  dropped: number;
  droppedResolved: number;
  droppedFiring: number;
  rejected: number;
  coalesced: number;
  consecutiveFailures: number;
}

export interface DeliveryQueueJSON<T> {
  receiver: string;
  items: Array<QueuedItem<T>>;
  stats: Omit<QueueStats, 'receiver' | 'queued' | 'consecutiveFailures'>;
}

export class DeliveryQueue<T> {
  readonly receiver: string;
  private items: Array<QueuedItem<T>> = [];
  /** The newest waiting item of each key: coalescing is a lookup, not a scan of thousands of items. */
  private readonly byKey = new Map<string, QueuedItem<T>>();
  private readonly inFlight = new Set<QueuedItem<T>>();
  private timer: unknown = undefined;
  private current: Promise<boolean> | null = null;
  private closed = false;
  private failures = 0;
  private readonly counts = { sent: 0, failed: 0, dropped: 0, droppedResolved: 0, droppedFiring: 0, rejected: 0, coalesced: 0 };
  private readonly o: Required<Omit<DeliveryQueueOptions<T>, 'onDrop' | 'onError'>> & Pick<DeliveryQueueOptions<T>, 'onDrop' | 'onError'>;

  constructor(options: DeliveryQueueOptions<T>) {
    this.receiver = options.receiver;
    this.o = {
      maxSize: 1000,
      batchSize: 64,
      baseDelayMs: 1000,
      maxDelayMs: 5 * 60_000,
      clock: systemClock,
      random: Math.random,
      ...options,
    };
    if (this.o.maxSize < 1 || this.o.batchSize < 1) throw new RangeError('maxSize and batchSize must be at least 1');
  }

  get size(): number {
    return this.items.length;
  }

  stats(): QueueStats {
    return { receiver: this.receiver, queued: this.items.length, ...this.counts, consecutiveFailures: this.failures };
  }

  enqueue(payload: T, opts: { resolved?: boolean; key?: string } = {}): void {
    if (this.closed) {
      this.drop([{ payload, resolved: opts.resolved ?? false, enqueuedAt: this.o.clock.now() }], 'full');
      return;
    }
    const item: QueuedItem<T> = { payload, resolved: opts.resolved ?? false, enqueuedAt: this.o.clock.now() };
    if (opts.key !== undefined) item.key = opts.key;
    if (item.key !== undefined) {
      const waiting = this.byKey.get(item.key);
      if (waiting && !this.inFlight.has(waiting)) {
        // In place: the newer state keeps the older one's turn.
        waiting.payload = item.payload;
        waiting.resolved = item.resolved;
        waiting.enqueuedAt = item.enqueuedAt;
        this.counts.coalesced++;
        this.kick();
        return;
      }
    }
    if (this.items.length >= this.o.maxSize) {
      const victim = this.pickVictim();
      if (victim === null) {
        this.drop([item], 'full'); // everything queued is in flight: the newcomer cannot fit
        return;
      }
      this.forget(this.items[victim]!);
      this.items.splice(victim, 1);
    }
    this.items.push(item);
    if (item.key !== undefined) this.byKey.set(item.key, item);
    this.kick();
  }

  /** Try to deliver everything now, ignoring backoff (shutdown). True when the queue is empty. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = this.o.clock.now() + timeoutMs;
    this.clearTimer();
    while (this.items.length > 0 && this.o.clock.now() < deadline) {
      const ok = await (this.current ?? this.attempt());
      if (!ok) break;
    }
    return this.items.length === 0;
  }

  /** Stop scheduling; whatever is queued stays (see toJSON). */
  close(): void {
    this.closed = true;
    this.clearTimer();
  }

  toJSON(): DeliveryQueueJSON<T> {
    const { sent, failed, dropped, droppedResolved, droppedFiring, rejected, coalesced } = this.counts;
    return {
      receiver: this.receiver,
      items: this.items.map((i) => ({ ...i })),
      stats: { sent, failed, dropped, droppedResolved, droppedFiring, rejected, coalesced },
    };
  }

  /** A queue with the items (and counters) of a saved one; delivery starts at once. */
  static fromJSON<T>(data: DeliveryQueueJSON<T>, options: DeliveryQueueOptions<T>): DeliveryQueue<T> {
    const q = new DeliveryQueue<T>(options);
    const items = Array.isArray(data?.items) ? data.items : [];
    q.items = items.slice(-q.o.maxSize).map((i) => ({ ...i }));
    for (const i of q.items) if (i.key !== undefined) q.byKey.set(i.key, i);
    const lost = items.length - q.items.length;
    if (data?.stats) for (const k of Object.keys(q.counts) as Array<keyof typeof q.counts>) q.counts[k] = Number(data.stats[k]) || 0;
    if (lost > 0) q.drop(items.slice(0, lost), 'full');
    q.kick();
    return q;
  }

  private pickVictim(): number | null {
    let oldestAny = -1;
    for (let i = 0; i < this.items.length; i++) {
      const it = this.items[i]!;
      if (this.inFlight.has(it)) continue;
      if (it.resolved) {
        this.drop([it], 'full');
        return i;
      }
      if (oldestAny < 0) oldestAny = i;
    }
    if (oldestAny < 0) return null;
    this.drop([this.items[oldestAny]!], 'full');
    return oldestAny;
  }

  private drop(items: ReadonlyArray<QueuedItem<T>>, reason: DropReason, error?: unknown): void {
    for (const it of items) {
      this.counts.dropped++;
      if (it.resolved) this.counts.droppedResolved++;
      else this.counts.droppedFiring++;
      if (reason === 'rejected') this.counts.rejected++;
    }
    this.o.onDrop?.(items, reason, error);
  }

  /** Start sending unless already sending or waiting out a backoff. */
  private kick(): void {
    if (this.closed || this.current || this.timer !== undefined || this.items.length === 0) return;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    this.clearTimer();
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      // A running attempt reschedules when it ends.
      if (!this.closed && !this.current) void this.attempt();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * One batch. Resolves true when it was delivered (or rejected for good and dropped).
   * Whatever happens, the next attempt is scheduled here: at once while items remain,
   * after the backoff when it failed.
   */
  private attempt(): Promise<boolean> {
    let retryIn = 0;
    const p = this.sendBatch()
      .then((r) => {
        retryIn = r.retryIn;
        return r.ok;
      })
      .catch(() => {
        // Only a throwing callback gets here; never retry in a tight loop.
        retryIn = this.o.baseDelayMs;
        return false;
      })
      .finally(() => {
        this.current = null;
        if (!this.closed && this.items.length > 0) this.schedule(retryIn);
      });
    this.current = p;
    return p;
  }

  private async sendBatch(): Promise<{ ok: boolean; retryIn: number }> {
    const batch = this.items.slice(0, this.o.batchSize);
    if (batch.length === 0) return { ok: true, retryIn: 0 };
    for (const it of batch) this.inFlight.add(it);
    try {
      await this.o.send(batch.map((i) => i.payload));
      this.remove(batch);
      this.counts.sent += batch.length;
      this.failures = 0;
      return { ok: true, retryIn: 0 };
    } catch (err) {
      if (err instanceof PermanentDeliveryError) {
        this.remove(batch);
        this.failures = 0;
        this.drop(batch, 'rejected', err);
        return { ok: true, retryIn: 0 };
      }
      this.failures++;
      this.counts.failed++;
      const delay = this.backoff();
      this.o.onError?.(err, this.failures, delay);
      return { ok: false, retryIn: delay };
    } finally {
      for (const it of batch) this.inFlight.delete(it);
    }
  }

  private remove(batch: ReadonlyArray<QueuedItem<T>>): void {
    const gone = new Set(batch);
    this.items = this.items.filter((i) => !gone.has(i));
    for (const i of batch) this.forget(i);
  }

  private forget(item: QueuedItem<T>): void {
    if (item.key !== undefined && this.byKey.get(item.key) === item) this.byKey.delete(item.key);
  }

  /** The wait before the next attempt after `failures` consecutive failures. */
  private backoff(): number {
    const exp = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** Math.min(this.failures - 1, 30));
    return Math.min(this.o.maxDelayMs, Math.round(exp / 2 + this.o.random() * (exp / 2)));
  }
}
