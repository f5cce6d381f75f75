// Issue 12, items 2-4, on real brokers: alerts that resolve although the cluster label
// used to change under them (warren started before its broker answered; a restart with
// that state file; a rename with PUT /api/cluster-name), two regions whose brokers share
// a cluster name, and a frozen beam.smp served as stale data, not as fresh.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { startAgent, type Agent } from '../../src/server/agent.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { configFor, eventually, metric, quietLog, scrape } from '../support/agent.js';
import { runCli } from '../support/cli.js';

interface Change {
  type: string;
  rule: string;
  fingerprint: string;
  labels?: Record<string, string>;
}

/** A webhook receiver that keeps every change it is sent. */
class Receiver {
  readonly changes: Change[] = [];
  private server!: Server;
  url = '';
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        this.changes.push(...(JSON.parse(text) as { changes: Change[] }).changes);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/hook`;
  }
  of(rule: string, type?: string): Change[] {
    return this.changes.filter((c) => c.rule === rule && (type === undefined || c.type === type));
  }
  close(): Promise<void> {
    return new Promise((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}

let a: Broker;
let b: Broker;
const agents: Agent[] = [];
const receivers: Receiver[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'warren-identity-'));

async function receiver(): Promise<Receiver> {
  const r = new Receiver();
  await r.start();
  receivers.push(r);
  return r;
}

async function agentFor(cfg: Parameters<typeof startAgent>[0]): Promise<Agent> {
  const agent = await startAgent(cfg, quietLog);
  agents.push(agent);
  return agent;
}

async function stopAgent(agent: Agent): Promise<void> {
  agents.splice(agents.indexOf(agent), 1);
  await agent.stop();
}

const brokerClusterName = async (broker: Broker) =>
  ((await (await fetch(`${broker.mgmtUrl}/api/overview`, { headers: { authorization: `Basic ${Buffer.from(`${broker.user}:${broker.password}`).toString('base64')}` } })).json()) as { cluster_name: string }).cluster_name;

beforeAll(async () => {
  [a, b] = await Promise.all([startBroker({ name: 'ident-a' }), startBroker({ name: 'ident-b' })]);
}, 240_000);

afterAll(async () => {
  if (a?.pid()) process.kill(a.pid()!, 'SIGCONT');
  for (const agent of [...agents]) await agent.stop().catch(() => undefined);
  for (const r of receivers) await r.close();
  await Promise.all([a?.stop(), b?.stop()]);
}, 120_000);

describe('alerts keyed by the configured cluster', () => {
  it('resolves broker-unreachable raised before the broker answered, and a restart with that state file raises nothing stuck', async () => {
    const hook = await receiver();
    const stateFile = join(tmp, 'state-1.json');
    const cfg = configFor(a, { name: 'region-1', interval: '1s', timeout: '3s' }, { webhookUrls: [hook.url], stateFile });
    await a.ctl('stop_app'); // the management API stops answering
    let agent: Agent;
    try {
      agent = await agentFor(cfg);
      // Fires once the start grace (three intervals) is over, on metrics and at the receiver.
      await eventually(async () => {
        expect(metric((await scrape(agent)).body, 'warren_alert_active', { cluster: 'region-1', rule: 'broker-unreachable' })).toBe(1);
        expect(hook.of('broker-unreachable', 'firing')).toHaveLength(1);
      }, 60_000, 250);
      expect(metric((await scrape(agent)).body, 'rabbitmq_up', { cluster: 'region-1' })).toBe(0);
    } finally {
      await a.ctl('start_app');
    }
    const brokerName = await brokerClusterName(a);
    const fired = hook.of('broker-unreachable', 'firing')[0]!;
    // The broker answers: rabbitmq_up 1 and the alert resolves (three polls and 60 s of hysteresis).
    await eventually(async () => {
      const m = (await scrape(agent)).body;
      expect(metric(m, 'rabbitmq_up', { cluster: 'region-1', rabbitmq_cluster: brokerName })).toBe(1);
      expect(metric(m, 'warren_alert_active', { rule: 'broker-unreachable' })).toBeUndefined();
      expect(hook.of('broker-unreachable', 'resolved').map((c) => c.fingerprint)).toEqual([fired.fingerprint]);
    }, 180_000, 500);
    // What the healthy broker itself raises (the harness's guest user; node-restarted after start_app) stays, under region-1.
    expect(agent.alerts().filter((x) => x.rule === 'broker-unreachable' || x.cluster !== 'region-1')).toEqual([]);
    const left = agent.alerts().map((x) => x.fingerprint).sort();
    await stopAgent(agent);

    // A state file as an older warren left it: node-restarted saved under the broker's name.
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { alerts: Record<string, { alerts: Record<string, unknown> }> };
    const T = Date.now() - 600_000;
    saved.alerts['region-1']!.alerts.c0ffeec0ffeec0ff = {
      fingerprint: 'c0ffeec0ffeec0ff', cluster: brokerName, rule: 'node-restarted', subject: { kind: 'node', name: a.nodeName }, severity: 'warning',
      labels: { node: a.nodeName, alertname: 'node-restarted', severity: 'warning', cluster: brokerName }, state: 'firing', activeAt: T, firingAt: T,
      resolvedAt: null, lastSeenAt: T, missed: 0, lowerSeen: 0, lowerSince: null, summary: 'restarted', remedy: 'r', evidence: {},
    };
    writeFileSync(stateFile, JSON.stringify(saved));
    const before = hook.changes.length;
    const again = await agentFor(cfg);
    await again.waitForPolls(3);
    // The old-key alert is resolved with the labels it was sent with; nothing fires again.
    await eventually(() => expect(hook.changes.slice(before).map((c) => [c.type, c.rule, c.fingerprint])).toEqual([['resolved', 'node-restarted', 'c0ffeec0ffeec0ff']]), 30_000, 250);
    expect(again.alerts().map((x) => x.fingerprint).sort()).toEqual(left);
    expect(metric((await scrape(again)).body, 'warren_alert_active', { rule: 'broker-unreachable' })).toBeUndefined();
    expect(metric((await scrape(again)).body, 'warren_alert_active', { cluster: brokerName })).toBeUndefined();
    expect(metric((await scrape(again)).body, 'rabbitmq_up', { cluster: 'region-1' })).toBe(1);
    await stopAgent(again);
  }, 420_000);
});

describe('two clusters whose brokers share a cluster name', () => {
  it('keeps one series per configured name, the shared name in rabbitmq_cluster; a rename changes no alert identity', async () => {
    await Promise.all([a.ctl('set_cluster_name', 'controller-0'), b.ctl('set_cluster_name', 'controller-0')]);
    const hook = await receiver();
    const file = join(tmp, 'two.yml');
    const cluster = (br: Broker, name: string) => ({ name, url: br.mgmtUrl, user: br.user, password: br.password, interval: '1s' });
    writeFileSync(file, stringify({ listen: '127.0.0.1:0', webhookUrls: [hook.url], clusters: [cluster(a, 'region-1'), cluster(b, 'region-2')] }));
    const agent = await agentFor(loadConfig({ config: file }));
    await agent.waitForPolls(1);
    await eventually(async () => {
      const m = (await scrape(agent)).body;
      for (const name of ['region-1', 'region-2']) {
        expect(metric(m, 'rabbitmq_up', { cluster: name, rabbitmq_cluster: 'controller-0' })).toBe(1);
        expect(metric(m, 'rabbitmq_version_info', { cluster: name, rabbitmq_cluster: 'controller-0' })).toBe(1);
        expect(metric(m, 'rabbitmq_queues', { cluster: name })).toBeDefined();
      }
      // Every series once: nothing for Prometheus to drop.
      const series = m.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.slice(0, l.lastIndexOf(' ')));
      expect(series.length).toBe(new Set(series).size);
      expect(m).not.toMatch(/[{,]cluster="controller-0"/);
    }, 60_000, 250);

    // An alert on region-1 (memory alarm), then the broker renamed under it.
    try {
      await a.ctl('set_vm_memory_high_watermark', '0.0001');
      await eventually(() => expect(hook.of('memory-alarm', 'firing')).toHaveLength(1), 60_000, 250);
      const fired = hook.of('memory-alarm', 'firing')[0]!;
      expect(fired.labels).toMatchObject({ cluster: 'region-1', rabbitmq_cluster: 'controller-0' });
      const auth = `Basic ${Buffer.from(`${a.user}:${a.password}`).toString('base64')}`;
      const put = await fetch(`${a.mgmtUrl}/api/cluster-name`, { method: 'PUT', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'renamed-0' }) });
      expect(put.status).toBeLessThan(300);
      await eventually(async () => expect(metric((await scrape(agent)).body, 'rabbitmq_up', { cluster: 'region-1', rabbitmq_cluster: 'renamed-0' })).toBe(1), 30_000, 250);
      await agent.waitForPolls(3);
      // Same alert, same fingerprint: no second firing, no resolve.
      expect(hook.of('memory-alarm').map((c) => [c.type, c.fingerprint])).toEqual([['firing', fired.fingerprint]]);
      expect(agent.alerts().filter((x) => x.rule === 'memory-alarm').map((x) => [x.rule, x.fingerprint])).toEqual([['memory-alarm', fired.fingerprint]]);
    } finally {
      await a.ctl('set_vm_memory_high_watermark', '0.4');
    }
    // Cleared: it resolves under the identity it fired with; nothing stays stuck.
    await eventually(() => expect(hook.of('memory-alarm', 'resolved').map((c) => c.fingerprint)).toEqual([hook.of('memory-alarm', 'firing')[0]!.fingerprint]), 180_000, 500);
    await eventually(async () => expect(metric((await scrape(agent)).body, 'warren_alert_active', { rule: 'memory-alarm' })).toBeUndefined(), 30_000, 250);
    await stopAgent(agent);
  }, 420_000);

  it('rejects two configured clusters of the same name with one line and a non-zero exit', async () => {
    const file = join(tmp, 'same.yml');
    const cluster = (br: Broker) => ({ name: 'controller-0', url: br.mgmtUrl, user: br.user, password: br.password });
    writeFileSync(file, stringify({ listen: '127.0.0.1:0', clusters: [cluster(a), cluster(b)] }));
    const r = await runCli(['run', '--config', file]);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('two clusters are named "controller-0"');
    expect(r.stderr).not.toContain(a.password);
  }, 60_000);
});

describe('a frozen broker is served as stale', () => {
  it('grows the data age, sets warren_stale 1 and turns /healthz 503 while beam.smp is stopped; healthy again after SIGCONT', async () => {
    // The timeout is longer than the interval: the poll hangs instead of failing.
    const agent = await agentFor(configFor(a, { name: 'frozen', interval: '1s', timeout: '60s' }));
    await agent.waitForPolls(1);
    expect((await scrape(agent, '/healthz')).status).toBe(200);
    expect(metric((await scrape(agent)).body, 'warren_stale', { cluster: 'frozen' })).toBe(0);
    const pid = a.pid()!;
    process.kill(pid, 'SIGSTOP');
    try {
      let firstAge = 0;
      await eventually(async () => {
        const m = (await scrape(agent)).body;
        expect(metric(m, 'warren_stale', { cluster: 'frozen' })).toBe(1);
        firstAge = metric(m, 'warren_data_age_seconds', { cluster: 'frozen' })!;
        expect(firstAge).toBeGreaterThan(3);
        expect((await scrape(agent, '/healthz')).status).toBe(503);
      }, 30_000, 250);
      // Still growing between scrapes while the poll hangs.
      await eventually(async () => expect(metric((await scrape(agent)).body, 'warren_data_age_seconds', { cluster: 'frozen' })).toBeGreaterThan(firstAge + 1), 15_000, 250);
      expect((await scrape(agent, '/healthz')).status).toBe(503);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await eventually(async () => {
      expect((await scrape(agent, '/healthz')).status).toBe(200);
      const m = (await scrape(agent)).body;
      expect(metric(m, 'warren_stale', { cluster: 'frozen' })).toBe(0);
      expect(metric(m, 'rabbitmq_up', { cluster: 'frozen' })).toBe(1);
    }, 90_000, 250);
    await stopAgent(agent);
  }, 240_000);
});
