// Issue 12, item 1: RabbitMQ 3.10.8's plugin writes label values unescaped. Ten dead
// compute.cmp-1N queues (5 messages, no consumer) beside consumed look-alikes
// compute.cmp-1N"k and other hostile names: the plugin path must give every queue the
// same numbers as the management path, and the same findings (critical host-queue
// findings on the dead ones only).
import amqp, { type ChannelModel } from 'amqplib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/server/agent.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { configFor, eventually, startTestAgent } from '../support/agent.js';

let broker: Broker;
let conn: ChannelModel;
const agents: Agent[] = [];

const DEAD = Array.from({ length: 10 }, (_, i) => `compute.cmp-1${i}`);
const LOOK_ALIKES = DEAD.map((n) => `${n}"k`);
/** Consumed queues whose names read as another line's pieces when written unescaped. */
const HOSTILE = [
  'compute.cmp-10"0',
  'compute.cmp-11"} 0',
  'a",queue="b',
  'back\\slash',
  'back\\"slash',
  'co,mm=a}{',
  'ünï"cødé 🐇',
  // The broker strips a newline from a queue name (the unit fuzz covers newlines); the
  // rest still reads as a second line ending in compute.cmp-12's.
  'compute.cmp-12x"} 1rabbitmq_detailed_queue_consumers{vhost="/",queue="compute.cmp-12',
];
/** vhost `/",queue="a` with queue `b` prints the same 3.10 line as queue `a",queue="b` in `/`. */
const TWIN_VHOST = '/",queue="a';

beforeAll(async () => {
  broker = await startBroker({ name: 'hostile', extraConfig: ['collect_statistics_interval = 1000'] });
  const auth = `Basic ${Buffer.from(`${broker.user}:${broker.password}`).toString('base64')}`;
  const put = async (path: string, body: unknown) => {
    const r = await request(broker.mgmtUrl + path, { method: 'PUT', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await r.body.dump();
    expect(r.statusCode).toBeLessThan(300);
  };
  const v = encodeURIComponent(TWIN_VHOST);
  await put(`/api/vhosts/${v}`, {});
  await put(`/api/permissions/${v}/${encodeURIComponent(broker.user)}`, { configure: '.*', write: '.*', read: '.*' });
  await put(`/api/queues/${v}/b`, { durable: false, auto_delete: false, arguments: {} });

  conn = await amqp.connect(broker.amqpUrl, { clientProperties: { connection_name: 'nova-compute:1:hostile' } });
  const ch = await conn.createChannel();
  for (const q of [...DEAD, ...LOOK_ALIKES, ...HOSTILE]) await ch.assertQueue(q, { durable: false });
  for (const q of DEAD) for (let i = 0; i < 5; i++) ch.sendToQueue(q, Buffer.from('m'));
  const consumer = await conn.createChannel();
  await consumer.prefetch(1);
  for (const q of [...LOOK_ALIKES, ...HOSTILE]) {
    ch.sendToQueue(q, Buffer.from('m'));
    // Never acked: unacked 1 on every consumed queue.
    await consumer.consume(q, () => undefined, { noAck: false });
  }
}, 120_000);

afterAll(async () => {
  for (const a of agents) await a.stop();
  await conn?.close().catch(() => undefined);
  await broker?.stop();
});

describe('the plugin path on RabbitMQ 3.10.8 with hostile queue names', () => {
  it('writes label values unescaped (the premise)', async () => {
    const text = await (await request(`${broker.promUrl}/metrics/detailed?family=queue_consumer_count`)).body.text();
    expect(text).toContain('queue="compute.cmp-10"k"}');
  });

  it('agrees with the management path on every queue, and raises the same findings', async () => {
    const mgmt = await startTestAgent(configFor(broker, { queueSource: 'management' }));
    agents.push(mgmt);
    const plugin = await startTestAgent(configFor(broker, { queueSource: 'prometheus' }));
    agents.push(plugin);
    const pick = (agent: Agent) =>
      agent.clusters[0]!.poller.status().latest!.queues.map((q) => JSON.stringify([q.vhost, q.name, q.messages, q.ready, q.unacked, q.consumers])).sort();
    const hostQueueFindings = (agent: Agent) =>
      agent.clusters[0]!.findings
        .filter((f) => f.rule === 'openstack-host-queue-unconsumed')
        .map((f) => `${f.severity} ${f.labels?.queue ?? f.subject.name}`)
        .sort();
    await eventually(async () => {
      await Promise.all([mgmt.waitForPolls(1), plugin.waitForPolls(1)]);
      expect(plugin.clusters[0]!.poller.status().latest!.poll.queueSource).toBe('prometheus');
      const fromMgmt = pick(mgmt);
      expect(fromMgmt).toHaveLength(DEAD.length + LOOK_ALIKES.length + HOSTILE.length + 1);
      // Every dead queue 5 ready and no consumer; every consumed one 1 unacked, 1 consumer.
      for (const q of DEAD) expect(fromMgmt).toContain(JSON.stringify(['/', q, 5, 5, 0, 0]));
      for (const q of [...LOOK_ALIKES, ...HOSTILE]) expect(fromMgmt).toContain(JSON.stringify(['/', q, 1, 0, 1, 1]));
      expect(pick(plugin)).toEqual(fromMgmt);
      expect(hostQueueFindings(plugin)).toEqual(DEAD.map((q) => `critical ${q}`).sort());
      expect(hostQueueFindings(mgmt)).toEqual(hostQueueFindings(plugin));
    }, 60_000);
  }, 120_000);
});

describe('per-queue counters on the plugin path with hostile queue names (issue 15, item 1)', () => {
  it("gives every queue the management path's counters, or none where a line fits two queues: never another queue's", async () => {
    const mgmt = await startTestAgent(configFor(broker, { queueSource: 'management' }));
    agents.push(mgmt);
    const plugin = await startTestAgent(configFor(broker, { queueSource: 'prometheus' }));
    agents.push(plugin);
    const counters = (agent: Agent) =>
      new Map(agent.clusters[0]!.poller.status().latest!.queues.map((q) => [JSON.stringify([q.vhost, q.name]), q.counters && [q.counters.published, q.counters.delivered, q.counters.acked, q.counters.redelivered]]));
    // `a",queue="b` in `/` and `b` in `/",queue="a` print the same unescaped labels.
    const twins = [JSON.stringify(['/', 'a",queue="b']), JSON.stringify([TWIN_VHOST, 'b'])];
    await eventually(async () => {
      await Promise.all([mgmt.waitForPolls(1), plugin.waitForPolls(1)]);
      const fromMgmt = counters(mgmt);
      const fromPlugin = counters(plugin);
      for (const q of DEAD) expect(fromMgmt.get(JSON.stringify(['/', q]))).toEqual([5, 0, 0, 0]);
      for (const q of [...LOOK_ALIKES, ...HOSTILE]) expect(fromMgmt.get(JSON.stringify(['/', q]))).toEqual([1, 1, 0, 0]);
      expect([...fromPlugin.keys()].sort()).toEqual([...fromMgmt.keys()].sort());
      for (const [k, c] of fromPlugin) expect(c, k).toEqual(twins.includes(k) ? null : fromMgmt.get(k));
    }, 60_000);
  }, 120_000);
});
