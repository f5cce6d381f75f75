// The daemon's compact history (src/snapshot/history.ts) must judge exactly as the whole
// Snapshots it replaced: every rule, over every promtool and differential case, gives the
// same findings with a SampleHistory as with the Snapshot array appendHistory keeps, both
// with the current Snapshot already appended (the daemon) and not yet (how tests build it).
import { describe, expect, it } from 'vitest';
import { appendHistory, appendSample } from '../../src/poll/index.js';
import { catalogue, emptyLearned, learn, type Finding, type RuleContext } from '../../src/rules/index.js';
import { queueKey, queueRates, SampleHistory, samplesIn, type QueueInfo, type Snapshot } from '../../src/snapshot/index.js';
import { PROMTOOL_FILES } from '../promtool/cases.js';
import { DIFFERENTIAL_CASES, snapshotsOf } from '../promtool/differential.js';
import { later, makeConnection, makeQueue, makeSnapshot } from '../support/snapshot.js';
import { classifyQueue } from '../../src/openstack/classify.js';

const CASES = [...Object.values(PROMTOOL_FILES).flat(), ...DIFFERENTIAL_CASES];

function judge(ctx: RuleContext): string {
  const out: Finding[][] = [];
  for (const rule of catalogue) out.push(rule.evaluate(ctx, () => ({})));
  return JSON.stringify(out);
}

/** Walks Snapshots through both histories, comparing every rule's findings at each step. */
function compareAlong(snapshots: ReadonlyArray<{ snapshot: Snapshot; extra?: Partial<RuleContext> }>): number {
  let array: Snapshot[] = [];
  const store = new SampleHistory();
  let learned = emptyLearned();
  let compared = 0;
  for (const { snapshot, extra } of snapshots) {
    const base = { now: snapshot.takenAt, snapshot, learned, oneShot: false, ...extra };
    // As tests build it: the history without the current Snapshot.
    expect(judge({ ...base, history: store })).toBe(judge({ ...base, history: array }));
    array = appendHistory(array, snapshot);
    appendSample(store, snapshot);
    // As the daemon does: the current Snapshot appended first.
    expect(judge({ ...base, history: store })).toBe(judge({ ...base, history: array }));
    expect(samplesIn(store).map((s) => s.takenAt)).toEqual(array.map((s) => s.takenAt));
    learned = learn(learned, snapshot);
    compared++;
  }
  return compared;
}

const host = (topic: string, h: string, consumers: number): QueueInfo =>
  makeQueue({ name: `${topic}.${h}`, consumers, role: classifyQueue(`${topic}.${h}`, 'classic') });

describe('the compact history', () => {
  it('judges every promtool and differential case as the Snapshot history does', () => {
    let steps = 0;
    for (const c of CASES) {
      let built: ReturnType<typeof snapshotsOf>;
      try {
        built = snapshotsOf(c);
      } catch {
        continue; // a case over warren_alert_active: no Snapshots to build
      }
      const seq = built.flatMap(({ snapshot, expectedNodes, probe }) =>
        snapshot ? [{ snapshot, extra: { ...(expectedNodes !== undefined ? { expectedNodes } : {}), ...(probe ? { probe } : {}) } }] : [],
      );
      steps += compareAlong(seq);
    }
    expect(steps).toBeGreaterThan(100);
  });

  it('judges queues that come and go (slots reused) and a correlated outage as the Snapshot history does', () => {
    const hosts = Array.from({ length: 8 }, (_, i) => `cmp-${i}`);
    const seq: Snapshot[] = [];
    let s = makeSnapshot({
      queues: [...hosts.map((h) => host('compute', h, 1)), makeQueue({ name: 'compute', consumers: 0, role: classifyQueue('compute', 'classic') })],
      connections: [makeConnection({ name: 'c1', role: { service: 'nova', binary: 'nova-compute', pid: '1', host: 'cmp-0' } })],
    });
    seq.push(s);
    // Short-lived reply queues every poll: each lives one poll, so their slots are freed and reused.
    for (let i = 1; i <= 80; i++) {
      const down = i >= 20 ? hosts.slice(0, 6) : [];
      const replies = [makeQueue({ name: `reply_${i}`, messages: i, counters: { published: i * 10, delivered: i * 5, acked: i * 5, redelivered: 0 } })];
      s = later(s, 10, { queues: [...hosts.map((h) => host('compute', h, down.includes(h) ? 0 : 1)), ...replies, makeQueue({ name: 'billing', messages: i * 100, ready: i * 100, counters: { published: i * 1000, delivered: i * 10, acked: i * 10, redelivered: 0 } })] });
      seq.push(s);
    }
    compareAlong(seq.map((snapshot) => ({ snapshot })));
    const store = new SampleHistory();
    for (const x of seq) appendSample(store, x);
    // 8 host queues, compute, billing and the reply queues of the last 6 minutes (36 polls): not one slot per reply queue ever seen.
    expect(store.stats.slots).toBeLessThanOrEqual(10 + 37);
    expect(store.stats.capacity).toBeLessThanOrEqual(10 + 38);
  });

  it('keeps an unknown counter unknown: no rate is taken across it', () => {
    const counters = (published: number) => ({ published, delivered: 0, acked: 0, redelivered: 0 });
    const a = makeSnapshot({ queues: [makeQueue({ name: 'q', counters: counters(100) })] });
    const b = later(a, 10, { queues: [makeQueue({ name: 'q', counters: null })] });
    const c = later(b, 10, { queues: [makeQueue({ name: 'q', counters: counters(300) })] });
    const store = new SampleHistory();
    for (const x of [a, b, c]) appendSample(store, x);
    const [sa, sb] = samplesIn(store);
    const key = queueKey(c.queues[0]!);
    expect(sb!.queue(key)?.counters).toBeNull();
    expect(queueRates(sb, c).get(key)!.publish).toBeNull();
    expect(queueRates(sa, c).get(key)!.publish).toBe(10);
  });
});
