// Property-based: random and hostile management-API and plugin answers fed to
// the parsers and to a whole poll (collect), and what a poll produces fed on to the
// OpenStack view, the rules, the metrics and the report. No crash anywhere: either a
// result whose numbers are finite, or a SourceError with one clear line.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { renderMetrics } from '../../src/metrics/render.js';
import { buildTopicTable } from '../../src/openstack/index.js';
import { pollCluster, type PollStatus } from '../../src/poll/index.js';
import { buildReport, renderReport, REPORT_FORMATS } from '../../src/report/index.js';
import { catalogue } from '../../src/rules/catalogue.js';
import { evaluateAll } from '../../src/rules/evaluate.js';
import { emptyLearned, learn } from '../../src/rules/learn.js';
import { thresholdLookup } from '../../src/rules/thresholds.js';
import { openstackView, type Snapshot } from '../../src/snapshot/index.js';
import { initialCollectorState } from '../../src/sources/collect.js';
import { createHttpClient, SourceError, type HttpClient } from '../../src/sources/http.js';
import * as parse from '../../src/sources/parse.js';
import { parseDetailed } from '../../src/sources/prometheus.js';

// Each test runs its property a fixed number of times (numRuns): ~0.5-4 s on an idle
// machine, past 12 s on a loaded 2-core one, where vitest's 5 s default failed them. The
// runs stay as many; the time allowed fits the loaded machine.
const PROPERTY_TIMEOUT_MS = 120_000;

const FIX = join(import.meta.dirname, '../fixtures/rabbitmq-3.10.8');
const fixture = (f: string) => JSON.parse(readFileSync(join(FIX, f), 'utf8')) as unknown;
const DETAILED = readFileSync(join(FIX, 'prometheus-detailed.txt'), 'utf8');

const ROUTES: Record<string, string> = {
  '/api/overview': 'overview.json',
  '/api/nodes': 'nodes.json',
  '/api/queues': 'queues-full.json',
  '/api/connections': 'connections.json',
  '/api/consumers': 'consumers.json',
  '/api/exchanges': 'exchanges.json',
  '/api/vhosts': 'vhosts.json',
  '/api/users': 'users.json',
  '/api/policies': 'policies.json',
};

/** Values a hostile or broken API might put where a field belongs. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(null, -1, 0, 1e308, -1e308, Number.MAX_SAFE_INTEGER, '', 'NaN', 'Infinity', '__proto__', '1970-01-01 00:00:00', 'not a date', [], {}, [null], { name: 1 }, true),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** A recorded answer with some of its fields replaced by hostile values (keys like __proto__ included). */
function mutated(original: unknown): fc.Arbitrary<unknown> {
  return fc
    .array(fc.tuple(fc.nat(), fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('name', 'vhost', 'node', 'messages', 'consumers', 'running', 'uptime', 'partitions', 'arguments', 'message_stats', 'client_properties', 'applications', 'members', 'state', '__proto__', 'constructor')), hostileValue), { maxLength: 6 })
    .map((edits) => {
      const copy = JSON.parse(JSON.stringify(original)) as unknown;
      const targets = Array.isArray(copy) ? copy : [copy];
      for (const [i, key, value] of edits) {
        const t = targets.length ? targets[i % targets.length] : undefined;
        if (t && typeof t === 'object') Object.defineProperty(t, key, { value, enumerable: true, writable: true, configurable: true });
      }
      return copy;
    });
}

/** One endpoint's answer: recorded, recorded-but-mutated, or anything at all. */
const answerFor = (file: string): fc.Arbitrary<unknown> => fc.oneof({ weight: 2, arbitrary: fc.constant(fixture(file)) }, { weight: 4, arbitrary: mutated(fixture(file)) }, { weight: 1, arbitrary: hostileValue });

const PARSERS: Array<[string, (v: unknown) => unknown]> = [
  ['overview', parse.parseOverview],
  ['nodes', parse.parseNodes],
  ['queues', (v) => parse.parseQueues(v, false)],
  ['queues (stats off)', (v) => parse.parseQueues(v, true)],
  ['connections', parse.parseConnections],
  ['consumers', parse.parseConsumers],
  ['exchanges', parse.parseExchanges],
  ['vhosts', parse.parseVhosts],
  ['policies', parse.parsePolicies],
  ['users', parse.parseUsers],
];
const FILE_OF: Record<string, string> = { overview: 'overview.json', nodes: 'nodes.json', queues: 'queues-full.json', 'queues (stats off)': 'queues-full.json', connections: 'connections.json', consumers: 'consumers.json', exchanges: 'exchanges.json', vhosts: 'vhosts.json', policies: 'policies.json', users: 'users.json' };

/** Every number in a parsed value is finite, every leaf is a plain JSON-ish value. */
function expectSane(v: unknown, path = '$'): void {
  if (typeof v === 'number') return void expect(Number.isFinite(v), `${path} = ${v}`).toBe(true);
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (Array.isArray(v)) return v.forEach((x, i) => expectSane(x, `${path}[${i}]`));
  if (typeof v === 'object') {
    for (const [k, x] of Object.entries(v as object)) {
      // Opaque maps straight from the broker (arguments, policy definitions) may hold anything JSON.
      if (k === 'definition' || k === 'arguments') continue;
      expectSane(x, `${path}.${k}`);
    }
    return;
  }
  throw new Error(`${path}: unexpected ${typeof v}`);
}

function expectClearSourceError(err: unknown): void {
  expect(err).toBeInstanceOf(SourceError);
  const e = err as SourceError;
  expect(e.message.length).toBeGreaterThan(10);
  expect(e.message.length).toBeLessThan(400);
  expect(e.message).not.toContain('\n');
  expect(e.message).not.toMatch(/undefined|\[object Object\]/);
}

describe('parsers under random and hostile answers', { timeout: PROPERTY_TIMEOUT_MS }, () => {
  for (const [name, parser] of PARSERS) {
    it(`${name}: a sane value or a clear SourceError`, () => {
      fc.assert(
        fc.property(answerFor(FILE_OF[name]!), (answer) => {
          let out: unknown;
          try {
            out = parser(answer);
          } catch (err) {
            expectClearSourceError(err);
            return;
          }
          expectSane(out);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('the plugin exposition: a sane map or a clear SourceError, for any text', () => {
    const lines = DETAILED.split('\n');
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 400 }),
      // The recorded exposition with lines dropped, duplicated, cut or garbled.
      fc.array(fc.tuple(fc.nat(lines.length - 1), fc.oneof(fc.constant(''), fc.string({ maxLength: 30 }))), { maxLength: 12 }).map((edits) => {
        const copy = [...lines];
        for (const [i, s] of edits) copy[i] = s === '' ? copy[i]!.slice(0, Math.floor(copy[i]!.length / 2)) : s + copy[i];
        return copy.join('\n');
      }),
    );
    fc.assert(
      fc.property(text, (t) => {
        try {
          const m = parseDetailed(t);
          for (const [k, v] of m) {
            expect(k).toContain('\u0000');
            expectSane(v);
          }
        } catch (err) {
          expectClearSourceError(err);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** An in-memory client: each URL's answer comes from `answers` (by path), the plugin's from `detailed`. */
function fakeClient(answers: Map<string, unknown>, detailed: string): HttpClient {
  const lifetime = { requests: 0, bytes: 0 };
  return {
    lifetime,
    async getText(url, counter) {
      counter.requests++;
      if (url.includes('/metrics/detailed')) return detailed;
      return JSON.stringify(answers.get(new URL(url).pathname) ?? null);
    },
    async getJson(url, counter) {
      counter.requests++;
      const a = answers.get(new URL(url).pathname);
      return a === undefined ? null : JSON.parse(JSON.stringify(a));
    },
    close: async () => undefined,
  };
}

describe('a whole poll, and everything downstream, under random answers', { timeout: PROPERTY_TIMEOUT_MS }, () => {
  const topics = buildTopicTable([]);
  const base = loadConfig({ url: 'http://broker.invalid:15672', interval: '30s' }, {}).clusters[0]!;
  const answers = fc.record(Object.fromEntries(Object.entries(ROUTES).map(([p, f]) => [p, answerFor(f)]))) as fc.Arbitrary<Record<string, unknown>>;

  it('collect gives a Snapshot or a clear SourceError; the view, rules, metrics and report never throw on that Snapshot', async () => {
    await fc.assert(
      fc.asyncProperty(answers, fc.constantFrom('management', 'prometheus') as fc.Arbitrary<'management' | 'prometheus'>, fc.boolean(), async (a, queueSource, garbledPlugin) => {
        const cfg = { ...base, queueSource };
        const http = fakeClient(new Map(Object.entries(a)), garbledPlugin ? DETAILED.slice(0, DETAILED.length / 3) : DETAILED);
        let snapshot: Snapshot;
        let second: Snapshot;
        try {
          const first = await pollCluster(cfg, http, initialCollectorState(), { topics, openstack: { topics: [], hosts: {} }, now: () => 1_700_000_000_000 });
          snapshot = first.snapshot;
          // A second poll 30 s later with the same answers: rates and history paths run too.
          second = (await pollCluster(cfg, http, first.state, { topics, openstack: { topics: [], hosts: {} }, now: () => 1_700_000_030_000 })).snapshot;
        } catch (err) {
          expectClearSourceError(err);
          return;
        }
        const view = openstackView(second);
        const evaluation = evaluateAll(
          { now: second.takenAt, snapshot: second, history: [snapshot, second], learned: learn(emptyLearned(), snapshot), oneShot: false },
          thresholdLookup(cfg.rules, catalogue),
        );
        // A rule that throws is caught and reported by evaluateAll; none may.
        expect(evaluation.errors).toEqual([]);
        const status: PollStatus = { latest: second, history: [snapshot, second], lastAttemptAt: second.takenAt, lastSuccessAt: second.takenAt, lastError: null, consecutiveFailures: 0, skipped: 0, errors: 0, clusterLabel: second.cluster };
        const metrics = renderMetrics([{ status, intervalMs: 30_000, expectedNodes: 3, view, alerts: [] }], { version: 'test', notifications: [], now: second.takenAt }).text;
        for (const line of metrics.split('\n')) {
          if (!line || line.startsWith('#')) continue;
          // Every sample line is `name{labels} value` with a number Prometheus can read.
          expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/);
        }
        const report = buildReport([{ target: 'fuzz', url: cfg.url, samples: [snapshot, second], findings: evaluation.findings, view }], new Date(second.takenAt));
        for (const format of REPORT_FORMATS) expect(renderReport(report, format, { color: false }).length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
  });
});

describe('the HTTP client under random bodies from a real socket', { timeout: PROPERTY_TIMEOUT_MS }, () => {
  let server: Server;
  let url: string;
  let next: { status: number; body: Buffer; contentType: string } = { status: 200, body: Buffer.from('[]'), contentType: 'application/json' };
  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(next.status, { 'content-type': next.contentType }).end(next.body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/overview`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('getJson resolves JSON or rejects with a clear SourceError, whatever the status and bytes', async () => {
    const http = createHttpClient({ user: 'monitor', password: 'Prop-Secret-1', timeoutMs: 2_000, maxBodyBytes: 4_096 });
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(200, 200, 200, 204, 301, 400, 401, 403, 404, 500, 502, 503),
          fc.oneof(fc.uint8Array({ maxLength: 6_000 }).map((b) => Buffer.from(b)), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null'))),
          async (status, body) => {
            next = { status, body, contentType: 'application/json' };
            try {
              await http.getJson(url, { requests: 0, bytes: 0 });
              expect(status).toBe(200);
            } catch (err) {
              expectClearSourceError(err);
              expect((err as Error).message).not.toContain('Prop-Secret-1');
            }
          },
        ),
        { numRuns: 200 },
      );
    } finally {
      await http.close();
    }
  });
});
