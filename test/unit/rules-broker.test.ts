import { describe, expect, it } from 'vitest';
import { catalogue, ruleById, unreachableFinding } from '../../src/rules/catalogue.js';
import { emptyLearned, diskSeriesKey, learn } from '../../src/rules/learn.js';
import { thresholdLookup } from '../../src/rules/thresholds.js';
import type { RuleContext, ThresholdLookup } from '../../src/rules/types.js';
import type { RulesConfig } from '../../src/config/schema.js';
import type { Snapshot } from '../../src/snapshot/types.js';
import { later, makeNode, makeQueue, makeSnapshot } from '../support/snapshot.js';

const noConfig: RulesConfig = { disabled: [], thresholds: {}, overrides: [] };
const defaults = thresholdLookup(noConfig, catalogue);

function ctxOf(snapshot: Snapshot, p: Partial<RuleContext> = {}): RuleContext {
  return { now: snapshot.takenAt, snapshot, history: [snapshot], learned: emptyLearned(), oneShot: false, ...p };
}

function run(id: string, ctx: RuleContext, lookup: ThresholdLookup = defaults) {
  const rule = ruleById(id);
  if (!rule) throw new Error(`no rule ${id}`);
  return rule.evaluate(ctx, lookup);
}

const three = () => [
  makeNode({ name: 'rabbit@a' }),
  makeNode({ name: 'rabbit@b' }),
  makeNode({ name: 'rabbit@c' }),
];

describe('node-down', () => {
  it('fires per stopped node, critical, naming the node', () => {
    const nodes = three();
    nodes[1] = makeNode({ name: 'rabbit@b', running: false });
    const f = run('node-down', ctxOf(makeSnapshot({ nodes })));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ rule: 'node-down', severity: 'critical', subject: { kind: 'node', name: 'rabbit@b' } });
    expect(f[0]!.summary).toContain('2 of 3');
  });

  it('fires on the cluster when fewer nodes than configured are present', () => {
    const s = makeSnapshot({ nodes: three().slice(0, 2) });
    const f = run('node-down', ctxOf(s, { expectedNodes: 3 }));
    expect(f).toHaveLength(1);
    // The configured name (the Snapshot's target), not the broker's rabbit@test: a rename changes no alert identity.
    expect(f[0]!.subject).toEqual({ kind: 'cluster', name: 'test' });
    expect(f[0]!.evidence).toMatchObject({ nodes: 2, expected: 3, expectedFrom: 'config' });
  });

  it('uses the most nodes ever seen when nothing is configured, and config wins over it', () => {
    const s = makeSnapshot({ nodes: three().slice(0, 2) });
    const learned = { ...emptyLearned(), maxNodes: 3 };
    expect(run('node-down', ctxOf(s, { learned }))[0]!.evidence).toMatchObject({ expected: 3, expectedFrom: 'learned' });
    expect(run('node-down', ctxOf(s, { learned, expectedNodes: 2 }))).toEqual([]);
  });

  it('is quiet on a healthy cluster and when nothing is known about the expected size', () => {
    expect(run('node-down', ctxOf(makeSnapshot({ nodes: three() }), { expectedNodes: 3 }))).toEqual([]);
    expect(run('node-down', ctxOf(makeSnapshot({ nodes: three().slice(0, 1) })))).toEqual([]);
  });
});

describe('network-partition', () => {
  it('reports one critical finding for the cluster listing what each side cannot see', () => {
    const nodes = [makeNode({ name: 'rabbit@a', partitions: ['rabbit@b'] }), makeNode({ name: 'rabbit@b', partitions: ['rabbit@a'] })];
    const f = run('network-partition', ctxOf(makeSnapshot({ nodes })));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'critical', subject: { kind: 'cluster' } });
    expect(f[0]!.evidence.partitions).toEqual({ 'rabbit@a': ['rabbit@b'], 'rabbit@b': ['rabbit@a'] });
  });

  it('on 4.3+ (no partitions field) falls back to cluster links that omit a running node', () => {
    const nodes = [
      makeNode({ name: 'rabbit@a', clusterLinks: ['rabbit@b'] }),
      makeNode({ name: 'rabbit@b', clusterLinks: ['rabbit@a'] }),
      makeNode({ name: 'rabbit@c', clusterLinks: [] }),
    ];
    const s43 = makeSnapshot({ nodes, broker: { ...makeSnapshot().broker, version: '4.3.1' } });
    const f = run('network-partition', ctxOf(s43));
    expect(f).toHaveLength(1);
    expect(f[0]!.evidence).toMatchObject({ source: 'clusterLinks' });
    expect(Object.keys(f[0]!.evidence.unlinked as object).sort()).toEqual(['rabbit@a', 'rabbit@b', 'rabbit@c']);
    // before 4.3 the partitions field is authoritative: links are not second-guessed
    expect(run('network-partition', ctxOf(makeSnapshot({ nodes })))).toEqual([]);
  });

  it('is quiet when every running node links to every other, or links are not reported', () => {
    const linked = [
      makeNode({ name: 'rabbit@a', clusterLinks: ['rabbit@b'] }),
      makeNode({ name: 'rabbit@b', clusterLinks: ['rabbit@a'] }),
    ];
    const broker = { ...makeSnapshot().broker, version: '4.3.0' };
    expect(run('network-partition', ctxOf(makeSnapshot({ nodes: linked, broker })))).toEqual([]);
    expect(run('network-partition', ctxOf(makeSnapshot({ nodes: three(), broker })))).toEqual([]);
  });
});

describe('memory-alarm and memory-high', () => {
  it('memory-alarm is critical and memory-high then stays silent for that node', () => {
    const s = makeSnapshot({ nodes: [makeNode({ memAlarm: true, memUsed: 1100e6, memLimit: 1000e6 })] });
    expect(run('memory-alarm', ctxOf(s))).toMatchObject([{ severity: 'critical', subject: { kind: 'node', name: 'rabbit@node-1' } }]);
    expect(run('memory-high', ctxOf(s))).toEqual([]);
  });

  it('memory-high fires at 80 % of the watermark with the numbers in the summary', () => {
    const f = run('memory-high', ctxOf(makeSnapshot({ nodes: [makeNode({ memUsed: 850e6, memLimit: 1000e6 })] })));
    expect(f).toMatchObject([{ severity: 'warning', evidence: { ratio: 0.85, threshold: 0.8 } }]);
    expect(f[0]!.summary).toContain('85%');
    expect(run('memory-high', ctxOf(makeSnapshot({ nodes: [makeNode({ memUsed: 790e6, memLimit: 1000e6 })] })))).toEqual([]);
  });

  it('memory-high honours a configured ratio', () => {
    const lookup = thresholdLookup({ ...noConfig, thresholds: { 'memory-high': { ratio: 0.9 } } }, catalogue);
    expect(run('memory-high', ctxOf(makeSnapshot({ nodes: [makeNode({ memUsed: 850e6, memLimit: 1000e6 })] })), lookup)).toEqual([]);
  });
});

describe('disk-alarm and disk-low', () => {
  it('disk-alarm is critical', () => {
    const s = makeSnapshot({ nodes: [makeNode({ diskAlarm: true, diskFree: 5e8, diskFreeLimit: 1e9 })] });
    expect(run('disk-alarm', ctxOf(s))).toMatchObject([{ severity: 'critical' }]);
    expect(run('disk-low', ctxOf(s))).toEqual([]);
  });

  it('disk-low fires below 2 x the limit', () => {
    const low = makeSnapshot({ nodes: [makeNode({ diskFree: 1.5e9, diskFreeLimit: 1e9 })] });
    expect(run('disk-low', ctxOf(low))).toMatchObject([{ severity: 'warning', subject: { kind: 'node' } }]);
    const fine = makeSnapshot({ nodes: [makeNode({ diskFree: 2.5e9, diskFreeLimit: 1e9 })] });
    expect(run('disk-low', ctxOf(fine))).toEqual([]);
  });

  it('disk-low predicts reaching the limit within 24 h from an hour of linear decline', () => {
    const now = makeSnapshot().takenAt;
    // 11 GB free, limit 1 GB, losing 1 GB per hour: limit in ~10 h
    const points: Array<[number, number]> = [];
    for (let m = 60; m >= 1; m--) points.push([now - m * 60_000, 11e9 + (m / 60) * 1e9]);
    const learned = { ...emptyLearned(), series: { [diskSeriesKey('rabbit@node-1')]: points } };
    const s = makeSnapshot({ nodes: [makeNode({ diskFree: 11e9, diskFreeLimit: 1e9 })] });
    const f = run('disk-low', ctxOf(s, { learned }));
    expect(f).toHaveLength(1);
    const hours = (f[0]!.evidence.secondsToLimit as number) / 3600;
    expect(hours).toBeGreaterThan(9.5);
    expect(hours).toBeLessThan(10.5);
    expect(f[0]!.summary).toMatch(/will reach/);
  });

  it('disk-low does not predict from a slow decline or a short trend', () => {
    const now = makeSnapshot().takenAt;
    const slow: Array<[number, number]> = [];
    for (let m = 60; m >= 1; m--) slow.push([now - m * 60_000, 40e9 + (m / 60) * 1e9]); // 39 h to go
    const s = makeSnapshot({ nodes: [makeNode({ diskFree: 40e9, diskFreeLimit: 1e9 })] });
    expect(run('disk-low', ctxOf(s, { learned: { ...emptyLearned(), series: { [diskSeriesKey('rabbit@node-1')]: slow } } }))).toEqual([]);
    const short: Array<[number, number]> = [];
    for (let m = 10; m >= 1; m--) short.push([now - m * 60_000, 11e9 + m * 1e9]); // steep but only 10 min
    const s2 = makeSnapshot({ nodes: [makeNode({ diskFree: 11e9, diskFreeLimit: 1e9 })] });
    expect(run('disk-low', ctxOf(s2, { learned: { ...emptyLearned(), series: { [diskSeriesKey('rabbit@node-1')]: short } } }))).toEqual([]);
  });
});

describe('file-descriptors-high', () => {
  it('fires on fds and names every resource over the ratio; ignores unreported sockets', () => {
    const n = makeNode({ fdUsed: 900, fdTotal: 1000, socketsUsed: 0, socketsTotal: 0, procUsed: 900_000, procTotal: 1_000_000 });
    const f = run('file-descriptors-high', ctxOf(makeSnapshot({ nodes: [n] })));
    expect(f).toHaveLength(1);
    expect(f[0]!.evidence.high).toEqual(['file descriptors', 'Erlang processes']);
    expect(f[0]!.summary).toContain('90%');
  });

  it('is quiet below 80 %', () => {
    expect(run('file-descriptors-high', ctxOf(makeSnapshot({ nodes: [makeNode({ fdUsed: 700, fdTotal: 1000 })] })))).toEqual([]);
  });
});

describe('cluster-version-mismatch', () => {
  it('fires when RabbitMQ or Erlang versions differ between running nodes', () => {
    const nodes = [makeNode({ name: 'rabbit@a' }), makeNode({ name: 'rabbit@b', rabbitmqVersion: '3.11.2' })];
    const f = run('cluster-version-mismatch', ctxOf(makeSnapshot({ nodes })));
    expect(f).toMatchObject([{ severity: 'warning', subject: { kind: 'cluster' } }]);
    expect(f[0]!.summary).toContain('3.10.8 on rabbit@a vs 3.11.2 on rabbit@b');
    const erl = [makeNode({ name: 'rabbit@a' }), makeNode({ name: 'rabbit@b', erlangVersion: '26.0' })];
    expect(run('cluster-version-mismatch', ctxOf(makeSnapshot({ nodes: erl })))[0]!.summary).toContain('Erlang');
    expect(run('cluster-version-mismatch', ctxOf(makeSnapshot({ nodes: three() })))).toEqual([]);
  });
});

describe('node-restarted', () => {
  it('fires (info) when uptime went backwards against what was learned', () => {
    const s = makeSnapshot({ nodes: [makeNode({ uptimeMs: 3_600_000 })] });
    const learned = { ...emptyLearned(), nodeUptimeMs: { 'rabbit@node-1': 7_200_000 } };
    expect(run('node-restarted', ctxOf(s, { learned }))).toMatchObject([{ severity: 'info', subject: { kind: 'node', name: 'rabbit@node-1' } }]);
    expect(run('node-restarted', ctxOf(s, { learned: { ...emptyLearned(), nodeUptimeMs: { 'rabbit@node-1': 3_000_000 } } }))).toEqual([]);
  });

  it('a first start is not a restart: a short uptime with no earlier uptime known raises nothing (one-shot or daemon)', () => {
    const recent = makeSnapshot({ nodes: [makeNode({ uptimeMs: 120_000 })] });
    expect(run('node-restarted', ctxOf(recent, { oneShot: true }))).toEqual([]);
    expect(run('node-restarted', ctxOf(recent))).toEqual([]);
    expect(run('node-restarted', ctxOf(makeSnapshot(), { oneShot: true }))).toEqual([]);
  });

  it('keeps reporting a restart it saw for recentSeconds, says what it means', () => {
    const before = makeSnapshot({ nodes: [makeNode({ uptimeMs: 7_200_000 })] });
    const after = later(before, 30, { nodes: [makeNode({ uptimeMs: 20_000 })] });
    const learned = learn(learn(emptyLearned(), before), after);
    const f = run('node-restarted', ctxOf(after, { learned: learn(emptyLearned(), before) }));
    expect(f[0]!.summary).toContain('went back from 2h');
    const next = later(after, 60, { nodes: [makeNode({ uptimeMs: 80_000 })] });
    expect(run('node-restarted', ctxOf(next, { learned }))).toHaveLength(1);
    const much = later(after, 700, { nodes: [makeNode({ uptimeMs: 720_000 })] });
    expect(run('node-restarted', ctxOf(much, { learned }))).toEqual([]);
  });
});

describe('classic-mirroring-policy', () => {
  it('fires per ha-mode policy on its vhost, and says 4.x ignores it', () => {
    const policies = [
      { name: 'ha-all', vhost: '/', pattern: '^(?!amq\\.).*', applyTo: 'queues', priority: 0, definition: { 'ha-mode': 'all' } },
      { name: 'ttl', vhost: '/', pattern: '^notifications', applyTo: 'queues', priority: 0, definition: { 'message-ttl': 3600000 } },
    ];
    const f = run('classic-mirroring-policy', ctxOf(makeSnapshot({ policies })));
    expect(f).toMatchObject([{ severity: 'warning', subject: { kind: 'vhost', name: '/', vhost: '/' }, evidence: { policy: 'ha-all' } }]);
    const on4 = makeSnapshot({ policies, broker: { ...makeSnapshot().broker, version: '4.0.5' } });
    expect(run('classic-mirroring-policy', ctxOf(on4))[0]!.summary).toContain('nothing is replicated');
    expect(run('classic-mirroring-policy', ctxOf(makeSnapshot({ policies: policies.slice(1) })))).toEqual([]);
  });
});

describe('quorum-even-node-count', () => {
  const qq = makeQueue({ name: 'conductor', type: 'quorum' });
  it('fires (info) with quorum queues on an even number of nodes', () => {
    expect(run('quorum-even-node-count', ctxOf(makeSnapshot({ nodes: three().slice(0, 2), queues: [qq] })))).toMatchObject([{ severity: 'info' }]);
  });
  it('is quiet on odd clusters or without quorum queues', () => {
    expect(run('quorum-even-node-count', ctxOf(makeSnapshot({ nodes: three(), queues: [qq] })))).toEqual([]);
    expect(run('quorum-even-node-count', ctxOf(makeSnapshot({ nodes: three().slice(0, 2), queues: [makeQueue({ name: 'x' })] })))).toEqual([]);
  });
});

describe('guest-user-enabled', () => {
  it('fires when a user named guest exists', () => {
    const s = makeSnapshot({ users: [{ name: 'guest', tags: ['administrator'] }, { name: 'openstack', tags: [] }] });
    expect(run('guest-user-enabled', ctxOf(s))).toMatchObject([{ severity: 'warning', subject: { kind: 'cluster' } }]);
    expect(run('guest-user-enabled', ctxOf(makeSnapshot()))).toEqual([]);
  });
});

describe('broker-unreachable', () => {
  it('is never produced from a Snapshot', () => {
    expect(run('broker-unreachable', ctxOf(makeSnapshot()))).toEqual([]);
  });

  it('unreachableFinding is critical, names the target, and carries no password', () => {
    const f = unreachableFinding(
      'prod',
      'http://monitor:s3cret@10.0.0.10:15672',
      'connect ECONNREFUSED while fetching http://monitor:s3cret@10.0.0.10:15672/api/overview (password s3cret)',
      ['s3cret'],
    );
    expect(f).toMatchObject({ rule: 'broker-unreachable', severity: 'critical', subject: { kind: 'cluster', name: 'prod' } });
    expect(JSON.stringify(f)).not.toContain('s3cret');
    expect(JSON.stringify(f)).not.toContain('monitor:');
    expect(f.summary).toContain('http://10.0.0.10:15672');
    expect(f.remedy).toMatch(/management plugin/);
    expect(f.remedy).toMatch(/15672/);
    expect(f.remedy).toMatch(/credentials/);
  });
});

describe('every rule', () => {
  it('reports nothing on the default healthy single-node Snapshot in both modes', () => {
    const s = makeSnapshot();
    for (const oneShot of [false, true]) {
      const ctx = ctxOf(s, { oneShot, history: [later(s, -10), s] });
      for (const rule of catalogue) expect([rule.id, rule.evaluate(ctx, defaults)]).toEqual([rule.id, []]);
    }
  });

  it('a rule disabled in the config reports nothing', () => {
    const lookup = thresholdLookup({ ...noConfig, disabled: ['memory-alarm'] }, catalogue);
    const s = makeSnapshot({ nodes: [makeNode({ memAlarm: true })] });
    expect(run('memory-alarm', ctxOf(s), lookup)).toEqual([]);
  });
});
