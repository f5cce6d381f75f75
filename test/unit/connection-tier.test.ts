// The connection list is kept between polls (src/sources/connection-tier.ts) and asked
// again every connectionsInterval, or at once when a kept list could hide a blocked
// publisher or a big change in who is connected. Time is the injected poll clock.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { buildTopicTable } from '../../src/openstack/index.js';
import { pollCluster } from '../../src/poll/index.js';
import { catalogue, emptyLearned, ruleById, thresholdLookup } from '../../src/rules/index.js';
import type { Snapshot } from '../../src/snapshot/index.js';
import { initialCollectorState, type CollectorState } from '../../src/sources/collect.js';
import { COUNT_GAP_RATIO, MIN_COUNT_GAP, alarmsOf, connectionRefreshReason, type ConnectionList } from '../../src/sources/connection-tier.js';
import type { HttpClient } from '../../src/sources/http.js';
import { FIXTURES, ROUTES } from '../support/fake-api.js';
import { makeNode } from '../support/snapshot.js';

const json = (f: string) => JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as unknown;

type Conn = { name: string; state: string; vhost: string; channels: number };
type Node = { name: string; mem_alarm: boolean; disk_free_alarm: boolean };
type Overview = { object_totals: { connections: number; channels: number } };

/** The recorded broker (management source), its answers editable between polls; counts the connection lists asked. */
function broker() {
  const answers = new Map<string, unknown>(Object.entries(ROUTES).map(([p, f]) => [p, json(f)]));
  let listed = 0;
  const http: HttpClient = {
    lifetime: { requests: 0, bytes: 0 },
    async getText() {
      throw new Error('no plugin here');
    },
    async getJson(url, counter) {
      counter.requests++;
      const path = new URL(url).pathname;
      if (path === '/api/connections') listed++;
      return structuredClone(answers.get(path) ?? null);
    },
    close: async () => undefined,
  };
  const connections = () => answers.get('/api/connections') as Conn[];
  /** Sets the broker's connections; the overview counts them and their channels. */
  const setConnections = (list: Conn[]) => {
    answers.set('/api/connections', list);
    const totals = (answers.get('/api/overview') as Overview).object_totals;
    totals.connections = list.length;
    totals.channels = list.reduce((n, c) => n + c.channels, 0);
  };
  return {
    http,
    connections,
    setConnections,
    node: () => (answers.get('/api/nodes') as Node[])[0]!,
    get listed() {
      return listed;
    },
  };
}

const cfg = {
  ...loadConfig({ url: 'http://broker.invalid:15672', interval: '30s' }, {}).clusters[0]!,
  queueSource: 'management' as const,
  inventoryInterval: 300_000,
  connectionsInterval: 120_000,
};
const T0 = 1_700_000_000_000;
const ctx = (t: number) => ({ topics: buildTopicTable([]), openstack: { topics: [], hosts: {} }, now: () => t });

/** Polls every 30 s from T0 (poll i at T0 + 30 s · i), carrying the collector state. */
function poller(b: ReturnType<typeof broker>) {
  let state: CollectorState = initialCollectorState();
  let i = 0;
  return async () => {
    const r = await pollCluster(cfg, b.http, state, ctx(T0 + 30_000 * i++));
    state = r.state;
    return r.snapshot;
  };
}

const conn = (i: number, state = 'running', vhost = 'nova'): Conn => {
  const base = (json(ROUTES['/api/connections']!) as Conn[])[0]!;
  return { ...base, name: `10.0.0.${i}:5000 -> 10.0.0.1:5672`, state, vhost, channels: 1 };
};
/** What connections-blocked finds in one poll's Snapshot: [vhost, blocked, blocking]. */
const blockedFindings = (s: Snapshot) =>
  ruleById('connections-blocked')!
    .evaluate({ now: s.takenAt, snapshot: s, history: [s], learned: emptyLearned(), oneShot: false }, thresholdLookup({ disabled: [], thresholds: {}, overrides: [] }, catalogue))
    .map((f) => [f.subject.name, f.evidence.blocked, f.evidence.blocking]);
const fleet = (n: number, state = 'running') => Array.from({ length: n }, (_, i) => conn(i, state));

describe('connection tier: when the connection list is asked', () => {
  it('first poll, then every connectionsInterval while nothing changes; a changed count has it asked once the list is two polls old', async () => {
    const b = broker();
    b.setConnections(fleet(5));
    const poll = poller(b);
    const s0 = await poll();
    expect(b.listed).toBe(1);
    expect(s0.poll.connectionsRefreshed).toBe(true);
    expect(s0.connections).toHaveLength(5);
    for (let i = 1; i <= 3; i++) {
      const s = await poll(); // T0 + 30, 60, 90 s: a steady broker, the kept list
      expect(s.poll.connectionsRefreshed).toBe(false);
      expect(s.poll.connectionsListedAt).toBe(T0);
    }
    expect(b.listed).toBe(1);
    const s4 = await poll(); // T0 + 120 s: one connectionsInterval
    expect(b.listed).toBe(2);
    expect(s4.poll.connectionsRefreshed).toBe(true);
    expect(s4.poll.connectionsListedAt).toBe(T0 + 120_000);

    // A sixth connection: the overview counts it at once, the list one poll later.
    b.setConnections(fleet(6));
    const s5 = await poll(); // T0 + 150 s: the list is one poll old
    expect(b.listed).toBe(2);
    expect(s5.totals.connections).toBe(6);
    expect(s5.connections).toHaveLength(5);
    const s6 = await poll(); // T0 + 180 s: two polls old
    expect(b.listed).toBe(3);
    expect(s6.connections).toHaveLength(6);
    // A channel opened on one of them: the channel count differs, the same way.
    b.setConnections([...fleet(5), { ...conn(5), channels: 2 }]);
    await poll();
    expect(b.listed).toBe(3);
    const s8 = await poll();
    expect(b.listed).toBe(4);
    expect(s8.connections.map((c) => c.channels)).toContain(2);
  });

  it('without connectionsInterval, the inventoryInterval', async () => {
    const b = broker();
    b.setConnections(fleet(1));
    const { connectionsInterval: _, ...rest } = cfg;
    let state = initialCollectorState();
    for (const t of [0, 30_000, 299_000, 300_000]) state = (await pollCluster(rest, b.http, state, ctx(T0 + t))).state;
    expect(b.listed).toBe(2);
  });

  it('a memory alarm: asked the poll it starts and every poll while it lasts, so a publisher blocked under it is reported at once; the finding resolves on the poll the broker says it runs again', async () => {
    const b = broker();
    b.setConnections(fleet(5));
    const poll = poller(b);
    await poll();
    await poll();
    expect(b.listed).toBe(1);

    // The alarm starts; the broker's statistics do not show the blocked state yet.
    b.node().mem_alarm = true;
    let s = await poll();
    expect(b.listed).toBe(2);
    expect(blockedFindings(s)).toEqual([]);
    // One statistics interval later the publisher shows blocked: the very next poll reports it.
    b.setConnections([...fleet(4), conn(9, 'blocked')]);
    s = await poll();
    expect(b.listed).toBe(3);
    expect(blockedFindings(s)).toEqual([['nova', 1, 0]]);

    // The alarm clears but the statistics still say blocked: asked again until they do not.
    b.node().mem_alarm = false;
    s = await poll();
    expect(b.listed).toBe(4);
    expect(blockedFindings(s)).toEqual([['nova', 1, 0]]);
    b.setConnections(fleet(5));
    s = await poll();
    expect(b.listed).toBe(5);
    expect(blockedFindings(s)).toEqual([]);
    // All clear: the kept list again.
    await poll();
    expect(b.listed).toBe(5);
  });

  it('a blocked connection in a kept list keeps being reported (no flapping) until a list says otherwise', async () => {
    const b = broker();
    b.setConnections([...fleet(4), conn(9, 'blocking')]);
    b.node().disk_free_alarm = true;
    const poll = poller(b);
    for (let i = 0; i < 3; i++) {
      const s = await poll();
      expect(blockedFindings(s)).toEqual([['nova', 0, 1]]);
    }
    expect(b.listed).toBe(3);
  });

  it('a large change in the open count has the list asked at once; churn below the gap does not', async () => {
    const b = broker();
    b.setConnections(fleet(200));
    const poll = poller(b);
    await poll();
    b.setConnections(fleet(200 + MIN_COUNT_GAP - 1));
    await poll();
    expect(b.listed).toBe(1);
    // A cell loses the broker: half the connections go.
    b.setConnections(fleet(100));
    const s = await poll();
    expect(b.listed).toBe(2);
    expect(s.connections).toHaveLength(100);
  });
});

describe('connectionRefreshReason', () => {
  const kept = (p: Partial<ConnectionList> = {}): ConnectionList => ({ takenAt: T0, connections: [], alarms: '', ...p });
  const at = (dt: number, p: Partial<{ alarms: string; open: number; channels: number }> = {}) => ({
    at: T0 + dt,
    interval: 60_000,
    alarms: '',
    open: 0,
    channels: 0,
    pollInterval: 10_000,
    ...p,
  });

  it('says why, or null for the kept list', () => {
    expect(connectionRefreshReason(null, at(0))).toBe('first');
    expect(connectionRefreshReason(kept(), at(59_999))).toBeNull();
    expect(connectionRefreshReason(kept(), at(60_000))).toBe('interval');
    // A clock set back does not keep a list for ever.
    expect(connectionRefreshReason(kept(), at(-1))).toBe('interval');
    expect(connectionRefreshReason(kept(), at(1, { alarms: 'rabbit@a:memory' }))).toBe('alarm');
    expect(connectionRefreshReason(kept({ alarms: 'rabbit@a:disk' }), at(1))).toBe('alarm');
  });

  const list = (n: number) => kept({ connections: Array.from({ length: n }, () => ({ state: 'running', channels: 1 }) as ConnectionList['connections'][number]) });

  it('a count or channel difference: at once when large, else once the list is two polls old', () => {
    expect(connectionRefreshReason(list(3), at(19_999, { open: 4, channels: 4 }))).toBeNull();
    expect(connectionRefreshReason(list(3), at(20_000, { open: 4, channels: 4 }))).toBe('changed');
    expect(connectionRefreshReason(list(3), at(20_000, { open: 3, channels: 5 }))).toBe('changed');
    expect(connectionRefreshReason(list(3), at(50_000, { open: 3, channels: 3 }))).toBeNull();
  });

  it('the count gap: more than the ratio of the listed and at least the minimum', () => {
    expect(connectionRefreshReason(list(10), at(1, { open: 10 + MIN_COUNT_GAP - 1 }))).toBeNull();
    expect(connectionRefreshReason(list(10), at(1, { open: 10 + MIN_COUNT_GAP }))).toBe('count');
    const big = 10 * MIN_COUNT_GAP;
    expect(connectionRefreshReason(list(big), at(1, { open: big + COUNT_GAP_RATIO * big }))).toBeNull();
    expect(connectionRefreshReason(list(big), at(1, { open: big - COUNT_GAP_RATIO * big - 1 }))).toBe('count');
  });

  it('alarmsOf names each node and alarm, in a stable order', () => {
    expect(alarmsOf([makeNode({ name: 'rabbit@b', diskAlarm: true }), makeNode({ name: 'rabbit@a', memAlarm: true })])).toBe('rabbit@a:memory,rabbit@b:disk');
    expect(alarmsOf([makeNode({ name: 'rabbit@a' })])).toBe('');
  });
});
