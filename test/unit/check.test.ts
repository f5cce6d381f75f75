import { describe, expect, it } from 'vitest';
import { buildReport, type ClusterInput } from '../../src/report/model.js';
import { assertKnownRuleIds, renderCheck, unknownRuleIds } from '../../src/report/check.js';
import type { Finding } from '../../src/rules/types.js';
import { makeQueue, makeSnapshot } from '../support/snapshot.js';
import { GENERATED_AT, brokerInput, largeBrokerInput } from './report-fixture.js';

// Nagios plugin guidelines: 'label'=value[UOM];[warn];[crit];[min];[max]
const PERFDATA = /^('[^'=]+'|[^\s'=|]+)=(-?\d+(\.\d+)?|U)(%|B|KB|MB|GB|TB|s|ms|us|c)?(;[^;\s]*){0,4}$/;

function split(text: string): { status: string; perf: string[] } {
  expect(text).not.toContain('\n');
  const parts = text.split(' | ');
  expect(parts).toHaveLength(2);
  const perf = parts[1]!.split(' ');
  for (const p of perf) expect(p).toMatch(PERFDATA);
  return { status: parts[0]!, perf };
}

const healthy: ClusterInput = { target: 'prod', url: 'http://127.0.0.1:15672', samples: [makeSnapshot()], findings: [], view: null };
const finding = (rule: string, severity: Finding['severity'], name: string): Finding => ({
  rule,
  severity,
  subject: { kind: 'queue', name, vhost: '/' },
  summary: 's',
  remedy: 'r',
  evidence: {},
});

describe('renderCheck', () => {
  it('exits 0 with one OK line and perfdata when healthy', () => {
    const r = renderCheck(buildReport([healthy], GENERATED_AT));
    expect(r.exitCode).toBe(0);
    const { status, perf } = split(r.text);
    expect(status).toBe('WARREN OK - rabbit@test: no problems (all rules)');
    expect(perf).toContain('queues=0;;;0');
    expect(perf).toContain('nodes_running=1;;;0;1');
    expect(perf).toContain('up=1;;;0;1');
  });

  it('names the critical and warning findings, grouped by rule, worst first, and exits 2', () => {
    const r = renderCheck(buildReport([brokerInput()], GENERATED_AT));
    expect(r.exitCode).toBe(2);
    const { status, perf } = split(r.text);
    expect(status).toBe(
      'WARREN CRITICAL - 2 critical, 2 warning: memory-alarm rabbit@ctl-1; openstack-host-queue-unconsumed compute.cmp-07; openstack-rpc-backlog conductor; queue-no-consumer notifications.info',
    );
    expect(perf).toEqual(
      expect.arrayContaining([
        'queues=6;;;0',
        'messages=6826;;;0',
        'connections=10;;;0',
        'publish_rate=820;;;0',
        'mem_used_pct=110%;;100;0',
        'disk_free=1500000000B;2000000000:;1000000000:;0',
        'findings_critical=2;;;0',
        'findings_warning=2;;;0',
      ]),
    );
  });

  it('exits 1 on warnings only; info alone is OK', () => {
    expect(renderCheck(buildReport([{ ...healthy, findings: [finding('queue-backlog', 'warning', 'q')] }], GENERATED_AT)).exitCode).toBe(1);
    const info = renderCheck(buildReport([{ ...healthy, findings: [finding('quorum-even-node-count', 'info', 'q')] }], GENERATED_AT));
    expect(info.exitCode).toBe(0);
    expect(info.text).toMatch(/^WARREN OK - /);
  });

  it('judges only the chosen rules when restricted', () => {
    const report = buildReport([brokerInput()], GENERATED_AT);
    const r = renderCheck(report, { rules: ['queue-no-consumer'] });
    expect(r.exitCode).toBe(1);
    expect(split(r.text).status).toBe('WARREN WARNING - 1 warning: queue-no-consumer notifications.info');
    const quiet = renderCheck(report, { rules: ['disk-alarm'] });
    expect(quiet.exitCode).toBe(0);
    expect(split(quiet.text).status).toBe('WARREN OK - rabbit@ctl-1.prod: no problems (rules disk-alarm)');
  });

  it('exits 3 with one clear line when the broker cannot be reached, whatever rules are chosen', () => {
    const report = buildReport(
      [{ target: 'edge', url: 'http://monitor:pa55@10.9.9.9:15672', samples: [], findings: [], view: null, error: 'connect ECONNREFUSED 10.9.9.9:15672' }],
      GENERATED_AT,
    );
    for (const rules of [undefined, ['memory-alarm']]) {
      const r = renderCheck(report, { rules });
      expect(r.exitCode).toBe(3);
      const { status, perf } = split(r.text);
      expect(status).toBe('WARREN UNKNOWN - cannot reach edge (http://10.9.9.9:15672): connect ECONNREFUSED 10.9.9.9:15672');
      expect(perf).toContain('up=0;;;0;1');
      expect(r.text).not.toContain('pa55');
    }
  });

  it('keeps user data from breaking the line: no newline, no extra | separator', () => {
    const name = 'evil|queue\nname';
    const input: ClusterInput = {
      ...healthy,
      samples: [makeSnapshot({ queues: [makeQueue({ name })] })],
      findings: [finding('queue-backlog', 'critical', name)],
    };
    const r = renderCheck(buildReport([input], GENERATED_AT));
    expect(split(r.text).status).toBe('WARREN CRITICAL - 1 critical: queue-backlog evil/queue name');
  });

  it('stays short on a 10k-queue broker: worst subjects per rule, then a count', () => {
    const r = renderCheck(buildReport([largeBrokerInput()], GENERATED_AT));
    const { status } = split(r.text);
    expect(status).toBe('WARREN CRITICAL - 1 critical, 2,949 warning: memory-alarm rabbit@node-1; queue-no-consumer busy-0000, busy-0002, busy-0004 and 2,946 more');
    expect(r.text.length).toBeLessThan(1024);
  });

  it('prefixes perfdata labels with the cluster when there are several', () => {
    const second = { ...healthy, samples: [makeSnapshot({ cluster: 'rabbit@b', broker: { ...makeSnapshot().broker, clusterName: 'rabbit@b' } })] };
    const { perf } = split(renderCheck(buildReport([healthy, second], GENERATED_AT)).text);
    expect(perf).toContain('rabbit@test_queues=0;;;0');
    expect(perf).toContain('rabbit@b_queues=0;;;0');
  });
});

describe('rule id validation', () => {
  const catalogue = [{ id: 'memory-alarm' }, { id: 'queue-no-consumer' }];

  it('reports the ids not in the catalogue', () => {
    expect(unknownRuleIds(['memory-alarm', 'memory-alrm', 'nope'], catalogue)).toEqual(['memory-alrm', 'nope']);
    expect(unknownRuleIds(['broker-unreachable'], catalogue)).toEqual([]);
  });

  it('throws a message the CLI can print', () => {
    expect(() => assertKnownRuleIds(['memory-alarm'], catalogue)).not.toThrow();
    expect(() => assertKnownRuleIds(['memory-alrm'], catalogue)).toThrow('unknown rule id: memory-alrm (run `warren rules` for the catalogue)');
  });
});
