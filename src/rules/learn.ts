// What the engine learns over the agent's lifetime, beyond the short history ring:
// the most nodes seen, node uptimes, slow baselines and compact long series. Pure.
//
// Order matters: rules are evaluated with the state learned BEFORE the current
// Snapshot (node-restarted compares against the previous uptime; baselines must not
// already contain the spike they judge), then `learn(prev, snapshot)` folds it in.
import { queueKey, type Snapshot } from '../snapshot/index.js';
import type { LearnedState } from './types.js';
import { learnUsers } from './learn-users.js';

/** Baseline and series key of the cluster's total connection count. */
export const CONNECTIONS_KEY = 'connections';

/** Baseline key of one OpenStack service's connections on one host. */
export function serviceBaselineKey(service: string, host: string): string {
  return `svc:${service}:${host}`;
}

/** Series key of a node's free disk (for the disk-low prediction). */
export function diskSeriesKey(node: string): string {
  return `disk:${node}`;
}

/** Time constant of the EWMA baselines: slow enough that a flood does not become normal within minutes. */
export const BASELINE_TAU_MS = 3_600_000;
/** How far back the long series reach (connection-leak needs 30 min, disk-low's trend longer). */
export const SERIES_SPAN_MS = 2 * 3_600_000;
/** Points kept per series at most, whatever the poll interval. */
export const SERIES_MAX_POINTS = 1500;
/** Baselines not updated for this long (a decommissioned host) are forgotten. */
export const BASELINE_FORGET_MS = 24 * 3_600_000;

export function emptyLearned(): LearnedState {
  return { maxNodes: 0, nodeUptimeMs: {}, baselines: {}, series: {}, topicServers: {}, nodeRestartedAt: {} };
}

export function learn(prev: LearnedState, snapshot: Snapshot): LearnedState {
  const at = snapshot.takenAt;

  const nodeUptimeMs = { ...prev.nodeUptimeMs };
  const nodeRestartedAt = { ...prev.nodeRestartedAt };
  for (const n of snapshot.nodes) {
    if (!n.running || n.uptimeMs <= 0) continue;
    const before = prev.nodeUptimeMs[n.name];
    if (before !== undefined && n.uptimeMs < before) nodeRestartedAt[n.name] = at;
    nodeUptimeMs[n.name] = n.uptimeMs;
  }
  for (const [k, v] of Object.entries(nodeRestartedAt)) if (at - v >= BASELINE_FORGET_MS) delete nodeRestartedAt[k];

  const baselines: LearnedState['baselines'] = {};
  for (const [k, b] of Object.entries(prev.baselines)) {
    if (b.updatedAt === undefined || at - b.updatedAt < BASELINE_FORGET_MS) baselines[k] = b;
  }
  // Totals are fast-tier (every poll).
  baselines[CONNECTIONS_KEY] = ewma(prev.baselines[CONNECTIONS_KEY], snapshot.totals.connections, at);
  // The connection list is slow-tier: only a refreshed list is a new sample, otherwise the
  // same list would be counted again and again.
  if (snapshot.poll.connectionsRefreshed) {
    for (const [key, g] of serviceConnectionCounts(snapshot)) baselines[key] = ewma(prev.baselines[key], g.count, at);
  }

  const series: LearnedState['series'] = {};
  const keepSeries = new Set([CONNECTIONS_KEY, ...snapshot.nodes.map((n) => diskSeriesKey(n.name))]);
  for (const [k, points] of Object.entries(prev.series)) if (keepSeries.has(k)) series[k] = points;
  series[CONNECTIONS_KEY] = append(prev.series[CONNECTIONS_KEY], at, snapshot.totals.connections);
  for (const n of snapshot.nodes) {
    if (n.running) series[diskSeriesKey(n.name)] = append(prev.series[diskSeriesKey(n.name)], at, n.diskFree);
  }

  const users = learnUsers(prev.users, snapshot);
  return { maxNodes: Math.max(prev.maxNodes, snapshot.nodes.length), nodeUptimeMs, baselines, series, topicServers: topicServers(prev.topicServers, snapshot), nodeRestartedAt, ...(users ? { users } : {}) };
}

/** Who consumes each shared RPC topic now, over what was learned before; forgotten after a day unseen. */
function topicServers(prev: LearnedState['topicServers'], snapshot: Snapshot): NonNullable<LearnedState['topicServers']> {
  const at = snapshot.takenAt;
  const out: NonNullable<LearnedState['topicServers']> = {};
  for (const [k, v] of Object.entries(prev ?? {})) if (at - v.at < BASELINE_FORGET_MS) out[k] = v;
  const topics = new Set(snapshot.queues.filter((q) => q.role.kind === 'rpc_topic' && (q.consumers ?? 0) > 0).map((q) => queueKey(q)));
  if (topics.size === 0) return out;
  const conns = new Map(snapshot.connections.map((c) => [c.name, c]));
  const seen = new Map<string, Set<string>>();
  for (const c of snapshot.consumers) {
    const k = queueKey({ vhost: c.vhost, name: c.queue });
    const host = conns.get(c.connection)?.role.host;
    if (!topics.has(k) || !host) continue;
    let s = seen.get(k);
    if (!s) seen.set(k, (s = new Set()));
    s.add(host);
  }
  for (const [k, hosts] of seen) out[k] = { hosts: [...hosts].sort(), at };
  return out;
}

/** Connections per OpenStack service and host (service '' = not an OpenStack client, skipped). */
export function serviceConnectionCounts(snapshot: Snapshot): Map<string, { service: string; host: string; count: number }> {
  const counts = new Map<string, { service: string; host: string; count: number }>();
  for (const c of snapshot.connections) {
    if (!c.role.service) continue;
    const key = serviceBaselineKey(c.role.service, c.role.host);
    const g = counts.get(key);
    if (g) g.count++;
    else counts.set(key, { service: c.role.service, host: c.role.host, count: 1 });
  }
  return counts;
}

/**
 * Time-aware EWMA: the weight of a new sample grows with the time since the last one,
 * so the baseline moves at the same speed whatever the poll interval.
 */
function ewma(prev: { value: number; samples: number; updatedAt?: number } | undefined, x: number, at: number) {
  if (!prev) return { value: x, samples: 1, updatedAt: at };
  const dt = prev.updatedAt === undefined ? 30_000 : at - prev.updatedAt;
  if (dt <= 0) return prev;
  // Warm-up: at least the running mean's weight (1/n), so the first samples do not pin the
  // baseline for an hour (a start while clients still connect would read as a flood).
  const alpha = Math.max(1 / (prev.samples + 1), 1 - Math.exp(-dt / BASELINE_TAU_MS));
  return { value: prev.value + alpha * (x - prev.value), samples: prev.samples + 1, updatedAt: at };
}

function append(points: ReadonlyArray<[number, number]> | undefined, at: number, value: number): Array<[number, number]> {
  const from = at - SERIES_SPAN_MS;
  const kept = (points ?? []).filter(([t]) => t >= from && t < at);
  kept.push([at, value]);
  return kept.length > SERIES_MAX_POINTS ? kept.slice(kept.length - SERIES_MAX_POINTS) : kept;
}
