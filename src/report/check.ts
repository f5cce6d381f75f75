// `warren check`: a Nagios/NRPE plugin. One line, `TEXT | PERFDATA`, exit 0/1/2/3,
// per the Nagios plugin guidelines (label=value[UOM];warn;crit;min;max).
import type { Finding, Rule } from '../rules/index.js';
import type { ClusterReport, Report, ReportStatus } from './model.js';
import { UNREACHABLE_RULE, exitCode, statusOfFindings, worstStatus } from './model.js';
import { listSome } from '../format.js';
import { SEVERITY_RANK } from '../rules/index.js';
import { STATUS_WORD, oneLine, serviceLines, serviceLineText, severityCounts, subjectName } from './format.js';

export interface CheckOptions {
  /** Only these rule ids decide the status (validate them first with `unknownRuleIds`). */
  rules?: readonly string[];
  /** Rules named in the status line before "and N more rules"; default 5. */
  listed?: number;
}

export interface CheckResult {
  text: string;
  exitCode: 0 | 1 | 2 | 3;
}

/** The requested rule ids that are not in the catalogue, in the order given. */
export function unknownRuleIds(requested: readonly string[], catalogue: readonly Pick<Rule, 'id'>[]): string[] {
  const known = new Set(catalogue.map((r) => r.id));
  // broker-unreachable is a verdict of the poll, not an evaluated rule, but it is a valid id.
  known.add(UNREACHABLE_RULE);
  return requested.filter((id) => !known.has(id));
}

/** Throws the error the CLI prints (exit 3) when a `--rule` id is not in the catalogue. */
export function assertKnownRuleIds(requested: readonly string[], catalogue: readonly Pick<Rule, 'id'>[]): void {
  const unknown = unknownRuleIds(requested, catalogue);
  if (unknown.length) {
    throw new Error(
      `unknown rule id${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (run \`warren rules\` for the catalogue)`,
    );
  }
}

const SUBJECTS_PER_RULE = 3;
const SERVICES_PER_RULE = 2;

// Nagios treats `|` as the start of perfdata and NRPE 2 cuts output at 1024 bytes.
const MAX_TEXT = 700;

function cleanText(s: string): string {
  return oneLine(s).replace(/\|/g, '/');
}

/** A perfdata label: quoted when it holds anything but [A-Za-z0-9_.@-]; `=` and `'` are not allowed in it. */
function label(s: string): string {
  const clean = s.replace(/[='\s|]+/g, '_');
  return /^[A-Za-z0-9_.@:-]+$/.test(clean) ? clean : `'${clean}'`;
}

function n(v: number): string {
  if (!Number.isFinite(v)) return 'U';
  return Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/\.?0+$/, '');
}

/** `value` null is written `U`: the plugin guidelines' "could not be determined". */
function perf(name: string, value: number | null, uom = '', warn = '', crit = '', min = '', max = ''): string {
  return `${label(name)}=${value === null ? 'U' : n(value)}${uom};${warn};${crit};${min};${max}`.replace(/;+$/, '');
}

function clusterPerfdata(c: ClusterReport, prefix: string): string[] {
  const out: string[] = [];
  const p = (k: string) => `${prefix}${k}`;
  if (c.samples.count === 0) return [perf(p('up'), 0, '', '', '', '0', '1')];
  const t = c.totals;
  const nodes = c.nodes.length;
  out.push(
    perf(p('up'), 1, '', '', '', '0', '1'),
    perf(p('nodes_running'), c.nodes.filter((x) => x.running).length, '', '', '', '0', String(nodes)),
    perf(p('queues'), t.queues, '', '', '', '0'),
    perf(p('messages'), t.messages, '', '', '', '0'),
    perf(p('messages_ready'), t.ready, '', '', '', '0'),
    perf(p('messages_unacked'), t.unacked, '', '', '', '0'),
    perf(p('connections'), t.connections, '', '', '', '0'),
    perf(p('channels'), t.channels, '', '', '', '0'),
    perf(p('consumers'), t.consumers, '', '', '', '0'),
  );
  if (t.ratesKnown) out.push(perf(p('publish_rate'), t.publishRate, '', '', '', '0'), perf(p('deliver_rate'), t.deliverRate, '', '', '', '0'));
  // The node closest to each limit; the broker's own limits are the critical thresholds.
  const worst = <T>(xs: readonly T[], score: (x: T) => number) => xs.reduce<T | undefined>((a, x) => (a === undefined || score(x) > score(a) ? x : a), undefined);
  const mem = worst(c.nodes, (x) => (x.memLimit ? x.memUsed / x.memLimit : 0));
  if (mem && mem.memLimit > 0) out.push(perf(p('mem_used_pct'), Math.round((mem.memUsed / mem.memLimit) * 1000) / 10, '%', '', '100', '0'));
  const disk = worst(c.nodes, (x) => (x.diskFree > 0 ? x.diskFreeLimit / x.diskFree : Infinity));
  if (disk) out.push(perf(p('disk_free'), disk.diskFree, 'B', `${disk.diskFreeLimit * 2}:`, `${disk.diskFreeLimit}:`, '0'));
  const fd = worst(c.nodes, (x) => (x.fdTotal ? x.fdUsed / x.fdTotal : 0));
  if (fd && fd.fdTotal > 0) out.push(perf(p('fd_used'), fd.fdUsed, '', '', '', '0', String(fd.fdTotal)));
  return out;
}

/** Nagios plugin output for a report: one status line with perfdata, and the exit code. */
export function renderCheck(report: Report, opts: CheckOptions = {}): CheckResult {
  const only = opts.rules && opts.rules.length ? new Set(opts.rules) : null;
  const listed = Math.max(1, opts.listed ?? 5);
  const multi = report.clusters.length > 1;

  const unreachable = report.clusters.filter((c) => c.samples.count === 0 || c.findings.some((f) => f.rule === UNREACHABLE_RULE));
  const chosen: Array<Finding & { cluster: string }> = [];
  for (const c of report.clusters) {
    for (const f of c.findings) {
      if (f.rule === UNREACHABLE_RULE) continue;
      if (only && !only.has(f.rule)) continue;
      chosen.push({ ...f, cluster: c.name });
    }
  }
  // Findings arrive worst first within a cluster; merge clusters by severity, keep that order otherwise.
  chosen.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);

  const status: ReportStatus = report.clusters.length === 0 ? 'unknown' : worstStatus([unreachable.length ? 'unknown' : 'ok', statusOfFindings(chosen)]);

  const parts: string[] = [];
  for (const c of unreachable) {
    const why = c.error ?? c.findings.find((f) => f.rule === UNREACHABLE_RULE)?.summary ?? 'no answer';
    parts.push(`cannot reach ${c.name} (${c.url}): ${why}`);
  }
  if (report.clusters.length === 0) parts.push('no cluster configured');
  const counted = chosen.filter((f) => f.severity !== 'info');
  if (counted.length) {
    // One entry per rule, its worst subjects first: 400 idle queues must not hide the memory alarm.
    const byRule = new Map<string, { names: string[]; findings: Finding[] }>();
    for (const f of counted) {
      const g = byRule.get(f.rule) ?? { names: [], findings: [] };
      g.names.push(`${subjectName(f.subject)}${multi ? ` on ${f.cluster}` : ''}`);
      g.findings.push(f);
      byRule.set(f.rule, g);
    }
    const groups = [...byRule.entries()];
    const shown = groups.slice(0, listed).map(([rule, g]) => {
      // Many subjects of OpenStack services: per service, with counts (the line stays short at any count).
      const services = !multi && g.names.length > SUBJECTS_PER_RULE ? serviceLines(g.findings) : null;
      if (services) {
        const parts = services.slice(0, SERVICES_PER_RULE).map((s) => serviceLineText(rule, s, SUBJECTS_PER_RULE));
        const rest = services.length - parts.length;
        return `${rule} ${parts.join(' / ')}${rest > 0 ? ` / and ${rest} more services` : ''}`;
      }
      return `${rule} ${listSome(g.names, SUBJECTS_PER_RULE)}`;
    });
    const restRules = groups.length - shown.length;
    parts.push(`${severityCounts(counted)}: ${shown.join('; ')}${restRules > 0 ? `; and ${restRules} more rules` : ''}`);
  } else if (!unreachable.length && report.clusters.length) {
    const scope = only ? `rules ${[...only].join(', ')}` : 'all rules';
    parts.push(`${report.clusters.map((c) => c.name).join(', ')}: no problems (${scope})`);
  }

  let text = cleanText(`WARREN ${STATUS_WORD[status]} - ${parts.join('; ')}`);
  if (text.length > MAX_TEXT) text = `${text.slice(0, MAX_TEXT - 1)}…`;
  const perfdata = report.clusters.flatMap((c) => clusterPerfdata(c, multi ? `${c.name}_` : ''));
  perfdata.push(
    perf('findings_critical', chosen.filter((f) => f.severity === 'critical').length, '', '', '', '0'),
    perf('findings_warning', chosen.filter((f) => f.severity === 'warning').length, '', '', '', '0'),
  );
  return { text: `${text} | ${perfdata.join(' ')}`, exitCode: exitCode(status) };
}
