// Host attribution without a hand-written map. oslo's connection_name has no host and the
// broker knows only the peer address, but the process consuming a per-host RPC queue
// (`compute.cmp-b`) runs on that host: its peer address is cmp-b, and so is every other
// connection from that address (services on one host share it).
import { PER_PROCESS_TOPICS } from './topics.js';
import { hostOfServer } from './hosts.js';
import type { QueueRole } from './types.js';
import type { Reading } from '../sources/index.js';

/**
 * Address -> host learned from one Reading, over what was learned before. `queueRoles` is
 * index for index with the Reading's queues. An address seen consuming the queues of two
 * different hosts (NAT, or every service on one machine) is ambiguous and is dropped, as
 * is what it was learned as before; an address not seen now keeps what it was learned as
 * (the process may be down: that is when the host matters most).
 */
export function learnHosts(
  reading: Pick<Reading, 'queues' | 'connections' | 'consumers'>,
  queueRoles: readonly QueueRole[],
  previous: Readonly<Record<string, string>>,
): Record<string, string> {
  const hostOfQueue = new Map<string, string>();
  reading.queues.forEach((q, i) => {
    const r = queueRoles[i];
    if (!r || r.kind !== 'rpc_host' || PER_PROCESS_TOPICS.has(r.topic) || !r.host) return;
    hostOfQueue.set(`${q.vhost}\u0000${q.name}`, hostOfServer(r.host));
  });
  if (hostOfQueue.size === 0) return { ...previous };
  const peerOf = new Map<string, string>();
  for (const c of reading.connections) if (c.peerHost) peerOf.set(c.name, c.peerHost);
  const seen = new Map<string, Set<string>>();
  for (const c of reading.consumers) {
    const host = hostOfQueue.get(`${c.vhost}\u0000${c.queue}`);
    const peer = peerOf.get(c.connection);
    if (!host || !peer) continue;
    let s = seen.get(peer);
    if (!s) seen.set(peer, (s = new Set()));
    s.add(host);
  }
  const out: Record<string, string> = { ...previous };
  for (const [peer, hosts] of seen) {
    if (hosts.size === 1) out[peer] = [...hosts][0]!;
    else delete out[peer];
  }
  return out;
}
