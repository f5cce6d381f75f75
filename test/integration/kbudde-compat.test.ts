// warren as a drop-in for kbudde's rabbitmq_exporter, against a real RabbitMQ: every name
// of kbudde's default modules (test/fixtures/kbudde/kbudde-metrics.json) that RabbitMQ can
// supply is exported under the `kbudde` profile, the default profile exports the names
// real artefacts use, a real Prometheus answers awesome-prometheus-alerts' kbudde rules,
// and kbudde's queue filters (SKIP_QUEUES in the environment, `queues.exclude` in the
// config) take queues out of /metrics and findings but not out of rabbitmq_queues.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Channel, ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startBroker, type Broker } from '../harness/broker.js';
import { startPrometheus, type Prometheus } from '../harness/prometheus.js';
import { REPO_ROOT, waitFor } from '../harness/util.js';
import { configFileFor, metric } from '../support/agent.js';
import { startDaemon, type Daemon } from '../support/cli.js';
import { FAST_STATS, amqpClients, mgmt, mgmtChange } from '../support/faults.js';

interface KbuddeMetric {
  module: string;
  name: string;
  labels: string[];
  rabbitmq310: boolean;
  profile: 'default' | 'kbudde' | null;
  why?: string;
}
interface AwesomeRule {
  alert: string;
  expr: string;
  kbuddeServes?: boolean;
}

const FIXTURES = join(REPO_ROOT, 'test/fixtures/kbudde');
const KBUDDE: KbuddeMetric[] = JSON.parse(readFileSync(join(FIXTURES, 'kbudde-metrics.json'), 'utf8')).metrics;
const AWESOME: AwesomeRule[] = (parseYaml(readFileSync(join(FIXTURES, 'awesome-prometheus-alerts-kbudde.yml'), 'utf8')) as { rules: AwesomeRule[] }).rules;

/** Names the issue calls artefact-critical: the default profile must export them. */
const CRITICAL = [
  'rabbitmq_queue_head_message_timestamp',
  'rabbitmq_queue_consumer_utilisation',
  'rabbitmq_queue_messages_returned_total',
  'rabbitmq_queue_messages_ack_total',
  'rabbitmq_queue_memory',
  'rabbitmq_queue_message_bytes',
];

const REPLY = 'reply_0f1e2d3c4b5a69788796a5b4c3d2e1f0';

let broker: Broker;
const clients = () => amqpClients(broker);
let amqp: ReturnType<typeof amqpClients>;
let kbuddeProfile: Daemon;
let defaultProfile: Daemon;
let fromEnv: Daemon;
let pluginPath: Daemon;
let prom: Prometheus;

/** Family names with at least one sample. */
function families(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    out.add(line.slice(0, line.search(/[{ ]/)));
  }
  return out;
}

const scrape = async (d: Daemon): Promise<string> => (await fetch(`${d.url}/metrics`)).text();
const findings = async (d: Daemon): Promise<unknown[]> => {
  const r = await fetch(`${d.url}/report?format=json`);
  if (r.status !== 200) return [];
  const body = (await r.json()) as { clusters?: Array<{ findings?: unknown[] }>; findings?: unknown[] };
  return body.findings ?? (body.clusters ?? []).flatMap((c) => c.findings ?? []);
};

function nextMessage(ch: Channel, queue: string): Promise<ConsumeMessage> {
  return new Promise((resolve, reject) => {
    ch.consume(queue, (m) => (m ? resolve(m) : reject(new Error(`consumer of ${queue} cancelled`))), { noAck: false }).catch(reject);
  });
}

beforeAll(async () => {
  broker = await startBroker({ name: 'kbudde', extraConfig: FAST_STATS });
  amqp = clients();
  // A classic mirrored queue reports slave_nodes (kbudde's *_slave_nodes_len), and the policy name labels its series.
  await mgmtChange(broker, 'PUT', '/api/policies/%2F/mirror-my-queue', { pattern: '^my-queue$', definition: { 'ha-mode': 'all' }, 'apply-to': 'queues' });
  const conn = await amqp.connect('kbudde-test-publisher');
  const ch = await conn.createChannel();
  await ch.assertExchange('my-exchange', 'direct', { durable: true });
  await ch.assertQueue('my-queue', { durable: true, arguments: { 'x-max-length': 1000, 'x-max-length-bytes': 10_000_000 } });
  await ch.bindQueue('my-queue', 'my-exchange', 'work');
  await ch.assertQueue('my-dead-letter-queue', { durable: true });
  await ch.assertQueue(REPLY, { durable: false });
  // Old timestamps: the head message of my-queue is ten minutes old (seconds, as AMQP has them).
  const old = Math.floor(Date.now() / 1000) - 600;
  for (let i = 0; i < 6; i++) ch.publish('my-exchange', 'work', Buffer.from(`job ${i}`), { persistent: true, timestamp: old + i });
  for (let i = 0; i < 12; i++) ch.sendToQueue('my-dead-letter-queue', Buffer.from(`dead ${i}`));
  for (let i = 0; i < 3; i++) ch.sendToQueue(REPLY, Buffer.from(`reply ${i}`));
  await ch.get('my-dead-letter-queue', { noAck: false }).then((m) => m && ch.ack(m));
  // A redelivery (for the redelivered counter and rate): one consumer takes a message and
  // goes away without acking it; the next consumer gets it again and keeps it unacked.
  const first = await conn.createChannel();
  await first.prefetch(1);
  await nextMessage(first, 'my-queue');
  await first.close();
  const second = await conn.createChannel();
  await second.prefetch(1);
  const again = await nextMessage(second, 'my-queue');
  expect(again.fields.redelivered).toBe(true);
  await waitFor(async () => (await mgmt<{ message_stats?: { redeliver?: number } }>(broker, '/api/queues/%2F/my-queue')).message_stats?.redeliver === 1, {
    timeoutMs: 60_000,
    intervalMs: 500,
    what: 'the redelivery in the broker statistics',
  });

  kbuddeProfile = await startDaemon(['--config', configFileFor(broker, { interval: '2s', queueSource: 'management', metrics: { profile: 'kbudde' } })]);
  defaultProfile = await startDaemon(['--config', configFileFor(broker, { interval: '2s', queueSource: 'management', queues: { exclude: '^reply_' } })]);
  // No --config: kbudde's own variables, one of them (MAX_QUEUES) unsupported.
  fromEnv = await startDaemon([], {
    RABBIT_URL: broker.mgmtUrl,
    RABBIT_USER: broker.user,
    RABBIT_PASSWORD: broker.password,
    SKIP_QUEUES: '^reply_',
    RABBIT_TIMEOUT: '20',
    MAX_QUEUES: '5000',
  });
  pluginPath = await startDaemon(['--config', configFileFor(broker, { interval: '2s', queueSource: 'prometheus', metrics: { profile: 'kbudde' } })]);
  prom = await startPrometheus({ scrapeTargets: [kbuddeProfile.url], scrapeInterval: '1s' });
}, 300_000);

afterAll(async () => {
  await prom?.stop();
  await kbuddeProfile?.stop();
  await defaultProfile?.stop();
  await fromEnv?.stop();
  await pluginPath?.stop();
  await amqp?.closeAll();
  await broker?.stop();
});

describe("kbudde's names", () => {
  it('exports under the kbudde profile every name of the default modules RabbitMQ 3.10 supplies', async () => {
    const wanted = KBUDDE.filter((m) => m.rabbitmq310).map((m) => m.name);
    expect(wanted.length).toBeGreaterThan(60);
    let missing: string[] = [];
    await waitFor(
      async () => {
        const have = families(await scrape(kbuddeProfile));
        missing = wanted.filter((n) => !have.has(n));
        return missing.length === 0;
      },
      { timeoutMs: 90_000, intervalMs: 1000, what: 'every kbudde name on /metrics', onTimeout: () => `missing: ${missing.join(', ')}` },
    );
    const text = await scrape(kbuddeProfile);
    // kbudde's labels: durable and policy on queue series, node on rabbitmq_up.
    expect(metric(text, 'rabbitmq_queue_messages', { queue: 'my-queue', durable: 'true', policy: 'mirror-my-queue' })).toBe(6);
    expect(text).toMatch(/^rabbitmq_up\{cluster="[^"]+"[^}]*,node="[^"]+@[^"]+"\} 1$/m);
    // The head message's timestamp, in seconds, is ten minutes old (the first was redelivered and is unacked).
    const head = metric(text, 'rabbitmq_queue_head_message_timestamp', { queue: 'my-queue' })!;
    expect(Date.now() / 1000 - head).toBeGreaterThan(500);
    // Only what the broker reported: messages without a timestamp give no series, not 0.
    expect(metric(text, 'rabbitmq_queue_head_message_timestamp', { queue: 'my-dead-letter-queue' })).toBeUndefined();
    expect(metric(text, 'rabbitmq_queue_max_length', { queue: 'my-queue' })).toBe(1000);
    expect(metric(text, 'rabbitmq_queue_max_length', { queue: 'my-dead-letter-queue' })).toBeUndefined();
    expect(metric(text, 'rabbitmq_queue_messages_redelivered_total', { queue: 'my-queue' })).toBe(1);
    expect(metric(text, 'rabbitmq_queue_messages_get_total', { queue: 'my-dead-letter-queue' })).toBe(1);
    // version_info's erlang label is the OTP release, as kbudde had it.
    expect(text).toMatch(/^rabbitmq_version_info\{[^}]*erlang="\d+(\.\d+)*"/m);
  }, 120_000);

  it('exports the artefact-critical names under the default profile, and not the rest', async () => {
    let missing: string[] = [];
    await waitFor(
      async () => {
        const have = families(await scrape(defaultProfile));
        missing = CRITICAL.filter((n) => !have.has(n));
        return missing.length === 0;
      },
      { timeoutMs: 90_000, intervalMs: 1000, what: 'the artefact-critical names on /metrics', onTimeout: () => `missing: ${missing.join(', ')}` },
    );
    const have = families(await scrape(defaultProfile));
    for (const m of KBUDDE.filter((k) => k.profile === 'default' && k.rabbitmq310)) expect(have, m.name).toContain(m.name);
    for (const n of ['rabbitmq_queue_messages_ram', 'rabbitmq_queue_state', 'rabbitmq_queue_gc_min_heap', 'rabbitmq_module_up']) expect(have, n).not.toContain(n);
  }, 120_000);

  it('keeps the plugin path working: depth from the plugin, statistics-only names absent rather than 0', async () => {
    await waitFor(async () => metric(await scrape(pluginPath), 'rabbitmq_queue_messages', { queue: 'my-queue' }) === 6, {
      timeoutMs: 90_000,
      intervalMs: 1000,
      what: 'queue depth from the plugin path',
    });
    const text = await scrape(pluginPath);
    expect(metric(text, 'rabbitmq_up')).toBe(1);
    expect(metric(text, 'warren_poll_requests')).toBeGreaterThan(0);
    // From the stats-free listing: arguments and state.
    expect(metric(text, 'rabbitmq_queue_max_length', { queue: 'my-queue' })).toBe(1000);
    expect(metric(text, 'rabbitmq_queue_state', { queue: 'my-queue' })).toBe(1);
    for (const n of ['rabbitmq_queue_memory', 'rabbitmq_queue_head_message_timestamp', 'rabbitmq_queue_consumer_utilisation', 'rabbitmq_queue_messages_ack_total', 'rabbitmq_queue_messages_returned_total']) {
      expect(metric(text, n, { queue: 'my-queue' }), n).toBeUndefined();
    }
  }, 120_000);
});

describe('awesome-prometheus-alerts kbudde rules in a real Prometheus', () => {
  it('returns series for every rule kbudde could serve', async () => {
    const served = AWESOME.filter((r) => r.kbuddeServes !== false);
    expect(served.length).toBeGreaterThanOrEqual(10);
    const empty = new Map<string, string>();
    await waitFor(
      async () => {
        empty.clear();
        for (const r of served) {
          // The expression without its threshold comparison: what the alert compares.
          const query = r.expr.replace(/\s*(==|!=|>=|<=|>|<)\s*[\d.]+\s*$/, '');
          if ((await prom.query(query)).length === 0) empty.set(r.alert, query);
        }
        return empty.size === 0;
      },
      { timeoutMs: 90_000, intervalMs: 2000, what: 'a series for every servable rule', onTimeout: () => [...empty].map(([a, q]) => `${a}: ${q}`).join('; ') },
    );
  }, 120_000);
});

describe("kbudde's queue filters", () => {
  const mentionsReply = (x: unknown) => JSON.stringify(x).includes(REPLY);

  it('name the unsupported kbudde variables in one warning line', () => {
    expect(fromEnv.output()).toMatch(/^warren: kbudde variables not supported by warren, ignored: MAX_QUEUES$/m);
  });

  it('SKIP_QUEUES (environment) and queues.exclude (config) leave the queue out of /metrics and findings, not out of rabbitmq_queues', async () => {
    const total = (await mgmt<{ object_totals: { queues: number } }>(broker, '/api/overview')).object_totals.queues;
    expect(total).toBeGreaterThanOrEqual(3);
    // Control: unfiltered, the reply queue is exported and judged (no consumer, no expiry).
    let seen: unknown[] = [];
    await waitFor(
      async () => {
        seen = await findings(kbuddeProfile);
        return (await scrape(kbuddeProfile)).includes(`queue="${REPLY}"`) && seen.some(mentionsReply);
      },
      {
        timeoutMs: 90_000,
        intervalMs: 1000,
        what: 'the unfiltered daemon exporting and judging the reply queue',
        onTimeout: () => JSON.stringify(seen).slice(0, 2000),
      },
    );
    for (const d of [defaultProfile, fromEnv]) {
      await waitFor(async () => metric(await scrape(d), 'rabbitmq_queue_messages', { queue: 'my-queue' }) !== undefined && (await findings(d)).length > 0, {
        timeoutMs: 90_000,
        intervalMs: 1000,
        what: `a poll and a judgement by ${d.url}`,
      });
      const text = await scrape(d);
      expect(text).not.toContain(REPLY);
      expect((await findings(d)).filter(mentionsReply)).toEqual([]);
      expect(metric(text, 'rabbitmq_queues')).toBe(total);
      expect(metric(text, 'rabbitmq_queue_messages', { queue: 'my-dead-letter-queue' })).toBe(11);
    }
  }, 200_000);
});
