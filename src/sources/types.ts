import type { SecurityInfo } from './security-types.js';
// What the broker said, typed and checked, before anything is inferred from it: the
// sources stage's output. OpenStack roles are added by src/openstack, the immutable
// Snapshot is built from a Reading by src/snapshot.
/** A queue's identity within a cluster: its vhost and name. */
export function queueKey(q: { readonly vhost: string; readonly name: string }): string {
  return `${q.vhost}\u0000${q.name}`;
}

export interface BrokerInfo {
  readonly version: string;
  readonly erlang: string;
  readonly clusterName: string;
  readonly managementVersion: string;
  /** management.disable_stats or disable_metrics_collector: no message_stats, no /api/channels. */
  readonly statsDisabled: boolean;
  readonly ratesMode: string;
  /** The node that answered /api/overview. */
  readonly node?: string | undefined;
}

export interface NodeInfo {
  readonly name: string;
  /** null: the broker listed the node without saying (unknown, not stopped). */
  readonly running: boolean | null;
  readonly type: string;
  readonly memUsed: number;
  readonly memLimit: number;
  readonly memAlarm: boolean;
  readonly diskFree: number;
  readonly diskFreeLimit: number;
  readonly diskAlarm: boolean;
  readonly fdUsed: number;
  readonly fdTotal: number;
  readonly socketsUsed: number;
  readonly socketsTotal: number;
  readonly procUsed: number;
  readonly procTotal: number;
  /** Milliseconds since the node started. */
  readonly uptimeMs: number;
  readonly partitions: readonly string[];
  readonly rabbitmqVersion: string;
  readonly erlangVersion: string;
  /** Cluster-wide nodes this node believes are running, when the broker reports it. */
  readonly clusterLinks: readonly string[];
}

export interface VhostInfo {
  readonly name: string;
  readonly messages: number;
  readonly ready: number;
  readonly unacked: number;
}

/** Counters are cumulative since queue creation; warren derives rates from them. */
export interface QueueCounters {
  readonly published: number;
  readonly delivered: number;
  readonly acked: number;
  readonly redelivered: number;
}

export interface ExchangeInfo {
  readonly name: string;
  readonly vhost: string;
  readonly type: string;
  readonly durable: boolean;
  readonly publishedIn: number | null;
  readonly publishedOut: number | null;
  /** The metrics profile's further numbers by metric name (src/sources/broker-fields.ts), only those the broker reported. */
  readonly extra?: Readonly<Record<string, number>> | null | undefined;
}

/** A consumer joined to its connection (attribution of who consumes a queue). */
export interface ConsumerInfo {
  readonly queue: string;
  readonly vhost: string;
  /** The broker's connection name, joins ConnectionInfo.name. */
  readonly connection: string;
  readonly ackRequired: boolean;
  readonly prefetch: number;
}

export interface PolicyInfo {
  readonly name: string;
  readonly vhost: string;
  readonly pattern: string;
  readonly applyTo: string;
  readonly priority: number;
  readonly definition: Readonly<Record<string, unknown>>;
}

export interface UserInfo {
  readonly name: string;
  readonly tags: readonly string[];
}

/** Cluster totals from /api/overview; counters are cumulative. */
export interface Totals {
  readonly queues: number;
  readonly exchanges: number;
  readonly connections: number;
  readonly channels: number;
  readonly consumers: number;
  /** queue_totals: null while no queue has statistics (a new broker, statistics off). */
  readonly messages: number | null;
  readonly ready: number | null;
  readonly unacked: number | null;
  readonly published: number | null;
  readonly delivered: number | null;
  readonly returnedUnroutable: number | null;
  readonly droppedUnroutable: number | null;
  readonly connectionsCreated: number | null;
  readonly connectionsClosed: number | null;
  readonly channelsCreated: number | null;
  readonly channelsClosed: number | null;
  readonly queuesDeclared: number | null;
  readonly queuesDeleted: number | null;
}

/** What the poll itself cost and how it went: exported as warren_* self-metrics. */
export interface PollStats {
  readonly startedAt: number;
  readonly durationMs: number;
  readonly requests: number;
  readonly bytes: number;
  /** Where per-queue depth came from. */
  readonly queueSource: 'management' | 'prometheus';
  /** Whether the slow inventory tier (policies, users, consumers) was refreshed this poll. */
  readonly inventoryRefreshed: boolean;
  /**
   * Whether the connection list (Reading.connections) was asked this poll; between
   * refreshes it is the one listed at connectionsListedAt (src/sources/connection-tier.ts).
   */
  readonly connectionsRefreshed: boolean;
  readonly connectionsListedAt: number;
  /** Non-fatal problems (an optional endpoint failed); fatal ones make the poll fail instead. */
  readonly warnings: readonly string[];
}

/** A queue as the management API or the plugin gives it, before OpenStack classification. */
export interface RawQueue {
  readonly name: string;
  readonly vhost: string;
  readonly node: string;
  readonly type: string;
  readonly state: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly exclusive: boolean;
  readonly expiresMs: number | null;
  readonly policy: string;
  readonly policyExpiresMs: number | null;
  /**
   * Depth and consumers; null while the broker lists the queue without its statistics (for a
   * few seconds after it is declared): unknown, never 0. Rules neither fire nor resolve on
   * it, metrics omit it, reports say "stats pending".
   */
  readonly consumers: number | null;
  readonly messages: number | null;
  readonly ready: number | null;
  readonly unacked: number | null;
  readonly idleSince: number | null;
  /**
   * When the head message was published (ms), from its AMQP `timestamp` property
   * (`head_message_timestamp`); null when the broker does not say: no message, or one
   * published without a timestamp (oslo.messaging sets none), or the plugin path.
   */
  readonly headMessageAt: number | null;
  readonly counters: QueueCounters | null;
  readonly members: readonly string[];
  readonly online: readonly string[];
  readonly leader: string;
  /** The metrics profile's further numbers by metric name (src/sources/broker-fields.ts), only those the broker reported. */
  readonly extra?: Readonly<Record<string, number>> | null | undefined;
}

/** A connection as the management API gives it, before OpenStack attribution. */
export interface RawConnection {
  readonly name: string;
  readonly vhost: string;
  readonly user: string;
  readonly node: string;
  readonly state: string;
  readonly channels: number;
  readonly channelMax: number;
  readonly peerHost: string;
  readonly peerPort: number;
  readonly connectedAt: number;
  readonly timeout: number;
  readonly clientName: string;
  readonly product: string;
}

/** One poll of one cluster as the broker answered it. */
export interface Reading {
  /** The configured target name (the config file's cluster name, or the url host). */
  readonly target: string;
  readonly url: string;
  /** The broker's cluster name. */
  readonly cluster: string;
  readonly takenAt: number;
  readonly broker: BrokerInfo;
  readonly nodes: readonly NodeInfo[];
  readonly vhosts: readonly VhostInfo[];
  /** Depth and consumers laid over the listing, the policy's `expires` resolved. */
  readonly queues: readonly RawQueue[];
  readonly exchanges: readonly ExchangeInfo[];
  readonly connections: readonly RawConnection[];
  readonly consumers: readonly ConsumerInfo[];
  readonly policies: readonly PolicyInfo[];
  /** null: warren may not list users (it needs the administrator tag) or the listing failed; unknown, not "none". */
  readonly users: readonly UserInfo[] | null;
  readonly totals: Totals;
  readonly poll: PollStats;
  /** Listeners, authentication attempts, permissions, certificates; absent where not collected. */
  readonly security?: SecurityInfo;
}
