// Configuration faults and the healthy baseline. The broker is created with its
// own administrator, so the default `guest` user is absent until a test adds it: a
// healthy deployment must raise no warning or critical finding with default thresholds,
// while the guest user and an `ha-mode` policy are reported (both fire at once: no `for`)
// and go away when removed. Users and policies are inventory, re-read every
// inventoryInterval (2 s here).
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/rules/types.js';
import type { Agent } from '../../src/server/agent.js';
import { startSimulation, type Simulation } from '../../tools/sim/index.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { configFor, eventually, startTestAgent } from '../support/agent.js';
import { runCli } from '../support/cli.js';
import { serviceAmqpUrl } from '../support/service-user.js';
import { addVhost, configuredNameOf, expectFinding, expectFiring, expectNoFinding, mgmt, mgmtChange, FAST_STATS, withFault } from '../support/faults.js';

let broker: Broker;
let cluster: string;
const agents: Agent[] = [];

beforeAll(async () => {
  broker = await startBroker({
    name: 'faults-config',
    adminUser: { user: 'warren-admin', password: randomBytes(12).toString('hex') },
    extraConfig: FAST_STATS,
  });
  cluster = configuredNameOf(broker);
  await addVhost(broker, 'os');
});

// One agent per test, with a fresh alert state.
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop();
});

afterAll(async () => {
  await broker?.stop();
});

async function agentFor(clusterKeys: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Promise<Agent> {
  const a = await startTestAgent(configFor(broker, { interval: '1s', inventoryInterval: '2s', ...clusterKeys }, top));
  agents.push(a);
  return a;
}

const serious = <F extends Pick<Finding, 'severity'>>(findings: readonly F[]) => findings.filter((f) => f.severity === 'warning' || f.severity === 'critical');

describe('healthy deployment', () => {
  let sim: Simulation | undefined;

  afterAll(async () => {
    await sim?.stop();
    await sim?.cleanup();
  });

  it('an OpenStack cloud with every service consuming raises no warning or critical finding, in the daemon or in a one-shot report', async () => {
    expect((await mgmt<Array<{ name: string }>>(broker, '/api/users')).map((u) => u.name)).not.toContain('guest');
    sim = await startSimulation({ amqpUrl: await serviceAmqpUrl(broker), computes: 2, rpcRate: 4, notificationRate: 2, reportIntervalMs: 2_000, callTimeoutMs: 10_000 });
    const hosts = Object.fromEntries(Object.entries(sim.hostAddresses).map(([host, address]) => [address, host]));
    // Steady state: every process connected; the broker's count stops moving.
    let last = -1;
    await eventually(async () => {
      const { object_totals } = await mgmt<{ object_totals: { connections: number } }>(broker, '/api/overview');
      const now = object_totals.connections;
      const stable = now === last && now > 10;
      last = now;
      expect(stable).toBe(true);
    }, 30_000, 1_500);
    // Default thresholds, none loosened; the learned baselines start judging after 5 polls
    // instead of 20 (10 for services), which only makes this check stricter.
    const agent = await agentFor(
      { rules: { thresholds: { 'connection-count-high': { minSamples: 5 }, 'openstack-service-connections-high': { minSamples: 5 } } } },
      { openstack: { hosts } },
    );

    // Every poll of fifteen (at least 14 s at the 1 s interval: several inventory refreshes),
    // with traffic flowing; counted in polls, not wall time, so a loaded machine judges as
    // many polls as an idle one. The daemon raises a rule without `for` at once (firing), the
    // others once the condition holds poll after poll (pending; one poll without it resets
    // the wait). A poll that catches an RPC delivery between receipt and ack is not a fault,
    // so a pending condition counts once it has held for 3 s.
    const raised = new Set<string>();
    const before = sim.stats();
    let polls = 0;
    while (polls < 15) {
      await agent.waitForPolls(1);
      polls++;
      const now = Date.now();
      for (const a of Object.values(agent.clusters[0]!.alerts.alerts)) {
        if (a.severity === 'info') continue;
        if (a.state === 'firing' || now - a.activeAt >= 3_000) raised.add(`${a.rule} ${a.state} ${JSON.stringify(a.subject)}: ${a.summary}`);
      }
    }
    expect(polls).toBeGreaterThanOrEqual(8);
    expect([...raised]).toEqual([]);
    // It was a working cloud, not an idle broker.
    const after = sim.stats();
    expect(after.replies - before.replies).toBeGreaterThan(10);
    expect(after.rpcReceived - before.rpcReceived).toBeGreaterThan(10);
    expect(after.notificationsConsumed - before.notificationsConsumed).toBeGreaterThan(5);
    expect(after.callTimeouts + after.errors).toBe(0);
    const snapshot = agent.clusters[0]!.poller.status().latest!;
    expect(snapshot.queues.filter((q) => q.role.kind === 'rpc_host').length).toBeGreaterThan(0);
    expect(snapshot.queues.filter((q) => q.consumers === 0 && (q.messages ?? 0) > 0)).toEqual([]);

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
      // What a default install has: guest/guest, administrator.
      () => mgmtChange(broker, 'PUT', '/api/users/guest', { password: 'guest', tags: 'administrator' }),
      () => mgmtChange(broker, 'DELETE', '/api/users/guest'),
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
    const agent = await agentFor();
    const subject = { kind: 'vhost' as const, name: 'os', vhost: 'os' };
    await withFault(
      // rabbitmqctl set_policy -p os ha-all '^ha\.' '{"ha-mode":"all"}' --apply-to queues
      () => mgmtChange(broker, 'PUT', '/api/policies/os/ha-all', { pattern: '^ha\\.', definition: { 'ha-mode': 'all' }, 'apply-to': 'queues' }),
      () => mgmtChange(broker, 'DELETE', '/api/policies/os/ha-all'),
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
      () => mgmtChange(broker, 'PUT', '/api/policies/os/ttl', { pattern: '^notifications\\.', definition: { 'message-ttl': 3600000 }, 'apply-to': 'queues' }),
      () => mgmtChange(broker, 'DELETE', '/api/policies/os/ttl'),
      async () => {
        // Judged on the first poll whose inventory holds the policy.
        await eventually(async () => {
          await agent.waitForPolls(1);
          expect(agent.clusters[0]!.poller.status().latest!.policies.map((p) => p.name)).toContain('ttl');
          expect(agent.clusters[0]!.findings.filter((f) => f.rule === 'classic-mirroring-policy')).toEqual([]);
        }, 20_000, 0);
      },
    );
  });
});
