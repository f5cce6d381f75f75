// Issue 15: a broker too busy to list its queues must not stop the polls. The plugin
// path's stats-free queue listing is its costliest request at scale (at 50k queues on a
// busy broker it took longer than warren's 20 s deadline, bench/analysis.md); here a
// proxy in front of a real broker's management API holds exactly that request while
// everything else, the plugin included, answers. warren must poll on with the listing it
// has, depths current, say once why queues declared meanwhile are not watched, not ask
// again every poll (each would wait out the deadline), and pick the new queues up once
// the listing answers again.
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/server/agent.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { configFor, eventually, metric, startTestAgent } from '../support/agent.js';
import { startHoldingProxy, type HoldingProxy } from '../support/holding-proxy.js';

const INVENTORY_MS = 20_000;
const LISTING = '/api/queues?disable_stats=true&columns=';

let broker: Broker;
let proxy: HoldingProxy;
let conn: ChannelModel;
let agent: Agent | undefined;

beforeAll(async () => {
  broker = await startBroker({ name: 'listing' });
  proxy = await startHoldingProxy(broker.mgmtUrl, (p) => p.startsWith(LISTING));
  conn = await amqp.connect(broker.amqpUrl);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue('lst.a', { durable: false });
  await ch.assertQueue('lst.b', { durable: false });
  for (let i = 0; i < 5; i++) ch.sendToQueue('lst.a', Buffer.from('a'));
  await ch.waitForConfirms();
  await ch.close();
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await conn?.close().catch(() => undefined);
  await proxy?.close();
  await broker?.stop();
});

describe('plugin source: the queue listing held by a busy broker', () => {
  it('polls on with the previous listing, warns once, is not asked every poll, and recovers', async () => {
    agent = await startTestAgent(configFor(broker, { url: proxy.url, queueSource: 'prometheus', timeout: '3s', inventoryInterval: `${INVENTORY_MS / 1000}s` }));
    const cluster = agent.clusters[0]!;
    const text = () => agent!.metricsText();
    await eventually(() => expect(metric(text(), 'rabbitmq_queue_messages', { queue: 'lst.a' })).toBe(5), 30_000);
    const staleWarnings = () => (cluster.poller.status().latest?.poll.warnings ?? []).filter((w) => w.includes('did not answer in time'));
    expect(staleWarnings()).toEqual([]);

    proxy.hold(true);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('lst.new', { durable: false });
    for (let i = 0; i < 3; i++) ch.sendToQueue('lst.a', Buffer.from('a'));
    await ch.waitForConfirms();

    // The plugin now shows a queue the kept listing lacks, so the listing is asked again;
    // it is held past its deadline (three request timeouts).
    await eventually(() => expect(staleWarnings()).toHaveLength(1), 90_000);
    expect(staleWarnings()[0]).toContain('queues declared since are not watched until it answers');
    const failedAt = Date.now();
    const heldThen = proxy.held();
    expect(heldThen).toBeGreaterThanOrEqual(1);
    // Still polling: up, depths from the plugin current, the new queue not yet known.
    await eventually(() => expect(metric(text(), 'rabbitmq_queue_messages', { queue: 'lst.a' })).toBe(8), 30_000);
    expect(metric(text(), 'rabbitmq_up')).toBe(1);
    expect(metric(text(), 'rabbitmq_queue_messages', { queue: 'lst.new' })).toBeUndefined();
    // Asked again only with the inventory (at most once per interval), not on each poll:
    // had every poll asked, each would have waited out the 9 s deadline and added a held
    // request, six in six polls against a bound of three.
    await agent.waitForPolls(6);
    expect(proxy.held()).toBeLessThanOrEqual(heldThen + 1 + Math.floor((Date.now() - failedAt) / INVENTORY_MS));
    expect(staleWarnings()).toHaveLength(1);

    // The broker answers again: with the next inventory the listing is current.
    proxy.hold(false);
    await eventually(() => expect(metric(text(), 'rabbitmq_queue_messages', { queue: 'lst.new' })).toBe(0), 90_000);
    expect(staleWarnings()).toEqual([]);
    await ch.close();
  }, 240_000);
});
