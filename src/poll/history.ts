import { SampleHistory, type Snapshot } from '../snapshot/index.js';

/** How far back rules look (queue-growing, rpc-backlog: 5 min), plus slack. */
export const HISTORY_WINDOW_MS = 6 * 60_000;

/**
 * How densely each age band is kept: every sample of the last 30 s, one per 5 s up to
 * 150 s, one a minute beyond. Rule windows of any length then compare against a sample
 * close to their start, while a large broker polled every 30 s keeps about nine.
 */
const BANDS: ReadonlyArray<{ upToMs: number; spacingMs: number }> = [
  { upToMs: 30_000, spacingMs: 0 },
  { upToMs: 150_000, spacingMs: 5_000 },
  { upToMs: Infinity, spacingMs: 60_000 },
];

/**
 * Which of the sample times (oldest first, the newest last) to keep: none older than the
 * window, and none closer to its older kept neighbour than its age band's spacing.
 */
export function keepTimes(times: readonly number[], windowMs = HISTORY_WINDOW_MS): boolean[] {
  const now = times[times.length - 1] ?? 0;
  let last: number | undefined;
  return times.map((t) => {
    const age = now - t;
    if (age > windowMs) return false;
    const spacing = BANDS.find((b) => age <= b.upToMs)!.spacingMs;
    if (last !== undefined && t - last < spacing) return false;
    last = t;
    return true;
  });
}

/**
 * Appends `s` to `history` (oldest first) and drops what rules no longer need: everything
 * older than the window, and Snapshots closer to their older neighbour than their age
 * band's spacing. Pure; returns a new array.
 */
export function appendHistory(history: readonly Snapshot[], s: Snapshot, windowMs = HISTORY_WINDOW_MS): Snapshot[] {
  const all = [...history, s];
  const keep = keepTimes(all.map((h) => h.takenAt), windowMs);
  return all.filter((_, i) => keep[i]);
}

/** Adds `s` to the daemon's compact history, thinned as appendHistory thins Snapshots. */
export function appendSample(history: SampleHistory, s: Snapshot, windowMs = HISTORY_WINDOW_MS): void {
  history.append(s, (times) => keepTimes(times, windowMs));
}
