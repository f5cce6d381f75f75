// A Snapshot from a Reading (src/sources) and its classification (src/openstack).
import type { Classification, ConnectionRole, QueueRole } from '../openstack/index.js';
import type { RawConnection, RawQueue, Reading } from '../sources/index.js';
import type { Scope } from './filter.js';
import type { ChannelGroup, ConnectionInfo, HostMap, QueueInfo, Snapshot } from './types.js';

/**
 * The immutable Snapshot of one poll. `classification` is index for index with the
 * Reading's queues and connections (classifyReading). The types are readonly throughout;
 * only the top level is frozen at run time, since freezing every queue of a 50k-queue
 * broker each poll buys nothing the compiler does not already enforce.
 */
/** How a Snapshot is built beyond the reading: the host map its connections were attributed with, and the config's queue scope. */
export interface BuildOptions {
  readonly hostMap?: HostMap;
  readonly scope?: Scope | null;
}

export function buildSnapshot(reading: Reading, classification: Classification, { hostMap, scope = null }: BuildOptions = {}): Snapshot {
  const classified = reading.queues.map((q, i) => queueOf(q, roleAt(classification.queues, i)));
  // Out-of-scope queues (config `vhosts`/`queues`) are neither exported nor judged per queue;
  // the totals below are /api/overview's and still count them.
  const queues = scope ? classified.filter((q) => scope.vhost(q.vhost) && scope.queue(q.name)) : classified;
  const exchanges = scope ? reading.exchanges.filter((e) => scope.vhost(e.vhost)) : reading.exchanges;
  const consumers = scope ? reading.consumers.filter((c) => scope.vhost(c.vhost) && scope.queue(c.queue)) : reading.consumers;
  const connections = reading.connections.map((c, i): ConnectionInfo => connectionOf(c, roleAt(classification.connections, i)));
  return Object.freeze({
    target: reading.target,
    url: reading.url,
    cluster: reading.cluster,
    takenAt: reading.takenAt,
    broker: reading.broker,
    nodes: reading.nodes,
    vhosts: reading.vhosts,
    queues,
    exchanges,
    connections,
    consumers,
    channels: channelGroups(connections),
    policies: reading.policies,
    users: reading.users,
    totals: reading.totals,
    poll: reading.poll,
    ...(reading.security ? { security: reading.security } : {}),
    ...(hostMap ? { hostMap } : {}),
  });
}

function roleAt<T>(roles: readonly T[], i: number): T {
  const r = roles[i];
  if (r === undefined) throw new Error(`classification has ${roles.length} roles, the reading more`);
  return r;
}

/**
 * A queue built as one object literal of a fixed shape. Spreading (`{ ...q, role }`)
 * gave objects of ~800 bytes against ~190 this way (V8, measured at 50k queues), and the
 * history holds a dozen Snapshots of every queue: at 50k queues that is ~400 MB of heap.
 */
function queueOf(q: RawQueue, role: QueueRole): QueueInfo {
  return {
    name: q.name,
    vhost: q.vhost,
    node: q.node,
    type: q.type,
    state: q.state,
    durable: q.durable,
    autoDelete: q.autoDelete,
    exclusive: q.exclusive,
    expiresMs: q.expiresMs,
    policy: q.policy,
    policyExpiresMs: q.policyExpiresMs,
    consumers: q.consumers,
    messages: q.messages,
    ready: q.ready,
    unacked: q.unacked,
    idleSince: q.idleSince,
    headMessageAt: q.headMessageAt,
    counters: q.counters,
    members: q.members,
    online: q.online,
    leader: q.leader,
    extra: q.extra,
    role,
  };
}

function connectionOf(c: RawConnection, role: ConnectionRole): ConnectionInfo {
  return { ...c, role };
}

/**
 * Channels by vhost, user and connection state, from the connections list every poll:
 * /api/channels lists every channel (heavy on big brokers) and is gone when stats are off.
 */
function channelGroups(connections: readonly ConnectionInfo[]): ChannelGroup[] {
  const groups = new Map<string, { vhost: string; user: string; state: string; count: number }>();
  for (const c of connections) {
    const key = `${c.vhost}\u0000${c.user}\u0000${c.state}`;
    const g = groups.get(key) ?? { vhost: c.vhost, user: c.user, state: c.state, count: 0 };
    g.count += c.channels;
    groups.set(key, g);
  }
  return [...groups.values()];
}
