// The rule catalogue as Prometheus alerting rules over the metrics warren exports,
// plus recording rules. `alerts/warren.rules.yml` is renderPrometheusRules() written
// to disk (a unit test holds them equal) and `warren rules --format prometheus`
// prints the same text, so the shipped file and the command never drift.
//
// alertname = the catalogue id wherever the rule can be said in PromQL. Each rule's
// PromQL is written beside its check in src/rules/catalogue/*.ts (`promql`, a function
// of the thresholds); thresholds, `for`, severity, description and remedy come from the
// same rule. What PromQL cannot say is the rule's `notInPromql` / `partlyInPromql`.
// This file only lays the rules out in groups and renders the file.
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
import { formatDuration } from '../config/index.js';
import type { Severity } from './types.js';
import { catalogue } from './catalogue.js';

/**
 * The `runbook_url` base of the shipped rule file: warren's GET /rules at a placeholder
 * address. A rule file is static text loaded by Prometheus, which cannot know where warren
 * runs, and the shipped file must be the same bytes everywhere; `warren rules --format
 * prometheus --config F` puts F's `runbookBaseUrl` in its place. The daemon's own alerts
 * use its real address (src/server/agent.ts).
 */
export const RUNBOOK_BASE = 'http://warren:9419/rules';

/** A rule's runbook: its anchor (`#rule-<id>`, one per rule on GET /rules) under `base`. */
export function runbookUrl(id: string, base: string = RUNBOOK_BASE): string {
  return `${base}#rule-${id}`;
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
  'rabbitmq_queue_head_message_timestamp',
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
  // warren's AMQP probe
  'warren_probe_success',
  // security audit
  'rabbitmq_auth_attempts_total',
  'rabbitmq_auth_attempts_failed_total',
  'warren_tls_certificate_expiry_timestamp_seconds',
  'warren_probe_duration_seconds',
  // warren's oslo RPC ping
  'warren_openstack_rpc_ping_success',
  'warren_openstack_rpc_ping_seconds',
  'warren_openstack_rpc_ping_consecutive_failures',
  // warren itself
  'warren_up',
  'warren_starting',
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
 * Catalogue rules that PromQL over warren's metrics cannot express, and why (each rule's
 * `notInPromql`). They are forwarded from `warren_alert_active` (warren evaluated them)
 * under the same alertname.
 */
export const NOT_IN_PROMQL: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(catalogue.flatMap((r) => (r.notInPromql === undefined ? [] : [[r.id, r.notInPromql]]))),
);

/**
 * Parts of expressible rules that PromQL cannot say (each rule's `partlyInPromql`); the
 * PromQL rule covers the rest (warren's own alert covers everything).
 */
export const PARTLY_IN_PROMQL: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(catalogue.flatMap((r) => (r.partlyInPromql === undefined ? [] : [[r.id, r.partlyInPromql]]))),
);

const byId = new Map(catalogue.map((r) => [r.id, r]));

/** The catalogue's entry for an id; throws on a typo, so a renamed rule fails the tests. */
export function catalogueFacts(id: string): CatalogueFacts {
  const r = byId.get(id);
  if (!r) throw new Error(`rule ${id} is not in the catalogue`);
  return r;
}

/** The Prometheus alerting rules of one catalogue rule, with its default thresholds. */
export function ruleAlerts(id: string): PromAlert[] {
  const r = byId.get(id);
  if (!r) throw new Error(`rule ${id} is not in the catalogue`);
  if (!r.promql) throw new Error(`rule ${id} has no PromQL form (${r.notInPromql ?? 'no reason given'})`);
  const forText = r.forSeconds > 0 ? formatDuration(r.forSeconds * 1000) : '';
  return r.promql(r.defaults).map((a) => {
    const alert: PromAlert = { id, expr: a.expr, for: forText, severity: a.severity ?? r.severity, summary: a.summary };
    if (a.labels) alert.labels = a.labels;
    return alert;
  });
}

/**
 * Which catalogue rules go into which group of the rule file, in file order. Every rule
 * with a PromQL form is in exactly one group (promGroups() throws otherwise); the rules
 * without one are forwarded.
 */
const ALERT_GROUPS: ReadonlyArray<{ name: string; rules: readonly string[] }> = [
  {
    name: 'warren-broker',
    rules: [
      'broker-unreachable',
      'node-down',
      'network-partition',
      'memory-alarm',
      'memory-high',
      'disk-alarm',
      'disk-low',
      'file-descriptors-high',
      'cluster-version-mismatch',
      'node-restarted',
    ],
  },
  { name: 'warren-queues', rules: ['queue-backlog', 'queue-growing', 'queue-message-age', 'queue-drain-time', 'queue-no-consumer', 'unacked-high', 'unroutable-messages'] },
  {
    name: 'warren-connections',
    rules: ['connections-blocked', 'connection-count-high', 'connection-leak', 'connection-churn', 'channels-per-connection-high'],
  },
  {
    name: 'warren-openstack',
    rules: [
      'openstack-host-queue-unconsumed',
      'openstack-rpc-topic-unconsumed',
      'openstack-rpc-backlog',
      'openstack-rpc-unacked',
      'openstack-notifications-unconsumed',
      'openstack-orphan-queues',
      'openstack-service-connections-high',
    ],
  },
  { name: 'warren-probe', rules: ['amqp-probe-failed', 'amqp-probe-slow', 'openstack-rpc-server-unresponsive'] },
];

function alerts(): PromGroup[] {
  const placed = ALERT_GROUPS.flatMap((g) => g.rules);
  for (const r of catalogue) {
    const n = placed.filter((id) => id === r.id).length;
    if (r.promql && n !== 1) throw new Error(`rule ${r.id} has a PromQL form and is in ${n} groups of ALERT_GROUPS`);
    if (!r.promql && n !== 0) throw new Error(`rule ${r.id} has no PromQL form but is in ALERT_GROUPS`);
  }

  const forwarded: PromAlert[] = Object.keys(NOT_IN_PROMQL).map((id) => ({
    id,
    severity: null,
    for: '',
    expr: `warren_alert_active{rule="${id}"} > 0`,
    summary: `warren reports ${id} on {{ $labels.subject_kind }} {{ $labels.subject }} (cluster {{ $labels.cluster }})`,
  }));

  return [
    ...ALERT_GROUPS.map((g) => ({ name: g.name, alerts: g.rules.flatMap(ruleAlerts) })),
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
export function annotationsOf(a: PromAlert, runbookBase: string = RUNBOOK_BASE): Record<string, string> {
  const text = ruleText(a.id);
  return {
    summary: a.summary,
    description: text.description,
    remedy: text.remedy,
    runbook_url: runbookUrl(a.id, runbookBase),
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

/** The rule file's text (YAML), as `alerts/warren.rules.yml` holds it (with the default runbook base). */
export function renderPrometheusRules(runbookBase: string = RUNBOOK_BASE): string {
  const groups = promGroups().map((g) => {
    const rules: Array<Record<string, unknown>> = [];
    for (const a of g.alerts ?? []) {
      const ann = annotationsOf(a, runbookBase);
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
    `# alertname = warren rule id; runbook_url = ${runbookBase}#rule-<id> (GET /rules of warren run).`,
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
