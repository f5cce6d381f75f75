// Formatting and ordering shared by every renderer. Pure, locale-independent
// (a report must read the same on every machine and in every test).
import type { Finding, Severity, Subject } from '../rules/index.js';
import type { ReportStatus } from './model.js';

export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export const STATUS_WORD: Record<ReportStatus, string> = {
  ok: 'OK',
  warning: 'WARNING',
  critical: 'CRITICAL',
  unknown: 'UNKNOWN',
};

export const SEVERITY_WORD: Record<Severity, string> = { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' };

export const SEVERITY_TAG: Record<Severity, string> = { critical: 'CRIT', warning: 'WARN', info: 'INFO' };

const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 9980 -> "9,980". */
export function fmtInt(n: number): string {
  return INT.format(n);
}

/** Binary units, as the RabbitMQ management UI shows them. */
export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const s = i === 0 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v.toFixed(1);
  return `${n < 0 ? '-' : ''}${s} ${units[i]}`;
}

/** Compact binary units for narrow table cells: "954M", "1.0G". */
export function fmtBytesShort(n: number): string {
  return fmtBytes(n).replace(/ (K|M|G|T|P)iB$/, '$1').replace(/ B$/, 'B');
}

/** Messages per second; '-' when unknown (stats disabled, a single sample). */
export function fmtRate(r: number | null): string {
  if (r === null || !Number.isFinite(r)) return '-';
  const a = Math.abs(r);
  if (a === 0) return '0/s';
  if (a < 0.1) return `${r.toFixed(2)}/s`;
  if (a < 100) return `${r.toFixed(1)}/s`;
  return `${fmtInt(Math.round(r))}/s`;
}

/** Depth change per second, signed so growth stands out. */
export function fmtGrowth(r: number | null): string {
  if (r === null || !Number.isFinite(r)) return '-';
  if (r === 0) return '0/s';
  return (r > 0 ? '+' : '') + fmtRate(r);
}

export function fmtPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return '?';
  const p = ratio * 100;
  return p < 10 && p > 0 ? `${p.toFixed(1)}%` : `${Math.round(p)}%`;
}

export function fmtDuration(seconds: number): string {
  if (seconds <= 0) return '0s';
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  if (seconds > 120) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds)}s`;
}

/** "2026-11-22 03:00:10 UTC": ISO is for machines, this is for the person reading. */
export function fmtTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${fmtInt(n)} ${n === 1 ? one : many}`;
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

// Broker-wide trouble reads before trouble with one queue of the same severity.
const KIND_RANK: Record<Subject['kind'], number> = {
  cluster: 0,
  node: 1,
  service: 2,
  host: 3,
  vhost: 4,
  connection: 5,
  queue: 6,
};

// Evidence keys that say how bad a finding is, most telling first.
const MAGNITUDE_KEYS = ['messages', 'ready', 'unacked', 'connections', 'channels', 'count', 'growthRate', 'value'];

/** A number that orders findings of one rule by how bad they are; 0 when the evidence has none. */
export function findingMagnitude(f: Finding): number {
  for (const k of MAGNITUDE_KEYS) {
    const v = f.evidence[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return 0;
}

/** Worst first: severity, then broker-wide before per-queue, then rule, then the biggest, then by name. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    KIND_RANK[a.subject.kind] - KIND_RANK[b.subject.kind] ||
    a.rule.localeCompare(b.rule, 'en') ||
    findingMagnitude(b) - findingMagnitude(a) ||
    a.subject.name.localeCompare(b.subject.name, 'en') ||
    (a.subject.vhost ?? '').localeCompare(b.subject.vhost ?? '', 'en')
  );
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
