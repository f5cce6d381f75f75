// warren's own cost at any size without a broker: the bench topology's management-API
// and plugin responses, synthesised in memory (shaped like RabbitMQ 3.10's, with the
// columns warren asks for), fed through the real collect -> view -> rules -> render
// cycle on a fake 30 s clock, for as many ticks as the daemon's 6-minute history holds.
// It isolates the agent's CPU and memory (the live bench adds the broker's share) and is
// what to profile: node --cpu-prof build/bench/replay.js --queues 50000.
// Flags: --queues N --connections N --cycles N --source management|prometheus --interval S

import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { ClusterConfig } from '../src/config/index.js';
import { clusterSchema, openstackSchema } from '../src/config/schema.js';
import type { HttpClient, RequestCounter } from '../src/sources/http.js';
import { fakePid } from '../tools/sim/wire.js';
import { cycleRunner } from './cycle.js';
import { exchangesOf, openstackQueues, take, type BenchQueue } from './topology.js';

export interface Topology {
  queues: BenchQueue[];
  consumedBy: Map<string, number>;
  connections: Array<{ name: string; binary: string; address: string; clientName: string; channels: number }>;
}

export function buildTopology(queueCount: number, connectionCount: number): Topology {
  const queues = take(openstackQueues(), queueCount);
  // As in the live bench: consumers on the first non-notification queues that hold no messages.
  const consumed = queues.filter((q, i) => q.kind !== 'notification' && i % 10 !== 7);
  const consumedBy = new Map<string, number>();
  const connections: Topology['connections'] = [];
  for (let i = 0; i < connectionCount; i++) {
    const q = consumed[i % Math.max(1, consumed.length)];
    if (q) consumedBy.set(q.name, i);
    const binary = q?.binary || 'nova-api';
    const address = q?.address || '127.0.10.1';
    const port = 30000 + i;
    connections.push({ name: `${address}:${port} -> 127.0.0.1:5672`, binary, address, clientName: `${binary}:${fakePid()}:${randomUUID()}`, channels: i % 2 === 0 ? 2 : 1 });
  }
  return { queues, consumedBy, connections };
}

/** The responses of one tick; `tick` moves the counters of a few queues (the background publisher). */
export function responses(t: Topology, tick: number): Map<string, string> {
  const node = 'rabbit@bench';
  const published = (i: number) => (i < 6 ? tick * 25 : 0);
  const depth = (i: number) => (i % 10 === 7 && !t.consumedBy.has(t.queues[i]!.name) ? 1 + (i % 5) : 0);
  const queues = t.queues.map((q, i) => ({
    name: q.name,
    vhost: '/',
    node,
    type: 'classic',
    state: 'running',
    durable: false,
    auto_delete: false,
    exclusive: false,
    arguments: q.arguments,
    policy: null,
    effective_policy_definition: {},
    consumers: t.consumedBy.has(q.name) ? 1 : 0,
    messages: depth(i),
    messages_ready: depth(i),
    messages_unacknowledged: 0,
    idle_since: '2026-11-22 02:00:00',
    message_stats: published(i) > 0 ? { publish: published(i), deliver_get: published(i), ack: published(i), redeliver: 0 } : undefined,
  }));
  const basic = t.queues.map((q) => ({ name: q.name, vhost: '/', node, type: 'classic', state: 'running', durable: false, auto_delete: false, exclusive: false, arguments: q.arguments, policy: null }));
  const detailed: string[] = [];
  const family = (name: string, value: (i: number) => number) => {
    detailed.push(`# TYPE ${name} gauge`, `# HELP ${name} ${name}`);
    t.queues.forEach((q, i) => detailed.push(`${name}{vhost="/",queue="${q.name}"} ${value(i)}`));
  };
  family('rabbitmq_detailed_queue_messages_ready', depth);
  family('rabbitmq_detailed_queue_messages_unacked', () => 0);
  family('rabbitmq_detailed_queue_messages', depth);
  family('rabbitmq_detailed_queue_process_reductions_total', (i) => 1000 + i);
  family('rabbitmq_detailed_queue_consumers', (i) => (t.consumedBy.has(t.queues[i]!.name) ? 1 : 0));
  const messages = t.queues.reduce((n, _, i) => n + depth(i), 0);
  const channels = t.connections.reduce((n, c) => n + c.channels, 0);
  const overview = {
    cluster_name: node,
    node,
    rabbitmq_version: '3.10.8',
    erlang_version: '25.2.3',
    management_version: '3.10.8',
    disable_stats: false,
    rates_mode: 'basic',
    object_totals: { queues: t.queues.length, exchanges: 24, connections: t.connections.length, channels, consumers: t.consumedBy.size },
    queue_totals: { messages, messages_ready: messages, messages_unacknowledged: 0 },
    message_stats: { publish: tick * 150, deliver_get: tick * 150 },
    churn_rates: { connection_created: t.connections.length, connection_closed: 0, channel_created: channels, channel_closed: 0, queue_declared: t.queues.length, queue_deleted: 0 },
  };
  const nodes = [
    {
      name: node, running: true, type: 'disc', mem_used: 2e9, mem_limit: 1e10, mem_alarm: false, disk_free: 5e10, disk_free_limit: 5e7, disk_free_alarm: false,
      fd_used: t.connections.length + 100, fd_total: 20000, sockets_used: t.connections.length, sockets_total: 17000, proc_used: 80000, proc_total: 1048576,
      uptime: 3_600_000 + tick * 30_000, partitions: [], applications: [{ name: 'rabbit', version: '3.10.8' }, { name: 'kernel', version: '8.5.3' }], cluster_links: [],
    },
  ];
  const connections = t.connections.map((c) => ({
    name: c.name, vhost: '/', user: 'guest', node, state: 'running', channels: c.channels, channel_max: 2047, peer_host: c.address, peer_port: 40000,
    connected_at: 1_790_000_000_000, timeout: 60, client_properties: { connection_name: c.clientName, product: 'py-amqp' }, user_provided_name: c.clientName,
  }));
  const consumers = [...t.consumedBy].map(([queue, i]) => ({
    queue: { name: queue, vhost: '/' },
    channel_details: { connection_name: t.connections[i]!.name },
    ack_required: true,
    prefetch_count: 10,
  }));
  const chans = t.connections.flatMap((c) => Array.from({ length: c.channels }, () => ({ vhost: '/', user: 'guest', state: 'running', messages_unacknowledged: 0 })));
  const exchanges = exchangesOf(t.queues).map((x) => ({ name: x.name, vhost: '/', type: x.type, durable: false, message_stats: { publish_in: tick * 10, publish_out: tick * 10 } }));
  return new Map<string, string>([
    ['/api/overview', JSON.stringify(overview)],
    ['/api/nodes', JSON.stringify(nodes)],
    ['/api/queues', JSON.stringify(queues)],
    ['/api/queues?disable_stats', JSON.stringify(basic)],
    ['/metrics/detailed', detailed.join('\n') + '\n'],
    ['/api/connections', JSON.stringify(connections)],
    ['/api/exchanges', JSON.stringify(exchanges)],
    ['/api/vhosts', JSON.stringify([{ name: '/', messages, messages_ready: messages, messages_unacknowledged: 0 }])],
    ['/api/policies', '[]'],
    ['/api/users', JSON.stringify([{ name: 'guest', tags: ['administrator'] }])],
    ['/api/consumers', JSON.stringify(consumers)],
    ['/api/channels', JSON.stringify(chans)],
  ]);
}

/** Serves the prepared responses, counting requests and bytes like the real client. */
export function replayClient(current: () => Map<string, string>): HttpClient {
  const lifetime: RequestCounter = { requests: 0, bytes: 0 };
  const getText = async (url: string, counter: RequestCounter): Promise<string> => {
    const u = new URL(url);
    const key = u.pathname + (u.searchParams.has('disable_stats') ? '?disable_stats' : '');
    const body = current().get(key);
    if (body === undefined) throw new Error(`replay: no response for ${key}`);
    const n = Buffer.byteLength(body);
    counter.requests++;
    counter.bytes += n;
    lifetime.requests++;
    lifetime.bytes += n;
    await new Promise((r) => setImmediate(r));
    return body;
  };
  return {
    lifetime,
    getText,
    getJson: async (url, counter) => JSON.parse(await getText(url, counter)) as unknown,
    close: async () => undefined,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string, d: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1]! : d;
  };
  const queues = Number(arg('queues', '10000'));
  const conns = Number(arg('connections', '2000'));
  const intervalS = Number(arg('interval', '30'));
  const cycles = Number(arg('cycles', String(Math.ceil(360 / intervalS) + 2)));
  const source = arg('source', 'management');
  const topology = buildTopology(queues, conns);
  const cfg = {
    ...clusterSchema.parse({ url: 'http://replay:15672', prometheusUrl: 'http://replay:15692', queueSource: source, interval: `${intervalS}s` }),
    name: 'replay',
    password: 'x',
  } satisfies ClusterConfig;
  let tick = 0;
  let current = responses(topology, 0);
  let clock = Date.UTC(2026, 10, 22, 3, 0, 0);
  const cycle = cycleRunner(cfg, openstackSchema.parse({}), replayClient(() => current), { now: () => clock });
  process.stdout.write(`replay: ${queues} queues, ${conns} connections, source ${source}, ${cycles} ticks ${intervalS} s apart\n`);
  process.stdout.write('tick   cycle  collect   view  rules  render    cpu  series  findings  heap MiB\n');
  for (let i = 0; i < cycles; i++) {
    current = responses(topology, ++tick);
    clock += intervalS * 1000;
    const t = await cycle();
    // Live heap after a full GC (with --expose-gc): what the daemon keeps between ticks.
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      gc();
      t.heapUsedMb = process.memoryUsage().heapUsed / 1048576;
    }
    const f = (v: number) => String(Math.round(v)).padStart(6);
    process.stdout.write(`${String(i + 1).padStart(4)} ${f(t.cycleMs)}   ${f(t.collectMs)} ${f(t.viewMs)} ${f(t.rulesMs)} ${f(t.renderMs)} ${f(t.cpuMs)} ${String(t.series).padStart(7)} ${String(t.findings).padStart(9)} ${f(t.heapUsedMb)}\n`);
  }
  process.stdout.write(`peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => {
    process.stderr.write(`replay: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
