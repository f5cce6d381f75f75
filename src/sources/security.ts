// The security facts of one poll: listeners (from the /api/overview answer already in
// hand), authentication attempts per node (small; every poll), permissions (needs the
// administrator tag; slow tier, and only rarely once refused), and the TLS listeners'
// certificates (slow tier). Failures here never fail the poll: they leave the fact absent.
import type { ClusterConfig } from '../config/index.js';
import type {
  AuthAttemptCount,
  AuthSourceCount,
  CertificateInfo,
  ListenerInfo,
  PermissionInfo,
  SecurityInfo,
} from './security-types.js';
import { SourceError, type RequestCounter } from './http.js';
import { readListenerCertificates } from './tls-certificates.js';

/** What the security collector keeps between polls. */
export interface SecurityState {
  certificates: readonly CertificateInfo[];
  /** The TLS listeners the certificates were read for (node/protocol/port, joined). */
  certificatesFor: string;
  certificatesAt: number | null;
  usersVisible: boolean | null;
  permissions: readonly PermissionInfo[] | null;
  permissionsAt: number | null;
  /**
   * Whether the broker tracks attempts by source (track_auth_attempt_source): false once
   * /source answered empty while the node counters showed attempts. Then /source is
   * asked only with the slow tier, in case tracking was turned on.
   */
  sourceTracking: boolean | null;
}

export const initialSecurityState = (): SecurityState => ({
  certificates: [],
  certificatesFor: '',
  certificatesAt: null,
  usersVisible: null,
  permissions: null,
  permissionsAt: null,
  sourceTracking: null,
});

/**
 * Once /api/permissions was refused, it is asked again only this rarely: each refusal
 * counts as a failed HTTP login on the broker (3.10), so asking every inventory would
 * feed authentication-failures with warren's own requests.
 */
export const REFUSED_RETRY_MS = 6 * 3_600_000;

export interface SecurityCollectOptions {
  cfg: ClusterConfig;
  overviewJson: unknown;
  runningNodes: readonly string[];
  inventoryDue: boolean;
  api: (path: string) => Promise<unknown>;
  counter: RequestCounter;
  warnings: string[];
  now: () => number;
  signal?: AbortSignal | undefined;
}

export async function collectSecurity(
  state: SecurityState | undefined,
  o: SecurityCollectOptions,
): Promise<{ info: SecurityInfo; state: SecurityState }> {
  const prev = state ?? initialSecurityState();
  const now = o.now();
  const listeners = parseListeners(o.overviewJson);
  const tlsKey = listeners
    .filter((l) => l.tls)
    .map((l) => `${l.node}/${l.protocol}/${l.port}`)
    .sort()
    .join(',');
  const permissionsDue =
    o.inventoryDue &&
    (prev.usersVisible !== false || prev.permissionsAt === null || now - prev.permissionsAt >= REFUSED_RETRY_MS);
  const certificatesDue = tlsKey !== prev.certificatesFor || prev.certificatesAt === null || o.inventoryDue;

  const [attempts, permissions, certificates] = await Promise.all([
    authAttempts(o, prev.sourceTracking !== false || o.inventoryDue),
    permissionsDue ? readPermissions(o) : Promise.resolve(null),
    certificatesDue
      ? readListenerCertificates(listeners, o.cfg.url, { tls: o.cfg.tls, timeoutMs: Math.min(o.cfg.timeout, 10_000), now: o.now, signal: o.signal })
      : Promise.resolve(prev.certificates),
  ]);

  const next: SecurityState = {
    certificates,
    certificatesFor: tlsKey,
    certificatesAt: certificatesDue ? now : prev.certificatesAt,
    usersVisible: permissions ? permissions.visible : prev.usersVisible,
    permissions: permissions ? permissions.list : prev.permissions,
    permissionsAt: permissions ? now : prev.permissionsAt,
    sourceTracking: attempts.tracking ?? prev.sourceTracking,
  };
  const info: SecurityInfo = {
    self: o.cfg.user,
    listeners,
    authAttempts: attempts.counts,
    authSources: attempts.sources ?? (prev.sourceTracking === false ? [] : null),
    usersVisible: next.usersVisible,
    permissions: next.permissions,
    certificates,
    // Read last: every request of this poll has been answered by now.
    ownRefusals: o.counter.refused ?? 0,
  };
  return { info, state: next };
}

async function authAttempts(
  o: SecurityCollectOptions,
  askSources: boolean,
): Promise<{ counts: AuthAttemptCount[] | null; sources: AuthSourceCount[] | null; tracking: boolean | null }> {
  const counts: AuthAttemptCount[] = [];
  const sources: AuthSourceCount[] = [];
  let countsOk = false;
  let sourcesOk = false;
  await Promise.all(
    o.runningNodes.map(async (node) => {
      const base = `/api/auth/attempts/${encodeURIComponent(node)}`;
      const [c, s] = await Promise.all([soft(o, base), askSources ? soft(o, `${base}/source`) : Promise.resolve(undefined)]);
      if (c !== undefined) {
        countsOk = true;
        counts.push(...parseAuthAttempts(node, c));
      }
      if (s !== undefined) {
        sourcesOk = true;
        sources.push(...parseAuthSources(node, s));
      }
    }),
  );
  const tracking = !sourcesOk || !countsOk ? null : sources.length > 0 ? true : counts.some((c) => c.attempts > 0) ? false : null;
  return { counts: countsOk ? counts : null, sources: sourcesOk ? sources : null, tracking };
}

async function readPermissions(o: SecurityCollectOptions): Promise<{ visible: boolean; list: PermissionInfo[] | null } | null> {
  try {
    return { visible: true, list: parsePermissions(await o.api('/api/permissions')) };
  } catch (err) {
    if (err instanceof SourceError && (err.kind === 'forbidden' || err.kind === 'auth')) return { visible: false, list: null };
    o.warnings.push(`permissions not read: ${(err as Error).message}`);
    return null;
  }
}

/** An optional request: undefined (and a warning) when it fails. */
async function soft(o: SecurityCollectOptions, path: string): Promise<unknown> {
  try {
    return await o.api(path);
  } catch (err) {
    o.warnings.push(`authentication attempts not read: ${(err as Error).message}`);
    return undefined;
  }
}

// ---- parsing ----------------------------------------------------------------------

type Json = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter((x): x is Json => !!x && typeof x === 'object' && !Array.isArray(x)) : []);

const TLS_PROTOCOL = /ssl|tls|^https|^amqps/;

/** Whether a listener's protocol name says TLS (`amqp/ssl`, `https`, `https/prometheus`, `mqtt/ssl`, ...). */
export function isTlsProtocol(protocol: string): boolean {
  return TLS_PROTOCOL.test(protocol);
}

/** The listeners of /api/overview, each with its real bind address (see ListenerInfo.address). */
export function parseListeners(overview: unknown): ListenerInfo[] {
  const o = overview && typeof overview === 'object' && !Array.isArray(overview) ? (overview as Json) : {};
  return objects(o.listeners).map((l) => {
    const reported = str(l.ip_address);
    const opts = l.socket_opts && typeof l.socket_opts === 'object' && !Array.isArray(l.socket_opts) ? (l.socket_opts as Json) : {};
    const real = typeof opts.ip === 'string' && opts.ip !== '' ? opts.ip : reported;
    const protocol = str(l.protocol);
    return { node: str(l.node), protocol, address: real, port: num(l.port), tls: isTlsProtocol(protocol) };
  });
}

export function parseAuthAttempts(node: string, v: unknown): AuthAttemptCount[] {
  return objects(v).map((a) => ({
    node,
    protocol: str(a.protocol),
    attempts: num(a.auth_attempts),
    failed: num(a.auth_attempts_failed),
    succeeded: num(a.auth_attempts_succeeded),
  }));
}

export function parseAuthSources(node: string, v: unknown): AuthSourceCount[] {
  return objects(v).map((a) => ({
    node,
    protocol: str(a.protocol),
    address: str(a.remote_address),
    user: str(a.username),
    attempts: num(a.auth_attempts),
    failed: num(a.auth_attempts_failed),
  }));
}

export function parsePermissions(v: unknown): PermissionInfo[] {
  return objects(v).map((p) => ({ user: str(p.user), vhost: str(p.vhost), configure: str(p.configure), write: str(p.write), read: str(p.read) }));
}
