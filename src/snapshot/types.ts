// The domain value every later stage reads. One Snapshot per poll per cluster, built
// once from a Reading (src/sources) and its OpenStack classification (src/openstack),
// and never mutated: every type here is readonly. Nothing downstream of a Snapshot
// talks to the broker.
import type { ConnectionRole, QueueRole } from '../openstack/index.js';
import type { RawConnection, RawQueue, Reading } from '../sources/index.js';

export type { OpenStackKind, QueueRole, ConnectionRole } from '../openstack/index.js';
export type {
  BrokerInfo,
  ConsumerInfo,
  ExchangeInfo,
  NodeInfo,
  PolicyInfo,
  PollStats,
  QueueCounters,
  SecurityInfo,
  Totals,
  UserInfo,
  VhostInfo,
} from '../sources/index.js';

/** A queue as the broker gave it, with what its name says about it in OpenStack. */
export interface QueueInfo extends RawQueue {
  readonly role: QueueRole;
}

/** A connection as the broker gave it, with who holds it in OpenStack. */
export interface ConnectionInfo extends RawConnection {
  readonly role: ConnectionRole;
}

/** Channels summed over the connections of one vhost, user and connection state. */
export interface ChannelGroup {
  readonly vhost: string;
  readonly user: string;
  readonly state: string;
  readonly count: number;
}

/**
 * What the broker said (a Reading: target, broker, nodes, totals, poll, security, ...) with
 * every queue and connection classified, channels grouped, and the host map it was built with.
 */
export interface Snapshot extends Omit<Reading, 'queues' | 'connections'> {
  readonly queues: readonly QueueInfo[];
  readonly connections: readonly ConnectionInfo[];
  readonly channels: readonly ChannelGroup[];
  /**
   * Peer address -> host used to attribute this Snapshot's connections: `configured` from the
   * config's openstack.hosts (it wins), `learned` from the consumers of per-host RPC queues
   * (src/openstack/learn-hosts.ts). Absent when built without one.
   */
  readonly hostMap?: HostMap;
}

export interface HostMap {
  readonly configured: Readonly<Record<string, string>>;
  readonly learned: Readonly<Record<string, string>>;
}
