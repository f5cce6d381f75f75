// Identity and freshness (issue 12): alerts and series keyed by the configured cluster
// name with the broker's own name beside it as `rabbitmq_cluster`; alerts saved under
// another key resolved on restore; data age, warren_stale, warren_starting and /healthz
// judged at the time they are asked, driven here by an injected clock.
import { describe, expect, it } from 'vitest';
import { renderFreshness, renderMetrics } from '../../src/metrics/render.js';
import type { PollStatus } from '../../src/poll/index.js';
import { adoptAlertState, alertFingerprint, emptyAlertState, stepAlerts } from '../../src/rules/alerts.js';
import type { Finding } from '../../src/rules/types.js';
import { health, type ClusterRuntime } from '../../src/server/agent.js';
import { metric } from '../support/agent.js';
import { FakeClock } from '../support/clock.js';
import { makeSnapshot } from '../support/snapshot.js';

const rules = [
  { id: 'node-restarted', forSeconds: 0 },
  { id: 'broker-unreachable', forSeconds: 0 },
];
const restarted: Finding = { rule: 'node-restarted', severity: 'warning', subject: { kind: 'node', name: 'rabbit@a' }, summary: 's', remedy: 'r', evidence: {} };

function status(p: Partial<PollStatus>): PollStatus {
  return { latest: null, history: [], lastAttemptAt: null, lastSuccessAt: null, lastError: null, consecutiveFailures: 0, skipped: 0, errors: 0, clusterLabel: 'region-1', brokerCluster: null, ...p };
}

/** A runtime with only what health() reads, its poll status set by the test. */
function runtime(intervalMs: number, startedAt: number, st: () => PollStatus): ClusterRuntime {
  return { cfg: { name: 'region-1', interval: intervalMs }, startedAt, poller: { status: st } } as unknown as ClusterRuntime;
}

describe('alert identity', () => {
  it('keeps an alert through a broker rename: same fingerprint, the label set it was raised with, resolved under it', () => {
    const clock = new FakeClock();
    const step = (state: ReturnType<typeof emptyAlertState>, f: Finding[], brokerName: string) =>
      stepAlerts(state, f, clock.now(), 'region-1', rules, { clusterLabels: { rabbitmq_cluster: brokerName } });
    let r = step(emptyAlertState(), [restarted], 'rabbit@old');
    expect(r.changes.map((c) => [c.type, c.alert.labels.cluster, c.alert.labels.rabbitmq_cluster])).toEqual([['firing', 'region-1', 'rabbit@old']]);
    const fp = r.changes[0]!.alert.fingerprint;
    expect(fp).toBe(alertFingerprint('region-1', 'node-restarted', restarted.subject));
    // PUT /api/cluster-name: the next polls see the new name; nothing new fires.
    clock.t += 30_000;
    r = step(r.state, [restarted], 'rabbit@new');
    expect(r.changes).toEqual([]);
    expect(Object.keys(r.state.alerts)).toEqual([fp]);
    expect(r.state.alerts[fp]!.labels.rabbitmq_cluster).toBe('rabbit@old');
    // The condition goes: it resolves (3 evaluations, 60 s), with the labels it fired with.
    const resolved = [];
    for (let i = 0; i < 4; i++) {
      clock.t += 30_000;
      r = step(r.state, [], 'rabbit@new');
      resolved.push(...r.changes);
    }
    expect(resolved.map((c) => [c.type, c.alert.fingerprint, c.alert.labels.rabbitmq_cluster])).toEqual([['resolved', fp, 'rabbit@old']]);
    expect(r.state.alerts).toEqual({});
    // Raised again after the rename, it carries the new name.
    r = step(r.state, [restarted], 'rabbit@new');
    expect(r.changes[0]!.alert.labels.rabbitmq_cluster).toBe('rabbit@new');
  });

  it('resolves alerts saved under another key (an older warren keyed them by the broker name) and keeps its own', () => {
    const clock = new FakeClock();
    // As an older warren saved it: broker-unreachable under the configured name (before any
    // answer), node-restarted under the broker's name (after it).
    const own = stepAlerts(emptyAlertState(), [{ ...restarted, rule: 'broker-unreachable', subject: { kind: 'cluster', name: 'region-1' } }], clock.now(), 'region-1', rules).state;
    const old = stepAlerts(own, [restarted], clock.now(), 'rabbit@old', rules).state;
    expect(Object.values(old.alerts).map((a) => [a.cluster, a.state])).toEqual([['region-1', 'firing'], ['rabbit@old', 'firing']]);
    clock.t += 1000;
    const adopted = adoptAlertState(old, 'region-1', clock.now());
    expect(adopted.changes.map((c) => [c.type, c.alert.rule, c.alert.labels.cluster])).toEqual([['resolved', 'node-restarted', 'rabbit@old']]);
    expect(Object.values(adopted.state.alerts).map((a) => a.rule)).toEqual(['broker-unreachable']);
    // The kept one resolves when the broker answers (its condition no longer holds): nothing stays firing.
    let state = adopted.state;
    const changes = [];
    for (let i = 0; i < 4; i++) {
      clock.t += 30_000;
      const r = stepAlerts(state, [], clock.now(), 'region-1', rules);
      state = r.state;
      changes.push(...r.changes);
    }
    expect(changes.map((c) => [c.type, c.alert.rule])).toEqual([['resolved', 'broker-unreachable']]);
    expect(state.alerts).toEqual({});
    // An empty or current state is left alone.
    expect(adoptAlertState(emptyAlertState(), 'region-1', clock.now())).toEqual({ state: emptyAlertState(), changes: [] });
  });
});

describe('series identity', () => {
  it('labels every series with the configured name and the broker name as rabbitmq_cluster on rabbitmq_up and rabbitmq_version_info', () => {
    const snap = makeSnapshot();
    const input = (name: string) => ({ status: status({ clusterLabel: name, latest: snap, history: [snap], lastSuccessAt: snap.takenAt, brokerCluster: snap.cluster }), intervalMs: 10_000, expectedNodes: 1, view: null, alerts: [] });
    // Two regions whose brokers share a cluster name.
    const { text } = renderMetrics([input('region-1'), input('region-2')], { version: 't', notifications: [], now: snap.takenAt });
    for (const name of ['region-1', 'region-2']) {
      expect(metric(text, 'rabbitmq_up', { cluster: name, rabbitmq_cluster: snap.cluster })).toBe(1);
      expect(metric(text, 'rabbitmq_version_info', { cluster: name, rabbitmq_cluster: snap.cluster })).toBe(1);
      expect(metric(text, 'rabbitmq_queues', { cluster: name })).toBeDefined();
    }
    expect(text).not.toMatch(new RegExp(`[{,]cluster="${snap.cluster}"`));
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(new Set(lines.map((l) => l.slice(0, l.lastIndexOf(' ')))).size).toBe(lines.length);
  });

  it('serves no rabbitmq_up before the first poll has ended, warren_starting instead', () => {
    const clock = new FakeClock();
    const startedAt = clock.now();
    const first = (st: PollStatus) => renderMetrics([{ status: st, intervalMs: 10_000, startedAt, expectedNodes: 0, view: null, alerts: [] }], { version: 't', notifications: [], now: clock.now() }).text;
    let text = first(status({}));
    expect(metric(text, 'rabbitmq_up')).toBeUndefined();
    expect(metric(text, 'warren_starting', { cluster: 'region-1' })).toBe(1);
    expect(metric(text, 'warren_up', { cluster: 'region-1' })).toBe(0);
    // The first poll failed, within the start grace: rabbitmq_up 0, still starting.
    clock.t += 5_000;
    text = first(status({ lastError: 'refused' }));
    expect(metric(text, 'rabbitmq_up', { cluster: 'region-1' })).toBe(0);
    expect(metric(text, 'warren_starting')).toBe(1);
    // Three intervals on and never answered: no longer starting (broker-unreachable may fire).
    clock.t += 26_000;
    expect(metric(first(status({ lastError: 'refused' })), 'warren_starting')).toBe(0);
  });
});

describe('staleness judged when asked', () => {
  it('ages the data of a poll that hangs: data age grows, warren_stale and /healthz turn with it', () => {
    const clock = new FakeClock();
    const interval = 5_000;
    const snap = makeSnapshot({ takenAt: clock.now() });
    // The last poll succeeded; the next one is running (hung): the status stays the same.
    const st = status({ latest: snap, history: [snap], lastAttemptAt: clock.now(), lastSuccessAt: clock.now() });
    const rt = runtime(interval, clock.now() - 60_000, () => st);
    const fresh = (now: number) => renderFreshness([{ cluster: 'region-1', takenAt: snap.takenAt, intervalMs: interval, starting: false }], now).text;

    clock.t += 2_000;
    expect(metric(fresh(clock.now()), 'warren_data_age_seconds', { cluster: 'region-1' })).toBe(2);
    expect(metric(fresh(clock.now()), 'warren_stale')).toBe(0);
    expect(health([rt], clock.now()).ok).toBe(true);

    clock.t += 13_000; // 15 s: exactly three intervals, not yet older
    expect(metric(fresh(clock.now()), 'warren_stale')).toBe(0);
    expect(health([rt], clock.now()).ok).toBe(true);

    clock.t += 6_000;
    expect(metric(fresh(clock.now()), 'warren_data_age_seconds')).toBe(21);
    expect(metric(fresh(clock.now()), 'warren_stale')).toBe(1);
    const h = health([rt], clock.now());
    expect(h.ok).toBe(false);
    expect(JSON.stringify(h.body)).toContain('still running');
  });

  it('is unhealthy before any success and serves no data age then', () => {
    const clock = new FakeClock();
    const rt = runtime(5_000, clock.now(), () => status({}));
    expect(health([rt], clock.now()).ok).toBe(false);
    const text = renderFreshness([{ cluster: 'region-1', takenAt: null, intervalMs: 5_000, starting: true }], clock.now()).text;
    expect(metric(text, 'warren_data_age_seconds')).toBeUndefined();
    expect(metric(text, 'warren_stale')).toBeUndefined();
    expect(metric(text, 'warren_starting')).toBe(1);
  });
});
