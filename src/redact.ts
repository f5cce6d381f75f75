// Keeping secrets out of what people see: log lines, error messages, findings, reports
// (they get pasted into tickets), alert labels and the state file. A root-level helper:
// any stage may import it, it imports no stage.

// `scheme://user:password@` at the start of a URL anywhere in a text. The userinfo
// runs to the first `@` before any `/` or white space.
const USERINFO = '([a-z][a-z0-9+.-]*:\\/\\/)[^/@\\s]*@';
const USERINFO_ANYWHERE = new RegExp(USERINFO, 'gi');
const USERINFO_AT_START = new RegExp(`^${USERINFO}`, 'i');

/**
 * Removes `user:password@` from every URL in a text: `https://a:b@am:9093/x` ->
 * `https://am:9093/x`. `mark` takes the userinfo's place, e.g. `***@` where the reader
 * should see that there was one.
 */
export function redactUrls(text: string, mark = ''): string {
  return text.replace(USERINFO_ANYWHERE, (_userinfo, scheme: string) => scheme + mark);
}

/** Whether a URL carries `user:password@`. */
export function hasUserinfo(url: string): boolean {
  return USERINFO_AT_START.test(url);
}

/** redactUrls, and every one of `secrets` (e.g. the configured password) replaced by `***`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let clean = redactUrls(text);
  for (const secret of secrets) if (secret) clean = clean.split(secret).join('***');
  return clean;
}

/** `scheme://host:port/path` without userinfo or query (a query may hold a token), for messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * pino's `redact` option. Credentials are never put in log objects; this catches one
 * that ever is.
 */
export const LOG_REDACTION = { paths: ['password', '*.password', 'authorization', '*.authorization'], censor: '[redacted]' };
