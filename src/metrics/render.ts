// Pure: Snapshots (and what rules and the poller know) in, exposition text out.
// Names follow kbudde's rabbitmq_exporter where the meaning is the same.
import type { MetricsConfig } from '../config/index.js';
import { declareKbudde, omittedNames, renderKbuddeBuildInfo, renderKbuddeCluster, renderKbuddeExchange, renderKbuddeQueue } from './kbudde.js';
import type { Severity, Subject } from '../rules/index.js';
import { otpRelease, queueKey, queueRates, samplesIn, totalRates, type HistoryInput, type OpenStackView, type QueueInfo, type RatesMemo, type Snapshot } from '../snapshot/index.js';
import { drain } from '../slices.js';
import type { ProbeResult, RpcPingStatus } from '../sources/index.js';
import { ExpositionWriter } from './exposition.js';
import { renderProbeMetrics } from './probe.js';
import { renderRpcPingMetrics } from './rpc-ping.js';
import { declareSecurity, renderSecurity } from './security.js';

/** What the render needs of one cluster's polling (the poll stage's status has it). */
export interface PollSummary {
  readonly latest: Snapshot | null;
  /** Oldest first, the latest last. */
  readonly history: HistoryInput;
  readonly lastError: string | null;
  readonly skipped: number;
  readonly errors: number;
  /** The configured cluster name: the `cluster` label, fixed from start. */
  readonly clusterLabel: string;
  /** The broker's own cluster name (label `rabbitmq_cluster`); absent: the latest Snapshot's. */
  readonly brokerCluster?: string | null;
}

export interface ClusterMetricsInput {
  status: PollSummary;
  /** The cluster's rates memo, shared with its rules; without one, rates are computed here. */
  rates?: RatesMemo;
  intervalMs: number;
  /** When warren started polling the cluster (for warren_starting; see isStarting). */
  startedAt?: number;
  expectedNodes: number;
  /** The cluster's metrics profile and excluded names; absent: the default profile. */
  metrics?: MetricsConfig;
  view: OpenStackView | null;
  alerts: ReadonlyArray<{ rule: string; severity: Severity; subject: Subject }>;
  /** The AMQP probe's last round, when the cluster has `probe` configured. */
  probe?: readonly ProbeResult[];
  /** The oslo RPC ping's last outcome per server, when `openstack.rpcPing` is on. */
  rpcPing?: readonly RpcPingStatus[];
}

export interface SelfMetricsInput {
  version: string;
  notifications: ReadonlyArray<{ receiver: string; queued: number; failed: number; dropped: number }>;
  /** For renderMetrics only: the scrape-time families (renderFreshness) are judged at this instant. */
  now?: number;
}

/**
 * What the scrape-time families need of one cluster. They change with the clock, not with
 * a poll, so the daemon renders them on every scrape after the cached exposition: a poll
 * that hangs then shows its data ageing instead of the age it had when it was rendered.
 */
export interface FreshnessInput {
  readonly cluster: string;
  /** When the data served was taken (the latest Snapshot's takenAt); null before any success. */
  readonly takenAt: number | null;
  readonly intervalMs: number;
  /** Whether warren is still starting on this cluster (isStarting). */
  readonly starting: boolean;
}

/** Data older than this many intervals is stale (warren_stale 1, /healthz 503). */
export const STALE_AFTER_INTERVALS = 3;

/** Whether data taken at `takenAt` is stale at `now`. */
export function isStale(takenAt: number | null, intervalMs: number, now: number): boolean {
  return takenAt === null || now - takenAt > STALE_AFTER_INTERVALS * intervalMs;
}

/**
 * Whether warren is still starting on a cluster at `now`: no poll of this run has succeeded
 * and fewer than STALE_AFTER_INTERVALS intervals have passed since it started polling. A
 * broker that has not answered yet is not reported unreachable before then (a broker booting
 * beside warren takes ~10-30 s), neither by the daemon nor by the rule's PromQL form, which
 * reads warren_starting.
 */
export function isStarting(lastSuccessAt: number | null, startedAt: number, intervalMs: number, now: number): boolean {
  return lastSuccessAt === null && now - startedAt < STALE_AFTER_INTERVALS * intervalMs;
}

/** The scrape-time families of every cluster at `now`: a few lines, cheap enough for every scrape. */
export function renderFreshness(clusters: readonly FreshnessInput[], now: number): { text: string; series: number } {
  const w = new ExpositionWriter();
  w.family('warren_starting', G, `Whether warren is still starting on the cluster: no poll has succeeded yet and fewer than ${STALE_AFTER_INTERVALS} intervals have passed since it started.`)
    .family('warren_data_age_seconds', G, 'Age of the data served at the time of the scrape, seconds since the last successful poll took it.')
    .family('warren_stale', G, `Whether the data served is older than ${STALE_AFTER_INTERVALS} poll intervals at the time of the scrape (last good data kept).`);
  for (const c of clusters) {
    const cl = { cluster: c.cluster };
    w.sample('warren_starting', cl, c.starting ? 1 : 0);
    if (c.takenAt === null) continue;
    w.sample('warren_data_age_seconds', cl, Math.max(0, now - c.takenAt) / 1000);
    w.sample('warren_stale', cl, isStale(c.takenAt, c.intervalMs, now) ? 1 : 0);
  }
  return { text: w.toString(), series: w.series };
}

/** The scrape-time input of one cluster at `now`, from what the render gets of it. */
export function freshnessOf(c: ClusterMetricsInput, now: number): FreshnessInput {
  const st = c.status;
  const takenAt = st.latest?.takenAt ?? null;
  // Without a start time: starting until the first poll has ended.
  const starting = c.startedAt !== undefined ? isStarting(takenAt, c.startedAt, c.intervalMs, now) : takenAt === null && st.lastError === null;
  return { cluster: st.clusterLabel, takenAt, intervalMs: c.intervalMs, starting };
}

const G = 'gauge' as const;
const C = 'counter' as const;

function declare(w: ExpositionWriter): void {
  const q = 'per queue: ';
  declareKbudde(w);
  w.family('rabbitmq_up', G, 'Whether the last poll of the management API succeeded (1) or not (0).')
    .family('rabbitmq_queues', G, 'Queues in the cluster.')
    .family('rabbitmq_exchanges', G, 'Exchanges in the cluster.')
    .family('rabbitmq_connections', G, 'Open client connections.')
    .family('rabbitmq_channels', G, 'Open channels.')
    .family('rabbitmq_consumers', G, 'Consumers.')
    .family('rabbitmq_queue_messages_global', G, 'Messages in all queues (ready + unacknowledged).')
    .family('rabbitmq_queue_messages_ready_global', G, 'Ready messages in all queues.')
    .family('rabbitmq_queue_messages_unacknowledged_global', G, 'Unacknowledged messages in all queues.')
    .family('rabbitmq_messages_published_total', C, 'Messages published into the cluster.')
    .family('rabbitmq_messages_delivered_total', C, 'Messages delivered to consumers or fetched.')
    .family('rabbitmq_messages_publish_rate', G, 'Messages published per second, computed by warren between polls.')
    .family('rabbitmq_messages_deliver_rate', G, 'Messages delivered per second, computed by warren between polls.')
    .family('rabbitmq_messages_unroutable_returned_total', C, 'Unroutable messages returned to publishers.')
    .family('rabbitmq_messages_unroutable_dropped_total', C, 'Unroutable messages dropped.')
    .family('rabbitmq_connections_opened_total', C, 'Connections opened.')
    .family('rabbitmq_connections_closed_total', C, 'Connections closed.')
    .family('rabbitmq_channels_opened_total', C, 'Channels opened.')
    .family('rabbitmq_channels_closed_total', C, 'Channels closed.')
    .family('rabbitmq_queues_declared_total', C, 'Queue declarations.')
    .family('rabbitmq_queues_deleted_total', C, 'Queues deleted.')
    .family('rabbitmq_connection_channels_max', G, 'Most channels held by one connection.')
    .family('rabbitmq_nodes_expected', G, 'Nodes the cluster should have: from the config, else the most ever seen.')
    .family('rabbitmq_running', G, 'Whether the node is running.')
    .family('rabbitmq_node_mem_used', G, 'Memory used by the node, bytes.')
    .family('rabbitmq_node_mem_limit', G, 'Memory high watermark, bytes.')
    .family('rabbitmq_node_mem_alarm', G, 'Whether the memory alarm is set (publishers blocked).')
    .family('rabbitmq_node_disk_free', G, 'Free disk space, bytes.')
    .family('rabbitmq_node_disk_free_limit', G, 'Free disk space limit, bytes.')
    .family('rabbitmq_node_disk_free_alarm', G, 'Whether the disk alarm is set (publishers blocked).')
    .family('rabbitmq_fd_used', G, 'File descriptors used.')
    .family('rabbitmq_fd_available', G, 'File descriptors available (the limit).')
    .family('rabbitmq_sockets_used', G, 'Sockets used (0 from RabbitMQ 4.0).')
    .family('rabbitmq_sockets_available', G, 'Sockets available.')
    .family('rabbitmq_node_proc_used', G, 'Erlang processes used.')
    .family('rabbitmq_node_proc_available', G, 'Erlang process limit.')
    .family('rabbitmq_partitions', G, 'Nodes this node is partitioned from.')
    .family('rabbitmq_uptime', G, 'Node uptime, milliseconds.')
    .family('rabbitmq_version_info', G, 'RabbitMQ and Erlang versions of each node.')
    .family('rabbitmq_connections_state', G, 'Connections by vhost, user and state.')
    .family('rabbitmq_channels_state', G, 'Channels by vhost, user and state.')
    .family('rabbitmq_exchange_messages_published_in_total', C, 'Messages published into the exchange.')
    .family('rabbitmq_exchange_messages_published_out_total', C, 'Messages routed out of the exchange.')
    .family('rabbitmq_queue_messages', G, q + 'messages (ready + unacknowledged).')
    .family('rabbitmq_queue_messages_ready', G, q + 'messages ready for delivery.')
    .family('rabbitmq_queue_messages_unacknowledged', G, q + 'messages delivered and not yet acknowledged.')
    .family('rabbitmq_queue_consumers', G, q + 'consumers.')
    .family('rabbitmq_queue_messages_published_total', C, q + 'messages published.')
    .family('rabbitmq_queue_messages_delivered_total', C, q + 'messages delivered or fetched.')
    .family('rabbitmq_queue_messages_acked_total', C, q + 'messages acknowledged.')
    .family('rabbitmq_queue_messages_publish_rate', G, q + 'messages published per second, computed by warren.')
    .family('rabbitmq_queue_messages_deliver_rate', G, q + 'messages delivered per second, computed by warren.')
    .family('rabbitmq_queue_head_message_timestamp', G, q + 'timestamp property of the head message, seconds since the epoch (absent when it has none).')
    .family('rabbitmq_openstack_queues', G, 'Queues per OpenStack service and kind.')
    .family('rabbitmq_openstack_messages', G, 'Messages per OpenStack service and queue kind.')
    .family('rabbitmq_openstack_consumers', G, 'Consumers per OpenStack service and queue kind.')
    .family('rabbitmq_openstack_connections', G, 'Connections per OpenStack service and host.')
    .family('rabbitmq_openstack_hosts', G, 'Hosts seen per OpenStack service.')
    .family('rabbitmq_openstack_host_queue_consumers', G, 'Consumers of each per-host RPC queue (0: that service on that host is down).')
    .family('rabbitmq_openstack_host_queue_messages', G, 'Messages in each per-host RPC queue.')
    .family('rabbitmq_openstack_orphan_queues', G, 'Per-process queues (reply_, fanout, heat per-engine) with no consumer.')
    .family('rabbitmq_openstack_orphan_queues_without_expiry', G, 'Orphan queues with neither x-expires nor an expires policy.')
    .family('warren_alert_active', G, 'Alerts firing now.')
    .family('warren_up', G, 'Whether warren\'s last poll of the cluster succeeded.')
    .family('warren_poll_duration_seconds', G, 'Duration of the last poll.')
    .family('warren_poll_requests', G, 'Broker requests made by the last successful poll.')
    .family('warren_poll_bytes', G, 'Bytes received from the broker by the last successful poll.')
    .family('warren_poll_skipped_total', C, 'Poll ticks skipped because the previous poll was still running.')
    .family('warren_poll_errors_total', C, 'Polls that failed.')
    .family('warren_last_success_timestamp_seconds', G, 'When the last poll succeeded, Unix seconds.')
    .family('warren_notifications_queued', G, 'Alert notifications waiting for delivery.')
    .family('warren_notifications_failed_total', C, 'Failed alert delivery attempts.')
    .family('warren_notifications_dropped_total', C, 'Alert notifications dropped because the queue was full.')
    .family('warren_build_info', G, 'warren version.')
    .family('warren_render_duration_seconds', G, 'Time to render this exposition.')
    .family('warren_series', G, 'Series in this exposition.');
}

export interface Rendered {
  /** The exposition as served (UTF-8). */
  readonly body: Buffer;
  /** The same, decoded (for one-shot commands and tests). */
  readonly text: string;
  readonly series: number;
}

function rendered(body: Buffer, series: number): Rendered {
  return {
    body,
    series,
    get text() {
      return body.toString('utf8');
    },
  };
}

/**
 * Renders every cluster's families plus warren's own metrics into one exposition, with the
 * scrape-time families judged at `self.now` (default: now) appended as the daemon serves them.
 */
export function renderMetrics(clusters: readonly ClusterMetricsInput[], self: SelfMetricsInput): Rendered {
  const cached = drain(renderSteps(clusters, self));
  const now = self.now ?? Date.now();
  const fresh = renderFreshness(clusters.map((c) => freshnessOf(c, now)), now);
  return rendered(Buffer.concat([cached.body, Buffer.from(fresh.text)]), cached.series);
}

/**
 * The same render in slices of a few thousand series: it yields between them so the
 * daemon can answer scrapes of the previous exposition while it renders the next one
 * (at 10k queues a render is ~150-400 ms of CPU that would otherwise hold /metrics).
 */
export function* renderSteps(clusters: readonly ClusterMetricsInput[], self: SelfMetricsInput): Generator<void, Rendered> {
  const started = performance.now();
  const w = new ExpositionWriter();
  declare(w);
  declareSecurity(w);
  for (const c of clusters) yield* renderCluster(w, c);
  // Each cluster's metrics.exclude applies to its own series only.
  w.omitted = null;
  for (const n of self.notifications) {
    w.sample('warren_notifications_queued', { receiver: n.receiver }, n.queued);
    w.sample('warren_notifications_failed_total', { receiver: n.receiver }, n.failed);
    w.sample('warren_notifications_dropped_total', { receiver: n.receiver }, n.dropped);
  }
  renderKbuddeBuildInfo(w, self.version, clusters.map((c) => c.metrics));
  w.sample('warren_build_info', { version: self.version }, 1);
  w.sample('warren_render_duration_seconds', {}, (performance.now() - started) / 1000);
  // Counted with the scrape-time families appended after this text (their number changes only with a poll).
  const series = w.series + 1 + clusters.reduce((n, c) => n + (c.status.latest ? 3 : 1), 0);
  w.sample('warren_series', {}, series);
  return rendered(yield* w.bufferSteps(), series);
}

/** Queues rendered between two yields: ~2-3k series, a millisecond or two (more held scrapes ~20-40 ms per slice on a loaded machine). */
const QUEUES_PER_SLICE = 250;

function* renderCluster(w: ExpositionWriter, c: ClusterMetricsInput): Generator<void, void> {
  const st = c.status;
  // The cluster's metrics.exclude (rabbitmq_* names only, so warren's own series stay).
  w.omitted = omittedNames(c.metrics);
  const cluster = st.clusterLabel;
  const cl = { cluster };
  const ok = st.lastError === null && st.latest !== null;
  const brokerCluster = st.brokerCluster ?? st.latest?.cluster ?? '';
  // The broker's own name is a label beside `cluster`, never the identity: two regions whose
  // brokers share a name (Kolla's `rabbit@controller-0`) stay apart, and a rename starts no new `cluster`.
  const bl = brokerCluster ? { cluster, rabbitmq_cluster: brokerCluster } : cl;
  // Absent until the first poll has ended (warren_starting says so): a slow start is not a broker down.
  // kbudde labels rabbitmq_up with the node that answered; the last one known while down.
  const upl = st.latest?.broker.node ? { ...bl, node: st.latest.broker.node } : bl;
  if (st.latest !== null || st.lastError !== null) w.sample('rabbitmq_up', upl, ok ? 1 : 0);
  w.sample('warren_up', cl, ok ? 1 : 0);
  w.sample('warren_poll_skipped_total', cl, st.skipped);
  w.sample('warren_poll_errors_total', cl, st.errors);
  w.sample('rabbitmq_nodes_expected', cl, c.expectedNodes);
  renderKbuddeCluster(w, cluster, ok, st.latest, c.metrics);
  for (const a of c.alerts) {
    w.sample('warren_alert_active', {
      cluster,
      rule: a.rule,
      severity: a.severity,
      subject_kind: a.subject.kind,
      subject: a.subject.name,
      vhost: a.subject.vhost ?? '',
    }, 1);
  }
  renderProbeMetrics(w, cluster, c.probe ?? []);
  renderRpcPingMetrics(w, cluster, c.rpcPing ?? []);
  const s = st.latest;
  if (!s) return;
  renderSecurity(w, cluster, s);
  w.sample('warren_poll_duration_seconds', cl, s.poll.durationMs / 1000);
  w.sample('warren_poll_requests', cl, s.poll.requests);
  w.sample('warren_poll_bytes', cl, s.poll.bytes);
  w.sample('warren_last_success_timestamp_seconds', cl, Math.floor(s.takenAt / 1000));

  const t = s.totals;
  const samples = samplesIn(st.history);
  const prev = samples.length >= 2 ? samples[samples.length - 2] : undefined;
  const rates = totalRates(prev, s);
  w.sample('rabbitmq_queues', cl, t.queues);
  w.sample('rabbitmq_exchanges', cl, t.exchanges);
  w.sample('rabbitmq_connections', cl, t.connections);
  w.sample('rabbitmq_channels', cl, t.channels);
  w.sample('rabbitmq_consumers', cl, t.consumers);
  w.sample('rabbitmq_queue_messages_global', cl, t.messages);
  w.sample('rabbitmq_queue_messages_ready_global', cl, t.ready);
  w.sample('rabbitmq_queue_messages_unacknowledged_global', cl, t.unacked);
  w.sample('rabbitmq_messages_published_total', cl, t.published);
  w.sample('rabbitmq_messages_delivered_total', cl, t.delivered);
  w.sample('rabbitmq_messages_publish_rate', cl, rates.publish);
  w.sample('rabbitmq_messages_deliver_rate', cl, rates.deliver);
  w.sample('rabbitmq_messages_unroutable_returned_total', cl, t.returnedUnroutable);
  w.sample('rabbitmq_messages_unroutable_dropped_total', cl, t.droppedUnroutable);
  w.sample('rabbitmq_connections_opened_total', cl, t.connectionsCreated);
  w.sample('rabbitmq_connections_closed_total', cl, t.connectionsClosed);
  w.sample('rabbitmq_channels_opened_total', cl, t.channelsCreated);
  w.sample('rabbitmq_channels_closed_total', cl, t.channelsClosed);
  w.sample('rabbitmq_queues_declared_total', cl, t.queuesDeclared);
  w.sample('rabbitmq_queues_deleted_total', cl, t.queuesDeleted);
  let maxChannels = 0;
  const connGroups = new Map<string, { vhost: string; user: string; state: string; n: number }>();
  for (const conn of s.connections) {
    if (conn.channels > maxChannels) maxChannels = conn.channels;
    const k = `${conn.vhost}\u0000${conn.user}\u0000${conn.state}`;
    const g = connGroups.get(k) ?? { vhost: conn.vhost, user: conn.user, state: conn.state, n: 0 };
    g.n++;
    connGroups.set(k, g);
  }
  w.sample('rabbitmq_connection_channels_max', cl, maxChannels);
  for (const g of connGroups.values()) w.sample('rabbitmq_connections_state', { cluster, vhost: g.vhost, user: g.user, state: g.state }, g.n);
  for (const g of s.channels) w.sample('rabbitmq_channels_state', { cluster, vhost: g.vhost, user: g.user, state: g.state }, g.count);

  for (const n of s.nodes) {
    const nl = { cluster, node: n.name };
    // Unknown (the broker did not say) is no series, never "stopped".
    w.sample('rabbitmq_running', nl, n.running === null ? null : n.running ? 1 : 0);
    w.sample('rabbitmq_partitions', nl, n.partitions.length);
    if (n.running === false) continue;
    w.sample('rabbitmq_node_mem_used', nl, n.memUsed);
    w.sample('rabbitmq_node_mem_limit', nl, n.memLimit);
    w.sample('rabbitmq_node_mem_alarm', nl, n.memAlarm ? 1 : 0);
    w.sample('rabbitmq_node_disk_free', nl, n.diskFree);
    w.sample('rabbitmq_node_disk_free_limit', nl, n.diskFreeLimit);
    w.sample('rabbitmq_node_disk_free_alarm', nl, n.diskAlarm ? 1 : 0);
    w.sample('rabbitmq_fd_used', nl, n.fdUsed);
    w.sample('rabbitmq_fd_available', nl, n.fdTotal);
    w.sample('rabbitmq_sockets_used', nl, n.socketsUsed);
    w.sample('rabbitmq_sockets_available', nl, n.socketsTotal);
    w.sample('rabbitmq_node_proc_used', nl, n.procUsed);
    w.sample('rabbitmq_node_proc_available', nl, n.procTotal);
    w.sample('rabbitmq_uptime', nl, n.uptimeMs);
    w.sample('rabbitmq_version_info', { cluster, rabbitmq_cluster: s.cluster, node: n.name, rabbitmq: n.rabbitmqVersion || s.broker.version, erlang: otpRelease(n, s.broker) }, 1);
  }

  for (const e of s.exchanges) {
    const el = { cluster, vhost: e.vhost, exchange: e.name };
    w.sample('rabbitmq_exchange_messages_published_in_total', el, e.publishedIn);
    w.sample('rabbitmq_exchange_messages_published_out_total', el, e.publishedOut);
    renderKbuddeExchange(w, el, e);
  }

  yield;
  const qr = prev ? (c.rates?.queueRates(prev, s) ?? queueRates(prev, s)) : queueRates(undefined, s);
  let inSlice = 0;
  for (const q of s.queues) {
    if (++inSlice === QUEUES_PER_SLICE) {
      inSlice = 0;
      yield;
    }
    const ql = { cluster, vhost: q.vhost, queue: q.name, durable: String(q.durable), policy: q.policy, openstack_service: q.role.service, openstack_kind: q.role.kind };
    w.sample('rabbitmq_queue_messages', ql, q.messages);
    w.sample('rabbitmq_queue_messages_ready', ql, q.ready);
    w.sample('rabbitmq_queue_messages_unacknowledged', ql, q.unacked);
    w.sample('rabbitmq_queue_consumers', ql, q.consumers);
    if (q.counters) {
      w.sample('rabbitmq_queue_messages_published_total', ql, q.counters.published);
      w.sample('rabbitmq_queue_messages_delivered_total', ql, q.counters.delivered);
      w.sample('rabbitmq_queue_messages_acked_total', ql, q.counters.acked);
    }
    const r = qr.get(queueKey(q));
    w.sample('rabbitmq_queue_messages_publish_rate', ql, r?.publish);
    w.sample('rabbitmq_queue_messages_deliver_rate', ql, r?.deliver);
    w.sample('rabbitmq_queue_head_message_timestamp', ql, headMessageTimestamp(q));
    renderKbuddeQueue(w, ql, q, c.metrics);
  }

  const v = c.view;
  if (!v) return;
  yield;
  for (const k of v.byKind) {
    const l = { cluster, service: k.service, kind: k.kind };
    w.sample('rabbitmq_openstack_queues', l, k.queues);
    w.sample('rabbitmq_openstack_messages', l, k.messages);
    w.sample('rabbitmq_openstack_consumers', l, k.consumers);
  }
  for (const x of v.connections) w.sample('rabbitmq_openstack_connections', { cluster, service: x.service, host: x.host }, x.count);
  for (const svc of v.services) w.sample('rabbitmq_openstack_hosts', { cluster, service: svc.service }, svc.hosts.length);
  for (const h of v.hostQueues) {
    const l = { cluster, service: h.service, topic: h.topic, host: h.host };
    w.sample('rabbitmq_openstack_host_queue_consumers', l, h.consumers);
    w.sample('rabbitmq_openstack_host_queue_messages', l, h.messages);
  }
  w.sample('rabbitmq_openstack_orphan_queues', { cluster, kind: 'reply' }, v.orphans.reply);
  w.sample('rabbitmq_openstack_orphan_queues', { cluster, kind: 'fanout' }, v.orphans.fanout);
  // Heat's heat-engine-listener.<uuid> / engine_worker.<uuid>, left behind by every engine restart.
  w.sample('rabbitmq_openstack_orphan_queues', { cluster, kind: 'per_process' }, v.orphans.perProcess);
  w.sample('rabbitmq_openstack_orphan_queues_without_expiry', cl, v.orphans.withoutExpiry);
}

/** kbudde's `rabbitmq_queue_head_message_timestamp`, in seconds; unknown (no timestamp property) is no series, never 0. */
function headMessageTimestamp(q: QueueInfo): number | undefined {
  return q.headMessageAt === null ? undefined : q.headMessageAt / 1000;
}
