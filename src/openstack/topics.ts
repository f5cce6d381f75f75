// The oslo.messaging topics OpenStack services serve, as data, and the argv0 -> service
// mapping used to attribute connections (oslo names a connection `<argv0>:<pid>:<uuid>`).

import type { TopicEntry } from './types.js';

/** A known RPC topic; `binary` is the process expected to serve it, where one is. */
export interface TopicSpec extends TopicEntry {
  binary?: string;
}

/** Lookup tables built once (per config) and shared by every classifyQueue call. */
export interface TopicTable {
  /** Exact RPC topics -> spec. */
  readonly rpc: ReadonlyMap<string, TopicSpec>;
  /** Notification topics (`<topic>.<priority>` queues) -> service. */
  readonly notifications: ReadonlyMap<string, string>;
}

/** RPC topics each service serves. Legacy and UNVERIFIED ones are kept: an old queue still has an owner. */
export const RPC_TOPICS: readonly TopicSpec[] = [
  // nova
  { topic: 'compute', service: 'nova', binary: 'nova-compute' },
  { topic: 'compute-alt', service: 'nova', binary: 'nova-compute' },
  { topic: 'conductor', service: 'nova', binary: 'nova-conductor' },
  { topic: 'scheduler', service: 'nova', binary: 'nova-scheduler' },
  { topic: 'consoleauth', service: 'nova', binary: 'nova-consoleauth' },
  { topic: 'cert', service: 'nova', binary: 'nova-cert' },
  { topic: 'console', service: 'nova', binary: 'nova-console' },
  { topic: 'cells', service: 'nova', binary: 'nova-cells' },
  // neutron-server
  { topic: 'q-plugin', service: 'neutron', binary: 'neutron-server' },
  { topic: 'q-reports-plugin', service: 'neutron', binary: 'neutron-server' },
  { topic: 'q-server-resource-versions', service: 'neutron', binary: 'neutron-server' },
  { topic: 'q-l3-plugin', service: 'neutron', binary: 'neutron-server' },
  { topic: 'q-metering-plugin', service: 'neutron', binary: 'neutron-server' },
  // neutron agents (q-agent-notifier-* and neutron-vo-* are families, see TOPIC_FAMILIES)
  { topic: 'dhcp_agent', service: 'neutron', binary: 'neutron-dhcp-agent' },
  { topic: 'l3_agent', service: 'neutron', binary: 'neutron-l3-agent' },
  { topic: 'metering_agent', service: 'neutron', binary: 'neutron-metering-agent' },
  // cinder
  { topic: 'cinder-scheduler', service: 'cinder', binary: 'cinder-scheduler' },
  { topic: 'cinder-volume', service: 'cinder', binary: 'cinder-volume' },
  { topic: 'cinder-backup', service: 'cinder', binary: 'cinder-backup' },
  // heat: `engine` per host; the other two per engine process (server = engine_id)
  { topic: 'engine', service: 'heat', binary: 'heat-engine' },
  { topic: 'heat-engine-listener', service: 'heat', binary: 'heat-engine' },
  { topic: 'engine_worker', service: 'heat', binary: 'heat-engine' },
  // octavia (v1's `octavia_prov` has no default but is the usual setting)
  { topic: 'octavia_provisioning_v2', service: 'octavia', binary: 'octavia-worker' },
  { topic: 'octavia_prov', service: 'octavia', binary: 'octavia-worker' },
  // ironic (the topic itself holds a dot)
  { topic: 'ironic.conductor_manager', service: 'ironic', binary: 'ironic-conductor' },
  // manila
  { topic: 'manila-scheduler', service: 'manila', binary: 'manila-scheduler' },
  { topic: 'manila-share', service: 'manila', binary: 'manila-share' },
  { topic: 'manila-data', service: 'manila', binary: 'manila-data' },
  // designate (UNVERIFIED)
  { topic: 'central', service: 'designate', binary: 'designate-central' },
  { topic: 'worker', service: 'designate', binary: 'designate-worker' },
  { topic: 'producer', service: 'designate', binary: 'designate-producer' },
  { topic: 'mdns', service: 'designate', binary: 'designate-mdns' },
  // magnum, trove, senlin (UNVERIFIED)
  { topic: 'magnum-conductor', service: 'magnum', binary: 'magnum-conductor' },
  { topic: 'trove-taskmanager', service: 'trove', binary: 'trove-taskmanager' },
  { topic: 'trove-conductor', service: 'trove', binary: 'trove-conductor' },
  { topic: 'guestagent', service: 'trove', binary: 'trove-guestagent' },
  { topic: 'senlin-engine', service: 'senlin', binary: 'senlin-engine' },
];

/**
 * Notification topics. A notification queue has many publishers, so the service named is the
 * one whose configuration decides the queue's fate: the usual consumer for the shared topics
 * (`notifications` is Ceilometer's intake, `notifications_designate` designate-sink's), the
 * only publisher for a service-specific one (`versioned_notifications` is Nova's).
 * Config `openstack.topics` overrides these like any topic.
 */
export const NOTIFICATION_TOPICS: readonly TopicEntry[] = [
  { topic: 'notifications', service: 'ceilometer' },
  { topic: 'versioned_notifications', service: 'nova' },
  { topic: 'notifications_designate', service: 'designate' },
  { topic: 'ironic_versioned_notifications', service: 'ironic' },
];

/** oslo notification priorities, lower-cased as they appear in queue names (notify/messaging.py). */
export const NOTIFICATION_PRIORITIES: ReadonlySet<string> = new Set([
  'audit',
  'debug',
  'info',
  'warn',
  'error',
  'critical',
  'sample',
]);

/**
 * Topics whose server part is a per-process id (heat's engine_id, a uuid4 per start), not a
 * host: these queues never expire, so every heat-engine restart orphans one of each.
 */
export const PER_PROCESS_TOPICS: ReadonlySet<string> = new Set(['heat-engine-listener', 'engine_worker']);

/**
 * Topic families generated from a pattern (neutron_lib/agent/topics.py). Each regex matches
 * the topic at the start of a name, up to the end or the dot before the server part.
 * `q-agent-notifier-<resource>-<operation>`; `neutron-vo-<Resource>-<major>.<minor>`
 * (the version holds a dot, so a plain split would cut the topic).
 */
const TOPIC_FAMILIES: ReadonlyArray<{ prefix: string; re: RegExp; service: string }> = [
  { prefix: 'q-agent-notifier-', re: /^q-agent-notifier-[A-Za-z0-9_]+-[A-Za-z0-9_]+(?=$|\.)/, service: 'neutron' },
  { prefix: 'neutron-vo-', re: /^neutron-vo-[A-Za-z0-9_]+-\d+\.\d+(?=$|\.)/, service: 'neutron' },
];

/** The family topic at the start of `name`, or null. */
export function familyTopic(name: string): { topic: string; service: string } | null {
  for (const f of TOPIC_FAMILIES) {
    if (!name.startsWith(f.prefix)) continue;
    const m = f.re.exec(name);
    if (m) return { topic: m[0], service: f.service };
  }
  return null;
}

/** Built-in topics extended (and overridden) by config `openstack.topics`. */
export function buildTopicTable(extra: readonly TopicEntry[] = []): TopicTable {
  const rpc = new Map<string, TopicSpec>();
  for (const t of RPC_TOPICS) rpc.set(t.topic, t);
  const notifications = new Map<string, string>();
  for (const t of NOTIFICATION_TOPICS) notifications.set(t.topic, t.service);
  for (const e of extra) {
    // A configured name that is a known notification topic re-assigns that topic's service;
    // anything else is an RPC topic the operator runs (and the binary is then unknown).
    if (notifications.has(e.topic)) notifications.set(e.topic, e.service);
    else rpc.set(e.topic, { topic: e.topic, service: e.service });
  }
  return { rpc, notifications };
}

export const DEFAULT_TOPIC_TABLE: TopicTable = buildTopicTable();

/** The process expected to consume `topic`'s queues, '' when several binaries may (neutron L2 agents). */
export function expectedBinary(topic: string, table: TopicTable = DEFAULT_TOPIC_TABLE): string {
  return table.rpc.get(topic)?.binary ?? '';
}

/**
 * OpenStack services whose binaries are named `<service>-<role>` (nova-compute,
 * neutron-openvswitch-agent, ceilometer-agent-notification, octavia-worker, ...).
 */
export const SERVICES: readonly string[] = [
  'nova',
  'neutron',
  'cinder',
  'heat',
  'octavia',
  'ironic',
  'ceilometer',
  'aodh',
  'glance',
  'keystone',
  'designate',
  'magnum',
  'manila',
  'trove',
  'senlin',
  'barbican',
  'placement',
  'swift',
  'zun',
  'masakari',
  'watcher',
  'cloudkitty',
  'blazar',
  'mistral',
  'zaqar',
  'sahara',
  'murano',
  'panko',
  'gnocchi',
  'vitrage',
  'tacker',
  'freezer',
  'monasca',
  'cyborg',
  'venus',
];

const SERVICE_SET: ReadonlySet<string> = new Set(SERVICES);

/**
 * The service of an oslo process from its argv0: `<service>-*` (`nova-compute` -> nova) or the
 * bare service name. WSGI hosts (`uwsgi`, `httpd`, `apache2`, `python3`) say nothing: ''.
 */
export function serviceOfBinary(binary: string): string {
  const dash = binary.indexOf('-');
  const head = dash < 0 ? binary : binary.slice(0, dash);
  return SERVICE_SET.has(head) ? head : '';
}
