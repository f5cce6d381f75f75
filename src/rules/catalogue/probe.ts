// Active checks: what warren's own AMQP probe met (src/sources/amqp-probe.ts), read from
// the probe's last round in the RuleContext. The management API can look healthy while
// clients are shut out (a node in maintenance, a connection limit, a memory alarm that
// blocks publishers, a broken TLS listener): these rules say what a client meets.
import { fmtDuration, listSome } from '../../format.js';
import type { ProbeResult } from '../../sources/index.js';
import type { Finding } from '../types.js';
import { defineRule } from '../helpers.js';
import { COUNT, n, ON_NODE } from './promql-text.js';

/** Results grouped by node, in a stable order. */
function byNode(results: readonly ProbeResult[]): Map<string, ProbeResult[]> {
  const out = new Map<string, ProbeResult[]>();
  for (const r of [...results].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : a.protocol < b.protocol ? -1 : 1))) {
    const list = out.get(r.node) ?? [];
    list.push(r);
    out.set(r.node, list);
  }
  return out;
}

function describe(r: ProbeResult): string {
  return `${r.protocol} ${r.address}`;
}

export const amqpProbeFailed = defineRule({
  id: 'amqp-probe-failed',
  severity: 'critical',
  // Each round already waits a whole phase timeout before it reports a blocked phase.
  forSeconds: 0,
  description: "warren's AMQP probe cannot connect, publish (confirmed) or consume on a node",
  remedy:
    'Clients meet what the probe met; the failed phase says where to look. connect: is the node in maintenance (`rabbitmq-upgrade revive`), its listener up (`rabbitmq-diagnostics -q listeners`), a connection limit reached (`rabbitmqctl list_vhost_limits`, user limits), file descriptors or sockets exhausted, the TLS certificate valid? ' +
    'publish (confirm not received): a memory or disk alarm blocks publishers (see memory-alarm, disk-alarm). channel or declare: channel limits, or the probe user lacks permissions in its vhost. ' +
    'consume: the node is overloaded (check its Erlang scheduler and queue load).',
  defaults: {},
  promql: () => [
    {
      // One alert per node, however many of its listeners (amqp, amqps) fail.
      expr: 'count without (protocol) (warren_probe_success == 0)',
      summary: `warren's AMQP probe fails on ${COUNT} listener(s) of ${ON_NODE}`,
      labels: { subject_kind: 'node' },
    },
  ],
  check({ ctx, thresholds, finding }) {
    if (!ctx.probe || !thresholds()) return [];
    const out: Finding[] = [];
    for (const [node, results] of byNode(ctx.probe)) {
      const failed = results.filter((r) => !r.ok);
      const first = failed[0];
      if (!first) continue;
      const others = failed.slice(1).map((r) => `${describe(r)} at ${r.failedPhase ?? '?'}`);
      out.push(
        finding(
          { kind: 'node', name: node },
          `AMQP probe of ${node} (${describe(first)}) failed at ${first.failedPhase ?? '?'}: ${first.error ?? 'unknown error'}${others.length ? `; also ${listSome(others)}` : ''}`,
          {
            failed: failed.map((r) => ({ protocol: r.protocol, address: r.address, phase: r.failedPhase, error: r.error, at: new Date(r.at).toISOString() })),
            probed: results.length,
          },
        ),
      );
    }
    return out;
  },
});

export const amqpProbeSlow = defineRule({
  id: 'amqp-probe-slow',
  severity: 'warning',
  // One slow round on a busy node is noise; two minutes of them is what clients feel.
  forSeconds: 120,
  description: "the probe's round trip exceeds 1 s",
  remedy:
    'A message takes over a second from publish to consume on an otherwise idle queue: the node is overloaded or in flow control. ' +
    'Check its connections in `flow` state, Erlang scheduler use (`rabbitmq-diagnostics runtime_thread_stats`), disk latency for persistent queues, and the network between warren and the node.',
  defaults: { seconds: 1 },
  promql: (t) => [
    {
      // The round trip is publish (until confirmed) plus consume (until received), of a
      // probe that succeeded; the worst listener of each node.
      expr: [
        'max without (protocol) (',
        '  sum without (phase) (warren_probe_duration_seconds{phase=~"publish|consume"})',
        '  and warren_probe_success == 1',
        `) > ${n(t.seconds)}`,
      ].join('\n'),
      summary: `AMQP probe round trip on ${ON_NODE} took {{ $value | humanizeDuration }}`,
      labels: { subject_kind: 'node' },
    },
  ],
  check({ ctx, thresholds, finding }) {
    const t = thresholds();
    if (!ctx.probe || !t) return [];
    const out: Finding[] = [];
    for (const [node, results] of byNode(ctx.probe)) {
      const slow = results.filter((r) => r.ok && r.roundTripSeconds !== null && r.roundTripSeconds > t.seconds);
      const worst = slow.sort((a, b) => (b.roundTripSeconds ?? 0) - (a.roundTripSeconds ?? 0))[0];
      if (!worst || worst.roundTripSeconds === null) continue;
      out.push(
        finding(
          { kind: 'node', name: node },
          `AMQP probe round trip on ${node} (${describe(worst)}) took ${worst.roundTripSeconds.toFixed(2)} s (threshold ${fmtDuration(t.seconds)})`,
          { roundTripSeconds: worst.roundTripSeconds, threshold: t.seconds, durations: worst.durations, protocol: worst.protocol, address: worst.address },
        ),
      );
    }
    return out;
  },
});
