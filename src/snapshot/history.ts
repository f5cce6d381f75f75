// The recent past as numbers, not Snapshots. Rules look back a few minutes (rates, growth,
// how long a consumer has been gone); keeping a dozen whole Snapshots for that cost ~10 MB
// each per 10k queues. A SampleHistory keeps, per kept poll ("row"), what the rules read:
// each queue's depth, consumers and counters in one Float64Array over a stable queue index
// (queueKey -> slot, slots reused once a queue is gone from every row), the cluster's
// totals, nodes, exchanges and security counters, and the hosts consuming each RPC topic
// queue. The Snapshot of the newest row stays referenced until the next one replaces it.
import { queueIndex, queueKey } from './rates.js';
import type { QueueInfo, Snapshot } from './types.js';

/** What a rule reads of a queue in a past sample. */
export type QueuePoint = Pick<QueueInfo, 'messages' | 'ready' | 'unacked' | 'consumers' | 'counters'>;

/** A queue present in a sample: its identity and its numbers then. */
export type PastQueue = QueuePoint & Pick<QueueInfo, 'name' | 'vhost' | 'role' | 'type'>;

/** One poll as rules look back at it: a Snapshot (current, one-shot) or a stored row. */
export interface Sample extends Pick<Snapshot, 'takenAt' | 'totals' | 'nodes' | 'security' | 'exchanges'> {
  /** The Snapshot itself while it is held: the current poll, a one-shot sample, the newest row. */
  readonly snapshot: Snapshot | undefined;
  /** The queue's numbers in this sample; undefined when the queue did not exist then. */
  queue(key: string): QueuePoint | undefined;
  /** The queue as a QueueInfo (identity and other fields as last seen, numbers of this sample). */
  queueInfo(key: string): QueueInfo | undefined;
  /** Every queue present in this sample. */
  queues(): Iterable<PastQueue>;
  /** Hosts of the consumers of an RPC topic queue in this sample (role.host of their connections). */
  consumerHosts(key: string): readonly string[];
}

const NO_HOSTS: readonly string[] = [];

const hostsBySnapshot = new WeakMap<Snapshot, ReadonlyMap<string, readonly string[]>>();

/** queueKey -> hosts of its consumers' connections, built once per Snapshot. */
function consumerHostsOf(s: Snapshot): ReadonlyMap<string, readonly string[]> {
  let m = hostsBySnapshot.get(s);
  if (!m) {
    const conns = new Map(s.connections.map((c) => [c.name, c]));
    const sets = new Map<string, Set<string>>();
    for (const c of s.consumers) {
      const h = conns.get(c.connection)?.role.host;
      if (!h) continue;
      const k = queueKey({ vhost: c.vhost, name: c.queue });
      let hs = sets.get(k);
      if (!hs) sets.set(k, (hs = new Set()));
      hs.add(h);
    }
    const out = new Map<string, readonly string[]>();
    for (const [k, hs] of sets) out.set(k, [...hs]);
    hostsBySnapshot.set(s, (m = out));
  }
  return m;
}

const snapshotSamples = new WeakMap<Snapshot, Sample>();

/** A Snapshot as a Sample (one per Snapshot, so it can key memos). */
export function sampleOf(s: Snapshot): Sample {
  let x = snapshotSamples.get(s);
  if (!x) {
    x = {
      snapshot: s,
      takenAt: s.takenAt,
      totals: s.totals,
      nodes: s.nodes,
      exchanges: s.exchanges,
      ...(s.security !== undefined ? { security: s.security } : {}),
      queue: (key) => queueIndex(s).get(key),
      queueInfo: (key) => queueIndex(s).get(key),
      queues: () => s.queues,
      consumerHosts: (key) => consumerHostsOf(s).get(key) ?? NO_HOSTS,
    };
    snapshotSamples.set(s, x);
  }
  return x;
}

// Field offsets of one queue in a row; NaN is "unknown" (and a rate across it is unknown).
const MESSAGES = 0;
const READY = 1;
const UNACKED = 2;
const CONSUMERS = 3;
const PUBLISHED = 4;
const DELIVERED = 5;
const ACKED = 6;
const REDELIVERED = 7;
/** Numbers kept per queue and row. */
const FIELDS = 8;

interface Row {
  readonly takenAt: number;
  readonly totals: Snapshot['totals'];
  readonly nodes: Snapshot['nodes'];
  readonly exchanges: Snapshot['exchanges'];
  readonly security: Snapshot['security'];
  /** The slot's generation when the queue was present in this row, 0 when absent. */
  gen: Uint32Array;
  data: Float64Array;
  /** RPC topic queues' consumer hosts (the only queues rules ask that of). */
  readonly topicHosts: ReadonlyMap<string, readonly string[]>;
  snapshot: Snapshot | undefined;
  sample?: Sample;
}

interface Slot {
  readonly key: string;
  readonly gen: number;
  /** The queue as last seen (its identity; the numbers of a row come from the row). */
  q: QueueInfo;
  /** takenAt of the newest row it was present in. */
  lastSeen: number;
}

const num = (v: number | null | undefined): number => (v === null || v === undefined ? NaN : v);
/** Unknown (NaN in the store) reads back as null, as the Snapshot spells it. */
const back = (v: number): number | null => (Number.isNaN(v) ? null : v);

/**
 * The rows rules look back at, oldest first, with which of them to keep decided by the
 * caller (src/poll/history.ts thins them by age). Each append builds a new `samples` array
 * and never writes into a row already built, so a reader holding an older `samples` is not
 * changed under it.
 */
export class SampleHistory {
  private readonly slots = new Map<string, number>();
  private slotInfo: Array<Slot | undefined> = [];
  private readonly free: number[] = [];
  private rows: Row[] = [];
  private nextGen = 1;
  private view: readonly Sample[] = [];

  /** The samples oldest first, the newest last. */
  get samples(): readonly Sample[] {
    return this.view;
  }

  get length(): number {
    return this.rows.length;
  }

  /** What is kept (tests, bench): queue slots in use, slots allocated, rows. */
  get stats(): { slots: number; capacity: number; rows: number } {
    return { slots: this.slots.size, capacity: this.slotInfo.length, rows: this.rows.length };
  }

  /**
   * Adds a row for `s` and keeps the rows `keep` selects (it gets their times oldest first,
   * `s`'s last, and returns one flag per time).
   */
  append(s: Snapshot, keep: (times: readonly number[]) => readonly boolean[] = (t) => t.map(() => true)): void {
    const times = [...this.rows.map((r) => r.takenAt), s.takenAt];
    const flags = keep(times);
    const rows = this.rows.filter((_, i) => flags[i]);
    for (const r of rows) r.snapshot = undefined;
    if (flags[times.length - 1] !== false) rows.push(this.rowOf(s));
    this.rows = rows;
    this.release();
    this.view = rows.map((r) => this.sampleOfRow(r));
  }

  private rowOf(s: Snapshot): Row {
    const n = s.queues.length;
    const capacity = Math.max(this.slotInfo.length, 16);
    let gen = new Uint32Array(capacity);
    let data = new Float64Array(capacity * FIELDS);
    const topicKeys: string[] = [];
    for (let i = 0; i < n; i++) {
      const q = s.queues[i]!;
      const key = queueKey(q);
      let slot = this.slots.get(key);
      if (slot === undefined) {
        slot = this.free.pop() ?? this.slotInfo.length;
        this.slotInfo[slot] = { key, gen: this.nextGen++, q, lastSeen: s.takenAt };
        this.slots.set(key, slot);
      }
      const info = this.slotInfo[slot]!;
      info.q = q;
      info.lastSeen = s.takenAt;
      if (slot >= gen.length) {
        const size = Math.max(slot + 1, gen.length * 2);
        const g = new Uint32Array(size);
        g.set(gen);
        gen = g;
        const d = new Float64Array(size * FIELDS);
        d.set(data);
        data = d;
      }
      gen[slot] = info.gen;
      const o = slot * FIELDS;
      data[o + MESSAGES] = num(q.messages);
      data[o + READY] = num(q.ready);
      data[o + UNACKED] = num(q.unacked);
      data[o + CONSUMERS] = num(q.consumers);
      const c = q.counters;
      data[o + PUBLISHED] = num(c?.published);
      data[o + DELIVERED] = num(c?.delivered);
      data[o + ACKED] = num(c?.acked);
      data[o + REDELIVERED] = num(c?.redelivered);
      if (q.role.kind === 'rpc_topic') topicKeys.push(key);
    }
    const hosts = consumerHostsOf(s);
    const topicHosts = new Map<string, readonly string[]>();
    for (const k of topicKeys) {
      const h = hosts.get(k);
      if (h) topicHosts.set(k, h);
    }
    return { takenAt: s.takenAt, totals: s.totals, nodes: s.nodes, exchanges: s.exchanges, security: s.security, gen, data, topicHosts, snapshot: s };
  }

  /** Frees the slots of queues present in no kept row. */
  private release(): void {
    const oldest = this.rows[0]?.takenAt ?? Infinity;
    for (const [key, slot] of this.slots) {
      const info = this.slotInfo[slot]!;
      if (info.lastSeen >= oldest) continue;
      this.slots.delete(key);
      this.slotInfo[slot] = undefined;
      this.free.push(slot);
    }
  }

  private sampleOfRow(r: Row): Sample {
    if (r.snapshot) return sampleOf(r.snapshot);
    if (r.sample) return r.sample;
    const slotOf = (key: string): Slot | undefined => {
      const slot = this.slots.get(key);
      if (slot === undefined || slot >= r.gen.length) return undefined;
      const info = this.slotInfo[slot];
      return info && r.gen[slot] === info.gen ? info : undefined;
    };
    const point = (slot: number): QueuePoint => {
      const o = slot * FIELDS;
      const d = r.data;
      const published = d[o + PUBLISHED]!;
      return {
        messages: back(d[o + MESSAGES]!),
        ready: back(d[o + READY]!),
        unacked: back(d[o + UNACKED]!),
        consumers: back(d[o + CONSUMERS]!),
        counters: Number.isNaN(published)
          ? null
          : // Counters are known all four or none (QueueCounters).
            { published, delivered: d[o + DELIVERED]!, acked: d[o + ACKED]!, redelivered: d[o + REDELIVERED]! },
      };
    };
    const slotInfo = this.slotInfo;
    const sample: Sample = {
      snapshot: undefined,
      takenAt: r.takenAt,
      totals: r.totals,
      nodes: r.nodes,
      exchanges: r.exchanges,
      ...(r.security !== undefined ? { security: r.security } : {}),
      queue: (key) => {
        const info = slotOf(key);
        return info ? point(this.slots.get(key)!) : undefined;
      },
      queueInfo: (key) => {
        const info = slotOf(key);
        return info ? { ...info.q, ...point(this.slots.get(key)!) } : undefined;
      },
      *queues() {
        for (let slot = 0; slot < r.gen.length; slot++) {
          const info = slotInfo[slot];
          if (!info || r.gen[slot] !== info.gen) continue;
          const { name, vhost, role, type } = info.q;
          yield { name, vhost, role, type, ...point(slot) };
        }
      },
      consumerHosts: (key) => r.topicHosts.get(key) ?? NO_HOSTS,
    };
    r.sample = sample;
    return sample;
  }
}

/**
 * What a rule context's `history` may be: the daemon's samples (a SampleHistory's `samples`,
 * which later appends leave as they are), the store itself, or Snapshots (one-shot runs, tests).
 */
export type HistoryInput = SampleHistory | readonly Sample[] | readonly Snapshot[];

const isSample = (x: Sample | Snapshot): x is Sample => 'queue' in x;

/** The samples of a history, oldest first. */
export function samplesIn(h: HistoryInput): readonly Sample[] {
  if (h instanceof SampleHistory) return h.samples;
  const first = h[0];
  if (!first || isSample(first)) return h as readonly Sample[];
  return (h as readonly Snapshot[]).map(sampleOf);
}

/**
 * The samples as Snapshots, for the report (ClusterInput.samples): a sample without its
 * Snapshot gets one shaped from the newest, with its own numbers and its queues rebuilt.
 */
export function snapshotsOf(h: HistoryInput): Snapshot[] {
  const samples = samplesIn(h);
  const latest = samples[samples.length - 1]?.snapshot;
  if (!latest) return [];
  return samples.map(
    (x) =>
      x.snapshot ??
      ({
        ...latest,
        takenAt: x.takenAt,
        totals: x.totals,
        nodes: x.nodes,
        exchanges: x.exchanges,
        security: x.security,
        queues: [...x.queues()].map((q) => x.queueInfo(queueKey(q))!),
        connections: [],
        consumers: [],
        channels: [],
      } as Snapshot),
  );
}
