// Connection and channel rules.
import { totalRates } from '../../snapshot/index.js';
import type { ConnectionInfo } from '../../snapshot/index.js';
import type { Finding } from '../types.js';
import { CONNECTIONS_KEY } from '../learn.js';
import { fmtDuration, fmtInt, fmtPercent, fmtRateValue, listSome } from '../../format.js';
import { clusterSubject, defineRule, windowBase } from '../helpers.js';
import { COUNT, n, range } from './promql-text.js';

export const connectionsBlocked = defineRule({
  id: 'connections-blocked',
  severity: 'critical',
  forSeconds: 0,
  description: 'connections in `blocked`/`blocking` state',
  remedy:
    'A resource alarm (memory or disk) blocks publishers cluster-wide, and heartbeats are not monitored while it lasts; oslo logs "The broker has blocked the connection". ' +
    'Clear the alarm: drain the large queues (notification backlogs, orphaned reply_/fanout queues, dead per-host queues) or free disk, then check the watermark and disk_free_limit.',
  defaults: {},
  promql: () => [
    {
      expr: 'sum by (cluster, vhost) (rabbitmq_connections_state{state=~"blocked|blocking"}) > 0',
      summary: `${COUNT} connections in vhost {{ $labels.vhost }} of cluster {{ $labels.cluster }} are blocked by a resource alarm`,
      labels: { subject_kind: 'vhost' },
    },
  ],
  check({ ctx, thresholds, finding }) {
    const byVhost = new Map<string, ConnectionInfo[]>();
    for (const c of ctx.snapshot.connections) {
      if (c.state !== 'blocked' && c.state !== 'blocking') continue;
      const list = byVhost.get(c.vhost) ?? [];
      list.push(c);
      byVhost.set(c.vhost, list);
    }
    const out: Finding[] = [];
    for (const [vhost, conns] of byVhost) {
      if (!thresholds({ vhost })) continue;
      const blocked = conns.filter((c) => c.state === 'blocked').length;
      const who = [...new Set(conns.map((c) => c.role.binary || c.user))];
      out.push(
        finding(
          { kind: 'vhost', name: vhost, vhost },
          `${fmtInt(conns.length)} connections in vhost ${vhost} are blocked by a resource alarm (${blocked} blocked, ${conns.length - blocked} blocking): ${listSome(who)}`,
          { blocked, blocking: conns.length - blocked, clients: who },
        ),
      );
    }
    return out;
  },
});

export const connectionCountHigh = defineRule({
  id: 'connection-count-high',
  severity: 'warning',
  forSeconds: 300,
  description: 'connections ≥ configured limit, or ≥ 2 × the learned baseline',
  remedy:
    'Find which service and host hold the extra connections (warren\'s rabbitmq_openstack_connections, or /api/connections grouped by client connection_name and peer_host). ' +
    'Lower `rpc_conn_pool_size` or the worker counts, and look for a reconnect storm (connection-churn).',
  // limit: 0 = none configured. The baseline needs minSamples polls before it can judge, and
  // minConnections keeps small clusters (5 -> 10 connections) quiet.
  defaults: { limit: 0, baselineFactor: 2, minSamples: 20, minConnections: 50 },
  promql: (t) => [
    {
      // The learned baseline becomes the 1-day average; it needs an hour of history.
      expr: [
        `rabbitmq_connections >= ${n(t.baselineFactor)} * avg_over_time(rabbitmq_connections[1d])`,
        `and rabbitmq_connections >= ${n(t.minConnections)}`,
        'and rabbitmq_connections offset 1h',
      ].join('\n'),
      summary: `Cluster {{ $labels.cluster }} has ${COUNT} connections, ${n(t.baselineFactor)} × its daily average or more`,
      labels: { subject_kind: 'cluster' },
    },
  ],
  partlyInPromql:
    'the configured connection limit is not exported; the learned baseline becomes the 1-day average of rabbitmq_connections',
  check({ ctx, thresholds, finding }) {
    const t = thresholds();
    if (!t) return [];
    const total = ctx.snapshot.totals.connections;
    const subject = clusterSubject(ctx.snapshot);
    if (t.limit > 0 && total >= t.limit) {
      return [finding(subject, `${fmtInt(total)} connections are open, at or above the configured limit of ${fmtInt(t.limit)}`, { connections: total, limit: t.limit })];
    }
    const b = ctx.learned.baselines[CONNECTIONS_KEY];
    if (!b || b.samples < t.minSamples || total < t.minConnections) return [];
    if (total < t.baselineFactor * b.value) return [];
    return [
      finding(subject, `${fmtInt(total)} connections are open, ${(total / Math.max(b.value, 1)).toFixed(1)} × the usual ${fmtInt(b.value)}`, {
        connections: total,
        baseline: b.value,
        baselineSamples: b.samples,
        factor: t.baselineFactor,
      }),
    ];
  },
});

export const connectionLeak = defineRule({
  id: 'connection-leak',
  severity: 'warning',
  // With the 30 min window below this alerts on monotonic growth for 1 h.
  forSeconds: 1800,
  description: 'connections grow monotonically over 30 min',
  remedy:
    'Connections are opened and never closed: find the service and host whose count keeps growing (rabbitmq_openstack_connections), restart it, and check it for reconnects (same pid with new connections) and its heartbeat settings. ' +
    'If it is connection pool growth, lower `rpc_conn_pool_size` or the worker count.',
  // Monotonic is judged on the floor: the window is cut into `buckets` slices and the minimum
  // of each slice must never fall, so normal churn on top of a leak does not hide it.
  defaults: { windowSeconds: 1800, minIncrease: 10, buckets: 6 },
  promql: (t) => {
    // The window cut into buckets; the minimum of each bucket must never fall, and the last
    // bucket's floor must be minIncrease above the first's (the check's test, so churn on
    // top of a leak does not hide it).
    const buckets = Math.max(2, Math.round(t.buckets));
    const bucket = Math.round(t.windowSeconds / buckets);
    const floor = (i: number) => `min_over_time(rabbitmq_connections[${range(bucket)}]${i > 0 ? ` offset ${range(i * bucket)}` : ''})`;
    return [
      {
        expr: [
          `${floor(0)} - ${floor(buckets - 1)} >= ${n(t.minIncrease)}`,
          ...Array.from({ length: buckets - 1 }, (_, i) => `and ${floor(i)} >= ${floor(i + 1)}`),
        ].join('\n'),
        summary: `Connections to cluster {{ $labels.cluster }} grew by ${COUNT} over ${range(t.windowSeconds)} without ever falling back: a connection leak`,
        labels: { subject_kind: 'cluster' },
      },
    ];
  },
  check({ ctx, thresholds, finding }) {
    const t = thresholds();
    if (!t || ctx.oneShot) return []; // needs 30 min of learned series; a one-shot run has none
    const now = ctx.snapshot.takenAt;
    const from = now - t.windowSeconds * 1000;
    const points = (ctx.learned.series[CONNECTIONS_KEY] ?? []).filter(([at]) => at >= from && at < now);
    points.push([now, ctx.snapshot.totals.connections]);
    const first = points[0];
    // The series must cover at least 90 % of the window.
    if (!first || now - first[0] < 0.9 * t.windowSeconds * 1000) return [];
    const buckets = Math.max(2, Math.round(t.buckets));
    const span = (now - first[0]) / buckets;
    const minima: number[] = new Array<number>(buckets).fill(Number.POSITIVE_INFINITY);
    for (const [at, v] of points) {
      const i = Math.min(buckets - 1, Math.floor((at - first[0]) / span));
      minima[i] = Math.min(minima[i]!, v);
    }
    if (minima.some((m) => m === Number.POSITIVE_INFINITY)) return [];
    for (let i = 1; i < minima.length; i++) if (minima[i]! < minima[i - 1]!) return [];
    const increase = minima[minima.length - 1]! - minima[0]!;
    if (increase < t.minIncrease) return [];
    return [
      finding(
        clusterSubject(ctx.snapshot),
        `Connections grew steadily from ${fmtInt(first[1])} to ${fmtInt(ctx.snapshot.totals.connections)} over ${fmtDuration((now - first[0]) / 1000)} without ever falling back`,
        { from: first[1], to: ctx.snapshot.totals.connections, seconds: (now - first[0]) / 1000, floor: minima, minIncrease: t.minIncrease },
      ),
    ];
  },
});

export const connectionChurn = defineRule({
  id: 'connection-churn',
  severity: 'warning',
  // Sustained for 10 min.
  forSeconds: 600,
  description: '(opened + closed)/s ≥ 10 % of open connections, with ≥ 100 open',
  remedy:
    'Clients keep reconnecting: find them (the same argv0@host with new connections; a new pid means restarts). Usual causes: missed heartbeats from a blocked eventlet hub in WSGI services (`heartbeat_in_pthread`, LP #1934937), ' +
    'firewall or NAT idle timeouts shorter than the heartbeat (raise them; LP #856764), or an overloaded broker (check CPU and Erlang scheduler settings). Keep the heartbeat at 60 s.',
  defaults: { ratio: 0.1, minConnections: 100, windowSeconds: 120 },
  promql: (t) => [
    {
      expr: [
        `(rate(rabbitmq_connections_opened_total[${range(t.windowSeconds)}]) + rate(rabbitmq_connections_closed_total[${range(t.windowSeconds)}]))`,
        `  / rabbitmq_connections >= ${n(t.ratio)}`,
        `and rabbitmq_connections >= ${n(t.minConnections)}`,
      ].join('\n'),
      summary: 'Connection churn on cluster {{ $labels.cluster }}: {{ $value | humanizePercentage }} of the open connections are opened or closed per second',
      labels: { subject_kind: 'cluster' },
    },
  ],
  check({ ctx, thresholds, finding }) {
    const t = thresholds();
    if (!t) return [];
    const open = ctx.snapshot.totals.connections;
    if (open < t.minConnections) return [];
    const base = windowBase(ctx, t.windowSeconds);
    if (!base) return [];
    const r = totalRates(base, ctx.snapshot);
    if (r.connectionsOpened === null && r.connectionsClosed === null) return [];
    const churn = (r.connectionsOpened ?? 0) + (r.connectionsClosed ?? 0);
    if (churn < t.ratio * open) return [];
    return [
      finding(
        clusterSubject(ctx.snapshot),
        `${fmtRateValue(churn)} connections/s opened or closed (${fmtRateValue(r.connectionsOpened ?? 0)} opened, ${fmtRateValue(r.connectionsClosed ?? 0)} closed) with ${fmtInt(open)} open: ${fmtPercent(churn / open)} of them per second`,
        { openedPerSecond: r.connectionsOpened, closedPerSecond: r.connectionsClosed, open, ratio: churn / open, threshold: t.ratio, seconds: (ctx.snapshot.takenAt - base.takenAt) / 1000 },
      ),
    ];
  },
});

export const channelsPerConnectionHigh = defineRule({
  id: 'channels-per-connection-high',
  severity: 'warning',
  forSeconds: 300,
  description: 'a connection holds > 10 channels (or > 50 % of channel_max)',
  remedy:
    'oslo.messaging uses one channel per connection, and RabbitMQ recommends single-digit channels per connection, so this is a channel leak in the client: restart the process holding the connection and check its client library. ' +
    'At channel_max (2047 by default) the client cannot open more channels.',
  defaults: { channels: 10, channelMaxRatio: 0.5 },
  promql: (t) => [
    {
      expr: `rabbitmq_connection_channels_max > ${n(t.channels)}`,
      summary: `A connection to cluster {{ $labels.cluster }} holds ${COUNT} channels`,
      labels: { subject_kind: 'connection' },
    },
  ],
  partlyInPromql: 'the share of channel_max is not exported; only the channel count is checked',
  check({ ctx, thresholds, finding }) {
    const out: Finding[] = [];
    for (const c of ctx.snapshot.connections) {
      if (c.channels === 0) continue;
      const scope: { vhost: string; service?: string } = { vhost: c.vhost };
      if (c.role.service) scope.service = c.role.service;
      const t = thresholds(scope);
      if (!t) continue;
      const overCount = c.channels > t.channels;
      const overMax = c.channelMax > 0 && c.channels > t.channelMaxRatio * c.channelMax;
      if (!overCount && !overMax) continue;
      const who = c.role.binary ? `${c.role.binary} (pid ${c.role.pid}) on ${c.role.host}` : `${c.user}@${c.peerHost}`;
      const labels: Record<string, string> = {};
      if (c.role.service) labels.service = c.role.service;
      if (c.role.host) labels.host = c.role.host;
      out.push(
        finding(
          { kind: 'connection', name: c.name, vhost: c.vhost },
          `Connection of ${who} holds ${fmtInt(c.channels)} channels (threshold ${fmtInt(t.channels)}, channel_max ${fmtInt(c.channelMax)})`,
          { channels: c.channels, channelMax: c.channelMax, threshold: t.channels, channelMaxRatio: t.channelMaxRatio, client: c.clientName },
          { labels },
        ),
      );
    }
    return out;
  },
});
