// The schedule of the oslo RPC ping (src/sources/oslo-ping.ts): every interval each RPC
// server is pinged once, the servers spread over the interval in slots (not a burst at
// its start), with at most `maxInFlight` pings waiting for an answer. A server whose last
// ping is still waiting when its next turn comes is skipped that round, so a frozen server
// never has two pings out. The last outcome per server is kept, with how many pings in a
// row went unanswered (openstack-rpc-server-unresponsive fires on two). Time comes from
// an injected Clock, so a unit test drives it. Knows nothing of rules or Snapshots: the
// daemon hands it the servers to ping each round.
import type { Clock } from '../clock.js';
import type { PingResult, PingTarget } from './oslo-ping.js';

/** One RPC server to ping, with the labels it is reported under. */
export interface RpcServerTarget {
  readonly service: string;
  readonly topic: string;
  /** The server part of `<topic>.<server>` (`cmp-01`, `ctl-1@lvm`). */
  readonly host: string;
  readonly vhost: string;
  /** The service's control exchange. */
  readonly exchange: string;
}

/**
 * - answered: the server answered the ping;
 * - not-enabled: it answered with NoSuchMethod / UnsupportedVersion (alive, `rpc_ping_enabled` is off);
 * - error: it answered with another failure (alive);
 * - timeout: no answer within the timeout;
 * - unsent: the request could not be sent (no connection, no such exchange, no queue for the server).
 */
export type RpcPingState = 'answered' | 'not-enabled' | 'error' | 'timeout' | 'unsent';

export interface RpcPingStatus {
  readonly target: RpcServerTarget;
  /** Clock ms when the ping was sent. */
  readonly at: number;
  readonly state: RpcPingState;
  /** Seconds until the answer (answered, not-enabled, error); null otherwise. */
  readonly latencySeconds: number | null;
  /** Pings in a row without an answer: a timeout adds one, any answer resets it, an unsent ping leaves it. */
  readonly consecutiveFailures: number;
  /** The failure's class and message, the timeout, or why it was not sent; null when answered. */
  readonly detail: string | null;
}

export interface RpcPingLoopOptions {
  readonly clock: Clock;
  readonly intervalMs: number;
  /** Pings waiting for an answer at most. */
  readonly maxInFlight: number;
  /** The servers to ping, read at the start of each round. */
  readonly targets: () => readonly RpcServerTarget[];
  /** Pings a batch of servers of one vhost; one result per target, in order; never rejects. */
  readonly ping: (vhost: string, targets: readonly PingTarget[]) => Promise<readonly PingResult[]>;
  /** After each ping, with the server's status before it (undefined on its first ping). */
  readonly onResult?: (status: RpcPingStatus, previous: RpcPingStatus | undefined) => void;
}

export interface RpcPingLoop {
  /** The last outcome of every server of the current round's list. */
  results(): readonly RpcPingStatus[];
  /** Pings sent and not yet answered or timed out. */
  inFlight(): number;
  /** Stops scheduling and waits for the pings in flight (each ends by its timeout). */
  stop(): Promise<void>;
}

/** Slots are at least this far apart: the pings due in one slot share one connection. */
export const MIN_SLOT_MS = 1000;

export function rpcTargetKey(t: RpcServerTarget): string {
  return `${t.vhost}\u0000${t.exchange}\u0000${t.topic}\u0000${t.host}`;
}

/**
 * When each of `n` servers is due in a round of `intervalMs` starting at 0: the interval
 * cut into at most `intervalMs / MIN_SLOT_MS` slots, the servers dealt over them in order.
 */
export function slotOffsets(n: number, intervalMs: number): number[] {
  const slots = Math.max(1, Math.min(n, Math.floor(intervalMs / MIN_SLOT_MS)));
  return Array.from({ length: n }, (_, i) => Math.floor((Math.floor((i * slots) / n) * intervalMs) / slots));
}

function statusOf(r: PingResult, target: RpcServerTarget, at: number, previous: RpcPingStatus | undefined): RpcPingStatus {
  const failures = previous?.consecutiveFailures ?? 0;
  switch (r.status) {
    case 'answered':
      return { target, at, state: 'answered', latencySeconds: r.latencyMs / 1000, consecutiveFailures: 0, detail: null };
    case 'error':
      return {
        target,
        at,
        state: r.notEnabled ? 'not-enabled' : 'error',
        latencySeconds: r.latencyMs / 1000,
        consecutiveFailures: 0,
        detail: `${r.errorClass}: ${r.message}`.split('\n')[0]!.slice(0, 300),
      };
    case 'timeout':
      return { target, at, state: 'timeout', latencySeconds: null, consecutiveFailures: failures + 1, detail: `no answer within ${r.timeoutMs / 1000} s` };
    case 'unsent':
      return { target, at, state: 'unsent', latencySeconds: null, consecutiveFailures: failures, detail: r.reason };
  }
}

export function startRpcPingLoop(o: RpcPingLoopOptions): RpcPingLoop {
  const { clock } = o;
  const statuses = new Map<string, RpcPingStatus>();
  /** This round's servers not yet sent, in due order. */
  let due: Array<{ target: RpcServerTarget; at: number }> = [];
  /** Servers whose ping is out. */
  const busy = new Set<string>();
  const running = new Set<Promise<void>>();
  let inFlight = 0;
  let stopped = false;
  let roundTimer: unknown = null;
  let slotTimer: unknown = null;
  /** The current round's servers. */
  let listed = new Set<string>();

  const round = (): void => {
    if (stopped) return;
    const start = clock.now();
    roundTimer = clock.setTimeout(round, o.intervalMs);
    const seen = new Map<string, RpcServerTarget>();
    for (const t of o.targets()) seen.set(rpcTargetKey(t), t);
    // Servers gone from the list are forgotten; what was left of the last round is dropped.
    for (const k of [...statuses.keys()]) if (!seen.has(k)) statuses.delete(k);
    listed = new Set(seen.keys());
    const list = [...seen.values()];
    const offsets = slotOffsets(list.length, o.intervalMs);
    due = list.map((target, i) => ({ target, at: start + offsets[i]! }));
    drain();
  };

  const drain = (): void => {
    if (stopped) return;
    if (slotTimer !== null) clock.clearTimeout(slotTimer);
    slotTimer = null;
    const now = clock.now();
    const batch: RpcServerTarget[] = [];
    while (due.length > 0 && due[0]!.at <= now && inFlight + batch.length < o.maxInFlight) {
      const { target } = due.shift()!;
      // Still waiting for its previous ping: one ping per server at a time, so skip this turn.
      if (!busy.has(rpcTargetKey(target))) batch.push(target);
    }
    const byVhost = new Map<string, RpcServerTarget[]>();
    for (const t of batch) byVhost.set(t.vhost, [...(byVhost.get(t.vhost) ?? []), t]);
    for (const [vhost, targets] of byVhost) launch(vhost, targets);
    // The next slot; a server held back by maxInFlight goes when a ping ends (launch's drain).
    const next = due[0];
    if (next && next.at > now) slotTimer = clock.setTimeout(drain, next.at - now);
  };

  const launch = (vhost: string, targets: RpcServerTarget[]): void => {
    const at = clock.now();
    inFlight += targets.length;
    for (const t of targets) busy.add(rpcTargetKey(t));
    const pingTargets = targets.map((t) => ({ exchange: t.exchange, topic: t.topic, server: t.host }));
    const p = o
      .ping(vhost, pingTargets)
      .catch((e: unknown): PingResult[] => pingTargets.map((target) => ({ target, status: 'unsent', reason: e instanceof Error ? e.message : String(e) })))
      .then((results) => {
        targets.forEach((target, i) => {
          const r = results[i];
          if (!r) return;
          const key = rpcTargetKey(target);
          const previous = statuses.get(key);
          const status = statusOf(r, target, at, previous);
          // A server dropped from the list while its ping was out is not brought back.
          if (!stopped && listed.has(key)) statuses.set(key, status);
          o.onResult?.(status, previous);
        });
      })
      .finally(() => {
        inFlight -= targets.length;
        for (const t of targets) busy.delete(rpcTargetKey(t));
        running.delete(p);
        drain();
      });
    running.add(p);
  };

  round();

  return {
    results: () => [...statuses.values()],
    inFlight: () => inFlight,
    stop: async () => {
      stopped = true;
      if (roundTimer !== null) clock.clearTimeout(roundTimer);
      if (slotTimer !== null) clock.clearTimeout(slotTimer);
      await Promise.all([...running]);
    },
  };
}
