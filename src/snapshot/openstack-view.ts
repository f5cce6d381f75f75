// The OpenStack picture of one Snapshot (queues and connections already carry `role`):
// per-service totals, per-host RPC queues, connections per service and host, orphans.
// Plus the consumer -> connection join that says who consumes a queue.
// It reads Snapshots, so it lives in the snapshot stage as a derived view; the naming
// rules it applies (topics, hosts) are src/openstack's.

import {
  DEFAULT_TOPIC_TABLE,
  PER_PROCESS_TOPICS,
  expectedBinary,
  hostOfServer,
  isAddress,
  type OpenStackKind,
  type TopicTable,
} from '../openstack/index.js';
import { queueKey } from '../sources/index.js';
import type { ConnectionInfo, ConsumerInfo, QueueInfo, Snapshot } from './types.js';

/** The OpenStack picture derived from one Snapshot: what metrics, rules and the report show. */
export interface OpenStackView {
  readonly services: readonly ServiceSummary[];
  /** Every per-host RPC queue (`compute.cmp-01`), consumed or not. */
  readonly hostQueues: readonly HostQueue[];
  /** Connections counted per service and host. */
  readonly connections: ReadonlyArray<Readonly<{ service: string; host: string; count: number }>>;
  /**
   * Per-process queues with no consumer: reply_, `<topic>_fanout_<unique>` (not stream
   * fanouts, which are shared), and `perProcess`: heat's `heat-engine-listener.<engine_id>` /
   * `engine_worker.<engine_id>`, which never expire and are left behind by every restart.
   * `withoutExpiry`: those of them with neither x-expires nor a policy `expires`.
   */
  readonly orphans: Readonly<{ reply: number; fanout: number; perProcess: number; withoutExpiry: number }>;
  /** Queues per service and kind, for the rabbitmq_openstack_{queues,messages,consumers} families. */
  readonly byKind: ReadonlyArray<Readonly<{ service: string; kind: OpenStackKind; queues: number; messages: number; consumers: number }>>;
}

export interface ServiceSummary {
  readonly service: string;
  readonly queues: number;
  readonly messages: number;
  readonly consumers: number;
  readonly connections: number;
  /** Hosts seen for this service, from per-host queues and connections, sorted. */
  readonly hosts: readonly string[];
}

export interface HostQueue {
  readonly service: string;
  readonly topic: string;
  readonly host: string;
  readonly queue: string;
  readonly vhost: string;
  /** null while the broker lists the queue without its statistics (src/sources/types.ts RawQueue). */
  readonly consumers: number | null;
  readonly messages: number | null;
  readonly ready: number | null;
  readonly idleSince: number | null;
}


// sameHost as map lookups. Pairwise sameHost over every host (or every connection per
// host queue) is quadratic: at 50k queues that is ~10^8 calls and seconds of CPU per poll.
// A name's key holds what sameHost compares: the lowercased host, whether it is an
// address, and its short name (before the first dot, for a dot past position 0).

interface HostKey {
  /** hostOfServer(name), lowercased; '' matches nothing. */
  host: string;
  address: boolean;
  /** The part before the first dot when the host has one (not at position 0); else null. */
  short: string | null;
  /** True when the host has no dot at all. */
  undotted: boolean;
}

function hostKey(name: string): HostKey {
  const host = hostOfServer(name).toLowerCase();
  const dot = host.indexOf('.');
  return { host, address: host !== '' && isAddress(host), short: dot > 0 ? host.slice(0, dot) : null, undotted: dot < 0 };
}

/**
 * What to look up for a name with key `k`, in an index built with `indexKeys`: its exact
 * host and, for a name (not an address), the dotted names it is the short form of
 * (`shortOfDotted`) or the undotted name that is its own short form (`undotted`).
 */
function matchingKeys(k: HostKey): { exact: string; shortOfDotted: string | null; undotted: string | null } {
  if (k.host === '' || k.address) return { exact: k.host, shortOfDotted: null, undotted: null };
  // undotted x matches dotted y with y's short === x; dotted x matches undotted y === x's short.
  return { exact: k.host, shortOfDotted: k.undotted ? k.host : null, undotted: k.short };
}

/** Index entries for a member: exact host; plus, for names (not addresses), its short name or undotted form. */
function indexKeys(k: HostKey): { exact: string | null; shortOfDotted: string | null; undotted: string | null } {
  if (k.host === '') return { exact: null, shortOfDotted: null, undotted: null };
  if (k.address) return { exact: k.host, shortOfDotted: null, undotted: null };
  return { exact: k.host, shortOfDotted: k.short, undotted: k.undotted ? k.host : null };
}

/** A set of host names answering "is any member sameHost as this?" in O(1). */
class HostSet {
  private readonly exact = new Set<string>();
  private readonly shortOfDotted = new Set<string>();
  private readonly undotted = new Set<string>();

  add(name: string): void {
    const i = indexKeys(hostKey(name));
    if (i.exact !== null) this.exact.add(i.exact);
    if (i.shortOfDotted !== null) this.shortOfDotted.add(i.shortOfDotted);
    if (i.undotted !== null) this.undotted.add(i.undotted);
  }

  hasSameHost(name: string): boolean {
    const m = matchingKeys(hostKey(name));
    if (m.exact === '') return false;
    return (
      this.exact.has(m.exact) ||
      (m.shortOfDotted !== null && this.shortOfDotted.has(m.shortOfDotted)) ||
      (m.undotted !== null && this.undotted.has(m.undotted))
    );
  }
}

/** Connections indexed by host forms, built once per Snapshot's connection list. */
interface ConnectionHostIndex {
  length: number;
  exact: Map<string, number[]>;
  shortOfDotted: Map<string, number[]>;
  undotted: Map<string, number[]>;
  /** Some OpenStack connection comes from an unmapped address. */
  unmapped: boolean;
}

const connectionIndexes = new WeakMap<readonly ConnectionInfo[], ConnectionHostIndex>();

function connectionHostIndex(connections: readonly ConnectionInfo[]): ConnectionHostIndex {
  const cached = connectionIndexes.get(connections);
  if (cached && cached.length === connections.length) return cached;
  const idx: ConnectionHostIndex = { length: connections.length, exact: new Map(), shortOfDotted: new Map(), undotted: new Map(), unmapped: false };
  const put = (m: Map<string, number[]>, k: string | null, i: number): void => {
    if (k === null) return;
    const l = m.get(k);
    if (l) l.push(i);
    else m.set(k, [i]);
  };
  const keys = new Map<string, HostKey>();
  connections.forEach((c, i) => {
    let k = keys.get(c.role.host);
    if (!k) keys.set(c.role.host, (k = hostKey(c.role.host)));
    const e = indexKeys(k);
    put(idx.exact, e.exact, i);
    put(idx.shortOfDotted, e.shortOfDotted, i);
    put(idx.undotted, e.undotted, i);
    if (!idx.unmapped && c.role.service !== '' && isAddress(c.role.host)) idx.unmapped = true;
  });
  connectionIndexes.set(connections, idx);
  return idx;
}

/** Connections whose host is sameHost as `host`, in list order. */
function connectionsFromHost(connections: readonly ConnectionInfo[], host: string): ConnectionInfo[] {
  const idx = connectionHostIndex(connections);
  const m = matchingKeys(hostKey(host));
  if (m.exact === '') return [];
  const lists = [
    idx.exact.get(m.exact),
    m.shortOfDotted !== null ? idx.shortOfDotted.get(m.shortOfDotted) : undefined,
    m.undotted !== null ? idx.undotted.get(m.undotted) : undefined,
  ].filter((l): l is number[] => l !== undefined && l.length > 0);
  if (lists.length === 0) return [];
  const positions = lists.length === 1 ? lists[0]! : [...new Set(lists.flat())].sort((a, b) => a - b);
  return positions.map((i) => connections[i]!);
}

/** A per-host RPC queue whose server part is a real host (not heat's per-process engine_id). */
function isHostQueue(q: QueueInfo): boolean {
  return q.role.kind === 'rpc_host' && !PER_PROCESS_TOPICS.has(q.role.topic);
}

/** A per-process queue (reply_, `_fanout_`, heat's engine_id queues); stream fanouts are shared, so not. */
function isPerProcessQueue(q: QueueInfo): boolean {
  if (q.role.kind === 'reply') return true;
  if (q.role.kind === 'fanout') return q.type !== 'stream';
  return q.role.kind === 'rpc_host' && PER_PROCESS_TOPICS.has(q.role.topic);
}

export function openstackView(snapshot: Snapshot): OpenStackView {
  interface Acc {
    queues: number;
    messages: number;
    consumers: number;
    connections: number;
    queueHosts: string[];
    connHosts: string[];
  }
  const services = new Map<string, Acc>();
  const acc = (service: string): Acc => {
    let a = services.get(service);
    if (!a) {
      a = { queues: 0, messages: 0, consumers: 0, connections: 0, queueHosts: [], connHosts: [] };
      services.set(service, a);
    }
    return a;
  };

  const byKind = new Map<string, { service: string; kind: OpenStackKind; queues: number; messages: number; consumers: number }>();
  const hostQueues: HostQueue[] = [];
  const orphans = { reply: 0, fanout: 0, perProcess: 0, withoutExpiry: 0 };

  for (const q of snapshot.queues) {
    const { service, kind } = q.role;
    const k = `${service}\u0000${kind}`;
    let bk = byKind.get(k);
    if (!bk) {
      bk = { service, kind, queues: 0, messages: 0, consumers: 0 };
      byKind.set(k, bk);
    }
    // Sums of what is known: a queue still without statistics (just declared) adds nothing.
    bk.queues++;
    bk.messages += q.messages ?? 0;
    bk.consumers += q.consumers ?? 0;

    if (service !== '') {
      const a = acc(service);
      a.queues++;
      a.messages += q.messages ?? 0;
      a.consumers += q.consumers ?? 0;
      if (isHostQueue(q)) a.queueHosts.push(hostOfServer(q.role.host));
    }

    if (isHostQueue(q)) hostQueues.push(hostQueueOf(q));

    if (q.consumers === 0 && isPerProcessQueue(q)) {
      if (kind === 'reply') orphans.reply++;
      else if (kind === 'fanout') orphans.fanout++;
      else orphans.perProcess++;
      if (q.expiresMs === null && q.policyExpiresMs === null) orphans.withoutExpiry++;
    }
  }

  const connCounts = new Map<string, { service: string; host: string; count: number }>();
  for (const c of snapshot.connections) {
    const { service, host } = c.role;
    if (service === '') continue;
    const a = acc(service);
    a.connections++;
    a.connHosts.push(host);
    const k = `${service}\u0000${host}`;
    const cc = connCounts.get(k);
    if (cc) cc.count++;
    else connCounts.set(k, { service, host, count: 1 });
  }

  const summaries: ServiceSummary[] = [];
  for (const [service, a] of services) {
    summaries.push({
      service,
      queues: a.queues,
      messages: a.messages,
      consumers: a.consumers,
      connections: a.connections,
      hosts: serviceHosts(a.queueHosts, a.connHosts),
    });
  }
  summaries.sort((x, y) => cmp(x.service, y.service));
  hostQueues.sort((x, y) => cmp(x.service, y.service) || cmp(x.topic, y.topic) || cmp(x.host, y.host) || cmp(x.vhost, y.vhost));
  const connections = [...connCounts.values()].sort((x, y) => cmp(x.service, y.service) || cmp(x.host, y.host));
  const kinds = [...byKind.values()].sort((x, y) => cmp(x.service, y.service) || cmp(x.kind, y.kind));

  return { services: summaries, hostQueues, connections, orphans, byKind: kinds };
}

/**
 * Hosts of a service: the servers of its per-host queues, plus its connections' hosts that
 * are not already there under another spelling. An unmapped peer address is only counted
 * for services without per-host queues (glance, keystone, ceilometer): elsewhere it is the
 * same machine a queue already names, and counting it would double the host.
 */
function serviceHosts(queueHosts: string[], connHosts: string[]): string[] {
  const out: string[] = [];
  const seen = new HostSet();
  const add = (h: string): void => {
    if (h !== '' && !seen.hasSameHost(h)) {
      out.push(h);
      seen.add(h);
    }
  };
  for (const h of queueHosts) add(h);
  const hasQueueHosts = out.length > 0;
  for (const h of connHosts) if (!(hasQueueHosts && isAddress(h))) add(h);
  return out.sort(cmp);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------
// Who consumes what

export interface QueueConsumer {
  readonly consumer: ConsumerInfo;
  /** The connection holding the consumer; undefined when the connection list did not have it. */
  readonly connection: ConnectionInfo | undefined;
}

/**
 * Consumers per queue (key: `queueKey` from src/sources/types.ts), each joined to its connection
 * by the broker's connection name, which carries the oslo role (service, binary, pid, host).
 */
export function consumersByQueue(snapshot: Snapshot): Map<string, QueueConsumer[]> {
  const conns = new Map<string, ConnectionInfo>();
  for (const c of snapshot.connections) conns.set(c.name, c);
  const out = new Map<string, QueueConsumer[]>();
  for (const consumer of snapshot.consumers) {
    const k = queueKey({ vhost: consumer.vhost, name: consumer.queue });
    const entry: QueueConsumer = { consumer, connection: conns.get(consumer.connection) };
    const list = out.get(k);
    if (list) list.push(entry);
    else out.set(k, [entry]);
  }
  return out;
}

/** A per-host RPC queue as the OpenStack view (and the rule that diagnoses it) sees it. */
export function hostQueueOf(q: QueueInfo): HostQueue {
  return {
    service: q.role.service,
    topic: q.role.topic,
    host: q.role.host,
    queue: q.name,
    vhost: q.vhost,
    consumers: q.consumers,
    messages: q.messages,
    ready: q.ready,
    idleSince: q.idleSince,
  };
}

/**
 * Why a per-host RPC queue has no consumer (openstack-host-queue-unconsumed says which):
 * - `consumed`: it has one; `stats-pending`: the broker does not say yet (just declared);
 * - `lost-subscription`: the serving process still holds connections from that host but
 *   consumes nothing (consumer cancel, failover): restart it;
 * - `process-gone`: the host is visible (other connections, or the host map resolves
 *   everything) but the serving process holds no connection: the process is down;
 * - `unattributed`: connections come from unmapped addresses, so which of them belongs to
 *   this host is unknown (add `openstack.hosts` to the config).
 */
export type HostQueueVerdict = 'consumed' | 'lost-subscription' | 'process-gone' | 'unattributed' | 'stats-pending';

export interface HostQueueDiagnosis {
  readonly verdict: HostQueueVerdict;
  /** The process expected on that host (`nova-compute`), '' when the topic has no single one. */
  readonly binary: string;
  /** The host the queue names (cinder's backend stripped). */
  readonly host: string;
  /** Connections of the serving process (or service, when no binary is known) from that host. */
  readonly serviceConnections: readonly ConnectionInfo[];
  /** Connections of anything from that host. 0 with the host mapped: host or network down? */
  readonly hostConnections: number;
}

export function diagnoseHostQueue(
  snapshot: Snapshot,
  hq: HostQueue,
  table: TopicTable = DEFAULT_TOPIC_TABLE,
): HostQueueDiagnosis {
  const binary = expectedBinary(hq.topic, table);
  const host = hostOfServer(hq.host);
  const fromHost = connectionsFromHost(snapshot.connections, host);
  const serviceConnections = fromHost.filter((c) =>
    binary !== '' ? c.role.binary === binary : c.role.service === hq.service,
  );
  const base = { binary, host, serviceConnections, hostConnections: fromHost.length };
  // Consumers unknown (no statistics yet): neither consumed nor down.
  if (hq.consumers === null) return { verdict: 'stats-pending', ...base };
  if (hq.consumers > 0) return { verdict: 'consumed', ...base };
  if (serviceConnections.length > 0) return { verdict: 'lost-subscription', ...base };
  if (fromHost.length > 0) return { verdict: 'process-gone', ...base };
  const unmapped = connectionHostIndex(snapshot.connections).unmapped;
  return { verdict: unmapped ? 'unattributed' : 'process-gone', ...base };
}
