// One warren poll loop in a process of its own, so CPU time (process.cpuUsage) and peak
// RSS (resourceUsage().maxRSS) are the agent's alone. Each cycle does what the daemon does
// after a tick (src/server/agent.ts): collect, history, OpenStack view, rules, alert
// state, render. Input: a JSON file (argv[2]) of PollChildPlan. Output: one JSON line.

import { readFileSync } from 'node:fs';
import { loadConfig } from '../src/config/index.js';
import { renderMetrics } from '../src/metrics/render.js';
import { buildTopicTable, openstackView } from '../src/openstack/index.js';
import { activeAlerts, emptyAlertState, stepAlerts } from '../src/rules/alerts.js';
import { catalogue } from '../src/rules/catalogue.js';
import { evaluateAll } from '../src/rules/evaluate.js';
import { emptyLearned, learn } from '../src/rules/learn.js';
import { thresholdLookup } from '../src/rules/thresholds.js';
import { appendHistory } from '../src/snapshot/history.js';
import type { PollStatus } from '../src/snapshot/poller.js';
import type { Snapshot } from '../src/snapshot/types.js';
import { collect, initialCollectorState } from '../src/sources/collect.js';
import { createHttpClient } from '../src/sources/http.js';
import { processCpuMs } from './proc.js';

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
}

export interface PollSample {
  /** The whole cycle: collect + view + rules + render. */
  cycleMs: number;
  collectMs: number;
  viewMs: number;
  rulesMs: number;
  renderMs: number;
  /** User + system CPU of this process over the cycle (all threads). */
  cpuMs: number;
  /** The broker's CPU time during the collect (all schedulers; includes its background work). */
  brokerCpuMs: number;
  requests: number;
  bytes: number;
  series: number;
  expositionBytes: number;
  queues: number;
  queueSource: string;
  inventory: boolean;
  heapUsedMb: number;
}

export interface PollChildResult {
  samples: PollSample[];
  /** Peak resident set of the process, MiB. */
  maxRssMb: number;
  error?: string;
}

const ms = (t0: number) => performance.now() - t0;

async function main(): Promise<void> {
  const plan = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as PollChildPlan;
  const config = loadConfig({ config: plan.configFile });
  const cfg = config.clusters[0]!;
  const http = createHttpClient({ user: cfg.user, password: cfg.password, timeoutMs: cfg.timeout, maxBodyBytes: cfg.maxBodyBytes, tls: cfg.tls });
  const topics = buildTopicTable(config.openstack.topics);
  const lookup = thresholdLookup(cfg.rules, catalogue);
  let collector = initialCollectorState();
  let history: Snapshot[] = [];
  let learned = emptyLearned();
  let alerts = emptyAlertState();
  const samples: PollSample[] = [];
  let error: string | undefined;

  try {
    for (let i = 0; i < plan.polls; i++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const b0 = processCpuMs(plan.brokerPid);
      const r = await collect(cfg, http, collector, { topics, openstack: config.openstack });
      const collectMs = ms(t0);
      const brokerCpuMs = processCpuMs(plan.brokerPid) - b0;
      collector = r.state;
      const snapshot = r.snapshot;
      history = appendHistory(history, snapshot);

      const t1 = performance.now();
      const view = openstackView(snapshot);
      const viewMs = ms(t1);

      const t2 = performance.now();
      const now = Date.now();
      const evaluation = evaluateAll({ now, snapshot, history, learned, oneShot: false }, lookup);
      learned = learn(learned, snapshot);
      alerts = stepAlerts(alerts, evaluation.findings, now, snapshot.cluster, catalogue).state;
      const rulesMs = ms(t2);

      const t3 = performance.now();
      const status: PollStatus = {
        latest: snapshot,
        history,
        lastAttemptAt: now,
        lastSuccessAt: now,
        lastError: null,
        consecutiveFailures: 0,
        skipped: 0,
        errors: 0,
        clusterLabel: snapshot.cluster,
      };
      const { text, series } = renderMetrics(
        [{ status, intervalMs: cfg.interval, expectedNodes: cfg.expectedNodes ?? learned.maxNodes, view, alerts: activeAlerts(alerts) }],
        { version: 'bench', notifications: [], now: Date.now() },
      );
      const renderMs = ms(t3);
      const cpu = process.cpuUsage(cpu0);
      samples.push({
        cycleMs: ms(t0),
        collectMs,
        viewMs,
        rulesMs,
        renderMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        brokerCpuMs,
        requests: snapshot.poll.requests,
        bytes: snapshot.poll.bytes,
        series,
        expositionBytes: Buffer.byteLength(text),
        queues: snapshot.queues.length,
        queueSource: snapshot.poll.queueSource,
        inventory: snapshot.poll.inventoryRefreshed,
        heapUsedMb: process.memoryUsage().heapUsed / 1048576,
      });
      if (i < plan.polls - 1) await new Promise((res) => setTimeout(res, plan.gapFactor * collectMs + 500));
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  await http.close();
  const result: PollChildResult = { samples, maxRssMb: process.resourceUsage().maxRSS / 1024, ...(error ? { error } : {}) };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`poll-child: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
