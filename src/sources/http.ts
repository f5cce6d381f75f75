import { readFileSync } from 'node:fs';
import { Agent, errors, request } from 'undici';
import { formatDuration, type TlsConfig } from '../config/index.js';
import { fmtBytes } from '../format.js';
import { describeUrl } from '../redact.js';

/** Why a broker request failed, with one line that says what to do. Never carries a password. */
export class SourceError extends Error {
  override name = 'SourceError';
  constructor(
    readonly kind: 'unreachable' | 'timeout' | 'auth' | 'forbidden' | 'http' | 'malformed' | 'too-large',
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Requests and bytes this poll: exported as warren_poll_requests / warren_poll_bytes, and how tests prove a scrape costs nothing. */
export interface RequestCounter {
  requests: number;
  bytes: number;
  /** Requests the broker refused (401/403): each is a failed HTTP login on 3.10 (see src/sources/security.ts). */
  refused?: number;
}

export interface HttpTargetOptions {
  user: string;
  password: string;
  timeoutMs: number;
  maxBodyBytes: number;
  tls?: TlsConfig | undefined;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** This request's deadline instead of the client's `timeoutMs` (the slow tier's listings). */
  timeoutMs?: number;
}

export interface HttpClient {
  /** GET an absolute URL and return the body as text; `auth` false for the unauthenticated plugin endpoint. */
  getText(url: string, counter: RequestCounter, opts?: RequestOptions & { auth?: boolean }): Promise<string>;
  getJson(url: string, counter: RequestCounter, opts?: RequestOptions): Promise<unknown>;
  /** Every request this client has made since it was created. */
  readonly lifetime: Readonly<RequestCounter>;
  close(): Promise<void>;
}

/** Keep-alive client for one cluster: at most two sockets per origin, per-request timeouts, a body-size cap. */
export function createHttpClient(o: HttpTargetOptions): HttpClient {
  const tls = o.tls;
  const dispatcher = new Agent({
    connections: 2,
    keepAliveTimeout: 60_000,
    headersTimeout: o.timeoutMs,
    bodyTimeout: o.timeoutMs,
    connect: {
      timeout: Math.min(o.timeoutMs, 10_000),
      ...(tls?.caFile ? { ca: readFileSync(tls.caFile) } : {}),
      ...(tls?.certFile ? { cert: readFileSync(tls.certFile) } : {}),
      ...(tls?.keyFile ? { key: readFileSync(tls.keyFile) } : {}),
      rejectUnauthorized: !(tls?.insecureSkipVerify ?? false),
    },
  });
  const authorization = 'Basic ' + Buffer.from(`${o.user}:${o.password}`).toString('base64');
  const lifetime: RequestCounter = { requests: 0, bytes: 0 };

  async function getText(url: string, counter: RequestCounter, opts: RequestOptions & { auth?: boolean } = {}): Promise<string> {
    const where = describeUrl(url);
    const timeoutMs = opts.timeoutMs ?? o.timeoutMs;
    counter.requests++;
    lifetime.requests++;
    let res;
    try {
      // No wall-clock deadline around this call: it would count the time spent queued behind the
      // other requests of the poll (two sockets), failing a broker that is merely slow. undici's
      // headersTimeout runs from the moment this request is written to its socket.
      res = await request(url, {
        dispatcher,
        method: 'GET',
        headers: {
          ...(opts.auth === false ? {} : { authorization }),
          accept: 'application/json, text/plain;q=0.9',
          // Loopback/LAN: gzip would cost the broker CPU for little gain.
          'accept-encoding': 'identity',
        },
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.timeoutMs !== undefined ? { headersTimeout: timeoutMs, bodyTimeout: timeoutMs } : {}),
      });
    } catch (err) {
      throw connectError(err, where, timeoutMs, 'headers');
    }
    const { statusCode, body } = res;
    // bodyTimeout bounds the gaps between chunks; this bounds the whole body (a broker dripping bytes).
    const bodyDeadline = setTimeout(() => body.destroy(new errors.BodyTimeoutError()), timeoutMs);
    try {
      if (statusCode !== 200) {
        if (statusCode === 401 || statusCode === 403) counter.refused = (counter.refused ?? 0) + 1;
        const text = await readCapped(body, 4096, counter, where).catch(() => '');
        throw statusError(statusCode, where, o.user, text);
      }
      const length = Number(res.headers['content-length'] ?? NaN);
      if (length > o.maxBodyBytes) {
        body.destroy();
        throw tooLarge(where, o.maxBodyBytes);
      }
      try {
        return await readCapped(body, o.maxBodyBytes, counter, where);
      } catch (err) {
        if (err instanceof SourceError) throw err;
        throw connectError(err, where, timeoutMs, 'body');
      }
    } finally {
      clearTimeout(bodyDeadline);
    }
  }

  return {
    getText,
    lifetime,
    async getJson(url, counter, opts = {}) {
      const text = await getText(url, counter, opts);
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        // Without the offset: the same fault then reads the same on every endpoint and every retry.
        const reason = (err as Error).message.split('\n')[0]!.replace(/ in JSON at position \d+.*$/, '').slice(0, 120);
        throw new SourceError('malformed', `${describeUrl(url)} answered malformed JSON (${reason}); a proxy in between or a broker fault is likely`);
      }
    },
    close: () => dispatcher.close(),
  };

  async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, cap: number, counter: RequestCounter, where: string): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      counter.bytes += chunk.length;
      lifetime.bytes += chunk.length;
      if (size > cap) {
        body.destroy();
        throw tooLarge(where, cap);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size).toString('utf8');
  }
}

function tooLarge(where: string, cap: number): SourceError {
  return new SourceError('too-large', `${where} sent more than ${fmtBytes(cap)} (maxBodyBytes); raise maxBodyBytes in the config if the broker is really that large`);
}

function connectError(err: unknown, where: string, timeoutMs: number, phase: 'headers' | 'body'): SourceError {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new SourceError('timeout', `${where} did not answer within ${formatDuration(timeoutMs)}; the broker may be overloaded (raise timeout in the config) or a firewall drops the traffic`);
  }
  if (code === 'ECONNREFUSED') {
    return new SourceError('unreachable', `cannot connect to ${where} (connection refused): is RabbitMQ running with the management plugin enabled (rabbitmq-plugins enable rabbitmq_management), and is --url right?`);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new SourceError('unreachable', `cannot resolve the host of ${where}: check --url`);
  }
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT') || code.includes('SIGNATURE')) {
    return new SourceError('unreachable', `TLS handshake with ${where} failed (${code}): ${tlsHint(code)}`);
  }
  if (phase === 'body' && (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_ABORTED')) {
    return new SourceError('unreachable', `${where} closed the connection in the middle of its answer (${code}); the broker restarting or a proxy in between is likely`);
  }
  if ((code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') && where.startsWith('https:')) {
    // A TLS 1.3 server that wants a client certificate completes the handshake, then hangs up.
    return new SourceError('unreachable', `${where} closed the TLS connection before answering (${code}); if it requires a client certificate, set tls.certFile and tls.keyFile to one its CA signed`);
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
    return new SourceError('unreachable', `${where} closed the connection before answering (${code}); if the listener uses TLS, use an https:// URL`);
  }
  return new SourceError('unreachable', `cannot reach ${where} (${code || e.message?.split('\n')[0] || 'unknown error'})`);
}

function tlsHint(code: string): string {
  if (code.includes('ALERT')) return "the broker refused warren's client certificate or its absence: set tls.certFile and tls.keyFile to a certificate its CA signed";
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return "the broker's certificate does not name this host: use a host name (or IP) from its subjectAltName in the URL";
  if (code.includes('WRONG_VERSION_NUMBER') || code.includes('PACKET_LENGTH')) return 'the port does not speak TLS: use an http:// URL, or the TLS listener\'s port';
  if (code.includes('EXPIRED') || code.includes('NOT_YET_VALID')) return "the broker's certificate is outside its validity period";
  return "set tls.caFile to the CA that signed the broker's certificate, or tls.insecureSkipVerify for a test";
}

function statusError(status: number, where: string, user: string, body: string): SourceError {
  // RabbitMQ answers 401 (not 403) when the login is right but the user's tags are not enough.
  const tag = /^Not (administrator|monitor|management|policymaker) user/i.exec(status === 401 || status === 403 ? safeReason(body) : '');
  if (tag) {
    const detail = `user "${user}" may not read ${where} (HTTP ${status}: ${tag[0]})`;
    return new SourceError(
      'forbidden',
      tag[1]!.toLowerCase() === 'administrator'
        ? `${detail}: only administrators may; warren does without it`
        : `${detail}: give it the monitoring tag (rabbitmqctl set_user_tags ${user} monitoring)`,
      status,
    );
  }
  if (status === 401) {
    return new SourceError('auth', `${where} refused the credentials of user "${user}" (HTTP 401): check --user and --password, --password-file or WARREN_PASSWORD`, status);
  }
  if (status === 403) {
    return new SourceError('forbidden', `user "${user}" may not read ${where} (HTTP 403): give it the monitoring tag (rabbitmqctl set_user_tags ${user} monitoring)`, status);
  }
  const reason = safeReason(body);
  return new SourceError('http', `${where} answered HTTP ${status}${reason ? ` (${reason})` : ''}`, status);
}

function safeReason(body: string): string {
  try {
    const j = JSON.parse(body) as { reason?: unknown; error?: unknown };
    const r = j.reason ?? j.error;
    return typeof r === 'string' ? r.slice(0, 160) : '';
  } catch {
    return body.replace(/\s+/g, ' ').trim().slice(0, 80);
  }
}
