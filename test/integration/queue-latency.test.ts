// How long messages wait, on a real broker: queue-message-age from the head message's
// AMQP `timestamp` property (the broker's head_message_timestamp), and queue-drain-time
// from warren's counter-derived deliver rate for a queue fed faster than its consumer
// acks. Thresholds are lowered through the config, as an operator would. The rules' `for`
// delays alerts, not findings, so what every poll judges is asserted.
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/server/agent.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { configFor, eventually, metric, scrape, startTestAgent } from '../support/agent.js';
import { addVhost, amqpClients, expectFinding, expectNoFinding, FAST_STATS } from '../support/faults.js';

const VHOST = 'latency';
let broker: Broker;
let agent: Agent;
let clients: ReturnType<typeof amqpClients>;
let ch: ConfirmChannel;

const rules = {
  thresholds: {
    'queue-message-age': { minutes: 30 },
    'queue-drain-time': { minutes: 1, windowSeconds: 5, minReady: 50 },
  },
};

beforeAll(async () => {
  broker = await startBroker({ name: 'queue-latency', extraConfig: FAST_STATS });
  clients = amqpClients(broker);
  await addVhost(broker, VHOST);
  ch = await (await clients.connect('warren-test:latency:producer', VHOST)).createConfirmChannel();
  // The management source: per-queue counters, so per-queue deliver rates.
  agent = await startTestAgent(configFor(broker, { interval: '1s', inventoryInterval: '2s', queueSource: 'management', rules }));
});

afterAll(async () => {
  await clients?.closeAll();
  await agent?.stop();
  await broker?.stop();
});

const queue = (name: string) => ({ kind: 'queue' as const, name, vhost: VHOST });
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function publishStamped(q: string, count: number, timestamp: number | undefined): Promise<void> {
  for (let i = 0; i < count; i++) ch.sendToQueue(q, Buffer.from(`m${i}`), timestamp === undefined ? {} : { timestamp });
  await ch.waitForConfirms();
}

describe('queue-message-age', () => {
  it('fires for a head message stamped an hour ago; not for fresh heads nor unstamped ones; gone once consumed', async () => {
    const old = 'warren.aged';
    const fresh = 'warren.fresh';
    const unstamped = 'warren.unstamped';
    for (const q of [old, fresh, unstamped]) await ch.assertQueue(q, { durable: false });
    await publishStamped(old, 3, nowSeconds() - 3600);
    await publishStamped(fresh, 3, nowSeconds());
    await publishStamped(unstamped, 3, undefined);

    const f = await expectFinding(agent, 'queue-message-age', queue(old), 'warning', (x) => {
      expect(x.evidence.ageSeconds as number).toBeGreaterThanOrEqual(3600);
      expect(x.evidence.ageSeconds as number).toBeLessThan(3600 + 600);
      expect(x.evidence.minutes).toBe(30);
      expect(x.evidence.messages).toBe(3);
    });
    expect(f.summary).toContain(old);

    // The exported series: seconds, as kbudde exports it; no series without a timestamp (unknown, never 0).
    const { body } = await scrape(agent);
    const ts = metric(body, 'rabbitmq_queue_head_message_timestamp', { vhost: VHOST, queue: old });
    expect(ts).toBeDefined();
    expect(Math.abs(ts! - (nowSeconds() - 3600))).toBeLessThan(600);
    expect(metric(body, 'rabbitmq_queue_head_message_timestamp', { vhost: VHOST, queue: fresh })).toBeDefined();
    expect(metric(body, 'rabbitmq_queue_head_message_timestamp', { vhost: VHOST, queue: unstamped })).toBeUndefined();
    expect(metric(body, 'rabbitmq_queue_messages', { vhost: VHOST, queue: unstamped })).toBe(3);

    await expectNoFinding(agent, 'queue-message-age', queue(fresh), { quietPolls: 3 });
    await expectNoFinding(agent, 'queue-message-age', queue(unstamped), { quietPolls: 3 });

    // Consumed: the queue is empty, its head timestamp gone, and so the finding.
    await ch.purgeQueue(old);
    await expectNoFinding(agent, 'queue-message-age', queue(old));
    await eventually(async () => {
      const after = await scrape(agent);
      expect(metric(after.body, 'rabbitmq_queue_head_message_timestamp', { vhost: VHOST, queue: old })).toBeUndefined();
    }, 30_000);
    for (const q of [old, fresh, unstamped]) await ch.deleteQueue(q);
  });
});

describe('queue-drain-time', () => {
  /** A consumer acking each message `ackDelayMs` after delivery, one at a time (0: at once). */
  async function consumer(name: string, q: string, ackDelayMs: number): Promise<void> {
    const c = await (await clients.connect(name, VHOST)).createChannel();
    await c.prefetch(1);
    await c.consume(q, (m: ConsumeMessage | null) => {
      if (!m) return;
      // Load shaping (the slow consumer is the fault), not a wait.
      const ack = () => {
        try {
          c.ack(m);
        } catch {
          // the channel closed at the end of the test with a delivery in hand
        }
      };
      if (ackDelayMs > 0) setTimeout(ack, ackDelayMs);
      else ack();
    });
  }

  /** Publishes 50 messages/s to `q` until the returned function is called. */
  function publisher(q: string): () => void {
    const timer = setInterval(() => {
      for (let i = 0; i < 5; i++) ch.sendToQueue(q, Buffer.from('x'));
    }, 100);
    return () => clearInterval(timer);
  }

  it('fires for a queue fed at 50/s whose consumer acks 5/s; not for one whose consumer keeps up', async () => {
    const slow = 'warren.slow';
    const keepsUp = 'warren.keeps-up';
    await ch.assertQueue(slow, { durable: false });
    await ch.assertQueue(keepsUp, { durable: false });
    await consumer('warren-test:latency:slow-consumer', slow, 200);
    await consumer('warren-test:latency:fast-consumer', keepsUp, 0);
    const stopSlow = publisher(slow);
    const stopFast = publisher(keepsUp);
    try {
      await expectFinding(
        agent,
        'queue-drain-time',
        queue(slow),
        'warning',
        (f) => {
          const deliver = f.evidence.deliverRate as number;
          expect(deliver).toBeGreaterThan(0);
          expect(deliver).toBeLessThan(20);
          expect(f.evidence.drainSeconds as number).toBeGreaterThanOrEqual(60);
          expect(f.evidence.ready as number).toBeGreaterThan(f.evidence.readyBefore as number);
          expect(f.evidence.consumers).toBe(1);
        },
        90_000,
      );
      await expectNoFinding(agent, 'queue-drain-time', queue(keepsUp), { quietPolls: 5 });
    } finally {
      stopSlow();
      stopFast();
    }
    // Publishing stopped: the backlog no longer grows, so the consumers are not behind any more.
    await expectNoFinding(agent, 'queue-drain-time', queue(slow), { quietPolls: 3, timeoutMs: 60_000 });
    await ch.deleteQueue(slow);
    await ch.deleteQueue(keepsUp);
  });
});
