import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { parse as parseYaml } from 'yaml';
import type { ZodError } from 'zod';
import type { $ZodIssue as ZodIssue } from 'zod/v4/core';
import { hasUserinfo, redactUrls } from '../redact.js';
import { KbuddeEnvError, kbuddeEnvConfig } from './kbudde-env.js';
import { clusterSchema, fileSchema, openstackSchema } from './schema.js';
import type { ClusterConfig, OpenStackConfig, WarrenConfig, WebConfig } from './schema.js';

export type { ClusterConfig, WarrenConfig, RulesConfig, OpenStackConfig, TlsConfig, WebConfig, ProbeConfig, RpcPingConfig, ScheduleConfig } from './schema.js';
export { parseDuration, formatDuration } from './duration.js';

/** A configuration problem, phrased as one line that says what is wrong and how to fix it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}


/** Options that may come from the command line (all optional; the file and defaults fill the rest). */
export interface ConfigFlags {
  url?: string;
  user?: string;
  password?: string;
  passwordFile?: string;
  config?: string;
  /** Without --config, read kbudde rabbitmq_exporter's environment variables (`warren run`). */
  kbuddeEnv?: boolean;
  prometheusUrl?: string;
  listen?: string;
  interval?: string;
  alertmanagerUrl?: string[];
  webhookUrl?: string[];
  logLevel?: string;
  stateFile?: string;
}

/** The flag that sets each key, for messages about a value given on the command line. */
const FLAG_OF: Record<string, string> = {
  url: '--url',
  user: '--user',
  password: '--password',
  passwordFile: '--password-file',
  prometheusUrl: '--prometheus-url',
  interval: '--interval',
  listen: '--listen',
  logLevel: '--log-level',
  alertmanagerUrls: '--alertmanager-url',
  webhookUrls: '--webhook-url',
  stateFile: '--state-file',
};

export function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): WarrenConfig {
  const file = flags.config ? readConfigFile(flags.config) : flags.kbuddeEnv ? fromKbuddeEnv(flags, env) : {};
  const where = flags.config ? `config ${flags.config}` : Object.keys(file as object).length ? 'options and kbudde environment' : 'options';
  const parsedFile = fileSchema.safeParse(file);
  if (!parsedFile.success) throw new ConfigError(describeZodError(where, parsedFile.error, file));

  const fromFlags: Record<string, unknown> = {};
  if (flags.url !== undefined) fromFlags.url = flags.url;
  if (flags.user !== undefined) fromFlags.user = flags.user;
  if (flags.password !== undefined) fromFlags.password = flags.password;
  if (flags.passwordFile !== undefined) fromFlags.passwordFile = flags.passwordFile;
  if (flags.prometheusUrl !== undefined) fromFlags.prometheusUrl = flags.prometheusUrl;
  if (flags.interval !== undefined) fromFlags.interval = flags.interval;
  // Flags go through the same schema as the file, and a bad one is named as the flag.
  const topFlags: Record<string, unknown> = {};
  if (flags.listen !== undefined) topFlags.listen = flags.listen;
  if (flags.logLevel !== undefined) topFlags.logLevel = flags.logLevel;
  if (flags.alertmanagerUrl?.length) topFlags.alertmanagerUrls = flags.alertmanagerUrl;
  if (flags.webhookUrl?.length) topFlags.webhookUrls = flags.webhookUrl;
  if (flags.stateFile !== undefined) topFlags.stateFile = flags.stateFile;
  const flagCheck = fileSchema.safeParse({ ...topFlags, defaults: fromFlags });
  if (!flagCheck.success) throw new ConfigError(describeFlagError(flagCheck.error, { ...topFlags, defaults: fromFlags }));
  const f = { ...parsedFile.data, ...flagCheck.data, defaults: parsedFile.data.defaults };

  // Flags act as defaults beneath every cluster of the file; a cluster's own keys win.
  // Merge the raw `defaults` (already validated above), not their parsed form: parsing twice would turn 15s into 15000s.
  const rawDefaults = (file as { defaults?: Record<string, unknown> }).defaults ?? {};
  const rawClusters = f.clusters ?? [{}];
  const clusters = rawClusters.map((raw, i) => {
    const merged = { ...rawDefaults, ...fromFlags, ...raw };
    const parsed = clusterSchema.safeParse(merged);
    const prefix = f.clusters ? `clusters[${i}].` : '';
    if (!parsed.success) throw new ConfigError(describeZodError(where, parsed.error, merged, prefix));
    const c = parsed.data;
    for (const key of ['url', 'prometheusUrl'] as const) {
      const u = c[key];
      // A password in a URL ends up in shell history, `ps` and every message that names the URL.
      if (u !== undefined && hasUserinfo(u)) {
        throw new ConfigError(`${where}: ${prefix}${key}: credentials in the URL are not accepted; give user and passwordFile (or WARREN_PASSWORD) instead`);
      }
    }
    for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
      const file = c.tls?.[key];
      if (file !== undefined) readable(file, `${where}: ${prefix}tls.${key}`);
    }
    const name = c.name ?? new URL(c.url).host;
    const probe = c.probe?.passwordFile !== undefined ? { ...c.probe, password: resolvePassword({ user: '', passwordFile: c.probe.passwordFile }, env, `${where}: ${prefix}probe.`) } : c.probe;
    // Unless given, a request times out within the interval: a poll never outlives its slot.
    const timeout = merged.timeout !== undefined ? c.timeout : Math.min(c.timeout, c.interval);
    return { ...c, name, timeout, password: resolvePassword(c, env, `${where}: ${prefix}`), ...(probe ? { probe } : {}) } satisfies ClusterConfig;
  });
  const names = new Set<string>();
  for (const c of clusters) {
    if (names.has(c.name)) throw new ConfigError(`${where}: two clusters are named "${c.name}"; give each a unique name`);
    names.add(c.name);
  }

  const listenText = f.listen ?? '0.0.0.0:9419';
  return {
    clusters,
    listen: parseListen(listenText, flags.listen !== undefined ? 'options: --listen' : `${where}: listen`),
    logLevel: f.logLevel ?? 'info',
    alertmanagerUrls: f.alertmanagerUrls ?? [],
    webhookUrls: f.webhookUrls ?? [],
    stateFile: f.stateFile ?? null,
    runbookBaseUrl: f.runbookBaseUrl ?? null,
    openstack: withRpcPingPassword(f.openstack ?? openstackSchema.parse({}), env, `${where}: openstack.rpcPing.`),
    web: webConfig(f.web, where),
    schedules: f.schedules ?? [],
  };
}

function fromKbuddeEnv(flags: ConfigFlags, env: NodeJS.ProcessEnv): Record<string, unknown> {
  try {
    return kbuddeEnvConfig(env, { password: flags.password !== undefined || flags.passwordFile !== undefined }).document;
  } catch (err) {
    if (err instanceof KbuddeEnvError) throw new ConfigError(err.message);
    throw err;
  }
}

/** The HTTP server's TLS and users, with every file checked now rather than at the first request. */
function webConfig(w: { tlsCertFile?: string | undefined; tlsKeyFile?: string | undefined; tlsClientCaFile?: string | undefined; basicAuthUsers?: Record<string, string> | undefined } | undefined, where: string): WebConfig | null {
  if (!w) return null;
  if ((w.tlsCertFile === undefined) !== (w.tlsKeyFile === undefined)) {
    throw new ConfigError(`${where}: web: tlsCertFile and tlsKeyFile go together; give both, or neither for plain HTTP`);
  }
  if (w.tlsClientCaFile !== undefined && w.tlsCertFile === undefined) {
    throw new ConfigError(`${where}: web.tlsClientCaFile needs tlsCertFile and tlsKeyFile: client certificates are checked only over TLS`);
  }
  let tls: WebConfig['tls'] = null;
  if (w.tlsCertFile !== undefined && w.tlsKeyFile !== undefined) {
    const cert = readable(w.tlsCertFile, `${where}: web.tlsCertFile`);
    const key = readable(w.tlsKeyFile, `${where}: web.tlsKeyFile`);
    const ca = w.tlsClientCaFile !== undefined ? readable(w.tlsClientCaFile, `${where}: web.tlsClientCaFile`) : undefined;
    try {
      createSecureContext({ cert, key, ...(ca ? { ca } : {}) });
    } catch (err) {
      // OpenSSL's reason (e.g. "key values mismatch"), never the file contents.
      const reason = ((err as Error).message.split('\n')[0] ?? 'invalid').slice(0, 160);
      throw new ConfigError(`${where}: web: ${w.tlsCertFile} and ${w.tlsKeyFile} are not a usable certificate and key (${reason}); give a PEM certificate and its own private key`);
    }
    tls = { certFile: w.tlsCertFile, keyFile: w.tlsKeyFile, clientCaFile: w.tlsClientCaFile ?? null };
  }
  return { tls, basicAuthUsers: { ...(w.basicAuthUsers ?? {}) } };
}

function readable(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); point it at a readable PEM file`);
  }
}

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`config ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)}); check the path given to --config`);
  }
  try {
    const doc = parseYaml(text) as unknown;
    if (doc === null || doc === undefined) return {};
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('the top level must be a mapping (key: value)');
    const loop = cyclePath(doc);
    if (loop !== null) throw new Error(`${loop || '(top level)'} contains itself through a YAML alias (*name inside its own &name); write the value out instead`);
    return doc;
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0];
    throw new ConfigError(`config ${path}: not valid YAML: ${msg}`);
  }
}

/** The path of a value that contains itself (a recursive YAML alias), or null. */
function cyclePath(root: unknown): string | null {
  const open = new Set<unknown>();
  const walk = (v: unknown, path: string): string | null => {
    if (v === null || typeof v !== 'object') return null;
    if (open.has(v)) return path;
    open.add(v);
    for (const [k, child] of Object.entries(v)) {
      const found = walk(child, path ? `${path}.${k}` : k);
      if (found !== null) return found;
    }
    open.delete(v);
    return null;
  };
  return walk(root, '');
}

/** The rpcPing password read from its passwordFile, so the daemon never reads files; no file, no change. */
function withRpcPingPassword(o: OpenStackConfig, env: NodeJS.ProcessEnv, where: string): OpenStackConfig {
  const p = o.rpcPing;
  if (p?.passwordFile === undefined) return o;
  return { ...o, rpcPing: { ...p, password: resolvePassword({ user: '', passwordFile: p.passwordFile }, env, where) } };
}

function resolvePassword(c: { user: string; password?: string; passwordFile?: string }, env: NodeJS.ProcessEnv, where: string): string {
  if (c.password !== undefined) return c.password;
  if (c.passwordFile !== undefined) {
    try {
      return readFileSync(c.passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConfigError(`${where}passwordFile: cannot read ${c.passwordFile} (${(err as NodeJS.ErrnoException).code ?? 'error'}); point it at a readable file holding the password`);
    }
  }
  return env.WARREN_PASSWORD ?? 'guest';
}

function parseListen(text: string, what: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]*):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`${what}: got "${text}", expected HOST:PORT such as 0.0.0.0:9419`);
  return { host: m[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}

/** describeZodError for a value given as a flag: names the flag, not the key. */
function describeFlagError(err: ZodError, input: Record<string, unknown>): string {
  const issue = err.issues[0] as ZodIssue;
  const path = issue.path[0] === 'defaults' ? issue.path.slice(1) : issue.path;
  const key = String(path[0] ?? '');
  const flag = FLAG_OF[key] ?? key;
  const line = describeZodError('options', err, input);
  // `options: defaults.interval: got ...` / `options: webhookUrls.0: got ...` -> `options: --interval: got ...`
  return line.replace(/^options: [^:]*: /, `options: ${flag}: `);
}

/** One line: which key, which value, what was expected. Never echoes a password. */
export function describeZodError(where: string, err: ZodError, input: unknown, prefix = ''): string {
  const issue = err.issues[0] as ZodIssue;
  const key = prefix + issue.path.map(String).join('.');
  const value = valueAt(input, issue.path);
  // basicAuthUsers should hold hashes, but a plaintext password put there by mistake must not be echoed either.
  const shown = /password|basicAuth/i.test(key) ? '(hidden)' : JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? redactUrls(v, '***@') : v));
  let expected = issue.message;
  if (issue.code === 'invalid_type') expected = `a ${issue.expected}`;
  if (issue.code === 'unrecognized_keys') {
    return `${where}: unknown key ${prefix}${[...issue.path, issue.keys[0]].map(String).join('.')}; remove it or check its spelling`;
  }
  if (issue.code === 'invalid_value') expected = `one of ${issue.values.map(String).join(', ')}`;
  if (issue.code === 'too_small' && issue.origin === 'array') expected = `at least ${String(issue.minimum)} entries`;
  return `${where}: ${key || '(top level)'}: got ${shown ?? 'nothing'}, expected ${expected}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) v = v && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

export type { MetricsConfig, NameFilter } from './schema.js';
export { kbuddeEnvWarning } from './kbudde-env.js';
