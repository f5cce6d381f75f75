// Alert state: what the daemon has told the world, per (cluster, rule, subject).
//
//   finding seen        -> pending (or firing at once when the rule's `for` is 0)
//   pending, seen for `for` seconds                         -> firing     (change)
//   pending, one evaluation without the finding            -> forgotten  (no change:
//                                                             nobody was told)
//   firing, absent for `resolveAfterEvaluations` consecutive
//     evaluations AND `resolveAfterMs` since last seen      -> resolved   (change)
//   firing, severity rises                                  -> at once    (change)
//   firing, severity falls                                  -> after the same
//     hysteresis as resolving                                             (change)
//   pending or firing, absent, its subject unknown now      -> held as it is (no change:
//     (StepOptions.unknown: e.g. a queue without statistics)   unknown is not "fixed")
//
// Hysteresis choice: a firing alert must be absent for 3 consecutive evaluations and at
// least 60 s before it resolves. Counting evaluations alone would resolve in 15 s at a
// 5 s interval; time alone would resolve on one lucky poll after a long gap. A value
// hovering at a threshold therefore keeps its alert firing instead of flapping
// firing/resolved on every poll. Pending keeps Prometheus' semantics (a gap resets it),
// so the `for` really means "continuously".
//
// Pure: state in, state and changes out. The state is plain data (persisted by the daemon).
import { createHash } from 'node:crypto';
import { SEVERITY_RANK } from './order.js';
import type { Finding, Rule, Severity, Subject } from './types.js';

export interface Alert {
  /** Stable identity from (cluster, rule, subject) only: the same on both instances of an HA pair. */
  fingerprint: string;
  cluster: string;
  rule: string;
  subject: Subject;
  severity: Severity;
  /** The full label set sent to Alertmanager: alertname, severity, cluster, subject labels. */
  labels: Record<string, string>;
  state: 'pending' | 'firing' | 'resolved';
  /** When the condition was first seen (pending since). */
  activeAt: number;
  firingAt: number | null;
  resolvedAt: number | null;
  lastSeenAt: number;
  /** Consecutive evaluations without the finding. */
  missed: number;
  /** Consecutive evaluations at a lower severity than the alert's, and since when. */
  lowerSeen: number;
  lowerSince: number | null;
  summary: string;
  remedy: string;
  evidence: Record<string, unknown>;
}

export interface AlertState {
  alerts: Record<string, Alert>;
}

export interface AlertChange {
  type: 'firing' | 'resolved' | 'severity';
  /** The alert after the change (state 'resolved' with resolvedAt for a resolution). */
  alert: Alert;
  /** For 'severity': the severity (and so the label set) it had before. */
  previousSeverity?: Severity;
  at: number;
}

export interface StepOptions {
  /** Consecutive evaluations without the finding before a firing alert resolves. Default 3. */
  resolveAfterEvaluations?: number;
  /** And at least this long since it was last seen. Default 60 s. */
  resolveAfterMs?: number;
  /**
   * Only these rules were evaluated (e.g. a failed poll evaluates just broker-unreachable):
   * alerts of other rules are left as they are instead of counting as absent.
   */
  onlyRules?: readonly string[];
  /**
   * Labels that describe the cluster without identifying the alert (the broker's own
   * cluster name, `rabbitmq_cluster`). Set when an alert is raised and kept for its life,
   * so a broker renamed while it fires does not change the label set Alertmanager knows it by.
   */
  clusterLabels?: Readonly<Record<string, string>>;
  /**
   * Whether a rule cannot judge a subject on this evaluation (src/rules/unknown.ts): an alert
   * of such a subject missing from the findings is kept exactly as it is, neither counted as
   * absent (firing) nor forgotten (pending).
   */
  unknown?: (rule: string, subject: Subject) => boolean;
}

export function emptyAlertState(): AlertState {
  return { alerts: {} };
}

export function alertFingerprint(cluster: string, rule: string, subject: Subject): string {
  return createHash('sha256')
    .update(JSON.stringify([cluster, rule, subject.kind, subject.vhost ?? '', subject.name]))
    .digest('hex')
    .slice(0, 16);
}

const SUBJECT_LABEL: Readonly<Record<Subject['kind'], string | null>> = {
  cluster: null, // the `cluster` label already names it
  node: 'node',
  vhost: 'vhost',
  queue: 'queue',
  connection: 'connection',
  service: 'service',
  host: 'host',
};

/**
 * Labels of an alert: alertname, severity, cluster, the subject (queue + vhost, node, ...)
 * and the finding's extra labels (service, host). Nothing that changes between polls.
 */
export function alertLabels(cluster: string, finding: Pick<Finding, 'rule' | 'severity' | 'subject' | 'labels'>): Record<string, string> {
  const labels: Record<string, string> = {};
  const key = SUBJECT_LABEL[finding.subject.kind];
  if (key) labels[key] = finding.subject.name;
  if (finding.subject.vhost !== undefined) labels.vhost = finding.subject.vhost;
  // Extra labels refine the subject (a `service` subject "nova@cmp-01" becomes service=nova, host=cmp-01).
  for (const [k, v] of Object.entries(finding.labels ?? {})) if (v !== '') labels[k] = v;
  labels.alertname = finding.rule;
  labels.severity = finding.severity;
  labels.cluster = cluster;
  return labels;
}

export function stepAlerts(
  state: AlertState,
  findings: readonly Finding[],
  now: number,
  cluster: string,
  rules: readonly Pick<Rule, 'id' | 'forSeconds'>[],
  options: StepOptions = {},
): { state: AlertState; changes: AlertChange[] } {
  const resolveAfter = Math.max(1, options.resolveAfterEvaluations ?? 3);
  const resolveAfterMs = Math.max(0, options.resolveAfterMs ?? 60_000);
  const only = options.onlyRules ? new Set(options.onlyRules) : null;
  const forMs = new Map(rules.map((r) => [r.id, r.forSeconds * 1000]));
  const extra = options.clusterLabels ?? {};
  // The cluster labels an alert was raised with win over the current ones (see StepOptions).
  const labelsOf = (f: Finding, prev?: Alert) => {
    const kept: Record<string, string> = {};
    for (const k of Object.keys(extra)) {
      const v = prev?.labels[k] ?? extra[k];
      if (v) kept[k] = v;
    }
    return { ...kept, ...alertLabels(cluster, f) };
  };
  const alerts: Record<string, Alert> = { ...state.alerts };
  const changes: AlertChange[] = [];
  const seen = new Set<string>();

  for (const f of findings) {
    const fp = alertFingerprint(cluster, f.rule, f.subject);
    if (seen.has(fp)) continue; // evaluateRules dedupes; be safe with hand-made lists
    seen.add(fp);
    const prev = alerts[fp];
    const content = { summary: f.summary, remedy: f.remedy, evidence: f.evidence, lastSeenAt: now, missed: 0 };
    const waitMs = forMs.get(f.rule) ?? 0;

    if (!prev || prev.state === 'resolved') {
      const a: Alert = {
        fingerprint: fp,
        cluster,
        rule: f.rule,
        subject: f.subject,
        severity: f.severity,
        labels: labelsOf(f),
        state: 'pending',
        activeAt: now,
        firingAt: null,
        resolvedAt: null,
        lowerSeen: 0,
        lowerSince: null,
        ...content,
      };
      if (waitMs <= 0) {
        a.state = 'firing';
        a.firingAt = now;
        changes.push({ type: 'firing', alert: a, at: now });
      }
      alerts[fp] = a;
      continue;
    }

    if (prev.state === 'pending') {
      const a: Alert = { ...prev, ...content, severity: f.severity, labels: labelsOf(f, prev) };
      if (now - a.activeAt >= waitMs) {
        a.state = 'firing';
        a.firingAt = now;
        changes.push({ type: 'firing', alert: a, at: now });
      }
      alerts[fp] = a;
      continue;
    }

    // firing
    const a: Alert = { ...prev, ...content };
    const diff = SEVERITY_RANK[f.severity] - SEVERITY_RANK[prev.severity];
    if (diff < 0) {
      Object.assign(a, { severity: f.severity, labels: labelsOf(f, prev), lowerSeen: 0, lowerSince: null });
      changes.push({ type: 'severity', alert: a, previousSeverity: prev.severity, at: now });
    } else if (diff > 0) {
      a.lowerSeen = prev.lowerSeen + 1;
      a.lowerSince = prev.lowerSince ?? now;
      if (a.lowerSeen >= resolveAfter && now - a.lowerSince >= resolveAfterMs) {
        Object.assign(a, { severity: f.severity, labels: labelsOf(f, prev), lowerSeen: 0, lowerSince: null });
        changes.push({ type: 'severity', alert: a, previousSeverity: prev.severity, at: now });
      }
    } else {
      a.lowerSeen = 0;
      a.lowerSince = null;
    }
    alerts[fp] = a;
  }

  const resolved: AlertChange[] = [];
  for (const [fp, prev] of Object.entries(state.alerts)) {
    if (seen.has(fp) || prev.cluster !== cluster) continue;
    if (only && !only.has(prev.rule)) continue;
    if (options.unknown?.(prev.rule, prev.subject)) continue;
    if (prev.state !== 'firing') {
      delete alerts[fp];
      continue;
    }
    const missed = prev.missed + 1;
    if (missed >= resolveAfter && now - prev.lastSeenAt >= resolveAfterMs) {
      delete alerts[fp];
      resolved.push({ type: 'resolved', alert: { ...prev, missed, state: 'resolved', resolvedAt: now }, at: now });
    } else {
      alerts[fp] = { ...prev, missed };
    }
  }
  resolved.sort((x, y) => (x.alert.fingerprint < y.alert.fingerprint ? -1 : 1));
  return { state: { alerts }, changes: [...changes, ...resolved] };
}

/**
 * A saved alert state made to fit `cluster`, the configured name it is now keyed by.
 * Alerts saved under another cluster label (an older warren keyed them by the broker's
 * cluster name once it was known) would never be judged again and so never resolve: they
 * are resolved now, with the labels they were sent with, and raised again under the
 * configured name if their condition still holds.
 */
export function adoptAlertState(state: AlertState, cluster: string, now: number): { state: AlertState; changes: AlertChange[] } {
  const alerts: Record<string, Alert> = {};
  const changes: AlertChange[] = [];
  for (const [fp, a] of Object.entries(state.alerts ?? {})) {
    if (a.cluster === cluster && a.fingerprint === fp) alerts[fp] = a;
    else if (a.state === 'firing') changes.push({ type: 'resolved', alert: { ...a, state: 'resolved', resolvedAt: now }, at: now });
  }
  changes.sort((x, y) => (x.alert.fingerprint < y.alert.fingerprint ? -1 : 1));
  return { state: { alerts }, changes };
}

/** Firing alerts (with `includePending`, pending ones too), worst first. */
export function activeAlerts(state: AlertState, opts: { cluster?: string; includePending?: boolean } = {}): Alert[] {
  return Object.values(state.alerts)
    .filter((a) => (a.state === 'firing' || (opts.includePending && a.state === 'pending')) && (opts.cluster === undefined || a.cluster === opts.cluster))
    .sort(
      (a, b) =>
        SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
        (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) ||
        (a.fingerprint < b.fingerprint ? -1 : 1),
    );
}
