// An OpenStack cloud's RabbitMQ traffic, simulated with the wire behaviour of
// oslo.messaging: nova, neutron, cinder and heat services on controller, network and
// compute hosts, RPC calls/casts/fanouts, notifications and a Ceilometer-like consumer,
// plus switchable faults, each one a failure warren has a rule for (listed below).
// Each host's connections come from their own loopback address so a monitor can map
// peer_host to a host name.

import { connect, type Channel, type ChannelModel, type Options } from 'amqplib';
import { serviceOfBinary } from '../../src/openstack/index.js';
import {
  OsloProcess,
  TRANSIENT_QUEUE_TTL_MS,
  emptyStats,
  type ProcessState,
  type SimContext,
  type SimStats,
} from './oslo.js';
import { EXCHANGE, defaultComputes, planCloud, type HostPlan, type ProcessPlan } from './plan.js';
import { clientProperties, fakePid, notification, uniqueHex } from './wire.js';
import { randomUUID } from 'node:crypto';

export { planCloud, hostAddress, type HostPlan, type ProcessPlan } from './plan.js';
export type { SimStats } from './oslo.js';

/**
 * Faults, switchable at runtime:
 * - `compute-down:<host>`: nova-compute on that host dies (connections closed, queues stay):
 *   casts to `compute.<host>` pile up (openstack-host-queue-unconsumed, process gone).
 * - `compute-unsubscribed:<host>`: nova-compute stays connected but stops consuming its
 *   queues (openstack-host-queue-unconsumed, lost subscription).
 * - `notifications-unconsumed`: the Ceilometer notification agent stops; publishers go on (openstack-notifications-unconsumed).
 * - `orphans`: reply_/fanout queues (and a heat engine's per-process pair) left without
 *   consumer, some without x-expires (openstack-orphan-queues).
 * - `stuck-rpc-consumer`: one nova-conductor stops acking on `conductor`, no prefetch
 *   limit: unacked builds (openstack-rpc-unacked).
 * - `rpc-backlog`: every nova-conductor stops consuming `conductor` while callers keep
 *   casting: ready messages grow (openstack-rpc-backlog).
 * - `connection-flood`: nova-api on the first controller opens many extra connections (openstack-service-connections-high).
 */
export type SimFault =
  | `compute-down:${string}`
  | `compute-unsubscribed:${string}`
  | 'notifications-unconsumed'
  | 'orphans'
  | 'stuck-rpc-consumer'
  | 'rpc-backlog'
  | 'connection-flood';

export const FAULT_NAMES = [
  'compute-down:<host>',
  'compute-unsubscribed:<host>',
  'notifications-unconsumed',
  'orphans',
  'stuck-rpc-consumer',
  'rpc-backlog',
  'connection-flood',
] as const;

export interface SimOptions {
  /** `amqp://user:pass@host:port/[vhost]` */
  amqpUrl: string;
  /** Overrides the URL's vhost (default '/'). */
  vhost?: string;
  /** Default ['ctl-1', 'ctl-2']. The first runs cinder-volume (`ctl-1@lvm`) and Ceilometer. */
  controllers?: string[];
  /** Default ['net-1']. */
  networks?: string[];
  /** Host names, or a count (`cmp-01`...). Default 3. */
  computes?: string[] | number;
  /** RPC requests per second across the cloud (each may fan into a few messages). Default 2. */
  rpcRate?: number;
  /** Notifications per second. Default 1. */
  notificationRate?: number;
  /** nova-compute state reports (neutron agents: 3x, cinder capabilities: 6x). Default 10 s. */
  reportIntervalMs?: number;
  /** rpc_response_timeout, also the call messages' expiration. Default 60 s. */
  callTimeoutMs?: number;
  /** Queues the `orphans` fault leaves. Default 20. */
  orphanCount?: number;
  /** Extra connections the `connection-flood` fault opens. Default 50. */
  floodConnections?: number;
  /** Faults on from the start. */
  faults?: string[];
  /** Bind each host's connections to its loopback address. Default: when the broker is on loopback. */
  bindAddresses?: boolean;
  log?: (line: string) => void;
}

export interface SimProcessInfo {
  id: string;
  host: string;
  address: string;
  binary: string;
  service: string;
  pid: number;
  state: ProcessState;
  /** client_properties.connection_name of each open connection. */
  connectionNames: string[];
  /** Its RPC server queues: `<topic>`, `<topic>.<server>`, `<topic>_fanout_<hex>` per topic. */
  queues: string[];
  /** Its reply_<hex> queue, '' when it makes no calls. */
  replyQueue: string;
}

export interface Simulation {
  /** Host name -> the loopback address its connections come from. */
  readonly hostAddresses: Record<string, string>;
  readonly hosts: readonly HostPlan[];
  /** The vhost in use. */
  readonly vhost: string;
  activeFaults(): string[];
  setFault(fault: string, on: boolean): Promise<void>;
  processes(): SimProcessInfo[];
  stats(): SimStats;
  /** Names of the queues the `orphans` fault declared (empty when off). */
  orphanQueues(): string[];
  /** Stop traffic, delete per-process (reply_/fanout) queues as oslo does, close every connection. */
  stop(): Promise<void>;
  /** Delete every queue and exchange the simulation ever declared (for test isolation; after stop()). */
  cleanup(): Promise<void>;
}

/** `compute-down:cmp-02` -> its parts; throws on an unknown fault. */
export function parseFault(fault: string): { kind: string; host: string } {
  const i = fault.indexOf(':');
  const kind = i < 0 ? fault : fault.slice(0, i);
  const host = i < 0 ? '' : fault.slice(i + 1);
  const hostFaults = ['compute-down', 'compute-unsubscribed'];
  const plain = ['notifications-unconsumed', 'orphans', 'stuck-rpc-consumer', 'rpc-backlog', 'connection-flood'];
  if (hostFaults.includes(kind) && host !== '') return { kind, host };
  if (plain.includes(kind) && host === '') return { kind, host };
  throw new Error(`unknown fault '${fault}' (known: ${FAULT_NAMES.join(', ')})`);
}

function connectTarget(amqpUrl: string, vhostOverride: string | undefined): { target: Options.Connect; vhost: string; loopback: boolean } {
  const u = new URL(amqpUrl);
  const protocol = u.protocol.replace(/:$/, '');
  const path = u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : '/';
  const vhost = vhostOverride ?? path;
  const hostname = u.hostname.replace(/^\[|\]$/g, '');
  return {
    target: {
      protocol,
      hostname,
      port: u.port ? Number(u.port) : protocol === 'amqps' ? 5671 : 5672,
      username: decodeURIComponent(u.username || 'guest'),
      password: decodeURIComponent(u.password || 'guest'),
      // amqplib unescapes the vhost it is given
      vhost: encodeURIComponent(vhost),
      heartbeat: 60,
    },
    vhost,
    loopback: hostname === 'localhost' || hostname === '::1' || /^127\./.test(hostname),
  };
}

export async function startSimulation(opts: SimOptions): Promise<Simulation> {
  const controllers = opts.controllers ?? ['ctl-1', 'ctl-2'];
  const networks = opts.networks ?? ['net-1'];
  const computes = Array.isArray(opts.computes) ? opts.computes : defaultComputes(opts.computes ?? 3);
  const names = [...controllers, ...networks, ...computes];
  if (new Set(names).size !== names.length) throw new Error('host names must be unique');
  if (controllers.length === 0) throw new Error('at least one controller is needed');

  const log = opts.log ?? (() => undefined);
  for (const f of opts.faults ?? []) {
    const { kind, host } = parseFault(f);
    if (host !== '' && !computes.includes(host)) throw new Error(`fault ${f}: no compute host '${host}' (computes: ${computes.join(', ')})`);
    if (kind === 'stuck-rpc-consumer' && controllers.length < 2) log('note: with one controller the stuck conductor is the only consumer');
  }
  const { target, vhost, loopback } = connectTarget(opts.amqpUrl, opts.vhost);
  const rpcRate = opts.rpcRate ?? 2;
  const notificationRate = opts.notificationRate ?? 1;
  const reportIntervalMs = opts.reportIntervalMs ?? 10_000;
  const orphanCount = opts.orphanCount ?? 20;
  const floodCount = opts.floodConnections ?? 50;
  const plan = planCloud({ controllers, networks, computes });
  const hostAddresses: Record<string, string> = Object.fromEntries(plan.hosts.map((h) => [h.name, h.address]));

  const procs = new Map<string, OsloProcess>();
  const get = (binary: string, host: string): OsloProcess | undefined => procs.get(`${binary}@${host}`);
  const live = (p: OsloProcess | undefined): p is OsloProcess => p !== undefined && p.running;
  const timers: NodeJS.Timeout[] = [];
  const faults = new Set<string>();
  let orphanNames: string[] = [];
  let floodConns: ChannelModel[] = [];
  let stopped = false;

  const ctx: SimContext = {
    target,
    bindAddresses: opts.bindAddresses ?? loopback,
    callTimeoutMs: opts.callTimeoutMs ?? 60_000,
    stats: emptyStats(),
    declaredQueues: new Set(),
    declaredExchanges: new Set(),
    log,
    stopping: false,
    dispatch: (proc, server, method, args) => serve(proc, server.plan.topic, method, args),
    onBroken: (proc, err) => {
      log(`${proc.id}: connection lost (${err instanceof Error ? err.message : String(err)}); reconnecting`);
      void proc.breakDown().then(() => restartLater(proc));
    },
  };

  // oslo reconnects with the same identity and queue names.
  const restartLater = (proc: OsloProcess): void => {
    const t = setTimeout(() => {
      if (stopped || procs.get(proc.id) !== proc || proc.state !== 'broken') return;
      ctx.stats.restarts++;
      proc.start().then(
        () => log(`${proc.id}: reconnected`),
        (e: unknown) => {
          log(`${proc.id}: reconnect failed: ${e instanceof Error ? e.message : String(e)}`);
          restartLater(proc);
        },
      );
    }, 3000);
    timers.push(t);
  };

  const spawn = async (p: ProcessPlan): Promise<OsloProcess> => {
    const proc = new OsloProcess(ctx, p, hostAddresses[p.host]);
    procs.set(proc.id, proc);
    await proc.start();
    return proc;
  };

  // ---- server-side behaviour -------------------------------------------------------
  let schedIdx = 0;
  const serve = async (proc: OsloProcess, topic: string, method: string, args: Record<string, unknown>): Promise<unknown> => {
    switch (`${topic}/${method}`) {
      case 'conductor/build_instances': {
        // conductor asks the scheduler, then casts to the chosen compute (down ones included:
        // the scheduler only notices a dead host after service_down_time).
        const dest = (await proc.call(EXCHANGE.nova, 'scheduler', 'select_destinations', { spec: args })) as
          | Array<{ host: string }>
          | undefined;
        const host = dest?.[0]?.host;
        if (host) await proc.cast(EXCHANGE.nova, `compute.${host}`, 'build_and_run_instance', { instance: args.instance });
        return null;
      }
      case 'scheduler/select_destinations':
        return [{ host: computes[schedIdx++ % computes.length], nodename: 'node' }];
      case 'cinder-scheduler/create_volume': {
        const vol = controllers[0];
        if (vol) await proc.cast(EXCHANGE.cinder, `cinder-volume.${vol}@lvm`, 'create_volume', args);
        return null;
      }
      case 'engine/list_stacks': {
        // work for some engine's worker queue (engine_worker.<engine_id>)
        const engines = controllers.map((h) => get('heat-engine', h)).filter(live);
        const e = engines[schedIdx++ % Math.max(1, engines.length)];
        if (e) await proc.cast(EXCHANGE.heat, `engine_worker.${e.engineId}`, 'check_resource', { resource_id: 1 });
        return [];
      }
      default:
        return method === 'report_state' ? { state: 'alive' } : null;
    }
  };

  // ---- client-side traffic -----------------------------------------------------------
  let n = 0;
  const pick = <T>(xs: readonly T[]): T => xs[n % xs.length] as T;
  const agentsOnNet = networks.flatMap((h) => ['neutron-dhcp-agent', 'neutron-l3-agent', 'neutron-openvswitch-agent'].map((b) => [b, h] as const));
  const agentsOnCmp = computes.map((h) => ['neutron-openvswitch-agent', h] as const);
  const agents = [...agentsOnNet, ...agentsOnCmp];
  const vmid = (): string => randomUUID();

  const actions: Array<() => Promise<unknown> | undefined> = [
    () => get('nova-api', pick(controllers))?.cast(EXCHANGE.nova, 'conductor', 'build_instances', { instance: vmid() }),
    () => get('nova-api', pick(controllers))?.call(EXCHANGE.nova, 'conductor', 'object_class_action_versions', { objname: 'Instance' }),
    () => get('neutron-server', pick(controllers))?.fanoutCast('q-agent-notifier-port-update', 'port_update', { port: { id: vmid() } }),
    () =>
      networks.length > 0
        ? get('neutron-server', pick(controllers))?.cast(EXCHANGE.neutron, `dhcp_agent.${pick(networks)}`, 'port_create_end', { payload: {} })
        : undefined,
    () => {
      const [b, h] = pick(agents);
      return b ? get(b, h)?.call(EXCHANGE.neutron, 'q-plugin', 'get_devices_details_list', { devices: [vmid()] }) : undefined;
    },
    () =>
      networks.length > 0
        ? get('neutron-server', pick(controllers))?.cast(EXCHANGE.neutron, `l3_agent.${pick(networks)}`, 'routers_updated', { routers: [vmid()] })
        : undefined,
    () => get('cinder-api', pick(controllers))?.cast(EXCHANGE.cinder, 'cinder-scheduler', 'create_volume', { volume_id: vmid() }),
    () => get('heat-api', pick(controllers))?.call(EXCHANGE.heat, 'engine', 'list_stacks', {}),
  ];

  const quietly = (p: Promise<unknown> | undefined): void => {
    p?.catch((e: unknown) => {
      const msg = e instanceof Error ? e.message : String(e);
      // Timeouts are the expected symptom of some faults; stats count them.
      if (!/MessagingTimeout|connection lost/.test(msg)) {
        ctx.stats.errors++;
        log(`traffic: ${msg}`);
      }
    });
  };

  const startTraffic = (): void => {
    let a = 0;
    if (rpcRate > 0) {
      timers.push(
        setInterval(() => {
          const act = actions[a++ % actions.length];
          if (a % actions.length === 0) n++;
          if (act) quietly(act());
        }, 1000 / rpcRate),
      );
    }
    const publishers: Array<() => Promise<void> | undefined> = [
      ...computes.map((h) => () =>
        get('nova-compute', h)?.notify(EXCHANGE.nova, 'notifications', 'info', notification(`compute.${h}`, 'compute.instance.update', { state: 'active' })),
      ),
      ...controllers.map((h) => () =>
        get('neutron-server', h)?.notify(EXCHANGE.neutron, 'notifications', 'info', notification(`network.${h}`, 'port.update.end', { port: {} })),
      ),
      () => {
        const h = controllers[0] as string;
        return get('cinder-volume', h)?.notify(EXCHANGE.cinder, 'notifications', 'info', notification(`volume.${h}@lvm`, 'volume.usage', {}));
      },
      ...controllers.map((h) => () =>
        get('heat-engine', h)?.notify(EXCHANGE.heat, 'notifications', 'info', notification(`orchestration.${h}`, 'orchestration.stack.update.end', {})),
      ),
    ];
    let p = 0;
    if (notificationRate > 0) {
      timers.push(setInterval(() => quietly(publishers[p++ % publishers.length]?.()), 1000 / notificationRate));
    }
    let tick = 0;
    timers.push(
      setInterval(() => {
        tick++;
        // nova services report through the conductor (Service.save)
        for (const h of computes) quietly(get('nova-compute', h)?.call(EXCHANGE.nova, 'conductor', 'object_action', { objmethod: 'save' }));
        if (tick % 3 === 0) {
          for (const [b, h] of agents) quietly(get(b, h)?.call(EXCHANGE.neutron, 'q-reports-plugin', 'report_state', { agent_state: {} }));
        }
        if (tick % 6 === 0) {
          const h = controllers[0] as string;
          quietly(get('cinder-volume', h)?.fanoutCast('cinder-scheduler', 'update_service_capabilities', { host: `${h}@lvm` }));
          const engines = controllers.map((c) => get('heat-engine', c)).filter(live);
          engines.forEach((e, i) => {
            const other = engines[(i + 1) % engines.length];
            if (other && other !== e) quietly(e.call(EXCHANGE.heat, `heat-engine-listener.${other.engineId}`, 'listening', {}));
          });
        }
      }, reportIntervalMs),
    );
  };

  // ---- faults ------------------------------------------------------------------------
  const adminConnect = async (binary: string): Promise<{ conn: ChannelModel; ch: Channel }> => {
    const conn = await connect(target, { clientProperties: clientProperties(binary, fakePid()) });
    conn.on('error', () => undefined);
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    return { conn, ch };
  };

  const computeProc = (host: string): ProcessPlan => {
    const p = plan.processes.find((x) => x.binary === 'nova-compute' && x.host === host);
    if (!p) throw new Error(`no compute host '${host}' in this simulation (computes: ${computes.join(', ')})`);
    return p;
  };

  const declareOrphans = async (): Promise<void> => {
    // Left behind by processes that died: declared by a short-lived connection that then goes away.
    const { conn, ch } = await adminConnect('nova-api');
    const names: string[] = [];
    try {
      const fanoutEx = 'q-agent-notifier-port-update_fanout';
      await ch.assertExchange(fanoutEx, 'fanout', { durable: false, autoDelete: true });
      await ch.assertExchange(EXCHANGE.heat, 'topic', { durable: false, autoDelete: false });
      ctx.declaredExchanges.add(fanoutEx);
      ctx.declaredExchanges.add(EXCHANGE.heat);
      let i = 0;
      if (orphanCount >= 4) {
        // a heat-engine restart leaves its engine_id queues, which never expire
        const engineId = randomUUID();
        for (const topic of ['heat-engine-listener', 'engine_worker']) {
          const q = `${topic}.${engineId}`;
          await ch.assertQueue(q, { durable: false, autoDelete: false });
          await ch.bindQueue(q, EXCHANGE.heat, q);
          names.push(q);
          i++;
        }
      }
      for (; i < orphanCount; i++) {
        // every third one without x-expires (rabbit_transient_queues_ttl = 0)
        const args = i % 3 === 0 ? {} : { 'x-expires': TRANSIENT_QUEUE_TTL_MS };
        if (i % 2 === 0) {
          const q = `reply_${uniqueHex()}`;
          await ch.assertQueue(q, { durable: false, autoDelete: false, arguments: args });
          names.push(q);
        } else {
          // bound to a live fanout exchange: each orphan takes a copy of every broadcast
          const q = `q-agent-notifier-port-update_fanout_${uniqueHex()}`;
          await ch.assertQueue(q, { durable: false, autoDelete: false, arguments: args });
          await ch.bindQueue(q, fanoutEx, 'q-agent-notifier-port-update');
          names.push(q);
        }
      }
    } finally {
      for (const q of names) ctx.declaredQueues.add(q);
      orphanNames = names;
      await conn.close().catch(() => undefined);
    }
  };

  const deleteQueues = async (queues: Iterable<string>, exchanges: Iterable<string> = []): Promise<void> => {
    const { conn } = await adminConnect('warren-sim-cleanup');
    let ch = await conn.createChannel();
    ch.on('error', () => undefined);
    const again = async (fn: (c: Channel) => Promise<unknown>): Promise<void> => {
      try {
        await fn(ch);
      } catch {
        ch = await conn.createChannel();
        ch.on('error', () => undefined);
      }
    };
    for (const q of queues) await again((c) => c.deleteQueue(q));
    for (const x of exchanges) if (x !== '' && !x.startsWith('amq.')) await again((c) => c.deleteExchange(x));
    await conn.close().catch(() => undefined);
  };

  const setFault = async (fault: string, on: boolean): Promise<void> => {
    if (stopped) throw new Error('simulation stopped');
    const { kind, host } = parseFault(fault);
    if (faults.has(fault) === on) return;
    switch (kind) {
      case 'compute-down': {
        const p = computeProc(host);
        if (on) await get(p.binary, host)?.stop({ clean: false });
        else await spawn(p);
        break;
      }
      case 'compute-unsubscribed': {
        const p = computeProc(host);
        const proc = get(p.binary, host);
        if (!proc) break;
        const queues = proc.servers.flatMap((s) => [s.topicQueue, s.hostQueue, s.fanoutQueue]);
        for (const q of queues) await (on ? proc.pause(q) : proc.resume(q));
        break;
      }
      case 'notifications-unconsumed': {
        const p = plan.processes.find((x) => x.listener);
        if (!p) throw new Error('no notification consumer in this simulation');
        if (on) await get(p.binary, p.host)?.stop({ clean: true });
        else await spawn(p);
        break;
      }
      case 'orphans':
        if (on) await declareOrphans();
        else {
          await deleteQueues(orphanNames);
          orphanNames = [];
        }
        break;
      case 'stuck-rpc-consumer': {
        const proc = get('nova-conductor', controllers[controllers.length - 1] as string);
        if (!proc) break;
        if (on) proc.stuckQueues.add('conductor');
        else proc.unstick('conductor');
        break;
      }
      case 'rpc-backlog':
        for (const h of controllers) {
          const proc = get('nova-conductor', h);
          if (proc) await (on ? proc.pause('conductor') : proc.resume('conductor'));
        }
        break;
      case 'connection-flood': {
        const proc = get('nova-api', controllers[0] as string);
        if (on && proc) {
          for (let i = 0; i < floodCount; i++) {
            const c = await proc.openConnection(true);
            const ch = await c.createChannel();
            ch.on('error', () => undefined);
            floodConns.push(c);
          }
        } else {
          const conns = floodConns;
          floodConns = [];
          await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
        }
        break;
      }
    }
    if (on) faults.add(fault);
    else faults.delete(fault);
    log(`fault ${fault} ${on ? 'on' : 'off'}`);
  };

  // ---- start ---------------------------------------------------------------------------
  const startAll = async (): Promise<void> => {
    // a few at a time: quick, without a connection storm on a small broker
    const queue = [...plan.processes];
    const worker = async (): Promise<void> => {
      for (let p = queue.shift(); p; p = queue.shift()) await spawn(p);
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    ctx.stopping = true;
    for (const t of timers) clearTimeout(t);
    const conns = floodConns;
    floodConns = [];
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
    await Promise.all([...procs.values()].map((p) => p.stop({ clean: true })));
    log('stopped');
  };

  try {
    await startAll();
    for (const f of opts.faults ?? []) await setFault(f, true);
  } catch (e) {
    await stop();
    throw e;
  }
  startTraffic();
  log(`started: ${procs.size} processes on ${plan.hosts.length} hosts, vhost ${vhost}`);

  return {
    hostAddresses,
    hosts: plan.hosts,
    vhost,
    activeFaults: () => [...faults],
    setFault,
    stats: () => ({ ...ctx.stats }),
    orphanQueues: () => [...orphanNames],
    processes: () =>
      [...procs.values()].map((p) => ({
        id: p.id,
        host: p.plan.host,
        address: p.address ?? '',
        binary: p.plan.binary,
        service: serviceOfBinary(p.plan.binary),
        pid: p.pid,
        state: p.state,
        connectionNames: [...p.connectionNames],
        queues: p.servers.flatMap((s) => [s.topicQueue, s.hostQueue, s.fanoutQueue]),
        replyQueue: p.plan.caller ? p.replyQueue : '',
      })),
    stop,
    cleanup: () => deleteQueues([...ctx.declaredQueues], [...ctx.declaredExchanges]),
  };
}
