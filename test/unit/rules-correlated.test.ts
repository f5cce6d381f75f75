import { describe, expect, it } from 'vitest';
import type { RulesConfig } from '../../src/config/schema.js';
import { classifyQueue } from '../../src/openstack/classify.js';
import { catalogue, ruleById } from '../../src/rules/catalogue.js';
import { emptyLearned } from '../../src/rules/learn.js';
import { thresholdLookup } from '../../src/rules/thresholds.js';
import type { RuleContext } from '../../src/rules/types.js';
import type { QueueInfo, Snapshot } from '../../src/snapshot/types.js';
import { makeQueue, makeSnapshot } from '../support/snapshot.js';

const noConfig: RulesConfig = { disabled: [], thresholds: {}, overrides: [] };
const defaults = thresholdLookup(noConfig, catalogue);
const RULE = 'openstack-correlated-outage';
const T0 = Date.parse('2026-11-22T03:00:00Z');
const host = (i: number) => `cmp-${String(i).padStart(2, '0')}`;

/** A cloud of `hosts` compute hosts (plus two consumed dhcp agents) polled every 30 s; `down` hosts have no consumer. */
function poll(step: number, hosts: number, down: (i: number) => boolean): Snapshot {
  const queues: QueueInfo[] = [];
  const q = (name: string, consumers: number) => makeQueue({ name, consumers, role: classifyQueue(name, 'classic') });
  for (let i = 0; i < hosts; i++) queues.push(q(`compute.${host(i)}`, down(i) ? 0 : 1));
  queues.push(q('dhcp_agent.net-01', 1), q('dhcp_agent.net-02', 1), q('conductor', 3));
  return makeSnapshot({ takenAt: T0 + step * 30_000, queues });
}

function judge(history: Snapshot[]) {
  const snapshot = history[history.length - 1]!;
  const ctx: RuleContext = { now: snapshot.takenAt, snapshot, history, learned: emptyLearned(), oneShot: false };
  return ruleById(RULE)!.evaluate(ctx, defaults);
}

describe('openstack-correlated-outage', () => {
  it('is a critical service rule in the catalogue with a host-count threshold, forwarded to PromQL with the reason', () => {
    const r = ruleById(RULE)!;
    expect(r.severity).toBe('critical');
    expect(r.defaults).toEqual({ ratio: 0.5, minHosts: 3, withinPolls: 2 });
    expect(r.notInPromql).toMatch(/poll/);
  });

  it('fires when 6 of 10 hosts lose their consumers in one poll, naming the broker as the cause', () => {
    const history = [poll(0, 10, () => false), poll(1, 10, () => false), poll(2, 10, (i) => i < 6)];
    const f = judge(history);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      rule: RULE,
      severity: 'critical',
      subject: { kind: 'service', name: 'nova-compute', vhost: '/' },
      labels: { service: 'nova', topic: 'compute' },
      evidence: { hosts: 6, serviceHosts: 10, stillDown: 6 },
    });
    expect(f[0]!.summary).toContain('nova-compute lost its RPC consumers on 6 of 10 hosts within one poll');
    expect(f[0]!.summary).toContain('the broker, the network or a fail-over, not the hosts');
    expect(f[0]!.remedy).toMatch(/broker.*alarms.*partitions.*VIP fail-over.*network between the cell and the broker.*reconnected/s);
  });

  it('keeps firing while those hosts stay down, and clears when they come back', () => {
    const down = (i: number) => i < 6;
    const history = [poll(0, 10, () => false), poll(1, 10, down), poll(2, 10, down), poll(3, 10, down)];
    expect(judge(history)).toHaveLength(1);
    expect(judge([...history, poll(4, 10, () => false)])).toEqual([]);
    // Most came back: no longer an outage of the service, whatever the per-host rule says of the rest.
    expect(judge([...history, poll(4, 10, (i) => i < 2)])).toEqual([]);
  });

  it('does not fire when one host goes, nor when half or fewer than minHosts go', () => {
    expect(judge([poll(0, 10, () => false), poll(1, 10, (i) => i === 3)])).toEqual([]);
    expect(judge([poll(0, 10, () => false), poll(1, 10, (i) => i < 5)])).toEqual([]); // 5 of 10 is not more than half
    expect(judge([poll(0, 2, () => false), poll(1, 2, () => true)])).toEqual([]); // 2 of 2, below minHosts
    expect(judge([poll(0, 4, () => false), poll(1, 4, (i) => i < 3)])).toHaveLength(1); // 3 of 4
  });

  it('counts a loss the broker\'s statistics lag spread over two polls as one event', () => {
    const f = judge([poll(0, 10, () => false), poll(1, 10, (i) => i < 3), poll(2, 10, (i) => i < 6)]);
    expect(f).toHaveLength(1);
    expect(f[0]!.summary).toContain('nova-compute lost its RPC consumers on 6 of 10 hosts within 2 polls');
    // Over three polls it is hosts going one after another, not one event.
    expect(judge([poll(0, 10, () => false), poll(1, 10, (i) => i < 2), poll(2, 10, (i) => i < 4), poll(3, 10, (i) => i < 6)])).toEqual([]);
  });

  it('does not fire when hosts die one by one over many polls', () => {
    const history = Array.from({ length: 11 }, (_, step) => poll(step, 10, (i) => i < step));
    expect(history[10]!.queues.filter((q) => q.consumers === 0 && q.role.kind === 'rpc_host')).toHaveLength(10);
    for (let n = 2; n <= history.length; n++) expect(judge(history.slice(0, n))).toEqual([]);
  });

  it('does not add up a loss across a gap the history thinned out', () => {
    // Polls every 30 s; between two kept Snapshots 5 minutes apart, 8 hosts went one by one.
    const a = poll(0, 10, () => false);
    const b = { ...poll(10, 10, (i) => i < 8) };
    const c = { ...poll(11, 10, (i) => i < 8) };
    expect(judge([a, b, c])).toEqual([]);
  });

  it('needs a previous Snapshot and honours thresholds and disabling', () => {
    expect(judge([poll(0, 10, () => true)])).toEqual([]);
    const history = [poll(0, 10, () => false), poll(1, 10, (i) => i < 6)];
    const snapshot = history[1]!;
    const ctx: RuleContext = { now: snapshot.takenAt, snapshot, history, learned: emptyLearned(), oneShot: false };
    const strict = thresholdLookup({ disabled: [], thresholds: { [RULE]: { minHosts: 7 } }, overrides: [] }, catalogue);
    expect(ruleById(RULE)!.evaluate(ctx, strict)).toEqual([]);
    const off = thresholdLookup({ disabled: [RULE], thresholds: {}, overrides: [] }, catalogue);
    expect(ruleById(RULE)!.evaluate(ctx, off)).toEqual([]);
  });
});
