import { describe, expect, it } from 'vitest';
import { activeAlerts, alertFingerprint, alertLabels, emptyAlertState, stepAlerts, type AlertState } from '../../src/rules/alerts.js';
import type { Finding, Severity } from '../../src/rules/types.js';

const rules = [
  { id: 'queue-no-consumer', forSeconds: 120 },
  { id: 'memory-alarm', forSeconds: 0 },
  { id: 'queue-backlog', forSeconds: 300 },
  { id: 'broker-unreachable', forSeconds: 0 },
];
const T0 = Date.parse('2026-11-22T03:00:00Z');
const sec = (s: number) => T0 + s * 1000;

function noConsumer(queue = 'billing', summary = 'no consumer'): Finding {
  return { rule: 'queue-no-consumer', severity: 'warning', subject: { kind: 'queue', name: queue, vhost: '/' }, summary, remedy: 'start it', evidence: { messages: 5 } };
}
function backlog(severity: Severity, ready: number): Finding {
  return { rule: 'queue-backlog', severity, subject: { kind: 'queue', name: 'billing', vhost: '/' }, summary: `${ready} ready`, remedy: 'r', evidence: { ready } };
}
const alarm: Finding = { rule: 'memory-alarm', severity: 'critical', subject: { kind: 'node', name: 'rabbit@a' }, summary: 'alarm', remedy: 'r', evidence: {} };

/** Runs evaluations every 30 s: `present[i]` says whether the findings are there at poll i. */
function drive(findings: Finding[][], start = emptyAlertState(), cluster = 'c1') {
  let state: AlertState = start;
  const log: Array<{ at: number; type: string; rule: string; severity: string }> = [];
  findings.forEach((f, i) => {
    const r = stepAlerts(state, f, sec(i * 30), cluster, rules);
    state = r.state;
    for (const c of r.changes) log.push({ at: i * 30, type: c.type, rule: c.alert.rule, severity: c.alert.severity });
  });
  return { state, log };
}

describe('stepAlerts', () => {
  it('is pending first and fires once the rule\'s `for` has passed', () => {
    const { state, log } = drive([[noConsumer()], [noConsumer()], [noConsumer()], [noConsumer()], [noConsumer()]]);
    expect(log).toEqual([{ at: 120, type: 'firing', rule: 'queue-no-consumer', severity: 'warning' }]);
    const [a] = activeAlerts(state);
    expect(a).toMatchObject({ state: 'firing', activeAt: sec(0), firingAt: sec(120) });
  });

  it('fires at once when `for` is 0', () => {
    const { log } = drive([[alarm]]);
    expect(log).toEqual([{ at: 0, type: 'firing', rule: 'memory-alarm', severity: 'critical' }]);
  });

  it('forgets a pending alert silently when the condition goes away', () => {
    const { state, log } = drive([[noConsumer()], [noConsumer()], [], [noConsumer()], [noConsumer()]]);
    expect(log).toEqual([]);
    expect(activeAlerts(state, { includePending: true })[0]).toMatchObject({ state: 'pending', activeAt: sec(90) });
  });

  it('resolves a firing alert only after 3 absent evaluations and 60 s', () => {
    const { log } = drive([[alarm], [], [], [], []]);
    expect(log).toEqual([
      { at: 0, type: 'firing', rule: 'memory-alarm', severity: 'critical' },
      { at: 90, type: 'resolved', rule: 'memory-alarm', severity: 'critical' },
    ]);
  });

  it('does not flap when a value hovers at its threshold', () => {
    const seq: Finding[][] = [];
    for (let i = 0; i < 40; i++) seq.push(i % 2 === 0 || i % 5 === 0 ? [alarm] : []);
    const { state, log } = drive(seq);
    expect(log).toEqual([{ at: 0, type: 'firing', rule: 'memory-alarm', severity: 'critical' }]);
    expect(activeAlerts(state)).toHaveLength(1);
  });

  it('needs the time as well as the count: fast polls do not resolve within a minute', () => {
    let state = stepAlerts(emptyAlertState(), [alarm], T0, 'c1', rules).state;
    for (let i = 1; i <= 5; i++) {
      const r = stepAlerts(state, [], T0 + i * 5000, 'c1', rules);
      expect(r.changes).toEqual([]);
      state = r.state;
    }
    expect(stepAlerts(state, [], T0 + 61_000, 'c1', rules).changes.map((c) => c.type)).toEqual(['resolved']);
  });

  it('raises severity at once and lowers it only after the same hysteresis', () => {
    const w = backlog('warning', 1500);
    const c = backlog('critical', 12000);
    const { log } = drive([[w], [w], [w], [w], [w], [w], [w], [w], [w], [w], [w], [c], [w], [c], [w], [w], [w], [w]]);
    expect(log).toEqual([
      { at: 300, type: 'firing', rule: 'queue-backlog', severity: 'warning' },
      { at: 330, type: 'severity', rule: 'queue-backlog', severity: 'critical' },
      { at: 480, type: 'severity', rule: 'queue-backlog', severity: 'warning' },
    ]);
  });

  it('reports the previous severity and swaps the severity label', () => {
    const first = stepAlerts(emptyAlertState(), [alarm], T0, 'c1', rules);
    const r = stepAlerts(first.state, [{ ...alarm, severity: 'warning' }], T0 + 30_000, 'c1', rules, { resolveAfterEvaluations: 1, resolveAfterMs: 0 });
    expect(r.changes[0]).toMatchObject({ type: 'severity', previousSeverity: 'critical' });
    expect(r.changes[0]!.alert.labels.severity).toBe('warning');
  });

  it('keeps the newest summary and evidence while firing', () => {
    let state = stepAlerts(emptyAlertState(), [alarm], T0, 'c1', rules).state;
    state = stepAlerts(state, [{ ...alarm, summary: 'alarm, 2 GB used', evidence: { memUsed: 2e9 } }], T0 + 30_000, 'c1', rules).state;
    expect(activeAlerts(state)[0]).toMatchObject({ summary: 'alarm, 2 GB used', evidence: { memUsed: 2e9 } });
  });

  it('has a stable identity from (cluster, rule, subject) only', () => {
    const a = alertFingerprint('c1', 'queue-no-consumer', { kind: 'queue', name: 'billing', vhost: '/' });
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(alertFingerprint('c1', 'queue-no-consumer', { kind: 'queue', name: 'billing', vhost: '/' })).toBe(a);
    expect(alertFingerprint('c2', 'queue-no-consumer', { kind: 'queue', name: 'billing', vhost: '/' })).not.toBe(a);
    expect(alertFingerprint('c1', 'queue-no-consumer', { kind: 'queue', name: 'billing', vhost: 'other' })).not.toBe(a);
    // two instances (HA pair) seeing the same fault with different numbers and at different times
    const one = stepAlerts(emptyAlertState(), [noConsumer('billing', '5 messages')], T0, 'c1', rules).state;
    const two = stepAlerts(emptyAlertState(), [noConsumer('billing', '7 messages')], T0 + 4000, 'c1', rules).state;
    expect(Object.keys(one.alerts)).toEqual(Object.keys(two.alerts));
    expect(Object.values(one.alerts)[0]!.labels).toEqual(Object.values(two.alerts)[0]!.labels);
  });

  it('labels name the alert, the cluster and the subject', () => {
    expect(alertLabels('c1', noConsumer())).toEqual({ alertname: 'queue-no-consumer', severity: 'warning', cluster: 'c1', queue: 'billing', vhost: '/' });
    expect(alertLabels('c1', alarm)).toEqual({ alertname: 'memory-alarm', severity: 'critical', cluster: 'c1', node: 'rabbit@a' });
    expect(
      alertLabels('c1', { rule: 'openstack-service-connections-high', severity: 'warning', subject: { kind: 'service', name: 'nova@cmp-01' }, labels: { service: 'nova', host: 'cmp-01' } }),
    ).toEqual({ alertname: 'openstack-service-connections-high', severity: 'warning', cluster: 'c1', service: 'nova', host: 'cmp-01' });
  });

  it('only touches the cluster it evaluates', () => {
    const a = stepAlerts(emptyAlertState(), [alarm], T0, 'c1', rules).state;
    let state = stepAlerts(a, [alarm], T0, 'c2', rules).state;
    for (let i = 1; i <= 4; i++) state = stepAlerts(state, [], T0 + i * 30_000, 'c2', rules).state;
    expect(activeAlerts(state).map((x) => x.cluster)).toEqual(['c1']);
    expect(activeAlerts(state, { cluster: 'c2' })).toEqual([]);
  });

  it('with onlyRules (a failed poll) leaves the other alerts as they are', () => {
    let state = stepAlerts(emptyAlertState(), [alarm], T0, 'c1', rules).state;
    const unreachable: Finding = { rule: 'broker-unreachable', severity: 'critical', subject: { kind: 'cluster', name: 'c1' }, summary: 'down', remedy: 'r', evidence: {} };
    for (let i = 1; i <= 5; i++) {
      const r = stepAlerts(state, [unreachable], T0 + i * 30_000, 'c1', rules, { onlyRules: ['broker-unreachable'] });
      if (i === 1) expect(r.changes.map((c) => [c.type, c.alert.rule])).toEqual([['firing', 'broker-unreachable']]);
      else expect(r.changes).toEqual([]);
      state = r.state;
    }
    expect(activeAlerts(state).map((a) => a.rule)).toEqual(['memory-alarm', 'broker-unreachable'].sort());
  });

  it('is pure: the input state is not changed', () => {
    const s0 = stepAlerts(emptyAlertState(), [alarm], T0, 'c1', rules).state;
    const copy = structuredClone(s0);
    stepAlerts(s0, [], T0 + 120_000, 'c1', rules);
    stepAlerts(s0, [{ ...alarm, summary: 'changed' }], T0 + 30_000, 'c1', rules);
    expect(s0).toEqual(copy);
  });

  it('survives a JSON round trip (persisted state)', () => {
    const s0 = stepAlerts(emptyAlertState(), [alarm, noConsumer()], T0, 'c1', rules).state;
    const restored = JSON.parse(JSON.stringify(s0)) as AlertState;
    const r = stepAlerts(restored, [alarm, noConsumer()], T0 + 150_000, 'c1', rules);
    expect(r.changes.map((c) => [c.type, c.alert.rule])).toEqual([['firing', 'queue-no-consumer']]);
  });
});
