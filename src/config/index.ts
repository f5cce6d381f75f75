import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { parse as parseYaml } from 'yaml';
import type { ZodError } from 'zod';
import type { $ZodIssue as ZodIssue } from 'zod/v4/core';
import { hasUserinfo, redactUrls } from '../redact.js';
import { KbuddeEnvError, kbuddeEnvConfig } from './kbudde-env.js';
import { clusterSchema, fileSchema, openstackSchema } from './schema.js';
import type { ClusterConfig, WarrenConfig, WebConfig } from './schema.js';

export type { ClusterConfig, WarrenConfig, RulesConfig, OpenStackConfig, TlsConfig, WebConfig } from './schema.js';
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

export function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): WarrenConfig {
  const file = flags.config ? readConfigFile(flags.config) : flags.kbuddeEnv ? fromKbuddeEnv(flags, env) : {};
  const where = flags.config ? `config ${flags.config}` : Object.keys(file as object).length ? 'options and kbudde environment' : 'options';
  const parsedFile = fileSchema.safeParse(file);
  if (!parsedFile.success) throw new ConfigError(describeZodError(where, parsedFile.error, file));
  const f = parsedFile.data;

  const fromFlags: Record<string, unknown> = {};
  if (flags.url !== undefined) fromFlags.url = flags.url;
  if (flags.user !== undefined) fromFlags.user = flags.user;
  if (flags.password !== undefined) fromFlags.password = flags.password;
  if (flags.passwordFile !== undefined) fromFlags.passwordFile = flags.passwordFile;
  if (flags.prometheusUrl !== undefined) fromFlags.prometheusUrl = flags.prometheusUrl;
  if (flags.interval !== undefined) fromFlags.interval = flags.interval;

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
    return { ...c, name, password: resolvePassword(c, env, `${where}: ${prefix}`) } satisfies ClusterConfig;
  });
  const names = new Set<string>();
  for (const c of clusters) {
    if (names.has(c.name)) throw new ConfigError(`${where}: two clusters are named "${c.name}"; give each a unique name`);
    names.add(c.name);
  }

  const listenText = flags.listen ?? f.listen ?? '0.0.0.0:9419';
  return {
    clusters,
    listen: parseListen(listenText, where),
    logLevel: flags.logLevel ?? f.logLevel ?? 'info',
    alertmanagerUrls: flags.alertmanagerUrl?.length ? flags.alertmanagerUrl : (f.alertmanagerUrls ?? []),
    webhookUrls: flags.webhookUrl?.length ? flags.webhookUrl : (f.webhookUrls ?? []),
    stateFile: flags.stateFile ?? f.stateFile ?? null,
    openstack: f.openstack ?? openstackSchema.parse({}),
    web: webConfig(f.web, where),
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
    return doc;
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0];
    throw new ConfigError(`config ${path}: not valid YAML: ${msg}`);
  }
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

function parseListen(text: string, where: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]*):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`${where}: listen: got "${text}", expected HOST:PORT such as 0.0.0.0:9419`);
  return { host: m[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0', port };
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
