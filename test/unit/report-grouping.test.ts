// A mass failure reads as one event: thousands of findings of one rule become one line
// per rule and service in text, markdown, HTML and `check`, with the remedy once; the
// JSON keeps every subject.
import { describe, expect, it } from 'vitest';
import type { RulesConfig } from '../../src/config/schema.js';
import { classifyQueue } from '../../src/openstack/classify.js';
import { buildReport } from '../../src/report/model.js';
import { renderCheck } from '../../src/report/check.js';
import { groupFindings, serviceLines } from '../../src/report/format.js';
import { renderHtml } from '../../src/report/html.js';
import { renderJson } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderText } from '../../src/report/text.js';
import { catalogue, ruleById } from '../../src/rules/catalogue.js';
import { emptyLearned } from '../../src/rules/learn.js';
import { thresholdLookup } from '../../src/rules/thresholds.js';
import type { Finding } from '../../src/rules/types.js';
import { openstackView } from '../../src/snapshot/openstack-view.js';
import type { QueueInfo, Snapshot } from '../../src/snapshot/types.js';
import { makeQueue, makeSnapshot } from '../support/snapshot.js';
import { GENERATED_AT, brokerInput } from './report-fixture.js';

const noConfig: RulesConfig = { disabled: [], thresholds: {}, overrides: [] };
const lookup = thresholdLookup(noConfig, catalogue);
const host = (i: number) => `cmp-${String(i).padStart(4, '0')}`;

function q(name: string, consumers: number): QueueInfo {
  return makeQueue({ name, consumers, role: classifyQueue(name, 'classic') });
}

/** 4,100 compute hosts of which 4,000 lost nova-compute, and 1,000 of 1,200 dhcp agents gone. */
function massFailure(): { snapshot: Snapshot; findings: Finding[] } {
  const queues: QueueInfo[] = [];
  for (let i = 0; i < 4100; i++) queues.push(q(`compute.${host(i)}`, i < 4000 ? 0 : 1));
  for (let i = 0; i < 1200; i++) queues.push(q(`dhcp_agent.net-${String(i).padStart(4, '0')}`, i < 1000 ? 0 : 1));
  const snapshot = makeSnapshot({ queues });
  const ctx = { now: snapshot.takenAt, snapshot, history: [snapshot], learned: emptyLearned(), oneShot: false };
  const findings = ruleById('openstack-host-queue-unconsumed')!.evaluate(ctx, lookup);
  return { snapshot, findings };
}

describe('grouping a mass failure', () => {
  const { snapshot, findings } = massFailure();
  const memory = brokerInput().findings.find((f) => f.rule === 'memory-alarm')!;
  const report = buildReport([{ target: 'prod', url: 'http://127.0.0.1:15672', samples: [snapshot], findings: [memory, ...findings], view: openstackView(snapshot) }], GENERATED_AT);

  it('has 5,000 findings to group', () => {
    expect(findings).toHaveLength(5000);
    expect(findings[0]!.evidence).toMatchObject({ serviceHosts: expect.any(Number) });
  });

  it('splits a long group per service with counts of the service\'s hosts', () => {
    const groups = groupFindings(report.clusters[0]!.findings, 5);
    const g = groups.find((x) => x.rule === 'openstack-host-queue-unconsumed' && x.severity === 'critical')!;
    expect(g.count).toBe(4000);
    expect(g.services).toEqual([{ service: 'nova-compute', count: 4000, of: 4100, names: expect.any(Array), noun: 'host' }]);
    expect(g.remedy).toBe(ruleById('openstack-host-queue-unconsumed')!.remedy);
    // A short group stays as findings one by one; findings without a service are never split.
    expect(groupFindings(findings.slice(0, 3), 5)[0]!.services).toBeNull();
    expect(serviceLines([{ ...memory }])).toBeNull();
  });

  it('text: a handful of lines, each service once with host counts, the remedy once', () => {
    const text = renderText(report, { color: false });
    const section = text.slice(text.indexOf('FINDINGS'), text.indexOf('CLUSTER '));
    expect(section.split('\n').length).toBeLessThan(30);
    const joined = section.replace(/\n {6}/g, ' ');
    expect(joined).toContain('nova-compute lost its consumer on 4,000 of 4,100 hosts: cmp-0000, cmp-0001, cmp-0002 and 3,997 more');
    expect(joined).toContain('neutron-dhcp-agent lost its consumer on 1,000 of 1,200 hosts: net-0000, net-0001, net-0002 and 997 more');
    expect(section).toContain('CRIT  openstack-host-queue-unconsumed  4,000 queues of 1 service');
    // The remedy once per group (two groups: critical compute, warning agents), never per host.
    expect(section.match(/Fix \(all above\): Restart the service on that host/g)).toHaveLength(2);
    expect(section).not.toContain('Start nova-compute on');
    expect(section.indexOf('memory-alarm')).toBeLessThan(section.indexOf('openstack-host-queue-unconsumed'));
  });

  it('markdown and HTML: one row per service, the remedy once', () => {
    const md = renderMarkdown(report);
    expect(md.split('\n').length).toBeLessThan(150);
    expect(md).toContain('nova-compute lost its consumer on 4,000 of 4,100 hosts: cmp-0000, cmp-0001, cmp-0002, cmp-0003, cmp-0004 and 3,995 more');
    expect(md.match(/Restart the service on that host/g)).toHaveLength(2);
    const html = renderHtml(report);
    expect(html.length).toBeLessThan(150_000);
    expect((html.match(/data-rule="openstack-host-queue-unconsumed"/g) ?? []).length).toBe(2);
    expect(html).toContain('data-count="4000"');
    expect(html).toContain('neutron-dhcp-agent lost its consumer on 1,000 of 1,200 hosts');
    expect(html.match(/Restart the service on that host/g)).toHaveLength(2);
  });

  it('check: one short line naming services with counts', () => {
    const r = renderCheck(report);
    const status = r.text.split(' | ')[0]!;
    expect(Buffer.byteLength(r.text)).toBeLessThan(1024);
    expect(r.exitCode).toBe(2);
    expect(status).toContain('openstack-host-queue-unconsumed nova-compute lost its consumer on 4,000 of 4,100 hosts: cmp-0000, cmp-0001, cmp-0002 and 3,997 more');
    expect(status).toMatch(/^WARREN CRITICAL - 4,001 critical, 1,000 warning: memory-alarm /);
  });

  it('JSON keeps every subject', () => {
    const json = JSON.parse(renderJson(report)) as { clusters: Array<{ findings: Finding[] }> };
    const hostQueues = json.clusters[0]!.findings.filter((f) => f.rule === 'openstack-host-queue-unconsumed');
    expect(hostQueues).toHaveLength(5000);
    expect(new Set(hostQueues.map((f) => f.subject.name)).size).toBe(5000);
  });
});
