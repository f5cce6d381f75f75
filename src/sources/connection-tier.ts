// The connection tier: the full connection list with client properties (`/api/connections`)
// is the dearest request of a poll after the queues (about 0.6 s of broker time for 2,000
// connections), and what rules need from it every poll is cheap elsewhere: the open
// connection and channel counts come from /api/overview's object_totals, resource alarms
// from /api/nodes. So the list is kept between polls and asked again every
// connectionsInterval, and early whenever a kept list could hide something urgent:
//   - a resource alarm is in force, or the alarms changed since the list was taken
//     (publishers are blocked only under an alarm, and connections show `blocked` or
//     `blocking` a statistics interval after it starts, so the list is asked every poll
//     while one lasts);
//   - the kept list shows blocked or blocking connections (asked until it no longer does,
//     so connections-blocked resolves as soon as the broker says they run again);
//   - the broker counts many more or fewer connections than the kept list holds (a cell
//     losing the broker, a reconnect storm): the per-host picture is asked again at once;
//   - the broker counts other connections or channels than the kept list holds at all
//     (a service restarted, a channel leak growing, or statistics that had not caught up
//     when it was listed): asked again once the list is two poll intervals old, so a
//     steady broker is listed every connectionsInterval and a churning one every other poll.
import type { NodeInfo, RawConnection } from './types.js';

export interface ConnectionList {
  /** When it was listed (the poll's start). */
  readonly takenAt: number;
  readonly connections: readonly RawConnection[];
  /** The resource alarms in force when it was listed (alarmsOf). */
  readonly alarms: string;
}

/** Why the list is asked this poll; null: the kept one is used. */
export type ConnectionRefreshReason = 'first' | 'interval' | 'alarm' | 'blocked' | 'count' | 'changed';

/**
 * The count gap that has the list asked again: more than this share of the listed
 * connections, and at least MIN_COUNT_GAP, so ordinary churn on a small broker does not.
 */
export const COUNT_GAP_RATIO = 0.1;
export const MIN_COUNT_GAP = 20;

/** The resource alarms in force, one `node:memory` or `node:disk` each, sorted and comma-joined; '' for none. */
export function alarmsOf(nodes: readonly NodeInfo[]): string {
  const out: string[] = [];
  for (const n of nodes) {
    if (n.memAlarm) out.push(`${n.name}:memory`);
    if (n.diskAlarm) out.push(`${n.name}:disk`);
  }
  return out.sort().join(',');
}

const isBlocked = (c: RawConnection): boolean => c.state === 'blocked' || c.state === 'blocking';

export function connectionRefreshReason(
  kept: ConnectionList | null | undefined,
  now: {
    at: number;
    /** connectionsInterval, ms. */
    interval: number;
    /** alarmsOf this poll's nodes. */
    alarms: string;
    /** Open connections by /api/overview this poll. */
    open: number;
    /** Open channels by /api/overview this poll. */
    channels: number;
    /** The poll interval, ms. */
    pollInterval: number;
  },
): ConnectionRefreshReason | null {
  if (!kept) return 'first';
  // A clock set back counts as due, as a list from the future cannot be trusted to age.
  if (now.at - kept.takenAt >= now.interval || now.at < kept.takenAt) return 'interval';
  if (now.alarms !== '' || now.alarms !== kept.alarms) return 'alarm';
  if (kept.connections.some(isBlocked)) return 'blocked';
  const gap = Math.abs(now.open - kept.connections.length);
  if (gap >= MIN_COUNT_GAP && gap > COUNT_GAP_RATIO * kept.connections.length) return 'count';
  if (now.at - kept.takenAt >= 2 * now.pollInterval) {
    let listedChannels = 0;
    for (const c of kept.connections) listedChannels += c.channels;
    if (gap !== 0 || listedChannels !== now.channels) return 'changed';
  }
  return null;
}
