// One poll of one cluster through the stages below: the broker's Reading (src/sources),
// its OpenStack classification (src/openstack), the Snapshot (src/snapshot).
import type { ClusterConfig, OpenStackConfig } from '../config/index.js';
import { attributeConnection, classifyReading, learnHosts, type TopicTable } from '../openstack/index.js';
import { buildSnapshot, scopeOf, type Snapshot } from '../snapshot/index.js';
import { collect, type CollectContext, type CollectorState, type HttpClient } from '../sources/index.js';

export interface PollContext {
  topics: TopicTable;
  openstack: OpenStackConfig;
  now?: () => number;
  signal?: AbortSignal;
  /** Address -> host learned by earlier polls of this cluster (ClusterPollState.learnedHosts). */
  learnedHosts?: Readonly<Record<string, string>>;
}

export async function pollCluster(
  cfg: ClusterConfig,
  http: HttpClient,
  collector: CollectorState,
  ctx: PollContext,
): Promise<{ snapshot: Snapshot; state: CollectorState; learnedHosts: Record<string, string> }> {
  const collectCtx: CollectContext = {};
  if (ctx.now) collectCtx.now = ctx.now;
  if (ctx.signal) collectCtx.signal = ctx.signal;
  const { reading, state } = await collect(cfg, http, collector, collectCtx);
  const configured = ctx.openstack.hosts;
  const classification = classifyReading(reading, ctx.topics, configured);
  // Learned here, in the poll stage, and kept in its state: the classification needs it
  // before the Snapshot exists, so keeping it downstream (the rules' learned state) would
  // make data flow back up the pipeline. The config's map wins over what was learned.
  const learnedHosts = learnHosts(reading, classification.queues, ctx.learnedHosts ?? {});
  const learned: Record<string, string> = {};
  for (const [a, h] of Object.entries(learnedHosts)) if (configured[a] === undefined && configured[a.replace(/^::ffff:/, '')] === undefined) learned[a] = h;
  const merged = { ...learned, ...configured };
  const connections = Object.keys(learned).length === 0 ? classification.connections : reading.connections.map((c) => attributeConnection(c.clientName, c.peerHost, merged));
  const snapshot = buildSnapshot(reading, { queues: classification.queues, connections }, { hostMap: { configured, learned }, scope: scopeOf(cfg) });
  return { snapshot, state, learnedHosts };
}
