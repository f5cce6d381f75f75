// On a real three-node cluster, each node in its own network namespace:
// a network partition (a node's links cut for longer than net_ticktime, then
// restored) and a stopped node, each found, then resolved.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/server/agent.js';
import { startCluster, type Cluster } from '../harness/cluster.js';
import { configFor, eventually, metric, scrape, startTestAgent } from '../support/agent.js';

let cluster: Cluster;
let agent: Agent;

beforeAll(async () => {
  cluster = await startCluster({ name: 'rules' });
  // warren watches the cluster through node 1, as it would through a load balancer.
  agent = await startTestAgent(configFor(cluster.nodes[0]!, { interval: '1s', queueSource: 'management' }));
  await eventually(async () => {
    await agent.waitForPolls(1);
    expect(agent.clusters[0]!.poller.status().latest!.nodes.filter((n) => n.running)).toHaveLength(3);
  }, 60_000);
});

afterAll(async () => {
  await agent?.stop();
  await cluster?.stop();
});

const findings = (rule: string) => agent.clusters[0]!.findings.filter((f) => f.rule === rule);

describe('three-node cluster faults', () => {
  it('a healthy cluster raises no warning or critical finding', async () => {
    await agent.waitForPolls(2);
    // guest exists on the harness cluster; everything else must be quiet.
    const bad = agent.clusters[0]!.findings.filter((f) => f.severity !== 'info' && f.rule !== 'guest-user-enabled');
    expect(bad).toEqual([]);
    expect(metric(agent.metricsText(), 'rabbitmq_nodes_expected')).toBe(3);
  });

  it('finds a stopped node (node-down, critical) and resolves it when the node returns', async () => {
    const stopped = cluster.nodes[1]!.nodeName;
    await cluster.stopNode(1);
    try {
      await eventually(async () => {
        await agent.waitForPolls(1);
        const f = findings('node-down');
        expect(f.map((x) => [x.subject.kind, x.subject.name, x.severity])).toEqual([['node', stopped, 'critical']]);
        const { body } = await scrape(agent);
        expect(metric(body, 'rabbitmq_running', { node: stopped })).toBe(0);
        // The other nodes keep reporting.
        expect(metric(body, 'rabbitmq_running', { node: cluster.nodes[2]!.nodeName })).toBe(1);
        expect(metric(body, 'rabbitmq_up')).toBe(1);
      }, 60_000, 1000);
    } finally {
      await cluster.startNode(1);
    }
    await eventually(async () => {
      await agent.waitForPolls(1);
      expect(findings('node-down')).toEqual([]);
    }, 90_000, 1000);
  });

  it('finds a network partition (critical, one finding for the cluster) after a cut longer than net_ticktime, and clears it when the minority restarts', async () => {
    const cut = cluster.nodes[2]!.nodeName;
    await cluster.partition(2);
    try {
      // net_ticktime is 10 s in the harness: wait until node 1 sees node 3 as down.
      await eventually(async () => {
        await agent.waitForPolls(1);
        const nodes = agent.clusters[0]!.poller.status().latest!.nodes;
        expect(nodes.find((n) => n.name === cut)?.running).toBe(false);
      }, 60_000, 1000);
    } finally {
      await cluster.heal(2);
    }
    await eventually(async () => {
      await agent.waitForPolls(1);
      const f = findings('network-partition');
      const clusterName = agent.clusters[0]!.poller.status().clusterLabel;
      expect(f.map((x) => [x.subject.kind, x.subject.name, x.severity])).toEqual([['cluster', clusterName, 'critical']]);
      // The evidence says who cannot see whom; the cut node is on one side of it.
      expect(JSON.stringify(f[0]!.evidence)).toContain(cut);
      const { body } = await scrape(agent);
      expect(metric(body, 'rabbitmq_partitions', { node: cluster.nodes[0]!.nodeName })).toBeGreaterThanOrEqual(1);
    }, 60_000, 1000);
    // The firing alert is visible too: network-partition has no `for`.
    expect(agent.alerts().map((a) => [a.rule, a.state])).toContainEqual(['network-partition', 'firing']);

    // With `ignore` handling the partition persists until the minority node restarts.
    await cluster.stopNode(2);
    await cluster.startNode(2);
    await eventually(async () => {
      await agent.waitForPolls(1);
      expect(findings('network-partition')).toEqual([]);
      expect(agent.clusters[0]!.poller.status().latest!.nodes.filter((n) => n.running)).toHaveLength(3);
    }, 120_000, 1000);
  });
});
