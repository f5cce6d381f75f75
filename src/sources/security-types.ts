// What the broker (and the TLS listeners) said about security, typed: listeners,
// authentication attempts, what warren may see of users and permissions, and the
// certificates of the TLS listeners. The Snapshot carries it as one optional field group
// (src/snapshot/security.ts re-exports these types for the later stages).

/** A listener from /api/overview `listeners`, with its real bind address. */
export interface ListenerInfo {
  node: string;
  /** amqp, amqp/ssl, http, https, http/prometheus, https/prometheus, clustering, mqtt, ... */
  protocol: string;
  /**
   * The address it is bound to. 3.10 reports `ip_address "::"` for an HTTP listener bound
   * to 127.0.0.1; the real one is then `socket_opts.ip`, which this holds.
   */
  address: string;
  port: number;
  tls: boolean;
}

/** Cumulative counters of one node and protocol since the node started (/api/auth/attempts/{node}). */
export interface AuthAttemptCount {
  node: string;
  /** amqp091, http, mqtt, stomp, ... as the broker names it. */
  protocol: string;
  attempts: number;
  failed: number;
  succeeded: number;
}

/** The same per source address and user name, where the broker tracks them (`/source`). */
export interface AuthSourceCount {
  node: string;
  protocol: string;
  address: string;
  user: string;
  attempts: number;
  failed: number;
}

/** A user's permissions in one vhost (/api/permissions, administrator only). */
export interface PermissionInfo {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

/** The peer certificate a TLS listener presented to warren, or why none could be read. */
export interface CertificateInfo {
  node: string;
  protocol: string;
  port: number;
  /** Where warren connected (host:port). */
  endpoint: string;
  /** `CN=...` style subject; '' when no certificate was read. */
  subject: string;
  issuer: string;
  /** notAfter, ms epoch; null when no certificate was read. */
  notAfter: number | null;
  /** Whether the chain verified against the configured trust (the expiry is read either way). */
  verified: boolean;
  /** Why no certificate (or no verified one) was read, '' when none. */
  error: string;
  /** When warren read it, ms epoch. */
  readAt: number;
}

export interface SecurityInfo {
  /** The user warren logs in as: in use by warren itself, whatever its connections say. */
  self: string;
  listeners: readonly ListenerInfo[];
  /** null when the broker gave none (older broker, or the request failed). */
  authAttempts: readonly AuthAttemptCount[] | null;
  /** Per source; empty when the broker does not track sources (track_auth_attempt_source off). */
  authSources: readonly AuthSourceCount[] | null;
  /**
   * Whether warren could list users and permissions (needs the administrator tag).
   * null until it has asked.
   */
  usersVisible: boolean | null;
  /** null when not visible (or not asked yet). */
  permissions: readonly PermissionInfo[] | null;
  /** The TLS listeners' certificates, as last read (the reader runs with the slow tier). */
  certificates: readonly CertificateInfo[];
  /**
   * warren's own requests in this poll that the broker refused (401/403). On 3.10 each one
   * counts as a failed HTTP login, so authentication-failures discounts them.
   */
  ownRefusals: number;
}
