// Real oslo.messaging services as test fixtures (Debian python3-oslo.messaging, run by
// /usr/bin/python3: the python3 first on PATH may lack it). Each service is its own
// process in its own process group, recorded in the harness registry (util.ts track) so a
// crashed test or the global teardown kills it. The scripts are in test/oslo/.
//
// A service counts as started once the broker shows what it declared: its connection
// (by oslo's connection_name `<binary>:<pid>:<uuid>`) and, for servers and listeners, a
// consumer of that connection on each of its queues (polled from the management API).

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Broker } from './broker.js';
import {
  REPO_ROOT,
  getJson,
  isAlive,
  makeTempDir,
  processStartTime,
  release,
  stopProcessTree,
  tailFile,
  track,
  waitFor,
} from './util.js';

export const SYSTEM_PYTHON = '/usr/bin/python3';
export const OSLO_FIXTURES = path.join(REPO_ROOT, 'test/oslo');

export interface RpcTarget {
  topic: string;
  server: string;
}

export type OsloKind = 'server' | 'client' | 'notifier' | 'listener';

export interface OsloProcess {
  kind: OsloKind;
  /** argv[0] of the service, the first field of its connection_name. */
  binary: string;
  pid: number;
  /** The control exchange it uses. */
  exchange: string;
  /** Loopback address its AMQP connections come from, when one was given. */
  sourceIp: string | undefined;
  /** Servers: what it serves. */
  targets: readonly RpcTarget[];
  /** Queues it consumes (servers: `<topic>` and `<topic>.<server>` per target; listeners: `<topic>.<priority>`). */
  queues: readonly string[];
  /** `<binary>:<pid>:`, the start of every connection_name it opens. */
  connectionPrefix: string;
  logFile: string;
  /** Last `{"event":"stats"}` line it printed (clients, notifiers, listeners). */
  stats(): Record<string, number> | undefined;
  /** stderr tail, for failure messages. */
  log(lines?: number): string;
  /** SIGSTOP: the process freezes, its TCP connections stay open. */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  /** SIGKILL, like a crash; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** SIGCONT + SIGTERM (oslo closes its connections), SIGKILL after a grace period. Idempotent. */
  stop(): Promise<void>;
  running(): boolean;
}

interface CommonOptions {
  binary: string;
  /** oslo `[DEFAULT] control_exchange`, e.g. nova, neutron, cinder, heat. */
  exchange: string;
  sourceIp?: string;
  /** `[oslo_messaging_rabbit] heartbeat_timeout_threshold`, seconds (oslo default 60). */
  heartbeatTimeout?: number;
  /** How long to wait for the broker to show the service, default 90 s. */
  readyTimeoutMs?: number;
}

export interface ServerOptions extends CommonOptions {
  targets: readonly RpcTarget[];
  /** `[DEFAULT] rpc_ping_enabled` (default false, as in oslo). */
  ping?: boolean;
  /** The endpoint Target's version, default 1.0. */
  endpointVersion?: string;
}

export interface ClientOptions extends CommonOptions {
  topic: string;
  server?: string;
  callRate?: number;
  castRate?: number;
  /** Call timeout, seconds (default 10). */
  timeout?: number;
}

export interface NotifierOptions extends CommonOptions {
  topic?: string;
  publisherId?: string;
  rate?: number;
  priority?: string;
}

export interface ListenerOptions extends CommonOptions {
  topic?: string;
  exchanges?: readonly string[];
  priorities?: readonly string[];
}

/** oslo's transport_url for a harness broker (`amqp://` becomes `rabbit://`). */
export function transportUrl(broker: Broker): string {
  return broker.amqpUrl.replace(/^amqp:/, 'rabbit:');
}

function auth(broker: Broker): { user: string; password: string } {
  return { user: broker.user, password: broker.password };
}

interface ApiConnection {
  name: string;
  peer_host?: string;
  client_properties?: { connection_name?: string };
}

interface ApiConsumer {
  queue: { name: string; vhost: string };
  channel_details: { connection_name: string };
}

export async function listConnections(broker: Broker): Promise<ApiConnection[]> {
  return getJson<ApiConnection[]>(`${broker.mgmtUrl}/api/connections`, { auth: auth(broker), timeoutMs: 10_000 });
}

export async function listConsumers(broker: Broker): Promise<ApiConsumer[]> {
  return getJson<ApiConsumer[]>(`${broker.mgmtUrl}/api/consumers`, { auth: auth(broker), timeoutMs: 10_000 });
}

/** Broker-side names of the connections a process opened. */
export async function connectionsOf(broker: Broker, p: Pick<OsloProcess, 'connectionPrefix'>): Promise<ApiConnection[]> {
  return (await listConnections(broker)).filter((c) => c.client_properties?.connection_name?.startsWith(p.connectionPrefix));
}

/** True while one of the process's connections consumes `queue`. */
export async function consumes(broker: Broker, p: Pick<OsloProcess, 'connectionPrefix'>, queue: string): Promise<boolean> {
  const mine = new Set((await connectionsOf(broker, p)).map((c) => c.name));
  return (await listConsumers(broker)).some((c) => c.queue.name === queue && mine.has(c.channel_details.connection_name));
}

function spawnFixture(
  broker: Broker,
  kind: OsloKind,
  script: string,
  common: CommonOptions,
  args: string[],
  queues: string[],
  targets: readonly RpcTarget[],
): OsloProcess {
  const dir = makeTempDir(`oslo-${common.binary}`);
  const dirHandle = track({ kind: 'dir', path: dir });
  const logFile = path.join(dir, 'stderr.log');
  const err = fs.openSync(logFile, 'a');
  const argv = [
    path.join(OSLO_FIXTURES, script),
    '--transport-url',
    transportUrl(broker),
    '--binary',
    common.binary,
    '--control-exchange',
    common.exchange,
    ...(common.sourceIp ? ['--source-ip', common.sourceIp] : []),
    ...(common.heartbeatTimeout !== undefined ? ['--heartbeat-timeout', String(common.heartbeatTimeout)] : []),
    ...args,
  ];
  const child = spawn(SYSTEM_PYTHON, argv, { cwd: dir, detached: true, stdio: ['ignore', 'pipe', err] });
  fs.closeSync(err);
  if (child.pid === undefined) throw new Error(`${common.binary}: could not spawn ${SYSTEM_PYTHON}`);
  const pid = child.pid;
  const groupHandle = track({ kind: 'group', pgid: pid, startTime: processStartTime(pid), label: `oslo ${common.binary}` });
  let exited = false;
  let lastStats: Record<string, number> | undefined;
  let buffered = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        const ev = JSON.parse(line) as Record<string, unknown>;
        if (ev.event === 'stats') lastStats = ev as Record<string, number>;
      } catch {
        /* not ours */
      }
    }
  });
  child.on('exit', () => {
    exited = true;
  });
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();

  let stopped = false;
  const proc: OsloProcess = {
    kind,
    binary: common.binary,
    pid,
    exchange: common.exchange,
    sourceIp: common.sourceIp,
    targets,
    queues,
    connectionPrefix: `${common.binary}:${pid}:`,
    logFile,
    stats: () => lastStats,
    log: (lines = 30) => tailFile(logFile, lines),
    freeze: () => process.kill(pid, 'SIGSTOP'),
    thaw: () => process.kill(pid, 'SIGCONT'),
    running: () => !exited && isAlive(pid),
    async kill9() {
      if (!exited && isAlive(pid)) process.kill(pid, 'SIGKILL');
      await waitFor(async () => exited || !isAlive(pid), { timeoutMs: 30_000, what: `${common.binary} (${pid}) to die`, intervalMs: 50 });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        /* gone */
      }
      await stopProcessTree(pid, { graceMs: 10_000 });
      release(groupHandle);
      fs.rmSync(dir, { recursive: true, force: true });
      release(dirHandle);
    },
  };
  return proc;
}

async function waitStarted(broker: Broker, p: OsloProcess, timeoutMs: number, awaitReplyQueue = false): Promise<void> {
  try {
    await waitFor(
      async () => {
        if (!p.running()) throw new Error(`${p.binary} exited`);
        const conns = await connectionsOf(broker, p);
        if (conns.length === 0) return false;
        const mine = new Set(conns.map((c) => c.name));
        const consumed = new Set(
          (await listConsumers(broker)).filter((c) => mine.has(c.channel_details.connection_name)).map((c) => c.queue.name),
        );
        // A calling client has made its first call once it consumes its reply_<uuid> queue.
        if (awaitReplyQueue && ![...consumed].some((q) => q.startsWith('reply_'))) return false;
        return p.queues.every((q) => consumed.has(q));
      },
      {
        timeoutMs,
        intervalMs: 300,
        what: `${p.binary} (pid ${p.pid}) to connect and consume ${[...p.queues, ...(awaitReplyQueue ? ['its reply_ queue'] : [])].join(', ') || '(nothing)'}`,
        onTimeout: () => p.log(),
      },
    );
  } catch (e) {
    await p.stop();
    throw e;
  }
}

/** An RPC server serving `targets` (queues `<topic>`, `<topic>.<server>`, `<topic>_fanout_<uuid>`). */
export async function startRpcServer(broker: Broker, opts: ServerOptions): Promise<OsloProcess> {
  const args = ['--targets', JSON.stringify(opts.targets), opts.ping ? '--ping' : '--no-ping'];
  if (opts.endpointVersion) args.push('--endpoint-version', opts.endpointVersion);
  const queues = [...new Set(opts.targets.flatMap((t) => [t.topic, `${t.topic}.${t.server}`]))];
  const p = spawnFixture(broker, 'server', 'rpc_server.py', opts, args, queues, opts.targets);
  await waitStarted(broker, p, opts.readyTimeoutMs ?? 90_000);
  return p;
}

/** An RPC client calling (and/or casting to) a topic; stats() has calls/ok/timeouts/errors/casts. */
export async function startRpcClient(broker: Broker, opts: ClientOptions): Promise<OsloProcess> {
  const args = [
    '--topic',
    opts.topic,
    '--call-rate',
    String(opts.callRate ?? 1),
    '--cast-rate',
    String(opts.castRate ?? 0),
    '--timeout',
    String(opts.timeout ?? 10),
  ];
  if (opts.server) args.push('--server', opts.server);
  const p = spawnFixture(broker, 'client', 'rpc_client.py', opts, args, [], []);
  await waitStarted(broker, p, opts.readyTimeoutMs ?? 90_000, (opts.callRate ?? 1) > 0);
  return p;
}

/** A Notifier (driver messagingv2) sending to `<topic>.<priority>`; stats() has sent/errors. */
export async function startNotifier(broker: Broker, opts: NotifierOptions): Promise<OsloProcess> {
  const args = [
    '--topic',
    opts.topic ?? 'notifications',
    '--publisher-id',
    opts.publisherId ?? `${opts.binary}.host`,
    '--rate',
    String(opts.rate ?? 1),
    '--priority',
    opts.priority ?? 'info',
  ];
  const p = spawnFixture(broker, 'notifier', 'notifier.py', opts, args, [], []);
  await waitStarted(broker, p, opts.readyTimeoutMs ?? 90_000);
  return p;
}

/** A notification listener consuming `<topic>.<priority>` bound to each exchange; stats() has received. */
export async function startListener(broker: Broker, opts: ListenerOptions): Promise<OsloProcess> {
  const topic = opts.topic ?? 'notifications';
  const priorities = opts.priorities ?? ['info'];
  const args = ['--topic', topic, '--exchanges', (opts.exchanges ?? [opts.exchange]).join(','), '--priorities', priorities.join(',')];
  const queues = priorities.map((p) => `${topic}.${p}`);
  const p = spawnFixture(broker, 'listener', 'listener.py', opts, args, queues, []);
  await waitStarted(broker, p, opts.readyTimeoutMs ?? 90_000);
  return p;
}

// ---------------------------------------------------------------------------
// a typical small cloud

/** Hosts of the cloud and the loopback address each connects from. */
export const CLOUD_HOSTS = {
  'ctl-1': '127.0.0.10',
  'cmp-a': '127.0.0.11',
  'cmp-b': '127.0.0.12',
  'net-1': '127.0.0.13',
} as const;

export type CloudHost = keyof typeof CLOUD_HOSTS;

export interface Cloud {
  /** Every process by a name: compute-cmp-a, compute-cmp-b, conductor, scheduler, neutron-server, dhcp-agent, l3-agent, cinder-volume, heat-engine, client, notifier, listener. */
  readonly processes: Readonly<Record<string, OsloProcess>>;
  /** heat-engine's engine_id (the server of its heat-engine-listener and engine_worker queues). */
  readonly heatEngineId: string;
  /** Every queue the services consume, by process name. */
  servedQueues(): string[];
  /** Start a further service in this cloud (stopped with it). */
  add(name: string, p: OsloProcess): void;
  stop(): Promise<void>;
}

export interface CloudOptions {
  /** rpc_ping_enabled on every server (default true). */
  ping?: boolean;
  heartbeatTimeout?: number;
  /** Client calls to conductor per second (default 1) and their timeout (default 10 s). */
  callRate?: number;
  callTimeout?: number;
  notificationRate?: number;
}

/**
 * nova-compute on cmp-a and cmp-b, nova-conductor and nova-scheduler on ctl-1, neutron-server
 * on ctl-1 with a dhcp and an l3 agent on net-1, cinder-volume `ctl-1@lvm`, heat-engine on
 * ctl-1, a client (nova-api on ctl-1) calling conductor, a notifier (nova-compute on cmp-a)
 * and a listener (ceilometer-agent-notification on ctl-1). Each its own process.
 */
export async function startCloud(broker: Broker, opts: CloudOptions = {}): Promise<Cloud> {
  const ping = opts.ping ?? true;
  const hb = opts.heartbeatTimeout;
  const heatEngineId = randomUUID();
  const server = (binary: string, exchange: string, host: CloudHost, targets: RpcTarget[]) =>
    startRpcServer(broker, { binary, exchange, sourceIp: CLOUD_HOSTS[host], targets, ping, heartbeatTimeout: hb });
  const starts: Array<[string, () => Promise<OsloProcess>]> = [
    ['compute-cmp-a', () => server('nova-compute', 'nova', 'cmp-a', [{ topic: 'compute', server: 'cmp-a' }])],
    ['compute-cmp-b', () => server('nova-compute', 'nova', 'cmp-b', [{ topic: 'compute', server: 'cmp-b' }])],
    ['conductor', () => server('nova-conductor', 'nova', 'ctl-1', [{ topic: 'conductor', server: 'ctl-1' }])],
    ['scheduler', () => server('nova-scheduler', 'nova', 'ctl-1', [{ topic: 'scheduler', server: 'ctl-1' }])],
    [
      'neutron-server',
      () =>
        server('neutron-server', 'neutron', 'ctl-1', [
          { topic: 'q-plugin', server: 'ctl-1' },
          { topic: 'q-reports-plugin', server: 'ctl-1' },
        ]),
    ],
    ['dhcp-agent', () => server('neutron-dhcp-agent', 'neutron', 'net-1', [{ topic: 'dhcp_agent', server: 'net-1' }])],
    ['l3-agent', () => server('neutron-l3-agent', 'neutron', 'net-1', [{ topic: 'l3_agent', server: 'net-1' }])],
    ['cinder-volume', () => server('cinder-volume', 'cinder', 'ctl-1', [{ topic: 'cinder-volume', server: 'ctl-1@lvm' }])],
    [
      'heat-engine',
      () =>
        server('heat-engine', 'heat', 'ctl-1', [
          { topic: 'engine', server: 'ctl-1' },
          { topic: 'heat-engine-listener', server: heatEngineId },
          { topic: 'engine_worker', server: heatEngineId },
        ]),
    ],
    [
      'listener',
      () =>
        startListener(broker, {
          binary: 'ceilometer-agent-notification',
          exchange: 'ceilometer',
          exchanges: ['nova'],
          sourceIp: CLOUD_HOSTS['ctl-1'],
          heartbeatTimeout: hb,
        }),
    ],
  ];
  const processes: Record<string, OsloProcess> = {};
  const cloud: Cloud = {
    processes,
    heatEngineId,
    servedQueues: () => Object.values(processes).flatMap((p) => p.queues),
    add(name, p) {
      processes[name] = p;
    },
    async stop() {
      await Promise.all(Object.values(processes).map((p) => p.stop().catch(() => undefined)));
    },
  };
  try {
    const started = await Promise.allSettled(starts.map(async ([name, start]) => (processes[name] = await start())));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    // Callers and publishers once their servers and listener consume.
    const [client, notifier] = await Promise.all([
      startRpcClient(broker, {
        binary: 'nova-api',
        exchange: 'nova',
        topic: 'conductor',
        sourceIp: CLOUD_HOSTS['ctl-1'],
        callRate: opts.callRate ?? 1,
        timeout: opts.callTimeout ?? 10,
        heartbeatTimeout: hb,
      }),
      startNotifier(broker, {
        binary: 'nova-compute',
        exchange: 'nova',
        publisherId: 'compute.cmp-a',
        sourceIp: CLOUD_HOSTS['cmp-a'],
        rate: opts.notificationRate ?? 1,
        heartbeatTimeout: hb,
      }),
    ]);
    processes.client = client;
    processes.notifier = notifier;
  } catch (e) {
    await cloud.stop();
    throw e;
  }
  return cloud;
}
