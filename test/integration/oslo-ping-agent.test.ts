// The oslo RPC ping in the daemon (config openstack.rpcPing) against real oslo.messaging
// RPC servers (test/harness/oslo.ts): a latency per compute host on /metrics, a server
// without rpc_ping_enabled reported as "ping not enabled" and never alerted on, a compute
// server frozen with SIGSTOP alerted as openstack-rpc-server-unresponsive while the broker
// still shows its consumer, and resolved after SIGCONT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/index.js';
import type { Agent } from '../../src/server/agent.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { CLOUD_HOSTS, consumes, startRpcServer, type OsloProcess } from '../harness/oslo.js';
import { waitFor } from '../harness/util.js';
import { configFor, metric, startTestAgent } from '../support/agent.js';
import { configuredNameOf } from '../support/faults.js';
import { serviceAmqpUrl } from '../support/service-user.js';

const RULE = 'openstack-rpc-server-unresponsive';
// Long enough that the broker keeps a frozen process's connection (and consumer) for the whole freeze.
const HEARTBEAT_TIMEOUT = 600;

let broker: Broker;
let services: Broker;
let cmpA: OsloProcess;
let cmpB: OsloProcess;
let conductor: OsloProcess;
let agent: Agent;

interface PublicAlert {
  cluster: string;
  rule: string;
  state: string;
  severity: string;
  summary: string;
  subject: { kind: string; name: string; vhost?: string };
  labels: Record<string, string>;
}

async function alerts(): Promise<PublicAlert[]> {
  return (await (await fetch(`${agent.url}/alerts`)).json()) as PublicAlert[];
}

const pings = () => agent.clusters[0]!.rpcPing?.results() ?? [];
const pingOf = (topic: string, host: string) => pings().find((p) => p.target.topic === topic && p.target.host === host);
const metrics = async () => (await fetch(`${agent.url}/metrics`)).text();
const labels = (topic: string, host: string) => ({ service: 'nova', topic, host });

beforeAll(async () => {
  broker = await startBroker({ name: 'oslo-ping-agent', extraConfig: ['collect_statistics_interval = 1000'] });
  // The services as a user of their own without tags (an administrator would trip the security rules).
  services = { ...broker, amqpUrl: await serviceAmqpUrl(broker) };
  const server = (binary: string, host: keyof typeof CLOUD_HOSTS, topic: string, ping: boolean) =>
    startRpcServer(services, { binary, exchange: 'nova', sourceIp: CLOUD_HOSTS[host], targets: [{ topic, server: host }], ping, heartbeatTimeout: HEARTBEAT_TIMEOUT });
  [cmpA, cmpB, conductor] = await Promise.all([
    server('nova-compute', 'cmp-a', 'compute', true),
    server('nova-compute', 'cmp-b', 'compute', true),
    // Without rpc_ping_enabled: it answers NoSuchMethod, which is alive.
    server('nova-conductor', 'ctl-1', 'conductor', false),
  ]);
  // A 2 s ping interval (the poll interval) and a 2 s answer timeout keep the test short.
  agent = await startTestAgent(configFor(broker, { interval: '2s' }, { openstack: { rpcPing: { timeout: '2s' } } }));
}, 240_000);

afterAll(async () => {
  await agent?.stop();
  await Promise.all([cmpA, cmpB, conductor].map((p) => p?.stop()));
  await broker?.stop();
});

describe('the oslo RPC ping in the daemon, against real oslo.messaging servers', () => {
  it('exports a ping latency per compute host; the server without the ping option is "ping not enabled", and nothing is alerted', async () => {
    const text = await waitFor(
      async () => {
        const t = await metrics();
        const ok = ['cmp-a', 'cmp-b'].every((h) => (metric(t, 'warren_openstack_rpc_ping_seconds', labels('compute', h)) ?? 0) > 0);
        return ok && pingOf('conductor', 'ctl-1') && t;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'a ping latency for compute.cmp-a and compute.cmp-b on /metrics', onTimeout: () => JSON.stringify(pings()) },
    );
    for (const h of ['cmp-a', 'cmp-b']) {
      expect(metric(text, 'warren_openstack_rpc_ping_success', labels('compute', h)), h).toBe(1);
      expect(metric(text, 'warren_openstack_rpc_ping_consecutive_failures', labels('compute', h)), h).toBe(0);
      expect(pingOf('compute', h)).toMatchObject({ state: 'answered', target: { service: 'nova', exchange: 'nova', vhost: '/' } });
    }
    // An error answer is alive: ping not enabled, success 1, no latency missing.
    expect(pingOf('conductor', 'ctl-1')).toMatchObject({ state: 'not-enabled', consecutiveFailures: 0, detail: expect.stringContaining('NoSuchMethod') });
    await waitFor(async () => (metric(await metrics(), 'warren_openstack_rpc_ping_success', labels('conductor', 'ctl-1')) === 1 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the conductor counted as answering on /metrics',
    });
    // Several rounds later still: no finding and no alert of the rule, the conductor still "not enabled".
    await agent.waitForPolls(4);
    expect(agent.clusters[0]!.findings.filter((f) => f.rule === RULE)).toEqual([]);
    expect((await alerts()).filter((a) => a.rule === RULE)).toEqual([]);
    expect(pingOf('conductor', 'ctl-1')?.state).toBe('not-enabled');
    // The report says it, in JSON and in text.
    const json = (await (await fetch(`${agent.url}/report?format=json`)).json()) as Report;
    const rpc = json.clusters[0]!.openstack.rpcPing!;
    expect(rpc.notEnabled.map((x) => `${x.topic}.${x.host}`)).toEqual(['conductor.ctl-1']);
    expect(rpc.unanswered).toEqual([]);
    expect(rpc).toMatchObject({ servers: 3, answered: 3 });
    const report = await (await fetch(`${agent.url}/report?format=text`)).text();
    expect(report).toContain('RPC ping: 3 of 3 servers answered; ping not enabled on conductor.ctl-1');
  });

  it('a compute server frozen with SIGSTOP: openstack-rpc-server-unresponsive (critical) for that host while its consumer is attached; SIGCONT resolves it', async () => {
    const cluster = configuredNameOf(broker);
    cmpB.freeze();
    try {
      const a = await waitFor(
        async () => (await alerts()).find((x) => x.rule === RULE && x.subject.name === 'compute.cmp-b' && x.state === 'firing'),
        {
          timeoutMs: 60_000,
          intervalMs: 500,
          what: `${RULE} firing for compute.cmp-b`,
          onTimeout: () => JSON.stringify({ pings: pings(), findings: agent.clusters[0]!.findings.map((f) => f.summary) }),
        },
      );
      expect(a).toMatchObject({ cluster, severity: 'critical', subject: { kind: 'queue', name: 'compute.cmp-b', vhost: '/' }, labels: expect.objectContaining({ service: 'nova', host: 'cmp-b' }) });
      expect(a.summary).toContain('pings in a row unanswered');
      expect(pingOf('compute', 'cmp-b')).toMatchObject({ state: 'timeout' });
      expect(pingOf('compute', 'cmp-b')!.consecutiveFailures).toBeGreaterThanOrEqual(2);
      expect(metric(await metrics(), 'warren_openstack_rpc_ping_success', labels('compute', 'cmp-b'))).toBe(0);
      // The broker still shows the frozen process consuming its queue: only the ping tells.
      expect(await consumes(broker, cmpB, 'compute.cmp-b')).toBe(true);
      // Only the frozen host: cmp-a answers, and the conductor is alive.
      const others = (await alerts()).filter((x) => x.rule === RULE && x.subject.name !== 'compute.cmp-b');
      expect(others).toEqual([]);
      expect(pingOf('compute', 'cmp-a')?.state).toBe('answered');
      const text = await (await fetch(`${agent.url}/report?format=text`)).text();
      expect(text).toContain('no answer from compute.cmp-b');
    } finally {
      cmpB.thaw();
    }
    await waitFor(async () => !(await alerts()).some((x) => x.rule === RULE), {
      timeoutMs: 90_000,
      intervalMs: 1000,
      what: `${RULE} to resolve after SIGCONT`,
      onTimeout: () => JSON.stringify(pings()),
    });
    expect(pingOf('compute', 'cmp-b')).toMatchObject({ state: 'answered', consecutiveFailures: 0 });
  });
});
