// The domain value every later stage reads. One Snapshot per poll per cluster;
// it is built once, frozen, and never mutated. Nothing downstream of a Snapshot
// talks to the broker.

import type { SecurityInfo } from './security.js';

export type OpenStackKind = 'rpc_topic' | 'rpc_host' | 'fanout' | 'reply' | 'notification' | 'other';

/** What oslo.messaging naming tells us about a queue (see src/openstack). */
export interface QueueRole {
  /** OpenStack service (`nova`, `neutron`, `cinder`, `heat`, ...) or '' when unknown. */
  service: string;
  kind: OpenStackKind;
  /** RPC or notification topic (`compute`, `q-plugin`, `notifications`), '' when none. */
  topic: string;
  /** The server part of a per-host queue (`cmp-01`, `ctl-1@lvm`), or the host of a queue-manager name. */
  host: string;
}

/** Who holds a connection, read from client_properties and peer_host (see src/openstack). */
export interface ConnectionRole {
  service: string;
  /** argv[0] of the process (`nova-compute`), '' when the client gave no oslo connection_name. */
  binary: string;
  pid: string;
  /** Host name from the config's host map, else peer_host. */
  host: string;
}

export interface BrokerInfo {
  version: string;
  erlang: string;
  clusterName: string;
  managementVersion: string;
  /** management.disable_stats or disable_metrics_collector: no message_stats, no /api/channels. */
  statsDisabled: boolean;
  ratesMode: string;
}

export interface NodeInfo {
  name: string;
  running: boolean;
  type: string;
  memUsed: number;
  memLimit: number;
  memAlarm: boolean;
  diskFree: number;
  diskFreeLimit: number;
  diskAlarm: boolean;
  fdUsed: number;
  fdTotal: number;
  socketsUsed: number;
  socketsTotal: number;
  procUsed: number;
  procTotal: number;
  /** Milliseconds since the node started. */
  uptimeMs: number;
  partitions: string[];
  rabbitmqVersion: string;
  erlangVersion: string;
  /** Cluster-wide nodes this node believes are running, when the broker reports it. */
  clusterLinks: string[];
}

export interface VhostInfo {
  name: string;
  messages: number;
  ready: number;
  unacked: number;
}

/** Counters are cumulative since queue creation; warren derives rates from them. */
export interface QueueCounters {
  published: number;
  delivered: number;
  acked: number;
  redelivered: number;
}

export interface QueueInfo {
  name: string;
  vhost: string;
  node: string;
  /** classic | quorum | stream */
  type: string;
  state: string;
  durable: boolean;
  autoDelete: boolean;
  exclusive: boolean;
  /** x-expires from arguments, ms; null when absent. */
  expiresMs: number | null;
  /** The policy applied to the queue, '' when none. */
  policy: string;
  /** The effective policy's `expires`, ms, null when absent. */
  policyExpiresMs: number | null;
  consumers: number;
  messages: number;
  ready: number;
  unacked: number;
  /** ms epoch of the broker's idle_since, null when the queue is active or the broker gives none. */
  idleSince: number | null;
  /** null where the broker gives no message_stats (stats disabled, or a queue never published to). */
  counters: QueueCounters | null;
  /** Quorum queues only: members, online members, leader ('' when none). */
  members: string[];
  online: string[];
  leader: string;
  role: QueueRole;
}

export interface ExchangeInfo {
  name: string;
  vhost: string;
  type: string;
  durable: boolean;
  publishedIn: number | null;
  publishedOut: number | null;
}

export interface ConnectionInfo {
  name: string;
  vhost: string;
  user: string;
  node: string;
  /** running | blocked | blocking | flow | closed ... */
  state: string;
  channels: number;
  channelMax: number;
  peerHost: string;
  peerPort: number;
  connectedAt: number;
  /** Heartbeat timeout in seconds; 0 means heartbeats are off. */
  timeout: number;
  /** client_properties.connection_name (oslo: `<argv0>:<pid>:<uuid>`), '' when none. */
  clientName: string;
  product: string;
  role: ConnectionRole;
}

/** A consumer joined to its connection (attribution of who consumes a queue). */
export interface ConsumerInfo {
  queue: string;
  vhost: string;
  /** The broker's connection name, joins ConnectionInfo.name. */
  connection: string;
  ackRequired: boolean;
  prefetch: number;
}

/** Channels summed over the connections of one vhost, user and connection state. */
export interface ChannelGroup {
  vhost: string;
  user: string;
  state: string;
  count: number;
}

export interface PolicyInfo {
  name: string;
  vhost: string;
  pattern: string;
  applyTo: string;
  priority: number;
  definition: Record<string, unknown>;
}

export interface UserInfo {
  name: string;
  tags: string[];
}

/** Cluster totals from /api/overview; counters are cumulative. */
export interface Totals {
  queues: number;
  exchanges: number;
  connections: number;
  channels: number;
  consumers: number;
  messages: number;
  ready: number;
  unacked: number;
  published: number | null;
  delivered: number | null;
  returnedUnroutable: number | null;
  droppedUnroutable: number | null;
  connectionsCreated: number | null;
  connectionsClosed: number | null;
  channelsCreated: number | null;
  channelsClosed: number | null;
  queuesDeclared: number | null;
  queuesDeleted: number | null;
}

/** What the poll itself cost and how it went: exported as warren_* self-metrics. */
export interface PollStats {
  startedAt: number;
  durationMs: number;
  requests: number;
  bytes: number;
  /** Where per-queue depth came from. */
  queueSource: 'management' | 'prometheus';
  /** Whether the slow inventory tier (policies, users, consumers, connection details) was refreshed this poll. */
  inventoryRefreshed: boolean;
  /** Non-fatal problems (an optional endpoint failed); fatal ones make the poll fail instead. */
  warnings: string[];
}

export interface Snapshot {
  /** The configured target name (the config file's cluster name, or the url host). */
  target: string;
  url: string;
  /** The broker's cluster name: the `cluster` label, whichever node answered. */
  cluster: string;
  takenAt: number;
  broker: BrokerInfo;
  nodes: NodeInfo[];
  vhosts: VhostInfo[];
  queues: QueueInfo[];
  exchanges: ExchangeInfo[];
  connections: ConnectionInfo[];
  consumers: ConsumerInfo[];
  channels: ChannelGroup[];
  policies: PolicyInfo[];
  users: UserInfo[];
  totals: Totals;
  poll: PollStats;
  /** Listeners, authentication attempts, permissions, certificates; absent where not collected. */
  security?: SecurityInfo;
}
