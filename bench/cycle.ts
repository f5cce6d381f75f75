// One warren poll cycle as the daemon runs it after a tick (src/server/agent.ts + the
// poller): collect, history (the compact SampleHistory), OpenStack view, rules with the
// poll's rates memo, alert state, render and its compressed copy. Shared by the live poll
// child (real broker) and the replay (synthetic responses), timed per phase.

import type { ClusterConfig, OpenStackConfig } from '../src/config/index.js';
import { deflateHeadAsync, renderSteps } from '../src/metrics/index.js';
import { buildTopicTable } from '../src/openstack/index.js';
import { appendSample, createPollState, pollCluster, type PollStatus } from '../src/poll/index.js';
import { activeAlerts, catalogue, emptyAlertState, emptyLearned, evaluateAll, learn, stepAlerts, thresholdLookup, unknownIn } from '../src/rules/index.js';
import { openstackView, SampleHistory } from '../src/snapshot/index.js';
import { sliced } from '../src/slices.js';
import type { HttpClient } from '../src/sources/http.js';

export interface CycleTimes {
  /** The whole cycle: collect + view + rules + render (with its compression). */
  cycleMs: number;
  collectMs: number;
  viewMs: number;
  rulesMs: number;
  renderMs: number;
  /** User + system CPU of this process over the cycle (all threads). */
  cpuMs: number;
  requests: number;
  bytes: number;
  series: number;
  expositionBytes: number;
  queues: number;
  queueSource: string;
  inventory: boolean;
  findings: number;
  heapUsedMb: number;
  /** Queues with published, delivered and acked counters in the exposition (per-queue counters present). */
  counterQueues: number;
}

/** Queues with all three per-queue counters in an exposition: the fewest samples of the three families. */
export function counterQueues(exposition: string): number {
  const names = ['rabbitmq_queue_messages_published_total{', 'rabbitmq_queue_messages_delivered_total{', 'rabbitmq_queue_messages_acked_total{'];
  const counts = names.map(() => 0);
  let at = 0;
  while (at < exposition.length) {
    let end = exposition.indexOf('\n', at);
    if (end < 0) end = exposition.length;
    if (exposition.charCodeAt(at) === 114 /* r */) {
      for (let i = 0; i < names.length; i++) if (exposition.startsWith(names[i]!, at)) counts[i]!++;
    }
    at = end + 1;
  }
  return Math.min(...counts);
}

const since = (t0: number) => performance.now() - t0;

/** A stateful cycle runner: each call is one tick of the daemon. `now` may be a fake clock. */
export function cycleRunner(
  cfg: ClusterConfig,
  openstack: OpenStackConfig,
  http: HttpClient,
  opts: { now?: () => number; afterCollect?: () => void } = {},
): () => Promise<CycleTimes> {
  const now = opts.now ?? Date.now;
  const topics = buildTopicTable(openstack.topics);
  const lookup = thresholdLookup(cfg.rules, catalogue);
  const state = createPollState();
  const history = new SampleHistory();
  let learned = emptyLearned();
  let alerts = emptyAlertState();

  return async () => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await pollCluster(cfg, http, state.collector, { topics, openstack, now, learnedHosts: state.learnedHosts });
    const collectMs = since(t0);
    opts.afterCollect?.();
    state.collector = r.state;
    state.learnedHosts = r.learnedHosts;
    const snapshot = r.snapshot;
    appendSample(history, snapshot);

    const t1 = performance.now();
    const view = openstackView(snapshot);
    const viewMs = since(t1);

    const t2 = performance.now();
    const at = now();
    const evaluation = evaluateAll({ now: at, snapshot, history: history.samples, learned, oneShot: false, rates: state.rates }, lookup);
    learned = learn(learned, snapshot);
    alerts = stepAlerts(alerts, evaluation.findings, at, cfg.name, catalogue, { unknown: unknownIn(snapshot) }).state;
    const rulesMs = since(t2);

    const t3 = performance.now();
    const status: PollStatus = {
      latest: snapshot,
      history: history.samples,
      lastAttemptAt: at,
      lastSuccessAt: at,
      lastError: null,
      consecutiveFailures: 0,
      skipped: 0,
      errors: 0,
      clusterLabel: snapshot.cluster,
    };
    // As the daemon renders (src/server/agent.ts, rerender): in slices, then compressed once
    // for the gzip scrapers; the text is decoded only below, for the bench's own count.
    const { body, series } = await sliced(
      renderSteps(
        [{ status, rates: state.rates, metrics: cfg.metrics, intervalMs: cfg.interval, expectedNodes: cfg.expectedNodes ?? learned.maxNodes, view, alerts: activeAlerts(alerts) }],
        { version: 'bench', notifications: [], now: at },
      ),
    );
    await deflateHeadAsync(body);
    const renderMs = since(t3);
    const cpu = process.cpuUsage(cpu0);
    const cycleMs = since(t0);
    return {
      cycleMs,
      collectMs,
      viewMs,
      rulesMs,
      renderMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      requests: snapshot.poll.requests,
      bytes: snapshot.poll.bytes,
      series,
      expositionBytes: body.length,
      queues: snapshot.queues.length,
      queueSource: snapshot.poll.queueSource,
      inventory: snapshot.poll.inventoryRefreshed,
      findings: evaluation.findings.length,
      heapUsedMb: process.memoryUsage().heapUsed / 1048576,
      // Counted after the cycle was timed: the bench's reading, not warren's work.
      counterQueues: counterQueues(body.toString('utf8')),
    };
  };
}
