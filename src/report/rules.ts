// `warren rules`: the catalogue an operator reads to know what warren checks and how
// to tune it. The `prometheus` format lives in src/rules/promql.ts.
import type { Rule } from '../rules/index.js';
import { fmtDuration } from '../format.js';
import { wrap } from './format.js';
import { table } from './table.js';

export interface CatalogueEntry {
  id: string;
  severity: Rule['severity'];
  forSeconds: number;
  defaults: Record<string, number>;
  description: string;
  remedy: string;
}

function entry(r: Rule): CatalogueEntry {
  return { id: r.id, severity: r.severity, forSeconds: r.forSeconds, defaults: { ...r.defaults }, description: r.description, remedy: r.remedy };
}

function defaultsText(d: Readonly<Record<string, number>>): string {
  const keys = Object.keys(d);
  return keys.length ? keys.map((k) => `${k}=${d[k]}`).join(' ') : '-';
}

export function renderRulesCatalogue(rules: readonly Rule[], format: 'text' | 'json', width = 100): string {
  if (format === 'json') return `${JSON.stringify({ rules: rules.map(entry) }, null, 2)}\n`;
  const out = table(
    [{ header: 'ID' }, { header: 'SEVERITY' }, { header: 'FOR', align: 'right' }, { header: 'DEFAULTS', flex: true, min: 20 }],
    rules.map((r) => [r.id, r.severity, r.forSeconds > 0 ? fmtDuration(r.forSeconds) : '-', defaultsText(r.defaults)]),
    width,
  );
  out.push('');
  for (const r of rules) {
    out.push(`${r.id} (${r.severity}${r.forSeconds > 0 ? `, for ${fmtDuration(r.forSeconds)}` : ''})`);
    out.push(...wrap(`Fires when: ${r.description}`, width - 4).map((l) => `    ${l}`));
    out.push(...wrap(`Remedy: ${r.remedy}`, width - 4).map((l) => `    ${l}`));
    const d = defaultsText(r.defaults);
    if (d !== '-') out.push(...wrap(`Defaults: ${d}`, width - 4).map((l) => `    ${l}`));
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
