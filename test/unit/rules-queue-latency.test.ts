// queue-message-age and queue-drain-time, driven by Snapshots and an injected clock.
import { describe, expect, it } from 'vitest';
import type { RulesConfig } from '../../src/config/schema.js';
import { parseQueues } from '../../src/sources/parse.js';
import { classifyQueue } from '../../src/openstack/classify.js';
import { catalogue, ruleById } from '../../src/rules/catalogue.js';
import { emptyLearned } from '../../src/rules/learn.js';
import { thresholdLookup } from '../../src/rules/thresholds.js';
import type { RuleContext, ThresholdLookup } from '../../src/rules/types.js';
import type { QueueInfo, Snapshot } from '../../src/snapshot/types.js';
import { later, makeQueue, makeSnapshot } from '../support/snapshot.js';

const noConfig: RulesConfig = { disabled: [], thresholds: {}, overrides: [] };
const defaults = thresholdLookup(noConfig, catalogue);

function ctxOf(snapshot: Snapshot, p: Partial<RuleContext> = {}): RuleContext {
  return { now: snapshot.takenAt, snapshot, history: [snapshot], learned: emptyLearned(), oneShot: false, ...p };
}
const run = (id: string, ctx: RuleContext, lookup: ThresholdLookup = defaults) => ruleById(id)!.evaluate(ctx, lookup);
const q = (name: string, p: Partial<QueueInfo> = {}): QueueInfo => makeQueue({ name, role: classifyQueue(name, p.type ?? 'classic'), ...p });
const MIN = 60_000;

describe('head_message_timestamp from /api/queues', () => {
  it('is read in seconds as ms; null or absent is unknown, never 0', () => {
    const [stamped, nul, absent] = parseQueues(
      [
        { name: 'a', vhost: '/', messages: 1, head_message_timestamp: 1_700_000_000 },
        { name: 'b', vhost: '/', messages: 1, head_message_timestamp: null },
        { name: 'c', vhost: '/', messages: 0 },
      ],
      false,
    );
    expect(stamped!.headMessageAt).toBe(1_700_000_000_000);
    expect(nul!.headMessageAt).toBeNull();
    expect(absent!.headMessageAt).toBeNull();
  });
});

describe('queue-message-age', () => {
  it('fires when the head message is 15 min old (default), with its age; not younger, not unknown', () => {
    const s = makeSnapshot({
      queues: [
        q('billing', { messages: 4, headMessageAt: Date.parse('2026-11-22T02:40:00Z') }),
        q('fresh', { messages: 4 }),
        q('unstamped', { messages: 4, headMessageAt: null }),
      ],
    });
    const now = Date.parse('2026-11-22T03:00:00Z');
    const fresh = s.queues[1]!;
    const snap = { ...s, queues: [s.queues[0]!, { ...fresh, headMessageAt: now - 14 * MIN }, s.queues[2]!] };
    const f = run('queue-message-age', ctxOf(snap, { now }));
    expect(f).toMatchObject([{ rule: 'queue-message-age', severity: 'warning', subject: { kind: 'queue', name: 'billing', vhost: '/' } }]);
    expect(f[0]!.evidence.ageSeconds).toBe(20 * 60);
    expect(f[0]!.summary).toContain('20m');
  });

  it('takes the threshold from the config', () => {
    const now = Date.parse('2026-11-22T03:00:00Z');
    const s = makeSnapshot({ queues: [q('billing', { messages: 1, headMessageAt: now - 5 * MIN })] });
    expect(run('queue-message-age', ctxOf(s, { now }))).toEqual([]);
    const lookup = thresholdLookup({ ...noConfig, thresholds: { 'queue-message-age': { minutes: 2 } } }, catalogue);
    expect(run('queue-message-age', ctxOf(s, { now }), lookup)).toHaveLength(1);
  });

  it('one-shot: the head must be old in every sample', () => {
    const s1 = makeSnapshot({ queues: [q('billing', { messages: 1, headMessageAt: null })] });
    const t2 = s1.takenAt + 10_000;
    const s2 = later(s1, 10, { queues: [q('billing', { messages: 1, headMessageAt: t2 - 60 * MIN })] });
    expect(run('queue-message-age', ctxOf(s2, { oneShot: true, history: [s1, s2] }))).toEqual([]);
    const s1b = makeSnapshot({ queues: [q('billing', { messages: 1, headMessageAt: t2 - 60 * MIN })] });
    expect(run('queue-message-age', ctxOf(s2, { oneShot: true, history: [s1b, s2] }))).toHaveLength(1);
  });
});

/** Two samples `seconds` apart: ready from -> to, `delivered` messages delivered between them. */
function draining(from: number, to: number, delivered: number, seconds = 120, p: Partial<QueueInfo> = {}, name = 'billing'): RuleContext {
  const counters = (d: number) => ({ published: 0, delivered: d, acked: d, redelivered: 0 });
  const s1 = makeSnapshot({ queues: [q(name, { ready: from, messages: from, counters: counters(1000), ...p })] });
  const s2 = later(s1, seconds, { queues: [q(name, { ready: to, messages: to, counters: counters(1000 + delivered), ...p })] });
  return ctxOf(s2, { history: [s1, s2] });
}

describe('queue-drain-time', () => {
  it('fires when ready / deliver rate exceeds 30 min and the backlog grows', () => {
    // 120 delivered in 120 s: 1/s; 2400 ready take 40 min.
    const f = run('queue-drain-time', draining(2000, 2400, 120));
    expect(f).toMatchObject([{ rule: 'queue-drain-time', severity: 'warning', subject: { kind: 'queue', name: 'billing' } }]);
    expect(f[0]!.evidence).toMatchObject({ ready: 2400, readyBefore: 2000, deliverRate: 1, drainSeconds: 2400 });
  });

  it('is quiet when the consumers keep up, the backlog shrinks, nothing is delivered, or the queue is tiny', () => {
    expect(run('queue-drain-time', draining(2000, 2400, 12_000))).toEqual([]); // 100/s: 24 s to drain
    expect(run('queue-drain-time', draining(2600, 2400, 120))).toEqual([]); // not growing
    expect(run('queue-drain-time', draining(2000, 2400, 0))).toEqual([]); // no deliveries: another rule's
    expect(run('queue-drain-time', draining(20, 60, 1))).toEqual([]); // below minReady
    expect(run('queue-drain-time', draining(2000, 2400, 120, 120, { counters: null }))).toEqual([]); // rates unknown
  });

  it('leaves RPC topic queues to openstack-rpc-backlog and streams alone', () => {
    expect(run('queue-drain-time', draining(2000, 2400, 120, 120, {}, 'conductor'))).toEqual([]);
    expect(run('queue-drain-time', draining(2000, 2400, 120, 120, { type: 'stream' }))).toEqual([]);
  });
});
