// Queue rules that apply to any RabbitMQ user, plus quorum replication and unroutable
// messages.
import type { OpenStackKind, QueueInfo } from '../../snapshot/index.js';
import type { Finding } from '../types.js';
import { fmtDuration, fmtInt, fmtRate, listSome } from '../../format.js';
import {
  clusterSubject,
  consumerGone,
  defineRule,
  goneFor,
  idleSeconds,
  queueHeldFor,
  queueHolds,
  queueLabels,
  queueScope,
  queueSubject,
  queueTrend,
  windowBase,
  knownQueues,
} from '../helpers.js';
import { alternation, COUNT, n, QUEUE, range } from './promql-text.js';

/*
 * One fault, one finding. The generic queue rules below leave a queue alone when an
 * OpenStack rule owns that symptom for its kind, because the OpenStack rule says more
 * (which service on which host is down) and has the thresholds that fit oslo's traffic:
 *
 *   no consumer    rpc_host      -> openstack-host-queue-unconsumed (critical for compute)
 *                  notification  -> openstack-notifications-unconsumed
 *                  reply, fanout -> openstack-orphan-queues (counted: an orphan with
 *                                   x-expires is normal for 30 min, one alert per queue
 *                                   would bury the real ones after every restart)
 *                  rpc_topic     -> openstack-rpc-topic-unconsumed (critical: every
 *                                   call to the topic times out). (Once such a topic
 *                                   queue holds 100 ready, openstack-rpc-backlog adds the
 *                                   effect on callers: cause and consequence, two
 *                                   findings, deliberately.)
 *                  other stays here.
 *   backlog/growth rpc_topic     -> openstack-rpc-backlog (100 ready already makes callers
 *                                   time out; for RPC the level matters, not the trend)
 *                  a queue of a kind above with no consumer: the backlog is the symptom
 *                  of the "no consumer" fault already reported.
 *   unacked        rpc_topic, rpc_host -> openstack-rpc-unacked (oslo acks on receipt).
 *
 * Streams are skipped by backlog, growth and no-consumer: a stream keeps its messages by
 * design (retention), consumed or not.
 */
const UNCONSUMED_OWNED: ReadonlySet<OpenStackKind> = new Set(['rpc_host', 'rpc_topic', 'notification', 'reply', 'fanout']);

/** RPC queue kinds: oslo acknowledges on receipt, so their unacked messages are openstack-rpc-unacked's. */
export const RPC_KINDS: ReadonlySet<OpenStackKind> = new Set(['rpc_topic', 'rpc_host']);

/** True when an OpenStack rule reports this queue's lack of consumer (and its consequences). */
export function unconsumedOwnedByOpenStack(q: QueueInfo): boolean {
  return UNCONSUMED_OWNED.has(q.role.kind);
}

/** True when an OpenStack rule reports this queue's depth (rpc_topic), or its lack of consumer. */
export function depthOwnedByOpenStack(q: QueueInfo): boolean {
  return q.role.kind === 'rpc_topic' || (q.consumers === 0 && unconsumedOwnedByOpenStack(q));
}

// The same ownership in PromQL, built from the sets above. An owned queue without a
// consumer is reported by an OpenStack rule.
const UNCONSUMED_OWNED_RE = alternation(UNCONSUMED_OWNED);
export const OWNED_UNCONSUMED = `unless on (cluster, vhost, queue) (rabbitmq_queue_consumers{openstack_kind=~"${UNCONSUMED_OWNED_RE}"} == 0)`;
/** The `openstack_kind` alternation of the RPC queue kinds. */
export const RPC_KINDS_RE = alternation(RPC_KINDS);
const STREAMS = 'streams cannot be told apart (queue type is not a label)';

export const isStream = (q: QueueInfo) => q.type === 'stream';

function where(q: QueueInfo): string {
  return `Queue ${q.name} (vhost ${q.vhost})`;
}

export const queueBacklog = defineRule({
  id: 'queue-backlog',
  severity: 'warning',
  forSeconds: 300,
  description: 'ready messages ≥ 1000 (critical ≥ 10000)',
  remedy:
    'Find out why the consumers fall behind: check that they run and are not stuck on a dependency (database, downstream service), then restart or scale them. ' +
    'For a notification queue add the consumer, set `driver = noop` on the producers or add a `message-ttl` policy; purging is safe there, never on an RPC topic queue.',
  defaults: { warning: 1000, critical: 10000 },
  promql: (t) =>
    (['warning', 'critical'] as const).map((severity) => ({
      severity,
      // rpc_topic depth is openstack-rpc-backlog's; an owned queue without consumer is reported as such.
      expr: [`rabbitmq_queue_messages_ready{openstack_kind!="rpc_topic"} >= ${n(t[severity])}`, OWNED_UNCONSUMED].join('\n'),
      summary: `${QUEUE} holds ${COUNT} ready messages`,
      labels: { subject_kind: 'queue' },
    })),
  partlyInPromql: `${STREAMS}, so a stream holding its retention counts`,
  check({ ctx, thresholds, finding }) {
    const out: Finding[] = [];
    for (const q of knownQueues(ctx.snapshot)) {
      if (q.ready === 0 || isStream(q) || depthOwnedByOpenStack(q)) continue;
      const t = thresholds(queueScope(q));
      if (!t || q.ready < t.warning) continue;
      if (!queueHolds(ctx, q, (x) => x.ready >= t.warning)) continue;
      const critical = queueHolds(ctx, q, (x) => x.ready >= t.critical);
      out.push(
        finding(
          queueSubject(q),
          `${where(q)} holds ${fmtInt(q.ready)} ready messages (${critical ? 'critical' : 'warning'} at ${fmtInt(critical ? t.critical : t.warning)}), ${q.consumers} consumers`,
          { ready: q.ready, messages: q.messages, consumers: q.consumers, warning: t.warning, critical: t.critical },
          { severity: critical ? 'critical' : 'warning', labels: queueLabels(q) },
        ),
      );
    }
    return out;
  },
});

export const queueGrowing = defineRule({
  id: 'queue-growing',
  severity: 'warning',
  forSeconds: 300,
  description: 'depth rising for 5 min: publish rate > deliver rate',
  remedy:
    'Consumers are slower than publishers: scale or restart them and check what they wait on (database, downstream services). ' +
    'For a notification queue bound it with a policy (Canonical charm: `message-ttl` 3600000 on `^(versioned_)?notifications.*`).',
  // windowSeconds: the depth and rates are compared over this window (RabbitMQ: rates over ≥ 4
  // scrape intervals); the `for` then requires it to keep rising. minMessages: a noise floor.
  defaults: { windowSeconds: 120, minMessages: 10 },
  promql: (t) => [
    {
      // Deeper than the noise floor, deeper than a window ago and never falling in it, and
      // publishers outpacing consumers where the rates are known (without them depth decides).
      expr: [
        `rabbitmq_queue_messages{openstack_kind!="rpc_topic"} >= ${n(t.minMessages)}`,
        `and rabbitmq_queue_messages > rabbitmq_queue_messages offset ${range(t.windowSeconds)}`,
        `and resets(rabbitmq_queue_messages[${range(t.windowSeconds)}]) == 0`,
        'unless on (cluster, vhost, queue) (rabbitmq_queue_messages_publish_rate <= rabbitmq_queue_messages_deliver_rate)',
        OWNED_UNCONSUMED,
      ].join('\n'),
      summary: `${QUEUE} keeps growing (${COUNT} messages): publishers outpace consumers`,
      labels: { subject_kind: 'queue' },
    },
  ],
  partlyInPromql: STREAMS,
  check({ ctx, thresholds, finding }) {
    const out: Finding[] = [];
    for (const q of knownQueues(ctx.snapshot)) {
      if (q.messages === 0 || isStream(q) || depthOwnedByOpenStack(q)) continue;
      const t = thresholds(queueScope(q));
      if (!t || q.messages < t.minMessages) continue;
      const trend = queueTrend(ctx, q, t.windowSeconds);
      if (!trend || !trend.rising) continue;
      // Without counters (stats disabled) the depth alone has to tell.
      if (trend.publishRate !== null && trend.deliverRate !== null && trend.publishRate <= trend.deliverRate) continue;
      const rates =
        trend.publishRate !== null && trend.deliverRate !== null
          ? `: ${fmtRate(trend.publishRate)} published, ${fmtRate(trend.deliverRate)} delivered`
          : '';
      out.push(
        finding(
          queueSubject(q),
          `${where(q)} grew from ${fmtInt(trend.from)} to ${fmtInt(trend.to)} messages in ${fmtDuration(trend.seconds)}${rates}`,
          { ...trend, consumers: q.consumers, windowSeconds: t.windowSeconds },
          { labels: queueLabels(q) },
        ),
      );
    }
    return out;
  },
});

export const queueNoConsumer = defineRule({
  id: 'queue-no-consumer',
  severity: 'warning',
  forSeconds: 120,
  description: 'messages > 0 and no consumer, for 2 min',
  remedy:
    'Start the consumer that should read this queue and check its log for connection errors. ' +
    'If nothing will ever consume it, delete the queue, or bound it with a `message-ttl`, `max-length` or `expires` policy so it cannot grow without limit.',
  defaults: { messages: 1 },
  promql: (t) => [
    {
      expr: [
        `rabbitmq_queue_messages{openstack_kind!~"${UNCONSUMED_OWNED_RE}"} >= ${n(t.messages)}`,
        'and on (cluster, vhost, queue) rabbitmq_queue_consumers == 0',
      ].join('\n'),
      summary: `${QUEUE} has ${COUNT} messages and no consumer`,
      labels: { subject_kind: 'queue' },
    },
  ],
  partlyInPromql: STREAMS,
  check({ ctx, thresholds, finding, forSeconds }) {
    const out: Finding[] = [];
    for (const q of knownQueues(ctx.snapshot)) {
      if (q.consumers > 0 || q.messages === 0 || isStream(q) || unconsumedOwnedByOpenStack(q)) continue;
      const t = thresholds(queueScope(q));
      if (!t || q.messages < t.messages) continue;
      if (!queueHeldFor(ctx, q, forSeconds, (x) => x.consumers === 0 && x.messages >= t.messages)) continue;
      const idle = idleSeconds(ctx, q);
      const gone = consumerGone(ctx, q);
      out.push(
        finding(
          queueSubject(q),
          `${where(q)} has ${fmtInt(q.messages)} messages and no consumer${gone ? ` ${goneFor(gone)}` : ''}${idle !== null ? ` (idle for ${fmtDuration(idle)})` : ''}`,
          { messages: q.messages, ready: q.ready, consumers: 0, idleSeconds: idle, consumerGoneSeconds: gone?.seconds ?? null, consumerGoneAtLeast: gone?.atLeast ?? null },
          { labels: queueLabels(q) },
        ),
      );
    }
    return out;
  },
});

export const unackedHigh = defineRule({
  id: 'unacked-high',
  severity: 'warning',
  forSeconds: 300,
  description: 'unacknowledged messages ≥ 1000 on a queue',
  remedy:
    'A consumer holds many deliveries without acknowledging them: set a prefetch limit (oslo: `rabbit_qos_prefetch_count`; Kolla uses 50) and restart the stuck consumer. ' +
    'Deliveries never acknowledged are closed by the consumer timeout (30 min), which shows up as disappearing consumers.',
  defaults: { unacked: 1000 },
  promql: (t) => [
    {
      // RPC queues have openstack-rpc-unacked (any unacked there is a stuck consumer).
      expr: `rabbitmq_queue_messages_unacknowledged{openstack_kind!~"${RPC_KINDS_RE}"} >= ${n(t.unacked)}`,
      summary: `${QUEUE} has ${COUNT} unacknowledged messages`,
      labels: { subject_kind: 'queue' },
    },
  ],
  check({ ctx, thresholds, finding }) {
    const out: Finding[] = [];
    for (const q of knownQueues(ctx.snapshot)) {
      if (q.unacked === 0 || RPC_KINDS.has(q.role.kind)) continue;
      const t = thresholds(queueScope(q));
      if (!t || q.unacked < t.unacked) continue;
      if (!queueHolds(ctx, q, (x) => x.unacked >= t.unacked)) continue;
      out.push(
        finding(
          queueSubject(q),
          `${where(q)} has ${fmtInt(q.unacked)} unacknowledged messages across ${q.consumers} consumers (threshold ${fmtInt(t.unacked)})`,
          { unacked: q.unacked, consumers: q.consumers, threshold: t.unacked },
          { labels: queueLabels(q) },
        ),
      );
    }
    return out;
  },
});

export const quorumQueueUnderreplicated = defineRule({
  id: 'quorum-queue-underreplicated',
  severity: 'warning',
  forSeconds: 300,
  description: 'a quorum queue has fewer online members than members, or no leader',
  remedy:
    'Bring the nodes of the missing members back. After replacing a node, add replicas by hand (`rabbitmq-queues grow <new-node> all`; streams: Kolla `rabbitmq-repair-stream-replicas.sh`) ' +
    'and remove the departed node (`rabbitmq-queues shrink <old-node>`). With no leader a majority of the members is down and the queue is unavailable until they return.',
  defaults: {},
  notInPromql: 'quorum members, online members and leaders are not exported as metrics',
  check({ ctx, thresholds, finding }) {
    const out: Finding[] = [];
    for (const q of ctx.snapshot.queues) {
      if (q.type !== 'quorum' || q.members.length === 0) continue;
      const online = new Set(q.online);
      const offline = q.members.filter((m) => !online.has(m));
      if (offline.length === 0 && q.leader !== '') continue;
      if (!thresholds(queueScope(q))) continue;
      const parts = [`${q.online.length} of ${q.members.length} members online`];
      if (offline.length > 0) parts.push(`missing ${listSome(offline, 2)}`);
      parts.push(q.leader ? `leader ${q.leader}` : 'no leader');
      out.push(
        finding(queueSubject(q), `Quorum ${where(q).toLowerCase()} has ${parts.join(', ')}`, {
          members: q.members,
          online: q.online,
          leader: q.leader,
          offline,
        }, { labels: queueLabels(q) }),
      );
    }
    return out;
  },
});

export const unroutableMessages = defineRule({
  id: 'unroutable-messages',
  severity: 'warning',
  forSeconds: 0,
  description: 'messages returned or dropped as unroutable',
  remedy:
    'Messages reach an exchange with no matching binding: find the publisher (compare exchanges\' published-in and published-out) and create the missing queue or binding. ' +
    "In OpenStack a NO_ROUTE reply means the caller's reply_ queue is gone (MessageUndeliverable, seen by the caller as a MessagingTimeout, LP #1905965): check that the calling process is alive and its reply queue has a consumer.",
  // messages: at least this many over the window; windowSeconds: how far back to compare the counters.
  defaults: { messages: 1, windowSeconds: 300 },
  promql: (t) => [
    {
      expr: [
        `increase(rabbitmq_messages_unroutable_returned_total[${range(t.windowSeconds)}])`,
        `+ increase(rabbitmq_messages_unroutable_dropped_total[${range(t.windowSeconds)}])`,
        `>= ${n(t.messages)}`,
      ].join('\n'),
      summary: `About ${COUNT} messages were unroutable (returned or dropped) on cluster {{ $labels.cluster }} in the last ${range(t.windowSeconds)}`,
      labels: { subject_kind: 'cluster' },
    },
  ],
  check({ ctx, thresholds, finding }) {
    const t = thresholds();
    if (!t) return [];
    const base = windowBase(ctx, t.windowSeconds);
    if (!base) return [];
    const a = base.totals;
    const b = ctx.snapshot.totals;
    const returned = delta(a.returnedUnroutable, b.returnedUnroutable);
    const dropped = delta(a.droppedUnroutable, b.droppedUnroutable);
    if (returned === null && dropped === null) return [];
    const total = (returned ?? 0) + (dropped ?? 0);
    if (total < t.messages) return [];
    const seconds = (ctx.snapshot.takenAt - base.takenAt) / 1000;
    return [
      finding(
        clusterSubject(ctx.snapshot),
        `${fmtInt(total)} messages were unroutable in the last ${fmtDuration(seconds)} (${fmtInt(returned ?? 0)} returned to publishers, ${fmtInt(dropped ?? 0)} dropped)`,
        { returned, dropped, seconds, ratePerSecond: seconds > 0 ? total / seconds : null },
      ),
    ];
  },
});

/** A counter's increase; null when unknown or reset (went backwards). */
function delta(before: number | null, after: number | null): number | null {
  if (before === null || after === null || after < before) return null;
  return after - before;
}
