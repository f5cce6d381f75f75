// Delivery to the log: one structured line per alert change, always on (the log is the
// receiver that cannot be down); a mass failure's hundreds of changes of one rule are one line.
import type { Logger } from 'pino';
import type { AlertChange } from '../rules/index.js';
import { listSome, plural } from '../format.js';

export function logAlertChange(logger: Pick<Logger, 'error' | 'warn' | 'info'>, c: AlertChange): void {
  const a = c.alert;
  const fields = {
    event: 'alert',
    change: c.type,
    rule: a.rule,
    severity: a.severity,
    ...(c.previousSeverity ? { previousSeverity: c.previousSeverity } : {}),
    cluster: a.cluster,
    subject: a.subject,
    fingerprint: a.fingerprint,
    summary: a.summary,
  };
  const msg = c.type === 'resolved' ? `resolved: ${a.summary}` : c.type === 'severity' ? `${c.previousSeverity ?? '?'} -> ${a.severity}: ${a.summary}` : `${a.severity}: ${a.summary}`;
  if (c.type === 'resolved' || a.severity === 'info') logger.info(fields, msg);
  else if (a.severity === 'critical') logger.error(fields, msg);
  else logger.warn(fields, msg);
}

/** Changes of one rule, kind and severity logged one by one up to this many; beyond, one line with counts. */
export const LOG_EACH = 5;

/**
 * One line per change, except that a rule whose alerts change by the hundred in one
 * evaluation (a mass failure) gets one line for the lot: how many, and a few subjects.
 */
export function logAlertChanges(logger: Pick<Logger, 'error' | 'warn' | 'info'>, changes: readonly AlertChange[]): void {
  const groups = new Map<string, AlertChange[]>();
  for (const c of changes) {
    const k = `${c.type}\u0000${c.alert.rule}\u0000${c.alert.severity}\u0000${c.alert.cluster}`;
    const g = groups.get(k);
    if (g) g.push(c);
    else groups.set(k, [c]);
  }
  for (const g of groups.values()) {
    if (g.length <= LOG_EACH) {
      for (const c of g) logAlertChange(logger, c);
      continue;
    }
    const a = g[0]!.alert;
    const type = g[0]!.type;
    const names = g.map((c) => c.alert.subject.name);
    const fields = { event: 'alerts', change: type, rule: a.rule, severity: a.severity, cluster: a.cluster, count: g.length, subjects: names.slice(0, 20) };
    const what = type === 'resolved' ? 'resolved' : type === 'severity' ? `now ${a.severity}` : `firing (${a.severity})`;
    const msg = `${plural(g.length, `${a.rule} alert`)} ${what} on ${a.cluster}: ${listSome(names, 3)}`;
    if (type === 'resolved' || a.severity === 'info') logger.info(fields, msg);
    else if (a.severity === 'critical') logger.error(fields, msg);
    else logger.warn(fields, msg);
  }
}
