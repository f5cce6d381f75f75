// kbudde's rabbitmq_exporter names beyond warren's own families (src/metrics/render.ts):
// the broker fields of src/sources/broker-fields.ts, queue state and idle time, and the
// exporter's own module series, under the cluster's metrics profile. Kept apart so the
// main render gains only a few call lines.
import type { MetricsConfig } from '../config/index.js';
import type { ExchangeInfo, QueueInfo, Snapshot } from '../snapshot/index.js';
import { EXCHANGE_FIELDS, QUEUE_FIELDS } from '../sources/index.js';
import type { ExpositionWriter, Labels } from './exposition.js';

const KBUDDE_MODULES = ['exchange', 'node', 'overview', 'queue'] as const;

/**
 * Families only the kbudde profile exports, besides the broker fields. Declared from
 * tables, like the fields: they are kbudde's compatibility surface (listed in
 * test/fixtures/kbudde/kbudde-metrics.json), not names warren's own dashboards and
 * rules build on (src/rules/promql.ts WARREN_METRIC_NAMES).
 */
const KBUDDE_FAMILIES: ReadonlyArray<readonly [string, string]> = [
  ['rabbitmq_queue_state', 'per queue: 1 for the queue\'s state (idle when running with idle_since set, as kbudde).'],
  ['rabbitmq_queue_idle_since_seconds', 'per queue: when the queue went idle, Unix seconds.'],
  ['rabbitmq_module_up', 'kbudde\'s modules (exchange, node, overview, queue): whether the last poll gave their data.'],
  ['rabbitmq_module_scrape_duration_seconds', 'kbudde\'s modules: duration of the last poll (one poll serves them all).'],
  ['rabbitmq_exporter_build_info', 'kbudde\'s build info series, labelled with warren\'s version.'],
];

export function declareKbudde(w: ExpositionWriter): void {
  for (const f of [...QUEUE_FIELDS, ...EXCHANGE_FIELDS]) w.family(f.metric, f.type, (f.metric.startsWith('rabbitmq_queue_') ? 'per queue: ' : '') + f.help);
  for (const [name, help] of KBUDDE_FAMILIES) w.family(name, 'gauge', help);
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


