import type { Snapshot } from './types.js';

/** How far back rules look (queue-growing, rpc-backlog: 5 min), plus slack. */
export const HISTORY_WINDOW_MS = 6 * 60_000;
/**
 * Every Snapshot this young is kept, so short rule windows (churn, growth over 2 min)
 * compare against the Snapshot closest to their window, not just the previous poll.
 */
const DENSE_MS = 150_000;
/** At most this many dense Snapshots (a 1 s interval would otherwise keep 150). */
const DENSE_MAX = 30;
/** Older Snapshots are kept at most one per this spacing, to bound memory on large brokers. */
const THIN_SPACING_MS = 60_000;

/**
 * Appends `s` to `history` (oldest first) and drops what rules no longer need:
 * everything older than the window; of the last 150 s, all but at most 30 evenly
 * spread; and of the older ones, those closer than a minute to their older neighbour.
 * Pure; returns a new array.
 */
export function appendHistory(history: readonly Snapshot[], s: Snapshot, windowMs = HISTORY_WINDOW_MS): Snapshot[] {
  const all = [...history, s].filter((h) => s.takenAt - h.takenAt <= windowMs);
  const dense = all.filter((h) => s.takenAt - h.takenAt <= DENSE_MS);
  const older = all.filter((h) => s.takenAt - h.takenAt > DENSE_MS);
  return [...thin(older, THIN_SPACING_MS), ...thin(dense, DENSE_MS / DENSE_MAX, true)];
}

/** Keeps Snapshots at least `spacing` apart, oldest first; `keepLast` always keeps the newest. */
function thin(snapshots: readonly Snapshot[], spacing: number, keepLast = false): Snapshot[] {
  const out: Snapshot[] = [];
  for (const h of snapshots) {
    const last = out[out.length - 1];
    if (!last || h.takenAt - last.takenAt >= spacing) out.push(h);
  }
  const newest = snapshots[snapshots.length - 1];
  if (keepLast && newest && out[out.length - 1] !== newest) {
    // The newest is the current Snapshot: it replaces a too-close predecessor.
    if (out.length > 1 && newest.takenAt - out[out.length - 1]!.takenAt < spacing) out.pop();
    out.push(newest);
  }
  return out;
}
