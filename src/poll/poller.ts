import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import type { ClusterConfig, OpenStackConfig } from '../config/index.js';
import type { TopicTable } from '../openstack/index.js';
import { SampleHistory, type HistoryInput, type RatesMemo, type Snapshot } from '../snapshot/index.js';
import type { HttpClient } from '../sources/index.js';
import { appendSample } from './history.js';
import { pollCluster } from './snapshot.js';
import { createPollState, warningsToLog } from './state.js';

/** The poller's view of one cluster (a copy: it does not change under its reader), read by the daemon for rules, metrics, /healthz and /report. */
export interface PollStatus {
  readonly latest: Snapshot | null;
  /** The recent samples rules look back at (the compact store's, which later polls leave as they are; Snapshots where a test builds one). */
  readonly history: HistoryInput;
  readonly lastAttemptAt: number | null;
  readonly lastSuccessAt: number | null;
  /** The last poll's error, null after a success. Already a safe one-liner (no password). */
  readonly lastError: string | null;
  readonly consecutiveFailures: number;
  readonly skipped: number;
  readonly errors: number;
  /** The configured cluster name: the `cluster` label of every series and alert, fixed from start. */
  readonly clusterLabel: string;
  /** The broker's own cluster name (`rabbitmq_cluster`) from the last successful poll; null before one. */
  readonly brokerCluster?: string | null;
  /** Peer address -> host learned so far (persisted by the daemon, given back as PollerOptions.learnedHosts). */
  readonly learnedHosts?: Readonly<Record<string, string>>;
}

type MutableStatus = { -readonly [K in keyof PollStatus]: PollStatus[K] };

export interface Poller {
  status(): PollStatus;
  /** This cluster's rates memo: rules and the render of one poll share its pairs. */
  readonly rates: RatesMemo;
  stop(): Promise<void>;
  pollNow(): Promise<void>;
}

export interface PollerOptions {
  cluster: ClusterConfig;
  http: HttpClient;
  topics: TopicTable;
  openstack: OpenStackConfig;
  log: Logger;
  /** Called after every attempt, successful or not. */
  onPoll: (status: PollStatus) => void;
  /** Time and timers; tests pass one they advance by hand. */
  clock?: Clock;
  /** Address -> host learned by an earlier run (the state file). */
  learnedHosts?: Readonly<Record<string, string>>;
}

/** A poll error without URL paths: the same fault reads the same whichever request met it first. */
export function errorKey(message: string): string {
  return message.replace(/\b(https?:\/\/[^/\s]+)\/[^\s)]*/g, '$1');
}

/**
 * One cluster's background poll loop. Single-flight: a tick that arrives while a
 * poll is still running is skipped and counted, never queued. After a failure
 * the next attempt backs off exponentially up to four intervals (at most 5 min).
 */
export function startPoller(o: PollerOptions): Poller {
  const clock = o.clock ?? systemClock;
  const now = () => clock.now();
  const interval = o.cluster.interval;
  const maxBackoff = Math.max(interval, Math.min(4 * interval, 300_000));
  const state = createPollState();
  if (o.learnedHosts) state.learnedHosts = { ...o.learnedHosts };
  let running: Promise<void> | null = null;
  let timer: unknown = null;
  let stopped = false;
  const abort = new AbortController();
  const history = new SampleHistory();
  const status: MutableStatus = {
    latest: null,
    history: [],
    lastAttemptAt: null,
    lastSuccessAt: null,
    lastError: null,
    consecutiveFailures: 0,
    skipped: 0,
    errors: 0,
    clusterLabel: o.cluster.name,
    brokerCluster: null,
    learnedHosts: state.learnedHosts,
  };

  async function pollOnce(): Promise<void> {
    status.lastAttemptAt = now();
    try {
      const r = await pollCluster(o.cluster, o.http, state.collector, { topics: o.topics, openstack: o.openstack, now, signal: abort.signal, learnedHosts: state.learnedHosts });
      state.collector = r.state;
      state.learnedHosts = r.learnedHosts;
      status.learnedHosts = r.learnedHosts;
      if (status.consecutiveFailures > 0) {
        o.log.info({ cluster: o.cluster.name, failures: status.consecutiveFailures }, 'broker answers again');
      }
      for (const w of warningsToLog(state, r.snapshot)) o.log.warn({ cluster: o.cluster.name }, w);
      status.latest = r.snapshot;
      appendSample(history, r.snapshot);
      status.history = history.samples;
      status.lastSuccessAt = now();
      status.lastError = null;
      status.consecutiveFailures = 0;
      status.brokerCluster = r.snapshot.cluster || null;
    } catch (err) {
      if (stopped) return;
      const message = (err as Error).message.split('\n')[0] ?? String(err);
      // One line per distinct error, not one per retry. Which of the parallel requests fails
      // first (/api/overview or /api/nodes) is chance, so the URL path does not make it distinct.
      if (status.lastError === null || errorKey(message) !== errorKey(status.lastError)) o.log.error({ cluster: o.cluster.name }, message);
      status.lastError = message;
      status.consecutiveFailures++;
      status.errors++;
    }
    if (!stopped) o.onPoll({ ...status });
  }

  function schedule(delay: number): void {
    if (stopped) return;
    timer = clock.setTimeout(tick, delay);
  }

  function tick(): void {
    if (running) {
      status.skipped++;
      schedule(interval);
      return;
    }
    // A fixed cadence timed from the tick's start; a tick that finds the last poll still running is skipped.
    schedule(interval);
    running = pollOnce().finally(() => {
      running = null;
    });
    void running.then(() => {
      if (status.consecutiveFailures === 0) return;
      if (timer !== null) clock.clearTimeout(timer);
      schedule(Math.min(1000 * 2 ** (status.consecutiveFailures - 1), maxBackoff));
    });
  }

  tick();
  return {
    status: () => ({ ...status }),
    rates: state.rates,
    pollNow: async () => {
      if (running) return running;
      running = pollOnce().finally(() => {
        running = null;
      });
      return running;
    },
    stop: async () => {
      stopped = true;
      if (timer !== null) clock.clearTimeout(timer);
      abort.abort();
      await running?.catch(() => undefined);
    },
  };
}
