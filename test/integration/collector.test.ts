// The collector against a real RabbitMQ. Known queues, messages,
// consumers, connections and channels go in; the exact numbers must come out of
// /metrics, from both sources, and follow the broker when it changes.
import { gunzipSync } from 'node:zlib';
import amqp, { type ChannelModel } from 'amqplib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/server/agent.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { configFor, eventually, metric, scrape, startTestAgent } from '../support/agent.js';

let broker: Broker;
const connections: ChannelModel[] = [];
const agents: Agent[] = [];

beforeAll(async () => {
  broker = await startBroker({ name: 'collector', extraConfig: ['collect_statistics_interval = 1000'] });
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  for (const c of connections) await c.close().catch(() => undefined);
  await broker?.stop();
});

async function connect(name: string): Promise<ChannelModel> {
  const c = await amqp.connect(broker.amqpUrl, { clientProperties: { connection_name: name } });
  connections.push(c);
  return c;
}

describe('collector against a real broker', () => {
  let mgmt: Agent;
  let plugin: Agent;

  beforeAll(async () => {
    // Topology: depth 7 without consumers; depth 3 with 2 consumers that never ack (unacked 2 via prefetch 1 each);
    // 3 connections holding 1, 2 and 4 channels.
    const a = await connect('nova-compute:101:aaaa');
    const chA = await a.createChannel();
    await chA.assertQueue('warren.depth7', { durable: false });
    await chA.assertQueue('warren.consumed', { durable: false });
    for (let i = 0; i < 7; i++) chA.sendToQueue('warren.depth7', Buffer.from(`m${i}`));
    for (let i = 0; i < 5; i++) chA.sendToQueue('warren.consumed', Buffer.from(`m${i}`));
    const b = await connect('nova-conductor:102:bbbb');
    for (let i = 0; i < 2; i++) {
      const ch = await b.createChannel();
      await ch.prefetch(1);
      await ch.consume('warren.consumed', () => undefined, { noAck: false });
    }
    const c = await connect('neutron-server:103:cccc');
    for (let i = 0; i < 4; i++) await c.createChannel();

    mgmt = await startTestAgent(configFor(broker, { queueSource: 'management' }));
    plugin = await startTestAgent(configFor(broker, { queueSource: 'prometheus' }));
    agents.push(mgmt, plugin);
  });

  for (const source of ['management', 'prometheus'] as const) {
    it(`exports exact queue depth, consumers, connections and channels (${source} source)`, async () => {
      const agent = source === 'management' ? mgmt : plugin;
      await eventually(async () => {
        await agent.waitForPolls(1);
        const { body } = await scrape(agent);
        expect(agent.clusters[0]!.poller.status().latest!.poll.queueSource).toBe(source);
        expect(metric(body, 'rabbitmq_up')).toBe(1);
        expect(metric(body, 'rabbitmq_queue_messages', { queue: 'warren.depth7' })).toBe(7);
        expect(metric(body, 'rabbitmq_queue_messages_ready', { queue: 'warren.depth7' })).toBe(7);
        expect(metric(body, 'rabbitmq_queue_consumers', { queue: 'warren.depth7' })).toBe(0);
        expect(metric(body, 'rabbitmq_queue_messages', { queue: 'warren.consumed' })).toBe(5);
        expect(metric(body, 'rabbitmq_queue_messages_ready', { queue: 'warren.consumed' })).toBe(3);
        expect(metric(body, 'rabbitmq_queue_messages_unacknowledged', { queue: 'warren.consumed' })).toBe(2);
        expect(metric(body, 'rabbitmq_queue_consumers', { queue: 'warren.consumed' })).toBe(2);
        expect(metric(body, 'rabbitmq_connections')).toBe(3);
        expect(metric(body, 'rabbitmq_channels')).toBe(7);
        expect(metric(body, 'rabbitmq_connection_channels_max')).toBe(4);
        expect(metric(body, 'rabbitmq_connections_state', { user: broker.user, state: 'running' })).toBe(3);
        expect(metric(body, 'rabbitmq_running', { node: broker.nodeName })).toBe(1);
        expect(metric(body, 'rabbitmq_node_mem_alarm', { node: broker.nodeName })).toBe(0);
        expect(metric(body, 'rabbitmq_partitions', { node: broker.nodeName })).toBe(0);
      });
    });
  }

  it('gives the same per-queue numbers from both sources', async () => {
    await eventually(async () => {
      await Promise.all([mgmt.waitForPolls(1), plugin.waitForPolls(1)]);
      const pick = (agent: Agent) =>
        agent.clusters[0]!.poller.status().latest!.queues.map((q) => [q.vhost, q.name, q.messages, q.ready, q.unacked, q.consumers].join('|')).sort();
      expect(pick(plugin)).toEqual(pick(mgmt));
      expect(pick(mgmt).length).toBeGreaterThanOrEqual(2);
    });
  });

  it('follows the broker when it changes', async () => {
    const conn = connections[0]!;
    const ch = await conn.createChannel();
    for (let i = 0; i < 4; i++) ch.sendToQueue('warren.depth7', Buffer.from('more'));
    await ch.assertQueue('warren.new', { durable: false });
    await ch.purgeQueue('warren.consumed').catch(() => undefined);
    await connections[2]!.close();
    for (const agent of [mgmt, plugin]) {
      await eventually(async () => {
        await agent.waitForPolls(1);
        const { body } = await scrape(agent);
        expect(metric(body, 'rabbitmq_queue_messages', { queue: 'warren.depth7' })).toBe(11);
        expect(metric(body, 'rabbitmq_queue_messages', { queue: 'warren.new' })).toBe(0);
        expect(metric(body, 'rabbitmq_connections')).toBe(2);
        expect(metric(body, 'rabbitmq_connection_channels_max')).toBeLessThan(4);
      });
    }
    await ch.deleteQueue('warren.new');
    await eventually(async () => {
      await mgmt.waitForPolls(1);
      const { body } = await scrape(mgmt);
      expect(metric(body, 'rabbitmq_queue_messages', { queue: 'warren.new' })).toBeUndefined();
    });
  });

  it('computes per-queue publish rates from counters (management source)', async () => {
    const ch = await connections[0]!.createChannel();
    await eventually(async () => {
      for (let i = 0; i < 20; i++) ch.sendToQueue('warren.depth7', Buffer.from('rate'));
      await mgmt.waitForPolls(1);
      const { body } = await scrape(mgmt);
      expect(metric(body, 'rabbitmq_queue_messages_published_total', { queue: 'warren.depth7' })).toBeGreaterThanOrEqual(11);
      expect(metric(body, 'rabbitmq_queue_messages_publish_rate', { queue: 'warren.depth7' })).toBeGreaterThan(0);
    }, 30_000, 200);
  });

  it('serves twenty rapid scrapes without a single broker request', async () => {
    // Slow the poller down so no scheduled poll lands in the middle of the scrapes.
    const agent = await startTestAgent(configFor(broker, { interval: '1h' }));
    agents.push(agent);
    const http = agent.clusters[0]!.http;
    const before = { ...http.lifetime };
    expect(before.requests).toBeGreaterThan(0);
    const bodies = await Promise.all(Array.from({ length: 20 }, () => scrape(agent)));
    for (const b of bodies) {
      expect(b.status).toBe(200);
      expect(metric(b.body, 'rabbitmq_up')).toBe(1);
    }
    expect(http.lifetime).toEqual(before);
    // And the exported self-metric agrees with the counted requests of one poll.
    expect(metric(bodies[0]!.body, 'warren_poll_requests')).toBeGreaterThan(0);
  });

  it('answers a scraper that accepts gzip (as Prometheus does) with the same exposition, compressed', async () => {
    const agent = await startTestAgent(configFor(broker, { interval: '1h' }));
    agents.push(agent);
    const get = (encoding: string) => request(`${agent.url}/metrics`, { headers: { 'accept-encoding': encoding } });
    const z = await get('gzip');
    expect(z.headers['content-encoding']).toBe('gzip');
    const zipped = Buffer.from(await z.body.arrayBuffer());
    const plain = await get('identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const plainText = await plain.body.text();
    const unzipped = gunzipSync(zipped).toString();
    // Identical but for what is read fresh per scrape: warren's own process metrics and the
    // families judged at the time of the scrape (data age, stale, starting).
    const perPoll = (t: string) =>
      t
        .split('\n')
        .filter((l) => !/\bwarren_(data_age_seconds|stale|starting)\b/.test(l))
        .join('\n')
        .trimEnd();
    const pollPart = (t: string) => perPoll(t.slice(0, t.indexOf('# HELP process_')));
    expect(pollPart(unzipped)).toBe(pollPart(plainText));
    expect(pollPart(unzipped)).toBe(perPoll(agent.metricsText()));
    expect(metric(unzipped, 'rabbitmq_queues')).toBe(metric(plainText, 'rabbitmq_queues'));
    expect(unzipped).toContain('process_cpu_user_seconds_total');
    expect(zipped.length).toBeLessThan(plainText.length / 3);
  });
});
