// Words, grouping and text layout shared by every renderer. Numbers, sizes, rates and
// durations are written by src/format.ts, findings ordered by src/rules/order.ts.
// Pure, locale-independent (a report must read the same on every machine and in every test).
import { fmtInt } from '../format.js';
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
}

/**
 * Groups already-sorted findings by (rule, severity), in order of first appearance,
 * keeping the first `limit` of each: a broker with 400 idle notification queues
 * must not push the one memory alarm off the screen.
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
  return [...groups.values()].map((g) => {
    const remedies = new Set(g.all.map((f) => f.remedy));
    return {
      rule: g.rule,
      severity: g.severity,
      shown: g.all.slice(0, Math.max(1, limit)),
      more: Math.max(0, g.all.length - Math.max(1, limit)),
      sharedRemedy: remedies.size === 1 ? g.all[0]!.remedy : null,
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
