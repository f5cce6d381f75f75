// The benchmark's broker topology: an OpenStack cloud's queues as oslo.messaging names
// them, generated from the simulator's plan (tools/sim/plan.ts), so the mix of shared RPC
// topics, per-host server queues, fanout, reply and notification queues is the one the
// simulator (and a real deployment) produces. Controllers and network nodes come first,
// then compute hosts one after another until the wanted queue count is reached, so a
// topology grows by appending: the queues at 10k are the 1k ones plus 9k more.
//
// Declared through the management API's definitions import (a few requests, the broker
// declares every queue itself), which is far quicker than one AMQP round trip per queue.

import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import { ENGINE_ID, EXCHANGE, hostAddress, planCloud, type HostRole, type ProcessPlan } from '../tools/sim/plan.js';
import { envelope, uniqueHex } from '../tools/sim/wire.js';

export type BenchQueueKind = 'rpc_topic' | 'rpc_host' | 'fanout' | 'reply' | 'notification';

export interface BenchQueue {
  name: string;
  kind: BenchQueueKind;
  /** The oslo process that owns (and would consume) it; '' for shared/notification queues. */
  binary: string;
  host: string;
  /** Loopback address the owning host's connections come from. */
  address: string;
  arguments: Record<string, unknown>;
  /** Exchange and routing key it is bound with, if any. */
  binding?: { exchange: string; routingKey: string };
}

export interface BenchExchange {
  name: string;
  type: 'topic' | 'fanout';
  autoDelete: boolean;
}

/** oslo's x-expires for reply_ and fanout queues is 1800 s; an hour keeps every queue alive through a long run. */
export const BENCH_QUEUE_EXPIRES_MS = 3_600_000;

const CONTROLLERS = ['ctl-1', 'ctl-2', 'ctl-3'];
const NETWORKS = ['net-1', 'net-2', 'net-3'];
/** Beyond Ceilometer's notifications.info: what nova and an error-level listener leave. */
const EXTRA_NOTIFICATION_QUEUES = ['notifications.error', 'notifications.sample', 'versioned_notifications.info', 'versioned_notifications.error'];

export function computeName(i: number): string {
  return `cmp-${String(i).padStart(4, '0')}`;
}

/** The queues one oslo process declares (what `OsloProcess.start` declares in the simulator). */
function processQueues(p: ProcessPlan, role: HostRole, hostIndex: number): BenchQueue[] {
  const address = hostAddress(role, hostIndex);
  const out: BenchQueue[] = [];
  const base = { binary: p.binary, host: p.host, address };
  for (const s of p.servers) {
    const server = s.server === ENGINE_ID ? randomUUID() : s.server;
    out.push({ ...base, name: s.topic, kind: 'rpc_topic', arguments: {}, binding: { exchange: s.exchange, routingKey: s.topic } });
    out.push({ ...base, name: `${s.topic}.${server}`, kind: 'rpc_host', arguments: {}, binding: { exchange: s.exchange, routingKey: `${s.topic}.${server}` } });
    out.push({
      ...base,
      name: `${s.topic}_fanout_${uniqueHex()}`,
      kind: 'fanout',
      arguments: { 'x-expires': BENCH_QUEUE_EXPIRES_MS },
      binding: { exchange: `${s.topic}_fanout`, routingKey: s.topic },
    });
  }
  if (p.caller) out.push({ ...base, name: `reply_${uniqueHex()}`, kind: 'reply', arguments: { 'x-expires': BENCH_QUEUE_EXPIRES_MS } });
  if (p.listener) {
    const name = `${p.listener.topic}.${p.listener.priority}`;
    out.push({ ...base, name, kind: 'notification', arguments: {}, binding: { exchange: EXCHANGE.nova, routingKey: name } });
  }
  return out;
}

/** Every queue of the cloud, in declaration order, without end (computes are added as needed). */
export function* openstackQueues(): Generator<BenchQueue> {
  const seen = new Set<string>();
  const emit = function* (qs: BenchQueue[]): Generator<BenchQueue> {
    for (const q of qs) {
      // Shared topic queues (`compute`, `q-agent-notifier-port-update`) are declared by every server of the topic.
      if (seen.has(q.name)) continue;
      seen.add(q.name);
      yield q;
    }
  };
  const base = planCloud({ controllers: CONTROLLERS, networks: NETWORKS, computes: [] });
  for (const p of base.processes) {
    const role: HostRole = CONTROLLERS.includes(p.host) ? 'controller' : 'network';
    const index = (role === 'controller' ? CONTROLLERS : NETWORKS).indexOf(p.host);
    yield* emit(processQueues(p, role, index));
  }
  for (const name of EXTRA_NOTIFICATION_QUEUES) {
    yield* emit([{ name, kind: 'notification', binary: '', host: '', address: '', arguments: {}, binding: { exchange: EXCHANGE.nova, routingKey: name } }]);
  }
  for (let i = 1; ; i++) {
    const host = computeName(i);
    const plan = planCloud({ controllers: [], networks: [], computes: [host] });
    for (const p of plan.processes) yield* emit(processQueues(p, 'compute', i - 1));
  }
}

/** Takes the next `n` queues from a generator. */
export function take(gen: Generator<BenchQueue>, n: number): BenchQueue[] {
  const out: BenchQueue[] = [];
  while (out.length < n) {
    const r = gen.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

export function exchangesOf(queues: readonly BenchQueue[]): BenchExchange[] {
  const out = new Map<string, BenchExchange>();
  for (const x of Object.values(EXCHANGE)) out.set(x, { name: x, type: 'topic', autoDelete: false });
  for (const q of queues) {
    const b = q.binding;
    if (!b || out.has(b.exchange)) continue;
    out.set(b.exchange, { name: b.exchange, type: b.exchange.endsWith('_fanout') ? 'fanout' : 'topic', autoDelete: false });
  }
  return [...out.values()];
}

/** The definitions document for these queues (and their exchanges and bindings) in vhost `/`. */
export function definitionsFor(queues: readonly BenchQueue[]): Record<string, unknown> {
  const vhost = '/';
  return {
    exchanges: exchangesOf(queues).map((x) => ({ name: x.name, vhost, type: x.type, durable: false, auto_delete: x.autoDelete, internal: false, arguments: {} })),
    queues: queues.map((q) => ({ name: q.name, vhost, durable: false, auto_delete: false, arguments: q.arguments })),
    bindings: queues
      .filter((q) => q.binding)
      .map((q) => ({ source: q.binding!.exchange, vhost, destination: q.name, destination_type: 'queue', routing_key: q.binding!.routingKey, arguments: {} })),
  };
}

export interface MgmtTarget {
  mgmtUrl: string;
  user: string;
  password: string;
}

export function basicAuth(t: { user: string; password: string }): string {
  return 'Basic ' + Buffer.from(`${t.user}:${t.password}`).toString('base64');
}

/** Declares the queues through `POST /api/definitions`, in chunks so no single request runs into an HTTP timeout. */
export async function importQueues(target: MgmtTarget, queues: readonly BenchQueue[], chunk = 5000): Promise<void> {
  for (let i = 0; i < queues.length; i += chunk) {
    const part = queues.slice(i, i + chunk);
    const res = await fetch(`${target.mgmtUrl}/api/definitions`, {
      method: 'POST',
      headers: { authorization: basicAuth(target), 'content-type': 'application/json' },
      body: JSON.stringify(definitionsFor(part)),
      signal: AbortSignal.timeout(600_000),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`POST /api/definitions answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
}

/** Waits until the broker lists at least `n` queues (the import declares them asynchronously on some versions). */
export async function waitForQueueCount(target: MgmtTarget, n: number, timeoutMs = 600_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${target.mgmtUrl}/api/queues?disable_stats=true&columns=name`, { headers: { authorization: basicAuth(target) } });
    const list = (await res.json()) as unknown[];
    if (list.length >= n) return list.length;
    if (Date.now() > deadline) throw new Error(`only ${list.length} of ${n} queues after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Which queues hold messages: every tenth, skipping those a consumer will drain. Pure, so
 * the runner and the load process agree.
 */
export function holdsMessages(index: number, q: BenchQueue, consumed: ReadonlySet<string>): boolean {
  return index % 10 === 7 && !consumed.has(q.name);
}

/** Publishes 1-5 oslo-sized messages to each queue (default exchange), with publisher confirms. */
export async function fillQueues(amqpUrl: string, queues: ReadonlyArray<{ name: string; count: number }>): Promise<number> {
  const conn = await connect(amqpUrl);
  let sent = 0;
  try {
    const ch = await conn.createConfirmChannel();
    const body = envelope({ method: 'build_and_run_instance', args: { instance: { uuid: randomUUID(), flavor: 'm1.small', image: 'cirros' } }, _msg_id: uniqueHex() });
    for (const q of queues) {
      for (let k = 0; k < q.count; k++) {
        // Back-pressure: wait for confirms whenever the write buffer is full.
        if (!ch.sendToQueue(q.name, body, { contentType: 'application/json', deliveryMode: 1 })) await ch.waitForConfirms();
        sent++;
      }
    }
    await ch.waitForConfirms();
  } finally {
    await conn.close().catch(() => undefined);
  }
  return sent;
}
