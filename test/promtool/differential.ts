// The differential test's machinery: the series of a promtool case (test/promtool/cases.ts)
// become a Snapshot per sample time, the catalogue's checks run over them as the daemon
// runs them (history, learned state, `for`), and the firing set they give at each eval
// time of the case becomes the expectation of a promtool test over the generated rule
// file. promtool then says whether the PromQL forms fire on exactly the same subjects
// with the same severities. test/unit/promql-differential.test.ts runs it.
import { stringify } from 'yaml';
import { ruleById, unreachableFinding } from '../../src/rules/index.js';
import { emptyLearned, learn } from '../../src/rules/index.js';
import { appendHistory } from '../../src/poll/index.js';
import type { ConnectionInfo, NodeInfo, OpenStackKind, QueueInfo, Snapshot, Totals } from '../../src/snapshot/index.js';
import type { Finding, Rule, Severity } from '../../src/rules/types.js';
import type { ProbePhase, ProbeResult, RpcPingStatus } from '../../src/sources/index.js';
import { makeConnection, makeNode, makeQueue, makeSnapshot, makeTotals } from '../support/snapshot.js';
import { Q, sel, steps, type PromtoolCase } from './cases.js';

// ---- series ---------------------------------------------------------------------------

export interface Series {
  metric: string;
  labels: Record<string, string>;
  /** One value per sample, null where the series has none (`_`). */
  values: Array<number | null>;
}

const NUM = '[-+]?[0-9.]+(?:e[-+]?[0-9]+)?';
const TOKEN = new RegExp(`^(${NUM}|_)(?:([-+])(${NUM}))?(?:x([0-9]+))?$`);

/** promtool's expanding notation (`1 2x3 0+5x4 _x2`) as one value per sample. */
export function expandValues(text: string): Array<number | null> {
  const out: Array<number | null> = [];
  for (const token of text.trim().split(/\s+/)) {
    const m = TOKEN.exec(token);
    if (!m) throw new Error(`cannot read series value "${token}"`);
    const [, start, sign, step, times] = m;
    const repeat = times === undefined ? 0 : Number(times);
    if (start === '_') {
      for (let i = 0; i <= repeat; i++) out.push(null);
      continue;
    }
    const delta = step === undefined ? 0 : (sign === '-' ? -1 : 1) * Number(step);
    for (let i = 0; i <= repeat; i++) out.push(Number(start) + i * delta);
  }
  return out;
}

export function parseSeries(selector: string, values: string): Series {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\}$/.exec(selector);
  if (!m) throw new Error(`cannot read series "${selector}"`);
  const labels: Record<string, string> = {};
  for (const l of m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
  return { metric: m[1]!, labels, values: expandValues(values) };
}

/** Sample spacing of a case in seconds. */
export function intervalSeconds(c: PromtoolCase): number {
  const m = /^(\d+)([smh])$/.exec(c.interval ?? '1m');
  if (!m) throw new Error(`unexpected interval ${c.interval}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
}

// ---- series -> Snapshots ---------------------------------------------------------------------

const T0 = Date.parse('2026-11-22T03:00:00Z');

/** What warren's metrics say about one Snapshot, in the other direction (src/metrics/render.ts). */
const NODE_FIELDS: Record<string, (n: Mutable<NodeInfo>, v: number) => void> = {
  rabbitmq_running: (n, v) => (n.running = v === 1),
  rabbitmq_node_mem_used: (n, v) => (n.memUsed = v),
  rabbitmq_node_mem_limit: (n, v) => (n.memLimit = v),
  rabbitmq_node_mem_alarm: (n, v) => (n.memAlarm = v > 0),
  rabbitmq_node_disk_free: (n, v) => (n.diskFree = v),
  rabbitmq_node_disk_free_limit: (n, v) => (n.diskFreeLimit = v),
  rabbitmq_node_disk_free_alarm: (n, v) => (n.diskAlarm = v > 0),
  rabbitmq_fd_used: (n, v) => (n.fdUsed = v),
  rabbitmq_fd_available: (n, v) => (n.fdTotal = v),
  rabbitmq_sockets_used: (n, v) => (n.socketsUsed = v),
  rabbitmq_sockets_available: (n, v) => (n.socketsTotal = v),
  rabbitmq_node_proc_used: (n, v) => (n.procUsed = v),
  rabbitmq_node_proc_available: (n, v) => (n.procTotal = v),
  rabbitmq_uptime: (n, v) => (n.uptimeMs = v),
  rabbitmq_partitions: (n, v) => (n.partitions = Array.from({ length: v }, (_, i) => `rabbit@unseen-${i + 1}`)),
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

interface QueueAcc {
  q: Mutable<QueueInfo>;
  has: Set<string>;
  publishRate: number;
  deliverRate: number;
}

/**
 * The Snapshots the series describe, one per sample time: nodes, queues and connections
 * from the per-node, per-queue and grouped series; totals from the cluster series; the
 * OpenStack series (host queue consumers, orphans, connections per service and host) as
 * the queues and connections they count. Counters accumulate the `*_rate` gauges. A
 * sample time where `rabbitmq_up` is 0 is a failed poll (null: no Snapshot).
 */
export function snapshotsOf(c: PromtoolCase): Array<{ at: number; snapshot: Snapshot | null; expectedNodes?: number; probe?: ProbeResult[]; rpcPing?: RpcPingStatus[] }> {
  const series = c.series.map(([s, v]) => parseSeries(s, v));
  const step = intervalSeconds(c);
  const samples = Math.max(...series.map((s) => s.values.length));
  const published = new Map<string, number>();
  const delivered = new Map<string, number>();
  const out: Array<{ at: number; snapshot: Snapshot | null; expectedNodes?: number; probe?: ProbeResult[]; rpcPing?: RpcPingStatus[] }> = [];

  for (let i = 0; i < samples; i++) {
    const at = T0 + i * step * 1000;
    const now = series.flatMap((s) => (s.values[i] === null || s.values[i] === undefined ? [] : [{ ...s, value: s.values[i]! }]));
    const nodes = new Map<string, Mutable<NodeInfo>>();
    const queues = new Map<string, QueueAcc>();
    const connections: ConnectionInfo[] = [];
    const totals = makeTotals() as Mutable<Totals>;
    let up = true;
    let expectedNodes: number | undefined;
    // The AMQP probe's last round (src/metrics/probe.ts in the other direction), per node and protocol.
    const probes = new Map<string, { node: string; protocol: 'amqp' | 'amqps'; ok: boolean; durations: Partial<Record<ProbePhase, number>> }>();
    const probe = (node: string, protocol: string) => {
      const key = `${node}\u0000${protocol}`;
      let p = probes.get(key);
      if (!p) probes.set(key, (p = { node, protocol: protocol as 'amqp' | 'amqps', ok: false, durations: {} }));
      return p;
    };

    // The RPC ping's last outcome per server (src/metrics/rpc-ping.ts in the other direction).
    const pings = new Map<string, { service: string; topic: string; host: string; success: number | null; seconds: number | null; failures: number }>();
    const ping = (l: Record<string, string>) => {
      const key = `${l.service}\u0000${l.topic}\u0000${l.host}`;
      let p = pings.get(key);
      if (!p) pings.set(key, (p = { service: l.service ?? '', topic: l.topic!, host: l.host!, success: null, seconds: null, failures: 0 }));
      return p;
    };

    const node = (name: string) => {
      let n = nodes.get(name);
      if (!n) nodes.set(name, (n = makeNode({ name }) as Mutable<NodeInfo>));
      return n;
    };
    const queue = (vhost: string, name: string, kind: OpenStackKind, service: string): QueueAcc => {
      const key = `${vhost}\u0000${name}`;
      let a = queues.get(key);
      if (!a) {
        const [topic = '', host = ''] = kind === 'rpc_host' ? splitHostQueue(name) : [kind === 'rpc_topic' ? name : '', ''];
        a = {
          q: makeQueue({ name, vhost, consumers: 1, role: { service, kind, topic, host } }) as Mutable<QueueInfo>,
          has: new Set(),
          publishRate: 0,
          deliverRate: 0,
        };
        queues.set(key, a);
      }
      return a;
    };

    const orphans: Array<{ kind: 'reply' | 'fanout'; count: number }> = [];
    let withoutExpiry = 0;
    for (const s of now) {
      const l = s.labels;
      const v = s.value;
      const nodeField = NODE_FIELDS[s.metric];
      if (nodeField) {
        nodeField(node(l.node!), v);
        continue;
      }
      switch (s.metric) {
        case 'rabbitmq_up':
          up = v === 1;
          break;
        case 'rabbitmq_nodes_expected':
          expectedNodes = v;
          break;
        case 'warren_probe_success':
          probe(l.node!, l.protocol!).ok = v === 1;
          break;
        case 'warren_probe_duration_seconds':
          probe(l.node!, l.protocol!).durations[l.phase as ProbePhase] = v;
          break;
        case 'warren_openstack_rpc_ping_success':
          ping(l).success = v;
          break;
        case 'warren_openstack_rpc_ping_seconds':
          ping(l).seconds = v;
          break;
        case 'warren_openstack_rpc_ping_consecutive_failures':
          ping(l).failures = v;
          break;
        case 'rabbitmq_version_info': {
          const n = node(l.node!);
          n.rabbitmqVersion = l.rabbitmq ?? '';
          n.erlangVersion = l.erlang ?? '';
          break;
        }
        case 'rabbitmq_queue_messages':
        case 'rabbitmq_queue_messages_ready':
        case 'rabbitmq_queue_messages_unacknowledged':
        case 'rabbitmq_queue_consumers':
        case 'rabbitmq_queue_messages_publish_rate':
        case 'rabbitmq_queue_messages_deliver_rate':
        case 'rabbitmq_queue_head_message_timestamp': {
          const a = queue(l.vhost!, l.queue!, (l.openstack_kind ?? 'other') as OpenStackKind, l.openstack_service ?? '');
          a.has.add(s.metric);
          if (s.metric === 'rabbitmq_queue_messages') a.q.messages = v;
          else if (s.metric === 'rabbitmq_queue_messages_ready') a.q.ready = v;
          else if (s.metric === 'rabbitmq_queue_messages_unacknowledged') a.q.unacked = v;
          else if (s.metric === 'rabbitmq_queue_consumers') a.q.consumers = v;
          else if (s.metric === 'rabbitmq_queue_messages_publish_rate') a.publishRate = v;
          // promtool's clock starts at 0 where the Snapshots' starts at T0.
          else if (s.metric === 'rabbitmq_queue_head_message_timestamp') a.q.headMessageAt = T0 + v * 1000;
          else a.deliverRate = v;
          break;
        }
        case 'rabbitmq_openstack_host_queue_consumers': {
          const name = `${l.topic}.${l.host}`;
          const a = queue('/', name, 'rpc_host', l.service ?? '');
          a.q.role = { service: l.service ?? '', kind: 'rpc_host', topic: l.topic!, host: l.host! };
          a.q.consumers = v;
          break;
        }
        case 'rabbitmq_openstack_orphan_queues':
          orphans.push({ kind: l.kind as 'reply' | 'fanout', count: v });
          break;
        case 'rabbitmq_openstack_orphan_queues_without_expiry':
          withoutExpiry = v;
          break;
        case 'rabbitmq_openstack_connections':
          for (let k = 0; k < v; k++) {
            connections.push(
              makeConnection({ name: `${l.host}:${l.service}:${k}`, role: { service: l.service!, binary: `${l.service}-api`, pid: String(k), host: l.host! } }),
            );
          }
          break;
        case 'rabbitmq_connections_state':
          for (let k = 0; k < v; k++) connections.push(makeConnection({ name: `${l.user}:${l.state}:${k}`, vhost: l.vhost!, user: l.user ?? 'guest', state: l.state! }));
          break;
        case 'rabbitmq_connection_channels_max':
          connections.push(makeConnection({ name: 'busiest', channels: v }));
          break;
        case 'rabbitmq_connections':
          totals.connections = v;
          break;
        case 'rabbitmq_connections_opened_total':
          totals.connectionsCreated = v;
          break;
        case 'rabbitmq_connections_closed_total':
          totals.connectionsClosed = v;
          break;
        case 'rabbitmq_messages_unroutable_returned_total':
          totals.returnedUnroutable = v;
          break;
        case 'rabbitmq_messages_unroutable_dropped_total':
          totals.droppedUnroutable = v;
          break;
        default:
          throw new Error(`the differential test cannot build a Snapshot from ${s.metric}; teach snapshotsOf() what it means`);
      }
    }

    // Orphaned per-process queues: the counted ones expire (x-expires), the first
    // `withoutExpiry` of them do not.
    let unexpiring = withoutExpiry;
    for (const o of orphans) {
      for (let k = 0; k < o.count; k++) {
        const a = queue('/', `${o.kind === 'reply' ? 'reply_' : 'fanout_'}${k}`, o.kind, '');
        a.q.consumers = 0;
        a.q.expiresMs = unexpiring-- > 0 ? null : 1_800_000;
      }
    }
    for (let k = 0; unexpiring > 0; k++, unexpiring--) {
      const a = queue('/', `reply_unexpiring_${k}`, 'reply', '');
      a.q.consumers = 0;
    }

    for (const [key, a] of queues) {
      const q = a.q;
      // A queue's depth is ready + unacked when only one side is given.
      if (!a.has.has('rabbitmq_queue_messages')) q.messages = q.ready! + q.unacked!;
      else if (!a.has.has('rabbitmq_queue_messages_ready')) q.ready = Math.max(0, q.messages! - q.unacked!);
      const pub = (published.get(key) ?? 0) + a.publishRate * step;
      const del = (delivered.get(key) ?? 0) + a.deliverRate * step;
      published.set(key, pub);
      delivered.set(key, del);
      q.counters = { published: pub, delivered: del, acked: del, redelivered: 0 };
    }
    totals.queues = queues.size;

    const snapshot = up
      ? makeSnapshot({
          cluster: 'prod',
          target: 'prod',
          takenAt: at,
          nodes: nodes.size > 0 ? [...nodes.values()] : [makeNode()],
          queues: [...queues.values()].map((a) => a.q),
          connections,
          totals,
          poll: { ...makeSnapshot().poll, startedAt: at },
        })
      : null;
    const round = [...probes.values()].map(
      (p): ProbeResult => ({
        node: p.node,
        protocol: p.protocol,
        address: `${p.node}:5672`,
        at,
        ok: p.ok,
        durations: p.durations,
        roundTripSeconds: p.ok ? (p.durations.publish ?? 0) + (p.durations.consume ?? 0) : null,
        failedPhase: p.ok ? null : 'connect',
        error: p.ok ? null : 'failed',
      }),
    );
    const rpcPing = [...pings.values()].map(
      (p): RpcPingStatus => ({
        target: { service: p.service, topic: p.topic, host: p.host, vhost: '/', exchange: p.service },
        at,
        state: p.success === null ? 'unsent' : p.success === 1 ? 'answered' : 'timeout',
        latencySeconds: p.seconds,
        consecutiveFailures: p.failures,
        detail: null,
      }),
    );
    out.push({
      at,
      snapshot,
      ...(expectedNodes === undefined ? {} : { expectedNodes }),
      ...(round.length > 0 ? { probe: round } : {}),
      ...(rpcPing.length > 0 ? { rpcPing } : {}),
    });
  }
  return out;
}

function splitHostQueue(name: string): [string, string] {
  const dot = name.indexOf('.');
  return dot < 0 ? [name, ''] : [name.slice(0, dot), name.slice(dot + 1)];
}

// ---- the checks' firing set ----------------------------------------------------------------

/** The labels an alert of this rule is told apart by, as its PromQL form gives them. */
export function subjectLabels(rule: Rule): string[] {
  // The series name the queue by topic and host.
  if (rule.id === 'openstack-host-queue-unconsumed' || rule.id === 'openstack-rpc-server-unresponsive') return ['topic', 'host'];
  const kinds = new Set((rule.promql?.(rule.defaults) ?? []).map((a) => a.labels?.subject_kind));
  if (kinds.size !== 1) throw new Error(`rule ${rule.id}: its PromQL entries disagree on subject_kind`);
  const kind = [...kinds][0];
  switch (kind) {
    case 'node':
      return ['node'];
    case 'queue':
      return ['vhost', 'queue'];
    case 'vhost':
      return ['vhost'];
    case 'service':
      return ['service', 'host'];
    // One series per cluster: a connection's channels are exported as the cluster's maximum.
    case 'cluster':
    case 'connection':
      return [];
    default:
      throw new Error(`rule ${rule.id}: unexpected subject_kind ${String(kind)}`);
  }
}

/** A finding's subject as the PromQL alert's labels. */
function findingLabels(rule: Rule, f: Finding, by: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  const set = (k: string, v: unknown) => {
    if (by.includes(k) && typeof v === 'string' && v !== '') labels[k] = v;
  };
  if (rule.id === 'openstack-host-queue-unconsumed' || rule.id === 'openstack-rpc-server-unresponsive') {
    set('topic', f.evidence.topic);
    set('host', f.evidence.host);
    return labels;
  }
  if (f.subject.kind === 'node') set('node', f.subject.name);
  if (f.subject.kind === 'queue') {
    set('vhost', f.subject.vhost);
    set('queue', f.subject.name);
  }
  if (f.subject.kind === 'vhost') set('vhost', f.subject.vhost);
  set('service', f.labels?.service);
  set('host', f.labels?.host);
  return labels;
}

/**
 * A rule with `warning` and `critical` thresholds escalates: its critical condition
 * implies the warning one, and its PromQL form has one alert per severity, both firing
 * on a critical subject. The check gives one finding at the worst severity.
 */
function severitiesOf(rule: Rule, f: Finding): Severity[] {
  const escalates = 'warning' in rule.defaults && 'critical' in rule.defaults;
  return escalates && f.severity === 'critical' ? ['warning', 'critical'] : [f.severity];
}

export interface FiringAlert {
  severity: Severity;
  labels: Record<string, string>;
}

/**
 * What the checks have firing at each sample time, per rule: a finding is active while
 * it is found on every evaluation, and fires once it has been active for the rule's
 * `for` (Prometheus' pending semantics; alert delivery's resolve hysteresis in
 * src/rules/alerts.ts is not part of a rule's meaning).
 */
export function checkFiring(c: PromtoolCase, ruleIds: readonly string[]): Map<number, Map<string, FiringAlert[]>> {
  const rules = ruleIds.map((id) => {
    const r = ruleById(id);
    if (!r) throw new Error(`no rule ${id}`);
    return r;
  });
  const step = intervalSeconds(c);
  let history: Snapshot[] = [];
  let learned = emptyLearned();
  const activeSince = new Map<string, number>();
  const result = new Map<number, Map<string, FiringAlert[]>>();

  for (const { at, snapshot, expectedNodes, probe, rpcPing } of snapshotsOf(c)) {
    const minute = (at - T0) / 60_000;
    const seen = new Map<string, { rule: string; alert: FiringAlert }>();
    for (const rule of rules) {
      let findings: Finding[];
      if (!snapshot) {
        // A failed poll: the poller raises broker-unreachable, there is nothing else to judge.
        findings = rule.id === 'broker-unreachable' ? [unreachableFinding('prod', 'http://127.0.0.1:15672', 'connect ECONNREFUSED')] : [];
      } else {
        const ctx = { now: at, snapshot, history, learned, oneShot: false, ...(expectedNodes !== undefined ? { expectedNodes } : {}), ...(probe ? { probe } : {}), ...(rpcPing ? { rpcPing } : {}) };
        findings = rule.evaluate(ctx, () => ({}));
      }
      const by = subjectLabels(rule);
      for (const f of findings) {
        const labels = findingLabels(rule, f, by);
        for (const severity of severitiesOf(rule, f)) {
          const key = `${rule.id}\u0000${severity}\u0000${JSON.stringify(Object.entries(labels).sort())}`;
          seen.set(key, { rule: rule.id, alert: { severity, labels } });
        }
      }
    }
    for (const key of [...activeSince.keys()]) if (!seen.has(key)) activeSince.delete(key);
    const firing = new Map<string, FiringAlert[]>(rules.map((r) => [r.id, []]));
    for (const [key, { rule, alert }] of seen) {
      if (!activeSince.has(key)) activeSince.set(key, at);
      if (at - activeSince.get(key)! >= ruleById(rule)!.forSeconds * 1000) firing.get(rule)!.push(alert);
    }
    result.set(minute, firing);
    if (snapshot) {
      history = appendHistory(history, snapshot);
      learned = learn(learned, snapshot);
    }
  }
  return result;
}

// ---- the promtool test ----------------------------------------------------------------------

/** The PromQL firing set of a rule, in the same labels: severity and the subject labels. */
export function firingQuery(rule: Rule): string {
  return `group by (${['severity', ...subjectLabels(rule)].join(', ')}) (ALERTS{alertname="${rule.id}",alertstate="firing"})`;
}

function sampleLabels(a: FiringAlert): string {
  const all = { severity: a.severity, ...a.labels };
  return `{${Object.entries(all)
    .sort(([x], [y]) => (x < y ? -1 : 1))
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
    .join(',')}}`;
}

export interface Comparison {
  case: string;
  rule: string;
  at: number;
  firing: FiringAlert[];
}

/** The rules a case is about (those its evals name) that have a PromQL form. */
export function rulesOf(c: PromtoolCase): string[] {
  return [...new Set((c.evals ?? []).map((e) => e.alert))].filter((id) => ruleById(id)?.promql);
}

/** Every (case, rule, eval time) compared, with what the checks fire there. */
export function comparisons(cases: readonly PromtoolCase[]): Comparison[] {
  const out: Comparison[] = [];
  for (const c of cases) {
    const rules = rulesOf(c);
    if (rules.length === 0) continue;
    const firing = checkFiring(c, rules);
    for (const e of c.evals ?? []) {
      if (!rules.includes(e.alert)) continue;
      const at = Number(e.at);
      const now = firing.get(at);
      if (!now) throw new Error(`${c.name}: eval time ${e.at} is not a sample time`);
      out.push({ case: c.name, rule: e.alert, at, firing: now.get(e.alert)! });
    }
  }
  return out;
}

/** A promtool test file over `ruleFile` (relative to the directory the test file is written to). */
export function renderDifferentialFile(cases: readonly PromtoolCase[], ruleFile: string): string {
  const all = comparisons(cases);
  const tests = cases
    .filter((c) => all.some((x) => x.case === c.name))
    .map((c) => ({
      name: `differential: ${c.name}`,
      interval: c.interval ?? '1m',
      input_series: c.series.map(([series, values]) => ({ series, values })),
      promql_expr_test: all
        .filter((x) => x.case === c.name)
        .map((x) => ({
          expr: firingQuery(ruleById(x.rule)!),
          eval_time: `${x.at}m`,
          exp_samples: x.firing.map((a) => ({ labels: sampleLabels(a), value: 1 })),
        })),
    }));
  return (
    '# Generated by test/promtool/differential.ts: the checks\' firing set as expectations for the PromQL forms.\n' +
    stringify({ rule_files: [ruleFile], evaluation_interval: '1m', tests }, { lineWidth: 0 })
  );
}

// ---- cases only the differential test needs -------------------------------------------------

/** Evals that name the rules to compare at each time; their `firing` is not read (the checks say it). */
function compareAt(times: readonly number[], rules: readonly string[]): PromtoolCase['evals'] {
  return times.flatMap((at) => rules.map((alert) => ({ at, alert, firing: [] })));
}

/**
 * Which rule owns a queue's symptom by its OpenStack kind: one queue of every kind, with
 * a backlog and unacknowledged messages, first without a consumer and then with one. The
 * generic queue rules and the OpenStack rules must split them the same way in both forms.
 */
export const DIFFERENTIAL_CASES: PromtoolCase[] = [
  {
    name: 'queue ownership by OpenStack kind, without and then with a consumer',
    series: (
      [
        ['plain', 'other', ''],
        ['conductor', 'rpc_topic', 'nova'],
        ['compute.cmp-01', 'rpc_host', 'nova'],
        ['notifications.info', 'notification', 'nova'],
        ['reply_0a1b2c', 'reply', ''],
        ['scheduler_fanout_0a1b2c', 'fanout', 'nova'],
      ] as const
    ).flatMap(([queue, kind, service]): PromtoolCase['series'] => [
      [sel('rabbitmq_queue_messages', Q(queue, kind, service)), steps([3500, 21])],
      [sel('rabbitmq_queue_messages_ready', Q(queue, kind, service)), steps([2000, 21])],
      [sel('rabbitmq_queue_messages_unacknowledged', Q(queue, kind, service)), steps([1500, 21])],
      [sel('rabbitmq_queue_consumers', Q(queue, kind, service)), steps([0, 12], [1, 9])],
    ]),
    evals: compareAt(
      [1, 4, 8, 14, 19],
      ['queue-backlog', 'queue-no-consumer', 'unacked-high', 'openstack-rpc-backlog', 'openstack-rpc-unacked', 'openstack-notifications-unconsumed'],
    ),
  },
];
