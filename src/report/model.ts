// The report as data: what `warren report --format json` prints (a contract, its shape
// held by test/unit/report-model.test.ts), plus the sections the text/markdown/html renderers need. Built once
// from the samples; renderers only format it.
import type { Finding, Severity } from '../rules/index.js';
import type { HostQueue, OpenStackView, ServiceSummary } from '../snapshot/index.js';
import type { ConnectionInfo, OpenStackKind, QueueInfo, Snapshot } from '../snapshot/index.js';
import { counterRate, otpRelease, queueKey, queueRates, totalRates } from '../snapshot/index.js';
import { compareFindings, ruleById, unreachableFinding } from '../rules/index.js';
import { redactUrls } from '../redact.js';
import type { RpcPingStatus } from '../sources/index.js';
import { buildSecurity, type SecuritySection } from './security.js';

export type ReportStatus = 'ok' | 'warning' | 'critical' | 'unknown';

export interface ClusterInput {
  target: string;
  url: string;
  /** Oldest first; empty when the broker could not be reached. */
  samples: Snapshot[];
  findings: Finding[];
  view: OpenStackView | null;
  /** Why the broker could not be reached (or why a later sample failed). */
  error?: string;
  /** The oslo RPC ping's last outcome per server (the daemon, with openstack.rpcPing on). */
  rpcPing?: readonly RpcPingStatus[];
}

export interface BuildOptions {
  /** Rows kept in each long list (busiest queues, exchanges, connection groups, host queues). Default 20. */
  listLimit?: number;
}

export interface Report {
  generatedAt: string;
  status: ReportStatus;
  clusters: ClusterReport[];
}

export interface ClusterReport {
  /** The broker's cluster name when known, else the configured target. */
  name: string;
  url: string;
  status: ReportStatus;
  /** Why the broker could not be reached; null when it answered. */
  error: string | null;
  broker: { version: string; erlang: string; clusterName: string };
  nodes: ReportNode[];
  totals: ReportTotals;
  openstack: ReportOpenStack;
  /** Every finding, worst first. Renderers summarise; the JSON keeps them all. */
  findings: Finding[];
  samples: SampleInfo;
  headroom: NodeHeadroom[];
  queues: QueueSection;
  exchanges: ExchangeSection;
  connections: ConnectionSection;
  security: SecuritySection;
}

export interface ReportNode {
  name: string;
  /** null: the broker listed the node without saying whether it runs (unknown, not stopped). */
  running: boolean | null;
  memUsed: number;
  memLimit: number;
  memAlarm: boolean;
  diskFree: number;
  diskFreeLimit: number;
  diskAlarm: boolean;
  fdUsed: number;
  fdTotal: number;
  partitions: string[];
  rabbitmqVersion: string;
  erlangVersion: string;
  uptimeMs: number;
}

export interface ReportTotals {
  queues: number;
  connections: number;
  channels: number;
  consumers: number;
  /** null while the broker gives no queue totals (no queue has statistics yet, statistics off). */
  messages: number | null;
  ready: number | null;
  unacked: number | null;
  /** msg/s across the samples; 0 when unknown, see `ratesKnown`. */
  publishRate: number;
  deliverRate: number;
  exchanges: number;
  /** false when the broker gave no counters (stats disabled) or there was only one sample. */
  ratesKnown: boolean;
}

export interface ReportService extends ServiceSummary {
  /** Hosts with a per-host RPC queue of this service that has no consumer: the service is down there. */
  hostsDown: string[];
}

export interface ReportHostQueue extends Omit<HostQueue, 'idleSince'> {
  /** ISO time the broker says the queue went idle, null when unknown. */
  idleSince: string | null;
}

export interface ReportOpenStack {
  /** false when no OpenStack view was derived (not an OpenStack broker, or unreachable). */
  available: boolean;
  services: ReportService[];
  hostQueues: {
    total: number;
    withoutConsumers: number;
    /** Per-host queues without consumers, most messages first, at most `listLimit`. */
    unconsumed: ReportHostQueue[];
    more: number;
  };
  orphans: OpenStackView['orphans'];
  /**
   * How connections were put on hosts: peer address -> host from the config's openstack.hosts
   * (`configured`, it wins) and learned from the consumers of per-host RPC queues (`learned`).
   */
  hostMap: { configured: Array<{ address: string; host: string }>; learned: Array<{ address: string; host: string }> };
  /** The oslo RPC ping's last round; absent when the ping is off (and in one-shot reports). */
  rpcPing?: ReportRpcPing;
}

export interface ReportRpcPing {
  servers: number;
  answered: number;
  /** Answered with an error such as NoSuchMethod: alive, without `rpc_ping_enabled`. */
  notEnabled: ReportPingServer[];
  /** The last ping got no answer within the timeout. */
  unanswered: ReportPingServer[];
}

export interface ReportPingServer {
  service: string;
  topic: string;
  host: string;
  consecutiveFailures: number;
  detail: string | null;
}

export interface SampleInfo {
  count: number;
  /** ISO times of each sample, oldest first. */
  takenAt: string[];
  spanSeconds: number;
}

export type Level = 'ok' | 'warning' | 'critical';

/** How close a resource is to its limit: pressure 0 = plenty, 1 = at the limit (alarm). */
export interface Headroom {
  resource: 'memory' | 'disk' | 'fd' | 'sockets' | 'processes';
  /** memory/fd/sockets/processes: used. disk: free bytes. */
  value: number;
  /** memory: watermark. disk: disk_free_limit. Others: total available. */
  limit: number;
  pressure: number;
  level: Level;
}

export interface NodeHeadroom {
  node: string;
  resources: Headroom[];
}

export interface QueueRow {
  name: string;
  vhost: string;
  type: string;
  state: string;
  /** null while the broker lists the queue without its statistics (just declared): see `statsPending`. */
  messages: number | null;
  ready: number | null;
  unacked: number | null;
  consumers: number | null;
  /** The broker listed the queue without its statistics yet: its numbers are unknown ("stats pending"), not 0. */
  statsPending: boolean;
  /** msg/s between the first and last sample, null when unknown. */
  publishRate: number | null;
  deliverRate: number | null;
  /** Depth change per second, positive = growing. */
  growthRate: number | null;
  service: string;
  kind: OpenStackKind;
  idleSince: string | null;
  /** Across the samples, oldest first: depth per sample, rates per interval between samples. */
  series: { depth: Array<number | null>; publishRate: Array<number | null>; deliverRate: Array<number | null> };
}

export interface QueueSection {
  total: number;
  empty: number;
  withoutConsumers: number;
  /** Queues listed without their statistics yet (counted in neither `empty` nor `withoutConsumers`). */
  statsPending: number;
  /** Busiest first (depth, then traffic), at most `listLimit`. */
  busiest: QueueRow[];
  /** Queues not listed, and how many of them are empty. */
  more: number;
  moreEmpty: number;
}

export interface ExchangeRow {
  name: string;
  vhost: string;
  type: string;
  publishInRate: number | null;
  publishOutRate: number | null;
}

export interface ExchangeSection {
  total: number;
  busiest: ExchangeRow[];
  more: number;
}

export interface ConnectionGroup {
  /** '' when the connection could not be attributed to an OpenStack service. */
  service: string;
  host: string;
  user: string;
  count: number;
  channels: number;
  /** Connections per state (running, blocked, flow, ...). */
  states: Record<string, number>;
}

export interface ConnectionSection {
  total: number;
  byState: Record<string, number>;
  /** Largest groups first, at most `listLimit`. */
  groups: ConnectionGroup[];
  more: number;
  moreConnections: number;
}

const STATUS_RANK: Record<ReportStatus, number> = { ok: 0, warning: 1, critical: 2, unknown: 3 };

export function exitCode(status: ReportStatus): 0 | 1 | 2 | 3 {
  return STATUS_RANK[status] as 0 | 1 | 2 | 3;
}

export const UNREACHABLE_RULE = 'broker-unreachable';

/** The worst of several statuses: unknown beats critical (we could not look at everything). */
export function worstStatus(statuses: readonly ReportStatus[]): ReportStatus {
  let worst: ReportStatus = 'ok';
  for (const s of statuses) if (STATUS_RANK[s] > STATUS_RANK[worst]) worst = s;
  return worst;
}

/** Status from findings alone: info never raises it. */
export function statusOfFindings(findings: readonly Pick<Finding, 'rule' | 'severity'>[]): ReportStatus {
  if (findings.some((f) => f.rule === UNREACHABLE_RULE)) return 'unknown';
  const sev = new Set<Severity>(findings.map((f) => f.severity));
  return sev.has('critical') ? 'critical' : sev.has('warning') ? 'warning' : 'ok';
}

export function buildReport(clusters: ClusterInput[], generatedAt: Date, opts: BuildOptions = {}): Report {
  const limit = Math.max(1, opts.listLimit ?? 20);
  const built = clusters.map((c) => buildCluster(c, limit));
  return {
    generatedAt: generatedAt.toISOString(),
    status: built.length ? worstStatus(built.map((c) => c.status)) : 'unknown',
    clusters: built,
  };
}

function buildCluster(c: ClusterInput, limit: number): ClusterReport {
  const samples = c.samples;
  const last = samples[samples.length - 1];
  const first = samples[0];
  const findings = [...c.findings];
  if (!last && !findings.some((f) => f.rule === UNREACHABLE_RULE)) findings.unshift(unreachableFinding(c.target, c.url, c.error ?? 'no answer'));
  findings.sort(compareFindings);
  const status = !last ? 'unknown' : statusOfFindings(findings);
  const base = {
    name: last?.broker.clusterName || last?.cluster || c.target,
    url: redactUrls(c.url),
    status,
    error: c.error === undefined ? null : redactUrls(c.error),
  };
  // Keys in the contract's order, then the renderers' extras: the JSON reads top-down like the doc.
  if (!last || !first) {
    return {
      ...base,
      broker: { version: '', erlang: '', clusterName: '' },
      nodes: [],
      totals: emptyTotals(),
      openstack: { ...buildOpenStack(null, limit), hostMap: { configured: [], learned: [] } },
      findings,
      samples: { count: 0, takenAt: [], spanSeconds: 0 },
      headroom: [],
      queues: { total: 0, empty: 0, withoutConsumers: 0, statsPending: 0, busiest: [], more: 0, moreEmpty: 0 },
      exchanges: { total: 0, busiest: [], more: 0 },
      connections: { total: 0, byState: {}, groups: [], more: 0, moreConnections: 0 },
      security: buildSecurity(undefined, findings, 0),
    };
  }
  const prev = samples.length > 1 ? first : undefined;
  return {
    ...base,
    broker: { version: last.broker.version, erlang: last.broker.erlang, clusterName: last.broker.clusterName || last.cluster },
    nodes: last.nodes.map((n) => ({
      name: n.name,
      running: n.running,
      memUsed: n.memUsed,
      memLimit: n.memLimit,
      memAlarm: n.memAlarm,
      diskFree: n.diskFree,
      diskFreeLimit: n.diskFreeLimit,
      diskAlarm: n.diskAlarm,
      fdUsed: n.fdUsed,
      fdTotal: n.fdTotal,
      partitions: [...n.partitions],
      rabbitmqVersion: n.rabbitmqVersion,
      erlangVersion: otpRelease(n, last.broker),
      uptimeMs: n.uptimeMs,
    })),
    totals: buildTotals(prev, last),
    openstack: { ...buildOpenStack(c.view, limit), hostMap: hostMapOf(last), ...(c.rpcPing && c.rpcPing.length > 0 ? { rpcPing: rpcPingOf(c.rpcPing) } : {}) },
    findings,
    samples: {
      count: samples.length,
      takenAt: samples.map((s) => new Date(s.takenAt).toISOString()),
      spanSeconds: (last.takenAt - first.takenAt) / 1000,
    },
    headroom: last.nodes.map((n) => ({ node: n.name, resources: nodeHeadroom(n) })),
    queues: buildQueues(samples, limit),
    exchanges: buildExchanges(prev, last, limit),
    connections: buildConnections(last.connections, limit),
    security: buildSecurity(last, findings, last.takenAt, samples.length),
  };
}

function emptyTotals(): ReportTotals {
  return {
    queues: 0,
    connections: 0,
    channels: 0,
    consumers: 0,
    messages: 0,
    ready: 0,
    unacked: 0,
    publishRate: 0,
    deliverRate: 0,
    exchanges: 0,
    ratesKnown: false,
  };
}

function buildTotals(prev: Snapshot | undefined, last: Snapshot): ReportTotals {
  const t = last.totals;
  const rates = totalRates(prev, last);
  let publish = rates.publish;
  let deliver = rates.deliver;
  // Without overview counters, the sum over queues is the next best answer.
  if (prev && (publish === null || deliver === null)) {
    const perQueue = [...queueRates(prev, last).values()];
    const sum = (pick: (r: (typeof perQueue)[number]) => number | null) => {
      const known = perQueue.map(pick).filter((v): v is number => v !== null);
      return known.length ? known.reduce((a, b) => a + b, 0) : null;
    };
    publish ??= sum((r) => r.publish);
    deliver ??= sum((r) => r.deliver);
  }
  return {
    queues: t.queues,
    connections: t.connections,
    channels: t.channels,
    consumers: t.consumers,
    messages: t.messages,
    ready: t.ready,
    unacked: t.unacked,
    publishRate: publish ?? 0,
    deliverRate: deliver ?? 0,
    exchanges: t.exchanges,
    ratesKnown: publish !== null && deliver !== null,
  };
}

/** A number among a catalogue rule's defaults; the catalogue owns the thresholds. */
function ruleDefault(id: string, key: string): number {
  const value = ruleById(id)?.defaults[key];
  if (typeof value !== 'number') throw new Error(`rule ${id} has no default ${key}`);
  return value;
}

/**
 * The pressure at which a resource's headroom turns to warning: where memory-high,
 * disk-low (free < factor × limit, i.e. limit/free > 1/factor) and file-descriptors-high
 * (also sockets and Erlang processes) fire with their default thresholds.
 */
export const HEADROOM_WARN_AT: Readonly<Record<Headroom['resource'], number>> = Object.freeze({
  memory: ruleDefault('memory-high', 'ratio'),
  disk: 1 / ruleDefault('disk-low', 'factor'),
  fd: ruleDefault('file-descriptors-high', 'ratio'),
  sockets: ruleDefault('file-descriptors-high', 'ratio'),
  processes: ruleDefault('file-descriptors-high', 'ratio'),
});

function level(pressure: number, warnAt: number, alarm: boolean): Level {
  if (alarm || pressure >= 1) return 'critical';
  return pressure >= warnAt ? 'warning' : 'ok';
}

function ratio(used: number, total: number): number {
  return total > 0 ? used / total : 0;
}

function nodeHeadroom(n: Snapshot['nodes'][number]): Headroom[] {
  const mem = ratio(n.memUsed, n.memLimit);
  // Disk pressure is limit/free: 1 when free space has fallen to the limit (the alarm).
  const disk = n.diskFree > 0 ? n.diskFreeLimit / n.diskFree : n.diskFreeLimit > 0 ? 1 : 0;
  const out: Headroom[] = [
    { resource: 'memory', value: n.memUsed, limit: n.memLimit, pressure: mem, level: level(mem, HEADROOM_WARN_AT.memory, n.memAlarm) },
    { resource: 'disk', value: n.diskFree, limit: n.diskFreeLimit, pressure: disk, level: level(disk, HEADROOM_WARN_AT.disk, n.diskAlarm) },
  ];
  const fd = ratio(n.fdUsed, n.fdTotal);
  out.push({ resource: 'fd', value: n.fdUsed, limit: n.fdTotal, pressure: fd, level: level(fd, HEADROOM_WARN_AT.fd, false) });
  // Brokers from 4.0 no longer report sockets; leave out what is not there.
  if (n.socketsTotal > 0) {
    const s = ratio(n.socketsUsed, n.socketsTotal);
    out.push({ resource: 'sockets', value: n.socketsUsed, limit: n.socketsTotal, pressure: s, level: level(s, HEADROOM_WARN_AT.sockets, false) });
  }
  if (n.procTotal > 0) {
    const p = ratio(n.procUsed, n.procTotal);
    out.push({ resource: 'processes', value: n.procUsed, limit: n.procTotal, pressure: p, level: level(p, HEADROOM_WARN_AT.processes, false) });
  }
  return out;
}

function compareBusiest(a: { q: QueueInfo; traffic: number }, b: { q: QueueInfo; traffic: number }): number {
  // Depth unknown (stats pending) ranks with the empty queues: no number to rank it by.
  return (
    (b.q.messages ?? 0) - (a.q.messages ?? 0) ||
    b.traffic - a.traffic ||
    a.q.name.localeCompare(b.q.name, 'en') ||
    a.q.vhost.localeCompare(b.q.vhost, 'en')
  );
}

function buildQueues(samples: readonly Snapshot[], limit: number): QueueSection {
  const last = samples[samples.length - 1]!;
  const first = samples[0]!;
  const rates = queueRates(samples.length > 1 ? first : undefined, last);
  let empty = 0;
  let withoutConsumers = 0;
  let statsPending = 0;
  const ranked = last.queues.map((q) => {
    if (q.messages === 0) empty++;
    if (q.consumers === 0) withoutConsumers++;
    if (q.messages === null) statsPending++;
    const r = rates.get(queueKey(q));
    return { q, traffic: (r?.publish ?? 0) + (r?.deliver ?? 0) };
  });
  ranked.sort(compareBusiest);
  const shown = ranked.slice(0, limit);
  const shownEmpty = shown.filter((x) => x.q.messages === 0).length;

  // Series only for the rows shown: one lookup map per sample, not per queue.
  const wanted = new Set(shown.map((x) => queueKey(x.q)));
  const perSample = samples.map((s) => {
    const m = new Map<string, QueueInfo>();
    for (const q of s.queues) {
      const k = queueKey(q);
      if (wanted.has(k)) m.set(k, q);
    }
    return m;
  });

  const busiest = shown.map(({ q }): QueueRow => {
    const k = queueKey(q);
    const r = rates.get(k);
    const depth = perSample.map((m) => m.get(k)?.messages ?? null);
    const publishRate: Array<number | null> = [];
    const deliverRate: Array<number | null> = [];
    for (let i = 1; i < samples.length; i++) {
      const a = perSample[i - 1]!.get(k);
      const b = perSample[i]!.get(k);
      const secs = (samples[i]!.takenAt - samples[i - 1]!.takenAt) / 1000;
      publishRate.push(counterRate(a?.counters?.published, b?.counters?.published, secs));
      deliverRate.push(counterRate(a?.counters?.delivered, b?.counters?.delivered, secs));
    }
    return {
      name: q.name,
      vhost: q.vhost,
      type: q.type,
      state: q.state,
      messages: q.messages,
      ready: q.ready,
      unacked: q.unacked,
      consumers: q.consumers,
      statsPending: q.messages === null,
      publishRate: r?.publish ?? null,
      deliverRate: r?.deliver ?? null,
      growthRate: r?.growth ?? null,
      service: q.role.service,
      kind: q.role.kind,
      idleSince: q.idleSince === null ? null : new Date(q.idleSince).toISOString(),
      series: { depth, publishRate, deliverRate },
    };
  });
  return {
    total: last.queues.length,
    empty,
    withoutConsumers,
    statsPending,
    busiest,
    more: last.queues.length - busiest.length,
    moreEmpty: empty - shownEmpty,
  };
}

function buildExchanges(prev: Snapshot | undefined, last: Snapshot, limit: number): ExchangeSection {
  const secs = prev ? (last.takenAt - prev.takenAt) / 1000 : 0;
  const before = new Map<string, Snapshot['exchanges'][number]>();
  if (prev) for (const e of prev.exchanges) before.set(`${e.vhost}\u0000${e.name}`, e);
  const rows = last.exchanges.map((e): ExchangeRow => {
    const p = before.get(`${e.vhost}\u0000${e.name}`);
    return {
      name: e.name,
      vhost: e.vhost,
      type: e.type,
      publishInRate: counterRate(p?.publishedIn, e.publishedIn, secs),
      publishOutRate: counterRate(p?.publishedOut, e.publishedOut, secs),
    };
  });
  // Broker-defined exchanges (the default one and amq.*) only matter when they carry traffic.
  const builtin = (r: ExchangeRow) => (r.name === '' || r.name.startsWith('amq.') ? 1 : 0);
  rows.sort(
    (a, b) =>
      (b.publishInRate ?? -1) - (a.publishInRate ?? -1) ||
      (b.publishOutRate ?? -1) - (a.publishOutRate ?? -1) ||
      builtin(a) - builtin(b) ||
      a.name.localeCompare(b.name, 'en') ||
      a.vhost.localeCompare(b.vhost, 'en'),
  );
  const busiest = rows.slice(0, limit);
  return { total: last.exchanges.length, busiest, more: rows.length - busiest.length };
}

function buildConnections(conns: readonly ConnectionInfo[], limit: number): ConnectionSection {
  const byState: Record<string, number> = {};
  const groups = new Map<string, ConnectionGroup>();
  for (const c of conns) {
    byState[c.state] = (byState[c.state] ?? 0) + 1;
    const host = c.role.host || c.peerHost;
    const key = `${c.role.service}\u0000${host}\u0000${c.user}`;
    let g = groups.get(key);
    if (!g) {
      g = { service: c.role.service, host, user: c.user, count: 0, channels: 0, states: {} };
      groups.set(key, g);
    }
    g.count++;
    g.channels += c.channels;
    g.states[c.state] = (g.states[c.state] ?? 0) + 1;
  }
  const blocked = (g: ConnectionGroup) => (g.states.blocked ?? 0) + (g.states.blocking ?? 0);
  // Blocked groups first: they are what an operator is looking for during a memory alarm.
  const sorted = [...groups.values()].sort(
    (a, b) =>
      blocked(b) - blocked(a) ||
      b.count - a.count ||
      a.service.localeCompare(b.service, 'en') ||
      a.host.localeCompare(b.host, 'en') ||
      a.user.localeCompare(b.user, 'en'),
  );
  const shown = sorted.slice(0, limit);
  const shownCount = shown.reduce((n, g) => n + g.count, 0);
  return {
    total: conns.length,
    byState,
    groups: shown,
    more: sorted.length - shown.length,
    moreConnections: conns.length - shownCount,
  };
}

function buildOpenStack(view: OpenStackView | null, limit: number): Omit<ReportOpenStack, 'hostMap'> {
  if (!view) {
    return {
      services: [],
      available: false,
      hostQueues: { total: 0, withoutConsumers: 0, unconsumed: [], more: 0 },
      orphans: { reply: 0, fanout: 0, perProcess: 0, withoutExpiry: 0 },
    };
  }
  const unconsumed = view.hostQueues
    .filter((h) => h.consumers === 0)
    .sort(
      (a, b) =>
        (b.messages ?? 0) - (a.messages ?? 0) ||
        a.service.localeCompare(b.service, 'en') ||
        a.host.localeCompare(b.host, 'en') ||
        a.queue.localeCompare(b.queue, 'en'),
    );
  const down = new Map<string, Set<string>>();
  for (const h of unconsumed) {
    let s = down.get(h.service);
    if (!s) down.set(h.service, (s = new Set()));
    s.add(h.host);
  }
  const services = view.services.map((s) => ({
    service: s.service,
    queues: s.queues,
    messages: s.messages,
    consumers: s.consumers,
    connections: s.connections,
    hosts: [...s.hosts],
    hostsDown: [...(down.get(s.service) ?? [])].sort(),
  }));
  const shown = unconsumed.slice(0, limit).map((h) => ({
    ...h,
    idleSince: h.idleSince === null ? null : new Date(h.idleSince).toISOString(),
  }));
  return {
    services,
    available: true,
    hostQueues: {
      total: view.hostQueues.length,
      withoutConsumers: unconsumed.length,
      unconsumed: shown,
      more: unconsumed.length - shown.length,
    },
    orphans: { ...view.orphans },
  };
}

/** The Snapshot's address -> host maps as sorted lists (empty when it was built without one). */
function rpcPingOf(results: readonly RpcPingStatus[]): ReportRpcPing {
  const row = (s: RpcPingStatus): ReportPingServer => ({ service: s.target.service, topic: s.target.topic, host: s.target.host, consecutiveFailures: s.consecutiveFailures, detail: s.detail });
  return {
    servers: results.length,
    answered: results.filter((s) => s.state !== 'timeout' && s.state !== 'unsent').length,
    notEnabled: results.filter((s) => s.state === 'not-enabled').map(row),
    unanswered: results.filter((s) => s.state === 'timeout').map(row),
  };
}

function hostMapOf(s: Snapshot): ReportOpenStack['hostMap'] {
  const list = (m: Readonly<Record<string, string>> | undefined) =>
    Object.entries(m ?? {})
      .map(([address, host]) => ({ address, host }))
      .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : a.address < b.address ? -1 : 1));
  return { configured: list(s.hostMap?.configured), learned: list(s.hostMap?.learned) };
}
