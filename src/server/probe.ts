// Wiring of the AMQP probe into the daemon: one probe loop per cluster that configures
// `probe`. The loop is a source; its last round reaches the rules (RuleContext.probe) and
// the metrics (ClusterMetricsInput.probe) through the daemon, never the other way round.
import type { Logger } from 'pino';
import type { ClusterConfig } from '../config/index.js';
import { fetchListeners, startProbeLoop, type HttpClient, type ProbeLoop } from '../sources/index.js';

/** Deadline of each probe phase when the config gives none: half the interval, at most 10 s. */
export function defaultPhaseTimeoutMs(intervalMs: number): number {
  return Math.max(1000, Math.min(10_000, Math.floor(intervalMs / 2)));
}

/** The cluster's probe loop, or null when `probe` is not configured (the probe is off by default). */
export function startClusterProbe(cfg: ClusterConfig, http: HttpClient, log: Logger): ProbeLoop | null {
  const p = cfg.probe;
  if (!p) return null;
  const intervalMs = p.interval ?? cfg.interval;
  const counter = { requests: 0, bytes: 0 };
  const failed = new Map<string, string>();
  let lastError: string | null = null;
  return startProbeLoop({
    urls: p.amqpUrls,
    intervalMs,
    phaseTimeoutMs: p.timeout ?? defaultPhaseTimeoutMs(intervalMs),
    user: p.user ?? cfg.user,
    password: p.password ?? cfg.password,
    vhost: p.vhost,
    tls: cfg.tls,
    listeners: (signal) => fetchListeners(http, cfg.url, counter, signal),
    onError: (message) => {
      if (message !== lastError) log.warn({ cluster: cfg.name }, message);
      lastError = message;
    },
    onRound: (results) => {
      lastError = null;
      // One line when a node's probe starts failing (or fails differently) and one when it recovers.
      for (const r of results) {
        const key = `${r.node} ${r.protocol}`;
        const line = r.ok ? null : `AMQP probe of ${key} (${r.address}) failed at ${r.failedPhase ?? '?'}: ${r.error ?? ''}`;
        if (line && failed.get(key) !== line) log.warn({ cluster: cfg.name }, line);
        if (!line && failed.has(key)) log.info({ cluster: cfg.name }, `AMQP probe of ${key} succeeds again`);
        if (line) failed.set(key, line);
        else failed.delete(key);
      }
    },
  });
}
