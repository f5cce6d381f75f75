// The rule catalogue as Prometheus alerting rules over the metrics warren exports,
// plus recording rules. `alerts/warren.rules.yml` is renderPrometheusRules() written
// to disk (a unit test holds them equal) and `warren rules --format prometheus`
// prints the same text, so the shipped file and the command never drift.
//
// alertname = the catalogue id wherever the rule can be said in PromQL. Thresholds,
// `for`, severity, description and remedy come from the catalogue (one source of
// truth); what PromQL cannot say is listed in NOT_IN_PROMQL below.
//
// Differences from the daemon's own evaluation, on purpose or by necessity:
// - Thresholds are the catalogue defaults. Per-cluster/vhost/queue/service overrides
//   from warren's config are not visible to Prometheus; edit the file (or use
//   warren's own alerts) where they matter.
// - "Learned baselines" (connection-count-high, openstack-service-connections-high)
//   become the 1-day average of the same series, and need an hour of history.
// - Rules whose facts are not exported as metrics (policies, users, quorum members)
//   are forwarded from warren_alert_active{rule=...}, under the same alertname.

import { stringify } from 'yaml';
import { formatDuration } from '../config/duration.js';
import type { Severity } from './types.js';
import { catalogue } from './catalogue.js';
import { CRITICAL_HOST_TOPICS } from './catalogue/openstack.js';

/** Where the `runbook_url` annotation points: the README section of each rule (`#rule-<id>`). */
export const RUNBOOK_BASE = 'https://github.com/warren/warren/blob/main/README.md';

export function runbookUrl(id: string): string {
  return `${RUNBOOK_BASE}#rule-${id}`;
}

/** One Prometheus alerting rule. Several entries may share an id (one per severity). */
export interface PromAlert {
  /** The alertname: the catalogue rule id, or `warren-*` for warren's own health. */
  id: string;
  /** PromQL; may span lines (rendered as a YAML block). */
  expr: string;
  /** Prometheus duration (`2m`), or '' to fire on the first evaluation. */
  for: string;
  /** The `severity` label; null to keep the one the series carries (forwarded rules). */
  severity: Severity | null;
  /** Go template over $labels / $value, one line. */
  summary: string;
  /** Extra static labels, e.g. `subject_kind`. */
  labels?: Readonly<Record<string, string>>;
}

export interface PromRecordingRule {
  record: string;
  expr: string;
}

export interface PromGroup {
  name: string;
  /** Evaluation interval for the group; omitted = the Prometheus global one. */
  interval?: string;
  alerts?: readonly PromAlert[];
  recording?: readonly PromRecordingRule[];
}

/** What the catalogue says about a rule, as far as the rule file needs it. */
export interface CatalogueFacts {
  id: string;
  severity: Severity;
  forSeconds: number;
  description: string;
  remedy: string;
  defaults: Readonly<Record<string, number>>;
}

/** Every metric name warren exports (the brief's list); dashboards and rules may use no other. */
export const WARREN_METRIC_NAMES: readonly string[] = [
  // per queue
  'rabbitmq_queue_messages',
  'rabbitmq_queue_messages_ready',
  'rabbitmq_queue_messages_unacknowledged',
  'rabbitmq_queue_consumers',
  'rabbitmq_queue_messages_published_total',
  'rabbitmq_queue_messages_delivered_total',
  'rabbitmq_queue_messages_acked_total',
  'rabbitmq_queue_messages_publish_rate',
  'rabbitmq_queue_messages_deliver_rate',
  // per node
  'rabbitmq_running',
  'rabbitmq_node_mem_used',
  'rabbitmq_node_mem_limit',
  'rabbitmq_node_mem_alarm',
  'rabbitmq_node_disk_free',
  'rabbitmq_node_disk_free_limit',
  'rabbitmq_node_disk_free_alarm',
  'rabbitmq_fd_used',
  'rabbitmq_fd_available',
  'rabbitmq_sockets_used',
  'rabbitmq_sockets_available',
  'rabbitmq_node_proc_used',
  'rabbitmq_node_proc_available',
  'rabbitmq_partitions',
  'rabbitmq_uptime',
  'rabbitmq_version_info',
  // cluster
  'rabbitmq_up',
  'rabbitmq_queues',
  'rabbitmq_exchanges',
  'rabbitmq_connections',
  'rabbitmq_channels',
  'rabbitmq_consumers',
  'rabbitmq_queue_messages_global',
  'rabbitmq_queue_messages_ready_global',
  'rabbitmq_queue_messages_unacknowledged_global',
  'rabbitmq_messages_published_total',
  'rabbitmq_messages_delivered_total',
  'rabbitmq_messages_publish_rate',
  'rabbitmq_messages_deliver_rate',
  'rabbitmq_messages_unroutable_returned_total',
  'rabbitmq_messages_unroutable_dropped_total',
  'rabbitmq_connections_opened_total',
  'rabbitmq_connections_closed_total',
  'rabbitmq_channels_opened_total',
  'rabbitmq_channels_closed_total',
  'rabbitmq_queues_declared_total',
  'rabbitmq_queues_deleted_total',
  'rabbitmq_connection_channels_max',
  'rabbitmq_nodes_expected',
  // grouped
  'rabbitmq_connections_state',
  'rabbitmq_channels_state',
  // per exchange
  'rabbitmq_exchange_messages_published_in_total',
  'rabbitmq_exchange_messages_published_out_total',
  // OpenStack
  'rabbitmq_openstack_queues',
  'rabbitmq_openstack_messages',
  'rabbitmq_openstack_consumers',
  'rabbitmq_openstack_connections',
  'rabbitmq_openstack_hosts',
  'rabbitmq_openstack_host_queue_consumers',
  'rabbitmq_openstack_host_queue_messages',
  'rabbitmq_openstack_orphan_queues',
  'rabbitmq_openstack_orphan_queues_without_expiry',
  // alert state
  'warren_alert_active',
  // warren itself
  'warren_up',
  'warren_poll_duration_seconds',
  'warren_poll_requests',
  'warren_poll_bytes',
  'warren_poll_skipped_total',
  'warren_poll_errors_total',
  'warren_last_success_timestamp_seconds',
  'warren_data_age_seconds',
  'warren_stale',
  'warren_render_duration_seconds',
  'warren_series',
  'warren_notifications_queued',
  'warren_notifications_failed_total',
  'warren_notifications_dropped_total',
  'warren_build_info',
  // prom-client defaults that the self dashboard reads
  'process_resident_memory_bytes',
  'process_cpu_seconds_total',
  'nodejs_eventloop_lag_seconds',
  'nodejs_heap_size_used_bytes',
];

/**
 * Catalogue rules that PromQL over warren's metrics cannot express, and why. They are
 * forwarded from `warren_alert_active` (warren evaluated them) under the same alertname.
 */
export const NOT_IN_PROMQL: Readonly<Record<string, string>> = {
  'classic-mirroring-policy': 'policies are not exported as metrics',
  'quorum-queue-underreplicated': 'quorum members, online members and leaders are not exported as metrics',
  'quorum-even-node-count': 'whether the cluster has quorum queues is not exported as a metric',
  'guest-user-enabled': 'users are not exported as metrics',
  'authentication-failures': "the broker's counters do not tell warren's own refused requests apart, which warren discounts",
  'listener-without-tls': 'listeners are not exported as metrics',
  'tls-certificate-expiring': 'kept with warren until its PromQL form is written (the expiry is exported as warren_tls_certificate_expiry_timestamp_seconds)',
  'administrator-user-in-use': 'users, their tags and the user of each connection are not exported as metrics',
  'shared-service-user': 'the user of each connection is not exported as a metric',
  'unused-user': 'users and when each was last seen are not exported as metrics',
};

/**
 * Parts of expressible rules that PromQL cannot say; the PromQL rule covers the rest
 * (warren's own alert covers everything).
 */
export const PARTLY_IN_PROMQL: Readonly<Record<string, string>> = {
  'network-partition':
    'the fallback for brokers without a partitions field (nodes disagreeing on who runs) needs each node\'s own view, which is not exported',
  'channels-per-connection-high': 'the share of channel_max is not exported; only the channel count is checked',
  'connection-count-high':
    'the configured connection limit is not exported; the learned baseline becomes the 1-day average of rabbitmq_connections',
  'openstack-service-connections-high': 'the learned baseline becomes the 1-day average of the same series',
  'queue-backlog': 'streams cannot be told apart (queue type is not a label), so a stream holding its retention counts',
  'queue-growing': 'streams cannot be told apart (queue type is not a label)',
  'queue-no-consumer': 'streams cannot be told apart (queue type is not a label)',
  'openstack-orphan-queues':
    'counted per cluster from rabbitmq_openstack_orphan_queues, which has reply and fanout orphans but not heat\'s per-process engine_id queues; threshold overrides per vhost do not apply',
};

const byId = new Map<string, CatalogueFacts>(catalogue.map((r) => [r.id, r]));

/** The catalogue's entry for an id; throws on a typo, so a renamed rule fails the tests. */
export function catalogueFacts(id: string): CatalogueFacts {
  const r = byId.get(id);
  if (!r) throw new Error(`rule ${id} is not in the catalogue`);
  return r;
}

function threshold(id: string, key: string): number {
  const v = catalogueFacts(id).defaults[key];
  if (typeof v !== 'number') throw new Error(`rule ${id} has no default ${key}`);
  return v;
}

function forOf(id: string): string {
  const s = catalogueFacts(id).forSeconds;
  return s > 0 ? formatDuration(s * 1000) : '';
}

/** A number as PromQL literal (no exponent for the sizes we use). */
function n(v: number): string {
  return String(v);
}

/** A catalogue window in seconds as a PromQL range (`2m`). */
function range(seconds: number): string {
  return formatDuration(seconds * 1000);
}


// One fault, one alert, as in the catalogue (src/rules/catalogue/queues.ts): the generic
// queue rules leave a queue alone when an OpenStack rule owns the symptom for its kind.
// A queue of these kinds without a consumer is reported by an OpenStack rule.
const UNCONSUMED_OWNED = 'rpc_host|notification|reply|fanout';
const OWNED_UNCONSUMED = `unless on (cluster, vhost, queue) (rabbitmq_queue_consumers{openstack_kind=~"${UNCONSUMED_OWNED}"} == 0)`;

const QUEUE = 'Queue {{ $labels.queue }} (vhost {{ $labels.vhost }}, cluster {{ $labels.cluster }})';
const NODE = 'Node {{ $labels.node }} of cluster {{ $labels.cluster }}';
const ON_NODE = 'node {{ $labels.node }} of cluster {{ $labels.cluster }}';
const COUNT = '{{ $value | printf "%.0f" }}';

function alerts(): PromGroup[] {
  const t = threshold;
  const base = (id: string) => ({ id, severity: catalogueFacts(id).severity, for: forOf(id) });

  const broker: PromAlert[] = [
    {
      ...base('broker-unreachable'),
      expr: 'rabbitmq_up == 0',
      summary: 'warren cannot reach the management API of cluster {{ $labels.cluster }}',
      labels: { subject_kind: 'cluster' },
    },
    {
      ...base('node-down'),
      // A listed node that is not running, or fewer nodes listed than expected (a node
      // that left or was forgotten). Nodes are de-duplicated across warren replicas.
      expr: [
        'rabbitmq_running == 0',
        'or',
        'count by (cluster) (count by (cluster, node) (rabbitmq_running))',
        '  < max by (cluster) (rabbitmq_nodes_expected)',
      ].join('\n'),
      summary: `{{ if $labels.node }}${NODE} is not running{{ else }}Cluster {{ $labels.cluster }} has only ${COUNT} nodes, fewer than expected{{ end }}`,
      labels: { subject_kind: 'node' },
    },
    {
      ...base('network-partition'),
      expr: 'max by (cluster) (rabbitmq_partitions) > 0',
      summary: `Network partition in cluster {{ $labels.cluster }}: a node cannot see ${COUNT} of its peers`,
      labels: { subject_kind: 'cluster' },
    },
    {
      ...base('memory-alarm'),
      expr: 'rabbitmq_node_mem_alarm > 0',
      summary: `Memory alarm on ${ON_NODE}: all publishers are blocked`,
      labels: { subject_kind: 'node' },
    },
    {
      ...base('memory-high'),
      // With the alarm set, memory-alarm reports it.
      expr: [
        `rabbitmq_node_mem_used / (rabbitmq_node_mem_limit > 0) >= ${n(t('memory-high', 'ratio'))}`,
        'unless on (cluster, node) rabbitmq_node_mem_alarm > 0',
      ].join('\n'),
      summary: `${NODE} uses {{ $value | humanizePercentage }} of its memory watermark`,
      labels: { subject_kind: 'node' },
    },
    {
      ...base('disk-alarm'),
      expr: 'rabbitmq_node_disk_free_alarm > 0',
      summary: `Disk alarm on ${ON_NODE}: all publishers are blocked`,
      labels: { subject_kind: 'node' },
    },
    {
      ...base('disk-low'),
      // Little headroom now, or the trend reaches the limit within the horizon; the value
      // is the free space now either way. The trend needs minTrendMinutes of history (the
      // offset guard), as the catalogue's does.
      expr: [
        '(',
        `  rabbitmq_node_disk_free < ${n(t('disk-low', 'factor'))} * rabbitmq_node_disk_free_limit`,
        '  or',
        '  rabbitmq_node_disk_free',
        `    and on (cluster, node) predict_linear(rabbitmq_node_disk_free[1h], ${n(t('disk-low', 'horizonHours') * 3600)}) < rabbitmq_node_disk_free_limit`,
        `    and on (cluster, node) rabbitmq_node_disk_free offset ${range(t('disk-low', 'minTrendMinutes') * 60)}`,
        ')',
        'and on (cluster, node) rabbitmq_running == 1',
        'unless on (cluster, node) rabbitmq_node_disk_free_alarm > 0',
      ].join('\n'),
      summary: `${NODE} has {{ $value | humanize1024 }}B of disk free: less than ${n(t('disk-low', 'factor'))} × its limit, or predicted to reach it within ${n(t('disk-low', 'horizonHours'))}h`,
      labels: { subject_kind: 'node' },
    },
    {
      ...base('file-descriptors-high'),
      // A total of 0 means "not reported" (sockets from RabbitMQ 4.0): `> 0` drops it.
      expr: [
        '(',
        ...(
          [
            ['rabbitmq_fd_used', 'rabbitmq_fd_available', 'file descriptors'],
            ['rabbitmq_sockets_used', 'rabbitmq_sockets_available', 'sockets'],
            ['rabbitmq_node_proc_used', 'rabbitmq_node_proc_available', 'Erlang processes'],
          ] as const
        ).map(
          ([used, total, what], i) =>
            `  ${i > 0 ? 'or ' : ''}label_replace(${used} / (${total} > 0) >= ${n(t('file-descriptors-high', 'ratio'))}, "resource", "${what}", "", "")`,
        ),
        ')',
        'and on (cluster, node) rabbitmq_running == 1',
      ].join('\n'),
      summary: `${NODE} uses {{ $value | humanizePercentage }} of its {{ $labels.resource }}`,
      labels: { subject_kind: 'node' },
    },
    {
      ...base('cluster-version-mismatch'),
      expr: 'count by (cluster) (count by (cluster, rabbitmq, erlang) (rabbitmq_version_info)) > 1',
      summary: `Nodes of cluster {{ $labels.cluster }} run ${COUNT} different RabbitMQ/Erlang version pairs`,
      labels: { subject_kind: 'cluster' },
    },
    {
      ...base('node-restarted'),
      // The broker's own uptime (ms) says "restarted recently"; it went backwards too then.
      expr: `rabbitmq_uptime / 1000 < ${n(t('node-restarted', 'recentSeconds'))} and rabbitmq_uptime > 0`,
      summary: `${NODE} restarted {{ $value | humanizeDuration }} ago`,
      labels: { subject_kind: 'node' },
    },
  ];

  const backlogSummary = `${QUEUE} holds ${COUNT} ready messages`;
  const queues: PromAlert[] = [
    ...(['warning', 'critical'] as const).map((severity) => ({
      ...base('queue-backlog'),
      severity,
      // rpc_topic depth is openstack-rpc-backlog's; an owned queue without consumer is reported as such.
      expr: [`rabbitmq_queue_messages_ready{openstack_kind!="rpc_topic"} >= ${n(t('queue-backlog', severity))}`, OWNED_UNCONSUMED].join('\n'),
      summary: backlogSummary,
      labels: { subject_kind: 'queue' },
    })),
    {
      ...base('queue-growing'),
      // Deeper than the noise floor, deeper than a window ago and never falling in it, and
      // publishers outpacing consumers where the rates are known (without them depth decides).
      expr: [
        `rabbitmq_queue_messages{openstack_kind!="rpc_topic"} >= ${n(t('queue-growing', 'minMessages'))}`,
        `and rabbitmq_queue_messages > rabbitmq_queue_messages offset ${range(t('queue-growing', 'windowSeconds'))}`,
        `and resets(rabbitmq_queue_messages[${range(t('queue-growing', 'windowSeconds'))}]) == 0`,
        'unless on (cluster, vhost, queue) (rabbitmq_queue_messages_publish_rate <= rabbitmq_queue_messages_deliver_rate)',
        OWNED_UNCONSUMED,
      ].join('\n'),
      summary: `${QUEUE} keeps growing (${COUNT} messages): publishers outpace consumers`,
      labels: { subject_kind: 'queue' },
    },
    {
      ...base('queue-no-consumer'),
      expr: [
        `rabbitmq_queue_messages{openstack_kind!~"${UNCONSUMED_OWNED}"} >= ${n(t('queue-no-consumer', 'messages'))}`,
        'and on (cluster, vhost, queue) rabbitmq_queue_consumers == 0',
      ].join('\n'),
      summary: `${QUEUE} has ${COUNT} messages and no consumer`,
      labels: { subject_kind: 'queue' },
    },
    {
      ...base('unacked-high'),
      // RPC queues have openstack-rpc-unacked (any unacked there is a stuck consumer).
      expr: `rabbitmq_queue_messages_unacknowledged{openstack_kind!~"rpc_topic|rpc_host"} >= ${n(t('unacked-high', 'unacked'))}`,
      summary: `${QUEUE} has ${COUNT} unacknowledged messages`,
      labels: { subject_kind: 'queue' },
    },
    {
      ...base('unroutable-messages'),
      expr: [
        `increase(rabbitmq_messages_unroutable_returned_total[${range(t('unroutable-messages', 'windowSeconds'))}])`,
        `+ increase(rabbitmq_messages_unroutable_dropped_total[${range(t('unroutable-messages', 'windowSeconds'))}])`,
        `>= ${n(t('unroutable-messages', 'messages'))}`,
      ].join('\n'),
      summary: `About ${COUNT} messages were unroutable (returned or dropped) on cluster {{ $labels.cluster }} in the last ${range(t('unroutable-messages', 'windowSeconds'))}`,
      labels: { subject_kind: 'cluster' },
    },
  ];

  // connection-leak: the window cut into buckets; the minimum of each bucket must never
  // fall, and the last bucket's floor must be minIncrease above the first's (the catalogue's
  // test, so churn on top of a leak does not hide it).
  const leakWindow = t('connection-leak', 'windowSeconds');
  const buckets = Math.max(2, Math.round(t('connection-leak', 'buckets')));
  const bucket = Math.round(leakWindow / buckets);
  const floor = (i: number) => `min_over_time(rabbitmq_connections[${range(bucket)}]${i > 0 ? ` offset ${range(i * bucket)}` : ''})`;
  const leakExpr = [
    `${floor(0)} - ${floor(buckets - 1)} >= ${n(t('connection-leak', 'minIncrease'))}`,
    ...Array.from({ length: buckets - 1 }, (_, i) => `and ${floor(i)} >= ${floor(i + 1)}`),
  ].join('\n');

  const connections: PromAlert[] = [
    {
      ...base('connections-blocked'),
      expr: 'sum by (cluster, vhost) (rabbitmq_connections_state{state=~"blocked|blocking"}) > 0',
      summary: `${COUNT} connections in vhost {{ $labels.vhost }} of cluster {{ $labels.cluster }} are blocked by a resource alarm`,
      labels: { subject_kind: 'vhost' },
    },
    {
      ...base('connection-count-high'),
      // The learned baseline becomes the 1-day average; it needs an hour of history.
      expr: [
        `rabbitmq_connections >= ${n(t('connection-count-high', 'baselineFactor'))} * avg_over_time(rabbitmq_connections[1d])`,
        `and rabbitmq_connections >= ${n(t('connection-count-high', 'minConnections'))}`,
        'and rabbitmq_connections offset 1h',
      ].join('\n'),
      summary: `Cluster {{ $labels.cluster }} has ${COUNT} connections, ${n(t('connection-count-high', 'baselineFactor'))} × its daily average or more`,
      labels: { subject_kind: 'cluster' },
    },
    {
      ...base('connection-leak'),
      expr: leakExpr,
      summary: `Connections to cluster {{ $labels.cluster }} grew by ${COUNT} over ${range(leakWindow)} without ever falling back: a connection leak`,
      labels: { subject_kind: 'cluster' },
    },
    {
      ...base('connection-churn'),
      expr: [
        `(rate(rabbitmq_connections_opened_total[${range(t('connection-churn', 'windowSeconds'))}]) + rate(rabbitmq_connections_closed_total[${range(t('connection-churn', 'windowSeconds'))}]))`,
        `  / rabbitmq_connections >= ${n(t('connection-churn', 'ratio'))}`,
        `and rabbitmq_connections >= ${n(t('connection-churn', 'minConnections'))}`,
      ].join('\n'),
      summary: 'Connection churn on cluster {{ $labels.cluster }}: {{ $value | humanizePercentage }} of the open connections are opened or closed per second',
      labels: { subject_kind: 'cluster' },
    },
    {
      ...base('channels-per-connection-high'),
      expr: `rabbitmq_connection_channels_max > ${n(t('channels-per-connection-high', 'channels'))}`,
      summary: `A connection to cluster {{ $labels.cluster }} holds ${COUNT} channels`,
      labels: { subject_kind: 'connection' },
    },
  ];

  const critTopics = CRITICAL_HOST_TOPICS.join('|');
  const hostSummary =
    'RPC queue {{ $labels.topic }}.{{ $labels.host }} has no consumer: {{ $labels.service }} on host {{ $labels.host }} is down (cluster {{ $labels.cluster }})';
  const openstack: PromAlert[] = [
    {
      ...base('openstack-host-queue-unconsumed'),
      severity: 'critical',
      expr: `rabbitmq_openstack_host_queue_consumers{topic=~"${critTopics}"} == 0`,
      summary: hostSummary,
      labels: { subject_kind: 'queue' },
    },
    {
      ...base('openstack-host-queue-unconsumed'),
      severity: 'warning',
      expr: `rabbitmq_openstack_host_queue_consumers{topic!~"${critTopics}"} == 0`,
      summary: hostSummary,
      labels: { subject_kind: 'queue' },
    },
    ...(['warning', 'critical'] as const).map((severity) => ({
      ...base('openstack-rpc-backlog'),
      severity,
      expr: `rabbitmq_queue_messages_ready{openstack_kind="rpc_topic"} >= ${n(t('openstack-rpc-backlog', severity))}`,
      summary: `RPC topic queue {{ $labels.queue }} ({{ $labels.openstack_service }}, cluster {{ $labels.cluster }}) holds ${COUNT} ready messages: callers will hit MessagingTimeout`,
      labels: { subject_kind: 'queue' },
    })),
    {
      ...base('openstack-rpc-unacked'),
      expr: `rabbitmq_queue_messages_unacknowledged{openstack_kind=~"rpc_topic|rpc_host"} >= ${n(t('openstack-rpc-unacked', 'unacked'))}`,
      summary: `RPC queue {{ $labels.queue }} ({{ $labels.openstack_service }}, cluster {{ $labels.cluster }}) has ${COUNT} unacknowledged messages: a consumer is stuck`,
      labels: { subject_kind: 'queue' },
    },
    {
      ...base('openstack-notifications-unconsumed'),
      // No consumer, and either a backlog or still growing over the window.
      expr: [
        '(',
        `  rabbitmq_queue_messages{openstack_kind="notification"} >= ${n(t('openstack-notifications-unconsumed', 'messages'))}`,
        `  or rabbitmq_queue_messages{openstack_kind="notification"} > rabbitmq_queue_messages{openstack_kind="notification"} offset ${range(t('openstack-notifications-unconsumed', 'windowSeconds'))}`,
        ')',
        'and on (cluster, vhost, queue) rabbitmq_queue_consumers == 0',
      ].join('\n'),
      summary: `Notification queue {{ $labels.queue }} (vhost {{ $labels.vhost }}, cluster {{ $labels.cluster }}) has no consumer and holds ${COUNT} messages`,
      labels: { subject_kind: 'queue' },
    },
    {
      ...base('openstack-orphan-queues'),
      // `reason` tells the two triggers apart; kinds are de-duplicated across warren replicas.
      expr: [
        'label_replace(',
        `  sum by (cluster) (max by (cluster, kind) (rabbitmq_openstack_orphan_queues)) > ${n(t('openstack-orphan-queues', 'max'))},`,
        '  "reason", "too_many", "", "")',
        'or',
        'label_replace(',
        '  max by (cluster) (rabbitmq_openstack_orphan_queues_without_expiry) > 0,',
        '  "reason", "without_expiry", "", "")',
      ].join('\n'),
      summary: `{{ if eq $labels.reason "without_expiry" }}${COUNT} orphaned per-process queues on cluster {{ $labels.cluster }} never expire{{ else }}${COUNT} orphaned reply/fanout queues on cluster {{ $labels.cluster }} have no consumer{{ end }}`,
      labels: { subject_kind: 'cluster' },
    },
    {
      ...base('openstack-service-connections-high'),
      // The learned baseline becomes the 1-day average; it needs an hour of history.
      expr: [
        `rabbitmq_openstack_connections > ${n(t('openstack-service-connections-high', 'baselineFactor'))} * avg_over_time(rabbitmq_openstack_connections[1d])`,
        `and rabbitmq_openstack_connections >= ${n(t('openstack-service-connections-high', 'minConnections'))}`,
        'and rabbitmq_openstack_connections offset 1h',
      ].join('\n'),
      summary: `{{ $labels.service }} holds ${COUNT} connections from host {{ $labels.host }} to cluster {{ $labels.cluster }}, over ${n(t('openstack-service-connections-high', 'baselineFactor'))} × its daily average`,
      labels: { subject_kind: 'service' },
    },
  ];

  const forwarded: PromAlert[] = Object.keys(NOT_IN_PROMQL).map((id) => ({
    id,
    severity: null,
    for: '',
    expr: `warren_alert_active{rule="${id}"} > 0`,
    summary: `warren reports ${id} on {{ $labels.subject_kind }} {{ $labels.subject }} (cluster {{ $labels.cluster }})`,
  }));

  return [
    { name: 'warren-broker', alerts: broker },
    { name: 'warren-queues', alerts: queues },
    { name: 'warren-connections', alerts: connections },
    { name: 'warren-openstack', alerts: openstack },
    { name: 'warren-forwarded', alerts: forwarded },
    { name: 'warren-self', alerts: SELF_ALERTS },
  ];
}

/** warren's own health; not in the catalogue (warren cannot alert on itself being stale). */
export const SELF_RULES: Readonly<Record<string, { description: string; remedy: string }>> = {
  'warren-stale': {
    description: 'warren serves data older than 3 poll intervals',
    remedy:
      'Check warren\'s log and warren_poll_errors_total: the broker may be slow or unreachable, or polls overrun the interval (see warren_poll_duration_seconds); raise --interval or check the management API.',
  },
  'warren-poll-overrun': {
    description: 'polls take longer than the interval, so ticks are skipped',
    remedy:
      'Raise --interval (30 s is the default; RabbitMQ advises 30-60 s), or let warren read per-queue depth from the rabbitmq_prometheus plugin (/metrics/detailed), which is cheaper at 10k+ queues.',
  },
  'warren-notifications-failing': {
    description: 'warren fails to deliver or drops alert notifications',
    remedy:
      'Check the receiver named in the alert (Alertmanager or webhook URL, network, credentials) and warren\'s log; dropped notifications are lost.',
  },
};

const SELF_ALERTS: readonly PromAlert[] = [
  {
    id: 'warren-stale',
    severity: 'warning',
    for: '5m',
    expr: 'warren_stale > 0',
    summary: 'warren serves stale data for cluster {{ $labels.cluster }}',
    labels: { subject_kind: 'cluster' },
  },
  {
    id: 'warren-poll-overrun',
    severity: 'warning',
    for: '15m',
    expr: 'increase(warren_poll_skipped_total[15m]) > 0',
    summary: 'warren skipped {{ $value | printf "%.0f" }} polls of cluster {{ $labels.cluster }} in 15 minutes because the previous poll still ran',
    labels: { subject_kind: 'cluster' },
  },
  {
    id: 'warren-notifications-failing',
    severity: 'warning',
    for: '',
    expr: 'increase(warren_notifications_failed_total[15m]) + increase(warren_notifications_dropped_total[15m]) > 0',
    summary: 'warren failed or dropped {{ $value | printf "%.0f" }} notifications to receiver {{ $labels.receiver }} in 15 minutes',
  },
];

/**
 * Recording rules: per-vhost and per-service sums over every queue (the expensive part
 * of long-range dashboards at 10k+ queues) and per-node ratios. The shipped dashboards
 * use raw metrics, so they work without these; swap them in for large clusters.
 */
export const RECORDING_RULES: readonly PromRecordingRule[] = [
  ...(['messages', 'messages_ready', 'messages_unacknowledged', 'consumers'] as const).map((m) => ({
    record: `cluster_vhost:rabbitmq_queue_${m}:sum`,
    expr: `sum by (cluster, vhost) (rabbitmq_queue_${m})`,
  })),
  {
    record: 'cluster_vhost:rabbitmq_queue_messages_published:rate5m',
    expr: 'sum by (cluster, vhost) (rate(rabbitmq_queue_messages_published_total[5m]))',
  },
  {
    record: 'cluster_vhost:rabbitmq_queue_messages_delivered:rate5m',
    expr: 'sum by (cluster, vhost) (rate(rabbitmq_queue_messages_delivered_total[5m]))',
  },
  {
    record: 'cluster_openstack_service:rabbitmq_queue_messages_ready:sum',
    expr: 'sum by (cluster, openstack_service, openstack_kind) (rabbitmq_queue_messages_ready)',
  },
  {
    record: 'cluster_openstack_service:rabbitmq_queue_messages_unacknowledged:sum',
    expr: 'sum by (cluster, openstack_service, openstack_kind) (rabbitmq_queue_messages_unacknowledged)',
  },
  {
    record: 'cluster_node:rabbitmq_node_mem_used:ratio',
    expr: 'rabbitmq_node_mem_used / (rabbitmq_node_mem_limit > 0)',
  },
  {
    record: 'cluster_node:rabbitmq_node_disk_free:limit_ratio',
    expr: 'rabbitmq_node_disk_free / (rabbitmq_node_disk_free_limit > 0)',
  },
  {
    record: 'cluster_node:rabbitmq_fd_used:ratio',
    expr: 'rabbitmq_fd_used / (rabbitmq_fd_available > 0)',
  },
  {
    record: 'cluster:rabbitmq_connections_churn:rate5m',
    expr: 'rate(rabbitmq_connections_opened_total[5m]) + rate(rabbitmq_connections_closed_total[5m])',
  },
];

/** The rule file's groups: alerting groups, then the recording group. */
export function promGroups(): PromGroup[] {
  return [...alerts(), { name: 'warren-recording', recording: RECORDING_RULES }];
}

/** Every alerting rule, flattened. */
export function promAlerts(): PromAlert[] {
  return promGroups().flatMap((g) => g.alerts ?? []);
}

/** The alerting rules as data (one entry per alertname and severity). */
export const PROMQL_ALERTS: readonly PromAlert[] = Object.freeze(promAlerts());

/** Description and remedy for an alert id: the catalogue's, or the self rules'. */
export function ruleText(id: string): { description: string; remedy: string } {
  const self = SELF_RULES[id];
  if (self) return self;
  const r = catalogueFacts(id);
  return { description: r.description, remedy: r.remedy };
}

/** The annotations an alert carries (also what the promtool tests expect). */
export function annotationsOf(a: PromAlert): Record<string, string> {
  const text = ruleText(a.id);
  return {
    summary: a.summary,
    description: text.description,
    remedy: text.remedy,
    runbook_url: runbookUrl(a.id),
  };
}

/** Labels an alerting rule sets: severity (unless forwarded) and its static extras. */
export function labelsOf(a: PromAlert): Record<string, string> {
  const labels: Record<string, string> = {};
  if (a.severity) labels.severity = a.severity;
  Object.assign(labels, a.labels ?? {});
  return labels;
}

// Remedy and description are literal text, never templates: escape what Go's
// text/template would read as an action.
function literal(text: string): string {
  return text.includes('{{') ? text.replace(/\{\{/g, '{{ "{{" }}') : text;
}

/** The rule file's text (YAML), as `alerts/warren.rules.yml` holds it. */
export function renderPrometheusRules(): string {
  const groups = promGroups().map((g) => {
    const rules: Array<Record<string, unknown>> = [];
    for (const a of g.alerts ?? []) {
      const ann = annotationsOf(a);
      const rule: Record<string, unknown> = { alert: a.id, expr: a.expr };
      if (a.for) rule.for = a.for;
      const labels = labelsOf(a);
      if (Object.keys(labels).length > 0) rule.labels = labels;
      rule.annotations = {
        summary: ann.summary,
        description: literal(ann.description!),
        remedy: literal(ann.remedy!),
        runbook_url: ann.runbook_url,
      };
      rules.push(rule);
    }
    for (const r of g.recording ?? []) rules.push({ record: r.record, expr: r.expr });
    const group: Record<string, unknown> = { name: g.name };
    if (g.interval) group.interval = g.interval;
    group.rules = rules;
    return group;
  });
  const header = [
    '# Prometheus rules for warren (RabbitMQ for OpenStack).',
    '# Generated from src/rules/promql.ts: `warren rules --format prometheus` prints this file.',
    '# Do not edit by hand; change src/rules/promql.ts or the catalogue and regenerate.',
    '# alertname = warren rule id; see README.md#rule-<id> for each rule.',
  ].join('\n');
  return `${header}\n${stringify({ groups }, { lineWidth: 0, blockQuote: 'literal' })}`;
}

/**
 * The runbook section `runbook_url` points at: one `### Rule \`<id>\`` heading per alert
 * (GitHub anchors it `#rule-<id>`) with when it fires, its PromQL and the remedy. The docs
 * hold it between markers; a unit test keeps it equal to this rendering.
 */
export function renderAlertReference(): string {
  const alerts = promAlerts();
  const ids = [...new Set(alerts.map((a) => a.id))];
  const out: string[] = [];
  for (const id of ids) {
    const variants = alerts.filter((a) => a.id === id);
    const text = ruleText(id);
    const first = variants[0]!;
    const severity = variants.every((v) => v.severity === null)
      ? 'severity as warren set it'
      : [...new Set(variants.map((v) => v.severity))].join(' / ');
    const after = first.for ? `after ${first.for}` : 'at once';
    out.push(`#### Rule \`${id}\``, '');
    out.push(`**${severity}**, ${after}: ${text.description}.`, '');
    if (id in NOT_IN_PROMQL) out.push(`Forwarded from warren's own evaluation: ${NOT_IN_PROMQL[id]}.`, '');
    if (id in PARTLY_IN_PROMQL) out.push(`In PromQL: ${PARTLY_IN_PROMQL[id]}.`, '');
    for (const v of variants) {
      if (variants.length > 1) out.push(`${v.severity}:`, '');
      out.push('```promql', v.expr, '```', '');
    }
    out.push(`Remedy: ${text.remedy}`, '');
  }
  return out.join('\n');
}
