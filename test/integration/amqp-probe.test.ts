// Issue 17, the AMQP probe on a real broker: clients shut out while the management API
// stays up (a vhost connection limit of 0, a node in maintenance) -> amqp-probe-failed
// while node-down stays silent, resolved when clients get in again; a memory alarm ->
// the publish phase fails (confirm not received); and nothing left behind on the broker
// (queues, exchanges, connections) after probe runs, after the agent stops and after
// SIGTERM to `warren run`. The probe logs in as its own least-privileged user: the
// permissions README documents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/server/agent.js';
import { probeTarget, targetsFromListeners, type ProbeResult } from '../../src/sources/amqp-probe.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { run } from '../harness/util.js';
import { configFileFor, configFor, eventually, metric, scrape, startTestAgent } from '../support/agent.js';
import { startDaemon } from '../support/cli.js';
import { configuredNameOf, expectFinding, expectFiring, expectNoFinding, findingsFor, mgmt, mgmtChange, withFault } from '../support/faults.js';

const VHOST = 'probe';
const PROBE_USER = 'warren-probe';
const PROBE_PASSWORD = 'probe-secret-7d1f';
// Seconds: the probe runs every 4 s with 3 s per phase; the polls run every second.
const PROBE_INTERVAL_S = 4;
const PROBE = { vhost: VHOST, interval: `${PROBE_INTERVAL_S}s`, timeout: '3s', user: PROBE_USER, password: PROBE_PASSWORD };
/** "Within two probe intervals", plus a poll and room for a loaded machine. */
const TWO_INTERVALS_MS = 2 * PROBE_INTERVAL_S * 1000 + 15_000;

let broker: Broker;
let agent: Agent | undefined;
let node: { kind: 'node'; name: string };
let cluster: string;

/** rabbitmq-upgrade against the harness node, with the environment its rabbitmqctl uses. */
async function upgrade(...args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RABBITMQ_') && !k.startsWith('ERL_') && k !== 'HOME') env[k] = v;
  Object.assign(env, { HOME: broker.dir, RABBITMQ_NODENAME: broker.nodeName, RABBITMQ_USE_LONGNAME: 'false', RABBITMQ_CONF_ENV_FILE: `${broker.dir}/none` });
  const { stdout } = await run('/usr/lib/rabbitmq/bin/rabbitmq-upgrade', ['-n', broker.nodeName, ...args], { env, timeoutMs: 120_000, label: `rabbitmq-upgrade ${args[0] ?? ''}` });
  return stdout;
}

/** What the broker itself holds, from rabbitmqctl (no management stats delay). */
async function brokerHolds(): Promise<{ queues: string[]; exchanges: string[]; probeConnections: number }> {
  const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);
  const queues = lines(await broker.ctl('list_queues', '-p', VHOST, '--silent', '--no-table-headers', 'name'));
  const exchanges = lines(await broker.ctl('list_exchanges', '-p', VHOST, '--silent', '--no-table-headers', 'name')).sort();
  const users = lines(await broker.ctl('list_connections', '--silent', '--no-table-headers', 'user'));
  return { queues, exchanges, probeConnections: users.filter((u) => u === PROBE_USER).length };
}

let defaultExchanges: string[];

beforeAll(async () => {
  broker = await startBroker({ name: 'amqp-probe' });
  await mgmtChange(broker, 'PUT', `/api/vhosts/${VHOST}`, {});
  await mgmtChange(broker, 'PUT', `/api/users/${PROBE_USER}`, { password: PROBE_PASSWORD, tags: '' });
  // The minimum README documents: server-named queues (amq.gen-*) and the default exchange.
  await mgmtChange(broker, 'PUT', `/api/permissions/${VHOST}/${PROBE_USER}`, { configure: '^amq\\.gen-.*', write: '^amq\\.(gen-.*|default)$', read: '^amq\\.gen-.*' });
  node = { kind: 'node', name: broker.nodeName };
  cluster = configuredNameOf(broker);
  defaultExchanges = (await brokerHolds()).exchanges;
});

afterAll(async () => {
  await agent?.stop();
  await broker?.stop();
});

const probeOf = (a: Agent): readonly ProbeResult[] => a.clusters[0]!.probe?.results() ?? [];

describe('the AMQP probe against a real broker', () => {
  it('finds the AMQP listener from /api/overview and succeeds on every phase as the least-privileged probe user', async () => {
    const listeners = await mgmt<{ listeners: unknown }>(broker, '/api/overview?columns=listeners');
    const targets = targetsFromListeners(listeners.listeners);
    expect(targets).toEqual([{ node: broker.nodeName, protocol: 'amqp', host: '127.0.0.1', port: Number(new URL(broker.amqpUrl).port) }]);

    const result = await probeTarget(targets[0]!, { user: PROBE_USER, password: PROBE_PASSWORD, vhost: VHOST, phaseTimeoutMs: 10_000 });
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true, failedPhase: null, error: null });
    expect(Object.keys(result.durations).sort()).toEqual(['channel', 'connect', 'consume', 'declare', 'publish']);
    // A probe run leaves nothing behind.
    await eventually(async () => expect(await brokerHolds()).toEqual({ queues: [], exchanges: defaultExchanges, probeConnections: 0 }), 15_000);

    // A wrong password is a connect failure that does not repeat the password.
    const bad = await probeTarget(targets[0]!, { user: PROBE_USER, password: 'not-the-password-xyz', vhost: VHOST, phaseTimeoutMs: 10_000 });
    expect(bad).toMatchObject({ ok: false, failedPhase: 'connect' });
    expect(bad.error).not.toContain('not-the-password-xyz');
  });

  it('in the daemon: warren_probe_success 1 with a duration per phase, and no probe finding on a healthy broker', async () => {
    agent = await startTestAgent(configFor(broker, { interval: '1s', probe: PROBE }));
    const a = agent;
    await eventually(async () => {
      const { body } = await scrape(a);
      expect(metric(body, 'warren_probe_success', { node: broker.nodeName, protocol: 'amqp' })).toBe(1);
      for (const phase of ['connect', 'channel', 'declare', 'publish', 'consume']) {
        expect(metric(body, 'warren_probe_duration_seconds', { node: broker.nodeName, protocol: 'amqp', phase })).toBeGreaterThanOrEqual(0);
      }
    }, 30_000);
    await a.waitForPolls(2);
    expect(findingsFor(a, 'amqp-probe-failed', node)).toEqual([]);
    expect(findingsFor(a, 'amqp-probe-slow', node)).toEqual([]);
  });

  it('a vhost connection limit of 0: amqp-probe-failed at connect within two probe intervals, node-down silent; resolved when lifted', async () => {
    const a = agent!;
    await withFault(
      () => broker.ctl('set_vhost_limits', '-p', VHOST, '{"max-connections": 0}'),
      () => broker.ctl('clear_vhost_limits', '-p', VHOST),
      async (removeFault) => {
        const f = await expectFinding(a, 'amqp-probe-failed', node, 'critical', (x) => {
          expect(x.summary).toContain('failed at connect');
        }, TWO_INTERVALS_MS);
        expect(f.summary).not.toContain(PROBE_PASSWORD);
        await expectFiring(a, cluster, 'amqp-probe-failed', node, 'critical');
        expect(findingsFor(a, 'node-down', node)).toEqual([]);
        const { body } = await scrape(a);
        expect(metric(body, 'warren_probe_success', { node: broker.nodeName, protocol: 'amqp' })).toBe(0);
        await removeFault();
        await expectNoFinding(a, 'amqp-probe-failed', node, { timeoutMs: TWO_INTERVALS_MS + 30_000 });
        // The alert resolves after the engine's hysteresis (absent for 3 evaluations and 60 s).
        await eventually(() => expect(a.alerts().filter((x) => x.rule === 'amqp-probe-failed')).toEqual([]), 120_000, 1000);
      },
    );
  });

  it('a memory alarm: the publish phase fails (confirm not received) within one interval; the blocked connection is not left behind', async () => {
    const a = agent!;
    await withFault(
      () => broker.ctl('set_vm_memory_high_watermark', '0.0001'),
      () => broker.ctl('set_vm_memory_high_watermark', '0.4'),
      async (removeFault) => {
        const f = await expectFinding(a, 'amqp-probe-failed', node, 'critical', (x) => {
          expect(x.summary).toContain('failed at publish');
          expect(x.summary).toContain('confirm not received');
        }, TWO_INTERVALS_MS);
        const failed = (f.evidence.failed as Array<{ phase: string }>)[0]!;
        expect(failed.phase).toBe('publish');
        // The phase deadline, not the interval, ended the round: connect to declare passed.
        const last = probeOf(a).find((r) => r.node === broker.nodeName)!;
        if (!last.ok && last.failedPhase === 'publish') expect(Object.keys(last.durations).sort()).toEqual(['channel', 'connect', 'declare']);
        expect(findingsFor(a, 'node-down', node)).toEqual([]);
        await removeFault();
        await expectNoFinding(a, 'amqp-probe-failed', node, { timeoutMs: TWO_INTERVALS_MS + 30_000 });
      },
    );
  });

  it('a node in maintenance (rabbitmq-upgrade drain, HTTP listeners resumed): amqp-probe-failed, node-down silent; revive resolves it', async () => {
    const a = agent!;
    const ports = [new URL(broker.mgmtUrl).port, new URL(broker.promUrl).port].join(',');
    // drain suspends every ranch listener on 3.10, management and prometheus included: resume those two.
    const resumeHttp = `maps:fold(fun(Ref, Info, Acc) -> case lists:member(maps:get(port, Info), [${ports}]) of true -> [ranch:resume_listener(Ref) | Acc]; false -> Acc end end, [], ranch:info()).`;
    await withFault(
      async () => {
        await upgrade('drain');
        await broker.ctl('eval', resumeHttp);
      },
      () => upgrade('revive'),
      async (removeFault) => {
        const f = await expectFinding(a, 'amqp-probe-failed', node, 'critical', (x) => expect(x.summary).toContain('failed at connect'), TWO_INTERVALS_MS + 30_000);
        expect(f.summary.length).toBeLessThan(400);
        // The management API answers and says the node runs: node-down has nothing to say.
        expect(findingsFor(a, 'node-down', node)).toEqual([]);
        expect(findingsFor(a, 'node-down', { kind: 'cluster', name: cluster })).toEqual([]);
        await removeFault();
        await expectNoFinding(a, 'amqp-probe-failed', node, { timeoutMs: TWO_INTERVALS_MS + 30_000 });
      },
    );
  });

  it('after the agent stops, the broker holds no probe queue, exchange or connection', async () => {
    await agent!.stop();
    agent = undefined;
    // Nothing probes any more: waiting only lets the broker finish dropping a destroyed socket's connection.
    await eventually(async () => expect(await brokerHolds()).toEqual({ queues: [], exchanges: defaultExchanges, probeConnections: 0 }), 15_000);
  });

  it('SIGTERM to `warren run` during probing leaves nothing behind', async () => {
    const file = configFileFor(broker, { interval: '1s', probe: { ...PROBE, interval: '1s', timeout: '1s' } });
    const daemon = await startDaemon(['--config', file]);
    try {
      await eventually(async () => {
        const res = await fetch(`${daemon.url}/metrics`);
        expect(metric(await res.text(), 'warren_probe_success', { node: broker.nodeName, protocol: 'amqp' })).toBe(1);
      }, 30_000);
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
    expect(daemon.output()).not.toContain(PROBE_PASSWORD);
    await eventually(async () => expect(await brokerHolds()).toEqual({ queues: [], exchanges: defaultExchanges, probeConnections: 0 }), 15_000);
  });
});
