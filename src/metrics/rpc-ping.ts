// The oslo RPC ping's last outcome per server (src/sources/oslo-ping-loop.ts): whether it
// answered, how long the answer took, and how many pings in a row went unanswered (what
// openstack-rpc-server-unresponsive judges). A server that answered with an error (ping
// not enabled) answered: success 1. A ping that could not be sent says nothing about the
// server, so it has no success sample; a timeout has no latency sample.
import type { RpcPingStatus } from '../sources/index.js';
import type { ExpositionWriter } from './exposition.js';

export function renderRpcPingMetrics(w: ExpositionWriter, cluster: string, results: readonly RpcPingStatus[]): void {
  if (results.length === 0) return;
  w.family('warren_openstack_rpc_ping_success', 'gauge', "Whether the RPC server answered warren's last oslo_rpc_server_ping (1, an error answer such as ping not enabled included) or not within the timeout (0).")
    .family('warren_openstack_rpc_ping_seconds', 'gauge', "Seconds the RPC server took to answer warren's last oslo_rpc_server_ping.")
    .family('warren_openstack_rpc_ping_consecutive_failures', 'gauge', 'oslo_rpc_server_ping calls in a row the RPC server left unanswered (0 after any answer).');
  for (const s of results) {
    const l = { cluster, service: s.target.service, topic: s.target.topic, host: s.target.host };
    if (s.state !== 'unsent') w.sample('warren_openstack_rpc_ping_success', l, s.state === 'timeout' ? 0 : 1);
    if (s.latencySeconds !== null) w.sample('warren_openstack_rpc_ping_seconds', l, s.latencySeconds);
    w.sample('warren_openstack_rpc_ping_consecutive_failures', l, s.consecutiveFailures);
  }
}
