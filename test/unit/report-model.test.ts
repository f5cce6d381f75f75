import { describe, expect, it } from 'vitest';
import { buildReport, exitCode, type ClusterInput } from '../../src/report/model.js';
import { renderJson } from '../../src/report/json.js';
import type { Finding } from '../../src/rules/types.js';
import { makeConnection, makeQueue, makeSnapshot } from '../support/snapshot.js';
import { GENERATED_AT, brokerInput, largeBrokerInput } from './report-fixture.js';

const finding = (rule: string, severity: Finding['severity'], name = 'x'): Finding => ({
  rule,
  severity,
  subject: { kind: 'queue', name, vhost: '/' },
  summary: 's',
  remedy: 'r',
  evidence: {},
});

const healthy = (p: Partial<ClusterInput> = {}): ClusterInput => ({
  target: 'prod',
  url: 'http://127.0.0.1:15672',
  samples: [makeSnapshot()],
  findings: [],
  view: null,
  ...p,
});

describe('status and exit code', () => {
  it('maps statuses to Nagios exit codes', () => {
    expect([exitCode('ok'), exitCode('warning'), exitCode('critical'), exitCode('unknown')]).toEqual([0, 1, 2, 3]);
  });

  it('is ok when healthy and info findings do not raise it', () => {
    const r = buildReport([healthy({ findings: [finding('node-restarted', 'info')] })], GENERATED_AT);
    expect(r.status).toBe('ok');
    expect(r.clusters[0]!.status).toBe('ok');
  });

  it('takes the worst finding of the worst cluster', () => {
    const r = buildReport(
      [healthy({ findings: [finding('queue-backlog', 'warning')] }), healthy({ target: 'b', findings: [finding('memory-alarm', 'critical'), finding('x', 'warning')] })],
      GENERATED_AT,
    );
    expect(r.clusters.map((c) => c.status)).toEqual(['warning', 'critical']);
    expect(r.status).toBe('critical');
  });

  it('is unknown when any cluster is unreachable, with a broker-unreachable finding naming it', () => {
    const r = buildReport(
      [
        healthy({ findings: [finding('memory-alarm', 'critical')] }),
        { target: 'edge', url: 'http://admin:hunter2@10.9.9.9:15672', samples: [], findings: [], view: null, error: 'connect ECONNREFUSED 10.9.9.9:15672' },
      ],
      GENERATED_AT,
    );
    expect(r.status).toBe('unknown');
    const edge = r.clusters[1]!;
    expect(edge.status).toBe('unknown');
    expect(edge.name).toBe('edge');
    expect(edge.findings).toHaveLength(1);
    expect(edge.findings[0]).toMatchObject({ rule: 'broker-unreachable', severity: 'critical', subject: { kind: 'cluster', name: 'edge' } });
    expect(edge.findings[0]!.summary).toContain('ECONNREFUSED');
    // Credentials in the URL never reach the report.
    expect(JSON.stringify(r)).not.toContain('hunter2');
    expect(edge.url).toBe('http://10.9.9.9:15672');
  });

  it('does not add a second broker-unreachable finding when the caller gave one', () => {
    const given = { ...finding('broker-unreachable', 'critical', 'edge'), subject: { kind: 'cluster' as const, name: 'edge' } };
    const r = buildReport([{ target: 'edge', url: 'http://x:15672', samples: [], findings: [given], view: null }], GENERATED_AT);
    expect(r.clusters[0]!.findings).toEqual([given]);
  });

  it('is unknown with no clusters at all', () => {
    expect(buildReport([], GENERATED_AT).status).toBe('unknown');
  });
});

describe('cluster sections', () => {
  const r = buildReport([brokerInput()], GENERATED_AT);
  const c = r.clusters[0]!;

  it('names the cluster by the broker cluster name, else the target', () => {
    expect(c.name).toBe('rabbit@ctl-1.prod');
    const noName = makeSnapshot({ cluster: '', broker: { ...makeSnapshot().broker, clusterName: '' } });
    expect(buildReport([healthy({ target: 'fallback', samples: [noName] })], GENERATED_AT).clusters[0]!.name).toBe('fallback');
  });

  it('sorts findings worst first: critical broker-wide before critical per-queue, info last', () => {
    expect(c.findings.map((f) => f.rule)).toEqual([
      'memory-alarm',
      'openstack-host-queue-unconsumed',
      'openstack-rpc-backlog',
      'queue-no-consumer',
      'node-restarted',
    ]);
  });

  it('computes totals and rates over the whole sample span', () => {
    expect(c.totals).toMatchObject({ queues: 6, connections: 10, messages: 5516 + 1310, publishRate: 820, deliverRate: 690, ratesKnown: true });
    expect(c.samples).toEqual({
      count: 3,
      takenAt: ['2026-11-22T03:00:00.000Z', '2026-11-22T03:00:05.000Z', '2026-11-22T03:00:10.000Z'],
      spanSeconds: 10,
    });
  });

  it('lists the busiest queues with rates, growth and a series per sample', () => {
    const top = c.queues.busiest[0]!;
    expect(top.name).toBe('notifications.info');
    expect(top.publishRate).toBe(120);
    expect(top.deliverRate).toBe(0);
    expect(top.growthRate).toBe(120);
    expect(top.series.depth).toEqual([5321, 5321 + 600, 5321 + 1200]);
    expect(top.series.publishRate).toEqual([120, 120]);
    expect(c.queues.busiest.map((q) => q.name).slice(0, 3)).toEqual(['notifications.info', 'conductor', 'compute.cmp-07']);
    expect(c.queues).toMatchObject({ total: 6, empty: 2, withoutConsumers: 3, more: 0 });
  });

  it('groups connections by service, host and user, blocked groups first', () => {
    expect(c.connections.groups.map((g) => [g.service, g.host, g.user, g.count])).toEqual([
      ['nova', 'ctl-1', 'openstack', 3],
      ['nova', 'cmp-01', 'openstack', 6],
      ['neutron', 'ctl-2', 'neutron', 1],
    ]);
    expect(c.connections.byState).toEqual({ running: 7, blocked: 3 });
  });

  it('shows which service is down on which host', () => {
    expect(c.openstack.services.find((s) => s.service === 'nova')!.hostsDown).toEqual(['cmp-07']);
    expect(c.openstack.hostQueues.unconsumed.map((h) => h.queue)).toEqual(['compute.cmp-07']);
    expect(c.openstack.hostQueues.unconsumed[0]!.idleSince).toBe('2026-11-22T02:50:00.000Z');
  });

  it('computes headroom per node: memory over the watermark is critical, disk under 2x limit a warning', () => {
    const level = (node: string, res: string) => c.headroom.find((h) => h.node === node)!.resources.find((x) => x.resource === res)!.level;
    expect(level('rabbit@ctl-1', 'memory')).toBe('critical');
    expect(level('rabbit@ctl-2', 'memory')).toBe('warning');
    expect(level('rabbit@ctl-3', 'memory')).toBe('ok');
    expect(level('rabbit@ctl-3', 'disk')).toBe('warning');
    expect(level('rabbit@ctl-1', 'disk')).toBe('ok');
  });

  it('ranks exchanges by traffic, broker built-ins last', () => {
    expect(c.exchanges.busiest.map((e) => [e.name, e.publishInRate])).toEqual([
      ['nova', 520],
      ['neutron', 300],
      ['amq.direct', null],
    ]);
  });

  it('has no rates with a single sample, and says so', () => {
    const one = buildReport([healthy()], GENERATED_AT).clusters[0]!;
    expect(one.totals.ratesKnown).toBe(false);
    expect(one.totals.publishRate).toBe(0);
  });
});

describe('large broker', () => {
  it('keeps the busiest N queues and counts the rest, including the empty ones', () => {
    const c = buildReport([largeBrokerInput()], GENERATED_AT, { listLimit: 20 }).clusters[0]!;
    expect(c.queues.busiest).toHaveLength(20);
    expect(c.queues.busiest[0]!.name).toBe('busy-0000');
    expect(c.queues).toMatchObject({ total: 10_000, empty: 4_102, more: 9_980, moreEmpty: 4_102 });
    expect(c.connections.groups).toHaveLength(20);
    expect(c.connections.more).toBe(280);
    expect(c.connections.moreConnections).toBe(3_000 - 200);
    // The JSON keeps every finding (scripts count them); only renderers summarise.
    expect(c.findings.filter((f) => f.rule === 'queue-no-consumer')).toHaveLength(2_949);
    expect(c.findings[0]!.rule).toBe('memory-alarm');
    expect(c.findings[1]!.subject.name).toBe('busy-0000');
  });
});

describe('JSON contract (warren report --format json)', () => {
  const json = JSON.parse(renderJson(buildReport([brokerInput()], GENERATED_AT)));
  const type = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  const hasShape = (obj: Record<string, unknown>, shape: Record<string, string>) => {
    for (const [k, t] of Object.entries(shape)) expect([k, type(obj[k])]).toEqual([k, t]);
  };

  it('has the top-level keys and types', () => {
    hasShape(json, { generatedAt: 'string', status: 'string', clusters: 'array' });
    expect(new Date(json.generatedAt).toISOString()).toBe(json.generatedAt);
    expect(['ok', 'warning', 'critical', 'unknown']).toContain(json.status);
  });

  it('has every cluster, broker, node, totals, openstack and finding key the contract names', () => {
    const c = json.clusters[0];
    hasShape(c, { name: 'string', url: 'string', status: 'string', broker: 'object', nodes: 'array', totals: 'object', openstack: 'object', findings: 'array' });
    hasShape(c.broker, { version: 'string', erlang: 'string', clusterName: 'string' });
    expect(c.broker).toMatchObject({ version: '3.10.8', erlang: '25.2.3', clusterName: 'rabbit@ctl-1.prod' });
    for (const n of c.nodes) {
      hasShape(n, {
        name: 'string',
        running: 'boolean',
        memUsed: 'number',
        memLimit: 'number',
        memAlarm: 'boolean',
        diskFree: 'number',
        diskFreeLimit: 'number',
        diskAlarm: 'boolean',
        fdUsed: 'number',
        fdTotal: 'number',
        partitions: 'array',
      });
    }
    hasShape(c.totals, {
      queues: 'number',
      connections: 'number',
      channels: 'number',
      consumers: 'number',
      messages: 'number',
      ready: 'number',
      unacked: 'number',
      publishRate: 'number',
      deliverRate: 'number',
    });
    expect(c.openstack.services.length).toBeGreaterThan(0);
    for (const s of c.openstack.services) {
      hasShape(s, { service: 'string', queues: 'number', messages: 'number', consumers: 'number', connections: 'number', hosts: 'array' });
    }
    for (const f of c.findings) {
      hasShape(f, { rule: 'string', severity: 'string', subject: 'object', summary: 'string', remedy: 'string', evidence: 'object' });
      hasShape(f.subject, { kind: 'string', name: 'string' });
      expect(['critical', 'warning', 'info']).toContain(f.severity);
      expect(['cluster', 'node', 'vhost', 'queue', 'connection', 'service', 'host']).toContain(f.subject.kind);
    }
  });

  it('keeps the contract shape for an unreachable cluster', () => {
    const u = JSON.parse(renderJson(buildReport([{ target: 'edge', url: 'http://x:15672', samples: [], findings: [], view: null, error: 'timeout' }], GENERATED_AT)));
    const c = u.clusters[0];
    expect(u.status).toBe('unknown');
    hasShape(c, { name: 'string', url: 'string', status: 'string', broker: 'object', nodes: 'array', totals: 'object', openstack: 'object', findings: 'array' });
    hasShape(c.totals, { queues: 'number', publishRate: 'number' });
    expect(c.openstack.services).toEqual([]);
  });

  it('is stable: a consumer can rely on queue and connection data being plain values', () => {
    const withUserData = buildReport(
      [healthy({ samples: [makeSnapshot({ queues: [makeQueue({ name: 'q"\\\n' })], connections: [makeConnection({ name: 'c' })] })] })],
      GENERATED_AT,
    );
    expect(JSON.parse(renderJson(withUserData)).clusters[0].queues.busiest[0].name).toBe('q"\\\n');
  });
});
