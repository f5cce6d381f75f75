// The oslo RPC ping (src/sources/oslo-ping.ts) against real oslo.messaging RPC servers
// (test/oslo, Debian python3-oslo.messaging) on a real broker: an answer with a latency
// when rpc_ping_enabled is set, "ping not enabled" when it is not, a timeout from a frozen
// server that still holds its consumer, answers again once it runs, and nothing left on
// the broker afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pingRpcServers, type PingResult, type PingTarget } from '../../src/sources/oslo-ping.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { consumes, listConnections, startRpcServer, type OsloProcess } from '../harness/oslo.js';
import { getJson, waitFor } from '../harness/util.js';

let broker: Broker;
let cmpA: OsloProcess;
let cmpB: OsloProcess;
let cinder: OsloProcess;
let scheduler: OsloProcess;

const A: PingTarget = { exchange: 'nova', topic: 'compute', server: 'cmp-a' };
const B: PingTarget = { exchange: 'nova', topic: 'compute', server: 'cmp-b' };
const CINDER: PingTarget = { exchange: 'cinder', topic: 'cinder-volume', server: 'ctl-1@lvm' };
const SCHEDULER: PingTarget = { exchange: 'nova', topic: 'scheduler', server: 'ctl-1' };

beforeAll(async () => {
  broker = await startBroker({ name: 'oslo-ping' });
  [cmpA, cmpB, cinder, scheduler] = await Promise.all([
    startRpcServer(broker, { binary: 'nova-compute', exchange: 'nova', sourceIp: '127.0.0.11', targets: [{ topic: 'compute', server: 'cmp-a' }], ping: true }),
    startRpcServer(broker, { binary: 'nova-compute', exchange: 'nova', sourceIp: '127.0.0.12', targets: [{ topic: 'compute', server: 'cmp-b' }], ping: true }),
    // Without the option: an endpoint of version 1.x answers NoSuchMethod ...
    startRpcServer(broker, { binary: 'cinder-volume', exchange: 'cinder', sourceIp: '127.0.0.10', targets: [{ topic: 'cinder-volume', server: 'ctl-1@lvm' }], ping: false }),
    // ... one of another major version (nova's scheduler API is 4.x) UnsupportedVersion.
    startRpcServer(broker, { binary: 'nova-scheduler', exchange: 'nova', sourceIp: '127.0.0.10', targets: [{ topic: 'scheduler', server: 'ctl-1' }], ping: false, endpointVersion: '4.5' }),
  ]);
});

afterAll(async () => {
  await Promise.all([cmpA, cmpB, cinder, scheduler].map((p) => p?.stop()));
  await broker?.stop();
});

const url = () => broker.amqpUrl;
const byServer = (results: PingResult[]) => new Map(results.map((r) => [`${r.target.topic}.${r.target.server}`, r]));

describe('oslo RPC ping against real oslo.messaging servers', () => {
  it('answered with a latency when rpc_ping_enabled is set; "ping not enabled" when it is not', async () => {
    const results = byServer(await pingRpcServers({ url: url() }, [A, B, CINDER, SCHEDULER], { timeoutMs: 20_000 }));
    for (const key of ['compute.cmp-a', 'compute.cmp-b']) {
      const r = results.get(key)!;
      expect(r.status, JSON.stringify(r)).toBe('answered');
      if (r.status !== 'answered') continue;
      expect(r.result).toBe('pong');
      expect(r.latencyMs).toBeGreaterThan(0);
      expect(Number.isFinite(r.latencyMs)).toBe(true);
    }
    const c = results.get('cinder-volume.ctl-1@lvm')!;
    expect(c).toMatchObject({ status: 'error', notEnabled: true, errorClass: 'NoSuchMethod' });
    const s = results.get('scheduler.ctl-1')!;
    expect(s).toMatchObject({ status: 'error', notEnabled: true, errorClass: 'UnsupportedVersion' });
  });

  it('says it could not send when no queue serves the host, or the exchange does not exist', async () => {
    const results = await pingRpcServers(
      { url: url() },
      [
        { exchange: 'nova', topic: 'compute', server: 'cmp-gone' },
        { exchange: 'glance', topic: 'compute', server: 'cmp-a' },
        A,
      ],
      { timeoutMs: 20_000 },
    );
    expect(results[0]).toMatchObject({ status: 'unsent', reason: expect.stringContaining('no queue bound for compute.cmp-gone on exchange nova') });
    expect(results[1]).toMatchObject({ status: 'unsent', reason: expect.stringContaining('exchange glance not found') });
    // The other pings of the same run are unaffected.
    expect(results[2]!.status).toBe('answered');
  });

  it('a frozen server (SIGSTOP) times out while its consumer is still attached; after SIGCONT it answers again', async () => {
    cmpB.freeze();
    try {
      const inFlight: number[] = [];
      const results = await pingRpcServers({ url: url() }, [B, B, B, A, B], {
        timeoutMs: 4_000,
        concurrency: 2,
        onSent: (_t, n) => inFlight.push(n),
      });
      expect(results.map((r) => r.status)).toEqual(['timeout', 'timeout', 'timeout', 'answered', 'timeout']);
      expect(results[0]).toMatchObject({ status: 'timeout', timeoutMs: 4_000 });
      // Bounded: never more than 2 requests waiting for an answer, and 2 were.
      expect(Math.max(...inFlight)).toBe(2);
      // The broker still shows the frozen process consuming its queue: only the ping tells.
      expect(await consumes(broker, cmpB, 'compute.cmp-b')).toBe(true);
      expect(await consumes(broker, cmpB, 'compute')).toBe(true);
    } finally {
      cmpB.thaw();
    }
    await waitFor(
      async () => {
        const [r] = await pingRpcServers({ url: url() }, [B], { timeoutMs: 10_000 });
        return r!.status === 'answered' && r;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'cmp-b to answer the ping after SIGCONT', onTimeout: () => cmpB.log() },
    );
  });

  it('leaves no queue, exchange or connection behind', async () => {
    const auth = { user: broker.user, password: broker.password };
    const queues = async () => (await getJson<Array<{ name: string }>>(`${broker.mgmtUrl}/api/queues`, { auth })).map((q) => q.name).sort();
    const exchanges = async () => (await getJson<Array<{ name: string }>>(`${broker.mgmtUrl}/api/exchanges`, { auth })).map((e) => e.name).sort();
    // Connections other than the oslo servers' own (which open a reply connection on their
    // first answer, and reconnect after a reply to a queue that is gone).
    const servers = [cmpA, cmpB, cinder, scheduler];
    const connections = async () =>
      (await listConnections(broker))
        .filter((c) => !servers.some((p) => c.client_properties?.connection_name?.startsWith(p.connectionPrefix)))
        .map((c) => `${c.name} ${c.client_properties?.connection_name ?? ''}`)
        .sort();
    const before = { queues: await queues(), exchanges: await exchanges(), connections: await connections() };
    expect(before.queues.some((q) => q.startsWith('amq.gen-'))).toBe(false);
    expect(before.connections).toEqual([]);

    // While it runs, the probe's own connection and reply queue exist (so the counts below mean something).
    let seenDuring: { connection: boolean; replyQueue: boolean } | undefined;
    cmpA.freeze();
    try {
      const run = pingRpcServers({ url: url() }, [A, B, CINDER, SCHEDULER, { exchange: 'heat', topic: 'engine', server: 'ctl-1' }], { timeoutMs: 5_000 });
      seenDuring = await waitFor(
        async () => {
          const conns = await listConnections(broker);
          const connection = conns.some((c) => c.client_properties?.connection_name === 'warren-rpc-ping');
          const replyQueue = (await queues()).some((q) => q.startsWith('amq.gen-'));
          return connection && replyQueue && { connection, replyQueue };
        },
        { timeoutMs: 20_000, what: "the probe's connection and reply queue on the broker" },
      );
      const results = await run;
      expect(results.map((r) => r.status)).toEqual(['timeout', 'answered', 'error', 'error', 'unsent']);
    } finally {
      cmpA.thaw();
    }
    expect(seenDuring).toEqual({ connection: true, replyQueue: true });
    let after: typeof before | undefined;
    await waitFor(
      async () => {
        after = { queues: await queues(), exchanges: await exchanges(), connections: await connections() };
        return JSON.stringify(after) === JSON.stringify(before);
      },
      {
        timeoutMs: 30_000,
        what: 'the broker to hold the same queues, exchanges and connections as before the probe',
        onTimeout: () => `before: ${JSON.stringify(before)}\nafter: ${JSON.stringify(after)}`,
      },
    );
  });
});
