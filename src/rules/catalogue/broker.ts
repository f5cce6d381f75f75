// Broker health: nodes, partitions, resource alarms, versions, policies, users.
import type { NodeInfo } from '../../snapshot/index.js';
import type { Finding, RuleContext } from '../types.js';
import { fmtBytes, fmtDuration, fmtInt, fmtPercent, listSome, plural } from '../../format.js';
import { redactSecrets, redactUrls } from '../../redact.js';
import { clusterSubject, defineRule, linearSlopePerSecond, nodeSubject, samplesOf, versionAtLeast } from '../helpers.js';
import { diskSeriesKey } from '../learn.js';
import { COUNT, n, NODE, ON_NODE, range } from './promql-text.js';

export const nodeDown = defineRule({
  id: 'node-down',
  severity: 'critical',
  // `running == false` for 1 min.
  forSeconds: 60,
  description: 'a cluster node is not running, or fewer nodes than expected (expected = config, else the most ever seen)',
  remedy:
    'Start the node (`systemctl start rabbitmq-server`) and read its log (/var/log/rabbitmq/) for why it stopped. ' +
    'After an unclean shutdown of the whole cluster, start the node that stopped last first, or run `rabbitmqctl force_boot` on one node (LP #1828988). ' +
    'If the node left the cluster on purpose, `rabbitmqctl forget_cluster_node` it and set `expectedNodes` in the config.',
  defaults: {},
  promql: () => [
    {
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
  ],
  check({ ctx, thresholds, finding }) {
    if (!thresholds()) return [];
    const s = ctx.snapshot;
    const out: Finding[] = [];
    for (const n of s.nodes) {
      // Only a node the broker says is stopped: one listed without `running` is unknown.
      if (n.running !== false) continue;
      const running = s.nodes.filter((x) => x.running).length;
      out.push(
        finding(nodeSubject(n), `Node ${n.name} is not running (${running} of ${s.nodes.length} nodes running)`, {
          running: false,
          runningNodes: running,
          nodes: s.nodes.length,
        }),
      );
    }
    const configured = ctx.expectedNodes ?? 0;
    const expected = configured > 0 ? configured : ctx.learned.maxNodes;
    if (s.nodes.length < expected) {
      const basis = configured > 0 ? 'configured expectedNodes' : 'the most nodes seen before';
      out.push(
        finding(
          clusterSubject(s),
          `The cluster has ${s.nodes.length} of ${expected} expected nodes (${basis}); present: ${listSome(s.nodes.map((n) => n.name))}`,
          { nodes: s.nodes.length, expected, expectedFrom: configured > 0 ? 'config' : 'learned', present: s.nodes.map((n) => n.name) },
        ),
      );
    }
    return out;
  },
});

export const networkPartition = defineRule({
  id: 'network-partition',
  severity: 'critical',
  // Detection itself takes net_ticktime (~60 s); do not add more.
  forSeconds: 0,
  description: 'any node reports partitions (or, on brokers without that field, nodes disagree on who is running)',
  remedy:
    'Restore the network between the nodes, then restart the minority side (`rabbitmqctl stop_app && rabbitmqctl start_app` on the nodes of the smaller partition). ' +
    'Set a partition handling strategy: `pause_minority` (Kolla, OSA; not on 2 nodes) or `autoheal` (openstack-helm); the default `ignore` leaves the split in place. ' +
    'After an unclean full shutdown use `rabbitmqctl force_boot` (LP #1828988). From RabbitMQ 4.3 there is no partition handling: check node reachability and quorum queue leaders.',
  defaults: {},
  promql: () => [
    {
      expr: 'max by (cluster) (rabbitmq_partitions) > 0',
      summary: `Network partition in cluster {{ $labels.cluster }}: a node cannot see ${COUNT} of its peers`,
      labels: { subject_kind: 'cluster' },
    },
  ],
  partlyInPromql:
    'the fallback for brokers without a partitions field (nodes disagreeing on who runs) needs each node\'s own view, which is not exported',
  check({ ctx, thresholds, finding }) {
    if (!thresholds()) return [];
    const s = ctx.snapshot;
    const reporting = s.nodes.filter((n) => n.partitions.length > 0);
    if (reporting.length > 0) {
      const view = Object.fromEntries(reporting.map((n) => [n.name, n.partitions]));
      return [
        finding(
          clusterSubject(s),
          `Network partition: ${reporting.map((n) => `${n.name} cannot see ${listSome(n.partitions, 2)}`).join('; ')}`,
          { partitions: view, source: 'partitions' },
        ),
      ];
    }
    // 4.3 removed Mnesia: `partitions` is always []. The only hint left in one API
    // answer is cluster_links: a running node whose links omit another running node.
    if (!versionAtLeast(s.broker.version, 4, 3)) return [];
    const running = s.nodes.filter((n) => n.running);
    if (running.length < 2 || !running.some((n) => n.clusterLinks.length > 0)) return [];
    const disagree: Record<string, string[]> = {};
    for (const n of running) {
      const links = new Set(n.clusterLinks);
      const unseen = running.filter((o) => o.name !== n.name && !links.has(o.name)).map((o) => o.name);
      if (unseen.length > 0) disagree[n.name] = unseen;
    }
    const names = Object.keys(disagree);
    if (names.length === 0) return [];
    return [
      finding(
        clusterSubject(s),
        `Nodes disagree on who is running: ${names.map((n) => `${n} has no link to ${listSome(disagree[n] ?? [], 2)}`).join('; ')}`,
        { unlinked: disagree, source: 'clusterLinks' },
      ),
    ];
  },
});

const MEMORY_REMEDY =
  'Drain the large queues, usually a notification backlog without consumer, orphaned reply_/fanout queues or a dead per-host queue (sort the queue list by memory). ' +
  'Check the watermark `vm_memory_high_watermark` (0.4 up to 3.13, 0.6 from 4.0; OSA sets 0.2) and prefer an absolute limit in containers.';

export const memoryAlarm = defineRule({
  id: 'memory-alarm',
  severity: 'critical',
  forSeconds: 0,
  description: "a node's memory alarm is set (publishers are blocked)",
  remedy: `Publishers are blocked cluster-wide and heartbeats go unmonitored until the alarm clears. ${MEMORY_REMEDY}`,
  defaults: {},
  promql: () => [
    {
      expr: 'rabbitmq_node_mem_alarm > 0',
      summary: `Memory alarm on ${ON_NODE}: all publishers are blocked`,
      labels: { subject_kind: 'node' },
    },
  ],
  check({ ctx, thresholds, finding }) {
    if (!thresholds()) return [];
    return ctx.snapshot.nodes
      .filter((n) => n.memAlarm)
      .map((n) =>
        finding(
          nodeSubject(n),
          `Memory alarm on ${n.name}: ${fmtBytes(n.memUsed)} used of a ${fmtBytes(n.memLimit)} watermark; all publishers are blocked`,
          { memUsed: n.memUsed, memLimit: n.memLimit, memAlarm: true },
        ),
      );
  },
});

export const memoryHigh = defineRule({
  id: 'memory-high',
  severity: 'warning',
  // used/limit > 0.8 for 10 min, as the Canonical k8s charm alerts.
  forSeconds: 600,
  description: 'mem_used ≥ 80 % of the watermark limit',
  remedy: `Memory is approaching the watermark; at the limit the alarm blocks every publisher. ${MEMORY_REMEDY}`,
  defaults: { ratio: 0.8 },
  promql: (t) => [
    {
      // With the alarm set, memory-alarm reports it.
      expr: [
        `rabbitmq_node_mem_used / (rabbitmq_node_mem_limit > 0) >= ${n(t.ratio)}`,
        'unless on (cluster, node) rabbitmq_node_mem_alarm > 0',
      ].join('\n'),
      summary: `${NODE} uses {{ $value | humanizePercentage }} of its memory watermark`,
      labels: { subject_kind: 'node' },
    },
  ],
  check({ ctx, thresholds, finding }) {
    const t = thresholds();
    if (!t) return [];
    const out: Finding[] = [];
    for (const n of ctx.snapshot.nodes) {
      // With the alarm set, memory-alarm reports it.
      if (n.memAlarm || n.memLimit <= 0) continue;
      const ratio = n.memUsed / n.memLimit;
      if (ratio < t.ratio) continue;
      out.push(
        finding(
          nodeSubject(n),
          `${n.name} uses ${fmtBytes(n.memUsed)}, ${fmtPercent(ratio)} of its ${fmtBytes(n.memLimit)} memory watermark (threshold ${fmtPercent(t.ratio)})`,
          { memUsed: n.memUsed, memLimit: n.memLimit, ratio, threshold: t.ratio },
        ),
      );
    }
    return out;
  },
});

const DISK_REMEDY =
  'Free disk on the node: purge notification backlogs (safe for notifications.*, never for RPC topic queues), tune stream retention when `rabbit_stream_fanout` is on (Kolla: 500 MB segments, `max-age` 1800s), ' +
  'and set `disk_free_limit` to about the memory watermark instead of the 50MB default.';

export const diskAlarm = defineRule({
  id: 'disk-alarm',
  severity: 'critical',
  forSeconds: 0,
  description: "a node's disk alarm is set",
  remedy: `Publishers are blocked cluster-wide until the alarm clears. ${DISK_REMEDY}`,
  defaults: {},
  promql: () => [
    {
      expr: 'rabbitmq_node_disk_free_alarm > 0',
      summary: `Disk alarm on ${ON_NODE}: all publishers are blocked`,
      labels: { subject_kind: 'node' },
    },
  ],
  check({ ctx, thresholds, finding }) {
    if (!thresholds()) return [];
    return ctx.snapshot.nodes
      .filter((n) => n.diskAlarm)
      .map((n) =>
        finding(
          nodeSubject(n),
          `Disk alarm on ${n.name}: ${fmtBytes(n.diskFree)} free, limit ${fmtBytes(n.diskFreeLimit)}; all publishers are blocked`,
          { diskFree: n.diskFree, diskFreeLimit: n.diskFreeLimit, diskAlarm: true },
        ),
      );
  },
});

/** Free-disk points of a node: the learned long series plus the recent history, by time. */
function diskPoints(ctx: RuleContext, node: NodeInfo): Array<[number, number]> {
  const byTime = new Map<number, number>();
  for (const [t, v] of ctx.learned.series[diskSeriesKey(node.name)] ?? []) byTime.set(t, v);
  for (const s of samplesOf(ctx)) {
    const n = s.snapshot === ctx.snapshot ? node : s.nodes.find((x) => x.name === node.name);
    if (n?.running) byTime.set(s.takenAt, n.diskFree);
  }
  return [...byTime.entries()].sort((a, b) => a[0] - b[0]);
}

export const diskLow = defineRule({
  id: 'disk-low',
  severity: 'warning',
  // Low headroom for 10 min.
  forSeconds: 600,
  description: 'disk_free < 2 × disk_free_limit, or predicted to reach it within 24 h',
  remedy: `Free disk is close to the limit; at the limit the disk alarm blocks every publisher. ${DISK_REMEDY}`,
  // minTrendMinutes: a prediction needs a trend at least this long, so a burst of writes does not predict doom.
  defaults: { factor: 2, horizonHours: 24, minTrendMinutes: 30 },
  promql: (t) => [
    {
      // Little headroom now, or the trend reaches the limit within the horizon; the value
      // is the free space now either way. The trend needs minTrendMinutes of history (the
      // offset guard), as the check's does.
      expr: [
        '(',
        `  rabbitmq_node_disk_free < ${n(t.factor)} * rabbitmq_node_disk_free_limit`,
        '  or',
        '  rabbitmq_node_disk_free',
        `    and on (cluster, node) predict_linear(rabbitmq_node_disk_free[1h], ${n(t.horizonHours * 3600)}) < rabbitmq_node_disk_free_limit`,
        `    and on (cluster, node) rabbitmq_node_disk_free offset ${range(t.minTrendMinutes * 60)}`,
        ')',
        'and on (cluster, node) rabbitmq_running == 1',
        'unless on (cluster, node) rabbitmq_node_disk_free_alarm > 0',
      ].join('\n'),
      summary: `${NODE} has {{ $value | humanize1024 }}B of disk free: less than ${n(t.factor)} × its limit, or predicted to reach it within ${n(t.horizonHours)}h`,
      labels: { subject_kind: 'node' },
    },
  ],
  check({ ctx, thresholds, finding }) {
    const t = thresholds();
    if (!t) return [];
    const out: Finding[] = [];
    for (const n of ctx.snapshot.nodes) {
      if (n.diskAlarm || !n.running || n.diskFreeLimit <= 0) continue;
      const evidence: Record<string, unknown> = { diskFree: n.diskFree, diskFreeLimit: n.diskFreeLimit, factor: t.factor };
      if (n.diskFree < t.factor * n.diskFreeLimit) {
        out.push(
          finding(
            nodeSubject(n),
            `${n.name} has ${fmtBytes(n.diskFree)} of disk free, less than ${t.factor} × its ${fmtBytes(n.diskFreeLimit)} limit`,
            evidence,
          ),
        );
        continue;
      }
      const points = diskPoints(ctx, n);
      const first = points[0];
      if (!first || ctx.snapshot.takenAt - first[0] < t.minTrendMinutes * 60_000) continue;
      const slope = linearSlopePerSecond(points);
      if (slope === null || slope >= 0) continue;
      const secondsLeft = (n.diskFree - n.diskFreeLimit) / -slope;
      if (secondsLeft > t.horizonHours * 3600) continue;
      out.push(
        finding(
          nodeSubject(n),
          `${n.name} will reach its ${fmtBytes(n.diskFreeLimit)} disk limit in about ${fmtDuration(secondsLeft)} at the current trend (${fmtBytes(n.diskFree)} free, losing ${fmtBytes(-slope * 3600)}/h)`,
          { ...evidence, bytesPerSecond: slope, secondsToLimit: secondsLeft, trendSeconds: (ctx.snapshot.takenAt - first[0]) / 1000, points: points.length },
        ),
      );
    }
    return out;
  },
});

export const fileDescriptorsHigh = defineRule({
  id: 'file-descriptors-high',
  severity: 'warning',
  // fd > 80 % for 10 min, as openstack-helm alerts.
  forSeconds: 600,
  description: 'fd_used ≥ 80 % of fd_total (also sockets, Erlang processes)',
  remedy:
    'Raise the open-files limit of the RabbitMQ service (at least 50K; about 2 × the p95 connection count + the number of queues; OSA uses ulimit 65536), ' +
    'and find what consumes them: a connection flood or leak (connection-count-high, connection-leak) or a reconnect storm (connection-churn). At the limit new connections are refused. ' +
    'For Erlang processes, look for a queue explosion (orphaned reply_/fanout queues) before raising the process limit.',
  defaults: { ratio: 0.8 },
  promql: (t) => [
    {
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
            `  ${i > 0 ? 'or ' : ''}label_replace(${used} / (${total} > 0) >= ${n(t.ratio)}, "resource", "${what}", "", "")`,
        ),
        ')',
        'and on (cluster, node) rabbitmq_running == 1',
      ].join('\n'),
      summary: `${NODE} uses {{ $value | humanizePercentage }} of its {{ $labels.resource }}`,
      labels: { subject_kind: 'node' },
    },
  ],
  check({ ctx, thresholds, finding }) {
    const t = thresholds();
    if (!t) return [];
    const out: Finding[] = [];
    for (const n of ctx.snapshot.nodes) {
      if (!n.running) continue;
      // sockets_* are 0 from RabbitMQ 4.0: a total of 0 means "not reported".
      const resources: Array<[string, number, number]> = [
        ['file descriptors', n.fdUsed, n.fdTotal],
        ['sockets', n.socketsUsed, n.socketsTotal],
        ['Erlang processes', n.procUsed, n.procTotal],
      ];
      const high = resources.filter(([, used, total]) => total > 0 && used / total >= t.ratio);
      if (high.length === 0) continue;
      out.push(
        finding(
          nodeSubject(n),
          `${n.name} uses ${high.map(([what, used, total]) => `${fmtPercent(used / total)} of its ${what} (${fmtInt(used)} of ${fmtInt(total)})`).join(', ')}`,
          {
            fdUsed: n.fdUsed,
            fdTotal: n.fdTotal,
            socketsUsed: n.socketsUsed,
            socketsTotal: n.socketsTotal,
            procUsed: n.procUsed,
            procTotal: n.procTotal,
            threshold: t.ratio,
            high: high.map(([what]) => what),
          },
        ),
      );
    }
    return out;
  },
});

export const clusterVersionMismatch = defineRule({
  id: 'cluster-version-mismatch',
  severity: 'warning',
  // A rolling upgrade legitimately mixes versions for a while.
  forSeconds: 1800,
  description: 'nodes run different RabbitMQ or Erlang versions',
  remedy:
    'Finish the rolling upgrade: bring every node to the same RabbitMQ and Erlang version (`rabbitmqctl status` on each node). ' +
    'Mixed versions are only supported while an upgrade is in progress, and feature flags cannot be enabled until all nodes match.',
  defaults: {},
  promql: () => [
    {
      expr: 'count by (cluster) (count by (cluster, rabbitmq, erlang) (rabbitmq_version_info)) > 1',
      summary: `Nodes of cluster {{ $labels.cluster }} run ${COUNT} different RabbitMQ/Erlang version pairs`,
      labels: { subject_kind: 'cluster' },
    },
  ],
  check({ ctx, thresholds, finding }) {
    if (!thresholds()) return [];
    const nodes = ctx.snapshot.nodes.filter((n) => n.running);
    const group = (key: (n: NodeInfo) => string) => {
      const m: Record<string, string[]> = {};
      for (const n of nodes) {
        const v = key(n);
        if (v) (m[v] ??= []).push(n.name);
      }
      return m;
    };
    const rabbit = group((n) => n.rabbitmqVersion);
    const erlang = group((n) => n.erlangVersion);
    const parts: string[] = [];
    const describe = (m: Record<string, string[]>) =>
      Object.entries(m)
        .map(([v, ns]) => `${v} on ${listSome(ns, 2)}`)
        .join(' vs ');
    if (Object.keys(rabbit).length > 1) parts.push(`RabbitMQ ${describe(rabbit)}`);
    if (Object.keys(erlang).length > 1) parts.push(`Erlang ${describe(erlang)}`);
    if (parts.length === 0) return [];
    return [finding(clusterSubject(ctx.snapshot), `Nodes run different versions: ${parts.join('; ')}`, { rabbitmq: rabbit, erlang })];
  },
});

export const nodeRestarted = defineRule({
  id: 'node-restarted',
  severity: 'info',
  forSeconds: 0,
  description: "a node restarted: its uptime went backwards against the uptime seen before (reported for 10 min; a first start, with no earlier uptime known, is not a restart)",
  remedy:
    'Find out why the node restarted (its log in /var/log/rabbitmq/, the OOM killer in `journalctl -k`, the service manager). ' +
    'Then check that OpenStack services reconnected (per-host queues have consumers again) and that quorum queue and stream replicas are back on the node.',
  // recentSeconds: how long a restart stays reported after it was seen.
  defaults: { recentSeconds: 600 },
  promql: (t) => [
    {
      // Uptime went backwards (a counter reset) within the window; the value is the uptime now.
      expr: `rabbitmq_uptime / 1000 and resets(rabbitmq_uptime[${range(t.recentSeconds)}]) > 0`,
      summary: `${NODE} restarted {{ $value | humanizeDuration }} ago`,
      labels: { subject_kind: 'node' },
    },
  ],
  check({ ctx, thresholds, finding }) {
    const t = thresholds();
    if (!t) return [];
    const out: Finding[] = [];
    for (const n of ctx.snapshot.nodes) {
      if (!n.running || n.uptimeMs <= 0) continue;
      const before = ctx.learned.nodeUptimeMs[n.name];
      const wentBack = before !== undefined && n.uptimeMs < before;
      const seenAt = ctx.learned.nodeRestartedAt?.[n.name];
      const stillRecent = seenAt !== undefined && ctx.snapshot.takenAt - seenAt < t.recentSeconds * 1000;
      if (!wentBack && !stillRecent) continue;
      out.push(
        finding(
          nodeSubject(n),
          `${n.name} restarted about ${fmtDuration(n.uptimeMs / 1000)} ago: its uptime went back from ${fmtDuration((before ?? n.uptimeMs) / 1000)} to ${fmtDuration(n.uptimeMs / 1000)}, so the node process started again (crash, OOM kill, or a restart by hand or by the service manager)`,
          {
            uptimeMs: n.uptimeMs,
            previousUptimeMs: before ?? null,
          },
        ),
      );
    }
    return out;
  },
});

export const classicMirroringPolicy = defineRule({
  id: 'classic-mirroring-policy',
  severity: 'warning',
  forSeconds: 0,
  description: 'an `ha-mode` policy exists (deprecated; removed in 4.0)',
  remedy:
    'Classic mirroring is deprecated and was removed in RabbitMQ 4.0, where `ha-mode` is ignored and nothing is replicated. Move to quorum queues (`rabbit_quorum_queue = true`): ' +
    'a queue type cannot change in place, so the queues must be deleted and re-declared (Kolla: stop the services, `rabbitmq-reset-state`, redeploy), then delete the ha-mode policy.',
  defaults: {},
  notInPromql: 'policies are not exported as metrics',
  check({ ctx, thresholds, finding }) {
    const out: Finding[] = [];
    const on4 = versionAtLeast(ctx.snapshot.broker.version, 4, 0);
    for (const p of ctx.snapshot.policies) {
      if (!('ha-mode' in p.definition)) continue;
      if (!thresholds({ vhost: p.vhost })) continue;
      out.push(
        finding(
          { kind: 'vhost', name: p.vhost, vhost: p.vhost },
          `Policy "${p.name}" in vhost ${p.vhost} sets ha-mode=${String(p.definition['ha-mode'])} on "${p.pattern}"${on4 ? '; this broker ignores it, nothing is replicated' : '; classic mirroring is removed in 4.0'}`,
          { policy: p.name, pattern: p.pattern, definition: p.definition, brokerVersion: ctx.snapshot.broker.version },
        ),
      );
    }
    return out;
  },
});

export const quorumEvenNodeCount = defineRule({
  id: 'quorum-even-node-count',
  severity: 'info',
  forSeconds: 0,
  description: 'quorum queues on a cluster with an even number of nodes',
  remedy:
    'Run an odd number of nodes (3 or 5; Large Scale SIG: keep an odd number): with an even count a quorum queue tolerates no more node failures than with one node fewer, and a 2-node cluster survives no failure at all.',
  defaults: {},
  notInPromql: 'whether the cluster has quorum queues is not exported as a metric',
  check({ ctx, thresholds, finding }) {
    if (!thresholds()) return [];
    const s = ctx.snapshot;
    const quorum = s.queues.filter((q) => q.type === 'quorum').length;
    if (quorum === 0 || s.nodes.length === 0 || s.nodes.length % 2 !== 0) return [];
    return [
      finding(clusterSubject(s), `${plural(quorum, 'quorum queue')} on a cluster of ${s.nodes.length} nodes, an even number`, {
        nodes: s.nodes.length,
        quorumQueues: quorum,
      }),
    ];
  },
});

export const guestUserEnabled = defineRule({
  id: 'guest-user-enabled',
  severity: 'warning',
  forSeconds: 0,
  description: 'the default `guest` user exists',
  remedy:
    'Create the accounts OpenStack and warren use, then delete the default user: `rabbitmqctl delete_user guest`. Its password is public; only `loopback_users` keeps it off the network.',
  defaults: {},
  notInPromql: 'users are not exported as metrics',
  check({ ctx, thresholds, finding }) {
    if (!thresholds()) return [];
    // Users not listable (no administrator tag): unknown, so no finding and no resolution (src/rules/unknown.ts).
    const guest = ctx.snapshot.users?.find((u) => u.name === 'guest');
    if (!guest) return [];
    return [
      finding(clusterSubject(ctx.snapshot), `The default user "guest" exists${guest.tags.length ? ` (tags: ${guest.tags.join(', ')})` : ''}`, {
        user: 'guest',
        tags: guest.tags,
      }),
    ];
  },
});

const UNREACHABLE_REMEDY =
  'Check that the URL and port are right (management API, default 15672), that the node is up (`rabbitmq-diagnostics -q ping`), ' +
  'that the management plugin is enabled (`rabbitmq-plugins enable rabbitmq_management`), that the credentials are valid (the user needs the `monitoring` tag), ' +
  'and that no firewall or proxy blocks warren.';

export const brokerUnreachable = defineRule({
  id: 'broker-unreachable',
  severity: 'critical',
  forSeconds: 0,
  description: 'the management API did not answer (status unknown, exit 3)',
  remedy: UNREACHABLE_REMEDY,
  defaults: {},
  // There is no Snapshot when the poll fails: the caller builds this one with unreachableFinding().
  // No `for`: an outage pages at once. A broker that has not answered since warren started is
  // not judged until the start grace ends (isStarting in src/metrics/render.ts, exported as
  // warren_starting), so a broker booting beside warren does not page; the form reads the same.
  promql: () => [
    {
      expr: 'rabbitmq_up == 0 unless on(cluster) warren_starting == 1',
      summary: 'warren cannot reach the management API of cluster {{ $labels.cluster }}',
      labels: { subject_kind: 'cluster' },
    },
  ],
  check: () => [],
});

/**
 * The finding for a failed poll. `error` is the poll's error text; URL credentials in it
 * (and any `secrets` given, e.g. the configured password) are removed before it is kept.
 */
export function unreachableFinding(target: string, url: string, error: string, secrets: readonly string[] = []): Finding {
  const clean = redactSecrets(error, secrets);
  const safeUrl = redactUrls(url);
  return {
    rule: 'broker-unreachable',
    severity: 'critical',
    subject: { kind: 'cluster', name: target },
    summary: `The management API at ${safeUrl} did not answer: ${clean}`,
    remedy: UNREACHABLE_REMEDY,
    evidence: { url: safeUrl, error: clean },
  };
}
