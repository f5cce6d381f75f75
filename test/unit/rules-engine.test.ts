import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/config/index.js';
import type { RulesConfig } from '../../src/config/schema.js';
import { catalogue } from '../../src/rules/catalogue.js';
import { evaluateAll, evaluateRules } from '../../src/rules/evaluate.js';
import { BASELINE_TAU_MS, CONNECTIONS_KEY, SERIES_SPAN_MS, diskSeriesKey, emptyLearned, learn, serviceBaselineKey } from '../../src/rules/learn.js';
import { checkRulesConfig, thresholdLookup } from '../../src/rules/thresholds.js';
import type { Finding, LearnedState, Rule, RuleContext } from '../../src/rules/types.js';
import { later, makeConnection, makeNode, makeSnapshot, makeTotals } from '../support/snapshot.js';

const none: RulesConfig = { disabled: [], thresholds: {}, overrides: [] };

describe('thresholdLookup', () => {
  it('returns the rule defaults, then cluster thresholds over them', () => {
    expect(thresholdLookup(none, catalogue)('queue-backlog', {})).toEqual({ warning: 1000, critical: 10000 });
    const l = thresholdLookup({ ...none, thresholds: { 'queue-backlog': { warning: 50 } } }, catalogue);
    expect(l('queue-backlog', { vhost: '/', queue: 'x' })).toEqual({ warning: 50, critical: 10000 });
  });

  it('applies matching overrides in order: vhost, anchored queue pattern, service', () => {
    const l = thresholdLookup(
      {
        ...none,
        overrides: [
          { rule: 'queue-backlog', vhost: 'nova', thresholds: { warning: 10 } },
          { rule: 'queue-backlog', queue: 'notifications\\..*', thresholds: { warning: 20 } },
          { rule: 'queue-backlog', service: 'heat', thresholds: { critical: 30 } },
        ],
      },
      catalogue,
    );
    expect(l('queue-backlog', { vhost: 'nova', queue: 'conductor' })).toEqual({ warning: 10, critical: 10000 });
    expect(l('queue-backlog', { vhost: 'nova', queue: 'notifications.info' })).toEqual({ warning: 20, critical: 10000 });
    expect(l('queue-backlog', { vhost: '/', queue: 'my-notifications.info' })).toEqual({ warning: 1000, critical: 10000 });
    expect(l('queue-backlog', { vhost: '/', queue: 'engine', service: 'heat' })).toEqual({ warning: 1000, critical: 30 });
    // a scope without the constrained field does not match
    expect(l('queue-backlog', {})).toEqual({ warning: 1000, critical: 10000 });
  });

  it('disables globally, per override, and lets a later override re-enable', () => {
    const l = thresholdLookup(
      {
        disabled: ['guest-user-enabled'],
        thresholds: {},
        overrides: [
          { rule: 'queue-no-consumer', vhost: 'batch', disabled: true },
          { rule: 'queue-no-consumer', vhost: 'batch', queue: 'important', disabled: false },
        ],
      },
      catalogue,
    );
    expect(l('guest-user-enabled', {})).toBeNull();
    expect(l('queue-no-consumer', { vhost: 'batch', queue: 'scratch' })).toBeNull();
    expect(l('queue-no-consumer', { vhost: 'batch', queue: 'important' })).toEqual({ messages: 1 });
    expect(l('queue-no-consumer', { vhost: '/', queue: 'scratch' })).toEqual({ messages: 1 });
  });

  it('does not let one lookup leak into the next', () => {
    const l = thresholdLookup({ ...none, overrides: [{ rule: 'queue-backlog', queue: 'a', thresholds: { warning: 1 } }] }, catalogue);
    const a = l('queue-backlog', { queue: 'a' }) as Record<string, number>;
    expect(a.warning).toBe(1);
    expect(l('queue-backlog', { queue: 'b' })!.warning).toBe(1000);
    expect(Object.isFrozen(l('queue-backlog', { queue: 'b' }))).toBe(true);
  });

  it('rejects an invalid queue pattern with a ConfigError', () => {
    expect(() => thresholdLookup({ ...none, overrides: [{ rule: 'queue-backlog', queue: '([' }] }, catalogue)).toThrow(ConfigError);
  });

  it('checkRulesConfig names unknown rules and threshold keys', () => {
    const problems = checkRulesConfig(
      { disabled: ['queue-backlogg'], thresholds: { 'memory-high': { ratoi: 0.9 } }, overrides: [{ rule: 'nope' }] },
      catalogue,
    );
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('queue-backlogg');
    expect(problems[1]).toContain('"ratoi"');
    expect(problems[1]).toContain('ratio');
    expect(checkRulesConfig(none, catalogue)).toEqual([]);
  });
});

describe('learn', () => {
  it('tracks the most nodes seen and the last uptime per node, without mutating its input', () => {
    const prev = Object.freeze({ ...emptyLearned(), maxNodes: 3, nodeUptimeMs: Object.freeze({ 'rabbit@x': 5 }) }) as LearnedState;
    const s = makeSnapshot({ nodes: [makeNode({ name: 'rabbit@a', uptimeMs: 1000 }), makeNode({ name: 'rabbit@b', uptimeMs: 2000 })] });
    const next = learn(prev, s);
    expect(next.maxNodes).toBe(3);
    expect(next.nodeUptimeMs).toEqual({ 'rabbit@x': 5, 'rabbit@a': 1000, 'rabbit@b': 2000 });
    expect(prev.nodeUptimeMs).toEqual({ 'rabbit@x': 5 });
    expect(learn(emptyLearned(), s).maxNodes).toBe(2);
  });

  it('keeps a time-aware EWMA of total connections', () => {
    const s0 = makeSnapshot({ totals: makeTotals({ connections: 100 }) });
    let l = learn(emptyLearned(), s0);
    expect(l.baselines[CONNECTIONS_KEY]).toMatchObject({ value: 100, samples: 1 });
    // one time constant later a step to 200 moves the baseline ~63 % of the way
    l = learn(l, later(s0, BASELINE_TAU_MS / 1000, { totals: makeTotals({ connections: 200 }) }));
    expect(l.baselines[CONNECTIONS_KEY]!.value).toBeCloseTo(100 + 100 * (1 - Math.exp(-1)), 5);
    expect(l.baselines[CONNECTIONS_KEY]!.samples).toBe(2);
  });

  it('learns per service and host from the connection list only when the inventory was refreshed', () => {
    const role = { service: 'nova', binary: 'nova-compute', pid: '1', host: 'cmp-01' };
    const connections = [makeConnection({ name: 'a', role }), makeConnection({ name: 'b', role }), makeConnection({ name: 'c' })];
    const s = makeSnapshot({ connections });
    const stale = { ...s, poll: { ...s.poll, inventoryRefreshed: false, connectionsRefreshed: false } };
    expect(learn(emptyLearned(), stale).baselines[serviceBaselineKey('nova', 'cmp-01')]).toBeUndefined();
    expect(learn(emptyLearned(), s).baselines[serviceBaselineKey('nova', 'cmp-01')]).toMatchObject({ value: 2, samples: 1 });
  });

  it('keeps bounded series: two hours of connections and free disk per present node', () => {
    let l = emptyLearned();
    const s0 = makeSnapshot({ nodes: [makeNode({ name: 'rabbit@a' })] });
    for (let i = 0; i <= 300; i++) l = learn(l, later(s0, i * 30, { totals: makeTotals({ connections: i }) }));
    const series = l.series[CONNECTIONS_KEY]!;
    expect(series[series.length - 1]).toEqual([s0.takenAt + 300 * 30_000, 300]);
    expect(series[series.length - 1]![0] - series[0]![0]).toBeLessThanOrEqual(SERIES_SPAN_MS);
    expect(series.length).toBe(241);
    expect(l.series[diskSeriesKey('rabbit@a')]).toHaveLength(241);
    l = learn(l, later(s0, 301 * 30, { nodes: [makeNode({ name: 'rabbit@b' })] }));
    expect(l.series[diskSeriesKey('rabbit@a')]).toBeUndefined();
  });
});

describe('evaluateRules', () => {
  const ctx: RuleContext = {
    now: 0,
    snapshot: makeSnapshot({ nodes: [makeNode({ memAlarm: true }), makeNode({ name: 'rabbit@b', memUsed: 900e6 })], users: [{ name: 'guest', tags: [] }] }),
    history: [],
    learned: emptyLearned(),
    oneShot: false,
  };
  const lookup = thresholdLookup(none, catalogue);

  it('sorts worst first', () => {
    const f = evaluateRules(ctx, lookup);
    expect(f.map((x) => [x.severity, x.rule])).toEqual([
      ['critical', 'memory-alarm'],
      ['warning', 'guest-user-enabled'],
      ['warning', 'memory-high'],
    ]);
  });

  it('a throwing rule becomes a reported error and the others still run', () => {
    const broken: Rule = { ...catalogue[0]!, id: 'broken', evaluate: () => { throw new Error('boom'); } };
    const all = [broken, ...catalogue];
    const { findings, errors } = evaluateAll(ctx, lookup, all);
    expect(errors).toEqual([{ rule: 'broken', message: 'boom' }]);
    expect(findings).toHaveLength(3);
    const onError = vi.fn();
    expect(evaluateRules(ctx, lookup, all, onError)).toHaveLength(3);
    expect(onError).toHaveBeenCalledWith({ rule: 'broken', message: 'boom' });
  });

  it('keeps one finding per rule and subject, the worst', () => {
    const twice: Rule = {
      ...catalogue[0]!,
      id: 'twice',
      evaluate: (): Finding[] => [
        { rule: 'twice', severity: 'warning', subject: { kind: 'queue', name: 'q', vhost: '/' }, summary: 'w', remedy: '', evidence: {} },
        { rule: 'twice', severity: 'critical', subject: { kind: 'queue', name: 'q', vhost: '/' }, summary: 'c', remedy: '', evidence: {} },
      ],
    };
    expect(evaluateRules(ctx, lookup, [twice]).map((f) => f.summary)).toEqual(['c']);
  });
});

describe('learned baselines on a cold start', () => {
  it('follow the real level when warren starts before the clients have connected', () => {
    // First poll: the services are still connecting. Then 20 polls at the real level.
    const s0 = makeSnapshot({ totals: makeTotals({ connections: 0 }) });
    let l = learn(emptyLearned(), s0);
    for (let i = 1; i <= 20; i++) l = learn(l, later(s0, i * 30, { totals: makeTotals({ connections: 100 }) }));
    // A baseline pinned near the first sample would make 100 connections look like 2x "normal".
    expect(l.baselines[CONNECTIONS_KEY]!.value).toBeGreaterThan(90);
  });
});
