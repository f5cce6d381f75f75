// Issue 4, configuration faults and the healthy baseline. The broker is created with its
// own administrator, so the default `guest` user is absent until a test adds it: a
// healthy deployment must raise no warning or critical finding with default thresholds,
// while the guest user and an `ha-mode` policy are reported (both fire at once: no `for`)
// and go away when removed. Users and policies are inventory, re-read every
// inventoryInterval (2 s here).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/rules/types.js';
import type { Agent } from '../../src/server/agent.js';
import { startSimulation, type Simulation } from '../../src/sim/index.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { configFor, startTestAgent } from '../support/agent.js';
import { runCli } from '../support/cli.js';
import { addVhost, clusterNameOf, expectFinding, expectFiring, expectNoFinding, sleep, withFault } from '../support/faults.js';

let broker: Broker;
let cluster: string;
const agents: Agent[] = [];

beforeAll(async () => {
  broker = await startBroker({
    name: 'faults-config',
    adminUser: { user: 'warren-admin', password: randomBytes(12).toString('hex') },
    extraConfig: ['collect_statistics_interval = 1000'],
  });
  cluster = await clusterNameOf(broker);
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  await broker?.stop();
});

async function agentFor(cluster: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Promise<Agent> {
  const a = await startTestAgent(configFor(broker, { interval: '1s', inventoryInterval: '2s', ...cluster }, top));
  agents.push(a);
  return a;
}

const serious = (findings: readonly Finding[]) => findings.filter((f) => f.severity === 'warning' || f.severity === 'critical');

describe('healthy deployment', () => {
  let sim: Simulation | undefined;

  afterAll(async () => {
    await sim?.stop();
    await sim?.cleanup();
  });

  it('an OpenStack cloud with every service consuming raises no warning or critical finding, in the daemon or in a one-shot report', async () => {
    const users = (await broker.ctl('list_users', '--quiet')).split('\n').map((l) => l.split('\t')[0]);
    expect(users).not.toContain('guest');
    sim = await startSimulation({ amqpUrl: broker.amqpUrl, computes: 2, rpcRate: 4, notificationRate: 2, reportIntervalMs: 2_000, callTimeoutMs: 10_000 });
    const hosts = Object.fromEntries(Object.entries(sim.hostAddresses).map(([host, address]) => [address, host]));
    // Default thresholds, none loosened; the learned baselines start judging after 5 polls
    // instead of 20 (10 for services), which only makes this check stricter.
    const agent = await agentFor(
      { rules: { thresholds: { 'connection-count-high': { minSamples: 5 }, 'openstack-service-connections-high': { minSamples: 5 } } } },
      { openstack: { hosts } },
    );

    // Every poll for 15 s (several inventory refreshes), with traffic flowing.
    const seen: Finding[] = [];
    const before = sim.stats();
    const until = Date.now() + Number(process.env.HEALTHY_MS ?? 15_000);
    let polls = 0;
    while (Date.now() < until) {
      await agent.waitForPolls(1);
      polls++;
      seen.push(...serious(agent.clusters[0]!.findings));
      if (process.env.FAULT_TIMING) console.log('POLL', serious(agent.clusters[0]!.findings).map((f) => f.rule + ' ' + f.subject.name + ' ' + JSON.stringify(f.evidence)).join(' | '));
    }
    expect(polls).toBeGreaterThanOrEqual(8);
    expect(seen.map((f) => `${f.rule} ${JSON.stringify(f.subject)}: ${f.summary}`)).toEqual([]);
    expect(agent.alerts().filter((a) => a.severity !== 'info')).toEqual([]);
    // It was a working cloud, not an idle broker.
    const after = sim.stats();
    expect(after.replies - before.replies).toBeGreaterThan(10);
    expect(after.rpcReceived - before.rpcReceived).toBeGreaterThan(10);
    expect(after.notificationsConsumed - before.notificationsConsumed).toBeGreaterThan(5);
    expect(after.callTimeouts + after.errors).toBe(0);
    const snapshot = agent.clusters[0]!.poller.status().latest!;
    expect(snapshot.queues.filter((q) => q.role.kind === 'rpc_host').length).toBeGreaterThan(0);
    expect(snapshot.queues.filter((q) => q.consumers === 0 && q.messages > 0)).toEqual([]);

    // The one-shot report judges the same broker: exit 0, status ok.
    const res = await runCli(
      ['report', '--format', 'json', '--sample', '2', '--url', broker.mgmtUrl, '--prometheus-url', broker.promUrl, '--user', broker.user],
      { WARREN_PASSWORD: broker.password },
    );
    expect(res.stderr).not.toContain(broker.password);
    const report = JSON.parse(res.stdout) as { status: string; clusters: Array<{ status: string; findings: Finding[]; openstack: { services: Array<{ service: string }> } }> };
    expect(serious(report.clusters[0]!.findings).map((f) => `${f.rule}: ${f.summary}`)).toEqual([]);
    expect(report.status).toBe('ok');
    expect(res.code).toBe(0);
    expect(report.clusters[0]!.openstack.services.map((s) => s.service)).toEqual(expect.arrayContaining(['nova', 'neutron', 'cinder']));
  });
});

describe('configuration faults', () => {
  it('guest-user-enabled: adding the default guest user is a warning on the cluster, firing at once; gone once deleted', async () => {
    const agent = await agentFor();
    const subject = { kind: 'cluster' as const, name: cluster };
    await withFault(
      async () => {
        await broker.ctl('add_user', 'guest', 'guest');
        await broker.ctl('set_user_tags', 'guest', 'administrator');
      },
      () => broker.ctl('delete_user', 'guest'),
      async (removeFault) => {
        await expectFinding(agent, 'guest-user-enabled', subject, 'warning', (f) => {
          expect(f.evidence.user).toBe('guest');
          expect(f.evidence.tags).toEqual(['administrator']);
        });
        await expectFiring(agent, cluster, 'guest-user-enabled', subject, 'warning');
        await removeFault();
        await expectNoFinding(agent, 'guest-user-enabled', subject);
      },
    );
  });

  it('classic-mirroring-policy: an ha-mode policy is a warning on its vhost, firing at once; gone once cleared', async () => {
    await addVhost(broker, 'os');
    const agent = await agentFor();
    const subject = { kind: 'vhost' as const, name: 'os', vhost: 'os' };
    await withFault(
      () => broker.ctl('set_policy', '-p', 'os', 'ha-all', '^ha\\.', '{"ha-mode":"all"}', '--apply-to', 'queues'),
      () => broker.ctl('clear_policy', '-p', 'os', 'ha-all'),
      async (removeFault) => {
        await expectFinding(agent, 'classic-mirroring-policy', subject, 'warning', (f) => {
          expect(f.evidence.policy).toBe('ha-all');
          expect(f.evidence.pattern).toBe('^ha\\.');
          expect(f.evidence.definition).toEqual({ 'ha-mode': 'all' });
        });
        // Only the vhost that holds it.
        expect(agent.clusters[0]!.findings.filter((f) => f.rule === 'classic-mirroring-policy').map((f) => f.subject)).toEqual([subject]);
        await expectFiring(agent, cluster, 'classic-mirroring-policy', subject, 'warning');
        await removeFault();
        await expectNoFinding(agent, 'classic-mirroring-policy', subject);
      },
    );
  });

  it('a policy without ha-mode is not reported', async () => {
    const agent = await agentFor();
    await withFault(
      () => broker.ctl('set_policy', '-p', 'os', 'ttl', '^notifications\\.', '{"message-ttl":3600000}', '--apply-to', 'queues'),
      () => broker.ctl('clear_policy', '-p', 'os', 'ttl'),
      async () => {
        // Two inventory refreshes after the policy is visible to the broker's API.
        await sleep(5_000);
        await agent.waitForPolls(1);
        expect(agent.clusters[0]!.poller.status().latest!.policies.map((p) => p.name)).toContain('ttl');
        expect(agent.clusters[0]!.findings.filter((f) => f.rule === 'classic-mirroring-policy')).toEqual([]);
      },
    );
  });
});
