// OpenStack rules: queue roles come from oslo.messaging naming (the collector fills
// `role`).
import { expectedBinary, hostOfServer, PER_PROCESS_TOPICS } from '../../openstack/index.js';
import { diagnoseHostQueue, hostQueueOf, queueKey } from '../../snapshot/index.js';
import type { QueueInfo } from '../../snapshot/index.js';
import type { Finding, RuleContext } from '../types.js';
import { serviceConnectionCounts } from '../learn.js';
import { fmtDuration, fmtInt, listSome } from '../../format.js';
import {
  defineRule,
  idleSeconds,
  acksStalled,
  consumerGone,
  goneFor,
  queueHeldFor,
  queueHolds,
  queueLabels,
  queueScope,
  queueSubject,
  queueTrend,
  samplesOf,
  knownQueues,
} from '../helpers.js';
import { alternation, COUNT, n, range } from './promql-text.js';
import { RPC_KINDS, RPC_KINDS_RE } from './queues.js';

/** Per-host topics whose loss is critical: an instance or volume operation on that host hangs. */
export const CRITICAL_HOST_TOPICS: readonly string[] = ['compute', 'compute-alt', 'cinder-volume'];
const CRITICAL_HOST_TOPICS_RE = alternation(CRITICAL_HOST_TOPICS);

/** A per-host RPC queue of a real host; heat's per-process engine_id queues are orphans instead. */
export function isHostQueue(q: Pick<QueueInfo, 'role'>): boolean {
  return q.role.kind === 'rpc_host' && !PER_PROCESS_TOPICS.has(q.role.topic);
}

/** reply_ and per-process fanout queues, and heat's engine_id queues: one consumer each, or orphaned. */
function isPerProcessQueue(q: QueueInfo): boolean {
  if (q.role.kind === 'reply') return true;
  if (q.role.kind === 'fanout') return q.type !== 'stream'; // a stream fanout is shared and retention-bound
  return q.role.kind === 'rpc_host' && PER_PROCESS_TOPICS.has(q.role.topic);
}

export function topicKey(q: Pick<QueueInfo, 'vhost' | 'role'>): string {
  return `${q.vhost}\u0000${q.role.service}\u0000${q.role.topic}`;
}

/** The hosts that have a per-host queue, per vhost, service and topic. */
export function hostsPerTopic(queues: Iterable<Pick<QueueInfo, 'vhost' | 'role'>>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const q of queues) {
    if (!isHostQueue(q)) continue;
    const k = topicKey(q);
    let hosts = out.get(k);
    if (!hosts) out.set(k, (hosts = new Set()));
    hosts.add(q.role.host);
  }
  return out;
}

const HOST_QUEUE_REMEDY =
  'Restart the service on that host and check its log for `AMQP server … is unreachable` and `Reconnected`. ' +
  'If the host was decommissioned, delete the queue and the service record (`openstack compute service delete`, `openstack network agent delete`, `cinder-manage service remove`). ' +
  "Casts pile up with no TTL and replay when the service returns: consider a `message-ttl` policy like openstack-helm's 70 s, and active probes (oslo `rpc_ping_enabled`).";

export const hostQueueUnconsumed = defineRule({
  id: 'openstack-host-queue-unconsumed',
  severity: 'warning',
  forSeconds: 120,
  description:
    'a per-host RPC queue (`compute.<host>`, `cinder-volume.<host>@<be>`, `dhcp_agent.<host>`, ...) has no consumer for 2 min: that service on that host is down',
  remedy: HOST_QUEUE_REMEDY,
  defaults: {},
  promql: () =>
    (
      [
        ['critical', '=~'],
        ['warning', '!~'],
      ] as const
    ).map(([severity, match]) => ({
      severity,
      expr: `rabbitmq_openstack_host_queue_consumers{topic${match}"${CRITICAL_HOST_TOPICS_RE}"} == 0`,
      summary:
        'RPC queue {{ $labels.topic }}.{{ $labels.host }} has no consumer: {{ $labels.service }} on host {{ $labels.host }} is down (cluster {{ $labels.cluster }})',
      labels: { subject_kind: 'queue' },
    })),
  check({ ctx, thresholds, finding, forSeconds }) {
    const out: Finding[] = [];
    // Hosts per service and topic, so a report can say "on 2,223 of 2,230 hosts".
    const hostsOf = hostsPerTopic(ctx.snapshot.queues);
    for (const q of knownQueues(ctx.snapshot)) {
      if (!isHostQueue(q) || q.consumers > 0) continue;
      if (!thresholds(queueScope(q))) continue;
      if (!queueHeldFor(ctx, q, forSeconds, (x) => x.consumers === 0)) continue;
      const d = diagnoseHostQueue(ctx.snapshot, hostQueueOf(q));
      const who = d.binary || `${q.role.service || q.role.topic} (${q.role.topic})`;
      const why =
        d.verdict === 'lost-subscription'
          ? `; it still holds ${d.serviceConnections.length} connections, so its subscription was lost (consumer cancel or failover)`
          : d.verdict === 'process-gone'
            ? '; it holds no connection: the process is gone'
            : '';
      const idle = idleSeconds(ctx, q);
      const gone = consumerGone(ctx, q);
      const remedy =
        d.verdict === 'lost-subscription'
          ? `Restart ${who} on ${d.host}: it is connected but no longer consumes (a lost subscription). ${HOST_QUEUE_REMEDY}`
          : `Start ${who} on ${d.host}. ${HOST_QUEUE_REMEDY}`;
      out.push(
        finding(
          queueSubject(q),
          `${q.name} has no consumer${gone ? ` ${goneFor(gone)}` : ''}: ${who} on ${d.host} is down${why}; ${fmtInt(q.messages)} messages waiting${idle !== null ? `, last activity ${fmtDuration(idle)} ago` : ''}`,
          {
            service: q.role.service,
            topic: q.role.topic,
            host: d.host,
            binary: d.binary,
            verdict: d.verdict,
            serviceConnections: d.serviceConnections.length,
            hostConnections: d.hostConnections,
            messages: q.messages,
            idleSeconds: idle,
            serviceHosts: hostsOf.get(topicKey(q))?.size ?? 1,
            consumerGoneSeconds: gone?.seconds ?? null,
            consumerGoneAtLeast: gone?.atLeast ?? null,
          },
          { severity: CRITICAL_HOST_TOPICS.includes(q.role.topic) ? 'critical' : 'warning', remedy, labels: queueLabels(q) },
        ),
      );
    }
    return out;
  },
});

/** The hosts that served an RPC topic: its consumers' hosts in the samples, what was learned, and its `<topic>.<server>` queues. */
function servedBy(ctx: RuleContext, q: QueueInfo): string[] {
  const hosts = new Set<string>();
  const key = queueKey(q);
  for (const s of samplesOf(ctx)) for (const h of s.consumerHosts(key)) hosts.add(h);
  for (const h of ctx.learned.topicServers?.[queueKey(q)]?.hosts ?? []) hosts.add(h);
  for (const x of ctx.snapshot.queues) {
    if (x.vhost === q.vhost && x.role.kind === 'rpc_host' && x.role.topic === q.role.topic && x.role.host && !PER_PROCESS_TOPICS.has(x.role.topic)) hosts.add(hostOfServer(x.role.host));
  }
  return [...hosts].sort();
}


export const topicUnconsumed = defineRule({
  id: 'openstack-rpc-topic-unconsumed',
  severity: 'critical',
  forSeconds: 60,
  description:
    'a shared RPC topic queue (`conductor`, `scheduler`, `q-plugin`, `engine`, ...) has no consumer for 1 min: every server of that service is down and its callers time out',
  remedy:
    'Start the service that serves the topic (nova-conductor for `conductor`, nova-scheduler for `scheduler`, neutron-server for `q-plugin`, heat-engine for `engine`) on the hosts that ran it, and check their logs for `AMQP server … is unreachable` and database errors. ' +
    'Until one consumes, every RPC call to the topic fails with MessagingTimeout after `rpc_response_timeout` (60 s) and casts wait in the queue. Never purge an RPC topic queue.',
  defaults: {},
  promql: () => [
    {
      expr: 'rabbitmq_queue_consumers{openstack_kind="rpc_topic"} == 0',
      summary:
        'RPC topic {{ $labels.queue }} ({{ $labels.openstack_service }}, cluster {{ $labels.cluster }}) has no consumer: every server of it is down and calls to it time out (MessagingTimeout)',
      labels: { subject_kind: 'queue' },
    },
  ],
  check({ ctx, thresholds, finding, forSeconds }) {
    const out: Finding[] = [];
    for (const q of knownQueues(ctx.snapshot)) {
      if (q.role.kind !== 'rpc_topic' || q.consumers > 0) continue;
      if (!thresholds(queueScope(q))) continue;
      if (!queueHeldFor(ctx, q, forSeconds, (x) => x.consumers === 0)) continue;
      const binary = expectedBinary(q.role.topic);
      const who = binary || `the ${q.role.service || 'OpenStack'} service serving ${q.role.topic}`;
      const hosts = servedBy(ctx, q);
      const gone = consumerGone(ctx, q);
      const on = hosts.length ? ` on ${listSome(hosts)}` : '';
      out.push(
        finding(
          queueSubject(q),
          `RPC topic ${q.name}${q.role.service ? ` (${q.role.service})` : ''} has no consumer${gone ? ` ${goneFor(gone)}` : ''}: no ${who} serves it${hosts.length ? ` (served before by ${listSome(hosts)})` : ''}; every call to ${q.role.topic} times out (MessagingTimeout) and ${fmtInt(q.messages)} messages wait`,
          {
            service: q.role.service,
            topic: q.role.topic,
            binary,
            servedBefore: hosts,
            messages: q.messages,
            consumerGoneSeconds: gone?.seconds ?? null,
            consumerGoneAtLeast: gone?.atLeast ?? null,
          },
          {
            remedy: `Start ${who}${on}: until one consumes ${q.name}, every RPC call to it fails with MessagingTimeout after \`rpc_response_timeout\` (60 s) and casts wait in the queue. Check its log for \`AMQP server … is unreachable\` and database errors. Never purge an RPC topic queue.`,
            labels: queueLabels(q),
          },
        ),
      );
    }
    return out;
  },
});

export const rpcBacklog = defineRule({
  id: 'openstack-rpc-backlog',
  severity: 'warning',
  forSeconds: 300,
  description:
    'a shared RPC topic queue (`conductor`, `scheduler`, `q-plugin`, `q-reports-plugin`, `engine`, ...) holds ≥ 100 ready messages for 5 min (callers will hit MessagingTimeout)',
  remedy:
    'Restart or scale the consumers of the topic (nova-conductor and neutron RPC workers most often) and check the database they wait on; raise `rpc_response_timeout` only as a last resort. Never purge an RPC topic queue. ' +
    'A backlog on q-reports-plugin makes healthy neutron agents show as dead.',
  defaults: { warning: 100, critical: 1000 },
  promql: (t) =>
    (['warning', 'critical'] as const).map((severity) => ({
      severity,
      expr: `rabbitmq_queue_messages_ready{openstack_kind="rpc_topic"} >= ${n(t[severity])}`,
      summary: `RPC topic queue {{ $labels.queue }} ({{ $labels.openstack_service }}, cluster {{ $labels.cluster }}) holds ${COUNT} ready messages: callers will hit MessagingTimeout`,
      labels: { subject_kind: 'queue' },
    })),
  check({ ctx, thresholds, finding }) {
    const out: Finding[] = [];
    for (const q of knownQueues(ctx.snapshot)) {
      if (q.role.kind !== 'rpc_topic' || q.ready === 0) continue;
      const t = thresholds(queueScope(q));
      if (!t || q.ready < t.warning) continue;
      if (!queueHolds(ctx, q, (x) => x.ready >= t.warning)) continue;
      const critical = queueHolds(ctx, q, (x) => x.ready >= t.critical);
      const binary = expectedBinary(q.role.topic);
      const consumers = q.consumers === 0 ? 'no consumer' : `${q.consumers} consumers`;
      out.push(
        finding(
          queueSubject(q),
          `RPC topic ${q.name}${q.role.service ? ` (${q.role.service})` : ''} holds ${fmtInt(q.ready)} ready messages with ${consumers}: callers will hit MessagingTimeout`,
          { ready: q.ready, consumers: q.consumers, topic: q.role.topic, service: q.role.service, warning: t.warning, critical: t.critical },
          {
            severity: critical ? 'critical' : 'warning',
            remedy: binary ? `Restart or scale ${binary} (the consumers of ${q.role.topic}) and check the database it waits on; raise \`rpc_response_timeout\` only as a last resort. Never purge an RPC topic queue.` : undefined,
            labels: queueLabels(q),
          },
        ),
      );
    }
    return out;
  },
});

export const rpcUnacked = defineRule({
  id: 'openstack-rpc-unacked',
  severity: 'warning',
  // The stall window is the wait: a consumer frozen for stallSeconds is reported at once,
  // before the broker's heartbeat timeout (oslo: 60 s, closed after two missed) requeues.
  forSeconds: 0,
  description:
    'an RPC queue holds unacknowledged messages and its acknowledgements have not advanced for 60 s (oslo acks on receipt, so a consumer is stuck)',
  remedy:
    'oslo.messaging acknowledges RPC messages on receipt, so unacknowledged ones sit in a consumer whose receive loop is stuck (frozen, blocked in a call, swapping): restart that process. ' +
    'Its messages go back to the queue once its connection closes. Set `rabbit_qos_prefetch_count` (Kolla uses 50) so one stuck process cannot hold every message.',
  // unacked: at least this many unacknowledged; stallSeconds: acknowledgements not advancing
  // (counters unknown: the unacknowledged count never falling) for this long.
  defaults: { unacked: 1, stallSeconds: 60 },
  promql: (t) => [
    {
      // Held in every sample of the window, and the ack counter did not move; without the
      // counter (not exported), the unacknowledged count never fell in the window.
      expr: [
        `min_over_time(rabbitmq_queue_messages_unacknowledged{openstack_kind=~"${RPC_KINDS_RE}"}[${range(t.stallSeconds)}]) >= ${n(t.unacked)}`,
        'and on (cluster, vhost, queue) (',
        `  changes(rabbitmq_queue_messages_acked_total[${range(t.stallSeconds)}]) == 0`,
        `  or (resets(rabbitmq_queue_messages_unacknowledged[${range(t.stallSeconds)}]) == 0 unless on (cluster, vhost, queue) rabbitmq_queue_messages_acked_total)`,
        ')',
      ].join('\n'),
      summary: `RPC queue {{ $labels.queue }} ({{ $labels.openstack_service }}, cluster {{ $labels.cluster }}) has held ${COUNT} unacknowledged messages for ${range(t.stallSeconds)} without an acknowledgement: a consumer is stuck`,
      labels: { subject_kind: 'queue' },
    },
  ],
  partlyInPromql: 'one stuck consumer among healthy ones (acknowledgements advance while the unacknowledged count only grows) is judged by warren alone',
  check({ ctx, thresholds, finding }) {
    const out: Finding[] = [];
    for (const q of knownQueues(ctx.snapshot)) {
      if (!RPC_KINDS.has(q.role.kind) || q.unacked === 0) continue;
      const t = thresholds(queueScope(q));
      if (!t) continue;
      // One-shot runs see a few seconds, not the window: acksStalled says what they can judge.
      const stall = acksStalled(ctx, q, t.stallSeconds, t.unacked);
      if (!stall) continue;
      const holders = consumerProcesses(ctx.snapshot, q);
      const seconds = (ctx.snapshot.takenAt - stall.since) / 1000;
      const who =
        holders.length === 1
          ? `: ${holders[0]} holds them, restart it`
          : holders.length > 1
            ? `: one of its consumers holds them (${listSome(holders)})`
            : '';
      const how = { 'ack-counter': 'no acknowledgement', 'unacked-grew': 'the count only growing', 'unacked-never-fell': 'the count never falling' }[stall.decidedBy];
      out.push(
        finding(
          queueSubject(q),
          `RPC queue ${q.name}${q.role.service ? ` (${q.role.service})` : ''} has ${fmtInt(q.unacked)} unacknowledged messages and ${how} for ${fmtDuration(seconds)}: a consumer is stuck${who}`,
          {
            unacked: q.unacked,
            consumers: q.consumers,
            consumerProcesses: holders,
            stalledSeconds: seconds,
            decidedBy: stall.decidedBy,
            threshold: t.unacked,
            stallSeconds: t.stallSeconds,
          },
          {
            labels: queueLabels(q),
            ...(holders.length === 1 ? { remedy: `Restart ${holders[0]} (binary:pid@host): it holds the unacknowledged messages of ${q.name} and does not acknowledge. Its messages return to the queue once its connection closes. Set \`rabbit_qos_prefetch_count\` so one stuck process cannot hold every message.` } : {}),
          },
        ),
      );
    }
    return out;
  },
});

/** `nova-conductor:4711@ctl-1` for each consumer of a queue whose connection is known. */
function consumerProcesses(s: { consumers: readonly { queue: string; vhost: string; connection: string }[]; connections: readonly { name: string; role: { binary: string; pid: string; host: string } }[] }, q: QueueInfo): string[] {
  const names = new Set(s.consumers.filter((c) => c.queue === q.name && c.vhost === q.vhost).map((c) => c.connection));
  if (names.size === 0) return [];
  const out = new Set<string>();
  for (const c of s.connections) {
    if (!names.has(c.name)) continue;
    out.add(c.role.binary ? `${c.role.binary}:${c.role.pid}@${c.role.host}` : c.name);
  }
  return [...out];
}

export const notificationsUnconsumed = defineRule({
  id: 'openstack-notifications-unconsumed',
  severity: 'warning',
  // No consumer and > 1,000 messages for 15 min.
  forSeconds: 900,
  description: 'a notification queue (`notifications.info`, `versioned_notifications.error`, ...) has no consumer and ≥ 1000 messages, or grows',
  remedy:
    'Start the consumer (Ceilometer, Designate-sink, Watcher, ...); if nothing needs these notifications set `driver = noop` in [oslo_messaging_notifications] on the producers; ' +
    'or bound the queue with a TTL policy (Canonical charm: `message-ttl` 3600000 on `^(versioned_)?notifications.*`; openstack-helm: 70000). Purging a notification queue is safe.',
  defaults: { messages: 1000, windowSeconds: 300 },
  promql: (t) => [
    {
      // No consumer, and either a backlog or still growing over the window.
      expr: [
        '(',
        `  rabbitmq_queue_messages{openstack_kind="notification"} >= ${n(t.messages)}`,
        `  or rabbitmq_queue_messages{openstack_kind="notification"} > rabbitmq_queue_messages{openstack_kind="notification"} offset ${range(t.windowSeconds)}`,
        ')',
        'and on (cluster, vhost, queue) rabbitmq_queue_consumers == 0',
      ].join('\n'),
      summary: `Notification queue {{ $labels.queue }} (vhost {{ $labels.vhost }}, cluster {{ $labels.cluster }}) has no consumer and holds ${COUNT} messages`,
      labels: { subject_kind: 'queue' },
    },
  ],
  check({ ctx, thresholds, finding, forSeconds }) {
    const out: Finding[] = [];
    for (const q of knownQueues(ctx.snapshot)) {
      if (q.role.kind !== 'notification' || q.consumers > 0 || q.type === 'stream') continue;
      const t = thresholds(queueScope(q));
      if (!t) continue;
      const big = q.messages >= t.messages && queueHeldFor(ctx, q, forSeconds, (x) => x.consumers === 0 && x.messages >= t.messages);
      const trend = q.messages > 0 ? queueTrend(ctx, q, t.windowSeconds) : null;
      const growing = trend !== null && trend.rising && queueHolds(ctx, q, (x) => x.consumers === 0);
      if (!big && !growing) continue;
      const grew = trend && trend.rising ? ` and grew by ${fmtInt(trend.to - trend.from)} in ${fmtDuration(trend.seconds)}` : '';
      const gone = consumerGone(ctx, q);
      out.push(
        finding(
          queueSubject(q),
          `Notification queue ${q.name} has no consumer${gone ? ` ${goneFor(gone)}` : ''} and holds ${fmtInt(q.messages)} messages${grew}: nothing reads ${q.role.service ? `${q.role.service}'s ` : 'these '}notifications`,
          { messages: q.messages, consumers: 0, threshold: t.messages, growth: trend && trend.rising ? trend.to - trend.from : 0, windowSeconds: trend?.seconds ?? null },
          { labels: queueLabels(q) },
        ),
      );
    }
    return out;
  },
});

export const orphanQueues = defineRule({
  id: 'openstack-orphan-queues',
  severity: 'warning',
  forSeconds: 300,
  description:
    'reply_/fanout queues with no consumer: counted; alert when > 500, or when any has no expiry (no x-expires and no `expires` policy)',
  remedy:
    'Keep `rabbit_transient_queues_ttl` > 0, or add an `expires` policy for these queues (heat never sets one: e.g. `expires` 3600000 on `^heat-engine-listener\\.` and `^engine_worker\\.`, lp:1925436). ' +
    'Consider `use_queue_manager` so restarts reuse queue names, and delete orphans idle for longer than the TTL.',
  defaults: { max: 500 },
  promql: (t) => [
    {
      // `reason` tells the two triggers apart; kinds are de-duplicated across warren replicas.
      expr: [
        'label_replace(',
        `  sum by (cluster) (max by (cluster, kind) (rabbitmq_openstack_orphan_queues)) > ${n(t.max)},`,
        '  "reason", "too_many", "", "")',
        'or',
        'label_replace(',
        '  max by (cluster) (rabbitmq_openstack_orphan_queues_without_expiry) > 0,',
        '  "reason", "without_expiry", "", "")',
      ].join('\n'),
      summary: `{{ if eq $labels.reason "without_expiry" }}${COUNT} orphaned per-process queues on cluster {{ $labels.cluster }} never expire{{ else }}${COUNT} orphaned reply/fanout queues on cluster {{ $labels.cluster }} have no consumer{{ end }}`,
      labels: { subject_kind: 'cluster' },
    },
  ],
  partlyInPromql:
    'counted per cluster from rabbitmq_openstack_orphan_queues, which has reply and fanout orphans but not heat\'s per-process engine_id queues; threshold overrides per vhost do not apply',
  check({ ctx, thresholds, finding }) {
    interface Acc {
      reply: number;
      fanout: number;
      perProcess: number;
      withoutExpiry: string[];
    }
    const byVhost = new Map<string, Acc>();
    for (const q of knownQueues(ctx.snapshot)) {
      if (q.consumers > 0 || !isPerProcessQueue(q)) continue;
      // A queue override (disabled, or pattern) can take a queue out of the count.
      if (!thresholds(queueScope(q))) continue;
      if (!queueHolds(ctx, q, (x) => x.consumers === 0)) continue;
      let a = byVhost.get(q.vhost);
      if (!a) {
        a = { reply: 0, fanout: 0, perProcess: 0, withoutExpiry: [] };
        byVhost.set(q.vhost, a);
      }
      if (q.role.kind === 'reply') a.reply++;
      else if (q.role.kind === 'fanout') a.fanout++;
      else a.perProcess++;
      if (q.expiresMs === null && q.policyExpiresMs === null) a.withoutExpiry.push(q.name);
    }
    const out: Finding[] = [];
    for (const [vhost, a] of byVhost) {
      const t = thresholds({ vhost });
      if (!t) continue;
      const total = a.reply + a.fanout + a.perProcess;
      if (total <= t.max && a.withoutExpiry.length === 0) continue;
      const parts = [`${fmtInt(total)} orphaned per-process queues in vhost ${vhost} (${fmtInt(a.reply)} reply_, ${fmtInt(a.fanout)} fanout, ${fmtInt(a.perProcess)} heat engine_id) with no consumer${total > t.max ? `, more than ${fmtInt(t.max)}` : ''}`];
      if (a.withoutExpiry.length > 0) parts.push(`${fmtInt(a.withoutExpiry.length)} never expire (${listSome([...a.withoutExpiry].sort(), 3)})`);
      out.push(
        finding({ kind: 'vhost', name: vhost, vhost }, parts.join('; '), {
          orphans: total,
          reply: a.reply,
          fanout: a.fanout,
          perProcess: a.perProcess,
          withoutExpiry: a.withoutExpiry.length,
          withoutExpiryExamples: [...a.withoutExpiry].sort().slice(0, 20),
          max: t.max,
        }),
      );
    }
    return out;
  },
});

export const serviceConnectionsHigh = defineRule({
  id: 'openstack-service-connections-high',
  severity: 'warning',
  forSeconds: 600,
  description: "one service's connections on one host exceed 2 × its learned baseline",
  remedy:
    'Lower `rpc_conn_pool_size` or the worker count of that service, and look for a reconnect storm on that host (missed heartbeats, firewall idle timeouts).',
  // limit: a configured per-host cap (0 = none; set it per service with an override), judged
  // even in one-shot runs. The baseline needs minSamples inventory refreshes before it can
  // judge; minConnections keeps a pool growing from 3 to 7 connections under load quiet
  // (oslo's send pool grows up to 30).
  defaults: { limit: 0, baselineFactor: 2, minSamples: 10, minConnections: 10 },
  promql: (t) => [
    {
      // The learned baseline becomes the 1-day average; it needs an hour of history.
      expr: [
        `rabbitmq_openstack_connections > ${n(t.baselineFactor)} * avg_over_time(rabbitmq_openstack_connections[1d])`,
        `and rabbitmq_openstack_connections >= ${n(t.minConnections)}`,
        'and rabbitmq_openstack_connections offset 1h',
      ].join('\n'),
      summary: `{{ $labels.service }} holds ${COUNT} connections from host {{ $labels.host }} to cluster {{ $labels.cluster }}, over ${n(t.baselineFactor)} × its daily average`,
      labels: { subject_kind: 'service' },
    },
  ],
  partlyInPromql: 'the learned baseline becomes the 1-day average of the same series',
  check({ ctx, thresholds, finding }) {
    const out: Finding[] = [];
    for (const [key, g] of serviceConnectionCounts(ctx.snapshot)) {
      const t = thresholds({ service: g.service });
      if (!t) continue;
      const subject = { kind: 'service' as const, name: `${g.service}@${g.host}` };
      const labels = { service: g.service, host: g.host };
      if (t.limit > 0 && g.count >= t.limit) {
        out.push(
          finding(subject, `${g.service} holds ${fmtInt(g.count)} connections from ${g.host}, at or above the configured limit of ${fmtInt(t.limit)}`, {
            service: g.service,
            host: g.host,
            connections: g.count,
            limit: t.limit,
          }, { labels }),
        );
        continue;
      }
      // A one-shot run has no learned baseline.
      const b = ctx.learned.baselines[key];
      if (!b || b.samples < t.minSamples || g.count < t.minConnections || g.count <= t.baselineFactor * b.value) continue;
      out.push(
        finding(
          subject,
          `${g.service} holds ${fmtInt(g.count)} connections from ${g.host}, ${(g.count / Math.max(b.value, 1)).toFixed(1)} × its usual ${fmtInt(b.value)}`,
          { service: g.service, host: g.host, connections: g.count, baseline: b.value, baselineSamples: b.samples, factor: t.baselineFactor },
          { labels },
        ),
      );
    }
    return out;
  },
});
