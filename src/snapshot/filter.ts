// Which vhosts and queues are exported and judged per queue: the config's `vhosts` and
// `queues` include/exclude patterns, with kbudde's INCLUDE_VHOST/SKIP_VHOST/
// INCLUDE_QUEUES/SKIP_QUEUES semantics (a pattern matches anywhere in the lower-cased
// name unless anchored; kept = include matches and exclude does not). Cluster totals
// come from /api/overview and still count every queue.
import type { NameFilter } from '../config/index.js';

export interface ScopeFilters {
  readonly vhosts?: NameFilter | undefined;
  readonly queues?: NameFilter | undefined;
}

/** A vhost or queue name test; null when nothing is filtered. */
export type NameTest = (name: string) => boolean;

export interface Scope {
  readonly vhost: NameTest;
  readonly queue: NameTest;
}

function nameTest(f: NameFilter | undefined): NameTest | null {
  if (!f || (f.include === undefined && f.exclude === undefined)) return null;
  const include = f.include !== undefined ? new RegExp(f.include) : null;
  const exclude = f.exclude !== undefined ? new RegExp(f.exclude) : null;
  return (name) => {
    const lower = name.toLowerCase();
    return (include === null || include.test(lower)) && (exclude === null || !exclude.test(lower));
  };
}

const all: NameTest = () => true;

/** The filters as tests, or null when the cluster keeps everything. */
export function scopeOf(cfg: ScopeFilters): Scope | null {
  const vhost = nameTest(cfg.vhosts);
  const queue = nameTest(cfg.queues);
  if (!vhost && !queue) return null;
  return { vhost: vhost ?? all, queue: queue ?? all };
}
