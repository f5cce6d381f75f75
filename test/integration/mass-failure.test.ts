// A mass failure on a real broker: 5,000 per-host RPC queues without a consumer (a cell
// whose nova-compute services all lost the broker). The report and `check` read it as one
// event per service; a service losing most of its hosts in one poll raises
// openstack-correlated-outage, one host going does not; the daemon's log stays quiet with
// 5,000 firing alerts and an Alertmanager that refuses connections, and the alerts arrive
// in batches once a receiver answers. The topology is built once for the file.
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/server/agent.js';
import { samplesIn } from '../../src/snapshot/index.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { freePort, waitFor } from '../harness/util.js';
import { configFileFor, configFor } from '../support/agent.js';
import { runCli } from '../support/cli.js';
import { startAgent } from '../../src/server/agent.js';

const COMPUTES = 5000;
const AGENTS = 10;
const compute = (i: number) => `cmp-${String(i).padStart(4, '0')}`;
const net = (i: number) => `net-${String(i).padStart(2, '0')}`;

let broker: Broker;
let conn: ChannelModel;
/** Consumers of dhcp_agent.net-00..05 (lost together), of the other four, and of the l3 agents. */
let dhcpLost: Channel;
let dhcpKept: Channel;
let l3: Channel;
const l3Tags = new Map<string, string>();
let configFile: string;

beforeAll(async () => {
  broker = await startBroker({ name: 'mass', extraConfig: ['collect_statistics_interval = 1000'] });
  conn = await amqp.connect(broker.amqpUrl);
  // 5,000 per-host compute queues nobody consumes, declared over a few channels at once.
  const declare = await Promise.all(Array.from({ length: 4 }, () => conn.createChannel()));
  await Promise.all(Array.from({ length: COMPUTES }, (_, i) => declare[i % declare.length]!.assertQueue(`compute.${compute(i)}`, { durable: false })));
  for (const ch of declare) await ch.close();
  // Ten dhcp agents and ten l3 agents, each host's queue consumed.
  dhcpLost = await conn.createChannel();
  dhcpKept = await conn.createChannel();
  l3 = await conn.createChannel();
  for (let i = 0; i < AGENTS; i++) {
    const dhcp = `dhcp_agent.${net(i)}`;
    const ch = i < 6 ? dhcpLost : dhcpKept;
    await ch.assertQueue(dhcp, { durable: false });
    await ch.consume(dhcp, () => undefined, { noAck: true });
    const l3q = `l3_agent.${net(i)}`;
    await l3.assertQueue(l3q, { durable: false });
    l3Tags.set(l3q, (await l3.consume(l3q, () => undefined, { noAck: true })).consumerTag);
  }
  configFile = configFileFor(broker);
  // The broker shows every queue and the twenty consumers before anything looks at it.
  await waitFor(
    async () => {
      const r = await fetch(`${broker.mgmtUrl}/api/overview`, { headers: { authorization: 'Basic ' + Buffer.from(`${broker.user}:${broker.password}`).toString('base64') } });
      const o = (await r.json()) as { object_totals?: { queues?: number; consumers?: number } };
      return (o.object_totals?.queues ?? 0) >= COMPUTES + 2 * AGENTS && (o.object_totals?.consumers ?? 0) >= 2 * AGENTS;
    },
    { timeoutMs: 120_000, intervalMs: 1000, what: 'the queues and consumers in /api/overview' },
  );
});

afterAll(async () => {
  await conn?.close().catch(() => undefined);
  await broker?.stop();
});

describe('a mass failure in the report and check', () => {
  it('text report: one line per rule and service with host counts, the remedy once', async () => {
    const r = await runCli(['report', '--config', configFile, '--format', 'text', '--sample', '2'], {}, 300_000);
    expect(r.code, r.stderr).toBe(2);
    const findings = r.stdout.slice(r.stdout.indexOf('FINDINGS'), r.stdout.indexOf('CLUSTER '));
    const joined = findings.replace(/\n {6}/g, ' ');
    expect(joined).toContain('CRIT  openstack-host-queue-unconsumed  5,000 queues of 1 service');
    expect(joined).toContain('nova-compute lost its consumer on 5,000 of 5,000 hosts: cmp-0000, cmp-0001, cmp-0002 and 4,997 more');
    expect(joined.match(/Fix \(all above\): /g)).toHaveLength(1);
    expect(findings.split('\n').length).toBeLessThan(40);
    // The healthy agents raise nothing.
    expect(joined).not.toContain('dhcp');
    expect(joined).not.toContain('openstack-correlated-outage');
  });

  it('JSON keeps every subject, and check stays one short line', async () => {
    // Several MB of JSON: through a file, as a scheduled report would write it.
    const out = join(mkdtempSync(join(tmpdir(), 'warren-mass-')), 'report.json');
    const json = await runCli(['report', '--config', configFile, '--format', 'json', '--sample', '2', '--output', out], {}, 300_000);
    expect(json.code, json.stderr).toBe(2);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { clusters: Array<{ findings: Array<{ rule: string }> }> };
    expect(report.clusters[0]!.findings.filter((f) => f.rule === 'openstack-host-queue-unconsumed')).toHaveLength(COMPUTES);
    const check = await runCli(['check', '--config', configFile], {}, 300_000);
    expect(check.code).toBe(2);
    const line = check.stdout.trimEnd();
    expect(line).not.toContain('\n');
    expect(Buffer.byteLength(line)).toBeLessThan(1024);
    expect(line).toContain('openstack-host-queue-unconsumed nova-compute lost its consumer on 5,000 of 5,000 hosts: cmp-0000, cmp-0001, cmp-0002 and 4,997 more');
  });
});

describe('the daemon through a mass failure', () => {
  let agent: Agent | undefined;
  let receiver: Server | undefined;
  const lines: string[] = [];
  const requests: number[] = [];
  const delivered = new Set<string>();

  afterAll(async () => {
    await agent?.stop();
    await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  });

  it('raises openstack-correlated-outage when most of a service\'s hosts go at once, not when one host goes; logs quietly and delivers in batches', { timeout: 900_000 }, async () => {
    const amPort = await freePort();
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    agent = await startAgent(configFor(broker, { interval: '3s' }, { alertmanagerUrls: [`http://127.0.0.1:${amPort}`] }), log);
    await agent.waitForPolls(2);
    const correlated = () => agent!.alerts().filter((a) => a.rule === 'openstack-correlated-outage');

    // One l3 agent goes: its own host's problem.
    await l3.cancel(l3Tags.get(`l3_agent.${net(3)}`)!);
    await waitFor(async () => (await agent!.waitForPolls(1), agent!.clusters[0]!.poller.status().latest?.queues.find((q) => q.name === `l3_agent.${net(3)}`)?.consumers === 0), {
      timeoutMs: 60_000,
      what: 'the poll to see l3_agent.net-03 without a consumer',
    });
    await agent.waitForPolls(2);
    expect(correlated()).toEqual([]);

    // Six of ten dhcp agents lose the broker together: one channel closes.
    await dhcpLost.close();
    const outage = await waitFor(async () => (await agent!.waitForPolls(1), correlated()[0]), {
      timeoutMs: 60_000,
      what: 'openstack-correlated-outage',
      onTimeout: () =>
        samplesIn(agent!.clusters[0]!.poller.status().history)
          .map((s) => `${s.takenAt} ${[...s.queues()].filter((q) => q.name.startsWith('dhcp_agent.')).map((q) => q.consumers).join('')}`)
          .join('\n'),
    });
    expect(outage).toMatchObject({ severity: 'critical', subject: { kind: 'service', name: 'neutron-dhcp-agent' }, labels: { service: 'neutron', topic: 'dhcp_agent' } });
    expect(outage.summary).toContain('neutron-dhcp-agent lost its RPC consumers on 6 of 10 hosts within one poll');
    expect(correlated()).toHaveLength(1); // not the l3 agents, not nova-compute (never consumed)

    // 5,000 per-host alerts fire after the rule's `for` (2 min); Alertmanager refuses connections.
    await waitFor(async () => (await agent!.waitForPolls(1), agent!.alerts().filter((a) => a.rule === 'openstack-host-queue-unconsumed').length >= COMPUTES), {
      timeoutMs: 400_000,
      intervalMs: 1000,
      what: '5,000 firing openstack-host-queue-unconsumed alerts',
    });
    const firedAt = lines.length;
    await agent.waitForPolls(10);
    const stats = agent.notifiers.stats()[0]!;
    expect(stats.failed).toBeGreaterThan(0);
    // Ten polls with 5,000 firing alerts and a dead receiver: a handful of lines (trouble at most once a
    // minute, the agents' per-host alerts firing as a group), never one per alert or per drop.
    const since = lines.slice(firedAt);
    expect(since.length, since.join('')).toBeLessThanOrEqual(8);
    const all = lines.map((l) => JSON.parse(l) as { event?: string; msg: string });
    expect(all.filter((l) => l.event === 'alert').length).toBeLessThan(10);
    expect(all.filter((l) => l.event === 'alerts').some((l) => l.msg.startsWith('5,000 openstack-host-queue-unconsumed alerts firing (critical)'))).toBe(true);
    expect(all.length, lines.join('')).toBeLessThan(30);

    // A receiver answers on that port: the alerts arrive in batches.
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const alerts = JSON.parse(body) as Array<{ labels: Record<string, string> }>;
        requests.push(alerts.length);
        for (const a of alerts) if (a.labels.alertname === 'openstack-host-queue-unconsumed') delivered.add(a.labels.queue ?? '');
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver!.listen(amPort, '127.0.0.1', resolve));
    await waitFor(async () => delivered.size >= COMPUTES, { timeoutMs: 300_000, intervalMs: 1000, what: 'every alert at the receiver' });
    const needed = requests.length;
    expect(Math.max(...requests)).toBeLessThanOrEqual(500);
    expect(requests[0]).toBe(500);
    expect(needed).toBeLessThanOrEqual(Math.ceil((COMPUTES + 40) / 500) * 2);
  });
});
