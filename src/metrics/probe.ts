// The AMQP probe's last round as series (src/sources/amqp-probe.ts): success per node and
// protocol, and the seconds of each phase that completed (a failed phase has no series,
// so a dashboard never shows a timeout as a measured duration).
import type { ProbeResult } from '../sources/index.js';
import type { ExpositionWriter } from './exposition.js';

export function renderProbeMetrics(w: ExpositionWriter, cluster: string, results: readonly ProbeResult[]): void {
  if (results.length === 0) return;
  w.family('warren_probe_success', 'gauge', "Whether warren's AMQP probe connected, published with a confirm and consumed its message back (1) or not (0).")
    .family('warren_probe_duration_seconds', 'gauge', 'Seconds each phase of the last AMQP probe took (connect, channel, declare, publish until confirmed, consume until received).');
  for (const r of results) {
    const l = { cluster, node: r.node, protocol: r.protocol };
    w.sample('warren_probe_success', l, r.ok ? 1 : 0);
    for (const [phase, seconds] of Object.entries(r.durations)) w.sample('warren_probe_duration_seconds', { ...l, phase }, seconds);
  }
}
