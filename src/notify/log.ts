// Delivery to the log: one structured line per alert change, always on (the log is the
// receiver that cannot be down).
import type { Logger } from 'pino';
import type { AlertChange } from '../rules/index.js';

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

export function logAlertChanges(logger: Pick<Logger, 'error' | 'warn' | 'info'>, changes: readonly AlertChange[]): void {
  for (const c of changes) logAlertChange(logger, c);
}
