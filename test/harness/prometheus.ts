// Debian's Prometheus on a free loopback port with a throwaway config and TSDB,
// for tests of warren's exposition, dashboards' queries and alert rule files.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { PROMETHEUS, ensureDeps, freePort, getJson, makeTempDir, release, startDaemon, track } from './util.js';

export interface PrometheusOptions {
  /** `host:port` (scraped at /metrics) or full URLs such as `http://127.0.0.1:9419/metrics`. */
  scrapeTargets: string[];
  /** Default `1s`. */
  scrapeInterval?: string;
  /** Rule files (absolute, or relative to the working directory). */
  ruleFiles?: string[];
  /** Alertmanager base URL, e.g. `http://127.0.0.1:29093`. */
  alertmanagerUrl?: string;
  /** Default: the scrape interval. */
  evaluationInterval?: string;
  /**
   * --rules.alert.resend-delay, default `1s` (Prometheus: 1m). Prometheus drops the first
   * notification when it fires before the Alertmanager is discovered, then waits this long
   * to resend; a minute would stall tests.
   */
  alertResendDelay?: string;
}

export interface Prometheus {
  /** Base URL, e.g. `http://127.0.0.1:23456`. */
  url: string;
  /** The generated prometheus.yml. */
  configFile: string;
  /** Instant query; resolves to `data.result` (vector samples: `{ metric, value: [ts, "v"] }`). */
  query(expr: string): Promise<any[]>;
  /** `data` of /api/v1/rules (`{ groups: [...] }`). */
  rules(): Promise<any>;
  /** `data` of /api/v1/targets (`{ activeTargets, droppedTargets }`). */
  targets(): Promise<any>;
  /** `data.alerts` of /api/v1/alerts (pending and firing). */
  alerts(): Promise<any[]>;
  /** Re-read the config and rule files (POST /-/reload). */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

interface ApiAnswer<T> {
  status: string;
  data: T;
  error?: string;
}

/** Jobs grouped by scheme and metrics path; the first is job `warren`, then `warren_2`, ... */
export function scrapeConfigs(targets: string[], interval: string): object[] {
  const groups = new Map<string, { scheme: string; metricsPath: string; hosts: string[] }>();
  for (const t of targets) {
    const u = /^[a-z]+:\/\//i.test(t) ? new URL(t) : new URL(`http://${t}/metrics`);
    const scheme = u.protocol.replace(':', '');
    const metricsPath = u.pathname === '/' ? '/metrics' : u.pathname;
    const key = `${scheme} ${metricsPath}`;
    const g = groups.get(key) ?? { scheme, metricsPath, hosts: [] };
    g.hosts.push(u.host);
    groups.set(key, g);
  }
  return [...groups.values()].map((g, k) => ({
    job_name: k === 0 ? 'warren' : `warren_${k + 1}`,
    scrape_interval: interval,
    scheme: g.scheme,
    metrics_path: g.metricsPath,
    static_configs: [{ targets: g.hosts }],
  }));
}

export async function startPrometheus(opts: PrometheusOptions): Promise<Prometheus> {
  ensureDeps();
  const scrapeInterval = opts.scrapeInterval ?? '1s';
  const dir = makeTempDir('prometheus');
  const dirHandle = track({ kind: 'dir', path: dir });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;

  const config: Record<string, unknown> = {
    global: { scrape_interval: scrapeInterval, evaluation_interval: opts.evaluationInterval ?? scrapeInterval },
    scrape_configs: scrapeConfigs(opts.scrapeTargets, scrapeInterval),
  };
  if (opts.ruleFiles?.length) config.rule_files = opts.ruleFiles.map((f) => path.resolve(f));
  if (opts.alertmanagerUrl) {
    const am = new URL(opts.alertmanagerUrl);
    config.alerting = {
      alertmanagers: [
        {
          api_version: 'v2',
          scheme: am.protocol.replace(':', ''),
          path_prefix: am.pathname === '/' ? '/' : am.pathname,
          static_configs: [{ targets: [am.host] }],
        },
      ],
    };
  }
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, stringify(config));

  let daemon;
  try {
    daemon = await startDaemon({
      cmd: PROMETHEUS,
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--rules.alert.resend-delay=${opts.alertResendDelay ?? '1s'}`,
        '--web.enable-lifecycle',
      ],
      dir,
      label: 'prometheus',
      readyUrl: `${url}/-/ready`,
    });
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    release(dirHandle);
    throw e;
  }

  async function api<T>(pathAndQuery: string): Promise<T> {
    const answer = await getJson<ApiAnswer<T>>(`${url}${pathAndQuery}`, { timeoutMs: 10_000 });
    if (answer.status !== 'success') throw new Error(`prometheus ${pathAndQuery}: ${answer.error ?? answer.status}`);
    return answer.data;
  }

  const d = daemon;
  let stopped = false;
  return {
    url,
    configFile,
    async query(expr: string) {
      const data = await api<{ resultType: string; result: any }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      return Array.isArray(data.result) ? data.result : [data.result];
    },
    rules: () => api<any>('/api/v1/rules'),
    targets: () => api<any>('/api/v1/targets'),
    alerts: async () => (await api<{ alerts: any[] }>('/api/v1/alerts')).alerts,
    async reload() {
      const res = await fetch(`${url}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`prometheus reload: HTTP ${res.status} ${await res.text()}`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await d.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      release(dirHandle);
    },
  };
}
