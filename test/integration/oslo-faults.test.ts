// Faults injected into a real oslo.messaging cloud (test/harness/oslo.ts) and what warren
// says about them, in the daemon and in one-shot reports: a conductor frozen while a
// client calls (openstack-rpc-unacked naming its pid, before the broker's heartbeat
// timeout closes its connection), every conductor stopped (openstack-rpc-topic-unconsumed,
// critical) and restarted (resolved), and expectedNodes on a one-node broker (node-down in
// report, check and the daemon). One broker and one cloud for the file; the tests run in
// order and each puts back what it took away.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/server/agent.js';
import type { Report } from '../../src/report/index.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { CLOUD_HOSTS, connectionsOf, consumes, startCloud, startRpcServer, type Cloud, type OsloProcess } from '../harness/oslo.js';
import { waitFor } from '../harness/util.js';
import { configFileFor, configFor, startTestAgent } from '../support/agent.js';
import { runCli } from '../support/cli.js';
import { serviceAmqpUrl } from '../support/service-user.js';

// Long enough that the broker keeps a frozen process's connection for the whole freeze test.
const HEARTBEAT_TIMEOUT = 600;

let broker: Broker;
/** The broker as the services see it: their own user, without tags (warren watches as the administrator). */
let services: Broker;
let cloud: Cloud;
let agent: Agent;

interface PublicAlert {
  rule: string;
  state: string;
  since: string;
  severity: string;
  summary: string;
  subject: { name: string };
}

async function alerts(): Promise<PublicAlert[]> {
  return (await (await fetch(`${agent.url}/alerts`)).json()) as PublicAlert[];
}

beforeAll(async () => {
  broker = await startBroker({
    name: 'oslo-faults',
    adminUser: { user: 'openstack', password: 'oslo-pw-7c1e' },
    extraConfig: ['collect_statistics_interval = 1000'],
  });
  services = { ...broker, amqpUrl: await serviceAmqpUrl(broker) };
  cloud = await startCloud(services, { heartbeatTimeout: HEARTBEAT_TIMEOUT, callRate: 1, callTimeout: 10 });
  agent = await startTestAgent(configFor(broker, { interval: '2s' }));
}, 240_000);

afterAll(async () => {
  await agent?.stop();
  await cloud?.stop();
  await broker?.stop();
});

function conductorServer(): Promise<OsloProcess> {
  return startRpcServer(services, {
    binary: 'nova-conductor',
    exchange: 'nova',
    sourceIp: CLOUD_HOSTS['ctl-1'],
    targets: [{ topic: 'conductor', server: 'ctl-1' }],
    heartbeatTimeout: HEARTBEAT_TIMEOUT,
  });
}

describe('faults in a real oslo.messaging cloud', () => {
  it('a conductor frozen (SIGSTOP) while a client calls: openstack-rpc-unacked names its pid within 90 s, while the broker still holds its connection', async () => {
    const conductor = cloud.processes.conductor!;
    // The healthy cloud first: the daemon raises no warning or critical finding.
    await agent.waitForPolls(3);
    expect(agent.clusters[0]!.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect((await alerts()).filter((a) => a.rule === 'openstack-rpc-unacked')).toEqual([]);
    const frozenAt = Date.now();
    conductor.freeze();
    try {
      const a = await waitFor(async () => (await alerts()).find((x) => x.rule === 'openstack-rpc-unacked' && x.subject.name === 'conductor'), {
        timeoutMs: 90_000,
        intervalMs: 1000,
        what: 'openstack-rpc-unacked on conductor',
        onTimeout: () => JSON.stringify(agent.clusters[0]!.findings.map((f) => f.summary)),
      });
      expect(a.state).toBe('firing');
      expect(a.summary).toContain(`nova-conductor:${conductor.pid}@`);
      expect(Date.now() - frozenAt).toBeLessThan(90_000 + 5_000);
      // Before the broker's heartbeat timeout: the frozen process is still connected.
      expect((await connectionsOf(broker, conductor)).length).toBeGreaterThan(0);
    } finally {
      conductor.thaw();
    }
    await waitFor(async () => !agent.clusters[0]!.findings.some((f) => f.rule === 'openstack-rpc-unacked'), {
      timeoutMs: 60_000,
      what: 'the finding to clear once the conductor acknowledges again',
    });
  });

  it('every conductor stopped: openstack-rpc-topic-unconsumed is critical in report and daemon within 90 s, and resolves when one returns', async () => {
    const conductor = cloud.processes.conductor!;
    await conductor.stop();
    const stoppedAt = Date.now();
    // /alerts shows it pending first, with since, before its minute is up.
    const pending = await waitFor(async () => (await alerts()).find((x) => x.rule === 'openstack-rpc-topic-unconsumed' && x.state === 'pending'), {
      timeoutMs: 55_000,
      intervalMs: 1000,
      what: 'openstack-rpc-topic-unconsumed pending in /alerts',
    });
    expect(Number.isNaN(Date.parse(pending.since))).toBe(false);
    const a = await waitFor(async () => (await alerts()).find((x) => x.rule === 'openstack-rpc-topic-unconsumed' && x.subject.name === 'conductor' && x.state === 'firing'), {
      timeoutMs: 90_000,
      intervalMs: 1000,
      what: 'openstack-rpc-topic-unconsumed firing on conductor',
      onTimeout: () => JSON.stringify(agent.clusters[0]!.findings.map((f) => f.summary)),
    });
    expect(Date.now() - stoppedAt).toBeLessThan(95_000);
    expect(a.severity).toBe('critical');
    // The summary is the latest evaluation's (the consumer has been gone longer), not the first one's.
    expect(a.summary).not.toBe(pending.summary);
    expect(a.summary).toContain('nova-conductor');
    expect(a.summary).toContain('MessagingTimeout');
    // One fault, one finding.
    expect(agent.clusters[0]!.findings.filter((f) => f.rule === 'queue-no-consumer' && f.subject.name === 'conductor')).toEqual([]);

    const r = await runCli(['report', '--config', configFileFor(broker, { interval: '2s' }), '--format', 'json', '--sample', '3']);
    const findings = (JSON.parse(r.stdout) as Report).clusters[0]!.findings;
    const f = findings.find((x) => x.rule === 'openstack-rpc-topic-unconsumed' && x.subject.name === 'conductor');
    expect(f?.severity).toBe('critical');
    expect(f?.summary).toContain('ctl-1');
    expect(findings.filter((x) => x.rule === 'queue-no-consumer')).toEqual([]);

    const back = await conductorServer();
    cloud.add('conductor', back);
    expect(await consumes(broker, back, 'conductor')).toBe(true);
    await waitFor(async () => !(await alerts()).some((x) => x.rule === 'openstack-rpc-topic-unconsumed'), {
      timeoutMs: 150_000,
      intervalMs: 2000,
      what: 'openstack-rpc-topic-unconsumed to resolve',
    });
  });

  it('expectedNodes: 3 on a one-node broker: node-down in report, check and the daemon, from the config file', async () => {
    const file = configFileFor(broker, { interval: '2s', expectedNodes: 3 });
    const r = await runCli(['report', '--config', file, '--format', 'json', '--sample', '1']);
    expect((JSON.parse(r.stdout) as Report).clusters[0]!.findings.filter((f) => f.rule === 'node-down').map((f) => f.severity)).toEqual(['critical']);
    const c = await runCli(['check', '--config', file, '--sample', '1', '--rule', 'node-down']);
    expect(c.code).toBe(2);
    expect(c.stdout).toContain('node-down');
    const daemon = await startTestAgent(configFor(broker, { interval: '2s', expectedNodes: 3 }));
    try {
      await waitFor(async () => daemon.clusters[0]!.findings.some((f) => f.rule === 'node-down'), { timeoutMs: 30_000, what: 'node-down in the daemon' });
    } finally {
      await daemon.stop();
    }
  });
});
