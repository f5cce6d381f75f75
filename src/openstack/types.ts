import type { OpenStackKind } from '../snapshot/types.js';

/** An RPC topic a service serves, e.g. `{ topic: 'compute', service: 'nova' }`. */
export interface TopicEntry {
  topic: string;
  service: string;
}

/** The OpenStack picture derived from one Snapshot: what metrics, rules and the report show. */
export interface OpenStackView {
  services: ServiceSummary[];
  /** Every per-host RPC queue (`compute.cmp-01`), consumed or not. */
  hostQueues: HostQueue[];
  /** Connections counted per service and host. */
  connections: Array<{ service: string; host: string; count: number }>;
  /**
   * Per-process queues with no consumer: reply_, `<topic>_fanout_<unique>` (not stream
   * fanouts, which are shared), and `perProcess`: heat's `heat-engine-listener.<engine_id>` /
   * `engine_worker.<engine_id>`, which never expire and are left behind by every restart.
   * `withoutExpiry`: those of them with neither x-expires nor a policy `expires`.
   */
  orphans: { reply: number; fanout: number; perProcess: number; withoutExpiry: number };
  /** Queues per service and kind, for the rabbitmq_openstack_{queues,messages,consumers} families. */
  byKind: Array<{ service: string; kind: OpenStackKind; queues: number; messages: number; consumers: number }>;
}

export interface ServiceSummary {
  service: string;
  queues: number;
  messages: number;
  consumers: number;
  connections: number;
  /** Hosts seen for this service, from per-host queues and connections, sorted. */
  hosts: string[];
}

export interface HostQueue {
  service: string;
  topic: string;
  host: string;
  queue: string;
  vhost: string;
  consumers: number;
  messages: number;
  ready: number;
  idleSince: number | null;
}
