// Reads the certificate each TLS listener presents: a TLS handshake and nothing more (no
// AMQP header, no HTTP request), then the socket is closed. The chain is checked against
// the cluster's `tls` settings, but the certificate is read whether it verifies or not:
// an expired or self-signed certificate is exactly what the expiry check must see.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { TlsConfig } from '../config/index.js';
import type { CertificateInfo, ListenerInfo } from './security-types.js';

export interface CertificateReadOptions {
  tls?: TlsConfig | undefined;
  timeoutMs: number;
  now: () => number;
  signal?: AbortSignal | undefined;
}

/** What one handshake gave: the peer certificate's fields, and whether its chain verified. */
export interface PeerCertificateRead {
  subject: string;
  issuer: string;
  notAfter: number | null;
  verified: boolean;
  error: string;
}

/**
 * The hosts to try for a listener, best first. A listener bound to one address is reached
 * there (a loopback address only from the broker's own host, so the management URL's host
 * is tried after it); a wildcard one at its node's host name, then the management URL's host.
 */
export function listenerHosts(listener: ListenerInfo, mgmtUrl: string): string[] {
  const urlHost = hostOfUrl(mgmtUrl);
  const nodeHost = listener.node.includes('@') ? listener.node.slice(listener.node.indexOf('@') + 1) : '';
  const wildcard = listener.address === '' || listener.address === '::' || listener.address === '0.0.0.0';
  const hosts = wildcard ? [nodeHost, urlHost] : [listener.address, urlHost];
  return [...new Set(hosts.filter((h) => h !== ''))];
}

function hostOfUrl(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return '';
  }
}

/** One certificate per TLS listener; listeners are read in parallel (there are a handful). */
export async function readListenerCertificates(listeners: readonly ListenerInfo[], mgmtUrl: string, o: CertificateReadOptions): Promise<CertificateInfo[]> {
  const trust = trustOf(o.tls);
  return Promise.all(
    listeners
      .filter((l) => l.tls && Number.isInteger(l.port) && l.port > 0 && l.port < 65536)
      .map(async (l): Promise<CertificateInfo> => {
        let last: { endpoint: string; read: PeerCertificateRead } | null = null;
        for (const host of listenerHosts(l, mgmtUrl)) {
          const read = await readPeerCertificate(host, l.port, trust, o);
          last = { endpoint: endpointOf(host, l.port), read };
          if (read.notAfter !== null) break;
        }
        const read = last?.read ?? { subject: '', issuer: '', notAfter: null, verified: false, error: 'no address to connect to' };
        return { node: l.node, protocol: l.protocol, port: l.port, endpoint: last?.endpoint ?? '', ...read, readAt: o.now() };
      }),
  );
}

function endpointOf(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export interface Trust {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

function trustOf(tls: TlsConfig | undefined): Trust {
  const t: Trust = {};
  try {
    if (tls?.caFile) t.ca = readFileSync(tls.caFile);
    // A listener that demands a client certificate (fail_if_no_peer_cert) still shows its own
    // first under TLS 1.3, but a TLS 1.2 one aborts before: present warren's if it has one.
    if (tls?.certFile && tls.keyFile) {
      t.cert = readFileSync(tls.certFile);
      t.key = readFileSync(tls.keyFile);
    }
  } catch {
    // The files were checked at load time; if they vanished, read without them (unverified).
  }
  return t;
}

/** A handshake with host:port; never throws. */
export function readPeerCertificate(host: string, port: number, trust: Trust, o: CertificateReadOptions): Promise<PeerCertificateRead> {
  return new Promise((resolve) => {
    let socket: TLSSocket | null = null;
    let done = false;
    const finish = (r: PeerCertificateRead) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      socket?.destroy();
      resolve(r);
    };
    const fail = (error: string) => finish({ subject: '', issuer: '', notAfter: null, verified: false, error });
    const onAbort = () => fail('stopped');
    const timer = setTimeout(() => fail(`no TLS handshake within ${Math.round(o.timeoutMs / 1000)} s`), o.timeoutMs);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      socket = connect({
        host,
        port,
        ...(isIP(host) === 0 ? { servername: host } : {}),
        ...trust,
        // Verification is judged below, not enforced: the certificate must be read either way.
        rejectUnauthorized: false,
      });
    } catch (err) {
      fail((err as Error).message);
      return;
    }
    socket.once('secureConnect', () => {
      const s = socket!;
      const cert = s.getPeerCertificate(false);
      if (!cert || Object.keys(cert).length === 0) {
        fail('the listener presented no certificate');
        return;
      }
      const notAfter = Date.parse(cert.valid_to);
      const authError = s.authorizationError ? String(s.authorizationError) : '';
      finish({
        subject: formatName(cert.subject),
        issuer: formatName(cert.issuer),
        notAfter: Number.isFinite(notAfter) ? notAfter : null,
        verified: s.authorized,
        error: authError,
      });
    });
    socket.once('error', (err: Error & { code?: string }) => fail(err.code ? `${err.code}: ${err.message}` : err.message));
  });
}

/** `{ CN: 'a', O: 'b' }` -> `CN=a, O=b`. */
function formatName(name: PeerCertificate['subject'] | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
}
