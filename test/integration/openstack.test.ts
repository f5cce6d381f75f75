// Against the OpenStack simulator on a real broker: attribution of
// queues and connections to services and hosts in /metrics and in the report; a
// healthy cloud reports nothing; each classic fault is named with its rule and subject.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/index.js';
import type { Agent } from '../../src/server/agent.js';
import { startSimulation, type Simulation } from '../../tools/sim/index.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { configFileFor, configFor, eventually, metric, scrape, startTestAgent } from '../support/agent.js';
import { runCli } from '../support/cli.js';
import { serviceAmqpUrl } from '../support/service-user.js';

let broker: Broker;
let sim: Simulation;
let agent: Agent;
let configFile: string;

beforeAll(async () => {
  // No guest user: a healthy deployment must raise nothing, and guest-user-enabled would.
  broker = await startBroker({ name: 'openstack', adminUser: { user: 'openstack', password: 'rabbit-pw-7f3a' }, extraConfig: ['collect_statistics_interval = 1000'] });
  sim = await startSimulation({ amqpUrl: await serviceAmqpUrl(broker), computes: 3, rpcRate: 3, notificationRate: 2 });
  const hosts = Object.fromEntries(Object.entries(sim.hostAddresses).map(([host, ip]) => [ip, host]));
  const cluster = {
    interval: '2s',
    inventoryInterval: '2s',
    // Small thresholds so a short test reaches them; the defaults are tested in the unit tests.
    rules: { thresholds: { 'openstack-rpc-backlog': { warning: 10, critical: 100000 }, 'openstack-notifications-unconsumed': { messages: 20 } } },
  };
  configFile = configFileFor(broker, cluster, { openstack: { hosts } });
  agent = await startTestAgent(configFor(broker, cluster, { openstack: { hosts } }));
});

afterAll(async () => {
  await agent?.stop();
  await sim?.stop().catch(() => undefined);
  await broker?.stop();
});

async function reportJson(sample = 4): Promise<{ code: number | null; report: Report }> {
  const r = await runCli(['report', '--config', configFile, '--format', 'json', '--sample', String(sample)]);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

describe('OpenStack attribution on a simulated cloud', () => {
  it('labels queues with service and kind, and counts connections per service and host', async () => {
    await eventually(async () => {
      await agent.waitForPolls(1);
      const { body } = await scrape(agent);
      expect(metric(body, 'rabbitmq_queue_consumers', { queue: 'compute.cmp-01', openstack_service: 'nova', openstack_kind: 'rpc_host' })).toBeGreaterThanOrEqual(1);
      expect(metric(body, 'rabbitmq_queue_consumers', { queue: 'conductor', openstack_service: 'nova', openstack_kind: 'rpc_topic' })).toBeGreaterThanOrEqual(1);
      expect(metric(body, 'rabbitmq_queue_consumers', { queue: 'cinder-volume.ctl-1@lvm', openstack_service: 'cinder', openstack_kind: 'rpc_host' })).toBeGreaterThanOrEqual(1);
      expect(metric(body, 'rabbitmq_queue_messages', { queue: 'notifications.info', openstack_kind: 'notification' })).toBeDefined();
      for (const host of ['cmp-01', 'cmp-02', 'cmp-03']) {
        expect(metric(body, 'rabbitmq_openstack_connections', { service: 'nova', host })).toBeGreaterThanOrEqual(1);
        expect(metric(body, 'rabbitmq_openstack_host_queue_consumers', { service: 'nova', topic: 'compute', host })).toBeGreaterThanOrEqual(1);
      }
      expect(metric(body, 'rabbitmq_openstack_connections', { service: 'neutron', host: 'net-1' })).toBeGreaterThanOrEqual(1);
      expect(metric(body, 'rabbitmq_openstack_hosts', { service: 'nova' })).toBeGreaterThanOrEqual(5);
      expect(metric(body, 'rabbitmq_openstack_orphan_queues', { kind: 'reply' })).toBe(0);
    }, 60_000, 1000);
    // Every reply queue the simulation made is a `reply` with a consumer; every fanout queue is `fanout`.
    const latest = agent.clusters[0]!.poller.status().latest!;
    const replies = latest.queues.filter((q) => q.name.startsWith('reply_'));
    expect(replies.length).toBeGreaterThan(0);
    for (const q of replies) expect(q.role.kind).toBe('reply');
    for (const q of latest.queues.filter((q) => /_fanout_[0-9a-f]{32}$/.test(q.name))) expect(q.role.kind).toBe('fanout');
    const nova = latest.connections.filter((c) => c.role.binary === 'nova-compute');
    expect(new Set(nova.map((c) => c.role.host))).toEqual(new Set(['cmp-01', 'cmp-02', 'cmp-03']));
  });

  it('reports a healthy cloud as healthy: exit 0, no warning or critical finding, services on their hosts', async () => {
    const { code, report } = await reportJson();
    const bad = report.clusters[0]!.findings.filter((f) => f.severity !== 'info');
    expect(bad).toEqual([]);
    expect(code).toBe(0);
    expect(report.status).toBe('ok');
    const services = new Map(report.clusters[0]!.openstack.services.map((s) => [s.service, s]));
    expect(services.get('nova')?.hosts).toEqual(expect.arrayContaining(['cmp-01', 'cmp-02', 'cmp-03', 'ctl-1']));
    expect(services.get('neutron')?.hosts).toEqual(expect.arrayContaining(['net-1']));
    expect(services.get('cinder')?.hosts).toEqual(expect.arrayContaining(['ctl-1']));
    expect(services.get('nova')!.consumers).toBeGreaterThan(0);
  });

  it('names each fault with the right rule, subject and severity', async () => {
    for (const f of ['compute-down:cmp-02', 'notifications-unconsumed', 'orphans', 'stuck-rpc-consumer']) await sim.setFault(f, true);
    try {
      // The faults have developed once warren's own view shows them: compute.cmp-02 without
      // its consumer, notifications at the lowered threshold (20), unacked deliveries on
      // conductor, every orphan listed. Then the one-shot report judges it. (Casts reach
      // cmp-02 only when the healthy conductor serves the builds, so its depth is not awaited.)
      await eventually(async () => {
        await agent.waitForPolls(1);
        const queues = new Map(agent.clusters[0]!.poller.status().latest!.queues.map((q) => [q.name, q]));
        expect(queues.get('compute.cmp-02')).toMatchObject({ consumers: 0 });
        expect(queues.get('notifications.info')!.messages).toBeGreaterThanOrEqual(20);
        expect(queues.get('conductor')!.unacked).toBeGreaterThan(0);
        const orphans = sim.orphanQueues();
        expect(orphans.length).toBeGreaterThan(0);
        expect(orphans.filter((name) => !queues.has(name))).toEqual([]);
      }, 90_000, 0);
      const { code, report } = await eventually(async () => {
        const r = await reportJson();
        const rules = r.report.clusters[0]!.findings.map((f) => f.rule);
        expect(rules).toEqual(expect.arrayContaining(['openstack-host-queue-unconsumed', 'openstack-notifications-unconsumed', 'openstack-orphan-queues', 'openstack-rpc-unacked']));
        return r;
      }, 60_000, 0);
      expect(code).toBe(2);
      expect(report.status).toBe('critical');
      const findings = report.clusters[0]!.findings;
      const find = (rule: string) => findings.filter((f) => f.rule === rule);
      expect(find('openstack-host-queue-unconsumed').map((f) => [f.subject.kind, f.subject.name, f.severity])).toEqual([['queue', 'compute.cmp-02', 'critical']]);
      expect(find('openstack-host-queue-unconsumed')[0]!.summary).toContain('cmp-02');
      expect(find('openstack-notifications-unconsumed').map((f) => [f.subject.kind, f.subject.name, f.severity])).toContainEqual(['queue', 'notifications.info', 'warning']);
      expect(find('openstack-rpc-unacked').map((f) => [f.subject.kind, f.subject.name])).toContainEqual(['queue', 'conductor']);
      expect(find('openstack-orphan-queues').every((f) => f.severity === 'warning')).toBe(true);
      // The faults are not reported twice under generic rules.
      expect(findings.filter((f) => f.rule === 'queue-no-consumer' && f.subject.name === 'compute.cmp-02')).toEqual([]);
      // Nothing else is wrong with the healthy computes.
      expect(findings.filter((f) => f.subject.name === 'compute.cmp-01' || f.subject.name === 'compute.cmp-03')).toEqual([]);
      const openstack = report.clusters[0]!.openstack;
      expect(openstack.hostQueues.unconsumed.map((h) => h.queue)).toEqual(['compute.cmp-02']);
      expect(openstack.services.find((s) => s.service === 'nova')?.hostsDown).toEqual(['cmp-02']);

      // The daemon sees the same: the finding exists and warren_alert_active follows once `for` has passed (2 min).
      await eventually(async () => {
        await agent.waitForPolls(1);
        const f = agent.clusters[0]!.findings.find((x) => x.rule === 'openstack-host-queue-unconsumed');
        expect(f?.subject).toEqual({ kind: 'queue', name: 'compute.cmp-02', vhost: '/' });
      }, 20_000);
    } finally {
      for (const f of sim.activeFaults()) await sim.setFault(f, false);
    }
    // Faults removed: the daemon's findings clear (nova-compute back on cmp-02, Ceilometer
    // consuming again, orphans deleted, the conductor acking).
    await eventually(async () => {
      await agent.waitForPolls(1);
      const left = agent.clusters[0]!.findings.filter((f) => f.severity !== 'info').map((f) => `${f.rule} ${f.subject.name}`);
      expect(left).toEqual([]);
    }, 90_000, 1000);
  });

  it('finds one service opening far more connections than its learned baseline, and clears it', async () => {
    // The daemon has learned per service and host since the start; nova-api on ctl-1 now opens 50 more.
    await sim.setFault('connection-flood', true);
    try {
      await eventually(async () => {
        await agent.waitForPolls(1);
        const f = agent.clusters[0]!.findings.filter((x) => x.rule === 'openstack-service-connections-high');
        expect(f.map((x) => [x.subject.kind, x.severity])).toEqual([['service', 'warning']]);
        expect(f[0]!.summary).toContain('ctl-1');
      }, 60_000, 1000);
    } finally {
      await sim.setFault('connection-flood', false);
    }
    await eventually(async () => {
      await agent.waitForPolls(1);
      expect(agent.clusters[0]!.findings.filter((x) => x.rule === 'openstack-service-connections-high')).toEqual([]);
    }, 60_000, 1000);
  });

  it('reports a backlog on a shared RPC topic queue when the conductors stop consuming', async () => {
    await sim.setFault('rpc-backlog', true);
    try {
      const { report } = await eventually(async () => {
        const r = await reportJson(3);
        expect(r.report.clusters[0]!.findings.map((f) => f.rule)).toContain('openstack-rpc-backlog');
        return r;
      }, 90_000, 2000);
      const f = report.clusters[0]!.findings.find((x) => x.rule === 'openstack-rpc-backlog')!;
      expect(f.subject).toMatchObject({ kind: 'queue', name: 'conductor' });
      expect(f.severity).toBe('warning');
    } finally {
      await sim.setFault('rpc-backlog', false);
    }
  });
});
