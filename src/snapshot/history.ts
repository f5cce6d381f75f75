import type { Snapshot } from './types.js';

/** How far back rules look (queue-growing, rpc-backlog: 5 min), plus slack. */
export const HISTORY_WINDOW_MS = 6 * 60_000;
/** Older Snapshots are kept at most one per this spacing, to bound memory on large brokers. */
const THIN_SPACING_MS = 60_000;

/**
 * Appends `s` to `history` (oldest first) and drops what rules no longer need:
 * everything older than the window, and, beyond the two newest, Snapshots
 * closer than a minute to their older neighbour. Pure; returns a new array.
 */
export function appendHistory(history: readonly Snapshot[], s: Snapshot, windowMs = HISTORY_WINDOW_MS): Snapshot[] {
  const all = [...history, s].filter((h) => s.takenAt - h.takenAt <= windowMs);
  const keepNewest = all.slice(-2);
  const older = all.slice(0, -2);
  const thinned: Snapshot[] = [];
  for (const h of older) {
    const last = thinned[thinned.length - 1];
    if (!last || h.takenAt - last.takenAt >= THIN_SPACING_MS) thinned.push(h);
  }
  return [...thinned, ...keepNewest];
}
