// Connections: a flood (too many open), churn (clients reconnecting in a loop)
// and one connection holding many channels, made with real AMQP clients. Thresholds are
// lowered through the config so a 2-core test machine can produce them; these rules wait
// minutes (`for`) before alerting, so what every poll judges is asserted.
import type { Channel, ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/server/agent.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { configFor, eventually, startTestAgent } from '../support/agent.js';
import { addVhost, amqpClients, configuredNameOf, connectionNamed, expectFinding, expectNoFinding, findingsFor, sleep, FAST_STATS, withFault } from '../support/faults.js';

let broker: Broker;
let agent: Agent;
let cluster: string;
let clients: ReturnType<typeof amqpClients>;

beforeAll(async () => {
  broker = await startBroker({ name: 'faults-conns', extraConfig: FAST_STATS });
  clients = amqpClients(broker);
  await addVhost(broker, 'os');
  cluster = configuredNameOf(broker);
  agent = await startTestAgent(
    configFor(broker, {
      interval: '1s',
      inventoryInterval: '2s',
      rules: {
        thresholds: {
          'connection-count-high': { limit: 50 },
          'connection-churn': { minConnections: 20, ratio: 0.1, windowSeconds: 3 },
        },
      },
    }),
  );
});

afterAll(async () => {
  await clients?.closeAll();
  await agent?.stop();
  await broker?.stop();
});

/** Opens `n` connections, ten at a time. */
async function openMany(n: number, prefix: string): Promise<ChannelModel[]> {
  const out: ChannelModel[] = [];
  for (let i = 0; i < n; i += 10) {
    const batch = Array.from({ length: Math.min(10, n - i) }, (_, j) => clients.connect(`nova-compute:${1000 + i + j}:${prefix}`));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

describe('connection faults', () => {
  it('connection-count-high: 60 connections against a limit of 50; gone once they close', async () => {
    const subject = { kind: 'cluster' as const, name: cluster };
    let flood: ChannelModel[] = [];
    await withFault(
      async () => (flood = await openMany(60, 'flood')),
      () => Promise.all(flood.map((c) => clients.close(c))),
      async (removeFault) => {
        await expectFinding(agent, 'connection-count-high', subject, 'warning', (f) => {
          expect(f.evidence.connections).toBe(60);
          expect(f.evidence.limit).toBe(50);
        });
        await removeFault();
        await expectNoFinding(agent, 'connection-count-high', subject);
      },
    );
  });

  it('connection-churn: clients reconnecting in a loop next to 25 steady ones; gone when the loop stops while the 25 stay', async () => {
    const subject = { kind: 'cluster' as const, name: cluster };
    const steady = await openMany(25, 'steady');
    // Opening them was churn too: wait until warren sees the 25, then until that burst has
    // left the 3 s window (no churn finding on every poll for 4 polls, at least 3 s apart).
    await eventually(async () => {
      await agent.waitForPolls(1);
      expect(agent.clusters[0]!.poller.status().latest!.totals.connections).toBe(25);
    }, 30_000, 0);
    await expectNoFinding(agent, 'connection-churn', subject, { quietPolls: 4 });
    let churning = true;
    let cycles = 0;
    let loop: Promise<void> = Promise.resolve();
    await withFault(
      async () => {
        loop = (async () => {
          while (churning) {
            const c = await clients.connect(`nova-api:${2000 + cycles}:churn`);
            await clients.close(c);
            cycles++;
            // Pacing of the load (~15 reconnects/s, a rate a 2-core machine sustains), not a wait.
            await sleep(50);
          }
        })();
      },
      async () => {
        churning = false;
        await loop;
      },
      async (removeFault) => {
        await expectFinding(agent, 'connection-churn', subject, 'warning', (f) => {
          expect(f.evidence.openedPerSecond as number).toBeGreaterThan(0);
          expect(f.evidence.closedPerSecond as number).toBeGreaterThan(0);
          expect(f.evidence.open as number).toBeGreaterThanOrEqual(25);
          expect(f.evidence.ratio as number).toBeGreaterThanOrEqual(0.1);
          expect(f.evidence.threshold).toBe(0.1);
        });
        // 25-26 open is below the count limit: only the churn is wrong here.
        expect(findingsFor(agent, 'connection-count-high', subject)).toEqual([]);
        await removeFault();
        expect(cycles).toBeGreaterThan(5);
        // The same 25 connections stay open: without reconnects the rule must go quiet.
        await expectNoFinding(agent, 'connection-churn', subject);
        expect(agent.clusters[0]!.poller.status().latest!.totals.connections).toBe(25);
      },
    );
    await Promise.all(steady.map((c) => clients.close(c)));
  });

  it('channels-per-connection-high: one connection with 15 channels; gone when it is back to 5', async () => {
    const conn = await clients.connect('neutron-server:77:channel-leak', 'os');
    const channels: Channel[] = [];
    const { name } = await connectionNamed(broker, 'neutron-server:77:channel-leak');
    const subject = { kind: 'connection' as const, name, vhost: 'os' };
    await withFault(
      async () => {
        for (let i = 0; i < 15; i++) channels.push(await conn.createChannel());
      },
      async () => {
        for (const ch of channels.splice(0, 10)) await ch.close();
      },
      async (removeFault) => {
        await expectFinding(agent, 'channels-per-connection-high', subject, 'warning', (f) => {
          expect(f.evidence.channels).toBe(15);
          expect(f.evidence.threshold).toBe(10);
        });
        await removeFault();
        await expectNoFinding(agent, 'channels-per-connection-high', subject);
        expect(agent.clusters[0]!.poller.status().latest!.connections.find((c) => c.name === name)?.channels).toBe(5);
      },
    );
    await clients.close(conn);
  });
});
