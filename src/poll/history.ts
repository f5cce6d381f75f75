import type { Snapshot } from '../snapshot/index.js';

/** How far back rules look (queue-growing, rpc-backlog: 5 min), plus slack. */
export const HISTORY_WINDOW_MS = 6 * 60_000;

/**
 * How densely each age band is kept: every Snapshot of the last 30 s, one per 5 s up to
 * 150 s, one a minute beyond. Rule windows of any length then compare against a Snapshot
 * close to their start, while a large broker polled every 30 s keeps about nine.
 */
const BANDS: ReadonlyArray<{ upToMs: number; spacingMs: number }> = [
  { upToMs: 30_000, spacingMs: 0 },
  { upToMs: 150_000, spacingMs: 5_000 },
  { upToMs: Infinity, spacingMs: 60_000 },
];

/**
 * Appends `s` to `history` (oldest first) and drops what rules no longer need: everything
 * older than the window, and Snapshots closer to their older neighbour than their age
 * band's spacing. Pure; returns a new array.
 */
export function appendHistory(history: readonly Snapshot[], s: Snapshot, windowMs = HISTORY_WINDOW_MS): Snapshot[] {
  const kept: Snapshot[] = [];
  for (const h of [...history, s]) {
    const age = s.takenAt - h.takenAt;
    if (age > windowMs) continue;
    const spacing = BANDS.find((b) => age <= b.upToMs)!.spacingMs;
    const last = kept[kept.length - 1];
    if (!last || h.takenAt - last.takenAt >= spacing) kept.push(h);
  }
  return kept;
}
