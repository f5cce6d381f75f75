// kbudde's rabbitmq_exporter is configured by environment variables; `warren run` with
// no --config reads them the same way (its config.go and main.go), so a kbudde
// deployment switches by changing the program. The variables become a config document
// checked by the same schema as a file; flags still win over them.
import { readFileSync } from 'node:fs';

/** A kbudde variable with a bad value: one line naming it. */
export class KbuddeEnvError extends Error {
  override name = 'KbuddeEnvError';
}

/** kbudde variables warren has no counterpart for (named in one warning at start). */
const UNSUPPORTED = [
  'RABBIT_CONNECTION',
  'RABBIT_CAPABILITIES',
  'RABBIT_EXPORTERS',
  'OUTPUT_FORMAT',
  'EXCLUDE_METRICS',
  'INCLUDE_EXCHANGES',
  'SKIP_EXCHANGES',
  'ALIVENESS_VHOST',
  'MAX_QUEUES',
];

const LOG_LEVELS: Readonly<Record<string, string>> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  fatal: 'fatal',
  panic: 'fatal',
};

export interface KbuddeEnv {
  /** A config document (the file's shape): top-level keys and `defaults` for the cluster. */
  readonly document: Record<string, unknown>;
  /** The unsupported kbudde variables that are set, in one line; null when none are. */
  readonly warning: string | null;
}

function fileText(variable: string, path: string): string {
  try {
    // kbudde trims the file's contents.
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new KbuddeEnvError(`${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}); point it at a readable file`);
  }
}

function regex(variable: string, value: string): string {
  try {
    new RegExp(value);
  } catch {
    throw new KbuddeEnvError(`${variable}: "${value}" is not a regular expression; give one such as ^reply_`);
  }
  return value;
}

function wholeNumber(variable: string, value: string, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) > max) throw new KbuddeEnvError(`${variable}: got "${value}", expected ${what}`);
  return Number(value);
}

/**
 * The config document kbudde's variables describe. Empty variables count as unset, as in
 * kbudde. `skip` names keys the command line already sets (they win): a flag's password
 * must not lose to RABBIT_PASSWORD merged beneath it.
 */
export function kbuddeEnvConfig(env: NodeJS.ProcessEnv, skip: { password?: boolean } = {}): KbuddeEnv {
  const get = (k: string): string | undefined => (env[k] !== undefined && env[k] !== '' ? env[k] : undefined);
  const cluster: Record<string, unknown> = {};
  const doc: Record<string, unknown> = {};

  const url = get('RABBIT_URL');
  if (url !== undefined) {
    if (!/^https?:\/\/[^\s/]+/i.test(url)) throw new KbuddeEnvError(`RABBIT_URL: expected an http:// or https:// URL of the management API such as http://127.0.0.1:15672`);
    cluster.url = url;
  }
  const userFile = get('RABBIT_USER_FILE');
  const user = userFile !== undefined ? fileText('RABBIT_USER_FILE', userFile) : get('RABBIT_USER');
  if (user) cluster.user = user;
  if (!skip.password) {
    const passwordFile = get('RABBIT_PASSWORD_FILE');
    const password = passwordFile !== undefined ? fileText('RABBIT_PASSWORD_FILE', passwordFile) : get('RABBIT_PASSWORD');
    if (password) cluster.password = password;
  }
  const timeout = get('RABBIT_TIMEOUT');
  if (timeout !== undefined) cluster.timeout = `${wholeNumber('RABBIT_TIMEOUT', timeout, 'whole seconds such as 30', 7 * 86_400)}s`;

  const tls: Record<string, unknown> = {};
  const ca = get('CAFILE');
  const cert = get('CERTFILE');
  const key = get('KEYFILE');
  if (ca !== undefined) tls.caFile = ca;
  if (cert !== undefined) tls.certFile = cert;
  if (key !== undefined) tls.keyFile = key;
  const skipVerify = get('SKIPVERIFY');
  if (skipVerify !== undefined) {
    if (!/^(true|1|false|0)$/i.test(skipVerify)) throw new KbuddeEnvError(`SKIPVERIFY: got "${skipVerify}", expected true or false`);
    tls.insecureSkipVerify = /^(true|1)$/i.test(skipVerify);
  }
  if (Object.keys(tls).length) cluster.tls = tls;

  const filter = (include: string, exclude: string): Record<string, string> | null => {
    const i = get(include);
    const e = get(exclude);
    if (i === undefined && e === undefined) return null;
    return { ...(i !== undefined ? { include: regex(include, i) } : {}), ...(e !== undefined ? { exclude: regex(exclude, e) } : {}) };
  };
  const vhosts = filter('INCLUDE_VHOST', 'SKIP_VHOST');
  const queues = filter('INCLUDE_QUEUES', 'SKIP_QUEUES');
  if (vhosts) cluster.vhosts = vhosts;
  if (queues) cluster.queues = queues;

  const port = get('PUBLISH_PORT');
  const addr = get('PUBLISH_ADDR');
  if (port !== undefined || addr !== undefined) {
    const p = port !== undefined ? wholeNumber('PUBLISH_PORT', port, 'a port number such as 9419', 65535) : 9419;
    const host = addr ?? '0.0.0.0';
    doc.listen = `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${p}`;
  }
  const level = get('LOG_LEVEL');
  if (level !== undefined) {
    const mapped = LOG_LEVELS[level.toLowerCase()];
    if (!mapped) throw new KbuddeEnvError(`LOG_LEVEL: got "${level}", expected one of trace, debug, info, warn, error, fatal`);
    doc.logLevel = mapped;
  }
  if (Object.keys(cluster).length) doc.defaults = cluster;

  return { document: doc, warning: kbuddeEnvWarning(env) };
}

/** One line naming the kbudde variables set that warren does not support; null when none are. */
export function kbuddeEnvWarning(env: NodeJS.ProcessEnv): string | null {
  const unsupported = UNSUPPORTED.filter((k) => env[k] !== undefined && env[k] !== '');
  return unsupported.length ? `kbudde variables not supported by warren, ignored: ${unsupported.join(', ')}` : null;
}
