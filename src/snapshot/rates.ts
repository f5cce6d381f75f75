import { queueKey } from '../sources/index.js';
import type { QueueInfo, Snapshot } from './types.js';

export { queueKey };

/** Per-second rates of one queue between the oldest and newest Snapshot given. null where unknown. */
export interface QueueRates {
  readonly publish: number | null;
  readonly deliver: number | null;
  readonly ack: number | null;
  /** Change of total depth per second (positive = growing). */
  readonly growth: number | null;
}

export interface TotalRates {
  readonly publish: number | null;
  readonly deliver: number | null;
  readonly unroutable: number | null;
  readonly connectionsOpened: number | null;
  readonly connectionsClosed: number | null;
  readonly queuesDeclared: number | null;
  readonly queuesDeleted: number | null;
}

/** A counter's rate; a counter that went backwards was reset (queue re-declared, node restarted) and gives null. */
export function counterRate(prev: number | null | undefined, cur: number | null | undefined, seconds: number): number | null {
  if (prev == null || cur == null || seconds <= 0 || cur < prev) return null;
  return (cur - prev) / seconds;
}

/** What a rate is taken against: a Snapshot, or a sample of the history (src/snapshot/history.ts) that looks queues up by key. */
export type RateBase =
  | Snapshot
  | { readonly takenAt: number; queue(key: string): Pick<QueueInfo, 'messages' | 'counters'> | undefined };

function lookupOf(prev: RateBase | undefined): (key: string) => Pick<QueueInfo, 'messages' | 'counters'> | undefined {
  if (!prev) return () => undefined;
  if ('queue' in prev) return (key) => prev.queue(key);
  const index = queueIndex(prev);
  return (key) => index.get(key);
}
const indexes = new WeakMap<Snapshot, ReadonlyMap<string, QueueInfo>>();

/**
 * A Snapshot's queues by queueKey, built once per Snapshot: each is compared against
 * several times (as the newest, then as the baseline of the polls after it).
 */
export function queueIndex(s: Snapshot): ReadonlyMap<string, QueueInfo> {
  let index = indexes.get(s);
  if (!index) {
    const m = new Map<string, QueueInfo>();
    for (const q of s.queues) m.set(queueKey(q), q);
    indexes.set(s, (index = m));
  }
  return index;
}

/**
 * Rates of every queue of `cur` against `prev` (the two Snapshots to compare; usually the
 * current one and one a few polls older). warren computes these itself from counters so
 * they exist even where the broker's own rates are off.
 */
export function queueRates(prev: RateBase | undefined, cur: Snapshot): Map<string, QueueRates> {
  const out = new Map<string, QueueRates>();
  const seconds = prev ? (cur.takenAt - prev.takenAt) / 1000 : 0;
  const before = lookupOf(prev);
  for (const q of cur.queues) {
    const key = queueKey(q);
    const p = before(key);
    out.set(key, {
      publish: counterRate(p?.counters?.published, q.counters?.published, seconds),
      deliver: counterRate(p?.counters?.delivered, q.counters?.delivered, seconds),
      ack: counterRate(p?.counters?.acked, q.counters?.acked, seconds),
      // Never across an unknown depth (a queue listed before its statistics): it was not 0.
      growth: p && seconds > 0 && q.messages !== null && p.messages !== null ? (q.messages - p.messages) / seconds : null,
    });
  }
  return out;
}

/**
 * queueRates(base, cur), computed once per pair however many rules (and the render) ask.
 * One per cluster, held in that cluster's poll state (src/poll/state.ts).
 */
export interface RatesMemo {
  queueRates(base: RateBase, cur: Snapshot): ReadonlyMap<string, QueueRates>;
}

/**
 * A memo against the newest Snapshot only: once a newer one arrives nobody asks for the
 * older pairs again, and keeping them alive with the history cost ~10 MB per Snapshot at
 * 50k queues.
 */
export function createRatesMemo(): RatesMemo {
  let cur: Snapshot | null = null;
  let byBase = new Map<RateBase, ReadonlyMap<string, QueueRates>>();
  return {
    queueRates(base, snapshot) {
      if (cur !== snapshot) {
        cur = snapshot;
        byBase = new Map();
      }
      let rates = byBase.get(base);
      if (!rates) {
        rates = queueRates(base, snapshot);
        byBase.set(base, rates);
      }
      return rates;
    },
  };
}

export function totalRates(prev: Pick<Snapshot, 'takenAt' | 'totals'> | undefined, cur: Pick<Snapshot, 'takenAt' | 'totals'>): TotalRates {
  const s = prev ? (cur.takenAt - prev.takenAt) / 1000 : 0;
  const a = prev?.totals;
  const b = cur.totals;
  const unroutable = (t: typeof b | undefined) =>
    t && (t.returnedUnroutable != null || t.droppedUnroutable != null) ? (t.returnedUnroutable ?? 0) + (t.droppedUnroutable ?? 0) : null;
  return {
    publish: counterRate(a?.published, b.published, s),
    deliver: counterRate(a?.delivered, b.delivered, s),
    unroutable: counterRate(unroutable(a), unroutable(b), s),
    connectionsOpened: counterRate(a?.connectionsCreated, b.connectionsCreated, s),
    connectionsClosed: counterRate(a?.connectionsClosed, b.connectionsClosed, s),
    queuesDeclared: counterRate(a?.queuesDeclared, b.queuesDeclared, s),
    queuesDeleted: counterRate(a?.queuesDeleted, b.queuesDeleted, s),
  };
}

/**
 * The Snapshot in `history` (oldest first) closest to `windowMs` before the newest one,
 * so rates are taken over a stable window rather than a single jittery interval.
 */
export function baselineFor<T extends { readonly takenAt: number }>(history: readonly T[], windowMs: number): T | undefined {
  const cur = history[history.length - 1];
  if (!cur || history.length < 2) return undefined;
  const target = cur.takenAt - windowMs;
  let best = history[history.length - 2];
  for (let i = history.length - 2; i >= 0; i--) {
    const h = history[i]!;
    if (h.takenAt < target) break;
    best = h;
  }
  return best;
}
