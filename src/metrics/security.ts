// The security families: the broker's authentication counters per node and protocol, and
// the expiry of each TLS listener's certificate as warren read it.
import type { Snapshot } from '../snapshot/index.js';
import type { ExpositionWriter } from './exposition.js';

export function declareSecurity(w: ExpositionWriter): void {
  w.family('rabbitmq_auth_attempts_total', 'counter', 'Authentication attempts per node and protocol, since the node started.')
    .family('rabbitmq_auth_attempts_failed_total', 'counter', 'Failed authentication attempts per node and protocol, since the node started.')
    .family('warren_tls_certificate_expiry_timestamp_seconds', 'gauge', "When a TLS listener's certificate expires (notAfter), Unix seconds, as warren read it.");
}

export function renderSecurity(w: ExpositionWriter, cluster: string, s: Snapshot): void {
  const sec = s.security;
  if (!sec) return;
  for (const a of sec.authAttempts ?? []) {
    const labels = { cluster, node: a.node, protocol: a.protocol };
    w.sample('rabbitmq_auth_attempts_total', labels, a.attempts);
    w.sample('rabbitmq_auth_attempts_failed_total', labels, a.failed);
  }
  for (const c of sec.certificates) {
    if (c.notAfter === null) continue;
    w.sample('warren_tls_certificate_expiry_timestamp_seconds', { cluster, node: c.node, protocol: c.protocol, port: String(c.port) }, Math.floor(c.notAfter / 1000));
  }
}
