// A broker at 3 a.m., built by hand for the report tests: a memory alarm on one
// node, a compute host whose per-host queue lost its consumer, an unconsumed
// notification queue, a conductor backlog, blocked connections.
import type { Finding } from '../../src/rules/types.js';
import type { OpenStackView } from '../../src/snapshot/index.js';
import type { QueueInfo, Snapshot } from '../../src/snapshot/types.js';
import { later, makeConnection, makeNode, makeQueue, makeSnapshot, makeTotals } from '../support/snapshot.js';
import type { ClusterInput } from '../../src/report/model.js';

export const T0 = Date.parse('2026-11-22T03:00:00Z');

const counters = (published: number, delivered: number) => ({ published, delivered, acked: delivered, redelivered: 0 });

function queuesAt(step: number): QueueInfo[] {
  return [
    makeQueue({
      name: 'notifications.info',
      consumers: 0,
      messages: 5321 + step * 120,
      ready: 5321 + step * 120,
      counters: counters(90_000 + step * 120, 84_679),
      role: { service: 'nova', kind: 'notification', topic: 'notifications', host: '' },
    }),
    makeQueue({
      name: 'conductor',
      consumers: 4,
      messages: 150 + step * 10,
      ready: 150 + step * 10,
      counters: counters(500_000 + step * 400, 499_850 + step * 390),
      role: { service: 'nova', kind: 'rpc_topic', topic: 'conductor', host: '' },
    }),
    makeQueue({
      name: 'compute.cmp-07',
      consumers: 0,
      messages: 42 + step,
      ready: 42 + step,
      idleSince: T0 - 600_000,
      counters: counters(1_000 + step, 958),
      role: { service: 'nova', kind: 'rpc_host', topic: 'compute', host: 'cmp-07' },
    }),
    makeQueue({
      name: 'compute.cmp-01',
      consumers: 1,
      messages: 0,
      counters: counters(2_000 + step * 5, 2_000 + step * 5),
      role: { service: 'nova', kind: 'rpc_host', topic: 'compute', host: 'cmp-01' },
    }),
    makeQueue({
      name: 'q-plugin',
      vhost: '/neutron',
      consumers: 8,
      messages: 3,
      ready: 1,
      unacked: 2,
      counters: counters(80_000 + step * 300, 79_997 + step * 300),
      role: { service: 'neutron', kind: 'rpc_topic', topic: 'q-plugin', host: '' },
    }),
    makeQueue({ name: 'reply_0123456789abcdef0123456789abcdef', consumers: 0, messages: 0, expiresMs: 1_800_000, role: { service: '', kind: 'reply', topic: '', host: '' } }),
  ];
}

export function brokerSamples(): Snapshot[] {
  const nodes = [
    makeNode({ name: 'rabbit@ctl-1', memUsed: 1_100e6, memLimit: 1_000e6, memAlarm: true }),
    makeNode({ name: 'rabbit@ctl-2', memUsed: 850e6, memLimit: 1_000e6 }),
    makeNode({ name: 'rabbit@ctl-3', memUsed: 300e6, memLimit: 1_000e6, diskFree: 1.5e9, diskFreeLimit: 1e9 }),
  ];
  const connections = [
    ...Array.from({ length: 6 }, (_, i) =>
      makeConnection({ name: `10.0.0.2${i}:5000${i} -> 10.0.0.10:5672`, role: { service: 'nova', binary: 'nova-compute', pid: String(100 + i), host: 'cmp-01' } }),
    ),
    ...Array.from({ length: 3 }, (_, i) =>
      makeConnection({
        name: `10.0.0.30:6000${i} -> 10.0.0.10:5672`,
        state: 'blocked',
        role: { service: 'nova', binary: 'nova-conductor', pid: String(200 + i), host: 'ctl-1' },
      }),
    ),
    makeConnection({ name: '10.0.0.40:7000 -> 10.0.0.10:5672', user: 'neutron', vhost: '/neutron', role: { service: 'neutron', binary: 'neutron-server', pid: '300', host: 'ctl-2' } }),
  ];
  const exchanges = (step: number) => [
    { name: 'nova', vhost: '/', type: 'topic', durable: false, publishedIn: 600_000 + step * 520, publishedOut: 595_000 + step * 400 },
    { name: 'neutron', vhost: '/neutron', type: 'topic', durable: false, publishedIn: 80_000 + step * 300, publishedOut: 80_000 + step * 300 },
    { name: 'amq.direct', vhost: '/', type: 'direct', durable: true, publishedIn: null, publishedOut: null },
  ];
  const totals = (step: number) =>
    makeTotals({ queues: 6, exchanges: 3, connections: 10, channels: 10, consumers: 13, messages: 5516 + step * 131, ready: 5514 + step * 131, unacked: 2, published: 700_000 + step * 820, delivered: 690_000 + step * 690 });
  const base = makeSnapshot({
    target: 'prod',
    url: 'http://warren:s3cret@10.0.0.10:15672',
    cluster: 'rabbit@ctl-1.prod',
    takenAt: T0,
    broker: { version: '3.10.8', erlang: '25.2.3', clusterName: 'rabbit@ctl-1.prod', managementVersion: '3.10.8', statsDisabled: false, ratesMode: 'basic' },
    nodes,
    queues: queuesAt(0),
    exchanges: exchanges(0),
    connections,
    totals: totals(0),
  });
  return [
    base,
    later(base, 5, { queues: queuesAt(5), exchanges: exchanges(5), totals: totals(5) }),
    later(base, 10, { queues: queuesAt(10), exchanges: exchanges(10), totals: totals(10) }),
  ];
}

export function brokerFindings(): Finding[] {
  // Deliberately out of order: the report must sort worst first.
  return [
    {
      rule: 'queue-no-consumer',
      severity: 'warning',
      subject: { kind: 'queue', name: 'notifications.info', vhost: '/' },
      summary: '5,441 messages and no consumer',
      remedy: 'Start the consumer, or stop the producer; purge only if the messages are not needed.',
      evidence: { messages: 5441 },
    },
    {
      rule: 'node-restarted',
      severity: 'info',
      subject: { kind: 'node', name: 'rabbit@ctl-3' },
      summary: 'rabbit@ctl-3 restarted 12 minutes ago',
      remedy: 'Check the node log for why it restarted.',
      evidence: { uptimeMs: 720_000 },
    },
    {
      rule: 'openstack-host-queue-unconsumed',
      severity: 'critical',
      subject: { kind: 'queue', name: 'compute.cmp-07', vhost: '/' },
      summary: 'nova compute on cmp-07 is down: compute.cmp-07 has no consumer (52 messages waiting, idle 10 min)',
      remedy: 'Restart nova-compute on cmp-07 and check its log for "AMQP server … is unreachable"; if the host was decommissioned, delete the queue and the service record.',
      evidence: { messages: 52, host: 'cmp-07', service: 'nova' },
    },
    {
      rule: 'memory-alarm',
      severity: 'critical',
      subject: { kind: 'node', name: 'rabbit@ctl-1' },
      summary: 'Memory alarm on rabbit@ctl-1: 1.0 GiB used of a 954 MiB watermark; every publisher in the cluster is blocked',
      remedy: 'Drain the largest queues (usually unconsumed notifications), then check the watermark (0.4 up to 3.13, 0.6 from 4.0).',
      evidence: { memUsed: 1_100e6, memLimit: 1_000e6 },
    },
    {
      rule: 'openstack-rpc-backlog',
      severity: 'warning',
      subject: { kind: 'queue', name: 'conductor', vhost: '/' },
      summary: 'conductor holds 250 ready messages: RPC callers will hit MessagingTimeout',
      remedy: 'Restart or scale nova-conductor workers and check the database.',
      evidence: { ready: 250 },
    },
  ];
}

export function brokerView(): OpenStackView {
  return {
    services: [
      { service: 'nova', queues: 4, messages: 5_961, consumers: 5, connections: 9, hosts: ['cmp-01', 'cmp-07', 'ctl-1'] },
      { service: 'neutron', queues: 1, messages: 3, consumers: 8, connections: 1, hosts: ['ctl-2'] },
    ],
    hostQueues: [
      { service: 'nova', topic: 'compute', host: 'cmp-01', queue: 'compute.cmp-01', vhost: '/', consumers: 1, messages: 0, ready: 0, idleSince: null },
      { service: 'nova', topic: 'compute', host: 'cmp-07', queue: 'compute.cmp-07', vhost: '/', consumers: 0, messages: 52, ready: 52, idleSince: T0 - 600_000 },
    ],
    connections: [
      { service: 'nova', host: 'cmp-01', count: 6 },
      { service: 'nova', host: 'ctl-1', count: 3 },
      { service: 'neutron', host: 'ctl-2', count: 1 },
    ],
    orphans: { reply: 1, fanout: 0, perProcess: 2, withoutExpiry: 2 },
    byKind: [],
  };
}

export function brokerInput(): ClusterInput {
  return { target: 'prod', url: 'http://warren:s3cret@10.0.0.10:15672', samples: brokerSamples(), findings: brokerFindings(), view: brokerView() };
}

export const GENERATED_AT = new Date(T0 + 10_500);

/**
 * A big broker: 10,000 queues (4,102 empty, the busiest `busy-0000` with 99,999
 * messages), 3,000 connections from 300 hosts, and a queue-no-consumer finding
 * for every non-empty queue without consumers.
 */
export function largeBrokerInput(): ClusterInput {
  const queues: QueueInfo[] = [];
  for (let i = 0; i < 10_000; i++) {
    const empty = i >= 10_000 - 4_102;
    const messages = empty ? 0 : 99_999 - i * 10;
    queues.push(
      makeQueue({
        name: `busy-${String(i).padStart(4, '0')}`,
        consumers: i % 2 === 0 ? 0 : 1,
        messages,
        ready: messages,
        counters: counters(messages, 0),
      }),
    );
  }
  const connections = Array.from({ length: 3_000 }, (_, i) =>
    makeConnection({
      name: `10.1.${Math.floor(i / 250)}.${i % 250}:5000 -> 10.0.0.10:5672`,
      role: { service: 'nova', binary: 'nova-compute', pid: String(i), host: `cmp-${String(i % 300).padStart(3, '0')}` },
    }),
  );
  const first = makeSnapshot({ target: 'big', cluster: 'rabbit@big', queues, connections, totals: makeTotals({ queues: 10_000, connections: 3_000 }) });
  const second = later(first, 10, {
    queues: queues.map((q) => ({ ...q, messages: q.messages! + (q.messages ? 5 : 0), ready: q.ready! + (q.messages ? 5 : 0) })),
  });
  const findings: Finding[] = queues
    .filter((q) => q.consumers === 0 && q.messages! > 0)
    .reverse() // worst last on input: the report must sort them
    .map((q) => ({
      rule: 'queue-no-consumer',
      severity: 'warning',
      subject: { kind: 'queue', name: q.name, vhost: '/' },
      summary: `${q.messages} messages and no consumer`,
      remedy: 'Start the consumer, or stop the producer.',
      evidence: { messages: q.messages },
    }));
  findings.push({
    rule: 'memory-alarm',
    severity: 'critical',
    subject: { kind: 'node', name: 'rabbit@node-1' },
    summary: 'Memory alarm on rabbit@node-1',
    remedy: 'Drain the largest queues.',
    evidence: {},
  });
  return { target: 'big', url: 'http://10.0.0.10:15672', samples: [first, second], findings, view: null };
}
