// Queues: a backlog, a queue growing under a publisher faster than its
// consumer, a queue with messages and no consumer, unacknowledged build-up, and
// unroutable publishes, each made with real AMQP clients on a real node. Thresholds are
// lowered through the config (as an operator would) so tens of messages are enough. The
// queue rules wait minutes (`for`) before alerting, so what every poll judges is asserted;
// unroutable-messages has no `for` and must fire at once.
//
// The agent uses the default queue source: depth from the prometheus plugin's
// /metrics/detailed, without per-queue counters. queue-growing then judges the depth alone;
// with counters (the management API source) it also compares publish and deliver rates, so
// it is checked with both. The broker publishes its statistics every second (FAST_STATS).
import type { Channel, ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/server/agent.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { waitFor } from '../harness/util.js';
import { configFor, startTestAgent } from '../support/agent.js';
import { addVhost, amqpClients, configuredNameOf, expectFinding, expectFiring, expectNoFinding, FAST_STATS, withFault } from '../support/faults.js';

const VHOST = 'os';
let broker: Broker;
let agent: Agent;
let cluster: string;
let clients: ReturnType<typeof amqpClients>;
let ch: Channel;

const rules = {
  thresholds: {
    'queue-backlog': { warning: 50, critical: 500 },
    'queue-growing': { windowSeconds: 10, minMessages: 10 },
    'unacked-high': { unacked: 25 },
    'unroutable-messages': { messages: 1, windowSeconds: 5 },
  },
};

beforeAll(async () => {
  broker = await startBroker({ name: 'faults-queues', extraConfig: FAST_STATS });
  clients = amqpClients(broker);
  await addVhost(broker, VHOST);
  cluster = configuredNameOf(broker);
  ch = await (await clients.connect('warren-test:1:producer', VHOST)).createChannel();
  agent = await startTestAgent(configFor(broker, { interval: '1s', inventoryInterval: '2s', rules }));
});

afterAll(async () => {
  await clients?.closeAll();
  await agent?.stop();
  await broker?.stop();
});

const queue = (name: string) => ({ kind: 'queue' as const, name, vhost: VHOST });
const publish = (q: string, n: number) => {
  for (let i = 0; i < n; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
};

describe('queue faults', () => {
  it('queue-backlog: a warning above the warning threshold, critical above the critical one, gone after a purge', async () => {
    const q = 'warren.backlog';
    await ch.assertQueue(q, { durable: false });
    await withFault(
      async () => publish(q, 100),
      () => ch.purgeQueue(q),
      async (removeFault) => {
        await expectFinding(agent, 'queue-backlog', queue(q), 'warning', (f) => {
          expect(f.evidence.ready).toBe(100);
          expect(f.evidence.warning).toBe(50);
          expect(f.evidence.critical).toBe(500);
        });
        publish(q, 500);
        await expectFinding(agent, 'queue-backlog', queue(q), 'critical', (f) => expect(f.evidence.ready).toBe(600));
        await removeFault();
        await expectNoFinding(agent, 'queue-backlog', queue(q));
      },
    );
    await ch.deleteQueue(q);
  });

  it('queue-growing: publishing faster than the consumer acks is reported, with both rates; gone once publishing stops', async () => {
    const q = 'warren.growing';
    await ch.assertQueue(q, { durable: false });
    // The management API source: per-queue publish and deliver counters.
    const mgmtAgent = await startTestAgent(configFor(broker, { interval: '1s', inventoryInterval: '2s', queueSource: 'management', rules }));
    // A slow consumer: one message at a time, acked 200 ms later (at most 5/s).
    const consumerCh = await (await clients.connect('warren-test:2:slow-consumer', VHOST)).createChannel();
    await consumerCh.prefetch(1);
    await consumerCh.consume(q, (m: ConsumeMessage | null) => {
      // Load shaping (the slow consumer is the fault), not a wait.
      if (m) setTimeout(() => consumerCh.ack(m), 200);
    });
    let publisher: NodeJS.Timeout | undefined;
    try {
      await withFault(
        // 20 messages/s.
        async () => (publisher = setInterval(() => publish(q, 1), 50)),
        async () => clearInterval(publisher),
        async (removeFault) => {
          const rising = (f: { evidence: Record<string, unknown> }) => {
            expect(f.evidence.rising).toBe(true);
            expect(f.evidence.to as number).toBeGreaterThan(f.evidence.from as number);
            expect(f.evidence.consumers).toBe(1);
            expect(f.evidence.windowSeconds).toBe(10);
          };
          await expectFinding(agent, 'queue-growing', queue(q), 'warning', rising);
          await expectFinding(mgmtAgent, 'queue-growing', queue(q), 'warning', (f) => {
            rising(f);
            const pub = f.evidence.publishRate as number;
            const del = f.evidence.deliverRate as number;
            expect(del).toBeGreaterThan(0);
            expect(pub).toBeGreaterThan(del);
          });
          await removeFault();
          // The consumer keeps draining, so the depth falls: no longer growing. Quiet for five
          // polls (1 s apart: four stats periods), so a gap between two stats updates does not pass for it.
          await Promise.all([
            expectNoFinding(agent, 'queue-growing', queue(q), { quietPolls: 5 }),
            expectNoFinding(mgmtAgent, 'queue-growing', queue(q), { quietPolls: 5 }),
          ]);
        },
      );
    } finally {
      await mgmtAgent.stop();
    }
    await ch.deleteQueue(q);
  });

  it('queue-no-consumer: messages waiting with nobody consuming; gone once a consumer attaches', async () => {
    const q = 'warren.orphan';
    await ch.assertQueue(q, { durable: false });
    const consumerCh = await (await clients.connect('warren-test:3:late-consumer', VHOST)).createChannel();
    await withFault(
      async () => publish(q, 5),
      () => consumerCh.consume(q, () => undefined, { noAck: true }),
      async (removeFault) => {
        await expectFinding(agent, 'queue-no-consumer', queue(q), 'warning', (f) => {
          expect(f.evidence.messages).toBe(5);
          expect(f.evidence.consumers).toBe(0);
        });
        await removeFault();
        await expectNoFinding(agent, 'queue-no-consumer', queue(q));
      },
    );
    await ch.deleteQueue(q);
  });

  it('unacked-high: a consumer holding deliveries without acking; gone once it acks', async () => {
    const q = 'warren.unacked';
    await ch.assertQueue(q, { durable: false });
    const consumerCh = await (await clients.connect('warren-test:4:stuck-consumer', VHOST)).createChannel();
    await consumerCh.prefetch(50);
    let received = 0;
    await consumerCh.consume(q, (m) => {
      if (m) received++;
    });
    await withFault(
      async () => {
        publish(q, 30);
        await waitFor(async () => received >= 30, { timeoutMs: 30_000, intervalMs: 50, what: 'the consumer to hold all 30 deliveries unacked' });
      },
      async () => consumerCh.ackAll(),
      async (removeFault) => {
        await expectFinding(agent, 'unacked-high', queue(q), 'warning', (f) => {
          expect(f.evidence.unacked).toBe(30);
          expect(f.evidence.consumers).toBe(1);
          expect(f.evidence.threshold).toBe(25);
        });
        await removeFault();
        await expectNoFinding(agent, 'unacked-high', queue(q));
      },
    );
    await ch.deleteQueue(q);
  });

  it('unroutable-messages: returned and dropped publishes are counted and fire at once; gone once a binding routes them', async () => {
    const exchange = 'warren.nowhere';
    const subject = { kind: 'cluster' as const, name: cluster };
    const pubCh = await (await clients.connect('warren-test:5:lost-publisher', VHOST)).createChannel();
    await pubCh.assertExchange(exchange, 'direct', { durable: false });
    let returned = 0;
    pubCh.on('return', () => returned++);
    await withFault(
      async () => {
        for (let i = 0; i < 5; i++) pubCh.publish(exchange, 'no.such.key', Buffer.from('r'), { mandatory: true });
        for (let i = 0; i < 7; i++) pubCh.publish(exchange, 'no.such.key', Buffer.from('d'));
      },
      async () => {
        await pubCh.assertQueue('warren.found', { durable: false });
        await pubCh.bindQueue('warren.found', exchange, 'no.such.key');
      },
      async (removeFault) => {
        await expectFinding(agent, 'unroutable-messages', subject, 'warning', (f) => {
          expect(f.evidence.returned).toBe(5);
          expect(f.evidence.dropped).toBe(7);
        });
        expect(returned).toBe(5);
        await expectFiring(agent, cluster, 'unroutable-messages', subject, 'warning');

        await removeFault();
        for (let i = 0; i < 5; i++) pubCh.publish(exchange, 'no.such.key', Buffer.from('ok'), { mandatory: true });
        // Routed now: the counters stop moving and the window (5 s) leaves the old ones behind.
        // Quiet for five polls (1 s apart: four stats periods): a late counter update would show.
        await expectNoFinding(agent, 'unroutable-messages', subject, { quietPolls: 5 });
        expect(returned).toBe(5);
        expect((await pubCh.checkQueue('warren.found')).messageCount).toBe(5);
      },
    );
    await pubCh.deleteQueue('warren.found');
    await pubCh.deleteExchange(exchange);
  });
});
