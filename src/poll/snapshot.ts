// One poll of one cluster through the stages below: the broker's Reading (src/sources),
// its OpenStack classification (src/openstack), the Snapshot (src/snapshot).
import type { ClusterConfig, OpenStackConfig } from '../config/index.js';
import { classifyReading, type TopicTable } from '../openstack/index.js';
import { buildSnapshot, scopeOf, type Snapshot } from '../snapshot/index.js';
import { collect, type CollectContext, type CollectorState, type HttpClient } from '../sources/index.js';

export interface PollContext {
  topics: TopicTable;
  openstack: OpenStackConfig;
  now?: () => number;
  signal?: AbortSignal;
}

export async function pollCluster(
  cfg: ClusterConfig,
  http: HttpClient,
  collector: CollectorState,
  ctx: PollContext,
): Promise<{ snapshot: Snapshot; state: CollectorState }> {
  const collectCtx: CollectContext = {};
  if (ctx.now) collectCtx.now = ctx.now;
  if (ctx.signal) collectCtx.signal = ctx.signal;
  const { reading, state } = await collect(cfg, http, collector, collectCtx);
  const snapshot = buildSnapshot(reading, classifyReading(reading, ctx.topics, ctx.openstack.hosts), scopeOf(cfg));
  return { snapshot, state };
}
