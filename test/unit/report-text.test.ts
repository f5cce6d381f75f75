import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report/model.js';
import { renderText } from '../../src/report/text.js';
import { renderReport } from '../../src/report/index.js';
import { makeSnapshot } from '../support/snapshot.js';
import { GENERATED_AT, brokerInput, largeBrokerInput } from './report-fixture.js';

const ANSI = /\u001b\[[0-9;]*m/g;
const report = buildReport([brokerInput()], GENERATED_AT);

describe('renderText', () => {
  const text = renderText(report, { color: false });
  const lines = text.split('\n');

  it('starts with the status line', () => {
    expect(lines[0]).toBe('WARREN CRITICAL - 2 critical, 2 warning, 1 info - rabbit@ctl-1.prod - 2026-11-22 03:00:10 UTC');
  });

  it('puts the findings before every table, worst first', () => {
    const at = (s: string) => {
      const i = text.indexOf(s);
      expect(i, s).toBeGreaterThanOrEqual(0);
      return i;
    };
    const order = [
      at('FINDINGS'),
      at('CRIT  memory-alarm  node rabbit@ctl-1'),
      at('CRIT  openstack-host-queue-unconsumed  queue compute.cmp-07'),
      at('WARN  openstack-rpc-backlog  queue conductor'),
      at('WARN  queue-no-consumer  queue notifications.info'),
      at('INFO  node-restarted  node rabbit@ctl-3'),
      at('NODES'),
      at('OPENSTACK SERVICES'),
      at('PER-HOST QUEUES WITHOUT CONSUMERS'),
      at('BUSIEST QUEUES'),
      at('EXCHANGES'),
      at('CONNECTIONS'),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('gives each finding its summary and remedy right under it', () => {
    const i = lines.findIndex((l) => l.startsWith('CRIT  memory-alarm'));
    expect(lines[i + 1]).toMatch(/^ {6}Memory alarm on rabbit@ctl-1/);
    expect(lines.slice(i + 1, i + 6).join(' ')).toContain('Fix: Drain the largest queues');
  });

  it('shows the busiest queues with consumers, rates and growth', () => {
    const row = lines.find((l) => l.trim().startsWith('notifications.info'))!;
    expect(row.trim().split(/\s{2,}/)).toEqual(['notifications.info', '/', '6,521', '6,521', '0', '0', '120/s', '0/s', '+120/s']);
  });

  it('shows which service is down on which host, and the blocked connections', () => {
    expect(lines.find((l) => l.trim().startsWith('nova ') && l.includes('cmp-07'))).toBeDefined();
    expect(text).toMatch(/nova\s+ctl-1\s+openstack\s+3\s+3\s+3 blocked/);
    expect(text).toContain('CONNECTIONS (10: 7 running, 3 blocked)');
  });

  it('marks node alarms and headroom in the node table', () => {
    const n1 = lines.find((l) => l.includes('rabbit@ctl-1') && l.includes('954M'))!;
    expect(n1).toContain('110% 1.0G/954M');
    expect(n1).toContain('memory');
  });

  it('never prints the password from the URL', () => {
    expect(text).not.toContain('s3cret');
    expect(text).toContain('http://10.0.0.10:15672');
  });

  it('has no escape codes without colour, and only escape codes as the difference with colour', () => {
    expect(text).not.toMatch(ANSI);
    const coloured = renderText(report, { color: true });
    expect(coloured).toContain('\u001b[1;31mWARREN CRITICAL\u001b[0m');
    expect(coloured).toContain('\u001b[1;31mCRIT');
    expect(coloured.replace(ANSI, '')).toBe(text);
  });

  it('fits the default width of 100', () => {
    expect(lines.filter((l) => l.length > 100)).toEqual([]);
  });

  it('wraps findings and truncates long names to a narrower width', () => {
    const narrow = renderText(report, { color: false, width: 80 }).split('\n');
    const findings = narrow.slice(narrow.indexOf('FINDINGS'), narrow.findIndex((l) => l.startsWith('CLUSTER ')));
    expect(findings.filter((l) => l.length > 80)).toEqual([]);
    const queues = narrow.slice(narrow.findIndex((l) => l.startsWith('BUSIEST QUEUES')));
    // The name column gives way first (numbers never are cut).
    expect(queues.some((l) => /^ {2}notifications\.i…/.test(l))).toBe(true);
    expect(queues.some((l) => /reply_0123\S*…/.test(l))).toBe(true);
  });

  it('says so plainly when all is well', () => {
    const ok = renderText(buildReport([{ target: 't', url: 'http://h:15672', samples: [makeSnapshot()], findings: [], view: null }], GENERATED_AT), { color: false });
    expect(ok.split('\n')[0]).toMatch(/^WARREN OK - no findings - /);
    expect(ok).toContain('Nothing wrong found.');
  });

  it('says the broker cannot be reached, and why', () => {
    const r = buildReport([{ target: 'edge', url: 'http://10.9.9.9:15672', samples: [], findings: [], view: null, error: 'connect ECONNREFUSED' }], GENERATED_AT);
    const t = renderText(r, { color: false });
    expect(t.split('\n')[0]).toMatch(/^WARREN UNKNOWN - 1 critical - edge - /);
    expect(t).toContain('CRIT  broker-unreachable  cluster edge');
    expect(t).toContain('Not reachable: connect ECONNREFUSED.');
    expect(t).not.toContain('NODES');
  });

  it('lists the findings of every cluster before the first cluster table', () => {
    const other = { ...brokerInput(), target: 'b' };
    other.samples = other.samples.map((s) => ({ ...s, broker: { ...s.broker, clusterName: 'rabbit@b' } }));
    const t = renderText(buildReport([brokerInput(), other], GENERATED_AT), { color: false });
    const lastFinding = t.lastIndexOf('INFO  node-restarted');
    expect(t.indexOf('CLUSTER ')).toBeGreaterThan(lastFinding);
    expect(t).toMatch(/^rabbit@b CRITICAL$/m);
  });

  it('is what renderReport(text) gives, colourless by default', () => {
    expect(renderReport(report, 'text')).toBe(text);
  });
});

describe('renderText on a 10k-queue broker', () => {
  const big = buildReport([largeBrokerInput()], GENERATED_AT);
  const text = renderText(big, { color: false });
  const lines = text.split('\n');

  it('stays within a screenful or two', () => {
    expect(lines.length).toBeLessThan(100);
  });

  it('shows the worst items and counts the rest', () => {
    expect(lines[0]).toMatch(/^WARREN CRITICAL - 1 critical, 2,949 warning - /);
    // The one critical finding is not buried under thousands of warnings.
    expect(text.indexOf('memory-alarm')).toBeLessThan(text.indexOf('queue-no-consumer'));
    expect(text).toContain('WARN  queue-no-consumer  queue busy-0000');
    expect(text).toContain('… and 2,944 more queue-no-consumer findings');
    expect(lines.filter((l) => l.startsWith('WARN  queue-no-consumer'))).toHaveLength(5);
    expect(text).toMatch(/^ {2}busy-0000 +100,004 /m);
    expect(text).toMatch(/^ {2}busy-0019 /m);
    expect(text).not.toMatch(/^ {2}busy-0020 /m);
    expect(text).toContain('… and 9,980 more queues (4,102 empty; 5,000 of all queues have no consumer)');
    expect(text).toContain('CONNECTIONS (3,000: 3,000 running)');
    expect(text).toContain('… and 280 more groups (2,800 connections)');
  });
});
