// What a scrape of /metrics gets: the exposition of the last complete poll, kept encoded
// and gzip-compressed once per poll, with the scrape-time families (data age, stale,
// starting) and the process metrics judged per scrape. Against the fake management API,
// which can hold a poll open at will (a real broker's side: collector.test.ts).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { startAgent, type Agent } from '../../src/server/agent.js';
import { eventually, metric, quietLog } from '../support/agent.js';
import { FIXTURES, ROUTES, startFakeApi, type FakeApi } from '../support/fake-api.js';

const QUEUE = { queue: 'compute.cmp-01', vhost: '/' }; // 10 messages in the recorded answer
const SCRAPE_TIME = /\bwarren_(data_age_seconds|stale|starting)\b/;

let api: FakeApi;
const agents: Agent[] = [];

async function agentFor(cluster: Record<string, unknown>): Promise<Agent> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-scrape-'));
  const file = join(dir, 'warren.yml');
  writeFileSync(file, stringify({ listen: '127.0.0.1:0', clusters: [{ name: 'fake', url: api.url, user: 'monitor', password: 'x', queueSource: 'management', ...cluster }] }));
  const agent = await startAgent(loadConfig({ config: file }), quietLog);
  agents.push(agent);
  await agent.waitForPolls(1);
  return agent;
}

/** One scrape, decoded; checks the length and encoding headers against the bytes received. */
async function scrape(agent: Agent, encoding: 'gzip' | 'identity'): Promise<string> {
  const res = await request(`${agent.url}/metrics`, { headers: { 'accept-encoding': encoding } });
  const raw = Buffer.from(await res.body.arrayBuffer());
  expect(res.statusCode).toBe(200);
  expect(Number(res.headers['content-length'])).toBe(raw.length);
  expect(res.headers['content-encoding']).toBe(encoding === 'gzip' ? 'gzip' : undefined);
  expect(res.headers.vary).toBe('Accept-Encoding');
  return (encoding === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
}

/** The part rendered once per poll: before the process metrics, without the scrape-time families. */
const pollPart = (t: string) =>
  t
    .slice(0, t.indexOf('# HELP process_'))
    .split('\n')
    .filter((l) => !SCRAPE_TIME.test(l))
    .join('\n');

/** Whether a body is whole: its poll's samples and the scrape-time ones number warren_series, and the process metrics follow. */
function expectComplete(t: string): void {
  const samples = t.slice(0, t.indexOf('# HELP process_')).split('\n').filter((l) => l && !l.startsWith('#'));
  expect(samples.length).toBe(metric(t, 'warren_series'));
  expect(t).toContain('process_cpu_user_seconds_total');
  expect(t.endsWith('\n')).toBe(true);
}

beforeAll(async () => {
  api = await startFakeApi();
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  await api?.close();
});

describe('/metrics between polls (one poll an hour)', () => {
  let agent: Agent;
  beforeAll(async () => {
    agent = await agentFor({ interval: '1h', timeout: '5s' });
  });

  it('answers gzip and plain scrapes with the same exposition but for what is judged per scrape', async () => {
    const zipped = await scrape(agent, 'gzip');
    const plain = await scrape(agent, 'identity');
    expectComplete(zipped);
    expectComplete(plain);
    expect(pollPart(zipped)).toBe(pollPart(plain));
    expect(pollPart(zipped)).toBe(pollPart(agent.metricsText() + '# HELP process_'));
    expect(metric(zipped, 'rabbitmq_queue_messages', QUEUE)).toBe(10);
  });

  it("judges data age at each scrape, in both encodings, while the rest stays the poll's", async () => {
    const first = await scrape(agent, 'gzip');
    const age = metric(first, 'warren_data_age_seconds')!;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(metric(first, 'warren_stale')).toBe(0);
    expect(metric(first, 'warren_starting')).toBe(0);
    for (const encoding of ['gzip', 'identity'] as const) {
      const later = await eventually(async () => {
        const t = await scrape(agent, encoding);
        expect(metric(t, 'warren_data_age_seconds')).toBeGreaterThan(age + 1.5);
        return t;
      }, 30_000, 300);
      expect(pollPart(later)).toBe(pollPart(first));
      expectComplete(later);
    }
  });
});

describe('/metrics while a poll is held open', () => {
  it("serves the last complete exposition, ageing and then stale, and the next poll's once it completes", async () => {
    const agent = await agentFor({ interval: '1s', timeout: '60s' });
    for (const encoding of ['gzip', 'identity'] as const) expect(metric(await scrape(agent, encoding), 'rabbitmq_queue_messages', QUEUE)).toBe(10);
    await api.setMode('hang');
    try {
      // Three intervals without data: stale, judged at the scrape although no poll has ended.
      for (const encoding of ['gzip', 'identity'] as const) {
        const t = await eventually(async () => {
          const body = await scrape(agent, encoding);
          expect(metric(body, 'warren_stale')).toBe(1);
          return body;
        }, 30_000, 300);
        expectComplete(t);
        expect(metric(t, 'warren_data_age_seconds')).toBeGreaterThan(3);
        // The poll part is the last complete poll's: broker up, the queue as it was.
        expect(metric(t, 'rabbitmq_up')).toBe(1);
        expect(metric(t, 'rabbitmq_queue_messages', QUEUE)).toBe(10);
      }
      const queues = JSON.parse(readFileSync(join(FIXTURES, ROUTES['/api/queues']!), 'utf8')) as Array<{ name: string; messages: number; messages_ready: number }>;
      api.setBody('/api/queues', queues.map((q) => (q.name === QUEUE.queue ? { ...q, messages: 42, messages_ready: 42 } : q)));
    } finally {
      await api.setMode('healthy');
    }
    for (const encoding of ['gzip', 'identity'] as const) {
      await eventually(async () => {
        const t = await scrape(agent, encoding);
        expect(metric(t, 'rabbitmq_queue_messages', QUEUE)).toBe(42);
        expect(metric(t, 'warren_stale')).toBe(0);
        expectComplete(t);
      }, 60_000, 300);
    }
  });
});
