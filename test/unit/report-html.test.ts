import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report/model.js';
import { STATUS_COLOURS, esc, renderHtml, richText } from '../../src/report/html.js';
import { makeQueue, makeSnapshot } from '../support/snapshot.js';
import { GENERATED_AT, brokerInput, largeBrokerInput } from './report-fixture.js';

const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link', 'col', 'wbr']);

/** Element nesting is balanced (a crude but honest check that escaping did not leak tags). */
function expectBalanced(html: string): void {
  const stack: string[] = [];
  for (const m of html.replace(/<!DOCTYPE[^>]*>/i, '').matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    const tag = name!.toLowerCase();
    if (selfClosing || VOID.has(tag)) continue;
    if (closing) expect(stack.pop(), `closing </${tag}>`).toBe(tag);
    else stack.push(tag);
  }
  expect(stack).toEqual([]);
}

/** No reference that would make a browser fetch anything (escaped user data is text, not tags, so only real tags count). */
function expectSelfContained(html: string): void {
  const tags = [...html.matchAll(/<([a-zA-Z][\w-]*)\b[^>]*>/g)];
  const names = new Set(tags.map((m) => m[1]!.toLowerCase()));
  for (const banned of ['script', 'link', 'img', 'iframe', 'object', 'embed', 'video', 'audio', 'source', 'image', 'use', 'base', 'form']) {
    expect(names.has(banned), `<${banned}>`).toBe(false);
  }
  for (const [tag] of tags) {
    expect(tag).not.toMatch(/\s(src|href|xlink:href|action|srcset|background|poster|data)\s*=/i);
    expect(tag).not.toMatch(/=\s*["']?\s*(https?:)?\/\//i);
    expect(tag).not.toMatch(/url\s*\(/i);
  }
  const css = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]).join('\n');
  expect(css).not.toMatch(/url\s*\(|@import|@font-face|https?:|\/\//i);
}

describe('renderHtml', () => {
  const html = renderHtml(buildReport([brokerInput()], GENERATED_AT));

  it('is one self-contained document', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toMatch(/<style>[\s\S]+<\/style>/);
    expectSelfContained(html);
    expectBalanced(html);
  });

  it('opens with a status banner coloured by status', () => {
    const banner = html.indexOf('<header id="status" class="banner status-critical"');
    expect(banner).toBeGreaterThan(html.indexOf('<body>'));
    expect(html).toContain(`.status-critical{background:${STATUS_COLOURS.critical.bg}`);
    expect(html.slice(banner, banner + 300)).toContain('<div class="verdict">CRITICAL</div>');
    const ok = renderHtml(buildReport([{ target: 't', url: 'http://h:15672', samples: [makeSnapshot()], findings: [], view: null }], GENERATED_AT));
    expect(ok).toContain('class="banner status-ok"');
    expect(ok).toContain('Nothing wrong found.');
  });

  it('has the findings table first, worst first, each with subject, summary and remedy', () => {
    const findings = html.indexOf('<section id="findings">');
    expect(findings).toBeGreaterThan(0);
    expect(findings).toBeLessThan(html.indexOf('<section class="cluster"'));
    const rules = [...html.matchAll(/<tr class="finding sev-(\w+)" data-rule="([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(rules).toEqual([
      'critical memory-alarm',
      'critical openstack-host-queue-unconsumed',
      'warning openstack-rpc-backlog',
      'warning queue-no-consumer',
      'info node-restarted',
    ]);
    const first = html.slice(html.indexOf('data-rule="memory-alarm"'), html.indexOf('data-rule="openstack-host-queue-unconsumed"'));
    expect(first).toContain('<span class="subject">rabbit@ctl-1</span>');
    expect(first).toContain('Memory alarm on rabbit@ctl-1');
    expect(first).toContain('<td class="remedy">Drain the largest queues');
  });

  it('draws sparklines of depth and rates across the samples, with the values as titles', () => {
    expect(html).toContain('<title>depth: 5,321 → 5,921 → 6,521</title>');
    expect(html).toContain('<title>publish: 120/s → 120/s; deliver: 0/s → 0/s</title>');
    expect((html.match(/<svg class="spark"/g) ?? []).length).toBe(12);
  });

  it('draws headroom bars coloured by level', () => {
    const bars = [...html.matchAll(/<svg class="headroom" data-level="(\w+)"[^>]*aria-label="([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(bars).toEqual([
      'critical memory 110% of limit',
      'ok disk 2.0% of limit',
      'ok fd 0.2% of limit',
      'warning memory 85% of limit',
      'ok disk 2.0% of limit',
      'ok fd 0.2% of limit',
      'ok memory 30% of limit',
      'warning disk 67% of limit',
      'ok fd 0.2% of limit',
    ]);
  });

  it('escapes user data everywhere: a queue named <script> stays text', () => {
    const input = brokerInput();
    const evil = `<script>alert("x")</script><img src=x onerror=alert(1)>'"&`;
    input.samples = input.samples.map((s) => ({ ...s, queues: [...s.queues, makeQueue({ name: evil, consumers: 0, messages: 999_999, ready: 999_999 })] }));
    input.findings = [
      ...input.findings,
      { rule: 'queue-backlog', severity: 'critical', subject: { kind: 'queue', name: evil, vhost: evil }, summary: `${evil} is deep`, remedy: evil, evidence: {} },
    ];
    const out = renderHtml(buildReport([input], GENERATED_AT));
    expectSelfContained(out);
    expectBalanced(out);
    expect(out).not.toContain('<script>alert');
    expect(out).not.toContain('<img');
    expect(out).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&#39;&quot;&amp;');
  });

  it('escapes the five characters that matter in text and attributes', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('shows the commands in remedies as code, still escaped', () => {
    expect(richText('Run `rabbitmqctl list_queues <vhost>` now')).toBe('Run <code>rabbitmqctl list_queues &lt;vhost&gt;</code> now');
    expect(richText('a ` lone backtick <b>')).toBe('a ` lone backtick &lt;b&gt;');
  });

  it('summarises a 10k-queue broker and stays small', () => {
    const big = renderHtml(buildReport([largeBrokerInput()], GENERATED_AT));
    expectSelfContained(big);
    expectBalanced(big);
    expect(big.length).toBeLessThan(150_000);
    expect((big.match(/data-rule="queue-no-consumer"/g) ?? []).length).toBe(10);
    expect(big).toContain('… and 2,939 more queue-no-consumer findings');
    // The shared remedy is said once, spanning the group's rows.
    expect(big.match(/Start the consumer, or stop the producer\./g)).toHaveLength(1);
    expect(big).toContain('<td class="remedy" rowspan="11">Start the consumer');
    expect(big).toContain('… and 9,980 more queues (4,102 empty; 5,000 of all queues have no consumer)');
    expect(big).toContain('>busy-0000<');
    expect(big).not.toContain('>busy-0020<');
  });

  it('shows an unreachable broker as UNKNOWN with the reason', () => {
    const out = renderHtml(
      buildReport([{ target: 'edge', url: 'http://u:pw@10.9.9.9:15672', samples: [], findings: [], view: null, error: 'connect ECONNREFUSED' }], GENERATED_AT),
    );
    expect(out).toContain('class="banner status-unknown"');
    expect(out).toContain('data-rule="broker-unreachable"');
    expect(out).toContain('Not reachable: connect ECONNREFUSED.');
    expect(out).not.toContain('pw@');
    expectSelfContained(out);
  });
});
