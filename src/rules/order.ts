// The order of severities and of findings: one for the engine, the alerts, the report
// and the check line, so every place lists the same finding first.
import type { Finding, Severity, Subject } from './types.js';

/** critical before warning before info. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = Object.freeze({ critical: 0, warning: 1, info: 2 });

// Broker-wide trouble reads before trouble with one queue of the same severity.
const KIND_RANK: Readonly<Record<Subject['kind'], number>> = {
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

// The same order as `a.localeCompare(b, 'en')`, without building a collator per call.
const byText = new Intl.Collator('en').compare;

/**
 * Worst first: severity, then broker-wide before per-queue, then rule, then the biggest,
 * then by name. The report lists findings in this order and shows the first few of each
 * rule, so the worst of 400 idle queues must come first and the memory alarm before them.
 */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    KIND_RANK[a.subject.kind] - KIND_RANK[b.subject.kind] ||
    byText(a.rule, b.rule) ||
    findingMagnitude(b) - findingMagnitude(a) ||
    byText(a.subject.name, b.subject.name) ||
    byText(a.subject.vhost ?? '', b.subject.vhost ?? '')
  );
}
