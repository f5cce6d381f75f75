import { describe, expect, it } from 'vitest';
import { renderRulesCatalogue } from '../../src/report/rules.js';
import type { Rule } from '../../src/rules/types.js';

const rules: Rule[] = [
  {
    id: 'memory-alarm',
    severity: 'critical',
    forSeconds: 0,
    description: "a node's memory alarm is set (publishers are blocked)",
    remedy: 'Drain the large queues, then check the watermark.',
    defaults: {},
    evaluate: () => [],
  },
  {
    id: 'queue-backlog',
    severity: 'warning',
    forSeconds: 300,
    description: 'ready messages ≥ 1000 (critical ≥ 10000)',
    remedy: 'Add consumers or find out why they are slow. '.repeat(4),
    defaults: { ready: 1000, criticalReady: 10000 },
    evaluate: () => [],
  },
];

describe('renderRulesCatalogue', () => {
  it('lists ids, severity, for and defaults in an aligned table, then description and remedy per rule', () => {
    const text = renderRulesCatalogue(rules, 'text');
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^ID\s+SEVERITY\s+FOR\s+DEFAULTS$/);
    expect(lines[1]).toMatch(/^memory-alarm\s+critical\s+-\s+-$/);
    expect(lines[2]).toMatch(/^queue-backlog\s+warning\s+5m\s+ready=1000 criticalReady=10000$/);
    expect(lines[1]!.indexOf('critical')).toBe(lines[2]!.indexOf('warning'));
    expect(text).toContain("memory-alarm (critical)\n    Fires when: a node's memory alarm is set (publishers are blocked)\n    Remedy: Drain the large queues, then check the watermark.");
    expect(text).toContain('queue-backlog (warning, for 5m)');
    expect(lines.every((l) => l.length <= 100)).toBe(true);
  });

  it('gives JSON with every field a script needs', () => {
    const json = JSON.parse(renderRulesCatalogue(rules, 'json'));
    expect(json.rules).toEqual([
      { id: 'memory-alarm', severity: 'critical', forSeconds: 0, defaults: {}, description: rules[0]!.description, remedy: rules[0]!.remedy },
      { id: 'queue-backlog', severity: 'warning', forSeconds: 300, defaults: { ready: 1000, criticalReady: 10000 }, description: rules[1]!.description, remedy: rules[1]!.remedy },
    ]);
  });
});
