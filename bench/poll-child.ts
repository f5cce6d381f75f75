// warren's poll loop against the real broker, in a process of its own, so CPU time
// (process.cpuUsage) and peak RSS (resourceUsage().maxRSS) are the agent's alone.
// Input: a JSON file (argv[2]) of PollChildPlan. Output: one JSON line (PollChildResult).

import { readFileSync } from 'node:fs';
import { loadConfig } from '../src/config/index.js';
import { createHttpClient, type HttpClient, type RequestCounter } from '../src/sources/http.js';
import { cycleRunner, type CycleTimes } from './cycle.js';
import { processCpuMs } from './proc.js';
import type { MemoryBreakdown } from './results.js';

export interface PollChildPlan {
  configFile: string;
  polls: number;
  /**
   * Pause between polls, as a multiple of the last collect time (plus 500 ms): the
   * management API serves a cached list for 5x the time it took to compute it, and a
   * real 30 s poller never hits that cache, so neither may the benchmark.
   */
  gapFactor: number;
  /** The broker's beam.smp pid, to charge its CPU time during each collect. */
  brokerPid?: number;
  /**
   * Unmeasured polls first, back to back and a simulated minute apart, so the measured ones
   * run in the daemon's steady state: a full history window (the history keeps one Snapshot
   * a minute beyond the newest two, so its size is that of a long-running daemon) and
   * alerts past their `for` (their series).
   */
  warmup: number;
}

/** One broker request of a poll: when it started (ms into the collect), how long to the last byte, JSON.parse time. */
export interface RequestTrace {
  path: string;
  startMs: number;
  wallMs: number;
  bytes: number;
  parseMs: number;
}

export interface PollSample extends CycleTimes {
  /** An unmeasured warm-up poll (kept for its request count and memory, not in medians). */
  warmup: boolean;
  /** The broker's CPU time during the collect (all schedulers; includes its background work). */
  brokerCpuMs: number;
  trace: RequestTrace[];
}

export interface PollChildResult {
  samples: PollSample[];
  /** Peak resident set of the process, MiB. */
  maxRssMb: number;
  /** Where the resident memory is after the last poll (heap, buffers, the rest). */
  memory: MemoryBreakdown;
  error?: string;
}

/** Path plus the query's first parameter name, without columns lists: `/api/queues?disable_stats`. */
function shortPath(url: string): string {
  const u = new URL(url);
  const first = [...u.searchParams.keys()].find((k) => k !== 'columns');
  return u.pathname + (first ? `?${first}` : '');
}

/** The client collect() is given, recording each request's timing (same requests, same parse). */
function tracing(inner: HttpClient, sink: () => { trace: RequestTrace[]; t0: number }): HttpClient {
  const fetchText = async (url: string, counter: RequestCounter, opts?: { auth?: boolean; signal?: AbortSignal }) => {
    const t0 = performance.now();
    // Concurrent requests share the poll's counter: count this one apart, then add it in.
    const own: RequestCounter = { requests: 0, bytes: 0 };
    let text: string;
    try {
      text = await inner.getText(url, own, opts);
    } finally {
      counter.requests += own.requests;
      counter.bytes += own.bytes;
    }
    const s = sink();
    const entry: RequestTrace = { path: shortPath(url), startMs: t0 - s.t0, wallMs: performance.now() - t0, bytes: own.bytes, parseMs: 0 };
    s.trace.push(entry);
    return { text, entry };
  };
  return {
    lifetime: inner.lifetime,
    close: () => inner.close(),
    getText: async (url, counter, opts) => (await fetchText(url, counter, opts)).text,
    async getJson(url, counter, opts) {
      const { text, entry } = await fetchText(url, counter, opts);
      const t0 = performance.now();
      const value = JSON.parse(text) as unknown;
      entry.parseMs = performance.now() - t0;
      return value;
    },
  };
}

async function main(): Promise<void> {
  const plan = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as PollChildPlan;
  const config = loadConfig({ config: plan.configFile });
  const cfg = config.clusters[0]!;
  const inner = createHttpClient({ user: cfg.user, password: cfg.password, timeoutMs: cfg.timeout, maxBodyBytes: cfg.maxBodyBytes, tls: cfg.tls });
  let current = { trace: [] as RequestTrace[], t0: 0 };
  const http = tracing(inner, () => current);
  let brokerAtStart = NaN;
  let brokerCpuMs = NaN;
  // The daemon's clock: one interval per poll, however the benchmark spaces the polls in real
  // time, so history thinning, rates and alert `for` durations behave as in a 30 s daemon.
  let clock = Date.now();
  const cycle = cycleRunner(cfg, config.openstack, http, {
    now: () => clock,
    // The broker's share is charged during the collect only; the rest of the cycle is warren's own work.
    afterCollect: () => (brokerCpuMs = processCpuMs(plan.brokerPid) - brokerAtStart),
  });
  const samples: PollSample[] = [];
  // A failed poll (a timeout, with the config's default 20 s) is what the daemon would log
  // and count: record it and go on, as the daemon does; three in a row end the run.
  const failures: string[] = [];
  let consecutive = 0;
  const total = plan.warmup + plan.polls;
  for (let i = 0; i < total && consecutive < 3; i++) {
    const warmup = i < plan.warmup;
    clock += warmup ? Math.max(cfg.interval, 60_000) : cfg.interval;
    current = { trace: [], t0: performance.now() };
    brokerAtStart = processCpuMs(plan.brokerPid);
    const t0 = performance.now();
    let collectMs: number;
    try {
      const t = await cycle();
      samples.push({ ...t, warmup, brokerCpuMs, trace: current.trace });
      collectMs = t.collectMs;
      consecutive = 0;
    } catch (e) {
      failures.push(`poll ${i + 1}${warmup ? ' (warm-up)' : ''}: ${e instanceof Error ? e.message : String(e)}`);
      collectMs = performance.now() - t0;
      consecutive++;
    }
    if (i >= plan.warmup - 1 && i < total - 1) await new Promise((res) => setTimeout(res, plan.gapFactor * collectMs + 500));
  }
  const error = failures.length > 0 ? `${failures.length} failed poll(s): ${failures.join('; ')}` : undefined;
  await http.close();
  const mu = process.memoryUsage();
  const mib = (b: number) => b / 1048576;
  const memory: MemoryBreakdown = { rssMb: mib(mu.rss), heapUsedMb: mib(mu.heapUsed), heapTotalMb: mib(mu.heapTotal), externalMb: mib(mu.external), arrayBuffersMb: mib(mu.arrayBuffers) };
  const result: PollChildResult = { samples, maxRssMb: process.resourceUsage().maxRSS / 1024, memory, ...(error ? { error } : {}) };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`poll-child: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
