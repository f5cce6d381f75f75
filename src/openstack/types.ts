// OpenStack's names for what it finds on a broker: the roles src/openstack/classify.ts
// reads from oslo.messaging naming, carried on every Snapshot queue and connection.

export type OpenStackKind = 'rpc_topic' | 'rpc_host' | 'fanout' | 'reply' | 'notification' | 'other';

/** What oslo.messaging naming tells us about a queue (see src/openstack). */
export interface QueueRole {
  /** OpenStack service (`nova`, `neutron`, `cinder`, `heat`, ...) or '' when unknown. */
  readonly service: string;
  readonly kind: OpenStackKind;
  /** RPC or notification topic (`compute`, `q-plugin`, `notifications`), '' when none. */
  readonly topic: string;
  /** The server part of a per-host queue (`cmp-01`, `ctl-1@lvm`), or the host of a queue-manager name. */
  readonly host: string;
}

/** Who holds a connection, read from client_properties and peer_host (see src/openstack). */
export interface ConnectionRole {
  readonly service: string;
  /** argv[0] of the process (`nova-compute`), '' when the client gave no oslo connection_name. */
  readonly binary: string;
  readonly pid: string;
  /** Host name from the config's host map, else peer_host. */
  readonly host: string;
}

/** An RPC topic a service serves, e.g. `{ topic: 'compute', service: 'nova' }`. */
export interface TopicEntry {
  topic: string;
  service: string;
}
