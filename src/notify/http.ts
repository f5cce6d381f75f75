// The one HTTP call notifiers make: POST a JSON body, with a deadline. Credentials in a
// receiver URL (`https://user:pass@am.example:9093`) become an Authorization header and
// never appear in a log line, an error message or a metric label.
import { request } from 'undici';
import { redactUrls } from '../redact.js';

/** A delivery that may succeed later (network error, timeout, 5xx, 408, 429): retry with backoff. */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A delivery the receiver refused for good (other 4xx): retrying the same body cannot help. */
export class PermanentDeliveryError extends DeliveryError {
  override name = 'PermanentDeliveryError';
}

export interface PostOptions {
  timeoutMs: number;
  headers?: Record<string, string>;
}

/** POST `body` as JSON. Resolves on 2xx; throws DeliveryError or PermanentDeliveryError. */
export async function postJson(url: string, body: unknown, opts: PostOptions): Promise<void> {
  const { target, authorization } = splitCredentials(url);
  const where = redactUrls(url);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(opts.headers ?? {}) };
  if (authorization) headers.authorization = authorization;
  let res;
  try {
    res = await request(target, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { code?: string };
    const reason = e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${opts.timeoutMs} ms` : (e.code ?? e.message);
    throw new DeliveryError(`POST ${where} failed: ${redactUrls(String(reason))}`);
  }
  let text = '';
  try {
    text = await res.body.text();
  } catch {
    // the status is what matters
  }
  const status = res.statusCode;
  if (status >= 200 && status < 300) return;
  const detail = text.trim().slice(0, 200).replace(/\s+/g, ' ');
  const message = `POST ${where} answered ${status}${detail ? `: ${redactUrls(detail)}` : ''}`;
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) throw new PermanentDeliveryError(message, status);
  throw new DeliveryError(message, status);
}

function splitCredentials(url: string): { target: string; authorization: string | null } {
  const u = new URL(url);
  if (!u.username && !u.password) return { target: url, authorization: null };
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return { target: u.toString(), authorization: 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64') };
}
