// One poll of one cluster: a handful of requests, always with `columns=`, never
// paged sweeps or `*_age` samples, turned into one Reading: what the broker said,
// typed, unclassified (src/openstack classifies it, src/snapshot builds the Snapshot).
import { formatDuration, type ClusterConfig } from '../config/index.js';
import { sliced } from '../slices.js';
import { exchangeFieldsOf, queueFieldsOf, type BrokerField } from './broker-fields.js';
import { SourceError, type HttpClient, type RequestCounter, type RequestOptions } from './http.js';
import {
  parseConnections,
  parseConsumers,
  parseExchanges,
  parseNodes,
  parseOverview,
  parsePolicies,
  parseQueues,
  parseUsers,
  parseVhosts,
} from './parse.js';
import { pluginDepth } from './plugin-depth.js';
import { pluginUrls, type PluginQueueDepth } from './prometheus.js';
import { queueKey, type ConsumerInfo, type PolicyInfo, type QueueCounters, type RawQueue, type Reading, type UserInfo } from './types.js';
import { collectSecurity, type SecurityState } from './security.js';
import { alarmsOf, connectionRefreshReason, type ConnectionList } from './connection-tier.js';

const QUEUE_COLUMNS = [
  'name', 'vhost', 'node', 'type', 'state', 'durable', 'auto_delete', 'exclusive', 'arguments', 'policy',
  'effective_policy_definition', 'consumers', 'messages', 'messages_ready', 'messages_unacknowledged', 'idle_since', 'head_message_timestamp',
  'message_stats.publish', 'message_stats.deliver_get', 'message_stats.ack', 'message_stats.redeliver',
  'members', 'online', 'leader',
].join(',');
// Only "basic" columns: the broker lists queues without touching the stats DB.
const QUEUE_BASIC_COLUMNS = 'name,vhost,node,type,state,durable,auto_delete,exclusive,arguments,policy,members,online,leader';
const NODE_COLUMNS = [
  'name', 'running', 'type', 'mem_used', 'mem_limit', 'mem_alarm', 'disk_free', 'disk_free_limit', 'disk_free_alarm',
  'fd_used', 'fd_total', 'sockets_used', 'sockets_total', 'proc_used', 'proc_total', 'uptime', 'partitions',
  'applications', 'cluster_links',
].join(',');
const CONNECTION_COLUMNS = 'name,vhost,user,node,state,channels,channel_max,peer_host,peer_port,connected_at,timeout,client_properties,user_provided_name';
const EXCHANGE_COLUMNS = 'name,vhost,type,durable,message_stats.publish_in,message_stats.publish_out';
const VHOST_COLUMNS = 'name,messages,messages_ready,messages_unacknowledged';
const CONSUMER_COLUMNS = 'queue,channel_details,ack_required,prefetch_count';

/** The slow tier: refreshed every inventoryInterval, carried over between polls. */
export interface Inventory {
  readonly takenAt: number;
  readonly policies: readonly PolicyInfo[];
  readonly users: readonly UserInfo[] | null;
  readonly consumers: readonly ConsumerInfo[];
}

/**
 * The plugin path's queue list (names, types, arguments, policies) from the stats-free
 * /api/queues. Listing it is most of a plugin poll's broker time at scale (about 1 s at
 * 10k queues, 9 s at 50k), and it changes only when queues come and go, so it is kept
 * between polls and asked again when the plugin's queues differ from it, a node joins
 * or leaves, or the inventory is due.
 */
export interface QueueListing {
  readonly queues: readonly RawQueue[];
  /** The running nodes when it was listed, comma-joined. */
  readonly nodes: string;
  /** When it was listed. */
  readonly listedAt: number;
  /**
   * When asking it again last failed (did not answer in time), so this one was kept: it
   * is used as it is until the inventory is next due, queues declared since are not
   * watched meanwhile; null while it is current.
   */
  readonly failedAt: number | null;
}

/**
 * The listing's deadline, in request timeouts: it is asked once and kept, so it may take
 * longer than a poll's other requests (at 50k queues on a busy broker it took over 20 s,
 * bench/analysis.md), and failing it would leave a large broker without a first poll.
 */
const LISTING_TIMEOUTS = 3;

/**
 * The stats-free listing did not answer in time. `auto` does not fall back to the
 * management path for it: that path lists the same queues with their statistics, which
 * only costs a broker this slow more.
 */
class ListingTimeout extends SourceError {}

/** What one cluster's collector remembers between polls. */
export interface CollectorState {
  readonly inventory: Inventory | null;
  /** When the plugin last failed; it is not asked again for a while (auto mode). */
  readonly pluginFailedAt: number | null;
  readonly listing: QueueListing | null;
  readonly security?: SecurityState;
  /** The connection tier (src/sources/connection-tier.ts). */
  readonly connectionList?: ConnectionList;
}

export const initialCollectorState = (): CollectorState => ({ inventory: null, pluginFailedAt: null, listing: null });

export interface CollectContext {
  now?: () => number;
  signal?: AbortSignal;
}

const PLUGIN_RETRY_MS = 10 * 60_000;

/** GET a management API path (relative to the cluster URL) as JSON. */
type ManagementGet = (path: string, opts?: Pick<RequestOptions, 'timeoutMs'>) => Promise<unknown>;

export async function collect(
  cfg: ClusterConfig,
  http: HttpClient,
  state: CollectorState,
  ctx: CollectContext,
): Promise<{ reading: Reading; state: CollectorState }> {
  const now = ctx.now ?? Date.now;
  const startedAt = now();
  const counter: RequestCounter = { requests: 0, bytes: 0 };
  const warnings: string[] = [];
  const api: ManagementGet = (path, opts = {}) => http.getJson(cfg.url.replace(/\/+$/, '') + path, counter, { ...opts, signal: ctx.signal });
  const optional = async <T>(path: string, parse: (v: unknown) => T, fallback: T): Promise<T> => {
    try {
      return parse(await api(path));
    } catch (err) {
      if (!(err instanceof SourceError) || err.kind === 'unreachable' || err.kind === 'timeout') throw err;
      warnings.push(err.message);
      return fallback;
    }
  };

  const [overviewJson, nodesJson] = await Promise.all([api('/api/overview'), api(`/api/nodes?columns=${NODE_COLUMNS}`)]);
  const overview = parseOverview(overviewJson);
  const nodes = parseNodes(nodesJson);
  const statsDisabled = overview.broker.statsDisabled;
  const runningNodes = nodes.filter((n) => n.running).map((n) => n.name);

  const queueFields = queueFieldsOf(cfg);
  const exchangeFields = exchangeFieldsOf(cfg);
  const inventoryDue = !state.inventory || startedAt - state.inventory.takenAt >= cfg.inventoryInterval;
  const alarms = alarmsOf(nodes);
  const connectionsDue = connectionRefreshReason(state.connectionList, {
    at: startedAt,
    interval: cfg.connectionsInterval ?? cfg.inventoryInterval,
    alarms,
    open: overview.totals.connections,
    channels: overview.totals.channels,
    pollInterval: cfg.interval,
  });
  const [queueResult, connectionList, exchanges, vhosts, inventory] = await Promise.all([
    collectQueues(cfg, http, state, statsDisabled, overview.totals.queues, runningNodes, inventoryDue, counter, api, now, warnings, queueFields),
    // Without a kept list the reason is 'first', so a null reason always has one to use.
    connectionsDue !== null
      ? api(`/api/connections?columns=${CONNECTION_COLUMNS}`).then((v): ConnectionList => ({ takenAt: startedAt, connections: parseConnections(v), alarms }))
      : Promise.resolve(state.connectionList!),
    optional(`/api/exchanges?columns=${withColumns(EXCHANGE_COLUMNS, exchangeFields)}`, (v) => parseExchanges(v, exchangeFields), []),
    optional(`/api/vhosts?columns=${VHOST_COLUMNS}`, parseVhosts, []),
    inventoryDue
      ? Promise.all([
          optional('/api/policies', parsePolicies, state.inventory?.policies ?? []),
          // Listing users needs the administrator tag; a monitoring user gets 403, which is fine:
          // the users are then unknown (null), not "none".
          optional<readonly UserInfo[] | null>('/api/users?columns=name,tags', parseUsers, null),
          optional(`/api/consumers?columns=${CONSUMER_COLUMNS}`, parseConsumers, state.inventory?.consumers ?? []),
        ]).then(([policies, users, consumers]): Inventory => ({ takenAt: startedAt, policies, users, consumers }))
      : Promise.resolve(state.inventory!),
  ]);

  const security = await collectSecurity(state.security, { cfg, overviewJson, runningNodes, inventoryDue, api, counter, warnings, now, signal: ctx.signal });

  const policyExpires = new Map<string, number>();
  for (const p of inventory.policies) {
    const e = p.definition.expires;
    if (typeof e === 'number') policyExpires.set(`${p.vhost}\u0000${p.name}`, e);
  }

  const depth = queueResult.depth;
  const pluginCounters = queueResult.counters;
  const queues: RawQueue[] = queueResult.queues.map((q) => {
    const key = queueKey(q);
    const d = depth?.get(key) ?? q;
    const counters = pluginCounters ? (pluginCounters.get(key) ?? null) : q.counters;
    // The stats-free listing names a quorum queue's members but not which are online or
    // who leads; leave replication unknown rather than report every queue under-replicated.
    const members = depth && q.type === 'quorum' && q.online.length === 0 ? [] : q.members;
    const policyExpiresMs = q.policyExpiresMs ?? (q.policy ? (policyExpires.get(`${q.vhost}\u0000${q.policy}`) ?? null) : null);
    return queueOf(q, d, members, policyExpiresMs, counters);
  });

  const reading: Reading = {
    target: cfg.name,
    url: cfg.url,
    cluster: overview.clusterName,
    takenAt: now(),
    broker: overview.broker,
    nodes,
    vhosts,
    queues,
    exchanges,
    connections: connectionList.connections,
    consumers: inventory.consumers,
    policies: inventory.policies,
    users: inventory.users,
    totals: overview.totals,
    poll: {
      startedAt,
      durationMs: now() - startedAt,
      requests: counter.requests,
      bytes: counter.bytes,
      queueSource: queueResult.source,
      inventoryRefreshed: inventoryDue,
      connectionsRefreshed: connectionsDue !== null,
      connectionsListedAt: connectionList.takenAt,
      warnings,
    },
    security: security.info,
  };
  return { reading, state: { inventory, pluginFailedAt: queueResult.pluginFailedAt, listing: queueResult.listing, security: security.state, connectionList } };
}

async function collectQueues(
  cfg: ClusterConfig,
  http: HttpClient,
  state: CollectorState,
  statsDisabled: boolean,
  queueCount: number,
  runningNodes: string[],
  inventoryDue: boolean,
  counter: RequestCounter,
  api: ManagementGet,
  now: () => number,
  warnings: string[],
  fields: readonly BrokerField[],
): Promise<{
  queues: readonly RawQueue[];
  /** Plugin path: depth and consumers by vhost\0name, to lay over `queues`. */
  depth: ReadonlyMap<string, PluginQueueDepth> | null;
  /** Plugin path: message counters by vhost\0name (src/sources/plugin-counters.ts). */
  counters: ReadonlyMap<string, QueueCounters | null> | null;
  source: 'management' | 'prometheus';
  pluginFailedAt: number | null;
  listing: QueueListing | null;
}> {
  // auto: below pluginMinQueues the management API is cheap and gives more (idle_since,
  // counters that outlive their channels); above it the plugin is several times cheaper.
  const pluginAllowed =
    cfg.queueSource === 'prometheus' ||
    (cfg.queueSource === 'auto' &&
      queueCount >= cfg.pluginMinQueues &&
      (state.pluginFailedAt === null || now() - state.pluginFailedAt > PLUGIN_RETRY_MS));
  if (pluginAllowed) {
    try {
      const r = await queuesFromPlugin(cfg, http, runningNodes, queueCount, state.listing, inventoryDue, counter, api, now, warnings, statsDisabled);
      return { queues: r.listing.queues, depth: r.depth, counters: r.counters, source: 'prometheus', pluginFailedAt: null, listing: r.listing };
    } catch (err) {
      if (cfg.queueSource === 'prometheus' || err instanceof ListingTimeout) throw err;
      warnings.push(`Prometheus plugin not used for queue depth: ${(err as Error).message}`);
      const mgmt = await queuesFromManagement(statsDisabled, api, fields);
      return { queues: mgmt, depth: null, counters: null, source: 'management', pluginFailedAt: now(), listing: null };
    }
  }
  return { queues: await queuesFromManagement(statsDisabled, api, fields), depth: null, counters: null, source: 'management', pluginFailedAt: state.pluginFailedAt, listing: null };
}

async function queuesFromManagement(statsDisabled: boolean, api: (path: string) => Promise<unknown>, fields: readonly BrokerField[]): Promise<readonly RawQueue[]> {
  const path = statsDisabled
    ? `/api/queues?disable_stats=true&enable_queue_totals=true&columns=${QUEUE_BASIC_COLUMNS},consumers,messages,messages_ready,messages_unacknowledged`
    : `/api/queues?columns=${withColumns(QUEUE_COLUMNS, fields)}`;
  return parseQueues(await api(path), statsDisabled, fields);
}

/** `base` plus the fields' columns not already in it (`arguments.*` come with `arguments`). */
function withColumns(base: string, fields: readonly BrokerField[]): string {
  const have = new Set(base.split(','));
  const extra = fields.map((f) => f.column).filter((col) => !have.has(col) && !(col.startsWith('arguments.') && have.has('arguments')));
  return [base, ...new Set(extra)].join(',');
}

/**
 * Queue list from the management API's stats-free listing (kept between polls, see
 * QueueListing), depth and consumers from every node's plugin. Any node's plugin
 * failing fails the whole path, so numbers are never half from one source and half
 * missing.
 */
async function queuesFromPlugin(
  cfg: ClusterConfig,
  http: HttpClient,
  runningNodes: string[],
  queueCount: number,
  previous: QueueListing | null,
  inventoryDue: boolean,
  counter: RequestCounter,
  api: ManagementGet,
  now: () => number,
  warnings: string[],
  statsDisabled: boolean,
): Promise<{ listing: QueueListing; depth: ReadonlyMap<string, PluginQueueDepth>; counters: ReadonlyMap<string, QueueCounters | null> }> {
  const nodes = runningNodes.join(',');
  const listingPath = `/api/queues?disable_stats=true&columns=${QUEUE_BASIC_COLUMNS}`;
  const fetchListing = async (): Promise<QueueListing> => {
    const listedAt = now();
    const answer = await api(listingPath, { timeoutMs: LISTING_TIMEOUTS * cfg.timeout }).catch((err: unknown) => {
      throw err instanceof SourceError && err.kind === 'timeout' ? new ListingTimeout('timeout', err.message) : err;
    });
    return { queues: parseQueues(answer, true, queueFieldsOf(cfg)), nodes, listedAt, failedAt: null };
  };
  // A listing whose refresh failed is kept as it is until the inventory is due again:
  // asking again every poll would make every poll wait out the deadline.
  const keptStale = previous !== null && previous.failedAt !== null && !inventoryDue;
  const current = previous !== null && !inventoryDue && previous.nodes === nodes && previous.queues.length === queueCount;
  const base = cfg.prometheusUrl ?? defaultPluginUrl(cfg.url);
  const urls = pluginUrls(base, runningNodes);
  // Queues the plugin's answer cannot vouch for (unescaped hostile names) come from the management API.
  const r = await pluginDepth({
    http,
    pluginUrls: [...urls.values()],
    counter,
    api,
    kept: keptStale || current ? previous : null,
    keptStale,
    previous,
    fetchListing,
    statsDisabled,
  });
  const listing = r.listingError ? { ...r.listing, failedAt: now() } : r.listing;
  if (listing.failedAt !== null) {
    warnings.push(
      `the queue listing (/api/queues?disable_stats=true) did not answer in time, so the one of ${new Date(listing.listedAt).toISOString()} is used: ` +
        `queues declared since are not watched until it answers (asked again every inventoryInterval, ${formatDuration(cfg.inventoryInterval)}); raise timeout in the config if the broker is this slow to list`,
    );
  }
  return { listing, depth: r.depth, counters: r.counters };
}

/**
 * A queue built as one object literal of a fixed shape. Spreading (`{ ...q, ...changes }`)
 * gave objects of ~800 bytes against ~190 this way (V8, measured at 50k queues).
 */
function queueOf(q: RawQueue, d: PluginQueueDepth, members: readonly string[], policyExpiresMs: number | null, counters: QueueCounters | null): RawQueue {
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
    policyExpiresMs,
    consumers: d.consumers,
    messages: d.messages,
    ready: d.ready,
    unacked: d.unacked,
    idleSince: q.idleSince,
    headMessageAt: q.headMessageAt,
    counters,
    members,
    online: q.online,
    leader: q.leader,
    extra: q.extra,
  };
}

/** The plugin's default: the management host, port 15692 (15691 for its TLS listener when the management API is https). */
export function defaultPluginUrl(mgmtUrl: string): string {
  const u = new URL(mgmtUrl);
  const port = u.protocol === 'https:' ? 15691 : 15692;
  return `${u.protocol}//${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${port}`;
}
