import { describe, expect, it } from 'vitest';
import type { RulesConfig } from '../../src/config/schema.js';
import { classifyQueue } from '../../src/openstack/classify.js';
import { catalogue, ruleById } from '../../src/rules/catalogue.js';
import { emptyLearned } from '../../src/rules/learn.js';
import { thresholdLookup } from '../../src/rules/thresholds.js';
import type { RuleContext, ThresholdLookup } from '../../src/rules/types.js';
import type { QueueInfo, Snapshot } from '../../src/snapshot/types.js';
import { later, makeQueue, makeSnapshot, makeTotals } from '../support/snapshot.js';

const noConfig: RulesConfig = { disabled: [], thresholds: {}, overrides: [] };
const defaults = thresholdLookup(noConfig, catalogue);

function ctxOf(snapshot: Snapshot, p: Partial<RuleContext> = {}): RuleContext {
  return { now: snapshot.takenAt, snapshot, history: [snapshot], learned: emptyLearned(), oneShot: false, ...p };
}

function run(id: string, ctx: RuleContext, lookup: ThresholdLookup = defaults) {
  return ruleById(id)!.evaluate(ctx, lookup);
}

/** A queue with its oslo role filled in, as the collector does. */
function q(name: string, p: Partial<QueueInfo> = {}): QueueInfo {
  return makeQueue({ name, role: classifyQueue(name, p.type ?? 'classic'), ...p });
}

const one = (queue: QueueInfo) => ctxOf(makeSnapshot({ queues: [queue] }));

describe('queue-backlog', () => {
  it('warns at 1000 ready and is critical at 10000, with the subject and the numbers', () => {
    const w = run('queue-backlog', one(q('billing', { ready: 1500, messages: 1500 })));
    expect(w).toMatchObject([{ rule: 'queue-backlog', severity: 'warning', subject: { kind: 'queue', name: 'billing', vhost: '/' } }]);
    expect(w[0]!.summary).toContain('1,500');
    expect(run('queue-backlog', one(q('billing', { ready: 15000 }))))
      .toMatchObject([{ severity: 'critical' }]);
    expect(run('queue-backlog', one(q('billing', { ready: 999 })))).toEqual([]);
  });

  it('leaves RPC topic queues to openstack-rpc-backlog and unconsumed notification queues to their rule', () => {
    expect(run('queue-backlog', one(q('conductor', { ready: 5000 })))).toEqual([]);
    expect(run('queue-backlog', one(q('notifications.info', { ready: 5000, consumers: 0 })))).toEqual([]);
    expect(run('queue-backlog', one(q('compute.cmp-01', { ready: 5000, consumers: 0 })))).toEqual([]);
    // a consumed notification queue that falls behind is a plain backlog
    expect(run('queue-backlog', one(q('notifications.info', { ready: 5000, consumers: 1 })))).toHaveLength(1);
  });

  it('applies queue-pattern overrides to matching queues only (the whole name must match)', () => {
    const lookup = thresholdLookup(
      { ...noConfig, overrides: [{ rule: 'queue-backlog', queue: 'billing.*', thresholds: { warning: 100 } }] },
      catalogue,
    );
    const s = makeSnapshot({ queues: [q('billing-events', { ready: 150 }), q('x-billing', { ready: 150 })] });
    const f = run('queue-backlog', ctxOf(s), lookup);
    expect(f.map((x) => x.subject.name)).toEqual(['billing-events']);
  });

  it('can be disabled for one vhost', () => {
    const lookup = thresholdLookup({ ...noConfig, overrides: [{ rule: 'queue-backlog', vhost: 'batch', disabled: true }] }, catalogue);
    const s = makeSnapshot({ queues: [q('a', { ready: 5000, vhost: 'batch' }), q('a', { ready: 5000, vhost: '/' })] });
    expect(run('queue-backlog', ctxOf(s), lookup).map((f) => f.subject.vhost)).toEqual(['/']);
  });

  it('one-shot: only fires when every sample is over the threshold, and takes severity the same way', () => {
    const s1 = makeSnapshot({ queues: [q('billing', { ready: 500 })] });
    const s2 = later(s1, 10, { queues: [q('billing', { ready: 20000 })] });
    expect(run('queue-backlog', ctxOf(s2, { oneShot: true, history: [s1, s2] }))).toEqual([]);
    const s1b = makeSnapshot({ queues: [q('billing', { ready: 5000 })] });
    const f = run('queue-backlog', ctxOf(s2, { oneShot: true, history: [s1b, s2] }));
    expect(f).toMatchObject([{ severity: 'warning' }]);
  });
});

function growing(from: number, to: number, published: [number, number], delivered: [number, number], name = 'billing'): RuleContext {
  const s1 = makeSnapshot({ queues: [q(name, { messages: from, ready: from, counters: { published: published[0], delivered: delivered[0], acked: delivered[0], redelivered: 0 } })] });
  const mid = later(s1, 60, { queues: [q(name, { messages: (from + to) / 2, counters: null })] });
  const s2 = later(s1, 120, { queues: [q(name, { messages: to, ready: to, counters: { published: published[1], delivered: delivered[1], acked: delivered[1], redelivered: 0 } })] });
  return ctxOf(s2, { history: [s1, mid, s2] });
}

describe('queue-growing', () => {
  it('fires when depth rose over the window and publish outpaces deliver', () => {
    const f = run('queue-growing', growing(100, 400, [1000, 2200], [1000, 1900]));
    expect(f).toMatchObject([{ severity: 'warning', subject: { kind: 'queue', name: 'billing' } }]);
    expect(f[0]!.evidence).toMatchObject({ from: 100, to: 400, publishRate: 10, deliverRate: 7.5 });
    expect(f[0]!.summary).toContain('100 to 400');
  });

  it('is quiet when deliver keeps up, when depth dipped in between, and below the noise floor', () => {
    expect(run('queue-growing', growing(100, 400, [1000, 2200], [1000, 2300]))).toEqual([]);
    const dip = growing(100, 400, [1000, 2200], [1000, 1900]);
    const [a, , c] = dip.history as readonly Snapshot[];
    const mid = later(a!, 60, { queues: [q('billing', { messages: 50 })] });
    expect(run('queue-growing', { ...dip, history: [a!, mid, c!] })).toEqual([]);
    expect(run('queue-growing', growing(1, 5, [0, 100], [0, 10]))).toEqual([]);
  });

  it('needs history: a single Snapshot says nothing about growth', () => {
    expect(run('queue-growing', one(q('billing', { messages: 5000 })))).toEqual([]);
  });

  it('leaves RPC topic queues to openstack-rpc-backlog', () => {
    expect(run('queue-growing', growing(100, 400, [1000, 2200], [1000, 1900], 'conductor'))).toEqual([]);
  });

  it('one-shot: judges across the samples given', () => {
    const s1 = makeSnapshot({ queues: [q('billing', { messages: 100, counters: { published: 0, delivered: 0, acked: 0, redelivered: 0 } })] });
    const s2 = later(s1, 10, { queues: [q('billing', { messages: 150, counters: { published: 100, delivered: 50, acked: 50, redelivered: 0 } })] });
    expect(run('queue-growing', ctxOf(s2, { oneShot: true, history: [s1, s2] }))).toHaveLength(1);
  });
});

describe('queue-no-consumer', () => {
  it('fires for a plain queue with messages and no consumer', () => {
    const f = run('queue-no-consumer', one(q('billing', { messages: 5, consumers: 0 })));
    expect(f).toMatchObject([{ severity: 'warning', subject: { kind: 'queue', name: 'billing' }, evidence: { messages: 5 } }]);
  });

  it('leaves shared RPC topic queues to openstack-rpc-topic-unconsumed (one fault, one finding)', () => {
    expect(run('queue-no-consumer', one(q('conductor', { messages: 5, consumers: 0 })))).toEqual([]);
  });

  it('skips queues an OpenStack rule owns, streams, empty queues and consumed ones', () => {
    for (const name of ['compute.cmp-01', 'notifications.info', 'reply_0123456789abcdef0123456789abcdef', 'scheduler_fanout_0123456789abcdef0123456789abcdef']) {
      expect([name, run('queue-no-consumer', one(q(name, { messages: 5, consumers: 0 })))]).toEqual([name, []]);
    }
    expect(run('queue-no-consumer', one(q('log', { type: 'stream', messages: 5, consumers: 0 })))).toEqual([]);
    expect(run('queue-no-consumer', one(q('billing', { messages: 0, consumers: 0 })))).toEqual([]);
    expect(run('queue-no-consumer', one(q('billing', { messages: 5, consumers: 1 })))).toEqual([]);
  });

  it('one-shot: the broker idle_since proves the duration; otherwise every sample must agree', () => {
    const consumed = makeSnapshot({ queues: [q('billing', { messages: 5, consumers: 1 })] });
    const now = later(consumed, 10, { queues: [q('billing', { messages: 5, consumers: 0 })] });
    expect(run('queue-no-consumer', ctxOf(now, { oneShot: true, history: [consumed, now] }))).toEqual([]);
    const idleLong = later(consumed, 10, { queues: [q('billing', { messages: 5, consumers: 0, idleSince: consumed.takenAt - 600_000 })] });
    const f = run('queue-no-consumer', ctxOf(idleLong, { oneShot: true, history: [consumed, idleLong] }));
    expect(f).toHaveLength(1);
    expect(f[0]!.summary).toMatch(/idle for 10m/);
    const unconsumedBoth = makeSnapshot({ queues: [q('billing', { messages: 5, consumers: 0 })] });
    const now2 = later(unconsumedBoth, 10);
    expect(run('queue-no-consumer', ctxOf(now2, { oneShot: true, history: [unconsumedBoth, now2] }))).toHaveLength(1);
  });
});

describe('unacked-high', () => {
  it('fires at 1000 unacknowledged on a non-RPC queue', () => {
    expect(run('unacked-high', one(q('notifications.info', { unacked: 1200 })))).toMatchObject([{ severity: 'warning', evidence: { unacked: 1200 } }]);
    expect(run('unacked-high', one(q('billing', { unacked: 999 })))).toEqual([]);
  });

  it('leaves RPC queues to openstack-rpc-unacked', () => {
    expect(run('unacked-high', one(q('conductor', { unacked: 5000 })))).toEqual([]);
    expect(run('unacked-high', one(q('compute.cmp-01', { unacked: 5000 })))).toEqual([]);
  });
});

describe('quorum-queue-underreplicated', () => {
  const members = ['rabbit@a', 'rabbit@b', 'rabbit@c'];
  it('fires when a member is offline, naming it', () => {
    const f = run('quorum-queue-underreplicated', one(q('conductor', { type: 'quorum', members, online: members.slice(0, 2), leader: 'rabbit@a' })));
    expect(f).toMatchObject([{ severity: 'warning', subject: { kind: 'queue', name: 'conductor' }, evidence: { offline: ['rabbit@c'] } }]);
    expect(f[0]!.summary).toContain('2 of 3');
  });

  it('fires when there is no leader', () => {
    const f = run('quorum-queue-underreplicated', one(q('conductor', { type: 'quorum', members, online: members, leader: '' })));
    expect(f[0]!.summary).toContain('no leader');
  });

  it('is quiet for complete quorum queues and classic queues', () => {
    expect(run('quorum-queue-underreplicated', one(q('conductor', { type: 'quorum', members, online: members, leader: 'rabbit@a' })))).toEqual([]);
    expect(run('quorum-queue-underreplicated', one(q('conductor', { members: [], online: [] })))).toEqual([]);
  });
});

describe('unroutable-messages', () => {
  const base = makeSnapshot({ totals: makeTotals({ returnedUnroutable: 10, droppedUnroutable: 3 }) });
  it('fires when the returned or dropped counters increased over the window', () => {
    const cur = later(base, 60, { totals: makeTotals({ returnedUnroutable: 14, droppedUnroutable: 4 }) });
    const f = run('unroutable-messages', ctxOf(cur, { history: [base, cur] }));
    expect(f).toMatchObject([{ severity: 'warning', subject: { kind: 'cluster' }, evidence: { returned: 4, dropped: 1 } }]);
    expect(f[0]!.summary).toContain('5 messages');
  });

  it('is quiet when nothing changed, after a counter reset, or without history', () => {
    const same = later(base, 60);
    expect(run('unroutable-messages', ctxOf(same, { history: [base, same] }))).toEqual([]);
    const reset = later(base, 60, { totals: makeTotals({ returnedUnroutable: 0, droppedUnroutable: 0 }) });
    expect(run('unroutable-messages', ctxOf(reset, { history: [base, reset] }))).toEqual([]);
    expect(run('unroutable-messages', ctxOf(base))).toEqual([]);
  });

  it('one-shot: compares the first and last sample', () => {
    const cur = later(base, 10, { totals: makeTotals({ returnedUnroutable: 11, droppedUnroutable: 3 }) });
    expect(run('unroutable-messages', ctxOf(cur, { oneShot: true, history: [base, cur] }))).toHaveLength(1);
  });
});
