// The daemon: one poller per cluster feeding metrics, rules and the report;
// the HTTP server only ever reads what the last poll left behind.
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { ClusterConfig, WarrenConfig } from '../config/index.js';
import { renderMetrics, type ClusterMetricsInput } from '../metrics/render.js';
import { buildTopicTable, openstackView } from '../openstack/index.js';
import type { OpenStackView } from '../openstack/types.js';
import { startPoller, type PollStatus } from '../snapshot/poller.js';
import { createHttpClient, type HttpClient } from '../sources/http.js';
import { startHttpServer, type HttpServer } from './http.js';
import { VERSION } from '../version.js';

export interface ClusterRuntime {
  cfg: ClusterConfig;
  http: HttpClient;
  poller: ReturnType<typeof startPoller>;
  view: OpenStackView | null;
}

export interface Agent {
  url: string;
  clusters: ClusterRuntime[];
  /** The exposition /metrics serves now (tests compare it with what the broker holds). */
  metricsText(): string;
  /** Resolves after every cluster has completed at least `n` more poll attempts. */
  waitForPolls(n?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startAgent(config: WarrenConfig, log: Logger): Promise<Agent> {
  const topics = buildTopicTable(config.openstack.topics);
  const processRegistry = new Registry();
  collectDefaultMetrics({ register: processRegistry });
  let exposition = '';
  const pollWaiters: Array<{ remaining: Map<ClusterRuntime, number>; resolve: () => void }> = [];

  const clusters: ClusterRuntime[] = [];
  const rerender = () => {
    const now = Date.now();
    const inputs: ClusterMetricsInput[] = clusters.map((c) => {
      const status = c.poller.status();
      return {
        status,
        intervalMs: c.cfg.interval,
        expectedNodes: expectedNodes(c.cfg, status),
        view: c.view,
        alerts: [],
      };
    });
    exposition = renderMetrics(inputs, { version: VERSION, notifications: [], now }).text;
  };

  for (const cfg of config.clusters) {
    const http = createHttpClient({ user: cfg.user, password: cfg.password, timeoutMs: cfg.timeout, maxBodyBytes: cfg.maxBodyBytes, tls: cfg.tls });
    const rt = { cfg, http, view: null } as unknown as ClusterRuntime;
    rt.poller = startPoller({
      cluster: cfg,
      http,
      topics,
      openstack: config.openstack,
      log,
      onPoll: (status) => {
        if (status.latest && status.lastError === null) rt.view = openstackView(status.latest);
        rerender();
        for (const w of [...pollWaiters]) {
          const left = (w.remaining.get(rt) ?? 0) - 1;
          w.remaining.set(rt, left);
          if ([...w.remaining.values()].every((v) => v <= 0)) {
            pollWaiters.splice(pollWaiters.indexOf(w), 1);
            w.resolve();
          }
        }
      },
    });
    clusters.push(rt);
  }
  rerender();

  const server: HttpServer = await startHttpServer(config.listen, {
    metrics: async () => exposition + (await processRegistry.metrics()),
    healthz: () => health(clusters),
    alerts: () => [],
    report: () => null,
  }, log);
  log.info({ url: server.url, clusters: clusters.map((c) => c.cfg.name) }, 'warren listening');

  return {
    url: server.url,
    clusters,
    metricsText: () => exposition,
    waitForPolls: (n = 1) =>
      new Promise<void>((resolve) => pollWaiters.push({ remaining: new Map(clusters.map((c) => [c, n])), resolve })),
    stop: async () => {
      await server.close();
      await Promise.all(clusters.map((c) => c.poller.stop()));
      await Promise.all(clusters.map((c) => c.http.close()));
    },
  };
}

function expectedNodes(cfg: ClusterConfig, status: PollStatus): number {
  if (cfg.expectedNodes) return cfg.expectedNodes;
  let most = 0;
  for (const h of status.history) most = Math.max(most, h.nodes.length);
  return most;
}

/** 200 when every cluster's last poll succeeded or the last success is younger than three intervals. */
export function health(clusters: readonly ClusterRuntime[], now = Date.now()): { ok: boolean; body: unknown } {
  const targets = clusters.map((c) => {
    const s = c.poller.status();
    const fresh = s.lastSuccessAt !== null && (s.lastError === null || now - s.lastSuccessAt < 3 * c.cfg.interval);
    return {
      cluster: c.cfg.name,
      ok: fresh,
      lastSuccess: s.lastSuccessAt ? new Date(s.lastSuccessAt).toISOString() : null,
      ...(s.lastError ? { reason: s.lastError } : {}),
      ...(s.lastSuccessAt === null && s.lastError === null ? { reason: 'no poll has completed yet' } : {}),
    };
  });
  return { ok: targets.every((t) => t.ok), body: { status: targets.every((t) => t.ok) ? 'ok' : 'unhealthy', targets } };
}
