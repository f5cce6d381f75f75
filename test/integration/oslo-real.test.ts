// warren against real oslo.messaging (Debian python3-oslo.messaging, test/oslo fixtures
// started by test/harness/oslo.ts), not its own simulator: a small cloud of nova, neutron,
// cinder and heat RPC servers, a client calling conductor, a notifier and a listener, each
// its own process connecting from its host's loopback address. What already works:
// the classification of every queue oslo declared and of every connection, and a healthy
// report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributeConnection, classifyQueue } from '../../src/openstack/classify.js';
import type { Report } from '../../src/report/index.js';
import type { QueueRole } from '../../src/snapshot/types.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { CLOUD_HOSTS, connectionsOf, consumes, listConnections, startCloud, type Cloud } from '../harness/oslo.js';
import { getJson, waitFor } from '../harness/util.js';
import { configFileFor } from '../support/agent.js';
import { runCli } from '../support/cli.js';
import { serviceAmqpUrl } from '../support/service-user.js';

let broker: Broker;
/** The broker as the services see it: their own user, without tags (warren watches as the administrator). */
let services: Broker;
let cloud: Cloud;

const HOST_OF_ADDRESS: Record<string, string> = Object.fromEntries(Object.entries(CLOUD_HOSTS).map(([host, ip]) => [ip, host]));

beforeAll(async () => {
  // No guest user: a healthy deployment must raise nothing, and guest-user-enabled would.
  broker = await startBroker({
    name: 'oslo-real',
    adminUser: { user: 'openstack', password: 'oslo-pw-51d2' },
    extraConfig: ['collect_statistics_interval = 1000'],
  });
  services = { ...broker, amqpUrl: await serviceAmqpUrl(broker) };
  cloud = await startCloud(services);
});

afterAll(async () => {
  await cloud?.stop();
  await broker?.stop();
});

interface ApiQueue {
  name: string;
  type?: string;
  consumers?: number;
}

async function brokerQueues(): Promise<ApiQueue[]> {
  return getJson<ApiQueue[]>(`${broker.mgmtUrl}/api/queues`, { auth: { user: broker.user, password: broker.password } });
}

const role = (service: string, kind: QueueRole['kind'], topic: string, host: string): QueueRole => ({ service, kind, topic, host });
const HEX32 = '[0-9a-f]{32}';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What each queue of the cloud is, from what each process serves (service = its control exchange). */
function expectedRoles(): Array<{ name: RegExp; role: QueueRole; count: number }> {
  const out = new Map<string, { name: RegExp; role: QueueRole; count: number }>();
  const add = (name: RegExp, r: QueueRole) => {
    const key = name.source;
    const e = out.get(key);
    if (e) e.count++;
    else out.set(key, { name, role: r, count: 1 });
  };
  for (const p of Object.values(cloud.processes)) {
    if (p.kind !== 'server') continue;
    for (const t of p.targets) {
      // oslo's three queues per target (impl_rabbit.py declare_topic_consumer twice, declare_fanout_consumer).
      if (!out.has(`^${escape(t.topic)}$`)) add(new RegExp(`^${escape(t.topic)}$`), role(p.exchange, 'rpc_topic', t.topic, ''));
      add(new RegExp(`^${escape(`${t.topic}.${t.server}`)}$`), role(p.exchange, 'rpc_host', t.topic, t.server));
      add(new RegExp(`^${escape(t.topic)}_fanout_${HEX32}$`), role(p.exchange, 'fanout', t.topic, ''));
    }
  }
  // The listener's queue (Ceilometer's intake) and the client's reply queue.
  add(/^notifications\.info$/, role('ceilometer', 'notification', 'notifications', ''));
  add(new RegExp(`^reply_${HEX32}$`), role('', 'reply', '', ''));
  return [...out.values()];
}

describe('warren on a real oslo.messaging cloud', () => {
  it('classifies every queue oslo declared: service, kind, topic and host', async () => {
    const queues = await brokerQueues();
    const expected = expectedRoles();
    const unexpected: string[] = [];
    const matched = new Map<RegExp, number>();
    for (const q of queues) {
      const e = expected.find((x) => x.name.test(q.name));
      if (!e) {
        unexpected.push(q.name);
        continue;
      }
      matched.set(e.name, (matched.get(e.name) ?? 0) + 1);
      expect({ queue: q.name, role: classifyQueue(q.name, q.type ?? 'classic') }).toEqual({ queue: q.name, role: e.role });
    }
    expect(unexpected).toEqual([]);
    for (const e of expected) expect({ queue: e.name.source, count: matched.get(e.name) ?? 0 }).toEqual({ queue: e.name.source, count: e.count });
    // The list, for the record: 11 shared topics, 12 per-server queues, 12 fanouts, notifications.info, one reply queue.
    const names = queues.map((q) => q.name).sort();
    expect(names.filter((n) => !/_fanout_|^reply_/.test(n))).toEqual([
      'cinder-volume',
      'cinder-volume.ctl-1@lvm',
      'compute',
      'compute.cmp-a',
      'compute.cmp-b',
      'conductor',
      'conductor.ctl-1',
      'dhcp_agent',
      'dhcp_agent.net-1',
      'engine',
      'engine.ctl-1',
      'engine_worker',
      `engine_worker.${cloud.heatEngineId}`,
      'heat-engine-listener',
      `heat-engine-listener.${cloud.heatEngineId}`,
      'l3_agent',
      'l3_agent.net-1',
      'notifications.info',
      'q-plugin',
      'q-plugin.ctl-1',
      'q-reports-plugin',
      'q-reports-plugin.ctl-1',
      'scheduler',
      'scheduler.ctl-1',
    ]);
    expect(names.filter((n) => n.includes('_fanout_'))).toHaveLength(12);
    expect(names.filter((n) => n.startsWith('reply_'))).toHaveLength(1);
  });

  it('attributes every oslo connection to its binary, pid, service and (with a hosts map) host', async () => {
    const conns = await listConnections(broker);
    const processes = Object.values(cloud.processes);
    const seen = new Set<number>();
    for (const c of conns) {
      const name = c.client_properties?.connection_name ?? '';
      const p = processes.find((x) => name.startsWith(x.connectionPrefix));
      expect(p, `connection ${name} from ${c.peer_host} belongs to no fixture`).toBeDefined();
      seen.add(p!.pid);
      const expectedService = p!.kind === 'listener' ? 'ceilometer' : p!.exchange;
      expect(attributeConnection(name, c.peer_host ?? '', HOST_OF_ADDRESS)).toEqual({
        service: expectedService,
        binary: p!.binary,
        pid: String(p!.pid),
        host: HOST_OF_ADDRESS[p!.sourceIp!],
      });
      // The fixture's source address is what the broker sees.
      expect(c.peer_host).toBe(p!.sourceIp);
    }
    expect(seen.size).toBe(processes.length);
  });

  // Found by this test (issue 13 item 2): a one-shot report could catch a conductor request
  // between its delivery and oslo's acknowledgement on receipt. openstack-rpc-unacked now
  // needs a whole minute without an acknowledgement, so the list is empty and the strict
  // form below runs.
  const KNOWN_FALSE_POSITIVES: Array<{ rule: string; queue: string }> = [];

  async function healthyReport(): Promise<{ code: number | null; report: Report }> {
    const config = configFileFor(broker, { interval: '2s' });
    const r = await runCli(['report', '--config', config, '--format', 'json', '--sample', '4']);
    return { code: r.code, report: JSON.parse(r.stdout) as Report };
  }

  it('reports the healthy cloud as healthy: no warning or critical finding but the known false positive', async () => {
    const { report } = await healthyReport();
    const bad = report.clusters[0]!.findings.filter(
      (f) => f.severity !== 'info' && !KNOWN_FALSE_POSITIVES.some((k) => k.rule === f.rule && k.queue === f.subject.name),
    );
    expect(bad).toEqual([]);
    const openstack = report.clusters[0]!.openstack;
    expect(openstack.hostQueues.withoutConsumers).toBe(0);
    expect(openstack.hostQueues.total).toBe(10); // every per-host queue but heat's two per-engine ones
    expect(openstack.orphans).toEqual({ reply: 0, fanout: 0, perProcess: 0, withoutExpiry: 0 });
  });

  it('reports the healthy cloud as healthy: exit 0 and no warning or critical finding at all', async () => {
    const { code, report } = await healthyReport();
    expect(report.clusters[0]!.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(code).toBe(0);
  });

  it('with the hosts map, the report puts each service on its hosts', async () => {
    const config = configFileFor(broker, { interval: '2s' }, { openstack: { hosts: HOST_OF_ADDRESS } });
    const r = await runCli(['report', '--config', config, '--format', 'json', '--sample', '2']);
    const report = JSON.parse(r.stdout) as Report;
    const services = new Map(report.clusters[0]!.openstack.services.map((s) => [s.service, s.hosts]));
    expect(services.get('nova')).toEqual(['cmp-a', 'cmp-b', 'ctl-1']);
    expect(services.get('neutron')).toEqual(['ctl-1', 'net-1']);
    expect(services.get('cinder')).toEqual(['ctl-1']);
    expect(services.get('heat')).toEqual(['ctl-1']);
    expect(services.get('ceilometer')).toEqual(['ctl-1']);
  });

  it('without a hosts map, learns each address from the per-host queue its process consumes and puts every connection on its host', async () => {
    const config = configFileFor(broker, { interval: '2s' });
    const r = await runCli(['report', '--config', config, '--format', 'json', '--sample', '2']);
    const os = (JSON.parse(r.stdout) as Report).clusters[0]!.openstack;
    expect(os.hostMap.configured).toEqual([]);
    expect(os.hostMap.learned).toEqual(
      Object.entries(CLOUD_HOSTS)
        .map(([host, address]) => ({ address, host }))
        .sort((x, y) => (x.host < y.host ? -1 : 1)),
    );
    const services = new Map(os.services.map((s) => [s.service, s.hosts]));
    expect(services.get('nova')).toEqual(['cmp-a', 'cmp-b', 'ctl-1']);
    expect(services.get('neutron')).toEqual(['ctl-1', 'net-1']);
    expect(services.get('ceilometer')).toEqual(['ctl-1']);
  });

  // Last: it takes a compute away.
  it('kill -9 of a compute server: the broker drops its connections and consumer, the report shows cmp-b down', async () => {
    const victim = cloud.processes['compute-cmp-b']!;
    const survivor = cloud.processes['compute-cmp-a']!;
    expect(await consumes(broker, victim, 'compute.cmp-b')).toBe(true);
    await victim.kill9();
    await waitFor(async () => (await connectionsOf(broker, victim)).length === 0, {
      timeoutMs: 60_000,
      what: "the broker to drop the killed compute's connections",
    });
    // The queue's consumer count is a statistic, emitted a stats interval after the connection went.
    await waitFor(
      async () =>
        (await getJson<{ consumers?: number }>(`${broker.mgmtUrl}/api/queues/%2F/compute.cmp-b?columns=consumers`, { auth: { user: broker.user, password: broker.password } }))
          .consumers === 0,
      { timeoutMs: 60_000, what: 'compute.cmp-b reported without a consumer' },
    );
    expect(await consumes(broker, survivor, 'compute.cmp-a')).toBe(true);
    const config = configFileFor(broker, { interval: '2s' }, { openstack: { hosts: HOST_OF_ADDRESS } });
    const r = await runCli(['report', '--config', config, '--format', 'json', '--sample', '2']);
    const openstack = (JSON.parse(r.stdout) as Report).clusters[0]!.openstack;
    expect(openstack.hostQueues.unconsumed.map((h) => h.queue)).toEqual(['compute.cmp-b']);
    expect(openstack.services.find((x) => x.service === 'nova')?.hostsDown).toEqual(['cmp-b']);

    // And without a hosts map: the other hosts' addresses are learned, so the verdict is sure.
    const unmapped = await runCli(['report', '--config', configFileFor(broker, { interval: '2s' }), '--format', 'json', '--sample', '2']);
    const f = (JSON.parse(unmapped.stdout) as Report).clusters[0]!.findings.find((x) => x.rule === 'openstack-host-queue-unconsumed' && x.subject.name === 'compute.cmp-b');
    expect(f?.severity).toBe('critical');
    expect(f?.evidence.verdict).toBe('process-gone');
    expect(f?.summary).toContain('nova-compute on cmp-b is down');
  });
});
