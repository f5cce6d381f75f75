// kbudde's rabbitmq_exporter names beyond warren's own families (src/metrics/render.ts):
// the broker fields of src/sources/broker-fields.ts, queue state and idle time, and the
// exporter's own module series, under the cluster's metrics profile. Kept apart so the
// main render gains only a few call lines.
import type { MetricsConfig } from '../config/index.js';
import type { ExchangeInfo, QueueInfo, Snapshot } from '../snapshot/index.js';
import { EXCHANGE_FIELDS, QUEUE_FIELDS, fieldsFor } from '../sources/index.js';
import type { ExpositionWriter, Labels } from './exposition.js';

const KBUDDE_MODULES = ['exchange', 'node', 'overview', 'queue'] as const;

export function declareKbudde(w: ExpositionWriter): void {
  for (const f of [...QUEUE_FIELDS, ...EXCHANGE_FIELDS]) w.family(f.metric, f.type, (f.metric.startsWith('rabbitmq_queue_') ? 'per queue: ' : '') + f.help);
  w.family('rabbitmq_queue_state', 'gauge', 'per queue: 1 for the queue\'s state (idle when running with idle_since set, as kbudde).')
    .family('rabbitmq_queue_idle_since_seconds', 'gauge', 'per queue: when the queue went idle, Unix seconds.')
    .family('rabbitmq_module_up', 'gauge', 'kbudde\'s modules (exchange, node, overview, queue): whether the last poll gave their data.')
    .family('rabbitmq_module_scrape_duration_seconds', 'gauge', 'kbudde\'s modules: duration of the last poll (one poll serves them all).')
    .family('rabbitmq_exporter_build_info', 'gauge', 'kbudde\'s build info series, labelled with warren\'s version.');
}

const DEFAULT_METRICS: MetricsConfig = { profile: 'default', exclude: [] };

/** What kbudde's profile adds per cluster, outside the queues: module series. */
export function renderKbuddeCluster(w: ExpositionWriter, cluster: string, ok: boolean, s: Snapshot | null, m: MetricsConfig = DEFAULT_METRICS): void {
  if (m.profile !== 'kbudde') return;
  for (const module of KBUDDE_MODULES) {
    w.sample('rabbitmq_module_up', { cluster, module }, ok ? 1 : 0);
    if (s) w.sample('rabbitmq_module_scrape_duration_seconds', { cluster, module }, s.poll.durationMs / 1000);
  }
}

export function renderKbuddeBuildInfo(w: ExpositionWriter, version: string, profiles: readonly (MetricsConfig | undefined)[]): void {
  if (profiles.some((m) => m?.profile === 'kbudde')) w.sample('rabbitmq_exporter_build_info', { version, exporter: 'warren' }, 1);
}

/** The per-queue kbudde series of one queue, with the queue's own labels. */
export function renderKbuddeQueue(w: ExpositionWriter, ql: Labels, q: QueueInfo, m: MetricsConfig = DEFAULT_METRICS): void {
  const x = q.extra;
  if (x) for (const name in x) w.sample(name, ql, x[name]);
  if (m.profile !== 'kbudde') return;
  const idle = q.idleSince !== null;
  if (idle) w.sample('rabbitmq_queue_idle_since_seconds', ql, q.idleSince! / 1000);
  w.sample('rabbitmq_queue_state', { ...ql, state: idle && q.state === 'running' ? 'idle' : q.state }, 1);
}

export function renderKbuddeExchange(w: ExpositionWriter, el: Labels, e: ExchangeInfo): void {
  const x = e.extra;
  if (x) for (const name in x) w.sample(name, el, x[name]);
}

/** The names the profile drops from the exposition (config metrics.exclude). */
export function omittedNames(m: MetricsConfig | undefined): ReadonlySet<string> | null {
  return m && m.exclude.length ? new Set(m.exclude) : null;
}


