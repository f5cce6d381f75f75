// Per-queue message counters on the plugin path, from the rabbitmq_prometheus plugin's
// per-channel detailed families, so per-queue rates exist at every size and not only
// where the management API's stats-augmented /api/queues is affordable.
//
// The management API's message_stats are the same channel counters, folded per queue
// into its stats DB, where they outlive the channel. The plugin keeps them per channel
// (and per exchange for publishes) and drops a channel's rows when it closes, so the
// sum taken here is over the channels open now: when a channel that published to or
// consumed from a queue closes, the queue's sum goes down. src/snapshot/rates.ts's
// counterRate takes any decrease for a reset and gives no rate (null) over that window;
// the next window rates normally again. So on the plugin path a rate is missing, never
// wrong, for the window in which a channel closed, and a counter restarts from what the
// open channels hold (README "Per-queue counters on the plugin path").
import type { QueueCounters } from './types.js';
import { familyLines, readingsOf } from './prometheus.js';

/** The two families, appended to the depth query (one request per node for both). */
export const COUNTER_FAMILIES = '&family=channel_queue_metrics&family=channel_queue_exchange_metrics';

type CounterField = keyof QueueCounters;

/**
 * Each sample's counter, as RabbitMQ 3.10 names them. `delivered` is the management API's
 * `deliver_get`: deliveries in manual and automatic acknowledgement mode and basic.get
 * in both modes (the plugin's `get_total` is the automatic one, `get_ack_total` the manual).
 */
const COUNTER_FIELD: Readonly<Record<string, CounterField>> = {
  // channel_queue_exchange_metrics: channel, queue_vhost, queue, exchange_vhost, exchange
  rabbitmq_detailed_queue_messages_published_total: 'published',
  // channel_queue_metrics: channel, vhost, queue
  rabbitmq_detailed_channel_messages_delivered_ack_total: 'delivered',
  rabbitmq_detailed_channel_messages_delivered_total: 'delivered',
  rabbitmq_detailed_channel_get_ack_total: 'delivered',
  rabbitmq_detailed_channel_get_total: 'delivered',
  rabbitmq_detailed_channel_messages_acked_total: 'acked',
  rabbitmq_detailed_channel_messages_redelivered_total: 'redelivered',
};

export const ZERO_COUNTERS: QueueCounters = Object.freeze({ published: 0, delivered: 0, acked: 0, redelivered: 0 });

interface Sum {
  published: number;
  delivered: number;
  acked: number;
  redelivered: number;
}

/** What all nodes' answers say about the listed queues' counters. */
export interface CounterReading {
  /** Sums over every node's open channels (and exchanges, for publishes), by queueKey; a listed queue absent here has none: 0. */
  readonly sums: ReadonlyMap<string, QueueCounters>;
  /** Listed queues named by a line that fits another listed queue too (unescaped 3.10 labels): their counters are unknown. */
  readonly doubtful: ReadonlySet<string>;
  /**
   * Whether every answer holds both families. The plugin writes a family's `# TYPE` line
   * also when it has no sample (3.10.8, checked), so a missing one means the family is not
   * served (another exporter, an older plugin): every counter is then unknown, not 0.
   */
  readonly known: boolean;
}

const PUBLISHED_TYPE = '# TYPE rabbitmq_detailed_queue_messages_published_total ';
const CHANNEL_TYPE = '# TYPE rabbitmq_detailed_channel_messages_acked_total ';

/**
 * Sums the counter families of every node's answer (`texts`) per listed queue. A channel
 * lives on one node and the plugin is node-local, so each (channel, queue) row is in
 * exactly one answer and the sums over nodes are the cluster's. Attribution is the
 * depth reader's (readingsOf in ./prometheus.ts): a line is counted only for the one
 * listed queue it can stand for; a line that fits two makes both doubtful.
 */
export function* readCounterSteps(texts: readonly string[], listed: ReadonlySet<string>): Generator<void, CounterReading> {
  const sums = new Map<string, Sum>();
  const doubtful = new Set<string>();
  const accept = (k: string) => listed.has(k);
  let known = texts.length > 0;
  for (const text of texts) {
    let families = 0;
    const comment = (start: number) => {
      if (text.startsWith(PUBLISHED_TYPE, start)) families |= 1;
      else if (text.startsWith(CHANNEL_TYPE, start)) families |= 2;
    };
    yield* familyLines(text, COUNTER_FIELD, comment, (field, inner, value) => {
      const keys = queuesOf(inner, field === 'published', accept);
      if (keys.length === 0) return;
      if (keys.length > 1) {
        for (const k of keys) doubtful.add(k);
        return;
      }
      const k = keys[0]!;
      let s = sums.get(k);
      if (!s) sums.set(k, (s = { published: 0, delivered: 0, acked: 0, redelivered: 0 }));
      s[field] += value;
    });
    if (families !== 3) known = false;
  }
  for (const k of doubtful) sums.delete(k);
  return { sums, doubtful, known };
}

/** A listed queue's counters from a reading: null where doubtful or not served, 0s where no open channel touched it. */
export function countersOf(r: CounterReading, key: string): QueueCounters | null {
  if (!r.known || r.doubtful.has(key)) return null;
  return r.sums.get(key) ?? ZERO_COUNTERS;
}

const CHANNEL = 'channel="';
const QUEUE_VHOST = 'queue_vhost="';
const EXCHANGE_VHOST = '",exchange_vhost="';

/**
 * The listed queueKeys a counter line's labels can stand for. The channel label (a pid,
 * `<0.846.0>`, never a quote) comes first; then `vhost`, `queue` (channel_queue_metrics)
 * or `queue_vhost`, `queue`, `exchange_vhost`, `exchange` (the published family), where
 * an unescaped exchange name can hold the separator too: every split is tried.
 */
function queuesOf(inner: string, published: boolean, accept: (key: string) => boolean): string[] {
  if (!inner.startsWith(CHANNEL)) return [];
  const afterChannel = inner.indexOf('",', CHANNEL.length);
  if (afterChannel === -1) return [];
  const rest = inner.slice(afterChannel + 2);
  if (!published) return readingsOf(rest, accept);
  if (!rest.startsWith(QUEUE_VHOST)) return [];
  const out: string[] = [];
  for (let p = rest.indexOf(EXCHANGE_VHOST); p !== -1; p = rest.indexOf(EXCHANGE_VHOST, p + 1)) {
    for (const k of readingsOf('vhost="' + rest.slice(QUEUE_VHOST.length, p + 1), accept)) if (!out.includes(k)) out.push(k);
  }
  return out;
}
