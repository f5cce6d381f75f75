// Issue 15, item 1: per-queue counters at every size. Known amounts are published,
// delivered (consumers in manual and automatic ack mode, basic.get in both modes),
// acknowledged and redelivered on a few queues, with every channel kept open (the
// plugin's per-channel counters vanish with their channel, see
// src/sources/plugin-counters.ts). Then the management path and the plugin path must
// give each queue the same counters, those amounts, and the same series in /metrics.
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/server/agent.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { waitFor } from '../harness/util.js';
import { configFor, eventually, metric, scrape, startTestAgent } from '../support/agent.js';

let broker: Broker;
let conn: ChannelModel;
const agents: Agent[] = [];

/** What each queue must show: [published, delivered, acked, redelivered]. */
const EXPECTED: Record<string, readonly [number, number, number, number]> = {
  // 10 through the default exchange and 3 through amq.direct (two rows of the published
  // family for one channel); 3 of the 13 deliveries nacked, requeued and redelivered.
  'cnt.acked': [13, 16, 13, 3],
  // From two channels (4 + 3), consumed in automatic ack mode.
  'cnt.noack': [7, 7, 0, 0],
  // A quorum queue: 2 fetched with basic.get and acked, 1 fetched in automatic ack mode.
  'cnt.quorum': [6, 3, 2, 0],
  // Only a basic.get that found nothing (get_empty is not a delivery).
  'cnt.idle': [0, 0, 0, 0],
};

beforeAll(async () => {
  broker = await startBroker({ name: 'counters', extraConfig: ['collect_statistics_interval = 1000'] });
  conn = await amqp.connect(broker.amqpUrl, { clientProperties: { connection_name: 'counters-test' } });
  const pub = await conn.createConfirmChannel();
  const pub2 = await conn.createConfirmChannel();
  await pub.assertQueue('cnt.acked', { durable: false });
  await pub.assertQueue('cnt.noack', { durable: false });
  await pub.assertQueue('cnt.idle', { durable: false });
  await pub.assertQueue('cnt.quorum', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await pub.bindQueue('cnt.acked', 'amq.direct', 'cnt.acked');
  await pub.bindQueue('cnt.quorum', 'amq.direct', 'cnt.quorum');
  for (let i = 0; i < 10; i++) pub.sendToQueue('cnt.acked', Buffer.from('a'));
  for (let i = 0; i < 3; i++) pub.publish('amq.direct', 'cnt.acked', Buffer.from('a'));
  for (let i = 0; i < 4; i++) pub.sendToQueue('cnt.noack', Buffer.from('n'));
  for (let i = 0; i < 3; i++) pub2.sendToQueue('cnt.noack', Buffer.from('n'));
  for (let i = 0; i < 6; i++) pub.publish('amq.direct', 'cnt.quorum', Buffer.from('q'));
  await pub.waitForConfirms();
  await pub2.waitForConfirms();

  const acker = await conn.createChannel();
  let nacked = 0;
  let acked = 0;
  await acker.consume('cnt.acked', (m) => {
    if (!m) return;
    if (!m.fields.redelivered && nacked < 3) {
      nacked++;
      acker.nack(m, false, true);
    } else {
      acked++;
      acker.ack(m);
    }
  }, { noAck: false });
  const noAcker = await conn.createChannel();
  let noAcked = 0;
  await noAcker.consume('cnt.noack', () => void noAcked++, { noAck: true });
  const getter: Channel = await conn.createChannel();
  const fetched: amqp.GetMessage[] = [];
  await waitFor(async () => {
    const m = await getter.get('cnt.quorum', { noAck: false });
    if (m) fetched.push(m);
    return fetched.length === 2;
  }, { timeoutMs: 30_000, what: 'two messages fetched from cnt.quorum' });
  for (const m of fetched) getter.ack(m);
  await waitFor(async () => (await getter.get('cnt.quorum', { noAck: true })) !== false, { timeoutMs: 30_000, what: 'one message fetched from cnt.quorum without ack' });
  expect(await getter.get('cnt.idle', { noAck: false })).toBe(false);
  await waitFor(async () => acked === 13 && noAcked === 7, { timeoutMs: 30_000, what: 'every message consumed' });
  // The channels stay open to the end: their counters are the plugin's.
}, 120_000);

afterAll(async () => {
  for (const a of agents) await a.stop();
  await conn?.close().catch(() => undefined);
  await broker?.stop();
});

describe('per-queue counters on both paths', () => {
  it('the management path and the plugin path give every queue the same counters, and the same series', async () => {
    const mgmt = await startTestAgent(configFor(broker, { queueSource: 'management' }));
    agents.push(mgmt);
    const plugin = await startTestAgent(configFor(broker, { queueSource: 'prometheus' }));
    agents.push(plugin);
    const countersOf = (agent: Agent) =>
      Object.fromEntries(
        agent.clusters[0]!.poller.status().latest!.queues.filter((q) => q.name in EXPECTED).map((q) => [q.name, q.counters && [q.counters.published, q.counters.delivered, q.counters.acked, q.counters.redelivered]]),
      );
    const series = (body: string) =>
      Object.fromEntries(
        Object.keys(EXPECTED).map((queue) => [
          queue,
          ['published', 'delivered', 'acked'].map((c) => metric(body, `rabbitmq_queue_messages_${c}_total`, { queue })),
        ]),
      );
    await eventually(async () => {
      await Promise.all([mgmt.waitForPolls(1), plugin.waitForPolls(1)]);
      expect(mgmt.clusters[0]!.poller.status().latest!.poll.queueSource).toBe('management');
      expect(plugin.clusters[0]!.poller.status().latest!.poll.queueSource).toBe('prometheus');
      expect(countersOf(mgmt)).toEqual(EXPECTED);
      expect(countersOf(plugin)).toEqual(countersOf(mgmt));
      const [fromMgmt, fromPlugin] = await Promise.all([scrape(mgmt), scrape(plugin)]);
      expect(series(fromMgmt.body)).toEqual(Object.fromEntries(Object.entries(EXPECTED).map(([q, c]) => [q, c.slice(0, 3)])));
      expect(series(fromPlugin.body)).toEqual(series(fromMgmt.body));
    }, 60_000);
    // What the management path has beside counters: a quorum queue's members, online members and leader.
    const quorum = (agent: Agent) => {
      const q = agent.clusters[0]!.poller.status().latest!.queues.find((x) => x.name === 'cnt.quorum')!;
      return { members: q.members, online: q.online, leader: q.leader };
    };
    expect(quorum(mgmt)).toEqual({ members: [broker.nodeName], online: [broker.nodeName], leader: broker.nodeName });
    expect(quorum(plugin)).toEqual(quorum(mgmt));
  }, 150_000);

  it('computes per-queue rates on the plugin path from those counters', async () => {
    const plugin = agents[1]!;
    const ch = await conn.createChannel();
    await eventually(async () => {
      for (let i = 0; i < 20; i++) ch.sendToQueue('cnt.idle', Buffer.from('rate'));
      await plugin.waitForPolls(1);
      const { body } = await scrape(plugin);
      expect(metric(body, 'rabbitmq_queue_messages_published_total', { queue: 'cnt.idle' })).toBeGreaterThanOrEqual(20);
      expect(metric(body, 'rabbitmq_queue_messages_publish_rate', { queue: 'cnt.idle' })).toBeGreaterThan(0);
      // Nothing consumed from cnt.idle: its delivery rate is known and 0, not absent.
      expect(metric(body, 'rabbitmq_queue_messages_deliver_rate', { queue: 'cnt.idle' })).toBe(0);
    }, 60_000, 200);
  }, 120_000);
});
