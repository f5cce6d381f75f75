// Shared pieces of the rule catalogue: how a rule is declared, how it reads its
// thresholds, and the few calculations several rules need (samples, windows, rates,
// trends). Everything here is pure; summaries are worded with src/format.ts.
import type { NodeInfo, QueueInfo, QueuePoint, Snapshot } from '../snapshot/index.js';
import { baselineFor, queueIndex, queueKey, queueRates, sampleOf, samplesIn, type QueueRates, type Sample } from '../snapshot/index.js';
import { fmtDuration } from '../format.js';
import type { Finding, PromqlAlert, Rule, RuleContext, Severity, Subject, ThresholdLookup, Thresholds } from './types.js';

export type Scope = { vhost?: string; queue?: string; service?: string };

/** What a rule's check function gets: the context, its thresholds per subject, a finding builder. */
export interface RuleKit<K extends string> {
  ctx: RuleContext;
  /** The rule's own `for`, for one-shot judgements from the broker's timestamps. */
  forSeconds: number;
  /** The rule's thresholds for a subject (defaults filled in), or null when the rule is disabled there. */
  thresholds(scope?: Scope): Record<K, number> | null;
  finding(subject: Subject, summary: string, evidence: Record<string, unknown>, extra?: FindingExtra): Finding;
}

export interface FindingExtra {
  /** Defaults to the rule's severity. */
  severity?: Severity;
  /** Defaults to the rule's remedy; give a more specific one when the subject makes it possible. */
  remedy?: string;
  labels?: Record<string, string>;
}

interface RuleData<K extends string> {
  id: string;
  severity: Severity;
  forSeconds: number;
  description: string;
  remedy: string;
  defaults: Record<K, number>;
  check(kit: RuleKit<K>): Finding[];
}

/**
 * A rule says itself in PromQL beside its check, as a function of its thresholds (one
 * entry per severity when it escalates), or says why it cannot. The facts both forms
 * need (which queue kinds a rule owns, which topics are critical) are one constant that
 * the check reads and the PromQL is built from.
 */
type RulePromql<K extends string> =
  | {
      promql: (t: Readonly<Record<K, number>>) => readonly PromqlAlert[];
      /** What the PromQL form leaves out, when it is not the whole rule. */
      partlyInPromql?: string;
      notInPromql?: never;
    }
  | {
      /** Why PromQL over warren's metrics cannot say this rule. */
      notInPromql: string;
      promql?: never;
      partlyInPromql?: never;
    };

export type RuleSpec<K extends string> = RuleData<K> & RulePromql<K>;

/** A rule is data plus one small function; this fills in the plumbing every rule shares. */
export function defineRule<K extends string>(spec: RuleSpec<K>): Rule {
  const defaults = Object.freeze({ ...spec.defaults }) as Record<K, number>;
  const rule: Rule = {
    id: spec.id,
    severity: spec.severity,
    forSeconds: spec.forSeconds,
    description: spec.description,
    remedy: spec.remedy,
    defaults,
    evaluate(ctx: RuleContext, lookup: ThresholdLookup): Finding[] {
      const kit: RuleKit<K> = {
        ctx,
        forSeconds: spec.forSeconds,
        thresholds(scope = {}) {
          const t = lookup(spec.id, scope);
          return t === null ? null : complete(defaults, t);
        },
        finding(subject, summary, evidence, extra = {}) {
          const f: Finding = {
            rule: spec.id,
            severity: extra.severity ?? spec.severity,
            subject,
            summary,
            remedy: extra.remedy ?? spec.remedy,
            evidence,
          };
          if (extra.labels && Object.keys(extra.labels).length > 0) f.labels = extra.labels;
          return f;
        },
      };
      return spec.check(kit);
    },
  };
  const promql = spec.promql;
  if (promql) rule.promql = (t) => promql(complete(defaults, t));
  if (spec.notInPromql !== undefined) rule.notInPromql = spec.notInPromql;
  if (spec.partlyInPromql !== undefined) rule.partlyInPromql = spec.partlyInPromql;
  return Object.freeze(rule);
}

/** Defaults overlaid with what the lookup returned: a custom lookup may omit keys. */
function complete<K extends string>(defaults: Record<K, number>, t: Thresholds): Record<K, number> {
  let missing = false;
  for (const k in defaults) if (typeof t[k] !== 'number') missing = true;
  return missing ? ({ ...defaults, ...t } as Record<K, number>) : (t as Record<K, number>);
}

// ---- subjects and scopes ----------------------------------------------------------

export function clusterSubject(s: Snapshot): Subject {
  // The configured name, like the alert's cluster: renaming the broker changes no alert identity.
  return { kind: 'cluster', name: s.target || s.cluster };
}

export function nodeSubject(n: NodeInfo): Subject {
  return { kind: 'node', name: n.name };
}

export function queueSubject(q: QueueInfo): Subject {
  return { kind: 'queue', name: q.name, vhost: q.vhost };
}

export function queueScope(q: QueueInfo): Scope {
  const scope: Scope = { vhost: q.vhost, queue: q.name };
  if (q.role.service) scope.service = q.role.service;
  return scope;
}

/** Labels an OpenStack queue adds to its alerts; all derived from the name, so stable. */
export function queueLabels(q: QueueInfo): Record<string, string> {
  const labels: Record<string, string> = {};
  if (q.role.service) labels.service = q.role.service;
  if (q.role.kind === 'rpc_host' && q.role.host) labels.host = q.role.host;
  return labels;
}

// ---- samples and windows ----------------------------------------------------------

const samplesCache = new WeakMap<RuleContext, readonly Sample[]>();

/**
 * The samples to judge: the history (oldest first) ending with the current Snapshot (a
 * sample taken at the same time as the current one is the current one).
 */
export function samplesOf(ctx: RuleContext): readonly Sample[] {
  let s = samplesCache.get(ctx);
  if (!s) {
    const h = samplesIn(ctx.history);
    const last = h[h.length - 1];
    const cur = sampleOf(ctx.snapshot);
    if (last?.snapshot === ctx.snapshot) s = h;
    else s = !last ? [cur] : last.takenAt === ctx.snapshot.takenAt ? [...h.slice(0, -1), cur] : [...h, cur];
    samplesCache.set(ctx, s);
  }
  return s;
}

/** Whether a sample is the current poll's. */
export function isCurrent(ctx: RuleContext, s: Sample): boolean {
  return s.snapshot === ctx.snapshot;
}

/**
 * The sample to compare the current one against for a rate or a trend. The daemon
 * uses the one closest to `windowSeconds` ago; one-shot runs compare across all their
 * samples (the first one), since they cannot wait for a window to fill.
 */
export function windowBase(ctx: RuleContext, windowSeconds: number): Sample | undefined {
  const s = samplesOf(ctx);
  if (s.length < 2) return undefined;
  if (ctx.oneShot) return s[0];
  return baselineFor(s, windowSeconds * 1000);
}

// Built once per Snapshot; rates once per pair through the context's memo, shared with the render.
export { queueIndex };

/** A queue whose depth and consumers the broker reported (see RawQueue: null while its statistics are pending). */
export type KnownQueue = QueueInfo & { readonly consumers: number; readonly messages: number; readonly ready: number; readonly unacked: number };

export function statsKnown(q: QueueInfo): q is KnownQueue {
  return q.consumers !== null && q.messages !== null && q.ready !== null && q.unacked !== null;
}

const knownCache = new WeakMap<Snapshot, readonly KnownQueue[]>();

/**
 * The Snapshot's queues with known numbers: rules judge only these, so a queue listed before
 * its first statistics neither fires nor resolves anything (src/rules/unknown.ts holds its alerts).
 */
export function knownQueues(s: Snapshot): readonly KnownQueue[] {
  let known = knownCache.get(s);
  if (!known) {
    known = s.queues.every(statsKnown) ? (s.queues as readonly KnownQueue[]) : s.queues.filter(statsKnown);
    knownCache.set(s, known);
  }
  return known;
}

/**
 * Whether a queue condition holds. In the daemon: now (the alert state machine then
 * requires it for the rule's `for`). One-shot: in every sample, with the queue present
 * in each, which is "the condition as seen across the samples".
 */
export function queueHolds(ctx: RuleContext, q: KnownQueue, pred: (q: KnownQueue) => boolean): boolean {
  if (!pred(q)) return false;
  if (!ctx.oneShot) return true;
  const key = queueKey(q);
  for (const s of samplesOf(ctx)) {
    const past = isCurrent(ctx, s) ? q : s.queueInfo(key);
    // A sample without the queue's numbers did not see the condition.
    if (!past || !statsKnown(past) || !pred(past)) return false;
  }
  return true;
}

/** Seconds the broker says the queue has been idle, or null when it is active or the broker does not say. */
export function idleSeconds(ctx: RuleContext, q: QueueInfo): number | null {
  if (q.idleSince === null) return null;
  return Math.max(0, (ctx.now - q.idleSince) / 1000);
}

/**
 * For "no consumer for N minutes" conditions. One-shot runs use the broker's own
 * `idle_since` (idle at least `forSeconds` with the condition true now proves it held
 * that long), else the condition across every sample.
 */
export function queueHeldFor(ctx: RuleContext, q: KnownQueue, forSeconds: number, pred: (q: KnownQueue) => boolean): boolean {
  if (!pred(q)) return false;
  if (!ctx.oneShot) return true;
  const idle = idleSeconds(ctx, q);
  if (idle !== null && idle >= forSeconds) return true;
  return queueHolds(ctx, q, pred);
}

/**
 * Depth of a queue across the window: the depth at the base and now, whether it never
 * fell in between (one-shot: across every sample), and the publish/deliver rates.
 */
export function queueTrend(ctx: RuleContext, q: QueueInfo, windowSeconds: number): QueueTrend | null {
  const base = windowBase(ctx, windowSeconds);
  if (!base) return null;
  const key = queueKey(q);
  const before = base.queue(key);
  // No trend across an unknown depth (a queue listed before its first statistics): it was never 0.
  if (!before || before.messages === null || q.messages === null) return null;
  const seconds = (ctx.snapshot.takenAt - base.takenAt) / 1000;
  if (seconds <= 0) return null;
  let rising = q.messages > before.messages;
  if (rising) {
    // Every step between base and now must be non-decreasing.
    let prev = before.messages;
    for (const s of samplesOf(ctx)) {
      if (s.takenAt <= base.takenAt || isCurrent(ctx, s)) continue;
      const m = s.queue(key)?.messages;
      if (m === undefined || m === null) continue;
      if (m < prev) {
        rising = false;
        break;
      }
      prev = m;
    }
    if (q.messages < prev) rising = false;
  }
  const rates = (ctx.rates?.queueRates(base, ctx.snapshot) ?? queueRates(base, ctx.snapshot)).get(key);
  return {
    from: before.messages,
    to: q.messages,
    seconds,
    rising,
    publishRate: rates?.publish ?? null,
    deliverRate: rates?.deliver ?? null,
  };
}

export interface QueueTrend {
  from: number;
  to: number;
  seconds: number;
  rising: boolean;
  publishRate: number | null;
  deliverRate: number | null;
}

// ---- arithmetic -------------------------------------------------------------------

/** Least-squares line through (t ms, v) points: v per second, or null with < 2 distinct times. */
export function linearSlopePerSecond(points: ReadonlyArray<readonly [number, number]>): number | null {
  const n = points.length;
  if (n < 2) return null;
  let st = 0;
  let sv = 0;
  for (const [t, v] of points) {
    st += t;
    sv += v;
  }
  const mt = st / n;
  const mv = sv / n;
  let num = 0;
  let den = 0;
  for (const [t, v] of points) {
    num += (t - mt) * (v - mv);
    den += (t - mt) * (t - mt);
  }
  if (den === 0) return null;
  return (num / den) * 1000;
}

/** `3.10.8` >= 4.3 style comparison; unparseable versions compare as 0.0. */
export function versionAtLeast(version: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a > major || (a === major && b >= minor);
}

// ---- consumers gone and acknowledgements stalled -------------------------------------

/**
 * How long a queue has had no consumer, from the samples (the daemon's history, a one-shot
 * run's few samples): the age of the oldest sample of the trailing run without a consumer.
 * `atLeast` when that run reaches back to the oldest sample (it may be older still).
 * Null when the queue has a consumer now, or its consumers are unknown.
 */
export function consumerGone(ctx: RuleContext, q: QueueInfo): { seconds: number; atLeast: boolean } | null {
  if (q.consumers !== 0) return null;
  const samples = samplesOf(ctx);
  const key = queueKey(q);
  let since = ctx.snapshot.takenAt;
  let reachedOldest = true;
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i]!;
    const past = isCurrent(ctx, s) ? q : s.queue(key);
    // A sample that did not know the consumers ends the run known to be without one.
    if (!past || past.consumers !== 0) {
      reachedOldest = false;
      break;
    }
    since = s.takenAt;
  }
  return { seconds: Math.max(0, (ctx.now - since) / 1000), atLeast: reachedOldest };
}

/**
 * Whether a consumer of a queue holds messages without acknowledging them. In the daemon:
 * in every sample of the last `windowSeconds` (there must be one at least that old) the
 * queue held ≥ `minUnacked` unacknowledged messages, and either its ack counter did not
 * advance between that sample and now (`ack-counter`), or the unacknowledged count grew
 * and never fell (`unacked-grew`: one stuck consumer among healthy ones, whose acks keep
 * the counter moving), or, without counters (statistics off, or the plugin path when its
 * counter families are not served), it never fell (`unacked-never-fell`). One-shot runs
 * see seconds, not the window: only the `unacked-grew` form counts there, and, where the
 * counters are known, deliveries must have outpaced acknowledgements (stale statistics
 * read twice show neither). A delivery caught in flight (oslo acks on receipt) is never
 * there for a whole window, so it never counts.
 */
export function acksStalled(
  ctx: RuleContext,
  q: QueueInfo,
  windowSeconds: number,
  minUnacked: number,
): { since: number; decidedBy: 'ack-counter' | 'unacked-grew' | 'unacked-never-fell' } | null {
  if (q.unacked === null || q.unacked < minUnacked) return null;
  const samples = samplesOf(ctx);
  const key = queueKey(q);
  let base = -1;
  if (ctx.oneShot) base = samples.length >= 2 ? 0 : -1;
  else {
    const cutoff = ctx.snapshot.takenAt - windowSeconds * 1000;
    for (let i = samples.length - 1; i >= 0; i--) {
      if (samples[i]!.takenAt <= cutoff) {
        base = i;
        break;
      }
    }
  }
  if (base < 0) return null;
  let prev = -1;
  let neverFell = true;
  let first: (QueuePoint & { readonly unacked: number }) | undefined;
  for (let i = base; i < samples.length; i++) {
    const s = samples[i]!;
    const past = isCurrent(ctx, s) ? q : s.queue(key);
    // Unknown in one sample (no statistics yet): not judged across it.
    if (!past || past.unacked === null || past.unacked < minUnacked) return null;
    if (!first) first = past as QueuePoint & { readonly unacked: number };
    if (prev >= 0 && past.unacked < prev) neverFell = false;
    prev = past.unacked;
  }
  const since = samples[base]!.takenAt;
  const before = first?.counters;
  const now = q.counters;
  const ackedKnown = before != null && now != null;
  const grew = neverFell && first !== undefined && q.unacked > first.unacked;
  if (ctx.oneShot) {
    if (!grew) return null;
    if (ackedKnown && !(now.delivered - before.delivered > now.acked - before.acked)) return null;
    return { since, decidedBy: 'unacked-grew' };
  }
  if (ackedKnown && now.acked === before.acked) return { since, decidedBy: 'ack-counter' };
  if (grew) return { since, decidedBy: 'unacked-grew' };
  if (!ackedKnown && neverFell) return { since, decidedBy: 'unacked-never-fell' };
  return null;
}

/** "for 75 s", or "for at least 4 s" when the samples do not reach back to when it started. */
export function goneFor(g: { seconds: number; atLeast: boolean }): string {
  return `for ${g.atLeast ? 'at least ' : ''}${fmtDuration(g.seconds)}`;
}
