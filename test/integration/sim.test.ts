// The OpenStack traffic simulator against a real RabbitMQ: healthy topology as oslo
// declares it, connections attributable to hosts by peer address, and each fault's
// effect on the broker as the management API shows it.

import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../harness/broker.js';
import { waitFor } from '../harness/util.js';
import { attributeConnection, classifyQueue } from '../../src/openstack/classify.js';
import { diagnoseHostQueue } from '../../src/snapshot/index.js';
import { startSimulation, type Simulation } from '../../tools/sim/index.js';
import type { ConnectionInfo, Snapshot } from '../../src/snapshot/types.js';

interface ApiQueue {
  name: string;
  type: string;
  consumers: number;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  arguments: Record<string, unknown>;
}
interface ApiConnection {
  name: string;
  peer_host: string;
  channels: number;
  timeout: number;
  client_properties: { connection_name?: string; product?: string };
}
interface ApiConsumer {
  queue: { name: string };
  channel_details: { connection_name: string };
}
interface ApiBinding {
  source: string;
  destination: string;
  routing_key: string;
}

const HEX32 = /^[0-9a-f]{32}$/;
const OSLO_NAME = /^[a-z0-9-]+:\d+:[0-9a-f-]{36}$/;

let broker: Broker;
let sim: Simulation;
let peerToHost: Record<string, string>;

async function api<T>(path: string): Promise<T> {
  const res = await request(`${broker.mgmtUrl}${path}`, {
    headers: { authorization: 'Basic ' + Buffer.from(`${broker.user}:${broker.password}`).toString('base64') },
  });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`GET ${path}: HTTP ${res.statusCode}`);
  }
  return (await res.body.json()) as T;
}

const queues = () =>
  api<ApiQueue[]>('/api/queues/%2F?columns=name,type,consumers,messages,messages_ready,messages_unacknowledged,arguments');
const connections = () => api<ApiConnection[]>('/api/connections?columns=name,peer_host,channels,timeout,client_properties');
async function queue(name: string): Promise<ApiQueue | undefined> {
  return (await queues()).find((q) => q.name === name);
}

/** Connections as warren's Snapshot carries them (only the fields diagnoseHostQueue reads matter). */
async function snapshotConnections(): Promise<readonly ConnectionInfo[]> {
  return (await connections()).map((c) => {
    const clientName = c.client_properties.connection_name ?? '';
    return {
      name: c.name,
      vhost: '/',
      user: broker.user,
      node: '',
      state: 'running',
      channels: c.channels,
      channelMax: 2047,
      peerHost: c.peer_host,
      peerPort: 0,
      connectedAt: 0,
      timeout: 60,
      clientName,
      product: c.client_properties.product ?? '',
      role: attributeConnection(clientName, c.peer_host, peerToHost),
    };
  });
}

/** Wait until `probe` holds on the broker (queue and connection stats lag by up to ~5 s). */
function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  return waitFor(probe, { timeoutMs, intervalMs: 500, what });
}

beforeAll(async () => {
  broker = await startBroker({ name: 'sim', extraConfig: ['collect_statistics_interval = 1000'] });
  sim = await startSimulation({
    amqpUrl: broker.amqpUrl,
    computes: 3,
    rpcRate: 8,
    notificationRate: 4,
    reportIntervalMs: 2_000,
    callTimeoutMs: 10_000,
    orphanCount: 8,
    floodConnections: 12,
  });
  peerToHost = Object.fromEntries(Object.entries(sim.hostAddresses).map(([h, a]) => [a, h]));
});

afterAll(async () => {
  await sim?.stop();
  await sim?.cleanup();
  await broker?.stop();
});

describe('healthy simulation', () => {
  it('declares the oslo topology, every queue consumed, nothing piling up', async () => {
    const expected = [
      'conductor', 'conductor.ctl-1', 'conductor.ctl-2', 'scheduler', 'scheduler.ctl-1', 'scheduler.ctl-2',
      'compute', 'compute.cmp-01', 'compute.cmp-02', 'compute.cmp-03',
      'q-plugin', 'q-plugin.ctl-1', 'q-reports-plugin', 'q-reports-plugin.ctl-2',
      'dhcp_agent', 'dhcp_agent.net-1', 'l3_agent.net-1',
      'q-agent-notifier-port-update', 'q-agent-notifier-port-update.net-1', 'q-agent-notifier-port-update.cmp-03',
      'cinder-scheduler', 'cinder-scheduler.ctl-1', 'cinder-volume', 'cinder-volume.ctl-1@lvm',
      'engine', 'engine.ctl-1', 'engine.ctl-2', 'heat-engine-listener', 'engine_worker',
      'notifications.info',
    ];
    // A queue's stats (consumers among them) appear a stats interval after its declaration,
    // and a first report may predate its consumer: wait until every expected queue has been
    // reported consumed (the deadline turns a queue that never is into a failure below).
    const qs = await until('every oslo queue reported with its consumers', async () => {
      const all = await queues();
      const seen = new Map(all.map((q) => [q.name, q]));
      return expected.every((n) => (seen.get(n)?.consumers ?? 0) > 0) ? all : undefined;
    });
    const byName = new Map(qs.map((q) => [q.name, q]));
    for (const n of expected) {
      expect(byName.get(n), n).toBeDefined();
      expect(byName.get(n)!.consumers, `${n} consumers`).toBeGreaterThan(0);
    }
    // oslo's three queues per server: e.g. nova-compute on cmp-01
    const cmp1 = sim.processes().find((p) => p.id === 'nova-compute@cmp-01')!;
    expect(cmp1.queues[0]).toBe('compute');
    expect(cmp1.queues[1]).toBe('compute.cmp-01');
    expect(cmp1.queues[2]).toMatch(/^compute_fanout_[0-9a-f]{32}$/);
    expect(cmp1.replyQueue).toMatch(/^reply_[0-9a-f]{32}$/);

    // heat's per-process queues use the engine id as server
    const engines = qs.filter((q) => q.name.startsWith('heat-engine-listener.'));
    expect(engines).toHaveLength(2);

    // fanout and reply queues expire (x-expires 1800000); topic and notification queues do not
    const fanouts = qs.filter((q) => /_fanout_[0-9a-f]{32}$/.test(q.name));
    const replies = qs.filter((q) => /^reply_[0-9a-f]{32}$/.test(q.name));
    expect(fanouts.length).toBe(sim.processes().reduce((n, p) => n + p.queues.length / 3, 0));
    expect(replies.length).toBe(sim.processes().filter((p) => p.replyQueue !== '').length);
    for (const q of [...fanouts, ...replies]) expect(q.arguments['x-expires'], q.name).toBe(1_800_000);
    for (const n of ['conductor', 'compute.cmp-01', 'notifications.info']) expect(byName.get(n)!.arguments['x-expires']).toBeUndefined();

    // healthy: every queue has a consumer, nothing accumulates, nothing is held unacked
    for (const q of qs) {
      expect(q.consumers, `${q.name} consumers`).toBeGreaterThan(0);
      expect(q.messages ?? 0, `${q.name} messages`).toBeLessThan(10);
      expect(q.messages_unacknowledged ?? 0, `${q.name} unacked`).toBeLessThan(5);
    }
    const st = sim.stats();
    expect(st.calls).toBeGreaterThan(5);
    expect(st.replies).toBeGreaterThan(5);
    expect(st.callTimeouts).toBe(0);
    expect(st.notificationsConsumed).toBeGreaterThan(5);
    expect(st.errors).toBe(0);
  });

  it('binds queues like oslo: control exchanges per service, <topic>_fanout exchanges', async () => {
    const b = await api<ApiBinding[]>('/api/bindings/%2F');
    const has = (source: string, destination: string, rk: string) =>
      b.some((x) => x.source === source && x.destination === destination && x.routing_key === rk);
    expect(has('nova', 'compute.cmp-02', 'compute.cmp-02')).toBe(true);
    expect(has('nova', 'conductor', 'conductor')).toBe(true);
    expect(has('neutron', 'q-plugin', 'q-plugin')).toBe(true);
    expect(has('openstack', 'cinder-volume.ctl-1@lvm', 'cinder-volume.ctl-1@lvm')).toBe(true);
    expect(has('heat', 'engine.ctl-1', 'engine.ctl-1')).toBe(true);
    for (const ex of ['nova', 'neutron', 'openstack', 'heat']) expect(has(ex, 'notifications.info', 'notifications.info'), ex).toBe(true);
    const cmp1 = sim.processes().find((p) => p.id === 'nova-compute@cmp-01')!;
    expect(has('compute_fanout', cmp1.queues[2]!, 'compute')).toBe(true);
    const exchanges = await api<Array<{ name: string; type: string; auto_delete: boolean }>>('/api/exchanges/%2F');
    expect(exchanges.find((e) => e.name === 'compute_fanout')).toMatchObject({ type: 'fanout', auto_delete: true });
    expect(exchanges.find((e) => e.name === 'nova')).toMatchObject({ type: 'topic', auto_delete: false });
  });

  it('classifyQueue recognises every simulated queue', async () => {
    const qs = await queues();
    for (const q of qs) {
      const role = classifyQueue(q.name, q.type);
      expect(role.kind, q.name).not.toBe('other');
      if (role.kind !== 'reply') expect(role.service, q.name).not.toBe('');
    }
    expect(classifyQueue('cinder-volume.ctl-1@lvm', 'classic')).toEqual({
      service: 'cinder', kind: 'rpc_host', topic: 'cinder-volume', host: 'ctl-1@lvm',
    });
  });

  it('connections carry oslo connection_name and come from one address per host', async () => {
    // the management API lists a new connection (and its channel) within a stats interval
    const conns = await until('every sim connection listed with its channel', async () => {
      const cs = await connections();
      const expected = sim.processes().reduce((n, p) => n + p.connectionNames.length, 0);
      return cs.length === expected && cs.every((c) => c.channels === 1) && cs;
    });
    const addressesByHost = new Map<string, Set<string>>();
    for (const c of conns) {
      expect(c.client_properties.connection_name, c.name).toMatch(OSLO_NAME);
      expect(c.client_properties.product).toBe('py-amqp');
      expect(c.timeout).toBe(60); // oslo's heartbeat
      expect(c.channels, JSON.stringify(c)).toBe(1);
      const role = attributeConnection(c.client_properties.connection_name!, c.peer_host, peerToHost);
      const proc = sim.processes().find((p) => p.connectionNames.includes(c.client_properties.connection_name!));
      expect(proc, c.client_properties.connection_name).toBeDefined();
      expect(role).toEqual({ service: proc!.service, binary: proc!.binary, pid: String(proc!.pid), host: proc!.host });
      expect(role.service).not.toBe('');
      const set = addressesByHost.get(role.host) ?? new Set();
      set.add(c.peer_host);
      addressesByHost.set(role.host, set);
    }
    expect([...addressesByHost.keys()].sort()).toEqual(['cmp-01', 'cmp-02', 'cmp-03', 'ctl-1', 'ctl-2', 'net-1']);
    for (const [host, addrs] of addressesByHost) expect([...addrs], host).toEqual([sim.hostAddresses[host]]);
    expect(new Set(Object.values(sim.hostAddresses)).size).toBe(6);
  });

  it('consumers join to connections: compute.cmp-01 is consumed by nova-compute on cmp-01', async () => {
    const consumers = await api<ApiConsumer[]>('/api/consumers/%2F');
    const conns = await connections();
    const c = consumers.find((x) => x.queue.name === 'compute.cmp-01')!;
    const conn = conns.find((x) => x.name === c.channel_details.connection_name)!;
    expect(attributeConnection(conn.client_properties.connection_name!, conn.peer_host, peerToHost)).toMatchObject({
      binary: 'nova-compute',
      host: 'cmp-01',
    });
  });
});

describe('faults', () => {
  it('compute-down: compute.<host> loses its consumer and casts pile up; process gone', async () => {
    await sim.setFault('compute-down:cmp-02', true);
    const first = await until('compute.cmp-02 unconsumed with messages', async () => {
      const q = await queue('compute.cmp-02');
      return q && q.consumers === 0 && (q.messages ?? 0) > 0 && q;
    });
    await until('compute.cmp-02 growing', async () => ((await queue('compute.cmp-02'))?.messages ?? 0) > (first.messages ?? 0));
    const conns = await snapshotConnections();
    expect(conns.some((c) => c.role.binary === 'nova-compute' && c.role.host === 'cmp-02')).toBe(false);
    expect(conns.some((c) => c.role.host === 'cmp-02')).toBe(true); // the ovs agent is still there
    const hq = { service: 'nova', topic: 'compute', host: 'cmp-02', queue: 'compute.cmp-02', vhost: '/', consumers: 0, messages: 1, ready: 1, idleSince: null };
    expect(diagnoseHostQueue({ connections: conns } as Snapshot, hq).verdict).toBe('process-gone');

    await sim.setFault('compute-down:cmp-02', false);
    // the new process consumes again and the stale backlog is replayed
    await until('compute.cmp-02 drained', async () => {
      const q = await queue('compute.cmp-02');
      return q && q.consumers === 1 && (q.messages ?? 0) === 0;
    });
    expect(sim.processes().find((p) => p.id === 'nova-compute@cmp-02')?.state).toBe('running');
  });

  it('compute-unsubscribed: connected but not consuming (lost subscription)', async () => {
    await sim.setFault('compute-unsubscribed:cmp-01', true);
    await until('compute.cmp-01 unconsumed', async () => (await queue('compute.cmp-01'))?.consumers === 0);
    const conns = await snapshotConnections();
    expect(conns.some((c) => c.role.binary === 'nova-compute' && c.role.host === 'cmp-01')).toBe(true);
    const hq = { service: 'nova', topic: 'compute', host: 'cmp-01', queue: 'compute.cmp-01', vhost: '/', consumers: 0, messages: 0, ready: 0, idleSince: null };
    expect(diagnoseHostQueue({ connections: conns } as Snapshot, hq).verdict).toBe('lost-subscription');
    await sim.setFault('compute-unsubscribed:cmp-01', false);
    await until('compute.cmp-01 consumed', async () => (await queue('compute.cmp-01'))?.consumers === 1);
  });

  it('notifications-unconsumed: notifications.info grows with no consumer', async () => {
    await sim.setFault('notifications-unconsumed', true);
    const first = await until('notifications.info unconsumed', async () => {
      const q = await queue('notifications.info');
      return q && q.consumers === 0 && (q.messages ?? 0) > 0 && q;
    });
    await until('notifications.info growing', async () => ((await queue('notifications.info'))?.messages ?? 0) > (first.messages ?? 0) + 3);
    await sim.setFault('notifications-unconsumed', false);
    await until('notifications.info drained', async () => {
      const q = await queue('notifications.info');
      return q && q.consumers === 1 && (q.messages ?? 0) === 0;
    });
  });

  it('orphans: reply/fanout/heat queues without consumer, some without expiry', async () => {
    await sim.setFault('orphans', true);
    const names = sim.orphanQueues();
    expect(names).toHaveLength(8);
    const orphans = await until('orphans listed with stats', async () => {
      const os = (await queues()).filter((q) => names.includes(q.name));
      return os.length === 8 && os.every((q) => q.consumers !== undefined) && os;
    });
    for (const q of orphans) expect(q.consumers).toBe(0);
    const kinds = orphans.map((q) => classifyQueue(q.name, q.type));
    expect(kinds.filter((k) => k.kind === 'reply').length).toBeGreaterThan(0);
    expect(kinds.filter((k) => k.kind === 'fanout').length).toBeGreaterThan(0);
    expect(kinds.filter((k) => k.kind === 'rpc_host' && k.service === 'heat')).toHaveLength(2);
    const noExpiry = orphans.filter((q) => q.arguments['x-expires'] === undefined);
    expect(noExpiry.length).toBeGreaterThanOrEqual(3); // the heat pair + every third
    expect(noExpiry.length).toBeLessThan(8);
    // orphaned fanouts take a copy of every broadcast
    const fanout = orphans.find((q) => q.name.includes('_fanout_'))!;
    await until('orphan fanout accumulating', async () => ((await queue(fanout.name))?.messages ?? 0) > 0);
    await sim.setFault('orphans', false);
    const after = new Set((await queues()).map((q) => q.name));
    for (const n of names) expect(after.has(n), n).toBe(false);
  });

  it('stuck-rpc-consumer: unacked builds on conductor', async () => {
    await sim.setFault('stuck-rpc-consumer', true);
    const first = await until('conductor unacked', async () => {
      const q = await queue('conductor');
      return q && (q.messages_unacknowledged ?? 0) > 0 && q;
    });
    await until('conductor unacked growing', async () =>
      ((await queue('conductor'))?.messages_unacknowledged ?? 0) > (first.messages_unacknowledged ?? 0),
    );
    expect((await queue('conductor'))!.consumers).toBe(2);
    await sim.setFault('stuck-rpc-consumer', false);
    await until('conductor unacked cleared', async () => ((await queue('conductor'))?.messages_unacknowledged ?? 1) === 0);
  });

  it('rpc-backlog: conductor loses its consumers and ready messages grow', async () => {
    await sim.setFault('rpc-backlog', true);
    const first = await until('conductor backlog', async () => {
      const q = await queue('conductor');
      return q && q.consumers === 0 && (q.messages_ready ?? 0) > 0 && q;
    });
    await until('conductor backlog growing', async () => ((await queue('conductor'))?.messages_ready ?? 0) > (first.messages_ready ?? 0));
    // the per-host and fanout queues of the conductors are still consumed
    expect((await queue('conductor.ctl-1'))!.consumers).toBe(1);
    await sim.setFault('rpc-backlog', false);
    await until('conductor drained', async () => {
      const q = await queue('conductor');
      return q && q.consumers === 2 && (q.messages_ready ?? 0) === 0;
    });
  });

  it('connection-flood: nova-api on ctl-1 opens many connections', async () => {
    const count = async () =>
      (await snapshotConnections()).filter((c) => c.role.binary === 'nova-api' && c.role.host === 'ctl-1').length;
    const before = await count();
    await sim.setFault('connection-flood', true);
    await until('flood visible', async () => (await count()) === before + 12);
    await sim.setFault('connection-flood', false);
    await until('flood gone', async () => (await count()) === before);
  });

  it('rejects unknown faults and unknown hosts', async () => {
    await expect(sim.setFault('meteor-strike', true)).rejects.toThrow(/unknown fault/);
    await expect(sim.setFault('compute-down:cmp-99', true)).rejects.toThrow(/no compute host/);
  });
});

describe('stop and cleanup', () => {
  it('stop closes every connection and deletes reply/fanout queues; cleanup deletes the rest', async () => {
    await sim.stop();
    await until('no connections', async () => (await connections()).length === 0);
    const left = await queues();
    // crashed compute's per-process queues remain (as after a real crash); clean ones are gone
    const perProcess = left.filter((q) => /^reply_/.test(q.name) || /_fanout_[0-9a-f]{32}$/.test(q.name));
    expect(perProcess.map((q) => q.name)).toHaveLength(2);
    expect(left.some((q) => q.name === 'compute.cmp-01')).toBe(true);
    await sim.cleanup();
    expect(await queues()).toEqual([]);
    const ex = await api<Array<{ name: string }>>('/api/exchanges/%2F');
    expect(ex.map((e) => e.name).filter((n) => n !== '' && !n.startsWith('amq.'))).toEqual([]);
  });
});
