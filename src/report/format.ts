// Words, grouping and text layout shared by every renderer. Numbers, sizes, rates and
// durations are written by src/format.ts, findings ordered by src/rules/order.ts.
// Pure, locale-independent (a report must read the same on every machine and in every test).
import { fmtInt, listSome, plural } from '../format.js';
import { ruleById } from '../rules/index.js';
import type { Finding, Severity, Subject } from '../rules/index.js';
import type { ReportStatus } from './model.js';

export const STATUS_WORD: Record<ReportStatus, string> = {
  ok: 'OK',
  warning: 'WARNING',
  critical: 'CRITICAL',
  unknown: 'UNKNOWN',
};

export const SEVERITY_WORD: Record<Severity, string> = { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' };

export const SEVERITY_TAG: Record<Severity, string> = { critical: 'CRIT', warning: 'WARN', info: 'INFO' };

/** A queue number the broker has not reported yet (a queue listed before its first statistics). */
export const STATS_PENDING = 'stats pending';

/** A count, or `unknown` in its place when the broker did not report it: never 0 for unknown. */
export function fmtKnown(n: number | null, unknown = '-'): string {
  return n === null ? unknown : fmtInt(n);
}

/** The queue-table cells for depth and consumers: "stats pending" (then dashes) where the broker gave none. */
export function queueCounts(r: { messages: number | null; ready: number | null; unacked: number | null; consumers: number | null }): [string, string, string, string] {
  return [fmtKnown(r.messages, STATS_PENDING), fmtKnown(r.ready), fmtKnown(r.unacked), fmtKnown(r.consumers)];
}

/**
 * The cluster's message totals, `1,234 messages (1,200 ready, 34 unacked)`, or that they
 * are unknown: /api/overview gives none while no queue has statistics (statistics off).
 */
export function messageTotals(t: { messages: number | null; ready: number | null; unacked: number | null }): string {
  if (t.messages === null) return `messages ${STATS_PENDING}`;
  return `${plural(t.messages, 'message')} (${fmtKnown(t.ready)} ready, ${fmtKnown(t.unacked)} unacked)`;
}

/** How a subject reads to a person: `queue notifications.info (vhost /nova)`. */
export function subjectLabel(s: Subject): string {
  const vhost = s.vhost !== undefined && s.vhost !== '/' && (s.kind === 'queue' || s.kind === 'connection') ? ` (vhost ${s.vhost})` : '';
  return `${s.kind} ${s.name}${vhost}`;
}

/** The subject's name alone, qualified by its vhost when that is not `/`. */
export function subjectName(s: Subject): string {
  return s.vhost !== undefined && s.vhost !== '/' && (s.kind === 'queue' || s.kind === 'connection') ? `${s.name}@${s.vhost}` : s.name;
}

export interface FindingGroup<T extends Finding = Finding> {
  rule: string;
  severity: Severity;
  /** The worst `limit` findings of this rule and severity. */
  shown: T[];
  /** How many more there are beyond `shown`. */
  more: number;
  /** The one remedy every finding of the group shares, or null when they differ. */
  sharedRemedy: string | null;
  /** Every finding of the group. */
  count: number;
  /**
   * When the group is too long to list (`more` > 0) and every finding names an OpenStack
   * service: one line per service instead of findings one by one, so a cell that lost the
   * broker reads as "nova-compute lost its consumer on 2,223 of 2,230 hosts". Null otherwise.
   */
  services: ServiceLine[] | null;
  /** The remedy to say once for a service-grouped group: the shared one, else the rule's own. */
  remedy: string;
}

/** One service's share of a grouped rule: how many subjects, out of how many, and who. */
export interface ServiceLine {
  /** The binary when the findings name it (`nova-compute`), else the service (`nova`). */
  service: string;
  count: number;
  /** How many hosts the service has for this rule's subjects (evidence `serviceHosts`), when known. */
  of: number | null;
  /** Host names when the findings carry a `host` label, else subject names; worst first. */
  names: string[];
  /** What `names` are: `host` or the subject kind. */
  noun: string;
}

// How a rule's service line reads: "nova-compute lost its consumer on 2,223 of 2,230 hosts".
const SERVICE_VERB: Readonly<Record<string, string>> = {
  'openstack-host-queue-unconsumed': 'lost its consumer on',
};

/** "nova-compute lost its consumer on 2,223 of 2,230 hosts: cmp-0001, cmp-0002, cmp-0003 and 2,220 more". */
export function serviceLineText(rule: string, s: ServiceLine, names = 3): string {
  const verb = SERVICE_VERB[rule] ?? 'on';
  const n = s.of ?? s.count;
  const noun = n === 1 ? s.noun : `${s.noun}s`;
  return `${s.service} ${verb} ${fmtInt(s.count)}${s.of !== null ? ` of ${fmtInt(s.of)}` : ''} ${noun}: ${listSome(s.names, names)}`;
}

function serviceOf(f: Finding): string | null {
  const service = f.labels?.service;
  if (!service) return null;
  const binary = f.evidence.binary;
  return typeof binary === 'string' && binary ? binary : service;
}

/** Findings of one rule per service, in order of first appearance (the worst service first). */
export function serviceLines(findings: readonly Finding[]): ServiceLine[] | null {
  const lines = new Map<string, ServiceLine>();
  for (const f of findings) {
    const service = serviceOf(f);
    if (service === null) return null;
    let l = lines.get(service);
    if (!l) {
      l = { service, count: 0, of: null, names: [], noun: f.labels?.host ? 'host' : f.subject.kind };
      lines.set(service, l);
    }
    l.count++;
    l.names.push(f.labels?.host || subjectName(f.subject));
    const of = f.evidence.serviceHosts;
    if (typeof of === 'number' && Number.isFinite(of)) l.of = Math.max(l.of ?? 0, of, l.count);
  }
  return [...lines.values()];
}

/**
 * Groups already-sorted findings by (rule, severity), in order of first appearance,
 * keeping the first `limit` of each: a broker with 400 idle notification queues
 * must not push the one memory alarm off the screen. A group longer than `limit`
 * whose findings name OpenStack services is also split per service (`services`).
 */
export function groupFindings<T extends Finding>(findings: readonly T[], limit: number): FindingGroup<T>[] {
  const groups = new Map<string, { rule: string; severity: Severity; all: T[] }>();
  for (const f of findings) {
    const key = `${f.severity}\u0000${f.rule}`;
    let g = groups.get(key);
    if (!g) {
      g = { rule: f.rule, severity: f.severity, all: [] };
      groups.set(key, g);
    }
    g.all.push(f);
  }
  const keep = Math.max(1, limit);
  return [...groups.values()].map((g) => {
    const remedies = new Set(g.all.map((f) => f.remedy));
    const sharedRemedy = remedies.size === 1 ? g.all[0]!.remedy : null;
    const more = Math.max(0, g.all.length - keep);
    return {
      rule: g.rule,
      severity: g.severity,
      shown: g.all.slice(0, keep),
      more,
      sharedRemedy,
      count: g.all.length,
      services: more > 0 ? serviceLines(g.all) : null,
      remedy: sharedRemedy ?? ruleById(g.rule)?.remedy ?? g.all[0]!.remedy,
    };
  });
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const out: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
  for (const f of findings) out[f.severity]++;
  return out;
}

/** "2 critical, 1 warning" (info only when nothing worse), or "no findings". */
export function severityCounts(findings: readonly Finding[]): string {
  const c = countBySeverity(findings);
  const parts: string[] = [];
  if (c.critical) parts.push(`${fmtInt(c.critical)} critical`);
  if (c.warning) parts.push(`${fmtInt(c.warning)} warning`);
  if (c.info) parts.push(`${fmtInt(c.info)} info`);
  return parts.length ? parts.join(', ') : 'no findings';
}

/** The OpenStack orphan-queue line, or null when there are none. */
export function orphanLine(o: { reply: number; fanout: number; perProcess: number; withoutExpiry: number }): string | null {
  if (!o.reply && !o.fanout && !o.perProcess) return null;
  const kinds = [`${fmtInt(o.reply)} reply`, `${fmtInt(o.fanout)} fanout`];
  if (o.perProcess) kinds.push(`${fmtInt(o.perProcess)} per-process (heat)`);
  return `Orphan queues (no consumer): ${kinds.join(', ')}${o.withoutExpiry ? `; ${fmtInt(o.withoutExpiry)} of them never expire` : ''}`;
}

/** Collapses whitespace (newlines in user data would break a table row or a status line). */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Cuts a string to `max` characters, marking the cut. */
export function truncate(s: string, max: number): string {
  if (max <= 0) return '';
  if (s.length <= max) return s;
  if (max === 1) return '…';
  return `${s.slice(0, max - 1)}…`;
}

/** Word-wraps to `width`, never breaking inside a word unless the word alone is too long. */
export function wrap(text: string, width: number): string[] {
  const words = oneLine(text).split(' ');
  const lines: string[] = [];
  let line = '';
  for (let w of words) {
    while (w.length > width) {
      if (line) {
        lines.push(line);
        line = '';
      }
      lines.push(w.slice(0, width));
      w = w.slice(width);
    }
    if (!line) line = w;
    else if (line.length + 1 + w.length <= width) line += ` ${w}`;
    else {
      lines.push(line);
      line = w;
    }
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}
