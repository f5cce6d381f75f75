// Issue 17 item 2 without a broker: the RPC ping's schedule (spread over the interval, one
// ping per server at a time, at most maxInFlight out) driven by a fake clock, what the
// rule openstack-rpc-server-unresponsive makes of the outcomes, the series exported, which
// servers are pinged, and the config. Against real oslo.messaging servers:
// test/integration/oslo-ping-agent.test.ts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { ExpositionWriter } from '../../src/metrics/exposition.js';
import { renderRpcPingMetrics } from '../../src/metrics/rpc-ping.js';
import { buildTopicTable, controlExchangeOf } from '../../src/openstack/index.js';
import { buildReport, renderText } from '../../src/report/index.js';
import { catalogue, ruleById } from '../../src/rules/catalogue.js';
import { emptyLearned } from '../../src/rules/learn.js';
import { thresholdLookup } from '../../src/rules/thresholds.js';
import type { RuleContext } from '../../src/rules/types.js';
import { rpcPingTargets } from '../../src/server/rpc-ping.js';
import type { OpenStackView } from '../../src/snapshot/index.js';
import { slotOffsets, startRpcPingLoop, type RpcPingStatus, type RpcServerTarget } from '../../src/sources/oslo-ping-loop.js';
import type { PingOutcome, PingResult, PingTarget } from '../../src/sources/oslo-ping.js';
import { FakeClock, settle } from '../support/clock.js';
import { makeQueue, makeSnapshot } from '../support/snapshot.js';
import { brokerInput, GENERATED_AT } from './report-fixture.js';

const server = (host: string, topic = 'compute', service = 'nova', vhost = '/'): RpcServerTarget => ({ service, topic, host, vhost, exchange: controlExchangeOf(service) });

/** A ping stub: records each send with the clock's time; each server answers after `latencyMs`, or as `behave` says. */
function stubPing(clock: FakeClock, behave: (t: PingTarget) => { afterMs: number; outcome: PingOutcome }) {
  const sent: Array<{ at: number; server: string; vhost: string }> = [];
  let out = 0;
  let maxOut = 0;
  const ping = async (vhost: string, targets: readonly PingTarget[]): Promise<PingResult[]> => {
    for (const t of targets) sent.push({ at: clock.now(), server: t.server, vhost });
    out += targets.length;
    maxOut = Math.max(maxOut, out);
    // The batch settles when its slowest ping does, as pingRpcServers does.
    const each = targets.map((t) => behave(t));
    await clock.delay(Math.max(...each.map((e) => e.afterMs)));
    out -= targets.length;
    return targets.map((target, i) => ({ target, ...each[i]!.outcome }) as PingResult);
  };
  return { ping, sent, maxOut: () => maxOut };
}

const answered = (afterMs = 50) => ({ afterMs, outcome: { status: 'answered', latencyMs: afterMs, result: 'pong' } as PingOutcome });
const timedOut = (timeoutMs = 10_000) => ({ afterMs: timeoutMs, outcome: { status: 'timeout', timeoutMs } as PingOutcome });

describe('the RPC ping schedule', () => {
  it('deals the servers over the interval in slots at least a second apart', () => {
    expect(slotOffsets(4, 30_000)).toEqual([0, 7500, 15_000, 22_500]);
    expect(slotOffsets(3, 2000)).toEqual([0, 0, 1000]);
    expect(slotOffsets(1, 30_000)).toEqual([0]);
    expect(new Set(slotOffsets(1000, 30_000)).size).toBe(30);
    expect(Math.max(...slotOffsets(1000, 30_000))).toBeLessThan(30_000);
  });

  it('pings each server once per interval, spread over it, not in a burst at its start', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const hosts = Array.from({ length: 10 }, (_, i) => server(`cmp-${i}`));
    const stub = stubPing(clock, () => answered());
    const loop = startRpcPingLoop({ clock, intervalMs: 10_000, maxInFlight: 20, targets: () => hosts, ping: stub.ping });
    await clock.advance(30_000 - 1);
    await loop.stop();
    // Three rounds: each server three times, once in each interval.
    for (const h of hosts) {
      const times = stub.sent.filter((s) => s.server === h.host).map((s) => s.at - t0);
      expect(times, h.host).toHaveLength(3);
      expect(times.map((t) => Math.floor(t / 10_000))).toEqual([0, 1, 2]);
    }
    // Spread: ten distinct send times one second apart in the first round.
    const first = stub.sent.filter((s) => s.at - t0 < 10_000).map((s) => s.at - t0);
    expect(first).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000]);
    expect(loop.results().map((r) => r.state)).toEqual(Array(10).fill('answered'));
    expect(loop.results()[0]!.latencySeconds).toBe(0.05);
  });

  it('never has more than maxInFlight pings out; the rest go as pings end, within the round', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const hosts = Array.from({ length: 6 }, (_, i) => server(`cmp-${i}`));
    // Every server is slow: 3 s to answer, and 6 servers due in the first 5 s with room for 2.
    const stub = stubPing(clock, () => answered(3000));
    const loop = startRpcPingLoop({ clock, intervalMs: 6000, maxInFlight: 2, targets: () => hosts, ping: stub.ping });
    const seen: number[] = [];
    for (let i = 0; i < 60; i++) {
      await clock.advance(100);
      seen.push(loop.inFlight());
    }
    // stop() waits for the pings out, which end as the clock moves on.
    const stopped = loop.stop();
    await clock.advance(3000);
    await stopped;
    expect(Math.max(...seen)).toBe(2);
    expect(stub.maxOut()).toBe(2);
    // Room for 2 every 3 s: 4 sent in the first 6 s round; the two held back past its end are dropped, not piled up.
    expect(stub.sent.filter((s) => s.at - t0 < 6000).map((s) => s.server)).toEqual(['cmp-0', 'cmp-1', 'cmp-2', 'cmp-3']);
  });

  it('a server whose ping is still out when its next turn comes is skipped, never pinged twice at once', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const stub = stubPing(clock, (t) => (t.server === 'frozen' ? timedOut(5000) : answered()));
    const loop = startRpcPingLoop({ clock, intervalMs: 2000, maxInFlight: 20, targets: () => [server('frozen'), server('ok')], ping: stub.ping });
    await clock.advance(12_000 - 1);
    await loop.stop();
    const frozen = stub.sent.filter((s) => s.server === 'frozen').map((s) => s.at - t0);
    // Sent at 0, out until 5 s: the turns at 2 s and 4 s are skipped; again at 6 s, out until 11 s.
    expect(frozen).toEqual([0, 6000]);
    expect(stub.sent.filter((s) => s.server === 'ok')).toHaveLength(6);
  });

  it('counts unanswered pings in a row; any answer resets the count, an unsent ping leaves it', async () => {
    const clock = new FakeClock();
    const plan: PingOutcome[] = [
      { status: 'timeout', timeoutMs: 500 },
      { status: 'timeout', timeoutMs: 500 },
      { status: 'unsent', reason: 'cannot connect: connection refused' },
      { status: 'error', latencyMs: 20, notEnabled: true, errorClass: 'NoSuchMethod', message: 'Endpoint does not support RPC method oslo_rpc_server_ping' },
      { status: 'timeout', timeoutMs: 500 },
      { status: 'answered', latencyMs: 20, result: 'pong' },
    ];
    let i = 0;
    const states: Array<[string, number]> = [];
    const loop = startRpcPingLoop({
      clock,
      intervalMs: 1000,
      maxInFlight: 20,
      targets: () => [server('cmp-a')],
      ping: async (_vhost, targets) => {
        const outcome = plan[i++] ?? plan[plan.length - 1]!;
        await clock.delay(100);
        return targets.map((target) => ({ target, ...outcome }) as PingResult);
      },
      onResult: (s: RpcPingStatus) => states.push([s.state, s.consecutiveFailures]),
    });
    await clock.advance(6000 - 1);
    await loop.stop();
    expect(states).toEqual([
      ['timeout', 1],
      ['timeout', 2],
      ['unsent', 2],
      ['not-enabled', 0],
      ['timeout', 1],
      ['answered', 0],
    ]);
  });

  it('forgets a server gone from the list; groups each slot by vhost', async () => {
    const clock = new FakeClock();
    let list = [server('cmp-a', 'compute', 'nova', '/'), server('ctl-1', 'q-plugin', 'neutron', '/neutron')];
    const stub = stubPing(clock, () => answered());
    const loop = startRpcPingLoop({ clock, intervalMs: 1000, maxInFlight: 20, targets: () => list, ping: stub.ping });
    await clock.advance(500);
    expect(stub.sent.map((s) => [s.server, s.vhost])).toEqual([
      ['cmp-a', '/'],
      ['ctl-1', '/neutron'],
    ]);
    expect(loop.results()).toHaveLength(2);
    list = [list[0]!];
    await clock.advance(1000);
    expect(loop.results().map((r) => r.target.host)).toEqual(['cmp-a']);
    await loop.stop();
    const sentAtStop = stub.sent.length;
    await clock.advance(5000);
    await settle();
    expect(stub.sent.length).toBe(sentAtStop);
  });
});

// ---- the rule --------------------------------------------------------------------------

const lookup = thresholdLookup({ disabled: [], thresholds: {}, overrides: [] }, catalogue);
const status = (target: RpcServerTarget, consecutiveFailures: number, state: RpcPingStatus['state'] = consecutiveFailures > 0 ? 'timeout' : 'answered'): RpcPingStatus => ({
  target,
  at: 1_700_000_000_000,
  state,
  latencySeconds: state === 'timeout' || state === 'unsent' ? null : 0.01,
  consecutiveFailures,
  detail: state === 'timeout' ? 'no answer within 10 s' : state === 'not-enabled' ? 'NoSuchMethod: Endpoint does not support RPC method oslo_rpc_server_ping' : null,
});
const hostQueue = (topic: string, host: string, service: string, consumers: number) =>
  makeQueue({ name: `${topic}.${host}`, consumers, role: { service, kind: 'rpc_host', topic, host } });

function judge(rpcPing: readonly RpcPingStatus[] | undefined, consumers: Record<string, number>, l = lookup) {
  const queues = [
    hostQueue('compute', 'cmp-a', 'nova', consumers['compute.cmp-a'] ?? 1),
    hostQueue('compute', 'cmp-b', 'nova', consumers['compute.cmp-b'] ?? 1),
    hostQueue('conductor', 'ctl-1', 'nova', consumers['conductor.ctl-1'] ?? 1),
    hostQueue('cinder-volume', 'ctl-1@lvm', 'cinder', consumers['cinder-volume.ctl-1@lvm'] ?? 1),
    hostQueue('dhcp_agent', 'net-1', 'neutron', consumers['dhcp_agent.net-1'] ?? 1),
    hostQueue('scheduler', 'ctl-1', 'nova', consumers['scheduler.ctl-1'] ?? 1),
  ];
  const snapshot = makeSnapshot({ queues });
  const ctx: RuleContext = { now: snapshot.takenAt, snapshot, history: [snapshot], learned: emptyLearned(), oneShot: false, ...(rpcPing ? { rpcPing } : {}) };
  return ruleById('openstack-rpc-server-unresponsive')!.evaluate(ctx, l);
}

describe('openstack-rpc-server-unresponsive', () => {
  it('fires on two unanswered pings in a row while the queue has a consumer: critical for compute, conductor and cinder-volume, else warning', () => {
    const f = judge(
      [
        status(server('cmp-a'), 2),
        status(server('cmp-b'), 1),
        status(server('ctl-1', 'conductor'), 3),
        status(server('ctl-1@lvm', 'cinder-volume', 'cinder'), 2),
        status(server('net-1', 'dhcp_agent', 'neutron'), 2),
      ],
      {},
    );
    expect(f.map((x) => [x.subject.name, x.severity])).toEqual([
      ['compute.cmp-a', 'critical'],
      ['conductor.ctl-1', 'critical'],
      ['cinder-volume.ctl-1@lvm', 'critical'],
      ['dhcp_agent.net-1', 'warning'],
    ]);
    expect(f[0]).toMatchObject({ subject: { kind: 'queue', name: 'compute.cmp-a', vhost: '/' }, labels: { service: 'nova', host: 'cmp-a' } });
    expect(f[0]!.summary).toContain('left 2 pings in a row unanswered');
    expect(f[0]!.summary).not.toContain('\n');
  });

  it('silent when the server answers, answers with an error (ping not enabled), has lost its consumer, the ping is off, or the rule is disabled', () => {
    expect(judge([status(server('cmp-a'), 0), status(server('ctl-1', 'scheduler'), 0, 'not-enabled')], {})).toEqual([]);
    // No consumer: openstack-host-queue-unconsumed says that, not this rule.
    expect(judge([status(server('cmp-a'), 5)], { 'compute.cmp-a': 0 })).toEqual([]);
    expect(judge(undefined, {})).toEqual([]);
    const off = thresholdLookup({ disabled: ['openstack-rpc-server-unresponsive'], thresholds: {}, overrides: [] }, catalogue);
    expect(judge([status(server('cmp-a'), 2)], {}, off)).toEqual([]);
  });

  it('takes the count from the config', () => {
    const three = thresholdLookup({ disabled: [], thresholds: { 'openstack-rpc-server-unresponsive': { failures: 3 } }, overrides: [] }, catalogue);
    expect(judge([status(server('cmp-a'), 2)], {}, three)).toEqual([]);
    expect(judge([status(server('cmp-a'), 3)], {}, three)).toHaveLength(1);
  });
});

describe('RPC ping metrics', () => {
  it('success (an error answer is alive), latency when answered, unanswered pings in a row; no success sample for an unsent ping', () => {
    const w = new ExpositionWriter();
    renderRpcPingMetrics(w, 'prod', [
      status(server('cmp-a'), 0),
      status(server('cmp-b'), 2),
      status(server('ctl-1', 'scheduler'), 0, 'not-enabled'),
      status(server('cmp-c'), 1, 'unsent'),
    ]);
    const text = w.toString();
    const l = (topic: string, host: string) => `{cluster="prod",service="nova",topic="${topic}",host="${host}"}`;
    expect(text).toContain(`warren_openstack_rpc_ping_success${l('compute', 'cmp-a')} 1`);
    expect(text).toContain(`warren_openstack_rpc_ping_seconds${l('compute', 'cmp-a')} 0.01`);
    expect(text).toContain(`warren_openstack_rpc_ping_success${l('compute', 'cmp-b')} 0`);
    expect(text).not.toContain(`warren_openstack_rpc_ping_seconds${l('compute', 'cmp-b')}`);
    expect(text).toContain(`warren_openstack_rpc_ping_consecutive_failures${l('compute', 'cmp-b')} 2`);
    expect(text).toContain(`warren_openstack_rpc_ping_success${l('scheduler', 'ctl-1')} 1`);
    expect(text).not.toContain(`warren_openstack_rpc_ping_success${l('compute', 'cmp-c')}`);
    expect(text).toContain(`warren_openstack_rpc_ping_consecutive_failures${l('compute', 'cmp-c')} 1`);
  });

  it('nothing when the ping is off', () => {
    const w = new ExpositionWriter();
    renderRpcPingMetrics(w, 'prod', []);
    expect(w.toString()).toBe('');
  });
});

// ---- which servers, and the config ---------------------------------------------------------

function configWith(rpcPing: unknown): ReturnType<typeof loadConfig> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-rpcping-'));
  const file = join(dir, 'warren.yml');
  writeFileSync(file, stringify({ clusters: [{ url: 'http://127.0.0.1:15672', password: 'pw' }], openstack: { rpcPing } }));
  return loadConfig({ config: file });
}

describe('RPC ping targets and config', () => {
  const view = (hostQueues: OpenStackView['hostQueues']): OpenStackView => ({ services: [], hostQueues, connections: [], orphans: { reply: 0, fanout: 0, perProcess: 0, withoutExpiry: 0 }, byKind: [] });
  const hq = (topic: string, host: string, service: string, consumers: number, vhost = '/') => ({ service, topic, host, queue: `${topic}.${host}`, vhost, consumers, messages: 0, ready: 0, idleSince: null });
  const topics = buildTopicTable();

  it('every per-host RPC queue with a consumer, on its service\'s control exchange; not the unconsumed ones nor heat\'s per-process queues', () => {
    const cfg = configWith({});
    const v = view([hq('compute', 'cmp-a', 'nova', 1), hq('compute', 'cmp-b', 'nova', 0), hq('cinder-volume', 'ctl-1@lvm', 'cinder', 1, '/cinder'), hq('engine_worker', 'f00d', 'heat', 1)]);
    expect(rpcPingTargets(cfg.openstack, topics, v)).toEqual([
      { service: 'nova', topic: 'compute', host: 'cmp-a', vhost: '/', exchange: 'nova' },
      { service: 'cinder', topic: 'cinder-volume', host: 'ctl-1@lvm', vhost: '/cinder', exchange: 'openstack' },
    ]);
  });

  it('a configured list, its vhost from the view where the queue is known, exchanges overridden per service', () => {
    const cfg = configWith({ targets: [{ topic: 'compute', host: 'cmp-b' }, { topic: 'cinder-volume', host: 'ctl-2@ceph', vhost: '/c' }], exchanges: { cinder: 'cinder' } });
    const v = view([hq('compute', 'cmp-a', 'nova', 1), hq('compute', 'cmp-b', 'nova', 0, '/nova')]);
    expect(rpcPingTargets(cfg.openstack, topics, v)).toEqual([
      { service: 'nova', topic: 'compute', host: 'cmp-b', vhost: '/nova', exchange: 'nova' },
      { service: 'cinder', topic: 'cinder-volume', host: 'ctl-2@ceph', vhost: '/c', exchange: 'cinder' },
    ]);
  });

  it('defaults: on once configured, 10 s timeout, 20 in flight, the poll interval; off without the key', () => {
    const on = configWith({}).openstack.rpcPing!;
    expect(on).toMatchObject({ enabled: true, timeout: 10_000, maxInFlight: 20 });
    expect(on.interval).toBeUndefined();
    expect(configWith({ interval: '5s', timeout: '2s', maxInFlight: 4, enabled: false }).openstack.rpcPing).toMatchObject({ enabled: false, interval: 5000, timeout: 2000, maxInFlight: 4 });
    expect(configWith(undefined).openstack.rpcPing).toBeUndefined();
  });

  it('refuses an interval under 1 s and a maxInFlight of 0, naming the key', () => {
    expect(() => configWith({ interval: '500ms' })).toThrow(ConfigError);
    expect(() => configWith({ interval: '500ms' })).toThrow(/openstack\.rpcPing\.interval/);
    expect(() => configWith({ maxInFlight: 0 })).toThrow(/openstack\.rpcPing\.maxInFlight/);
  });

  it('reads the password from passwordFile and never shows it in an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-rpcping-pw-'));
    writeFileSync(join(dir, 'pw'), 's3cret-ping\n');
    expect(configWith({ user: 'pinger', passwordFile: join(dir, 'pw') }).openstack.rpcPing).toMatchObject({ user: 'pinger', password: 's3cret-ping' });
    let message = '';
    try {
      configWith({ user: 'pinger', password: 's3cret-ping', interval: 'soon' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/openstack\.rpcPing\.interval/);
    expect(message).not.toContain('s3cret-ping');
  });
});

describe('RPC ping in the report', () => {
  it('counts servers answered, lists "ping not enabled" and unanswered ones; absent when the ping is off', () => {
    const results = [status(server('cmp-a'), 0), status(server('cmp-b'), 2), status(server('ctl-1', 'conductor'), 0, 'not-enabled')];
    const withPing = buildReport([{ ...brokerInput(), rpcPing: results }], GENERATED_AT);
    expect(withPing.clusters[0]!.openstack.rpcPing).toEqual({
      servers: 3,
      answered: 2,
      notEnabled: [{ service: 'nova', topic: 'conductor', host: 'ctl-1', consecutiveFailures: 0, detail: expect.stringContaining('NoSuchMethod') }],
      unanswered: [{ service: 'nova', topic: 'compute', host: 'cmp-b', consecutiveFailures: 2, detail: 'no answer within 10 s' }],
    });
    expect(renderText(withPing, { color: false })).toContain('RPC ping: 2 of 3 servers answered; ping not enabled on conductor.ctl-1; no answer from compute.cmp-b');
    const without = buildReport([brokerInput()], GENERATED_AT);
    expect(without.clusters[0]!.openstack).not.toHaveProperty('rpcPing');
    expect(renderText(without, { color: false })).not.toContain('RPC ping');
  });
});
