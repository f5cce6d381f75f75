// The Erlang/OTP release a node runs, as metrics and reports show it.
import type { BrokerInfo, NodeInfo } from '../sources/index.js';

/**
 * The OTP release (`25.2.3`) of a node: its own when the broker gave one, else the cluster's
 * from /api/overview `erlang_version`. /api/nodes often has only the `kernel` application's
 * version (`kernel 8.5.3`), which src/sources/parse.ts keeps for telling nodes apart
 * (cluster-version-mismatch) but which is not the release an operator looks up.
 */
export function otpRelease(node: Pick<NodeInfo, 'erlangVersion'>, broker: Pick<BrokerInfo, 'erlang'>): string {
  const own = node.erlangVersion;
  if (own && !own.startsWith('kernel ')) return own;
  return broker.erlang || own;
}
