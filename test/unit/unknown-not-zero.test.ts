// Unknown is not zero: what the broker did not report (a queue listed before its first
// statistics, a node without `running`, users warren may not list) is absent in the Snapshot,
// and no stage reads it as 0 or false. Parsing runs on recorded 3.10.8 answers
// (queues-stats-pending.json: the first two queues as /api/queues lists them right after
// declaration; nodes-without-running.json).
import { describe, expect, it } from 'vitest';
import type { RulesConfig } from '../../src/config/schema.js';
import { renderMetrics } from '../../src/metrics/render.js';
import { classifyQueue } from '../../src/openstack/classify.js';
import type { PollStatus } from '../../src/poll/index.js';
import { buildReport } from '../../src/report/model.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderCheck } from '../../src/report/check.js';
import { renderText } from '../../src/report/text.js';
import { emptyAlertState, stepAlerts, type AlertState } from '../../src/rules/alerts.js';
import { catalogue, ruleById } from '../../src/rules/catalogue.js';
import { evaluateRules } from '../../src/rules/evaluate.js';
import { emptyLearned } from '../../src/rules/learn.js';
import { thresholdLookup } from '../../src/rules/thresholds.js';
import type { RuleContext } from '../../src/rules/types.js';
import { unknownIn } from '../../src/rules/unknown.js';
import { securityUnknown } from '../../src/rules/catalogue/security.js';
import { queueRates, queueKey } from '../../src/snapshot/index.js';
import type { QueueInfo, Snapshot } from '../../src/snapshot/types.js';
import { parseNodes, parseOverview, parseQueues } from '../../src/sources/parse.js';
import { metric } from '../support/agent.js';
import { later, makeNode, makeQueue, makeSnapshot, makeTotals } from '../support/snapshot.js';
import pendingQueues from '../fixtures/rabbitmq-3.10.8/queues-stats-pending.json' with { type: 'json' };
import nodesWithoutRunning from '../fixtures/rabbitmq-3.10.8/nodes-without-running.json' with { type: 'json' };
import overview from '../fixtures/rabbitmq-3.10.8/overview.json' with { type: 'json' };

const noConfig: RulesConfig = { disabled: [], thresholds: {}, overrides: [] };
const defaults = thresholdLookup(noConfig, catalogue);
const GENERATED_AT = new Date('2026-11-27T21:00:00Z');

const ctxOf = (history: Snapshot[], p: Partial<RuleContext> = {}): RuleContext => {
  const snapshot = history[history.length - 1]!;
  return { now: snapshot.takenAt, snapshot, history, learned: emptyLearned(), oneShot: false, ...p };
};

/** The recorded listing as a Snapshot's queues, classified as src/openstack would. */
function classified(raw: unknown): QueueInfo[] {
  return parseQueues(raw, false).map((q) => ({ ...q, role: classifyQueue(q.name, q.type) }));
}

const PENDING = { consumers: null, messages: null, ready: null, unacked: null, counters: null } as const;
const q = (name: string, p: Partial<QueueInfo> = {}): QueueInfo => makeQueue({ name, role: classifyQueue(name, 'classic'), ...p });

describe('parsing what the broker left out', () => {
  it('a queue listed without statistics has unknown depth, consumers and counters; one with statistics keeps its 0s', () => {
    const byName = new Map(classified(pendingQueues).map((x) => [x.name, x]));
    for (const name of ['notifications.info', 'conductor']) {
      expect(byName.get(name), name).toMatchObject(PENDING);
    }
    expect(byName.get('probe.q')).toMatchObject({ messages: 5, ready: 5, unacked: 0, consumers: 0, counters: { published: 5, delivered: 0, acked: 0 } });
    // Statistics there, nothing published yet: the counters really are 0.
    expect(byName.get('never.published')).toMatchObject({ messages: 0, consumers: 0, counters: { published: 0, delivered: 0, acked: 0, redelivered: 0 } });
  });

  it('a node listed without `running` is unknown, not stopped', () => {
    const nodes = parseNodes(nodesWithoutRunning);
    expect(nodes.map((n) => [n.name, n.running])).toEqual([
      ['rabbit@ctl-1', true],
      ['rabbit@ctl-2', null],
      ['rabbit@ctl-3', false],
    ]);
  });
});

describe('rules on unknown values', () => {
  // The report: a notification queue "grew by 1,500 in 5 s" from a first sample that
  // had no statistics, and a stuck RPC queue's unacknowledged messages were missed.
  const first = makeSnapshot({ queues: classified(pendingQueues) });
  const second = later(first, 5, {
    queues: [
      q('notifications.info', { messages: 1500, ready: 1500, unacked: 0, consumers: 0, counters: { published: 1500, delivered: 0, acked: 0, redelivered: 0 } }),
      q('conductor', { messages: 5, ready: 0, unacked: 5, consumers: 1, counters: { published: 5, delivered: 5, acked: 0, redelivered: 0 } }),
    ],
  });

  it('no growth, rate or trend is computed across a sample without statistics', () => {
    const rates = queueRates(first, second);
    expect(rates.get(queueKey({ vhost: '/', name: 'notifications.info' }))).toMatchObject({ growth: null, publish: null, deliver: null });
    const findings = evaluateRules(ctxOf([first, second], { oneShot: true }), defaults);
    expect(findings.filter((f) => f.subject.name === 'notifications.info')).toEqual([]);
    expect(findings.filter((f) => /grew|growing/.test(f.summary))).toEqual([]);
  });

  it('the same samples read as 0 would report false growth (the control)', () => {
    const zero = later(first, 0, { queues: first.queues.map((x) => ({ ...x, messages: 0, ready: 0, unacked: 0, consumers: 0, counters: { published: 0, delivered: 0, acked: 0, redelivered: 0 } })) });
    const findings = evaluateRules(ctxOf([zero, second], { oneShot: true }), defaults);
    expect(findings.find((f) => f.rule === 'openstack-notifications-unconsumed')?.summary).toContain('grew by 1,500');
  });

  it('a queue without statistics raises nothing, in the daemon either', () => {
    const stale = later(first, 600);
    const history = [first, later(first, 300), stale];
    const pendingOnes = (f: { subject: { name: string } }) => ['notifications.info', 'conductor'].includes(f.subject.name);
    expect(evaluateRules(ctxOf(history), defaults).filter(pendingOnes)).toEqual([]);
    expect(evaluateRules(ctxOf(history, { oneShot: true }), defaults).filter(pendingOnes)).toEqual([]);
    // The queue with statistics beside them is judged as ever.
    expect(evaluateRules(ctxOf(history), defaults).map((f) => f.subject.name)).toContain('probe.q');
  });

  it('node-down fires for a stopped node, never for one whose state is unknown', () => {
    const s = makeSnapshot({ nodes: parseNodes(nodesWithoutRunning).map((n) => makeNode({ ...n })) });
    const down = ruleById('node-down')!.evaluate(ctxOf([s]), defaults);
    expect(down.map((f) => f.subject.name)).toEqual(['rabbit@ctl-3']);
  });

  it('guest-user-enabled says nothing when users cannot be listed, and the report calls it unknown', () => {
    const sec = { self: 'watcher', listeners: [], authAttempts: null, authSources: [], usersVisible: false, permissions: [], certificates: [], ownRefusals: 0 };
    const hidden = makeSnapshot({ users: null, security: sec });
    expect(ruleById('guest-user-enabled')!.evaluate(ctxOf([hidden]), defaults)).toEqual([]);
    expect(securityUnknown('guest-user-enabled', hidden)).toBe('unknown: needs the administrator tag');
    // Listed (administrator): a guest user is found, "none" only when it is really absent.
    const listed = makeSnapshot({ users: [{ name: 'guest', tags: ['administrator'] }], security: { ...sec, usersVisible: true } });
    expect(ruleById('guest-user-enabled')!.evaluate(ctxOf([listed]), defaults)).toHaveLength(1);
    const report = buildReport([{ target: 't', url: 'http://h:15672', samples: [hidden], findings: [], view: null }], GENERATED_AT);
    expect(report.clusters[0]!.security.checks.find((c) => c.rule === 'guest-user-enabled')).toMatchObject({ status: 'unknown', detail: 'unknown: needs the administrator tag' });
    expect(renderText(report, { color: false })).not.toContain('no guest user');
  });
});

describe('alerts of a subject that became unknown', () => {
  const rules = catalogue.map((r) => ({ id: r.id, forSeconds: r.forSeconds }));
  const backlog = q('app.work', { messages: 5000, ready: 5000, consumers: 0 });

  /** Steps the alert state over `n` evaluations 30 s apart in which the queue has no statistics. */
  function unknownFor(state: AlertState, start: number, n: number, judge: boolean) {
    const changes = [];
    for (let i = 1; i <= n; i++) {
      const s = makeSnapshot({ takenAt: start + i * 30_000, queues: [q('app.work', PENDING)] });
      const findings = evaluateRules(ctxOf([s]), defaults);
      const step = stepAlerts(state, findings, s.takenAt, 'c', rules, judge ? { unknown: unknownIn(s) } : {});
      state = step.state;
      changes.push(...step.changes);
    }
    return { state, changes };
  }

  it('a firing alert stays firing, unchanged, while its queue has no statistics; without the judge it would resolve', () => {
    const s0 = makeSnapshot({ queues: [backlog] });
    const f0 = evaluateRules(ctxOf([s0]), defaults).filter((f) => f.rule === 'queue-backlog');
    expect(f0).toHaveLength(1);
    // Firing: seen across its `for`.
    let state = emptyAlertState();
    for (const dt of [0, 400_000]) state = stepAlerts(state, f0, s0.takenAt + dt, 'c', rules).state;
    const firing = Object.values(state.alerts).find((a) => a.rule === 'queue-backlog')!;
    expect(firing.state).toBe('firing');

    const held = unknownFor(state, s0.takenAt + 400_000, 10, true);
    expect(held.changes).toEqual([]);
    expect(held.state.alerts[firing.fingerprint]).toEqual(firing);

    const wrong = unknownFor(state, s0.takenAt + 400_000, 10, false);
    expect(wrong.changes.map((c) => c.type)).toContain('resolved');
  });

  it('a pending alert is neither forgotten nor advanced while unknown', () => {
    const s0 = makeSnapshot({ queues: [backlog] });
    const f0 = evaluateRules(ctxOf([s0]), defaults).filter((f) => f.rule === 'queue-backlog');
    const state = stepAlerts(emptyAlertState(), f0, s0.takenAt, 'c', rules).state;
    const pending = Object.values(state.alerts)[0]!;
    expect(pending.state).toBe('pending');
    expect(unknownFor(state, s0.takenAt, 3, true).state.alerts[pending.fingerprint]).toEqual(pending);
    expect(unknownFor(state, s0.takenAt, 1, false).state.alerts[pending.fingerprint]).toBeUndefined();
  });

  it('a node of unknown state and users that cannot be listed hold their alerts too; known subjects do not', () => {
    const s = makeSnapshot({ nodes: [makeNode({ name: 'rabbit@a', running: null }), makeNode({ name: 'rabbit@b' })], users: null, queues: [q('known', {})] });
    const judge = unknownIn(s);
    expect(judge('node-down', { kind: 'node', name: 'rabbit@a' })).toBe(true);
    expect(judge('node-down', { kind: 'node', name: 'rabbit@b' })).toBe(false);
    expect(judge('guest-user-enabled', { kind: 'cluster', name: 'test' })).toBe(true);
    expect(judge('queue-backlog', { kind: 'queue', name: 'known', vhost: '/' })).toBe(false);
  });
});

describe('metrics and reports of unknown values', () => {
  const pending = makeSnapshot({
    nodes: [makeNode({ name: 'rabbit@a' }), makeNode({ name: 'rabbit@b', running: null })],
    queues: [q('conductor', PENDING), q('notifications.info', { messages: 7, ready: 7, consumers: 0 })],
  });

  it('omits the series of what is unknown', () => {
    const status: PollStatus = { latest: pending, history: [pending], lastAttemptAt: pending.takenAt, lastSuccessAt: pending.takenAt, lastError: null, consecutiveFailures: 0, skipped: 0, errors: 0, clusterLabel: 'rabbit@test' };
    const { text } = renderMetrics([{ status, intervalMs: 10_000, expectedNodes: 2, view: null, alerts: [] }], { version: '0.1.0', notifications: [], now: pending.takenAt });
    for (const name of ['rabbitmq_queue_messages', 'rabbitmq_queue_messages_ready', 'rabbitmq_queue_messages_unacknowledged', 'rabbitmq_queue_consumers', 'rabbitmq_queue_messages_published_total']) {
      expect(metric(text, name, { queue: 'conductor' }), name).toBeUndefined();
    }
    expect(metric(text, 'rabbitmq_queue_messages', { queue: 'notifications.info' })).toBe(7);
    expect(metric(text, 'rabbitmq_running', { node: 'rabbit@b' })).toBeUndefined();
    expect(metric(text, 'rabbitmq_running', { node: 'rabbit@a' })).toBe(1);
  });

  it('the report says "stats pending" instead of a number, and its JSON keeps null', () => {
    const report = buildReport([{ target: 't', url: 'http://h:15672', samples: [pending], findings: [], view: null }], GENERATED_AT);
    const c = report.clusters[0]!;
    expect(c.queues.busiest.find((r) => r.name === 'conductor')).toMatchObject({ messages: null, ready: null, unacked: null, consumers: null, statsPending: true });
    expect(c.queues.busiest.find((r) => r.name === 'notifications.info')).toMatchObject({ messages: 7, statsPending: false });
    expect(c.queues).toMatchObject({ statsPending: 1, empty: 0, withoutConsumers: 1 });
    expect(c.nodes.find((n) => n.name === 'rabbit@b')!.running).toBeNull();
    const text = renderText(report, { color: false });
    expect(text).toMatch(/conductor\s+stats pending/);
    expect(renderMarkdown(report)).toContain('stats pending');
    expect(renderHtml(report)).toContain('stats pending');
  });

  it('message totals the overview left out (no queue has statistics yet) are unknown everywhere, not 0', () => {
    // 3.10.8 answers `queue_totals: {}` until some queue has statistics.
    const { totals } = parseOverview({ ...overview, queue_totals: {} });
    expect(totals).toMatchObject({ messages: null, ready: null, unacked: null, queues: 3 });
    expect(parseOverview(overview).totals).toMatchObject({ messages: 10, ready: 10, unacked: 0 });
    const s = makeSnapshot({ totals: makeTotals({ messages: null, ready: null, unacked: null, queues: 3 }) });
    const status: PollStatus = { latest: s, history: [s], lastAttemptAt: s.takenAt, lastSuccessAt: s.takenAt, lastError: null, consecutiveFailures: 0, skipped: 0, errors: 0, clusterLabel: 'rabbit@test' };
    const { text } = renderMetrics([{ status, intervalMs: 10_000, expectedNodes: 1, view: null, alerts: [] }], { version: '0.1.0', notifications: [], now: s.takenAt });
    expect(metric(text, 'rabbitmq_queue_messages_global')).toBeUndefined();
    expect(metric(text, 'rabbitmq_queues')).toBe(3);
    const report = buildReport([{ target: 't', url: 'http://h:15672', samples: [s], findings: [], view: null }], GENERATED_AT);
    expect(report.clusters[0]!.totals).toMatchObject({ messages: null, ready: null, unacked: null });
    expect(renderText(report, { color: false })).toContain('messages stats pending');
    expect(renderText(report, { color: false })).not.toMatch(/\b0 messages/);
    expect(renderMarkdown(report)).toContain('messages stats pending');
    expect(renderCheck(report).text).toMatch(/messages=U\b/);
  });
});
