// The plugin path keeps the stats-free queue listing between polls: it is most of a
// plugin poll's broker time at scale. It must be asked again whenever it could be wrong.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { buildTopicTable } from '../../src/openstack/index.js';
import { pollCluster } from '../../src/poll/index.js';
import { initialCollectorState, type CollectorState } from '../../src/sources/collect.js';
import { SourceError, type HttpClient } from '../../src/sources/http.js';
import { FIXTURES, ROUTES } from '../support/fake-api.js';

const json = (f: string) => JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as unknown;

/** The recorded broker, with its answers editable between polls; records the paths asked. */
function broker() {
  const answers = new Map<string, unknown>(Object.entries(ROUTES).map(([p, f]) => [p, json(f)]));
  let detailed = readFileSync(join(FIXTURES, 'prometheus-detailed.txt'), 'utf8');
  const asked: string[] = [];
  /** Each request's own deadline by path, where it asked for one. */
  const deadlines = new Map<string, number>();
  const listing = { answers: true };
  const http: HttpClient = {
    lifetime: { requests: 0, bytes: 0 },
    async getText(url, counter) {
      counter.requests++;
      asked.push(new URL(url).pathname);
      return detailed;
    },
    async getJson(url, counter, opts = {}) {
      counter.requests++;
      const path = new URL(url).pathname;
      asked.push(path);
      if (opts.timeoutMs !== undefined) deadlines.set(path, opts.timeoutMs);
      if (path === '/api/queues' && !listing.answers) throw new SourceError('timeout', `GET ${path} did not answer within 1m`);
      return structuredClone(answers.get(path) ?? null);
    },
    close: async () => undefined,
  };
  return {
    http,
    asked,
    deadlines,
    listing,
    answers,
    setDetailed: (t: string) => (detailed = t),
    get detailed() {
      return detailed;
    },
  };
}

const cfg = { ...loadConfig({ url: 'http://broker.invalid:15672', interval: '30s' }, {}).clusters[0]!, queueSource: 'prometheus' as const };
const ctx = (t: number) => ({ topics: buildTopicTable([]), openstack: { topics: [], hosts: {} }, now: () => t });
const T0 = 1_700_000_000_000;

async function poll(b: ReturnType<typeof broker>, state: CollectorState, t: number) {
  b.asked.length = 0;
  return pollCluster(cfg, b.http, state, ctx(t));
}

describe('plugin source: the queue listing kept between polls', () => {
  it('is asked on the first poll, kept while the plugin shows the same queues, and the depths stay current', async () => {
    const b = broker();
    const first = await poll(b, initialCollectorState(), T0);
    expect(b.asked.filter((p) => p === '/api/queues')).toHaveLength(1);
    expect(first.snapshot.queues.find((q) => q.name === 'compute.cmp-01')?.messages).toBe(10);

    b.setDetailed(b.detailed.replace('rabbitmq_detailed_queue_messages{vhost="/",queue="compute.cmp-01"} 10', 'rabbitmq_detailed_queue_messages{vhost="/",queue="compute.cmp-01"} 42'));
    const second = await poll(b, first.state, T0 + 30_000);
    expect(b.asked).not.toContain('/api/queues');
    expect(b.asked).toContain('/metrics/detailed');
    expect(second.snapshot.queues.find((q) => q.name === 'compute.cmp-01')?.messages).toBe(42);
    // Everything the listing gave (type, arguments) is still there.
    expect(second.snapshot.queues.map((q) => [q.name, q.type, q.expiresMs])).toEqual(first.snapshot.queues.map((q) => [q.name, q.type, q.expiresMs]));
  });

  it('is asked again when a queue was replaced by another (same count), and the new one is in the Snapshot', async () => {
    const b = broker();
    const first = await poll(b, initialCollectorState(), T0);
    const queues = b.answers.get('/api/queues') as Array<{ name: string }>;
    queues.find((q) => q.name === 'qq1')!.name = 'qq2';
    b.setDetailed(b.detailed.replaceAll('queue="qq1"', 'queue="qq2"'));
    const second = await poll(b, first.state, T0 + 30_000);
    expect(b.asked.filter((p) => p === '/api/queues')).toHaveLength(1);
    expect(second.snapshot.queues.map((q) => q.name).sort()).toContain('qq2');
    expect(second.snapshot.queues.map((q) => q.name)).not.toContain('qq1');
  });

  it('is asked again when the broker counts a different number of queues', async () => {
    const b = broker();
    const first = await poll(b, initialCollectorState(), T0);
    const ov = b.answers.get('/api/overview') as { object_totals: { queues: number } };
    ov.object_totals.queues = 4;
    await poll(b, first.state, T0 + 30_000);
    expect(b.asked.filter((p) => p === '/api/queues')).toHaveLength(1);
  });

  it('is asked again with the inventory (every inventoryInterval), and never kept by the management source', async () => {
    const b = broker();
    const first = await poll(b, initialCollectorState(), T0);
    await poll(b, first.state, T0 + cfg.inventoryInterval);
    expect(b.asked.filter((p) => p === '/api/queues')).toHaveLength(1);

    const m = { ...cfg, queueSource: 'management' as const };
    const one = await pollCluster(m, b.http, initialCollectorState(), ctx(T0));
    expect(one.state.listing).toBeNull();
  });

  it("is asked with three request timeouts as its deadline, the other requests with the client's own", async () => {
    const b = broker();
    await poll(b, initialCollectorState(), T0);
    expect(b.deadlines).toEqual(new Map([['/api/queues', 3 * cfg.timeout]]));
  });
});

describe('plugin source: a queue listing that does not answer in time', () => {
  const stale = (warnings: readonly string[]) => warnings.filter((w) => w.includes('did not answer in time'));

  it('fails the first poll with the timeout (there is no listing to fall back on)', async () => {
    const b = broker();
    b.listing.answers = false;
    await expect(poll(b, initialCollectorState(), T0)).rejects.toThrow('did not answer within 1m');
  });

  it('in auto mode, does not fall back to the management path, which lists the same queues with statistics', async () => {
    const b = broker();
    b.listing.answers = false;
    const auto = { ...cfg, queueSource: 'auto' as const, pluginMinQueues: 1 };
    b.asked.length = 0;
    await expect(pollCluster(auto, b.http, initialCollectorState(), ctx(T0))).rejects.toThrow('did not answer within 1m');
    expect(b.asked.filter((p) => p === '/api/queues')).toHaveLength(1);
  });

  it('on a refresh, keeps the previous listing with one stable warning, not asked again until the inventory is due, depths current', async () => {
    const b = broker();
    const first = await poll(b, initialCollectorState(), T0);
    expect(stale(first.snapshot.poll.warnings)).toEqual([]);
    const names = first.snapshot.queues.map((q) => q.name).sort();

    b.listing.answers = false;
    b.setDetailed(b.detailed.replace('rabbitmq_detailed_queue_messages{vhost="/",queue="compute.cmp-01"} 10', 'rabbitmq_detailed_queue_messages{vhost="/",queue="compute.cmp-01"} 42'));
    const refresh = await poll(b, first.state, T0 + cfg.inventoryInterval);
    expect(b.asked.filter((p) => p === '/api/queues')).toHaveLength(1);
    expect(refresh.state.listing?.failedAt).toBe(T0 + cfg.inventoryInterval);
    expect(refresh.snapshot.queues.map((q) => q.name).sort()).toEqual(names);
    expect(refresh.snapshot.queues.find((q) => q.name === 'compute.cmp-01')?.messages).toBe(42);
    expect(refresh.snapshot.queues.map((q) => [q.name, q.type, q.expiresMs])).toEqual(first.snapshot.queues.map((q) => [q.name, q.type, q.expiresMs]));
    const [warning] = stale(refresh.snapshot.poll.warnings);
    expect(warning).toContain(`the one of ${new Date(T0).toISOString()} is used`);

    // The broker counts another queue and one listed queue is gone from the plugin: the
    // stale listing is not asked again (every poll would wait out its deadline); the gone
    // queue is dropped; the warning reads the same, so it is logged once.
    (b.answers.get('/api/overview') as { object_totals: { queues: number } }).object_totals.queues += 1;
    const listed = b.answers.get('/api/queues') as Array<{ name: string }>;
    b.answers.set('/api/queues', listed.filter((q) => q.name !== 'qq1'));
    b.setDetailed(b.detailed.split('\n').filter((l) => !l.includes('queue="qq1"')).join('\n'));
    const next = await poll(b, refresh.state, T0 + cfg.inventoryInterval + 30_000);
    expect(b.asked).not.toContain('/api/queues');
    expect(next.snapshot.queues.map((q) => q.name).sort()).toEqual(names.filter((n) => n !== 'qq1'));
    expect(stale(next.snapshot.poll.warnings)).toEqual([warning]);

    // With the next inventory it is asked again; answering, it is current and the warning goes.
    b.listing.answers = true;
    const healed = await poll(b, next.state, T0 + 2 * cfg.inventoryInterval);
    expect(b.asked.filter((p) => p === '/api/queues')).toHaveLength(1);
    expect(healed.state.listing?.failedAt).toBeNull();
    expect(stale(healed.snapshot.poll.warnings)).toEqual([]);
  });

  it('when the plugin shows a queue the kept listing lacks, is asked again and, failing, the kept listing is used stale', async () => {
    const b = broker();
    const first = await poll(b, initialCollectorState(), T0);
    const queues = b.answers.get('/api/queues') as Array<{ name: string }>;
    queues.find((q) => q.name === 'qq1')!.name = 'qq2';
    b.setDetailed(b.detailed.replaceAll('queue="qq1"', 'queue="qq2"'));
    b.listing.answers = false;
    const second = await poll(b, first.state, T0 + 30_000);
    expect(b.asked.filter((p) => p === '/api/queues')).toHaveLength(1);
    expect(second.snapshot.queues.map((q) => q.name)).not.toContain('qq1');
    expect(second.snapshot.queues.map((q) => q.name)).not.toContain('qq2');
    expect(second.state.listing?.failedAt).toBe(T0 + 30_000);
    expect(stale(second.snapshot.poll.warnings)).toHaveLength(1);
  });
});
