// Tests of the test harness itself: real RabbitMQ, a real three-node cluster in network
// namespaces, real Prometheus and Alertmanager.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startAlertmanager, type Alertmanager } from '../harness/alertmanager.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { startCluster, type Cluster } from '../harness/cluster.js';
import { startPrometheus, type Prometheus } from '../harness/prometheus.js';
import { getJson, httpGet, isAlive, listProcesses, waitFor } from '../harness/util.js';

interface MgmtNode {
  name: string;
  running: boolean;
  partitions?: string[];
}

/** Pids of processes started for RabbitMQ node `nodeName` (beam gets the name from its environment). */
function processesOfNode(nodeName: string): number[] {
  return listProcesses()
    .filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p.pid}/environ`, 'utf8').split('\0').includes(`RABBITMQ_NODENAME=${nodeName}`);
      } catch {
        return false;
      }
    })
    .map((p) => p.pid);
}

const admin = { user: 'wrn-admin', password: 'harness-secret-1' };

describe('single broker', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({ name: 'harness', adminUser: admin });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('answers the management API as the admin user, and not as guest', async () => {
    const overview = await getJson<{ rabbitmq_version: string; node: string }>(`${broker.mgmtUrl}/api/overview`, {
      auth: broker,
    });
    expect(overview.rabbitmq_version).toMatch(/^3\.10\./);
    expect(overview.node).toBe(broker.nodeName);
    expect(broker.mgmtUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const asGuest = await httpGet(`${broker.mgmtUrl}/api/overview`, { auth: { user: 'guest', password: 'guest' } });
    expect(asGuest.status).toBe(401);
  });

  it('serves rabbitmq_prometheus metrics', async () => {
    const res = await httpGet(`${broker.promUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^rabbitmq_build_info\{/m);
  });

  it('ctl drives the node: a tiny memory watermark raises the memory alarm', async () => {
    // /api/health/checks/alarms is live; /api/nodes[].mem_alarm lags by up to the
    // statistics interval (5 s by default).
    const alarmsUrl = `${broker.mgmtUrl}/api/health/checks/alarms`;
    expect((await httpGet(alarmsUrl, { auth: broker })).status).toBe(200);
    await broker.ctl('set_vm_memory_high_watermark', '0.0001');
    const alarmed = await waitFor(
      async () => {
        const res = await httpGet(alarmsUrl, { auth: broker });
        return res.status === 503 ? ((await res.json()) as { alarms: { resource: string; node: string }[] }) : undefined;
      },
      { timeoutMs: 20_000, what: 'a memory alarm' },
    );
    expect(alarmed.alarms).toContainEqual({ resource: 'memory', node: broker.nodeName });
    await broker.ctl('set_vm_memory_high_watermark', '0.4');
    await waitFor(async () => (await httpGet(alarmsUrl, { auth: broker })).status === 200, {
      timeoutMs: 20_000,
      what: 'the memory alarm to clear',
    });
  });

  it('ctl errors name the command but not its arguments', async () => {
    const err = await broker.ctl('change_password', 'no-such-user', 'do-not-print-me').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('change_password');
    expect((err as Error).message).not.toContain('do-not-print-me');
  });

  it('restart keeps node name, ports and data but replaces the process', async () => {
    const put = await fetch(`${broker.mgmtUrl}/api/queues/%2F/harness-durable`, {
      method: 'PUT',
      headers: {
        authorization: 'Basic ' + Buffer.from(`${admin.user}:${admin.password}`).toString('base64'),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ durable: true }),
    });
    expect(put.status).toBeLessThan(300);
    const before = broker.pid();
    expect(before).toBeGreaterThan(0);
    await broker.restart();
    const after = broker.pid();
    expect(after).toBeGreaterThan(0);
    expect(after).not.toBe(before);
    const queue = await getJson<{ name: string; durable: boolean }>(`${broker.mgmtUrl}/api/queues/%2F/harness-durable`, {
      auth: broker,
    });
    expect(queue).toMatchObject({ name: 'harness-durable', durable: true });
  });

  it('stop leaves no process of the node and removes its dir', async () => {
    const beam = broker.pid();
    expect(beam).toBeGreaterThan(0);
    expect(processesOfNode(broker.nodeName)).toContain(beam);
    await broker.stop();
    expect(processesOfNode(broker.nodeName)).toEqual([]);
    expect(fs.existsSync(broker.dir)).toBe(false);
    expect(broker.pid()).toBeUndefined();
  });
});

describe('three-node cluster in network namespaces', () => {
  let cluster: Cluster;
  const nodesSeenBy = (i: number): Promise<MgmtNode[]> =>
    getJson<MgmtNode[]>(`${cluster.nodes[i]!.mgmtUrl}/api/nodes?columns=name,running,partitions`, {
      auth: cluster.nodes[i]!,
      timeoutMs: 10_000,
    });
  const runningOf = (nodes: MgmtNode[], name: string): boolean | undefined => nodes.find((n) => n.name === name)?.running;

  beforeAll(async () => {
    cluster = await startCluster({ name: 'harness' });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('has three running nodes, as node 1 sees it', async () => {
    const nodes = await nodesSeenBy(0);
    expect(nodes.map((n) => n.name).sort()).toEqual(cluster.nodes.map((n) => n.nodeName).sort());
    expect(nodes.every((n) => n.running)).toBe(true);
    expect(cluster.nodes[1]!.mgmtUrl).toBe(`http://${cluster.addresses[1]}:15672`);
    // rabbitmqctl reaches a node in its namespace from the root namespace.
    expect(await cluster.nodes[2]!.ctl('cluster_status')).toContain(cluster.nodes[0]!.nodeName);
  });

  it('stopNode makes a node running:false for its peers; startNode brings it back', async () => {
    const name = cluster.nodes[1]!.nodeName;
    await cluster.stopNode(1);
    await waitFor(async () => runningOf(await nodesSeenBy(0), name) === false, {
      timeoutMs: 30_000,
      what: `${name} running:false`,
    });
    await cluster.startNode(1);
    await waitFor(async () => runningOf(await nodesSeenBy(0), name) === true, {
      timeoutMs: 60_000,
      what: `${name} running:true again`,
    });
  });

  it('partition + heal is reported in /api/nodes[].partitions', async () => {
    const cut = cluster.nodes[2]!.nodeName;
    await cluster.partition(2);
    // Node 1 notices after net_ticktime (10 s), while its management API stays reachable.
    await waitFor(async () => runningOf(await nodesSeenBy(0), cut) === false, {
      timeoutMs: 40_000,
      intervalMs: 1_000,
      what: `${cut} seen down by node 1`,
    });
    // ...and the cut node sees its peers down, through the same partition.
    await waitFor(async () => runningOf(await nodesSeenBy(2), cluster.nodes[0]!.nodeName) === false, {
      timeoutMs: 20_000,
      intervalMs: 1_000,
      what: `node 1 seen down by ${cut}`,
    });
    await cluster.heal(2);
    const reported = await waitFor(
      async () => {
        const views = await Promise.all([0, 2].map((i) => nodesSeenBy(i)));
        const withPartitions = views.flat().filter((n) => (n.partitions ?? []).length > 0);
        return withPartitions.length > 0 ? withPartitions : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, what: 'non-empty partitions after heal' },
    );
    const partitioned = reported.flatMap((n) => [n.name, ...(n.partitions ?? [])]);
    expect(partitioned).toContain(cut);
  });

  it('stop removes every node process, namespace, the bridge and the temp dirs', async () => {
    const dirs = cluster.nodes.map((n) => n.dir);
    // beam, epmd and helpers of every namespace
    const nsPids = cluster.namespaces.flatMap((ns) =>
      execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number),
    );
    expect(nsPids.length).toBeGreaterThanOrEqual(6);
    await cluster.stop();
    for (const n of cluster.nodes) expect(processesOfNode(n.nodeName)).toEqual([]);
    await waitFor(async () => nsPids.every((pid) => !isAlive(pid)), { timeoutMs: 5_000, what: 'namespace processes gone' });
    const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const ns of cluster.namespaces) expect(namespaces).not.toContain(ns);
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    expect(links).not.toContain(cluster.bridge);
    for (const d of dirs) expect(fs.existsSync(d)).toBe(false);
  });
});

describe('Prometheus and Alertmanager', () => {
  let broker: Broker;
  let prometheus: Prometheus;
  let alertmanager: Alertmanager;
  let ruleDir: string;

  beforeAll(async () => {
    ruleDir = fs.mkdtempSync('/tmp/warren-test-rules-');
    const rules = path.join(ruleDir, 'always.yml');
    fs.writeFileSync(
      rules,
      [
        'groups:',
        '  - name: harness',
        '    rules:',
        '      - alert: HarnessAlwaysFiring',
        '        expr: vector(1)',
        '        labels: { severity: info }',
        '        annotations: { summary: harness test alert }',
        '',
      ].join('\n'),
    );
    [broker, alertmanager] = await Promise.all([startBroker({ name: 'prom' }), startAlertmanager()]);
    prometheus = await startPrometheus({
      scrapeTargets: [new URL(broker.promUrl).host],
      ruleFiles: [rules],
      alertmanagerUrl: alertmanager.url,
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await broker?.stop();
    if (ruleDir) fs.rmSync(ruleDir, { recursive: true, force: true });
  });

  it('Prometheus scrapes the broker and loads the rule file', async () => {
    const up = await waitFor(
      async () => {
        const r = await prometheus.query('up{job="warren"}');
        return r.length === 1 && r[0].value[1] === '1' ? r : undefined;
      },
      { timeoutMs: 20_000, what: 'up == 1' },
    );
    expect(up[0].metric.instance).toBe(new URL(broker.promUrl).host);
    const build = await prometheus.query('rabbitmq_build_info');
    expect(build[0]?.metric.rabbitmq_version).toBe('3.10.8');
    const targets = await prometheus.targets();
    expect(targets.activeTargets).toHaveLength(1);
    const rules = await prometheus.rules();
    expect(rules.groups.map((g: { name: string }) => g.name)).toEqual(['harness']);
  });

  it('Alertmanager receives the alert Prometheus fires', async () => {
    const alerts = await waitFor(
      async () => {
        const a = await alertmanager.alerts();
        return a.some((x) => x.labels.alertname === 'HarnessAlwaysFiring') ? a : undefined;
      },
      { timeoutMs: 30_000, what: 'HarnessAlwaysFiring in Alertmanager' },
    );
    const mine = alerts.find((x) => x.labels.alertname === 'HarnessAlwaysFiring');
    expect(mine.labels.severity).toBe('info');
    expect(mine.status.state).toBe('active');
  });
});
