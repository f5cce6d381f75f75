// One node of a real three-node cluster down while the others answer, with
// per-queue depth from the rabbitmq_prometheus plugin, which must be asked on EVERY
// running node (cluster.test.ts covers node-down with the management source; auto picks
// the plugin on large brokers). queueSource: prometheus makes any plugin failure fail
// the poll, so rabbitmq_up 1 proves the stopped node's plugin was not needed.
// With a node stopped, warren must keep exact numbers from the nodes that answer (not
// give up on the plugin, not serve stale data), report the stopped node as not
// running, raise node-down for it, and return to three nodes when it is back.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type Agent } from '../../src/server/agent.js';
import { startCluster, type Cluster } from '../harness/cluster.js';
import type { Broker } from '../harness/broker.js';
import { configFor, eventually, metric } from '../support/agent.js';

let cluster: Cluster;
let agent: Agent;
/** warren's warnings and errors, to show why the plugin was given up if it was. */
const logLines: string[] = [];
const log = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _e, done) => void (logLines.push(chunk.toString()), done()) }));

const authOf = (b: Broker) => 'Basic ' + Buffer.from(`${b.user}:${b.password}`).toString('base64');

/** Declares a classic queue on `node` (its home) and publishes `count` messages to it. */
async function queueOn(node: Broker, name: string, count: number): Promise<void> {
  const headers = { authorization: authOf(node), 'content-type': 'application/json' };
  const q = await fetch(`${node.mgmtUrl}/api/queues/%2F/${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ durable: true, arguments: { 'x-queue-type': 'classic', 'x-queue-master-locator': 'client-local' } }),
  });
  expect(q.status).toBeLessThan(300);
  for (let i = 0; i < count; i++) {
    const p = await fetch(`${node.mgmtUrl}/api/exchanges/%2F/amq.default/publish`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ properties: { delivery_mode: 2 }, routing_key: name, payload: `m${i}`, payload_encoding: 'string' }),
    });
    expect(((await p.json()) as { routed: boolean }).routed).toBe(true);
  }
}

const status = () => agent.clusters[0]!.poller.status();

beforeAll(async () => {
  cluster = await startCluster({ name: 'reliability' });
  await queueOn(cluster.nodes[0]!, 'on-node-1', 3);
  await queueOn(cluster.nodes[1]!, 'on-node-2', 5);
  // Through node 1 (as through a load balancer), queue depth from the plugins, known size 3.
  agent = await startAgent(configFor(cluster.nodes[0]!, { interval: '1s', expectedNodes: 3, queueSource: 'prometheus' }), log);
  await eventually(async () => {
    await agent.waitForPolls(1);
    expect(status().latest!.nodes.filter((n) => n.running)).toHaveLength(3);
    expect(status().latest!.poll.queueSource, logLines.join('')).toBe('prometheus');
    expect(metric(agent.metricsText(), 'rabbitmq_queue_messages', { queue: 'on-node-2' })).toBe(5);
  }, 60_000, 1000);
});

afterAll(async () => {
  await agent?.stop();
  await cluster?.stop();
});

describe('one node of three down', () => {
  it('keeps exact metrics from the nodes that answer (plugin on each), reports the stopped node, raises node-down, and recovers', async () => {
    const down = cluster.nodes[2]!.nodeName;
    await cluster.stopNode(2);
    try {
      await eventually(async () => {
        await agent.waitForPolls(1);
        const st = status();
        expect(st.lastError).toBeNull();
        // The stopped node's plugin is not asked, so it cannot fail the poll.
        expect(st.latest!.poll.queueSource).toBe('prometheus');
        const m = agent.metricsText();
        expect(metric(m, 'rabbitmq_up')).toBe(1);
        expect(metric(m, 'warren_stale')).toBe(0);
        expect(metric(m, 'rabbitmq_running', { node: down })).toBe(0);
        for (const n of cluster.nodes.slice(0, 2)) {
          expect(metric(m, 'rabbitmq_running', { node: n.nodeName })).toBe(1);
          expect(metric(m, 'rabbitmq_node_mem_used', { node: n.nodeName })).toBeGreaterThan(0);
        }
        expect(metric(m, 'rabbitmq_queue_messages', { queue: 'on-node-1' })).toBe(3);
        expect(metric(m, 'rabbitmq_queue_messages', { queue: 'on-node-2' })).toBe(5);
        const f = agent.clusters[0]!.findings.filter((x) => x.rule === 'node-down');
        expect(f.map((x) => [x.subject.kind, x.subject.name, x.severity])).toEqual([['node', down, 'critical']]);
      }, 60_000, 1000);
      // node-down waits 60 s before it fires: until then the alert is pending, already tracked.
      const pending = Object.values(agent.clusters[0]!.alerts.alerts).filter((a) => a.rule === 'node-down' && a.state !== 'resolved');
      expect(pending.map((a) => [a.state, a.subject.name])).toEqual([['pending', down]]);
    } finally {
      await cluster.startNode(2);
    }
    await eventually(async () => {
      await agent.waitForPolls(1);
      expect(status().latest!.nodes.filter((n) => n.running)).toHaveLength(3);
      expect(agent.clusters[0]!.findings.filter((x) => x.rule === 'node-down')).toEqual([]);
      expect(metric(agent.metricsText(), 'rabbitmq_running', { node: down })).toBe(1);
    }, 120_000, 1000);
  });
});
