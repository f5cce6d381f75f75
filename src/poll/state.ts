// What the poll loop keeps for one cluster between polls, in one place: the collector's
// carried-over tiers, the rates memo rules and the render share, and the warnings already
// logged. Created per cluster by startPoller; nothing here is module-level.
import { createRatesMemo, type RatesMemo, type Snapshot } from '../snapshot/index.js';
import { initialCollectorState, type CollectorState } from '../sources/index.js';

export interface ClusterPollState {
  collector: CollectorState;
  /** queueRates of the newest Snapshot against its baselines, computed once per pair. */
  readonly rates: RatesMemo;
  /** Non-fatal warnings already logged, so a 403 on /api/users is not logged every poll. */
  readonly warned: Set<string>;
  /** Peer address -> host learned from per-host queue consumers (src/openstack/learn-hosts.ts); the daemon persists it. */
  learnedHosts: Record<string, string>;
}

export function createPollState(): ClusterPollState {
  return { collector: initialCollectorState(), rates: createRatesMemo(), warned: new Set(), learnedHosts: {} };
}

/**
 * This poll's warnings not logged yet, remembering them. A warning is forgotten when a poll
 * that asked every endpoint (the inventory refresh) comes back without it, so it is logged
 * again if the problem returns; polls in between ask fewer endpoints and forget nothing.
 */
export function warningsToLog(state: ClusterPollState, snapshot: Snapshot): string[] {
  const current = snapshot.poll.warnings;
  if (snapshot.poll.inventoryRefreshed) {
    for (const w of state.warned) if (!current.includes(w)) state.warned.delete(w);
  }
  const fresh: string[] = [];
  for (const w of current) {
    if (state.warned.has(w)) continue;
    state.warned.add(w);
    fresh.push(w);
  }
  return fresh;
}
