import { z } from 'zod';
import { parseDuration } from './duration.js';

/** Longer than this and Node's timers overflow (2^31 ms, ~24 days) and fire at once: a poll loop with no pause. */
const MAX_DURATION_MS = 7 * 86_400_000;

const duration = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === null || !Number.isFinite(ms) || ms > MAX_DURATION_MS) {
      ctx.addIssue({ code: 'custom', message: 'a duration such as 30s, 5m or 1h (at most 7d)' });
      return z.NEVER;
    }
    return ms;
  });

const httpUrl = z.string().refine((s) => /^https?:\/\/[^\s/]+/.test(s), 'an http:// or https:// URL');

const tls = z
  .object({
    caFile: z.string().optional(),
    certFile: z.string().optional(),
    keyFile: z.string().optional(),
    insecureSkipVerify: z.boolean().default(false),
  })
  .strict();

const thresholds = z.record(z.string(), z.number());

/** A JavaScript regular expression, checked to compile. */
const regex = z.string().refine((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}, 'a regular expression such as ^reply_ (matched anywhere in the lower-cased name, as kbudde did)');

/** kbudde's INCLUDE_ and SKIP_ pairs: a name is kept when `include` matches it and `exclude` does not. */
const nameFilter = z.object({ include: regex.optional(), exclude: regex.optional() }).strict();

const metricsConfig = z
  .object({
    /** default: warren's names and the kbudde names real artefacts use; kbudde: every kbudde name RabbitMQ can supply. */
    profile: z.enum(['default', 'kbudde']).default('default'),
    /** Metric names left out of the exposition (and their columns out of the requests). */
    exclude: z.array(z.string().regex(/^rabbitmq_[a-z0-9_]+$/, 'a rabbitmq_* metric name such as rabbitmq_queue_memory')).default([]),
  })
  .strict();

const ruleOverride = z
  .object({
    rule: z.string(),
    vhost: z.string().optional(),
    /** A regular expression matched against the whole queue name. */
    queue: z.string().optional(),
    service: z.string().optional(),
    thresholds: thresholds.optional(),
    disabled: z.boolean().optional(),
  })
  .strict();

const rulesConfig = z
  .object({
    disabled: z.array(z.string()).default([]),
    thresholds: z.record(z.string(), thresholds).default({}),
    overrides: z.array(ruleOverride).default([]),
  })
  .strict();

export const clusterSchema = z
  .object({
    name: z.string().min(1).optional(),
    metrics: metricsConfig.prefault({}),
    /** Vhosts whose queues are exported and judged per queue (cluster totals count every queue). */
    vhosts: nameFilter.optional(),
    /** Queues exported and judged per queue (cluster totals count every queue). */
    queues: nameFilter.optional(),
    url: httpUrl.default('http://127.0.0.1:15672'),
    user: z.string().default('guest'),
    password: z.string().optional(),
    passwordFile: z.string().optional(),
    prometheusUrl: httpUrl.optional(),
    /**
     * auto: the plugin's /metrics/detailed where it answers and the broker holds at least
     * pluginMinQueues queues, else the management API (which also gives per-queue counters).
     */
    queueSource: z.enum(['auto', 'management', 'prometheus']).default('auto'),
    pluginMinQueues: z.number().int().nonnegative().default(2000),
    interval: duration.prefault('30s'),
    inventoryInterval: duration.prefault('5m'),
    timeout: duration.prefault('20s'),
    maxBodyBytes: z.number().int().positive().default(256 * 1024 * 1024),
    expectedNodes: z.number().int().positive().optional(),
    tls: tls.optional(),
    rules: rulesConfig.prefault({}),
  })
  .strict();

const openstackSchema = z
  .object({
    /** Extra RPC topics: `{ topic: manila-share, service: manila }`. */
    topics: z.array(z.object({ topic: z.string().min(1), service: z.string().min(1) }).strict()).default([]),
    /** peer_host (IP) -> host name. */
    hosts: z.record(z.string(), z.string()).default({}),
  })
  .strict();

/**
 * warren's own HTTP server, in the manner of Prometheus's exporter web config
 * (`tls_server_config` + `basic_auth_users`): TLS with an optional client CA, and
 * users with bcrypt hashes guarding everything but /healthz.
 */
const webSchema = z
  .object({
    tlsCertFile: z.string().min(1).optional(),
    tlsKeyFile: z.string().min(1).optional(),
    /** When set, clients must present a certificate signed by this CA. */
    tlsClientCaFile: z.string().min(1).optional(),
    /** user -> bcrypt hash (`htpasswd -nBC 10 USER`, the part after the colon). */
    basicAuthUsers: z
      .record(
        z.string().min(1).refine((u) => !u.includes(':'), 'a user name without a colon'),
        // Cost 4-14: above that every new client's first request takes seconds of CPU.
        z.string().regex(/^\$2[aby]?\$(0[4-9]|1[0-4])\$[./A-Za-z0-9]{53}$/, 'a bcrypt hash of cost 4 to 14 such as $2y$10$... (htpasswd -nBC 10 USER prints USER:HASH)'),
      )
      .optional(),
  })
  .strict();

export const fileSchema = z
  .object({
    listen: z.string().optional(),
    web: webSchema.optional(),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
    alertmanagerUrls: z.array(httpUrl).optional(),
    webhookUrls: z.array(httpUrl).optional(),
    stateFile: z.string().optional(),
    /** Defaults applied to every cluster below, overridable per cluster. */
    defaults: clusterSchema.partial().optional(),
    clusters: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
    openstack: openstackSchema.optional(),
  })
  .strict();

export type ClusterConfig = z.output<typeof clusterSchema> & { name: string; password: string };
export type RulesConfig = z.output<typeof rulesConfig>;
export type OpenStackConfig = z.output<typeof openstackSchema>;
export type TlsConfig = z.output<typeof tls>;

/** The HTTP server's protection, files already checked readable at load time. */
export interface WebConfig {
  tls: { certFile: string; keyFile: string; clientCaFile: string | null } | null;
  /** user -> bcrypt hash; empty: no authentication. */
  basicAuthUsers: Record<string, string>;
}

export interface WarrenConfig {
  clusters: ClusterConfig[];
  listen: { host: string; port: number };
  logLevel: string;
  alertmanagerUrls: string[];
  webhookUrls: string[];
  stateFile: string | null;
  openstack: OpenStackConfig;
  /** Absent or null: plain HTTP, no authentication. */
  web?: WebConfig | null;
}

export { openstackSchema };
export type MetricsConfig = z.output<typeof metricsConfig>;
export type NameFilter = z.output<typeof nameFilter>;
