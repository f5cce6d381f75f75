// A Snapshot is never written after it is built: every rule, every report renderer and
// the metrics render run over deep-frozen Snapshots (a write to a frozen object throws
// in an ES module) and give the same output as over the unfrozen ones.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { renderMetrics } from '../../src/metrics/index.js';
import { buildTopicTable } from '../../src/openstack/index.js';
import { createPollState, pollCluster } from '../../src/poll/index.js';
import { buildReport, renderCheck, renderReport, REPORT_FORMATS, type ClusterInput } from '../../src/report/index.js';
import { catalogue, emptyLearned, evaluateAll, learn, thresholdLookup, type Finding } from '../../src/rules/index.js';
import { openstackView, type Snapshot } from '../../src/snapshot/index.js';
import { initialCollectorState, SourceError, type HttpClient } from '../../src/sources/index.js';
import { FIXTURES, ROUTES } from '../support/fake-api.js';
import { brokerSamples, GENERATED_AT } from './report-fixture.js';

function deepFreeze<T>(value: T, seen = new Set<unknown>()): T {
  if (value === null || typeof value !== 'object' || seen.has(value)) return value;
  seen.add(value);
  for (const v of Object.values(value)) deepFreeze(v, seen);
  return Object.freeze(value);
}

/** The management API fixtures of a real 3.10.8 broker, answered from memory. */
const fixtureClient: HttpClient = {
  lifetime: { requests: 0, bytes: 0 },
  close: async () => undefined,
  getText: async () => {
    throw new SourceError('http', 'no plugin here', 404);
  },
  getJson: async (url) => {
    const file = ROUTES[new URL(url).pathname];
    if (!file) throw new SourceError('http', `${url} answered HTTP 404`, 404);
    return JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as unknown;
  },
};

async function fixtureSamples(): Promise<Snapshot[]> {
  const cfg = { ...loadConfig({ url: 'http://broker.invalid:15672' }, {}).clusters[0]!, queueSource: 'management' as const };
  const ctx = (t: number) => ({ topics: buildTopicTable([]), openstack: { topics: [], hosts: {} }, now: () => t });
  const first = await pollCluster(cfg, fixtureClient, initialCollectorState(), ctx(1_700_000_000_000));
  const second = await pollCluster(cfg, fixtureClient, first.state, ctx(1_700_000_030_000));
  return [first.snapshot, second.snapshot];
}

/** Everything downstream of a Snapshot, as text, so frozen and unfrozen runs can be compared. */
function everything(samples: readonly Snapshot[]): string {
  const snapshot = samples[samples.length - 1]!;
  const lookup = thresholdLookup(loadConfig({ url: 'http://broker.invalid:15672' }, {}).clusters[0]!.rules, catalogue);
  const out: string[] = [];
  const findings: Finding[] = [];
  for (const oneShot of [false, true]) {
    const rates = createPollState().rates;
    const learned = learn(emptyLearned(), samples[0]!);
    const evaluation = evaluateAll({ now: snapshot.takenAt, snapshot, history: samples, learned, oneShot, rates }, lookup);
    expect(evaluation.errors).toEqual([]);
    findings.push(...evaluation.findings);
    out.push(JSON.stringify(evaluation.findings));
  }
  const view = openstackView(snapshot);
  const input: ClusterInput = { target: snapshot.target, url: snapshot.url, samples: [...samples], findings, view };
  const report = buildReport([input], GENERATED_AT);
  for (const format of REPORT_FORMATS) out.push(renderReport(report, format, { color: false, width: 100 }));
  out.push(renderCheck(report).text);
  const status = { latest: snapshot, history: samples, lastError: null, skipped: 0, errors: 0, clusterLabel: snapshot.cluster };
  const metrics = renderMetrics(
    [{ status, rates: createPollState().rates, intervalMs: 30_000, expectedNodes: snapshot.nodes.length, view, alerts: [] }],
    { version: 'test', notifications: [], now: snapshot.takenAt },
  );
  // The render's own duration is the one line that differs between two runs.
  out.push(metrics.text.replace(/^warren_render_duration_seconds .*$/m, ''));
  return out.join('\n');
}

describe('Snapshots are immutable', () => {
  it('every rule, report format and the metrics render run over deep-frozen Snapshots of a broker in trouble', () => {
    const expected = everything(brokerSamples());
    expect(everything(deepFreeze(brokerSamples()))).toBe(expected);
  });

  it('and over deep-frozen Snapshots built from a real broker\'s answers', async () => {
    const expected = everything(await fixtureSamples());
    const frozen = deepFreeze(await fixtureSamples());
    expect(Object.isFrozen(frozen[1]!.queues[0]!.role)).toBe(true);
    expect(everything(frozen)).toBe(expected);
  });
});
