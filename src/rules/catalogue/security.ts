// Security rules: authentication failures, listeners without TLS, expiring certificates,
// and how OpenStack services use their broker accounts. They read Snapshot.security
// (src/sources/security.ts). A check that needs what warren may not see (users and
// their tags need the administrator tag) does not fire; the report says it is unknown.
import type { AuthAttemptCount, AuthSourceCount, CertificateInfo, ListenerInfo, Sample, Snapshot } from '../../snapshot/index.js';
import { sampleOf, samplesIn } from '../../snapshot/index.js';
import { fmtDuration, fmtInt, listSome, plural } from '../../format.js';
import type { Finding, RuleContext } from '../types.js';
import { clusterSubject, defineRule, windowBase } from '../helpers.js';

const DAY_MS = 86_400_000;

/** Why a security rule cannot judge this Snapshot, or null when it can. */
export function securityUnknown(rule: string, s: Snapshot): string | null {
  const sec = s.security;
  if (!sec) return 'unknown: not collected';
  switch (rule) {
    case 'authentication-failures':
      return sec.authAttempts === null ? 'unknown: the broker did not report authentication attempts (/api/auth/attempts, RabbitMQ 3.8.10 and later)' : null;
    case 'administrator-user-in-use':
    case 'unused-user':
    case 'guest-user-enabled':
      return sec.usersVisible === true && s.users !== null ? null : NEEDS_ADMINISTRATOR;
    default:
      return null;
  }
}

export const NEEDS_ADMINISTRATOR = 'unknown: needs the administrator tag';

/** The security rules, in the order the report lists them, with the tag each needs. */
export const SECURITY_RULES: ReadonlyArray<{ id: string; needs: 'monitoring' | 'administrator' }> = [
  { id: 'authentication-failures', needs: 'monitoring' },
  { id: 'listener-without-tls', needs: 'monitoring' },
  { id: 'tls-certificate-expiring', needs: 'monitoring' },
  { id: 'administrator-user-in-use', needs: 'administrator' },
  { id: 'shared-service-user', needs: 'monitoring' },
  { id: 'unused-user', needs: 'administrator' },
  { id: 'guest-user-enabled', needs: 'administrator' },
];

// ---- authentication-failures --------------------------------------------------------

interface NodeFailures {
  failed: number;
  byProtocol: Record<string, number>;
  sources: Array<{ address: string; user: string; protocol: string; failed: number }>;
}

/**
 * Failed attempts per node across the window: the counters now minus the counters at the
 * window's base. Without a base (the first poll, a one-sample report) nothing is judged:
 * the counters run since the node started and hold anyone's failures, warren's own
 * refused requests of other runs included. warren's refused requests within the window
 * (each a failed HTTP login on 3.10) are taken off `http`.
 */
export function failuresInWindow(ctx: RuleContext, windowSeconds: number): Map<string, NodeFailures> {
  const cur = ctx.snapshot;
  const now = cur.security?.authAttempts;
  const out = new Map<string, NodeFailures>();
  if (!now) return out;
  const base = windowBase(ctx, windowSeconds);
  const before = base?.security?.authAttempts ?? null;
  const key = (a: { node: string; protocol: string }) => `${a.node}\u0000${a.protocol}`;
  const baseCounts = new Map((before ?? []).map((a) => [key(a), a.failed]));
  const baseNodes = new Set((before ?? []).map((a) => a.node));
  const own = ownRefusals(ctx, base);

  for (const a of now as readonly AuthAttemptCount[]) {
    // A node missing from the base (it just joined) is judged from the next poll on.
    if (!baseNodes.has(a.node)) continue;
    const b = baseCounts.get(key(a)) ?? 0;
    // A counter that went down was reset (node restart): all of it is new.
    let failed = a.failed >= b ? a.failed - b : a.failed;
    if (a.protocol === 'http') failed = Math.max(0, failed - own);
    if (failed <= 0) continue;
    const n = out.get(a.node) ?? { failed: 0, byProtocol: {}, sources: [] };
    n.failed += failed;
    n.byProtocol[a.protocol] = (n.byProtocol[a.protocol] ?? 0) + failed;
    out.set(a.node, n);
  }
  const srcKey = (s: AuthSourceCount) => `${s.node}\u0000${s.protocol}\u0000${s.address}\u0000${s.user}`;
  const baseSources = new Map((base?.security?.authSources ?? []).map((s) => [srcKey(s), s.failed]));
  for (const s of cur.security?.authSources ?? []) {
    const n = out.get(s.node);
    if (!n) continue;
    const b = baseSources.get(srcKey(s)) ?? 0;
    const failed = s.failed >= b ? s.failed - b : s.failed;
    if (failed > 0) n.sources.push({ address: s.address, user: s.user, protocol: s.protocol, failed });
  }
  for (const n of out.values()) n.sources.sort((a, b) => b.failed - a.failed);
  return out;
}

/**
 * warren's refused requests that may fall in the window: every poll from the base's on
 * (the base poll's own may have come after its counters were read). An upper bound, so
 * warren never alerts on itself.
 */
function ownRefusals(ctx: RuleContext, base: Sample | undefined): number {
  const from = base?.takenAt ?? -Infinity;
  let n = 0;
  const seen = new Set<Sample>();
  for (const s of [...samplesIn(ctx.history), sampleOf(ctx.snapshot)]) {
    if (s.takenAt < from || seen.has(s)) continue;
    seen.add(s);
    n += s.security?.ownRefusals ?? 0;
  }
  return n;
}

export const authenticationFailures = defineRule({
  id: 'authentication-failures',
  notInPromql: "the broker's counters do not tell warren's own refused requests apart, which warren discounts",
  severity: 'warning',
  forSeconds: 0,
  description: '≥ 10 failed authentication attempts in 5 min on a node (critical ≥ 100)',
  remedy:
    'Find who fails: `rabbitmqctl list_auth_attempts --by-source` (with `track_auth_attempt_source = true`) or the node log ("invalid credentials", "user ... authentication failed"). ' +
    'A service with a stale password after a rotation fixes itself once its config (transport_url) is corrected and the service restarted; an unknown source is blocked at the firewall and the targeted account given a new password.',
  defaults: { warning: 10, critical: 100, windowSeconds: 300 },
  check({ ctx, thresholds, finding }) {
    const t = thresholds();
    if (!t) return [];
    const out: Finding[] = [];
    for (const [node, f] of failuresInWindow(ctx, t.windowSeconds)) {
      if (f.failed < t.warning) continue;
      const protocols = Object.entries(f.byProtocol)
        .sort((a, b) => b[1] - a[1])
        .map(([p, n]) => `${p}: ${fmtInt(n)}`);
      const sources = f.sources.map((s) => `${s.address || '?'}${s.user ? ` as ${s.user}` : ''} (${fmtInt(s.failed)})`);
      const users = [...new Set(f.sources.map((s) => s.user).filter((u) => u !== ''))];
      const addresses = [...new Set(f.sources.map((s) => s.address).filter((a) => a !== ''))];
      out.push(
        finding(
          { kind: 'node', name: node },
          `${plural(f.failed, 'failed authentication attempt')} on ${node} in the last ${fmtDuration(t.windowSeconds)} (${protocols.join(', ')})` +
            (sources.length ? `, from ${listSome(sources)}` : ''),
          { failed: f.failed, windowSeconds: t.windowSeconds, byProtocol: f.byProtocol, sources: f.sources, users, addresses },
          { severity: f.failed >= t.critical ? 'critical' : 'warning' },
        ),
      );
    }
    return out;
  },
});

// ---- listener-without-tls -----------------------------------------------------------

/** Plain listeners the guide wants behind TLS: AMQP and the management API. */
const PLAIN_PROTOCOLS = new Set(['amqp', 'http']);

export function isLoopback(address: string): boolean {
  const a = address.toLowerCase();
  return a === 'localhost' || a === '::1' || /^127\./.test(a) || /^::ffff:127\./.test(a);
}

function describeListener(l: Pick<ListenerInfo, 'protocol' | 'address' | 'port'>): string {
  return `${l.protocol} on ${l.address.includes(':') ? `[${l.address}]` : l.address || '*'}:${l.port}`;
}

export const listenerWithoutTls = defineRule({
  id: 'listener-without-tls',
  notInPromql: 'listeners are not exported as metrics',
  severity: 'info',
  forSeconds: 0,
  description: 'an AMQP or management listener without TLS on a non-loopback address',
  remedy:
    'Credentials and messages cross the network in clear text. Add TLS listeners (`listeners.ssl.default = 5671`, `management.ssl.port = 15671` with `ssl_options.cacertfile/certfile/keyfile`), ' +
    'move the services to `rabbit://...:5671/?ssl=1` (oslo.messaging `[oslo_messaging_rabbit] ssl = true`), then close the plain ports (`listeners.tcp = none`) or bind them to 127.0.0.1.',
  defaults: {},
  check({ ctx, thresholds, finding }) {
    if (!thresholds()) return [];
    const byNode = new Map<string, ListenerInfo[]>();
    for (const l of ctx.snapshot.security?.listeners ?? []) {
      if (l.tls || !PLAIN_PROTOCOLS.has(l.protocol) || isLoopback(l.address)) continue;
      const list = byNode.get(l.node) ?? [];
      list.push(l);
      byNode.set(l.node, list);
    }
    return [...byNode].map(([node, ls]) =>
      finding(
        { kind: 'node', name: node },
        `${node} accepts ${ls.map((l) => (l.protocol === 'http' ? 'management HTTP' : 'AMQP')).filter((v, i, a) => a.indexOf(v) === i).join(' and ')} without TLS: ${ls.map(describeListener).join(', ')}`,
        { listeners: ls.map((l) => ({ protocol: l.protocol, address: l.address, port: l.port })) },
      ),
    );
  },
});

// ---- tls-certificate-expiring -------------------------------------------------------

export const tlsCertificateExpiring = defineRule({
  id: 'tls-certificate-expiring',
  notInPromql: 'the certificate subject and listener details live with warren; the expiry itself is exported as warren_tls_certificate_expiry_timestamp_seconds',
  severity: 'warning',
  forSeconds: 0,
  description: "a TLS listener's certificate expires within 30 days (critical: 7 days, or expired)",
  remedy:
    'Issue a new certificate for the listener (same subjectAltName), put it where `ssl_options.certfile` (or `management.ssl.certfile`) points, ' +
    'and reload it without a restart: `rabbitmqctl eval "ssl:clear_pem_cache()."` (new connections use it). Check the clients trust its CA before the old one expires.',
  defaults: { warningDays: 30, criticalDays: 7 },
  check({ ctx, thresholds, finding }) {
    const t = thresholds();
    if (!t) return [];
    const byNode = new Map<string, Array<CertificateInfo & { notAfter: number }>>();
    for (const c of ctx.snapshot.security?.certificates ?? []) {
      if (c.notAfter === null || c.notAfter - ctx.now >= t.warningDays * DAY_MS) continue;
      const list = byNode.get(c.node) ?? [];
      list.push(c as CertificateInfo & { notAfter: number });
      byNode.set(c.node, list);
    }
    const out: Finding[] = [];
    for (const [node, certs] of byNode) {
      certs.sort((a, b) => a.notAfter - b.notAfter);
      const soonest = certs[0]!;
      const critical = soonest.notAfter - ctx.now < t.criticalDays * DAY_MS;
      const parts = certs.map((c) => `${c.protocol} port ${c.port} (${c.subject || 'no subject'}) ${expiryPhrase(c.notAfter, ctx.now)}`);
      out.push(
        finding({ kind: 'node', name: node }, `TLS certificate on ${node}: ${parts.join('; ')}`, {
          certificates: certs.map((c) => ({
            protocol: c.protocol,
            port: c.port,
            endpoint: c.endpoint,
            subject: c.subject,
            issuer: c.issuer,
            notAfter: new Date(c.notAfter).toISOString(),
            daysLeft: Math.floor((c.notAfter - ctx.now) / DAY_MS),
            verified: c.verified,
          })),
        }, { severity: critical ? 'critical' : 'warning' }),
      );
    }
    return out;
  },
});

/** "expires on 2026-12-02 (in 5 days)" or "expired on 2026-11-20 (7 days ago)". */
export function expiryPhrase(notAfter: number, now: number): string {
  const date = new Date(notAfter).toISOString().slice(0, 10);
  const left = notAfter - now;
  if (left <= 0) return `expired on ${date} (${fmtDuration(-left / 1000)} ago)`;
  return `expires on ${date} (in ${fmtDuration(left / 1000)})`;
}

// ---- how OpenStack services use their accounts --------------------------------------

/** OpenStack connections per user: services, and the binaries and hosts behind them. */
function serviceUsers(s: Snapshot): Map<string, { services: Set<string>; binaries: Set<string>; hosts: Set<string>; connections: number }> {
  const byUser = new Map<string, { services: Set<string>; binaries: Set<string>; hosts: Set<string>; connections: number }>();
  for (const c of s.connections) {
    if (!c.role.service || !c.user) continue;
    const u = byUser.get(c.user) ?? { services: new Set(), binaries: new Set(), hosts: new Set(), connections: 0 };
    u.services.add(c.role.service);
    if (c.role.binary) u.binaries.add(c.role.binary);
    if (c.role.host) u.hosts.add(c.role.host);
    u.connections++;
    byUser.set(c.user, u);
  }
  return byUser;
}

export const administratorUserInUse = defineRule({
  id: 'administrator-user-in-use',
  notInPromql: 'users, their tags and the user of each connection are not exported as metrics',
  severity: 'warning',
  forSeconds: 0,
  description: "an OpenStack service's connections use a user tagged administrator",
  remedy:
    "That user's password sits in every service's config file on every host, and with it anyone can read every queue, change permissions and delete users. " +
    'Create a user per service without tags (`rabbitmqctl add_user nova ...; rabbitmqctl set_permissions -p / nova ".*" ".*" ".*"`), move the service\'s transport_url to it, then remove the administrator tag or the password from the configs.',
  defaults: {},
  check({ ctx, thresholds, finding }) {
    const sec = ctx.snapshot.security;
    if (!sec || sec.usersVisible !== true || !ctx.snapshot.users) return [];
    const admins = new Set(ctx.snapshot.users.filter((u) => u.tags.includes('administrator')).map((u) => u.name));
    const byService = new Map<string, { users: Set<string>; binaries: Set<string>; hosts: Set<string>; connections: number }>();
    for (const c of ctx.snapshot.connections) {
      if (!c.role.service || !admins.has(c.user)) continue;
      const g = byService.get(c.role.service) ?? { users: new Set(), binaries: new Set(), hosts: new Set(), connections: 0 };
      g.users.add(c.user);
      if (c.role.binary) g.binaries.add(c.role.binary);
      if (c.role.host) g.hosts.add(c.role.host);
      g.connections++;
      byService.set(c.role.service, g);
    }
    const out: Finding[] = [];
    for (const [service, g] of byService) {
      if (!thresholds({ service })) continue;
      const users = [...g.users].sort();
      out.push(
        finding(
          { kind: 'service', name: service },
          `${service} authenticates as administrator user${users.length > 1 ? 's' : ''} ${users.map((u) => `"${u}"`).join(', ')}: ${plural(g.connections, 'connection')}` +
            (g.binaries.size ? ` of ${listSome([...g.binaries].sort())}` : '') +
            (g.hosts.size ? ` on ${listSome([...g.hosts].sort())}` : ''),
          { users, binaries: [...g.binaries].sort(), hosts: [...g.hosts].sort(), connections: g.connections },
          { labels: { service } },
        ),
      );
    }
    return out;
  },
});

export const sharedServiceUser = defineRule({
  id: 'shared-service-user',
  notInPromql: 'the user of each connection is not exported as a metric',
  severity: 'info',
  forSeconds: 0,
  description: 'several OpenStack services use one user',
  remedy:
    'One leaked config file then opens every service\'s queues, and no permission can tell the services apart. Give each service its own user (and vhost where possible): ' +
    '`rabbitmqctl add_user neutron ...; rabbitmqctl set_permissions -p / neutron ".*" ".*" ".*"`, and point that service\'s transport_url at it.',
  defaults: { services: 2 },
  check({ ctx, thresholds, finding }) {
    const t = thresholds();
    if (!t) return [];
    const shared = [...serviceUsers(ctx.snapshot)].filter(([, u]) => u.services.size >= t.services).sort(([a], [b]) => (a < b ? -1 : 1));
    if (shared.length === 0) return [];
    const parts = shared.map(([user, u]) => `"${user}" by ${[...u.services].sort().join(', ')}`);
    return [
      finding(clusterSubject(ctx.snapshot), `${shared.length === 1 ? 'One user is' : `${shared.length} users are`} shared by several OpenStack services: ${listSome(parts)}`, {
        users: shared.map(([user, u]) => ({ user, services: [...u.services].sort(), binaries: [...u.binaries].sort(), connections: u.connections })),
      }),
    ];
  },
});

export const unusedUser = defineRule({
  id: 'unused-user',
  notInPromql: 'users and when each was last seen are not exported as metrics',
  severity: 'info',
  forSeconds: 0,
  description: 'a user with no connection seen for 30 days',
  remedy:
    'An account nobody uses is a password nobody rotates. Check it is not used by a job that connects rarely, then delete it (`rabbitmqctl delete_user NAME`) or at least change its password.',
  defaults: { days: 30 },
  check({ ctx, thresholds, finding }) {
    const t = thresholds();
    const sec = ctx.snapshot.security;
    const seen = ctx.learned.users;
    if (!t || !sec || sec.usersVisible !== true || !seen || !ctx.snapshot.users) return [];
    const span = t.days * DAY_MS;
    const inUse = new Set(ctx.snapshot.connections.map((c) => c.user));
    const unused: Array<{ user: string; lastSeen: string | null; knownSince: string }> = [];
    for (const u of ctx.snapshot.users) {
      const s = seen[u.name];
      // A user first seen less than `days` ago is not judged: warren cannot know its past.
      if (!s || ctx.now - s.firstSeen < span || inUse.has(u.name) || u.name === sec.self) continue;
      if (s.lastSeen !== null && ctx.now - s.lastSeen < span) continue;
      unused.push({ user: u.name, lastSeen: s.lastSeen === null ? null : new Date(s.lastSeen).toISOString(), knownSince: new Date(s.firstSeen).toISOString() });
    }
    if (unused.length === 0) return [];
    unused.sort((a, b) => (a.user < b.user ? -1 : 1));
    return [
      finding(
        clusterSubject(ctx.snapshot),
        `${plural(unused.length, 'user')} had no connection for ${t.days} days or more: ${listSome(unused.map((u) => `"${u.user}"`))}`,
        { users: unused, days: t.days },
      ),
    ];
  },
});
