import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report/model.js';
import { mdCode, mdRich, mdText, renderMarkdown } from '../../src/report/markdown.js';
import { makeQueue } from '../support/snapshot.js';
import { GENERATED_AT, brokerInput, largeBrokerInput } from './report-fixture.js';

/** Cells of a GFM table row: split on pipes that are not backslash-escaped. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/);
}

/** Every table in the document, as arrays of lines. */
function tables(md: string): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) cur.push(line);
    else if (cur.length) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

function expectValidTables(md: string): void {
  const ts = tables(md);
  expect(ts.length).toBeGreaterThan(0);
  for (const t of ts) {
    const width = cells(t[0]!).length;
    expect(t[1]).toMatch(/^\|( -{3,}:? \|)+$/);
    for (const row of t) expect(cells(row), row).toHaveLength(width);
  }
}

/** The live markup: text outside code spans, minus backslash-escaped characters. */
function outsideCode(md: string): string {
  return md.replace(/\\./g, '').replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, '');
}

describe('renderMarkdown', () => {
  const md = renderMarkdown(buildReport([brokerInput()], GENERATED_AT));

  it('leads with the verdict, then findings worst first', () => {
    expect(md.split('\n')[0]).toBe('# warren report: CRITICAL');
    const findings = tables(md)[0]!;
    expect(cells(findings[0]!).map((c) => c.trim())).toEqual(['Severity', 'Rule', 'Subject', 'What is wrong', 'What to do']);
    expect(findings.slice(2).map((r) => cells(r)[1]!.trim())).toEqual([
      '`memory-alarm`',
      '`openstack-host-queue-unconsumed`',
      '`openstack-rpc-backlog`',
      '`queue-no-consumer`',
      '`node-restarted`',
    ]);
    expect(md.indexOf('## Findings')).toBeLessThan(md.indexOf('### Nodes'));
  });

  it('produces well-formed GFM tables with numbers right-aligned', () => {
    expectValidTables(md);
    expect(md).toContain('| Queue | Vhost | Messages | Ready | Unacked | Consumers | Publish | Deliver | Growth |\n| --- | --- | ---: |');
    expect(md).toContain('| `notifications.info` | `/` | 6,521 | 6,521 | 0 | **0** | 120/s | 0/s | +120/s |');
  });

  it('keeps user data from breaking tables or injecting markup', () => {
    const input = brokerInput();
    const evil = '<script>alert(1)</script>|`x`*_[y](http://e.vil)';
    input.samples = input.samples.map((s) => ({ ...s, queues: [...s.queues, makeQueue({ name: evil, consumers: 0, messages: 999_999, ready: 999_999 })] }));
    input.findings = [
      ...input.findings,
      {
        rule: 'queue-backlog',
        severity: 'critical',
        subject: { kind: 'queue', name: evil, vhost: '/' },
        summary: `queue ${evil} holds <b>999999</b> | messages`,
        remedy: 'Drain it',
        evidence: {},
      },
    ];
    const out = renderMarkdown(buildReport([input], GENERATED_AT));
    expectValidTables(out);
    expect(outsideCode(out)).not.toMatch(/<script|<b>/);
    expect(outsideCode(out)).not.toMatch(/\]\(http/);
    expect(out).toContain('\\<b\\>999999\\</b\\> \\| messages');
  });

  it('escapes and fences by the rules of markdown', () => {
    expect(mdText('a|b*c_<d>\nnext')).toBe('a\\|b\\*c\\_\\<d\\> next');
    expect(mdCode('plain')).toBe('`plain`');
    expect(mdCode('has`tick')).toBe('``has`tick``');
    expect(mdCode('`edge')).toBe('`` `edge ``');
    expect(mdCode('a|b')).toBe('`a\\|b`');
    expect(mdRich('set `x-expires` on <q>*')).toBe('set `x-expires` on \\<q\\>\\*');
  });

  it('summarises a 10k-queue broker', () => {
    const big = renderMarkdown(buildReport([largeBrokerInput()], GENERATED_AT));
    expectValidTables(big);
    expect(big.split('\n').length).toBeLessThan(120);
    expect(big).toContain('… and 2,939 more queue-no-consumer findings');
    expect(big.match(/Start the consumer, or stop the producer\./g)).toHaveLength(1);
    expect(big.match(/\(same as above\)/g)).toHaveLength(9);
    expect(big).toContain('… and 9,980 more queues (4,102 empty; 5,000 of all queues have no consumer).');
    expect(big).toContain('| `busy-0000` |');
  });
});
