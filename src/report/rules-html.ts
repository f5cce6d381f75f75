// GET /rules of `warren run`: the rule reference as one HTML page, one anchor per rule id
// (`#rule-<id>`), which every alert's runbook_url points at. Generated from the catalogue
// and the PromQL forms, so it always describes the rules this warren evaluates.
import { fmtDuration } from '../format.js';
import { catalogue, NOT_IN_PROMQL, PARTLY_IN_PROMQL, PROMQL_ALERTS, SELF_RULES, type Rule } from '../rules/index.js';
import { esc, richText } from './html.js';

interface PageRule {
  id: string;
  severity: string;
  forText: string;
  description: string;
  remedy: string;
  defaults: Readonly<Record<string, number>>;
}

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}' +
  'section{border-top:1px solid #ccc;padding-top:.5rem;margin-top:1.5rem}pre{background:#f4f4f4;padding:.5rem;overflow-x:auto}' +
  'code{background:#f4f4f4}.critical{color:#b00}.warning{color:#a60}.info{color:#06c}table{border-collapse:collapse}td,th{padding:0 .6rem;text-align:left}';

function fromCatalogue(r: Rule): PageRule {
  return {
    id: r.id,
    severity: r.severity,
    forText: r.forSeconds > 0 ? `after ${fmtDuration(r.forSeconds)}` : 'at once',
    description: r.description,
    remedy: r.remedy,
    defaults: r.defaults,
  };
}

function selfRules(): PageRule[] {
  return Object.entries(SELF_RULES).map(([id, text]) => {
    const a = PROMQL_ALERTS.find((x) => x.id === id);
    return { id, severity: a?.severity ?? 'warning', forText: a?.for ? `after ${a.for}` : 'at once', description: text.description, remedy: text.remedy, defaults: {} };
  });
}

function section(r: PageRule): string {
  const out = [`<section id="rule-${esc(r.id)}">`, `<h2><a href="#rule-${esc(r.id)}">${esc(r.id)}</a></h2>`];
  out.push(`<p><strong class="${esc(r.severity)}">${esc(r.severity)}</strong>, ${esc(r.forText)}: ${richText(r.description)}.</p>`);
  const keys = Object.keys(r.defaults);
  if (keys.length > 0) {
    out.push('<table><tr><th>threshold</th><th>default</th></tr>');
    for (const k of keys) out.push(`<tr><td><code>${esc(k)}</code></td><td>${esc(String(r.defaults[k]))}</td></tr>`);
    out.push('</table>');
  }
  out.push(`<p><strong>Remedy:</strong> ${richText(r.remedy)}</p>`);
  const variants = PROMQL_ALERTS.filter((a) => a.id === r.id);
  if (r.id in NOT_IN_PROMQL) out.push(`<p>In Prometheus: forwarded from warren's own evaluation (<code>warren_alert_active</code>): ${richText(NOT_IN_PROMQL[r.id]!)}.</p>`);
  if (r.id in PARTLY_IN_PROMQL) out.push(`<p>The PromQL form leaves out: ${richText(PARTLY_IN_PROMQL[r.id]!)}.</p>`);
  for (const v of variants) {
    const label = variants.length > 1 && v.severity ? ` (${esc(v.severity)})` : '';
    out.push(`<p>PromQL${label}:</p><pre><code>${esc(v.expr)}</code></pre>`);
  }
  out.push('</section>');
  return out.join('\n');
}

/** The whole page: an index of the ids, then one section per rule, catalogue order, then warren's own alerts. */
export function renderRulesPage(): string {
  const rules = [...catalogue.map(fromCatalogue), ...selfRules()];
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>warren rules</title>',
    `<style>${STYLE}</style></head><body>`,
    '<h1>warren rule reference</h1>',
    '<p>Every rule warren evaluates, as its alerts name it (<code>alertname</code> = rule id). Thresholds are the defaults; a config file overrides them per cluster, vhost, queue pattern or OpenStack service.</p>',
    '<ul>' + rules.map((r) => `<li><a href="#rule-${esc(r.id)}">${esc(r.id)}</a></li>`).join('') + '</ul>',
    ...rules.map(section),
    '</body></html>',
    '',
  ].join('\n');
}
