// The report's Security section: one line per security check (its status, or why it is
// unknown: what warren may not see is never reported "ok"), the listeners, the TLS
// certificates and the authentication counters. Built from the last sample and the
// findings; rendered here for text, markdown and HTML (the JSON is the model itself).
import { SECURITY_RULES, securityUnknown, expiryPhrase } from '../rules/index.js';
import type { Finding } from '../rules/index.js';
import type { Snapshot } from '../snapshot/index.js';

export type SecurityCheckStatus = 'ok' | 'info' | 'warning' | 'critical' | 'unknown';

export interface SecurityCheck {
  rule: string;
  status: SecurityCheckStatus;
  /** The tag warren's user needs for this check. */
  needs: 'monitoring' | 'administrator';
  /** What was found, or why it is unknown. */
  detail: string;
}

export interface SecuritySection {
  checks: SecurityCheck[];
  /** The user warren logs in as, '' when unknown. */
  user: string;
  listeners: Array<{ node: string; protocol: string; address: string; port: number; tls: boolean }>;
  certificates: Array<{ node: string; protocol: string; port: number; subject: string; notAfter: string | null; verified: boolean; error: string }>;
  /** Cumulative counters since each node started, per protocol. */
  authAttempts: Array<{ node: string; protocol: string; attempts: number; failed: number }>;
}

const OK_DETAIL: Readonly<Record<string, string>> = {
  'authentication-failures': 'no burst of failed logins',
  'listener-without-tls': 'no plain AMQP or management listener on a non-loopback address',
  'tls-certificate-expiring': 'no TLS certificate expires within 30 days',
  'administrator-user-in-use': 'no OpenStack service uses an administrator user',
  'shared-service-user': 'each OpenStack service has its own user',
  'unused-user': 'no user unused for 30 days',
  'guest-user-enabled': 'no guest user',
};

export function buildSecurity(last: Snapshot | undefined, findings: readonly Finding[], now: number, samples = 1): SecuritySection {
  const sec = last?.security;
  const checks = SECURITY_RULES.map(({ id, needs }): SecurityCheck => {
    const found = findings.filter((f) => f.rule === id);
    if (found.length > 0) {
      const worst = found.some((f) => f.severity === 'critical') ? 'critical' : found.some((f) => f.severity === 'warning') ? 'warning' : 'info';
      return { rule: id, status: worst, needs, detail: found.length === 1 ? found[0]!.summary : `${found.length} findings; first: ${found[0]!.summary}` };
    }
    if (!last) return { rule: id, status: 'unknown', needs, detail: 'unknown: the broker could not be reached' };
    const why = securityUnknown(id, last);
    if (why) return { rule: id, status: 'unknown', needs, detail: why };
    if (id === 'authentication-failures' && samples < 2) {
      // The counters run since each node started: failures are counted between samples.
      return { rule: id, status: 'unknown', needs, detail: 'unknown from one sample: failures are counted between samples (report --sample)' };
    }
    if (id === 'tls-certificate-expiring') {
      const tls = sec?.listeners.filter((l) => l.tls) ?? [];
      if (tls.length === 0) return { rule: id, status: 'ok', needs, detail: 'no TLS listener to check' };
      const unread = sec?.certificates.filter((c) => c.notAfter === null) ?? [];
      if (unread.length > 0) return { rule: id, status: 'unknown', needs, detail: `unknown: no certificate read from ${unread.map((c) => `${c.protocol} port ${c.port} (${c.error || 'no answer'})`).join(', ')}` };
      const soonest = [...(sec?.certificates ?? [])].sort((a, b) => (a.notAfter ?? 0) - (b.notAfter ?? 0))[0];
      if (soonest?.notAfter != null) return { rule: id, status: 'ok', needs, detail: `the first certificate ${expiryPhrase(soonest.notAfter, now)}` };
    }
    if (id === 'unused-user') {
      // The last-seen history lives in the daemon's state; the report cannot tell 30 days from its samples.
      return { rule: id, status: 'unknown', needs, detail: 'unknown from the report: the daemon judges it after watching users for 30 days' };
    }
    return { rule: id, status: 'ok', needs, detail: OK_DETAIL[id] ?? 'ok' };
  });
  return {
    checks,
    user: sec?.self ?? '',
    listeners: (sec?.listeners ?? []).map((l) => ({ node: l.node, protocol: l.protocol, address: l.address, port: l.port, tls: l.tls })),
    certificates: (sec?.certificates ?? []).map((c) => ({
      node: c.node,
      protocol: c.protocol,
      port: c.port,
      subject: c.subject,
      notAfter: c.notAfter === null ? null : new Date(c.notAfter).toISOString(),
      verified: c.verified,
      error: c.error,
    })),
    authAttempts: (sec?.authAttempts ?? []).map((a) => ({ node: a.node, protocol: a.protocol, attempts: a.attempts, failed: a.failed })),
  };
}

// ---- renderers ----------------------------------------------------------------------

const WORD: Readonly<Record<SecurityCheckStatus, string>> = { ok: 'OK', info: 'INFO', warning: 'WARN', critical: 'CRIT', unknown: 'UNKNOWN' };

function listenerText(l: SecuritySection['listeners'][number]): string {
  return `${l.protocol} ${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}${l.tls ? ' (TLS)' : ''}`;
}

function certificateText(c: SecuritySection['certificates'][number]): string {
  if (c.notAfter === null) return `${c.protocol} port ${c.port} on ${c.node}: not read (${c.error || 'no answer'})`;
  return `${c.protocol} port ${c.port} on ${c.node}: ${c.subject || 'no subject'}, expires ${c.notAfter.slice(0, 10)}${c.verified ? '' : ' (chain not verified)'}`;
}

function attemptsText(s: SecuritySection): string {
  return s.authAttempts.map((a) => `${a.node} ${a.protocol}: ${a.failed} failed of ${a.attempts}`).join('; ');
}

/** Plain-text lines; `h` styles the heading. */
export function securityText(s: SecuritySection, h: (text: string) => string = (t) => t): string[] {
  const out = ['', h('SECURITY')];
  const width = Math.max(...s.checks.map((c) => c.rule.length));
  for (const c of s.checks) out.push(`  ${WORD[c.status].padEnd(7)} ${c.rule.padEnd(width)}  ${c.detail}`);
  if (s.listeners.length) out.push(`  Listeners: ${s.listeners.map(listenerText).join(', ')}`);
  for (const c of s.certificates) out.push(`  Certificate: ${certificateText(c)}`);
  if (s.authAttempts.length) out.push(`  Authentication since node start: ${attemptsText(s)}`);
  return out;
}

export function securityMarkdown(s: SecuritySection, text: (s: string) => string, code: (s: string) => string): string[] {
  const out = ['### Security', '', '| Check | Status | Needs | Detail |', '| --- | --- | --- | --- |'];
  for (const c of s.checks) out.push(`| ${code(c.rule)} | ${c.status === 'ok' ? 'ok' : `**${c.status}**`} | ${c.needs} | ${text(c.detail)} |`);
  out.push('');
  if (s.listeners.length) out.push(`Listeners: ${s.listeners.map((l) => code(listenerText(l))).join(', ')}.`, '');
  for (const c of s.certificates) out.push(`- Certificate: ${text(certificateText(c))}`);
  if (s.certificates.length) out.push('');
  if (s.authAttempts.length) out.push(`Authentication since node start: ${text(attemptsText(s))}.`, '');
  return out;
}

export function securityHtml(s: SecuritySection, esc: (s: string) => string): string {
  const out = ['<h3>Security</h3>', '<table class="security"><thead><tr><th>Check</th><th>Status</th><th>Needs</th><th>Detail</th></tr></thead><tbody>'];
  for (const c of s.checks) {
    const cls = c.status === 'critical' || c.status === 'warning' ? ' class="bad"' : c.status === 'unknown' ? ' class="muted"' : '';
    out.push(`<tr><td>${esc(c.rule)}</td><td${cls}>${esc(c.status)}</td><td>${esc(c.needs)}</td><td>${esc(c.detail)}</td></tr>`);
  }
  out.push('</tbody></table>');
  if (s.listeners.length) out.push(`<p>Listeners: ${esc(s.listeners.map(listenerText).join(', '))}</p>`);
  if (s.certificates.length) out.push(`<ul class="certificates">${s.certificates.map((c) => `<li>${esc(certificateText(c))}</li>`).join('')}</ul>`);
  if (s.authAttempts.length) out.push(`<p>Authentication since node start: ${esc(attemptsText(s))}</p>`);
  return out.join('\n');
}
