// One formatter, one finding order, one redaction, headroom limits from the catalogue:
// what a finding says and what the report beside it says must agree.
import { describe, expect, it } from 'vitest';
import { fmtBytes, fmtDuration, fmtInt, fmtPercent, fmtRate, fmtRateValue, listSome } from '../../src/format.js';
import { LOG_REDACTION, describeUrl, hasUserinfo, redactSecrets, redactUrls } from '../../src/redact.js';
import { buildReport, HEADROOM_WARN_AT } from '../../src/report/model.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { catalogue, ruleById, unreachableFinding } from '../../src/rules/catalogue.js';
import { evaluateAll } from '../../src/rules/evaluate.js';
import { emptyLearned } from '../../src/rules/learn.js';
import { compareFindings, SEVERITY_RANK } from '../../src/rules/order.js';
import { thresholdLookup } from '../../src/rules/thresholds.js';
import type { Finding, RuleContext } from '../../src/rules/types.js';
import type { Snapshot } from '../../src/snapshot/types.js';
import { makeNode, makeQueue, makeSnapshot } from '../support/snapshot.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const defaults = thresholdLookup({ disabled: [], thresholds: {}, overrides: [] }, catalogue);

function ctxOf(snapshot: Snapshot): RuleContext {
  return { now: snapshot.takenAt, snapshot, history: [snapshot], learned: emptyLearned(), oneShot: false };
}

function findingsOf(snapshot: Snapshot): Finding[] {
  return evaluateAll(ctxOf(snapshot), defaults).findings;
}

describe('src/format.ts', () => {
  it('writes sizes in binary units, the same in every place', () => {
    expect(fmtBytes(1.5 * GiB)).toBe('1.5 GiB');
    expect(fmtBytes(256 * MiB)).toBe('256 MiB');
    expect(fmtBytes(200_000)).toBe('195 KiB');
    expect(fmtBytes(50_000)).toBe('48.8 KiB');
    expect(fmtBytes(100)).toBe('100 B');
  });

  it('writes rates, percentages, counts and durations in the report forms', () => {
    expect(fmtRate(12.34)).toBe('12.3/s');
    expect(fmtRate(null)).toBe('-');
    expect(fmtRateValue(1234.4)).toBe('1,234');
    expect(fmtRateValue(0.05)).toBe('0.05');
    expect(fmtPercent(0.853)).toBe('85%');
    expect(fmtPercent(0.042)).toBe('4.2%');
    expect(fmtInt(-1234.5)).toBe('-1,235');
    expect(fmtDuration(600)).toBe('10m');
    expect(fmtDuration(86400)).toBe('1d');
    expect(fmtDuration(45.4)).toBe('45s');
    expect(fmtDuration(1000)).toBe('17m');
    expect(fmtDuration(19_000)).toBe('5.3h');
    expect(fmtDuration(100_000)).toBe('28h');
    expect(fmtDuration(3 * 86400 + 5)).toBe('3d');
    expect(listSome(['a', 'b', 'c', 'd'], 2)).toBe('a, b and 2 more');
    expect(listSome(Array.from({ length: 1003 }, (_, i) => `q${i}`))).toBe('q0, q1, q2 and 1,000 more');
  });

  it("a memory finding's summary names the sizes the report's node table shows", () => {
    const node = makeNode({ name: 'rabbit@a', memUsed: 1.4 * GiB, memLimit: 1.6 * GiB });
    const snapshot = makeSnapshot({ nodes: [node] });
    const findings = findingsOf(snapshot);
    const high = findings.find((f) => f.rule === 'memory-high');
    expect(high?.summary).toBe('rabbit@a uses 1.4 GiB, 87% of its 1.6 GiB memory watermark (threshold 80%)');
    const report = buildReport([{ target: 't', url: 'http://127.0.0.1:15672', samples: [snapshot], findings, view: null }], new Date(snapshot.takenAt));
    expect(renderMarkdown(report)).toContain('1.4 GiB of 1.6 GiB (87%)');
    expect(renderHtml(report)).toContain('1.4 GiB of 1.6 GiB (87%)');
  });
});

describe('src/rules/order.ts', () => {
  const f = (rule: string, severity: Finding['severity'], kind: Finding['subject']['kind'], name: string, messages?: number): Finding => ({
    rule,
    severity,
    subject: { kind, name, vhost: '/' },
    summary: '',
    remedy: '',
    evidence: messages === undefined ? {} : { messages },
  });

  it('orders worst first: severity, broker-wide before per-queue, rule, biggest, name', () => {
    const sorted = [
      f('queue-no-consumer', 'warning', 'queue', 'small', 5),
      f('queue-backlog', 'warning', 'queue', 'b', 2000),
      f('node-restarted', 'info', 'node', 'rabbit@a'),
      f('queue-no-consumer', 'warning', 'queue', 'big', 500),
      f('guest-user-enabled', 'warning', 'cluster', 'c'),
      f('memory-alarm', 'critical', 'node', 'rabbit@a'),
    ].sort(compareFindings);
    expect(sorted.map((x) => `${x.rule}:${x.subject.name}`)).toEqual([
      'memory-alarm:rabbit@a',
      'guest-user-enabled:c',
      'queue-backlog:b',
      'queue-no-consumer:big',
      'queue-no-consumer:small',
      'node-restarted:rabbit@a',
    ]);
    expect(SEVERITY_RANK.critical).toBeLessThan(SEVERITY_RANK.warning);
    expect(SEVERITY_RANK.warning).toBeLessThan(SEVERITY_RANK.info);
  });

  it('the engine hands over findings in the order the report shows them', () => {
    const snapshot = makeSnapshot({
      queues: [makeQueue({ name: 'aaa-small', messages: 5, ready: 5, consumers: 0 }), makeQueue({ name: 'zzz-big', messages: 500, ready: 500, consumers: 0 })],
    });
    const findings = findingsOf(snapshot);
    const names = findings.filter((x) => x.rule === 'queue-no-consumer').map((x) => x.subject.name);
    expect(names).toEqual(['zzz-big', 'aaa-small']);
    const report = buildReport([{ target: 't', url: 'http://127.0.0.1:15672', samples: [snapshot], findings, view: null }], new Date(snapshot.takenAt));
    expect(report.clusters[0]!.findings).toEqual(findings);
  });
});

describe('src/redact.ts', () => {
  it('removes user:password@ from every URL in a text, and only that', () => {
    const text = 'POST https://am:s3cret@am.example:9093/api failed; retrying http://u:p@hook.example/x then http://plain:8080/y';
    expect(redactUrls(text)).toBe('POST https://am.example:9093/api failed; retrying http://hook.example/x then http://plain:8080/y');
    expect(redactUrls('http://u:p@h/x', '***@')).toBe('http://***@h/x');
    expect(hasUserinfo('http://u:p@h:15672')).toBe(true);
    expect(hasUserinfo('http://h:15672/x@y')).toBe(false);
  });

  it('removes given secrets and a URL query from messages', () => {
    expect(redactSecrets('login as monitor with hunter2 at http://monitor:hunter2@rabbit:15672', ['hunter2', ''])).toBe(
      'login as monitor with *** at http://rabbit:15672',
    );
    expect(describeUrl('https://u:p@rabbit:15671/api/overview?token=abc')).toBe('https://rabbit:15671/api/overview');
    expect(describeUrl('not a url')).toBe('(invalid URL)');
    expect(LOG_REDACTION.paths).toContain('password');
  });

  it('an unreachable finding never carries the password', () => {
    const f = unreachableFinding('c1', 'http://monitor:hunter2@rabbit:15672', 'http://monitor:hunter2@rabbit:15672 refused hunter2', ['hunter2']);
    expect(JSON.stringify(f)).not.toContain('hunter2');
    expect(f.evidence).toEqual({ url: 'http://rabbit:15672', error: 'http://rabbit:15672 refused ***' });
  });
});

describe('report headroom limits come from the catalogue', () => {
  it('uses the defaults of memory-high, disk-low and file-descriptors-high', () => {
    expect(HEADROOM_WARN_AT.memory).toBe(ruleById('memory-high')!.defaults.ratio);
    expect(HEADROOM_WARN_AT.disk).toBe(1 / ruleById('disk-low')!.defaults.factor!);
    expect(HEADROOM_WARN_AT.fd).toBe(ruleById('file-descriptors-high')!.defaults.ratio);
  });

  it('a node warns in the report exactly when the rule fires, and a healthy node raises nothing', () => {
    const cases: Array<[Partial<Parameters<typeof makeNode>[0]>, 'memory' | 'disk' | 'fd', string]> = [
      [{ memUsed: 0.85 * GiB, memLimit: GiB }, 'memory', 'memory-high'],
      [{ diskFree: 1.5 * GiB, diskFreeLimit: GiB }, 'disk', 'disk-low'],
      [{ fdUsed: 900, fdTotal: 1000 }, 'fd', 'file-descriptors-high'],
    ];
    for (const [p, resource, rule] of cases) {
      const snapshot = makeSnapshot({ nodes: [makeNode({ name: 'rabbit@a', ...p })] });
      const findings = findingsOf(snapshot);
      expect(findings.map((x) => x.rule)).toContain(rule);
      const report = buildReport([{ target: 't', url: 'http://127.0.0.1:15672', samples: [snapshot], findings, view: null }], new Date(snapshot.takenAt));
      const level = report.clusters[0]!.headroom[0]!.resources.find((r) => r.resource === resource)!.level;
      expect(level, resource).toBe('warning');
    }
    const healthy = makeSnapshot({ nodes: [makeNode({ name: 'rabbit@a' })] });
    const findings = findingsOf(healthy);
    expect(findings).toEqual([]);
    const report = buildReport([{ target: 't', url: 'http://127.0.0.1:15672', samples: [healthy], findings, view: null }], new Date(healthy.takenAt));
    expect(report.clusters[0]!.headroom[0]!.resources.every((r) => r.level === 'ok')).toBe(true);
  });
});
