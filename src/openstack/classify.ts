// Queue and connection roles from oslo.messaging naming (queue names, connection_name).
// classifyQueue runs for every queue on every poll (up to ~50k), so it does no per-call
// regex construction, resolves topics by map lookups at dot positions, and memoizes.

import { isIP } from 'node:net';
import type { Reading } from '../sources/index.js';
import type { ConnectionRole, QueueRole } from './types.js';
import {
  DEFAULT_TOPIC_TABLE,
  NOTIFICATION_PRIORITIES,
  familyTopic,
  serviceOfBinary,
  type TopicTable,
} from './topics.js';

const HEX32 = /^[0-9a-f]{32}$/;
const FANOUT = '_fanout_';
const STREAM_FANOUT = '_fanout';

const OTHER: QueueRole = Object.freeze({ service: '', kind: 'other', topic: '', host: '' });

function role(service: string, kind: QueueRole['kind'], topic: string, host: string): QueueRole {
  return Object.freeze({ service, kind, topic, host });
}

/** `host:proc:n` from a queue-manager name (use_queue_manager), or null. */
export function parseQueueManagerName(suffix: string): { host: string; process: string; n: number } | null {
  const a = suffix.indexOf(':');
  if (a <= 0) return null;
  const b = suffix.indexOf(':', a + 1);
  if (b <= a + 1 || suffix.indexOf(':', b + 1) >= 0) return null;
  const n = suffix.slice(b + 1);
  if (n.length === 0 || !isDigits(n)) return null;
  return { host: suffix.slice(0, a), process: suffix.slice(a + 1, b), n: Number(n) };
}

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return s.length > 0;
}

/**
 * neutron agents that pass a node name also serve the topic `<t>.<host>`, whose server queue
 * is `<t>.<host>.<host>`: report the host once.
 */
function collapseDoubledHost(server: string): string {
  if (server.length % 2 === 0) return server;
  const mid = (server.length - 1) / 2;
  if (server.charCodeAt(mid) !== 46 /* . */) return server;
  const left = server.slice(0, mid);
  return left === server.slice(mid + 1) ? left : server;
}

interface ResolvedTopic {
  topic: string;
  service: string;
  /** The server part after `<topic>.`, '' for the bare topic. */
  server: string;
}

/**
 * Split `<topic>[.<server>]` at the LONGEST known topic. Topics and servers both contain
 * dots (`ironic.conductor_manager.cond-1.example.org`, `neutron-vo-Port-1.4.net-1`), so
 * splitting at the first dot is wrong.
 */
function resolveTopic(name: string, table: TopicTable): ResolvedTopic | null {
  const exact = table.rpc.get(name);
  if (exact) return { topic: name, service: exact.service, server: '' };
  for (let i = name.lastIndexOf('.'); i > 0; i = name.lastIndexOf('.', i - 1)) {
    const spec = table.rpc.get(name.slice(0, i));
    if (spec) return { topic: spec.topic, service: spec.service, server: name.slice(i + 1) };
  }
  const fam = familyTopic(name);
  if (fam) {
    const server = name.length > fam.topic.length ? name.slice(fam.topic.length + 1) : '';
    return { topic: fam.topic, service: fam.service, server };
  }
  return null;
}

function classifyUncached(name: string, queueType: string, table: TopicTable): QueueRole {
  if (name.startsWith('amq.')) return OTHER;

  // reply_<32hex> | reply_<host>:<proc>:<n>
  if (name.startsWith('reply_') && name.length > 6) {
    const suffix = name.slice(6);
    if (HEX32.test(suffix)) return role('', 'reply', '', '');
    const qm = parseQueueManagerName(suffix);
    if (qm) return role(serviceOfBinary(qm.process), 'reply', '', qm.host);
    return role('', 'reply', '', '');
  }

  // <topic>_fanout_<32hex> | <topic>_fanout_<host>:<proc>:<n>
  const f = name.lastIndexOf(FANOUT);
  if (f > 0) {
    const unique = name.slice(f + FANOUT.length);
    const qm = HEX32.test(unique) ? null : parseQueueManagerName(unique);
    if (qm || HEX32.test(unique)) {
      const topicPart = name.slice(0, f);
      const t = resolveTopic(topicPart, table);
      const service = t?.service ?? (qm ? serviceOfBinary(qm.process) : '');
      // A node topic's fanout (`q-agent-notifier-...-update.cmp-01_fanout_…`) names its host too.
      const host = qm ? qm.host : (t?.server ?? '');
      return role(service, 'fanout', t ? t.topic : topicPart, host);
    }
  }

  // <topic>_fanout as one stream per topic (rabbit_stream_fanout)
  if (queueType === 'stream' && name.endsWith(STREAM_FANOUT) && name.length > STREAM_FANOUT.length) {
    const topicPart = name.slice(0, -STREAM_FANOUT.length);
    const t = resolveTopic(topicPart, table);
    return role(t?.service ?? '', 'fanout', t ? t.topic : topicPart, '');
  }

  // <topic> and <topic>.<server>; a known RPC topic wins over a priority-like last label
  // (`compute.cmp-01.example.info` is a compute host, not a notification queue).
  const t = resolveTopic(name, table);
  if (t) {
    if (t.server === '') return role(t.service, 'rpc_topic', t.topic, '');
    return role(t.service, 'rpc_host', t.topic, collapseDoubledHost(t.server));
  }

  // <notification topic>.<priority>
  const dot = name.lastIndexOf('.');
  if (dot > 0 && NOTIFICATION_PRIORITIES.has(name.slice(dot + 1))) {
    const topic = name.slice(0, dot);
    return role(table.notifications.get(topic) ?? '', 'notification', topic, '');
  }

  return OTHER;
}

// Names are stable across polls, so a per-table memo turns later polls into map hits.
// Bounded: a broker with queue churn (random reply_/fanout names) must not grow it forever.
const MEMO_LIMIT = 200_000;
const memos = new WeakMap<TopicTable, Map<string, QueueRole>>();

/**
 * The role of a queue from its name (and type, for stream fanouts). Pure; the returned
 * object is frozen and shared between calls.
 */
export function classifyQueue(name: string, queueType: string, table: TopicTable = DEFAULT_TOPIC_TABLE): QueueRole {
  let memo = memos.get(table);
  if (!memo) {
    memo = new Map();
    memos.set(table, memo);
  }
  // Only stream fanouts depend on the type; key those apart.
  const key = queueType === 'stream' ? `\u0001${name}` : name;
  const hit = memo.get(key);
  if (hit) return hit;
  const r = classifyUncached(name, queueType, table);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, r);
  return r;
}

// `<argv0>:<pid>:<uuid4>` (impl_rabbit.py); argv0 may itself hold a colon, so anchor at the end.
const OSLO_CONNECTION_NAME = /^(.+):(\d+):([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})$/;

/** peer_host as the broker reports it, mapped through the config's IP -> host name table. */
export function hostOfPeer(peerHost: string, hosts: Readonly<Record<string, string>>): string {
  const direct = hosts[peerHost];
  if (direct !== undefined) return direct;
  // IPv4 seen on a dual-stack listener
  if (peerHost.startsWith('::ffff:')) {
    const v4 = hosts[peerHost.slice(7)];
    if (v4 !== undefined) return v4;
  }
  return peerHost;
}

/**
 * Who holds a connection: binary and pid from the oslo connection_name, service from the
 * binary, host from the config host map (else the peer address). A connection_name that is
 * not oslo's gives binary '' and service ''.
 */
export function attributeConnection(
  clientName: string,
  peerHost: string,
  hosts: Readonly<Record<string, string>> = {},
): ConnectionRole {
  const host = hostOfPeer(peerHost, hosts);
  const m = OSLO_CONNECTION_NAME.exec(clientName);
  if (!m) return { service: '', binary: '', pid: '', host };
  const binary = m[1] ?? '';
  return { service: serviceOfBinary(binary), binary, pid: m[2] ?? '', host };
}

/** True for an address rather than a name (an unmapped peer_host). */
export function isAddress(host: string): boolean {
  return isIP(host) !== 0;
}

/** The roles of one Reading's queues and connections, index for index. */
export interface Classification {
  readonly queues: readonly QueueRole[];
  readonly connections: readonly ConnectionRole[];
}

/**
 * Classifies every queue and connection of a Reading. `hosts` is the config's map of
 * peer addresses to host names (openstack.hosts).
 */
export function classifyReading(
  reading: Pick<Reading, 'queues' | 'connections'>,
  table: TopicTable,
  hosts: Readonly<Record<string, string>>,
): Classification {
  return {
    queues: reading.queues.map((q) => classifyQueue(q.name, q.type, table)),
    connections: reading.connections.map((c) => attributeConnection(c.clientName, c.peerHost, hosts)),
  };
}
