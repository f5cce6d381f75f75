import { describe, expect, it } from 'vitest';
import type { RulesConfig } from '../../src/config/schema.js';
import { catalogue, ruleById } from '../../src/rules/catalogue.js';
import { CONNECTIONS_KEY, emptyLearned } from '../../src/rules/learn.js';
import { thresholdLookup } from '../../src/rules/thresholds.js';
import type { LearnedState, RuleContext, ThresholdLookup } from '../../src/rules/types.js';
import type { Snapshot } from '../../src/snapshot/types.js';
import { later, makeConnection, makeSnapshot, makeTotals } from '../support/snapshot.js';

const noConfig: RulesConfig = { disabled: [], thresholds: {}, overrides: [] };
const defaults = thresholdLookup(noConfig, catalogue);

function ctxOf(snapshot: Snapshot, p: Partial<RuleContext> = {}): RuleContext {
  return { now: snapshot.takenAt, snapshot, history: [snapshot], learned: emptyLearned(), oneShot: false, ...p };
}

function run(id: string, ctx: RuleContext, lookup: ThresholdLookup = defaults) {
  return ruleById(id)!.evaluate(ctx, lookup);
}

describe('connections-blocked', () => {
  it('reports blocked and blocking connections per vhost, critical', () => {
    const connections = [
      makeConnection({ name: 'c1', state: 'blocked', role: { service: 'nova', binary: 'nova-api', pid: '1', host: 'ctl-1' } }),
      makeConnection({ name: 'c2', state: 'blocking' }),
      makeConnection({ name: 'c3', state: 'running' }),
      makeConnection({ name: 'c4', state: 'blocked', vhost: 'neutron' }),
    ];
    const f = run('connections-blocked', ctxOf(makeSnapshot({ connections })));
    expect(f.map((x) => [x.subject.name, x.severity, x.evidence.blocked, x.evidence.blocking])).toEqual([
      ['/', 'critical', 1, 1],
      ['neutron', 'critical', 1, 0],
    ]);
    expect(f[0]!.summary).toContain('nova-api');
  });

  it('is quiet while connections run or are in flow control', () => {
    const connections = [makeConnection({ name: 'c1', state: 'flow' }), makeConnection({ name: 'c2' })];
    expect(run('connections-blocked', ctxOf(makeSnapshot({ connections })))).toEqual([]);
  });
});

describe('connection-count-high', () => {
  const withConnections = (n: number) => makeSnapshot({ totals: makeTotals({ connections: n }) });
  const baseline = (value: number, samples: number): LearnedState => ({ ...emptyLearned(), baselines: { [CONNECTIONS_KEY]: { value, samples } } });

  it('fires at a configured limit', () => {
    const lookup = thresholdLookup({ ...noConfig, thresholds: { 'connection-count-high': { limit: 100 } } }, catalogue);
    expect(run('connection-count-high', ctxOf(withConnections(120)), lookup)).toMatchObject([{ severity: 'warning', evidence: { limit: 100 } }]);
    expect(run('connection-count-high', ctxOf(withConnections(99)), lookup)).toEqual([]);
  });

  it('fires at 2 x a learned baseline once the baseline has enough samples', () => {
    const f = run('connection-count-high', ctxOf(withConnections(250), { learned: baseline(100, 30) }));
    expect(f).toHaveLength(1);
    expect(f[0]!.summary).toContain('2.5 ×');
    expect(run('connection-count-high', ctxOf(withConnections(250), { learned: baseline(100, 5) }))).toEqual([]);
    expect(run('connection-count-high', ctxOf(withConnections(150), { learned: baseline(100, 30) }))).toEqual([]);
  });

  it('keeps small clusters quiet and cannot judge a baseline in one-shot runs (none learned)', () => {
    expect(run('connection-count-high', ctxOf(withConnections(20), { learned: baseline(5, 30) }))).toEqual([]);
    expect(run('connection-count-high', ctxOf(withConnections(5000), { oneShot: true }))).toEqual([]);
  });
});

describe('connection-leak', () => {
  const start = makeSnapshot().takenAt;
  /** One point every 30 s over `minutes`, value from f(minutesAgo). */
  function series(minutes: number, f: (minutesAgo: number) => number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let s = minutes * 60; s > 0; s -= 30) out.push([start - s * 1000, f(s / 60)]);
    return out;
  }
  const at = (n: number) => ctxOf(makeSnapshot({ totals: makeTotals({ connections: n }) }), {
    learned: { ...emptyLearned(), series: { [CONNECTIONS_KEY]: series(32, (m) => 200 - m * 2 + (m % 2 === 0 ? 5 : 0)) } },
  });

  it('fires when the floor of the connection count rose through 30 min despite churn', () => {
    const f = run('connection-leak', at(200));
    expect(f).toMatchObject([{ severity: 'warning', subject: { kind: 'cluster' } }]);
    expect((f[0]!.evidence.floor as number[]).length).toBe(6);
  });

  it('is quiet when the count fell back at some point, or grew less than minIncrease', () => {
    const dip = series(32, (m) => (m > 5 && m < 8 ? 100 : 200 - m));
    expect(run('connection-leak', ctxOf(makeSnapshot({ totals: makeTotals({ connections: 200 }) }), { learned: { ...emptyLearned(), series: { [CONNECTIONS_KEY]: dip } } }))).toEqual([]);
    const flat = series(32, (m) => 200 - Math.floor(m / 6));
    expect(run('connection-leak', ctxOf(makeSnapshot({ totals: makeTotals({ connections: 200 }) }), { learned: { ...emptyLearned(), series: { [CONNECTIONS_KEY]: flat } } }))).toEqual([]);
  });

  it('needs the series to cover the window, and never fires one-shot', () => {
    const short = series(20, (m) => 200 - m * 5);
    expect(run('connection-leak', ctxOf(makeSnapshot({ totals: makeTotals({ connections: 200 }) }), { learned: { ...emptyLearned(), series: { [CONNECTIONS_KEY]: short } } }))).toEqual([]);
    expect(run('connection-leak', { ...at(200), oneShot: true })).toEqual([]);
  });
});

describe('connection-churn', () => {
  function churn(open: number, openedPerSec: number, closedPerSec: number, seconds = 120): RuleContext {
    const a = makeSnapshot({ totals: makeTotals({ connections: open, connectionsCreated: 1000, connectionsClosed: 900 }) });
    const b = later(a, seconds, {
      totals: makeTotals({ connections: open, connectionsCreated: 1000 + openedPerSec * seconds, connectionsClosed: 900 + closedPerSec * seconds }),
    });
    return ctxOf(b, { history: [a, b] });
  }

  it('fires when (opened + closed)/s reaches 10 % of the open connections', () => {
    const f = run('connection-churn', churn(200, 10, 10));
    expect(f).toMatchObject([{ severity: 'warning', evidence: { openedPerSecond: 10, closedPerSecond: 10, open: 200 } }]);
  });

  it('is quiet below the ratio or below 100 open connections', () => {
    expect(run('connection-churn', churn(200, 5, 5 - 0.5))).toEqual([]);
    expect(run('connection-churn', churn(90, 50, 50))).toEqual([]);
  });

  it('one-shot: uses the samples given', () => {
    const ctx = churn(200, 15, 15, 10);
    expect(run('connection-churn', { ...ctx, oneShot: true })).toHaveLength(1);
  });
});

describe('channels-per-connection-high', () => {
  const nova = { service: 'nova', binary: 'nova-conductor', pid: '4711', host: 'ctl-1' };
  it('fires for a connection with more than 10 channels, naming the process', () => {
    const f = run('channels-per-connection-high', ctxOf(makeSnapshot({ connections: [makeConnection({ name: '10.0.0.11:5000 -> 10.0.0.10:5672', channels: 12, role: nova })] })));
    expect(f).toMatchObject([{ severity: 'warning', subject: { kind: 'connection', name: '10.0.0.11:5000 -> 10.0.0.10:5672', vhost: '/' }, labels: { service: 'nova', host: 'ctl-1' } }]);
    expect(f[0]!.summary).toContain('nova-conductor (pid 4711) on ctl-1');
  });

  it('fires above half of a small channel_max', () => {
    expect(run('channels-per-connection-high', ctxOf(makeSnapshot({ connections: [makeConnection({ name: 'c', channels: 9, channelMax: 16 })] })))).toHaveLength(1);
  });

  it('is quiet at one channel per connection, and honours a per-service override', () => {
    expect(run('channels-per-connection-high', ctxOf(makeSnapshot({ connections: [makeConnection({ name: 'c' })] })))).toEqual([]);
    const lookup = thresholdLookup({ ...noConfig, overrides: [{ rule: 'channels-per-connection-high', service: 'nova', thresholds: { channels: 50 } }] }, catalogue);
    expect(run('channels-per-connection-high', ctxOf(makeSnapshot({ connections: [makeConnection({ name: 'c', channels: 12, role: nova })] })), lookup)).toEqual([]);
  });
});
