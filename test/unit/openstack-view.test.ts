import { describe, expect, it } from 'vitest';
import { attributeConnection, classifyQueue } from '../../src/openstack/classify.js';
import { hostOfServer, sameHost } from '../../src/openstack/index.js';
import { consumersByQueue, diagnoseHostQueue, openstackView } from '../../src/snapshot/index.js';
import { queueKey } from '../../src/snapshot/rates.js';
import type { ConnectionInfo, ConsumerInfo, QueueInfo, Snapshot } from '../../src/snapshot/types.js';

const HEX = '9f1c2b3a4d5e6f708192a3b4c5d6e7f8';
const HEX2 = '0123456789abcdef0123456789abcdef';
const HOSTS = { '10.0.0.11': 'ctl-1', '10.0.0.21': 'cmp-01', '10.0.0.22': 'cmp-02', '10.0.0.31': 'net-1' };

function queue(name: string, over: Partial<QueueInfo> = {}): QueueInfo {
  const type = over.type ?? 'classic';
  return {
    name,
    vhost: '/',
    node: 'rabbit@a',
    type,
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
    counters: null,
    members: [],
    online: [],
    leader: '',
    role: classifyQueue(name, type),
    ...over,
  };
}

let port = 40000;
function conn(clientName: string, peerHost: string, over: Partial<ConnectionInfo> = {}): ConnectionInfo {
  const peerPort = port++;
  return {
    name: `${peerHost}:${peerPort} -> 10.0.0.1:5672`,
    vhost: '/',
    user: 'openstack',
    node: 'rabbit@a',
    state: 'running',
    channels: 1,
    channelMax: 2047,
    peerHost,
    peerPort,
    connectedAt: 0,
    timeout: 60,
    clientName,
    product: 'py-amqp',
    role: attributeConnection(clientName, peerHost, HOSTS),
    ...over,
  };
}

function consumer(q: string, c: ConnectionInfo): ConsumerInfo {
  return { queue: q, vhost: '/', connection: c.name, ackRequired: true, prefetch: 0 };
}

function snapshot(queues: readonly QueueInfo[], connections: readonly ConnectionInfo[], consumers: readonly ConsumerInfo[] = []): Snapshot {
  return {
    target: 't',
    url: 'http://x',
    cluster: 'c',
    takenAt: 0,
    broker: { version: '3.10.8', erlang: '25', clusterName: 'c', managementVersion: '3.10.8', statsDisabled: false, ratesMode: 'basic' },
    nodes: [],
    vhosts: [],
    queues,
    exchanges: [],
    connections,
    consumers,
    channels: [],
    policies: [],
    users: [],
    totals: {
      queues: queues.length, exchanges: 0, connections: connections.length, channels: 0, consumers: 0,
      messages: 0, ready: 0, unacked: 0, published: null, delivered: null, returnedUnroutable: null,
      droppedUnroutable: null, connectionsCreated: null, connectionsClosed: null, channelsCreated: null,
      channelsClosed: null, queuesDeclared: null, queuesDeleted: null,
    },
    poll: { startedAt: 0, durationMs: 0, requests: 0, bytes: 0, queueSource: 'management', inventoryRefreshed: true, connectionsRefreshed: true, connectionsListedAt: 0, warnings: [] },
  };
}

const U = (n: number): string => `3f2a9c1e-7b4d-4e8f-a1b2-c3d4e5f6${String(n).padStart(4, '0')}`;

// A small cloud: cmp-02's nova-compute is gone, cmp-01's lost its subscription,
// notifications pile up, two orphans (one without expiry), a heat restart leftover.
function cloud() {
  const c = {
    cond: conn(`nova-conductor:100:${U(1)}`, '10.0.0.11'),
    cmp1: conn(`nova-compute:200:${U(2)}`, '10.0.0.21'),
    ovs2: conn(`neutron-openvswitch-agent:300:${U(3)}`, '10.0.0.22'),
    dhcp: conn(`neutron-dhcp-agent:400:${U(4)}`, '10.0.0.31'),
    vol: conn(`cinder-volume:500:${U(5)}`, '10.0.0.11'),
    heat: conn(`heat-engine:600:${U(6)}`, '10.0.0.11'),
    glance: conn(`glance-api:700:${U(7)}`, '10.0.0.99'),
    api1: conn(`uwsgi:800:${U(8)}`, '10.0.0.11'),
    probe: conn('', '10.0.0.5'),
  };
  const queues = [
    queue('conductor', { consumers: 2, messages: 3, ready: 3 }),
    queue('conductor.ctl-1', { consumers: 1 }),
    queue(`conductor_fanout_${HEX}`, { consumers: 1, expiresMs: 1_800_000 }),
    queue('compute', { consumers: 1 }),
    queue('compute.cmp-01', { consumers: 0, messages: 5, ready: 5, idleSince: 1000 }),
    queue('compute.cmp-02', { consumers: 0, messages: 40, ready: 40, idleSince: 2000 }),
    queue(`compute_fanout_${HEX2}`, { consumers: 0, expiresMs: 1_800_000 }),
    queue('dhcp_agent.net-1', { consumers: 1 }),
    queue('q-agent-notifier-port-update.cmp-02', { consumers: 1 }),
    queue('cinder-volume.ctl-1@lvm', { consumers: 1 }),
    queue('engine.ctl-1', { consumers: 1 }),
    queue(`heat-engine-listener.${U(99)}`, { consumers: 0 }), // left by a restart, never expires
    queue(`heat-engine-listener.${U(6)}`, { consumers: 1 }),
    queue(`reply_${HEX}`, { consumers: 1, expiresMs: 1_800_000 }),
    queue(`reply_${HEX2}`, { consumers: 0, expiresMs: null }), // TTL 0: never expires
    queue('reply_ctl-1:nova-api:1', { consumers: 0, expiresMs: null, policyExpiresMs: 3_600_000 }),
    queue('compute_fanout', { type: 'stream', consumers: 0, messages: 10 }), // shared: not an orphan
    queue('notifications.info', { consumers: 0, messages: 1200, ready: 1200 }),
    queue('amq.gen-abc', { consumers: 1 }),
    queue('myapp', { consumers: 0, messages: 7 }),
    queue('compute.cmp-03', { vhost: '/cell1', consumers: 1 }),
  ];
  const consumers = [
    consumer('conductor', c.cond),
    consumer('conductor.ctl-1', c.cond),
    consumer('dhcp_agent.net-1', c.dhcp),
    consumer('q-agent-notifier-port-update.cmp-02', c.ovs2),
    consumer('cinder-volume.ctl-1@lvm', c.vol),
    { queue: 'compute', vhost: '/', connection: 'gone -> 10.0.0.1:5672', ackRequired: true, prefetch: 0 },
  ];
  return { snap: snapshot(queues, Object.values(c), consumers), c };
}

describe('openstackView', () => {
  const { snap } = cloud();
  const view = openstackView(snap);

  it('sums queues, messages, consumers and connections per service, sorted', () => {
    const nova = view.services.find((s) => s.service === 'nova');
    // conductor, conductor.ctl-1, conductor_fanout_x, compute, compute.cmp-01/02/03, compute_fanout_x,
    // the compute_fanout stream, and the queue-manager reply queue of nova-api
    expect(nova).toEqual({
      service: 'nova',
      queues: 10,
      messages: 3 + 5 + 40 + 10,
      consumers: 2 + 1 + 1 + 1 + 1,
      connections: 2,
      hosts: ['cmp-01', 'cmp-02', 'cmp-03', 'ctl-1'],
    });
    expect(view.services.map((s) => s.service)).toEqual(['ceilometer', 'cinder', 'glance', 'heat', 'neutron', 'nova']);
  });

  it('hosts: cinder backend stripped; heat engine ids are not hosts; addresses only for services without host queues', () => {
    const svc = (n: string) => view.services.find((s) => s.service === n)!;
    expect(svc('cinder').hosts).toEqual(['ctl-1']);
    expect(svc('heat').hosts).toEqual(['ctl-1']);
    expect(svc('neutron').hosts).toEqual(['cmp-02', 'net-1']);
    expect(svc('glance').hosts).toEqual(['10.0.0.99']);
    // notifications.info has no host; ceilometer holds no connection here
    expect(svc('ceilometer')).toMatchObject({ queues: 1, messages: 1200, consumers: 0, connections: 0, hosts: [] });
  });

  it('hostQueues lists every per-host RPC queue, consumed or not, but not heat per-process queues', () => {
    expect(view.hostQueues.map((h) => `${h.vhost}|${h.queue}|${h.topic}|${h.host}|${h.consumers}`)).toEqual([
      '/|cinder-volume.ctl-1@lvm|cinder-volume|ctl-1@lvm|1',
      '/|engine.ctl-1|engine|ctl-1|1',
      '/|dhcp_agent.net-1|dhcp_agent|net-1|1',
      '/|q-agent-notifier-port-update.cmp-02|q-agent-notifier-port-update|cmp-02|1',
      '/|compute.cmp-01|compute|cmp-01|0',
      '/|compute.cmp-02|compute|cmp-02|0',
      '/cell1|compute.cmp-03|compute|cmp-03|1',
      '/|conductor.ctl-1|conductor|ctl-1|1',
    ]);
    const cmp2 = view.hostQueues.find((h) => h.queue === 'compute.cmp-02')!;
    expect(cmp2).toMatchObject({ service: 'nova', messages: 40, ready: 40, idleSince: 2000 });
  });

  it('counts connections per service and host, skipping non-OpenStack ones', () => {
    expect(view.connections).toEqual([
      { service: 'cinder', host: 'ctl-1', count: 1 },
      { service: 'glance', host: '10.0.0.99', count: 1 },
      { service: 'heat', host: 'ctl-1', count: 1 },
      { service: 'neutron', host: 'cmp-02', count: 1 },
      { service: 'neutron', host: 'net-1', count: 1 },
      { service: 'nova', host: 'cmp-01', count: 1 },
      { service: 'nova', host: 'ctl-1', count: 1 },
    ]);
  });

  it('orphans: unconsumed reply/fanout/per-process queues; stream fanouts excluded; expiry from args or policy', () => {
    // reply: reply_HEX2 (no expiry) + reply_ctl-1 (policy expires); fanout: compute_fanout_HEX2;
    // perProcess: the old heat listener (no expiry)
    expect(view.orphans).toEqual({ reply: 2, fanout: 1, perProcess: 1, withoutExpiry: 2 });
  });

  it('byKind groups every queue, unknown ones under service ""', () => {
    const get = (service: string, kind: string) => view.byKind.find((b) => b.service === service && b.kind === kind);
    expect(get('nova', 'rpc_host')).toEqual({ service: 'nova', kind: 'rpc_host', queues: 4, messages: 45, consumers: 2 });
    expect(get('nova', 'fanout')).toEqual({ service: 'nova', kind: 'fanout', queues: 3, messages: 10, consumers: 1 });
    expect(get('', 'other')).toEqual({ service: '', kind: 'other', queues: 2, messages: 7, consumers: 1 });
    expect(get('', 'reply')).toEqual({ service: '', kind: 'reply', queues: 2, messages: 0, consumers: 1 });
    expect(get('nova', 'reply')).toEqual({ service: 'nova', kind: 'reply', queues: 1, messages: 0, consumers: 0 });
    expect(get('heat', 'rpc_host')?.queues).toBe(3);
    const total = view.byKind.reduce((n, b) => n + b.queues, 0);
    expect(total).toBe(snap.queues.length);
  });

  it('an empty snapshot gives an empty view', () => {
    expect(openstackView(snapshot([], []))).toEqual({
      services: [],
      hostQueues: [],
      connections: [],
      orphans: { reply: 0, fanout: 0, perProcess: 0, withoutExpiry: 0 },
      byKind: [],
    });
  });
});

describe('consumersByQueue', () => {
  it('joins each consumer to its connection and role', () => {
    const { snap, c } = cloud();
    const m = consumersByQueue(snap);
    const cond = m.get(queueKey({ vhost: '/', name: 'conductor' }))!;
    expect(cond).toHaveLength(1);
    expect(cond[0]!.connection).toBe(c.cond);
    expect(cond[0]!.connection!.role).toMatchObject({ binary: 'nova-conductor', host: 'ctl-1' });
    expect(m.get(queueKey({ vhost: '/', name: 'compute' }))![0]!.connection).toBeUndefined();
    expect(m.has(queueKey({ vhost: '/', name: 'compute.cmp-02' }))).toBe(false);
  });
});

describe('diagnoseHostQueue: why a per-host RPC queue has no consumer', () => {
  const { snap, c } = cloud();
  const view = openstackView(snap);
  const hq = (name: string) => view.hostQueues.find((h) => h.queue === name)!;

  it('process gone: the host is visible but nova-compute holds no connection from it', () => {
    const d = diagnoseHostQueue(snap, hq('compute.cmp-02'));
    expect(d).toMatchObject({ verdict: 'process-gone', binary: 'nova-compute', host: 'cmp-02', hostConnections: 1 });
    expect(d.serviceConnections).toEqual([]);
  });

  it('lost subscription: nova-compute on that host is connected but consumes nothing', () => {
    const d = diagnoseHostQueue(snap, hq('compute.cmp-01'));
    expect(d.verdict).toBe('lost-subscription');
    expect(d.serviceConnections).toEqual([c.cmp1]);
  });

  it('matches by binary, not service: nova-conductor on the host does not count for compute', () => {
    const cmpOnCtl = queue('compute.ctl-1', { consumers: 0 });
    const s = snapshot([cmpOnCtl], snap.connections);
    const d = diagnoseHostQueue(s, openstackView(s).hostQueues[0]!);
    expect(d.verdict).toBe('process-gone');
    expect(d.hostConnections).toBeGreaterThan(0);
  });

  it('cinder host@backend and short vs FQDN names match the mapped host', () => {
    const s = snapshot([queue('cinder-volume.ctl-1.example.org@lvm', { consumers: 0 })], [c.vol]);
    const d = diagnoseHostQueue(s, openstackView(s).hostQueues[0]!);
    expect(d).toMatchObject({ verdict: 'lost-subscription', binary: 'cinder-volume', host: 'ctl-1.example.org' });
  });

  it('consumed queues say so', () => {
    expect(diagnoseHostQueue(snap, hq('dhcp_agent.net-1')).verdict).toBe('consumed');
  });

  it('a host with no connection at all: process-gone when peers are mapped, unattributed when not', () => {
    const mapped = snapshot([queue('compute.cmp-09', { consumers: 0 })], [c.cond]);
    expect(diagnoseHostQueue(mapped, openstackView(mapped).hostQueues[0]!)).toMatchObject({
      verdict: 'process-gone',
      hostConnections: 0,
    });
    const unmappedConn = conn(`nova-compute:9:${U(50)}`, '192.168.1.9');
    const unmapped = snapshot([queue('compute.cmp-09', { consumers: 0 })], [c.cond, unmappedConn]);
    expect(diagnoseHostQueue(unmapped, openstackView(unmapped).hostQueues[0]!).verdict).toBe('unattributed');
  });

  it('families without a single binary match by service', () => {
    const s = snapshot([queue('q-agent-notifier-port-update.cmp-02', { consumers: 0 })], [c.ovs2]);
    const d = diagnoseHostQueue(s, openstackView(s).hostQueues[0]!);
    expect(d).toMatchObject({ verdict: 'lost-subscription', binary: '' });
  });
});

describe('host helpers', () => {
  it('hostOfServer strips cinder backend and pool', () => {
    expect(hostOfServer('ctl-1@lvm')).toBe('ctl-1');
    expect(hostOfServer('ctl-1@lvm#pool0')).toBe('ctl-1');
    expect(hostOfServer('cmp-01.example.com')).toBe('cmp-01.example.com');
  });
  it('sameHost', () => {
    expect(sameHost('cmp-02', 'CMP-02')).toBe(true);
    expect(sameHost('cmp-02', 'cmp-02.dc1.example.com')).toBe(true);
    expect(sameHost('cmp-02.dc1.example.com', 'cmp-02.dc2.example.com')).toBe(false);
    expect(sameHost('cmp-02', 'cmp-020')).toBe(false);
    expect(sameHost('10.0.0.1', '10')).toBe(false);
    expect(sameHost('10.0.0.1', '10.0.0.1')).toBe(true);
    expect(sameHost('', '')).toBe(false);
  });
});
