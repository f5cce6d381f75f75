// The Prometheus rule file: the shipped file equals the rendering (so `warren rules
// --format prometheus` and alerts/ never drift), thresholds and `for` come from the
// catalogue, every catalogue rule has an alert, and only exported metrics are used.
//
// Regenerate after changing src/rules/promql.ts or the catalogue:
//   WARREN_WRITE_GENERATED=1 npx vitest run --project unit test/unit/promql.test.ts
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { catalogue } from '../../src/rules/catalogue.js';
import {
  NOT_IN_PROMQL,
  RECORDING_RULES,
  SELF_RULES,
  WARREN_METRIC_NAMES,
  promAlerts,
  promGroups,
  renderAlertReference,
  renderPrometheusRules,
  runbookUrl,
} from '../../src/rules/promql.js';
import { metricNamesIn } from '../support/dashboard-queries.js';

const RULE_FILE = fileURLToPath(new URL('../../alerts/warren.rules.yml', import.meta.url));

interface RuleYaml {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

describe('alerts/warren.rules.yml', () => {
  const text = renderPrometheusRules();

  it('equals renderPrometheusRules() byte for byte', () => {
    if (process.env.WARREN_WRITE_GENERATED === '1') writeFileSync(RULE_FILE, text);
    expect(readFileSync(RULE_FILE, 'utf8')).toBe(text);
  });

  const doc = parse(text) as { groups: Array<{ name: string; rules: RuleYaml[] }> };
  const rules = doc.groups.flatMap((g) => g.rules);
  const alerting = rules.filter((r) => r.alert);

  it('has an alert named after every catalogue rule id', () => {
    const names = new Set(alerting.map((r) => r.alert));
    for (const r of catalogue) expect(names, r.id).toContain(r.id);
  });

  it('names no alert that is neither a catalogue id nor a warren self rule', () => {
    const known = new Set([...catalogue.map((r) => r.id), ...Object.keys(SELF_RULES)]);
    for (const r of alerting) expect(known, r.alert).toContain(r.alert);
  });

  it('takes the remedy, description and severity from the catalogue', () => {
    for (const r of alerting) {
      const c = catalogue.find((x) => x.id === r.alert);
      if (!c) continue;
      expect(r.annotations?.remedy, r.alert).toBe(c.remedy);
      expect(r.annotations?.description, r.alert).toBe(c.description);
      if (r.alert! in NOT_IN_PROMQL) {
        // Forwarded: the series' own severity label stays.
        expect(r.labels?.severity).toBeUndefined();
      } else if (r.alert === 'queue-backlog' || r.alert === 'openstack-rpc-backlog' || r.alert === 'openstack-host-queue-unconsumed' || r.alert === 'openstack-rpc-server-unresponsive') {
        // Two rules, one per severity, as the catalogue escalates.
        expect(['warning', 'critical']).toContain(r.labels?.severity);
      } else {
        expect(r.labels?.severity, r.alert).toBe(c.severity);
      }
    }
  });

  it('uses the catalogue `for` (none when the catalogue fires at once)', () => {
    const toSeconds = (d: string | undefined) => {
      if (!d) return 0;
      const m = /^(\d+)([smh])$/.exec(d);
      if (!m) throw new Error(`unexpected duration ${d}`);
      return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
    };
    for (const r of alerting) {
      const c = catalogue.find((x) => x.id === r.alert);
      if (!c || r.alert! in NOT_IN_PROMQL) continue;
      expect(toSeconds(r.for), r.alert).toBe(c.forSeconds);
    }
  });

  it('writes the catalogue thresholds into the expressions', () => {
    const exprOf = (id: string, severity?: string) =>
      alerting.find((r) => r.alert === id && (!severity || r.labels?.severity === severity))!.expr;
    const d = (id: string) => catalogue.find((r) => r.id === id)!.defaults;
    expect(exprOf('memory-high')).toContain(`>= ${d('memory-high').ratio}`);
    expect(exprOf('file-descriptors-high')).toContain(`>= ${d('file-descriptors-high').ratio}`);
    expect(exprOf('disk-low')).toContain(`< ${d('disk-low').factor} * rabbitmq_node_disk_free_limit`);
    expect(exprOf('disk-low')).toContain(`, ${d('disk-low').horizonHours! * 3600})`);
    expect(exprOf('queue-backlog', 'warning')).toContain(`>= ${d('queue-backlog').warning}`);
    expect(exprOf('queue-backlog', 'critical')).toContain(`>= ${d('queue-backlog').critical}`);
    expect(exprOf('unacked-high')).toContain(`>= ${d('unacked-high').unacked}`);
    expect(exprOf('openstack-rpc-backlog', 'warning')).toContain(`>= ${d('openstack-rpc-backlog').warning}`);
    expect(exprOf('openstack-rpc-backlog', 'critical')).toContain(`>= ${d('openstack-rpc-backlog').critical}`);
    expect(exprOf('openstack-orphan-queues')).toContain(`> ${d('openstack-orphan-queues').max}`);
    expect(exprOf('channels-per-connection-high')).toContain(`> ${d('channels-per-connection-high').channels}`);
    expect(exprOf('connection-churn')).toContain(`>= ${d('connection-churn').ratio}`);
    expect(exprOf('connection-churn')).toContain(`>= ${d('connection-churn').minConnections}`);
    expect(exprOf('openstack-notifications-unconsumed')).toContain(`>= ${d('openstack-notifications-unconsumed').messages}`);
  });

  it('points runbook_url at the rule\'s anchor on GET /rules (a placeholder address in the shipped file; runbookBaseUrl replaces it)', () => {
    for (const r of alerting) expect(r.annotations?.runbook_url).toBe(runbookUrl(r.alert!));
    expect(runbookUrl('memory-alarm')).toBe('http://warren:9419/rules#rule-memory-alarm');
    const elsewhere = parse(renderPrometheusRules('https://wiki.example.org/warren')) as { groups: Array<{ rules: RuleYaml[] }> };
    const urls = elsewhere.groups.flatMap((g) => g.rules).flatMap((r) => (r.alert ? [r.annotations?.runbook_url] : []));
    expect(urls.length).toBeGreaterThan(30);
    for (const u of urls) expect(u).toMatch(/^https:\/\/wiki\.example\.org\/warren#rule-[a-z-]+$/);
  });

  it('gives every alert a summary, and a severity label unless forwarded', () => {
    for (const r of alerting) {
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      if (!(r.alert! in NOT_IN_PROMQL)) expect(['critical', 'warning', 'info']).toContain(r.labels?.severity);
    }
  });

  it('uses only metric names warren exports (and its own recording rules)', () => {
    const known = new Set(WARREN_METRIC_NAMES);
    for (const r of rules) for (const m of metricNamesIn(r.expr)) expect(known, `${r.alert ?? r.record}: ${m}`).toContain(m);
  });

  it('knows exactly the metric families the exposition declares (plus prom-client defaults)', () => {
    // If src/metrics/ (render.ts, probe.ts) adds or renames a family, the dashboards and rules must follow.
    const dir = fileURLToPath(new URL('../../src/metrics/', import.meta.url));
    const source = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(`${dir}${f}`, 'utf8'))
      .join('\n');
    const declared = [...source.matchAll(/\.family\('([a-z_]+)'/g)].map((m) => m[1]!).sort();
    expect(declared.length).toBeGreaterThan(50);
    expect(WARREN_METRIC_NAMES.filter((m) => !/^(process|nodejs)_/.test(m)).sort()).toEqual(declared);
  });

  it('keeps alert names unique per severity and recording names unique', () => {
    const keys = promAlerts().map((a) => `${a.id}/${a.severity ?? '-'}`);
    expect(new Set(keys).size).toBe(keys.length);
    const records = RECORDING_RULES.map((r) => r.record);
    expect(new Set(records).size).toBe(records.length);
    const groups = promGroups().map((g) => g.name);
    expect(new Set(groups).size).toBe(groups.length);
  });

  it('escapes template actions in literal text', () => {
    // A remedy quoting `{{` must not be read as a template by Prometheus.
    for (const r of alerting) {
      for (const k of ['remedy', 'description'] as const) {
        const v = r.annotations?.[k] ?? '';
        expect(v.replace(/\{\{ "\{\{" \}\}/g, '')).not.toContain('{{');
      }
    }
  });
});

describe('the rule reference in the docs', () => {
  const BEGIN = /<!-- BEGIN generated by `renderAlertReference\(\)`[^\n]*-->\n/;
  const END = '<!-- END generated -->';
  const docs = ['docs/dashboards-and-alerts.md', 'README.md'].map((f) => fileURLToPath(new URL(`../../${f}`, import.meta.url)));
  const block = renderAlertReference();

  function section(text: string): { start: number; end: number } | null {
    const m = BEGIN.exec(text);
    if (!m) return null;
    const start = m.index + m[0].length;
    const end = text.indexOf(END, start);
    if (end < 0) throw new Error('BEGIN marker without END marker');
    return { start, end };
  }

  it('holds renderAlertReference() between its markers (docs, and the README once merged)', () => {
    let found = 0;
    for (const path of docs) {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        continue;
      }
      const s = section(text);
      if (!s) continue;
      found++;
      if (process.env.WARREN_WRITE_GENERATED === '1') {
        text = text.slice(0, s.start) + block + text.slice(s.end);
        writeFileSync(path, text);
      }
      const now = section(text)!;
      expect(text.slice(now.start, now.end), path).toBe(block);
    }
    expect(found).toBeGreaterThan(0);
  });

  it('has a `Rule <id>` heading (GitHub anchor #rule-<id>) for every alert runbook_url', () => {
    const anchors = new Set([...block.matchAll(/^#### Rule `([a-z0-9-]+)`$/gm)].map((m) => `rule-${m[1]}`));
    for (const a of promAlerts()) expect(anchors, a.id).toContain(runbookUrl(a.id).split('#')[1]);
  });
});
