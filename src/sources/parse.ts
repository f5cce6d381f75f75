// Pure mapping from management-API JSON to domain values. The API is data from
// outside: every field is checked, a missing or odd field becomes a neutral
// default, and only a wrong top-level shape is an error.
import type {
  BrokerInfo,
  ConsumerInfo,
  ExchangeInfo,
  NodeInfo,
  PolicyInfo,
  QueueCounters,
  RawConnection,
  RawQueue,
  Totals,
  UserInfo,
  VhostInfo,
} from './types.js';
import { SourceError } from './http.js';
import { readFields, type BrokerField } from './broker-fields.js';

export type { RawConnection, RawQueue };

type Json = Record<string, unknown>;

const num = (v: unknown, d = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** A number the broker may leave out: absent is unknown (null), an odd value the neutral 0. */
const reported = (v: unknown): number | null => (v === undefined || v === null ? null : num(v));
const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);
const bool = (v: unknown): boolean => v === true;
const boolOrNull = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function list(v: unknown, what: string): Json[] {
  if (!Array.isArray(v)) throw new SourceError('malformed', `${what} answered ${v === null ? 'null' : typeof v} where a list was expected; is --url the management API?`);
  return v.filter((x): x is Json => !!x && typeof x === 'object' && !Array.isArray(x));
}

export function parseOverview(v: unknown): { broker: BrokerInfo; totals: Totals; clusterName: string } {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new SourceError('malformed', '/api/overview answered something other than an object; is --url the management API?');
  const o = v as Json;
  const ot = obj(o.object_totals);
  const qt = obj(o.queue_totals);
  const ms = obj(o.message_stats);
  const churn = obj(o.churn_rates);
  const clusterName = str(o.cluster_name, str(o.node, 'unknown'));
  return {
    clusterName,
    broker: {
      version: str(o.rabbitmq_version, str(o.product_version)),
      erlang: str(o.erlang_version),
      clusterName,
      managementVersion: str(o.management_version),
      statsDisabled: bool(o.disable_stats),
      ratesMode: str(o.rates_mode),
      node: str(o.node),
    },
    totals: {
      queues: num(ot.queues),
      exchanges: num(ot.exchanges),
      connections: num(ot.connections),
      channels: num(ot.channels),
      consumers: num(ot.consumers),
      // queue_totals is {} until some queue has statistics: unknown, not 0.
      messages: numOrNull(qt.messages),
      ready: numOrNull(qt.messages_ready),
      unacked: numOrNull(qt.messages_unacknowledged),
      // With stats on, an absent counter means "nothing happened yet": 0, not unknown.
      published: bool(o.disable_stats) ? null : num(ms.publish),
      delivered: bool(o.disable_stats) ? null : num(ms.deliver_get),
      returnedUnroutable: bool(o.disable_stats) ? null : num(ms.return_unroutable),
      droppedUnroutable: bool(o.disable_stats) ? null : num(ms.drop_unroutable),
      connectionsCreated: numOrNull(churn.connection_created),
      connectionsClosed: numOrNull(churn.connection_closed),
      channelsCreated: numOrNull(churn.channel_created),
      channelsClosed: numOrNull(churn.channel_closed),
      queuesDeclared: numOrNull(churn.queue_declared),
      queuesDeleted: numOrNull(churn.queue_deleted),
    },
  };
}

export function parseNodes(v: unknown): NodeInfo[] {
  return list(v, '/api/nodes').map((n) => ({
    name: str(n.name),
    // A node the broker lists without `running` is unknown, not stopped: node-down must not fire on it.
    running: boolOrNull(n.running),
    type: str(n.type),
    memUsed: num(n.mem_used),
    memLimit: num(n.mem_limit),
    memAlarm: bool(n.mem_alarm),
    diskFree: num(n.disk_free),
    diskFreeLimit: num(n.disk_free_limit),
    diskAlarm: bool(n.disk_free_alarm),
    fdUsed: num(n.fd_used),
    fdTotal: num(n.fd_total),
    socketsUsed: num(n.sockets_used),
    socketsTotal: num(n.sockets_total),
    procUsed: num(n.proc_used),
    procTotal: num(n.proc_total),
    uptimeMs: num(n.uptime),
    partitions: strings(n.partitions),
    rabbitmqVersion: appVersion(n.applications, 'rabbit'),
    // The node's OTP release when the broker gives one; else the kernel application's version,
    // which moves with it (src/snapshot/erlang.ts shows the cluster's OTP release instead).
    erlangVersion: str(n.otp_release) || str(n.erlang_version) || (appVersion(n.applications, 'kernel') && `kernel ${appVersion(n.applications, 'kernel')}`),
    clusterLinks: Array.isArray(n.cluster_links) ? n.cluster_links.map((l) => str(obj(l).name)).filter(Boolean) : [],
  }));
}

function appVersion(apps: unknown, name: string): string {
  if (!Array.isArray(apps)) return '';
  return str(obj(apps.find((a) => obj(a).name === name)).version);
}


export function parseQueues(v: unknown, statsDisabled: boolean, fields: readonly BrokerField[] = []): RawQueue[] {
  return list(v, '/api/queues').map((q) => {
    const args = obj(q.arguments);
    const eff = obj(q.effective_policy_definition);
    const ms = q.message_stats === undefined ? undefined : obj(q.message_stats);
    // For a few seconds after a queue is declared (longer on a busy broker) the API lists it
    // without its statistics: its depth, consumers and counters are unknown, not 0.
    const pending = !statsDisabled && isStatsPending(q);
    const idle = typeof q.idle_since === 'string' ? Date.parse(q.idle_since.includes('T') ? q.idle_since : q.idle_since.replace(' ', 'T') + 'Z') : NaN;
    return {
      name: str(q.name),
      vhost: str(q.vhost, '/'),
      node: str(q.node, str(q.leader)),
      type: str(q.type, str(args['x-queue-type'], 'classic')),
      state: str(q.state, 'running'),
      durable: bool(q.durable),
      autoDelete: bool(q.auto_delete),
      exclusive: bool(q.exclusive),
      expiresMs: numOrNull(args['x-expires']),
      policy: str(q.policy),
      policyExpiresMs: numOrNull(eff.expires),
      consumers: reported(q.consumers),
      messages: reported(q.messages),
      ready: reported(q.messages_ready),
      unacked: reported(q.messages_unacknowledged),
      idleSince: Number.isFinite(idle) ? idle : null,
      // Seconds since the epoch (the AMQP timestamp property); absent without one, never 0.
      headMessageAt: typeof q.head_message_timestamp === 'number' && q.head_message_timestamp > 0 ? q.head_message_timestamp * 1000 : null,
      // A queue nobody published to has no message_stats yet: its counters are 0, not unknown.
      counters: statsDisabled || pending
        ? null
        : {
            published: num(ms?.publish),
            delivered: num(ms?.deliver_get),
            acked: num(ms?.ack),
            redelivered: num(ms?.redeliver),
          },
      members: strings(q.members),
      online: strings(q.online),
      leader: str(q.leader),
      extra: fields.length ? readFields(q, fields, !statsDisabled && !pending) : null,
    };
  });
}

/**
 * Whether the API listed this queue before its first statistics: none of its depth numbers
 * is there. (A queue with statistics always has `messages`; its message_stats may still be
 * missing, which means nothing happened yet.)
 */
export function isStatsPending(q: Readonly<Record<string, unknown>>): boolean {
  return reported(q.messages) === null && reported(q.messages_ready) === null && reported(q.messages_unacknowledged) === null;
}


export function parseConnections(v: unknown): RawConnection[] {
  return list(v, '/api/connections').map((c) => {
    const cp = obj(c.client_properties);
    return {
      name: str(c.name),
      vhost: str(c.vhost, '/'),
      user: str(c.user),
      node: str(c.node),
      // With stats disabled the broker gives no state; such a connection is open.
      state: str(c.state, 'running'),
      channels: num(c.channels),
      channelMax: num(c.channel_max, 2047),
      peerHost: str(c.peer_host),
      peerPort: num(c.peer_port),
      connectedAt: num(c.connected_at),
      timeout: num(c.timeout),
      clientName: str(cp.connection_name, str(c.user_provided_name)),
      product: str(cp.product),
    };
  });
}

export function parseConsumers(v: unknown): ConsumerInfo[] {
  return list(v, '/api/consumers').map((c) => {
    const q = obj(c.queue);
    const ch = obj(c.channel_details);
    return {
      queue: str(q.name),
      vhost: str(q.vhost, '/'),
      connection: str(ch.connection_name),
      ackRequired: bool(c.ack_required),
      prefetch: num(c.prefetch_count),
    };
  });
}

export function parseExchanges(v: unknown, fields: readonly BrokerField[] = []): ExchangeInfo[] {
  return list(v, '/api/exchanges').map((e) => {
    const ms = e.message_stats === undefined ? undefined : obj(e.message_stats);
    return {
      name: str(e.name),
      vhost: str(e.vhost, '/'),
      type: str(e.type),
      durable: bool(e.durable),
      publishedIn: ms ? num(ms.publish_in) : null,
      publishedOut: ms ? num(ms.publish_out) : null,
      extra: fields.length && ms ? readFields(e, fields, false) : null,
    };
  });
}

export function parseVhosts(v: unknown): VhostInfo[] {
  return list(v, '/api/vhosts').map((h) => ({
    name: str(h.name),
    messages: num(h.messages),
    ready: num(h.messages_ready),
    unacked: num(h.messages_unacknowledged),
  }));
}

export function parsePolicies(v: unknown): PolicyInfo[] {
  return list(v, '/api/policies').map((p) => ({
    name: str(p.name),
    vhost: str(p.vhost, '/'),
    pattern: str(p.pattern),
    applyTo: str(p['apply-to'], 'all'),
    priority: num(p.priority),
    definition: obj(p.definition),
  }));
}

export function parseUsers(v: unknown): UserInfo[] {
  return list(v, '/api/users').map((u) => ({
    name: str(u.name),
    tags: Array.isArray(u.tags) ? strings(u.tags) : str(u.tags).split(',').filter(Boolean),
  }));
}
