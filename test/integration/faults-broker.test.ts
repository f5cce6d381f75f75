// Broker resources: the memory and disk alarms (with a publisher really
// blocked), and memory-high / disk-low below the alarm, injected with rabbitmqctl on a
// real node. Each case asserts the finding, its subject and severity, then removes the
// fault and asserts the finding goes away. Rules with no `for` (the alarms, blocked
// connections) must also fire at once; the others need minutes of `for` in the daemon,
// so for them the evaluation (what every poll judges) is what is asserted.
import type { Channel, ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/rules/types.js';
import type { Agent } from '../../src/server/agent.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { configFor, eventually, startTestAgent } from '../support/agent.js';
import { addVhost, amqpClients, configuredNameOf, expectFinding, expectFiring, expectNoFinding, findingsFor, mgmt, FAST_STATS, withFault } from '../support/faults.js';

let broker: Broker;
let agent: Agent;
let cluster: string;
let clients: ReturnType<typeof amqpClients>;

const DEFAULT_WATERMARK = '0.4';
const DEFAULT_DISK_LIMIT = '50MB';

beforeAll(async () => {
  broker = await startBroker({ name: 'faults-broker', extraConfig: FAST_STATS });
  clients = amqpClients(broker);
  await addVhost(broker, 'nova');
  cluster = configuredNameOf(broker);
  agent = await startTestAgent(configFor(broker, { interval: '1s', inventoryInterval: '2s' }));
});

afterAll(async () => {
  await clients?.closeAll();
  await agent?.stop();
  await broker?.stop();
});

interface NodeStats {
  mem_used: number;
  mem_limit: number;
  mem_alarm: boolean;
  disk_free: number;
  disk_free_limit: number;
  disk_free_alarm: boolean;
}
const nodeStats = () => mgmt<NodeStats>(broker, `/api/nodes/${encodeURIComponent(broker.nodeName)}?columns=mem_used,mem_limit,mem_alarm,disk_free,disk_free_limit,disk_free_alarm`);

/** Resolves when the connection emits `event` (amqplib: 'blocked' / 'unblocked'). */
const once = (c: ChannelModel, event: string, timeoutMs = 30_000) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`connection did not emit ${event} within ${timeoutMs} ms`)), timeoutMs);
    c.once(event, () => {
      clearTimeout(t);
      resolve();
    });
  });

describe('broker resource faults', () => {
  it('memory alarm: memory-alarm on the node and connections-blocked on the publisher vhost, both firing at once; both clear', async () => {
    const node = { kind: 'node' as const, name: broker.nodeName };
    const vhost = { kind: 'vhost' as const, name: 'nova', vhost: 'nova' };
    const publisher = await clients.connect('nova-api:4242:blocked-publisher', 'nova');
    const ch: Channel = await publisher.createChannel();
    await ch.assertQueue('warren.blocked', { durable: false });
    const blocked = once(publisher, 'blocked');

    await withFault(
      () => broker.ctl('set_vm_memory_high_watermark', '0.0001'),
      () => broker.ctl('set_vm_memory_high_watermark', DEFAULT_WATERMARK),
      async (removeFault) => {
        await expectFinding(agent, 'memory-alarm', node, 'critical', (f) => {
          expect(f.evidence.memAlarm).toBe(true);
          expect(f.evidence.memUsed as number).toBeGreaterThan(f.evidence.memLimit as number);
        });
        // One faulty node, one finding: memory-high stays quiet while the alarm says it all.
        expect(findingsFor(agent, 'memory-high', node)).toEqual([]);

        // A publish under the alarm: the broker blocks the connection, for real.
        ch.sendToQueue('warren.blocked', Buffer.from('held back by the alarm'));
        await blocked;
        await expectFinding(agent, 'connections-blocked', vhost, 'critical', (f) => {
          expect(f.evidence.blocked).toBe(1);
          expect(f.evidence.blocking).toBe(0);
        });
        // Only the publisher's vhost: nothing is connected to `/`.
        expect(findingsFor(agent, 'connections-blocked', { kind: 'vhost', name: '/', vhost: '/' })).toEqual([]);

        await expectFiring(agent, cluster, 'memory-alarm', node, 'critical');
        await expectFiring(agent, cluster, 'connections-blocked', vhost, 'critical');

        const unblocked = once(publisher, 'unblocked');
        await removeFault();
        await unblocked;
        await expectNoFinding(agent, 'memory-alarm', node);
        await expectNoFinding(agent, 'connections-blocked', vhost);
        // The held message went through once the alarm cleared.
        expect((await ch.checkQueue('warren.blocked')).messageCount).toBe(1);
      },
    );
    await clients.close(publisher);
  });

  it('connections-blocked with the connection list kept for an hour: the memory alarm has it asked at once, so the blocked publisher is reported, and resolves when the alarm clears', async () => {
    const vhost = { kind: 'vhost' as const, name: 'nova', vhost: 'nova' };
    // An oslo connection name (argv0:pid:uuid), so the finding names the service's binary.
    const SLOW_TIER_PUBLISHER = 'nova-api:4343:6b3c2f1e-5a7d-4c1e-9f00-3e2d1c0b4a59';
    const slow = await startTestAgent(configFor(broker, { interval: '1s', inventoryInterval: '2s', connectionsInterval: '1h' }));
    const latest = () => slow.clusters[0]!.poller.status().latest!;
    const publisher = await clients.connect(SLOW_TIER_PUBLISHER, 'nova');
    try {
      const ch: Channel = await publisher.createChannel();
      await ch.assertQueue('warren.blocked-slow', { durable: false });
      // Once the list holds the publisher and its channel, a steady broker is not listed again.
      let listedAt = 0;
      await eventually(async () => {
        await slow.waitForPolls(1);
        listedAt = latest().poll.connectionsListedAt;
        expect(latest().connections.filter((c) => c.clientName === SLOW_TIER_PUBLISHER).map((c) => c.channels)).toEqual([1]);
        await slow.waitForPolls(3);
        expect(latest().poll.connectionsListedAt).toBe(listedAt);
      }, 45_000, 0);

      const blocked = once(publisher, 'blocked');
      await withFault(
        () => broker.ctl('set_vm_memory_high_watermark', '0.0001'),
        () => broker.ctl('set_vm_memory_high_watermark', DEFAULT_WATERMARK),
        async (removeFault) => {
          ch.sendToQueue('warren.blocked-slow', Buffer.from('held back by the alarm'));
          await blocked;
          await expectFinding(slow, 'connections-blocked', vhost, 'critical', (f) => {
            expect(f.evidence.blocked).toBe(1);
            expect(f.evidence.clients).toEqual(['nova-api']);
          });
          expect(latest().poll.connectionsListedAt).toBeGreaterThan(listedAt);
          const unblocked = once(publisher, 'unblocked');
          await removeFault();
          await unblocked;
          await expectNoFinding(slow, 'connections-blocked', vhost);
        },
      );
      // Alarm over, nothing blocked: the list is kept again.
      await eventually(async () => {
        await slow.waitForPolls(1);
        const at = latest().poll.connectionsListedAt;
        await slow.waitForPolls(2);
        expect(latest().poll.connectionsListedAt).toBe(at);
      }, 30_000, 0);
    } finally {
      await clients.close(publisher);
      await slow.stop();
    }
  });

  it('disk alarm: disk-alarm (critical) on the node, firing at once; clears when the limit is restored', async () => {
    const node = { kind: 'node' as const, name: broker.nodeName };
    await withFault(
      // More than the disk holds: the alarm is certain.
      () => broker.ctl('set_disk_free_limit', '100000GB'),
      () => broker.ctl('set_disk_free_limit', DEFAULT_DISK_LIMIT),
      async (removeFault) => {
        await expectFinding(agent, 'disk-alarm', node, 'critical', (f) => {
          expect(f.evidence.diskAlarm).toBe(true);
          expect(f.evidence.diskFreeLimit).toBe(100000e9);
          expect(f.evidence.diskFree as number).toBeLessThan(f.evidence.diskFreeLimit as number);
        });
        expect(findingsFor(agent, 'disk-low', node)).toEqual([]);
        await expectFiring(agent, cluster, 'disk-alarm', node, 'critical');
        await removeFault();
        await expectNoFinding(agent, 'disk-alarm', node);
      },
    );
  });

  it('disk-low: free disk under twice the limit but above it gives a warning, not the alarm; clears when the limit is restored', async () => {
    const node = { kind: 'node' as const, name: broker.nodeName };
    const before = await nodeStats();
    // 0.6 × free: free is then about 1.7 × the limit, inside (limit, 2 × limit).
    const limit = Math.floor(before.disk_free * 0.6);
    await withFault(
      () => broker.ctl('set_disk_free_limit', String(limit)),
      () => broker.ctl('set_disk_free_limit', DEFAULT_DISK_LIMIT),
      async (removeFault) => {
        await expectFinding(agent, 'disk-low', node, 'warning', (f) => {
          expect(f.evidence.diskFreeLimit).toBe(limit);
          expect(f.evidence.diskFree as number).toBeGreaterThan(limit);
          expect(f.evidence.diskFree as number).toBeLessThan(2 * limit);
        });
        expect(findingsFor(agent, 'disk-alarm', node)).toEqual([]);
        expect((await nodeStats()).disk_free_alarm).toBe(false);
        await removeFault();
        await expectNoFinding(agent, 'disk-low', node);
      },
    );
  });

  it('memory-high: a watermark just above what the node uses gives a warning, not the alarm; clears at the default watermark', async () => {
    const node = { kind: 'node' as const, name: broker.nodeName };
    await withFault(
      async () => undefined, // injected below, aimed at what the node uses
      () => broker.ctl('set_vm_memory_high_watermark', DEFAULT_WATERMARK),
      async (removeFault) => {
        // The real watermark, set so that the node uses ~88 % of it. Memory moves a little
        // between measurements, so the limit is re-aimed if a try lands outside 80-100 %.
        const belowTheAlarm = (found: Finding) => {
          const ratio = found.evidence.ratio as number;
          expect(ratio).toBeGreaterThanOrEqual(0.8);
          expect(ratio).toBeLessThan(1);
          expect(found.evidence.threshold).toBe(0.8);
          expect(findingsFor(agent, 'memory-alarm', node)).toEqual([]);
        };
        let f: Finding | undefined;
        for (let attempt = 1; !f; attempt++) {
          const { mem_used } = await nodeStats();
          await broker.ctl('set_vm_memory_high_watermark', 'absolute', String(Math.round(mem_used / 0.88)));
          try {
            f = await expectFinding(agent, 'memory-high', node, 'warning', belowTheAlarm, 15_000);
          } catch (err) {
            if (attempt >= 4) throw err;
          }
        }
        expect(f.evidence.memLimit).toBeGreaterThan(0);
        await removeFault();
        await expectNoFinding(agent, 'memory-high', node);
      },
    );
  });
});
