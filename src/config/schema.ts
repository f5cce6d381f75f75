import { z } from 'zod';
import { parseDuration } from './duration.js';

const duration = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: 'a duration such as 30s, 5m or 1h' });
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
    url: httpUrl.default('http://127.0.0.1:15672'),
    user: z.string().default('guest'),
    password: z.string().optional(),
    passwordFile: z.string().optional(),
    prometheusUrl: httpUrl.optional(),
    /** auto: the plugin's /metrics/detailed where it answers, else the management API. */
    queueSource: z.enum(['auto', 'management', 'prometheus']).default('auto'),
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

export const fileSchema = z
  .object({
    listen: z.string().optional(),
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

export interface WarrenConfig {
  clusters: ClusterConfig[];
  listen: { host: string; port: number };
  logLevel: string;
  alertmanagerUrls: string[];
  webhookUrls: string[];
  stateFile: string | null;
  openstack: OpenStackConfig;
}

export { openstackSchema };
