import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { parseDuration } from './duration.js';

/** Longer than this and Node's timers overflow (2^31 ms, ~24 days) and fire at once: a poll loop with no pause. */
const MAX_DURATION_MS = 7 * 86_400_000;

/** A duration of at least `minMs`: `10ms` typed for `10s` as an interval would poll the broker a hundred times a second. */
const durationAtLeast = (minMs: number, min: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === null || !Number.isFinite(ms) || ms > MAX_DURATION_MS || ms < minMs) {
      ctx.addIssue({ code: 'custom', message: `a duration such as 30s, 5m or 1h (at least ${min}, at most 7d)` });
      return z.NEVER;
    }
    return ms;
  });

/** An absolute http(s) URL that Node's URL parser accepts (port in range, brackets closed). */
export const httpUrl = z.string().refine((s) => {
  if (!/^https?:\/\/[^\s/]+/i.test(s)) return false;
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}, 'an http:// or https:// URL with a host and a port from 1 to 65535, such as http://host:9093');

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

/**
 * The AMQP probe (src/sources/amqp-probe.ts): off unless the key is present. Its user may
 * differ from the polling user; without one, the cluster's user and password are used.
 */
const probeSchema = z
  .object({
    /** Fixed endpoints; when empty, the AMQP listeners /api/overview reports, one per node. */
    amqpUrls: z
      .array(z.string().refine((s) => /^amqps?:\/\/[^\s/@]+\/?$/.test(s), 'an amqp:// or amqps:// URL with host and port only (no credentials, no vhost: give probe.user, probe.passwordFile and probe.vhost)'))
      .default([]),
    /** Default: the cluster's poll interval. */
    interval: durationAtLeast(1000, '1s').optional(),
    /** Deadline of each phase (connect, channel, declare, publish, consume); default: half the interval, at most 10 s. */
    timeout: durationAtLeast(100, '100ms').optional(),
    vhost: z.string().min(1).default('/'),
    user: z.string().min(1).optional(),
    password: z.string().optional(),
    passwordFile: z.string().optional(),
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
    interval: durationAtLeast(1000, '1s').prefault('30s'),
    inventoryInterval: durationAtLeast(1000, '1s').prefault('5m'),
    /**
     * How often the full connection list (client properties, per-connection state) is asked;
     * not given: the inventoryInterval. Asked early under a resource alarm and on big count
     * changes (src/sources/connection-tier.ts).
     */
    connectionsInterval: durationAtLeast(1000, '1s').optional(),
    /** Not given: 20s, or the interval if shorter (loadConfig; a poll then never outlives its slot). Longer only when given. */
    timeout: durationAtLeast(100, '100ms').prefault('20s'),
    maxBodyBytes: z.number().int().positive().default(256 * 1024 * 1024),
    expectedNodes: z.number().int().positive().optional(),
    tls: tls.optional(),
    rules: rulesConfig.prefault({}),
    probe: probeSchema.optional(),
  })
  .strict();

/**
 * The oslo RPC ping (src/sources/oslo-ping-loop.ts): off unless the key is present (and
 * `enabled` is not false). Its user may differ from the polling user; without one, each
 * cluster's probe user, else its polling user, is used.
 */
const rpcPingSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** At most one ping per server per interval; default: the cluster's poll interval. */
    interval: durationAtLeast(1000, '1s').optional(),
    /** How long to wait for each answer. */
    timeout: durationAtLeast(100, '100ms').prefault('10s'),
    /** Pings waiting for an answer at most, per cluster. */
    maxInFlight: z.number().int().positive().default(20),
    /** Servers to ping; default: every per-host RPC queue that has a consumer. */
    targets: z
      .array(
        z
          .object({
            topic: z.string().min(1),
            /** The server part of `<topic>.<server>` (`cmp-01`, `ctl-1@lvm`). */
            host: z.string().min(1),
            /** Default: the vhost of the queue `<topic>.<host>`, else `/`. */
            vhost: z.string().min(1).optional(),
            /** Default: the service's control exchange (see `exchanges`). */
            exchange: z.string().min(1).optional(),
          })
          .strict(),
      )
      .optional(),
    /** Control exchange per service where it differs from the built-in one (nova: nova, cinder: openstack, ...). */
    exchanges: z.record(z.string().min(1), z.string().min(1)).default({}),
    user: z.string().min(1).optional(),
    password: z.string().optional(),
    passwordFile: z.string().optional(),
  })
  .strict();

const openstackSchema = z
  .object({
    /** Extra RPC topics: `{ topic: manila-share, service: manila }`. */
    topics: z.array(z.object({ topic: z.string().min(1), service: z.string().min(1) }).strict()).default([]),
    /** peer_host (IP) -> host name. */
    hosts: z.record(z.string(), z.string()).default({}),
    rpcPing: rpcPingSchema.optional(),
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

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** A report on a timetable (src/server/schedules.ts): to a directory, or to a chat webhook. */
const scheduleSchema = z
  .object({
    name: z.string().min(1).optional(),
    cron: z.string().refine((c) => validCron(c), 'a cron expression such as "0 8 * * *" (minute hour day-of-month month day-of-week; an optional seconds field first)'),
    format: z.enum(['text', 'markdown', 'json', 'html']).default('text'),
    /** A directory: one file per run, named by time; the newest `keep` are kept. */
    output: z.string().min(1).optional(),
    keep: z.number().int().positive().default(30),
    /** A URL: a JSON POST with the text report (`text`, as Slack, Mattermost and Rocket.Chat read it). */
    webhook: httpUrl.optional(),
    timezone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'an IANA time zone such as Europe/Paris or UTC')
      .optional(),
  })
  .strict()
  .refine((s) => (s.output === undefined) !== (s.webhook === undefined), 'one destination: output (a directory) or webhook (a URL)');

export const fileSchema = z
  .object({
    listen: z.string().optional(),
    web: webSchema.optional(),
    logLevel: z.enum(LOG_LEVELS).optional(),
    alertmanagerUrls: z.array(httpUrl).optional(),
    webhookUrls: z.array(httpUrl).optional(),
    stateFile: z.string().optional(),
    /** Where alerts' runbook_url points (`<base>#rule-<id>`); default: this daemon's GET /rules. */
    runbookBaseUrl: httpUrl.optional(),
    /** Defaults applied to every cluster below, overridable per cluster. */
    defaults: clusterSchema.partial().optional(),
    clusters: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
    openstack: openstackSchema.optional(),
    schedules: z
      .array(scheduleSchema)
      // Files are named after the schedule, and each prunes its own: two of one name would prune each other's.
      .refine((list) => new Set(list.map((x, i) => x.name ?? `schedule${i}`)).size === list.length, 'schedules with distinct names')
      .optional(),
  })
  .strict();

export type ClusterConfig = z.output<typeof clusterSchema> & { name: string; password: string };
export type RulesConfig = z.output<typeof rulesConfig>;
export type OpenStackConfig = z.output<typeof openstackSchema>;
export type TlsConfig = z.output<typeof tls>;
export type ProbeConfig = z.output<typeof probeSchema>;
export type RpcPingConfig = z.output<typeof rpcPingSchema>;
export type ScheduleConfig = z.output<typeof scheduleSchema>;

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
  /** Base of every alert's runbook_url (`<base>#rule-<id>`); null: the daemon's own GET /rules. */
  runbookBaseUrl: string | null;
  openstack: OpenStackConfig;
  /** Absent or null: plain HTTP, no authentication. */
  web?: WebConfig | null;
  /** Scheduled reports; absent: none. */
  schedules?: ScheduleConfig[];
}

export { openstackSchema };
export type MetricsConfig = z.output<typeof metricsConfig>;
export type NameFilter = z.output<typeof nameFilter>;
