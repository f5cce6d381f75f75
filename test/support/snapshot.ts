// Builders for hand-made Snapshots in unit tests: every field has a healthy
// default, a test overrides only what it is about.
import type {
  ConnectionInfo,
  NodeInfo,
  QueueInfo,
  Snapshot,
  Totals,
} from '../../src/snapshot/types.js';

export function makeNode(p: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name: 'rabbit@node-1',
    running: true,
    type: 'disc',
    memUsed: 200e6,
    memLimit: 1000e6,
    memAlarm: false,
    diskFree: 50e9,
    diskFreeLimit: 1e9,
    diskAlarm: false,
    fdUsed: 100,
    fdTotal: 65536,
    socketsUsed: 50,
    socketsTotal: 58000,
    procUsed: 500,
    procTotal: 1048576,
    uptimeMs: 3_600_000,
    partitions: [],
    rabbitmqVersion: '3.10.8',
    erlangVersion: '25.2.3',
    clusterLinks: [],
    ...p,
  };
}

export function makeQueue(p: Partial<QueueInfo> & { name: string }): QueueInfo {
  return {
    vhost: '/',
    node: 'rabbit@node-1',
    type: 'classic',
    state: 'running',
    durable: false,
    autoDelete: false,
    exclusive: false,
    expiresMs: null,
    policy: '',
    policyExpiresMs: null,
    consumers: 1,
    messages: 0,
    ready: 0,
    unacked: 0,
    idleSince: null,
    headMessageAt: null,
    counters: { published: 0, delivered: 0, acked: 0, redelivered: 0 },
    members: [],
    online: [],
    leader: '',
    role: { service: '', kind: 'other', topic: '', host: '' },
    ...p,
  };
}

export function makeConnection(p: Partial<ConnectionInfo> & { name: string }): ConnectionInfo {
  return {
    vhost: '/',
    user: 'openstack',
    node: 'rabbit@node-1',
    state: 'running',
    channels: 1,
    channelMax: 2047,
    peerHost: '10.0.0.11',
    peerPort: 40000,
    connectedAt: 0,
    timeout: 60,
    clientName: '',
    product: 'py-amqp',
    role: { service: '', binary: '', pid: '', host: '10.0.0.11' },
    ...p,
  };
}

export function makeTotals(p: Partial<Totals> = {}): Totals {
  return {
    queues: 0,
    exchanges: 7,
    connections: 0,
    channels: 0,
    consumers: 0,
    messages: 0,
    ready: 0,
    unacked: 0,
    published: 0,
    delivered: 0,
    returnedUnroutable: 0,
    droppedUnroutable: 0,
    connectionsCreated: 0,
    connectionsClosed: 0,
    channelsCreated: 0,
    channelsClosed: 0,
    queuesDeclared: 0,
    queuesDeleted: 0,
    ...p,
  };
}

export function makeSnapshot(p: Partial<Snapshot> = {}): Snapshot {
  return {
    target: 'test',
    url: 'http://127.0.0.1:15672',
    cluster: 'rabbit@test',
    takenAt: Date.parse('2026-11-22T03:00:00Z'),
    broker: {
      version: '3.10.8',
      erlang: '25.2.3',
      clusterName: 'rabbit@test',
      managementVersion: '3.10.8',
      statsDisabled: false,
      ratesMode: 'basic',
    },
    nodes: [makeNode()],
    vhosts: [{ name: '/', messages: 0, ready: 0, unacked: 0 }],
    queues: [],
    exchanges: [],
    connections: [],
    consumers: [],
    channels: [],
    policies: [],
    users: [{ name: 'openstack', tags: ['administrator'] }],
    totals: makeTotals(),
    poll: {
      startedAt: Date.parse('2026-11-22T03:00:00Z'),
      durationMs: 100,
      requests: 8,
      bytes: 10000,
      queueSource: 'management',
      inventoryRefreshed: true,
      connectionsRefreshed: true,
      connectionsListedAt: Date.parse('2026-11-22T03:00:00Z'),
      warnings: [],
    },
    ...p,
  };
}

/** The same Snapshot `seconds` later, with overrides: for building histories. */
export function later(s: Snapshot, seconds: number, p: Partial<Snapshot> = {}): Snapshot {
  return { ...s, takenAt: s.takenAt + seconds * 1000, ...p };
}
