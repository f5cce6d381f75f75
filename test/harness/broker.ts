// A private RabbitMQ node (Debian's rabbitmq-server, management + prometheus plugins)
// for integration tests. Free ports, a unique node name and a temp dir per broker, so
// several test runs can run side by side. Everything started is registered (util.ts)
// and killed on process exit or in the global teardown.
//
// epmd: the first node on a host starts `epmd -daemon`, which detaches into its own
// session. It is shared by every Erlang node on the machine, so the harness leaves it.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  IP,
  RABBITMQCTL,
  RABBITMQ_SERVER,
  ensureDeps,
  freePort,
  httpGet,
  makeTempDir,
  processStartTime,
  processTree,
  randomId,
  release,
  run,
  sleep,
  stopProcessTree,
  tailFile,
  track,
} from './util.js';

export interface Broker {
  /** Erlang node name, e.g. `wrn-foo-1a2b3c@localhost` or `rabbit@10.213.7.11`. */
  nodeName: string;
  /** `amqp://user:password@host:port/` (holds the password: do not print it). */
  amqpUrl: string;
  /** Management API base, no trailing slash, e.g. `http://127.0.0.1:21234`. */
  mgmtUrl: string;
  /** rabbitmq_prometheus base, no trailing slash (`/metrics`, `/metrics/detailed`). */
  promUrl: string;
  user: string;
  password: string;
  /** Temp dir holding config, cookie, mnesia and logs (`dir/log/<node>.log`). */
  dir: string;
  /** Run rabbitmqctl against this node; resolves to stdout. */
  ctl(...args: string[]): Promise<string>;
  /** Kill the node's whole process tree and delete its dir. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stop and start again: same name, data and ports. Graceful by default (~6 s to stop);
   * `{ kill: true }` SIGKILLs it instead, like a crash.
   */
  restart(opts?: { kill?: boolean }): Promise<void>;
  /** beam.smp pid while running. */
  pid(): number | undefined;
}

export interface StartBrokerOptions {
  /** Readable part of the node name (made unique by a random suffix). */
  name?: string;
  /** Extra rabbitmq.conf lines (sysctl format), appended after the harness's own. */
  extraConfig?: string[];
  /** Contents of advanced.config (an Erlang term list), default `[].` */
  advancedConfig?: string;
  /** Create this administrator instead of the default guest/guest (guest is then absent). */
  adminUser?: { user: string; password: string };
}

// ---------------------------------------------------------------------------
// internal: one node, wherever it runs (loopback or a network namespace)

export interface NodeSpec {
  nodeName: string;
  dir: string;
  /** Address used in URLs; also the listeners' bind address. */
  host: string;
  ports: { amqp: number; mgmt: number; prom: number; dist: number };
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  longnames: boolean;
  user: string;
  password: string;
  /** rabbitmq.conf lines beyond listeners and users. */
  extraConfig: string[];
  advancedConfig: string;
  cookie: string;
  /** Extra environment for the server (e.g. restrict distribution to loopback). */
  serverEnv?: Record<string, string>;
  readyTimeoutMs?: number;
}

export interface ManagedBroker extends Broker {
  /** Stop the process (graceful first unless `kill`), keep the data. */
  halt(opts?: { kill?: boolean; graceMs?: number }): Promise<void>;
  /** Start the process unless it runs; wait until both HTTP ports answer. */
  boot(): Promise<void>;
  isRunning(): boolean;
}

export function newCookie(): string {
  return randomBytes(18).toString('hex').toUpperCase();
}

/** Environment without the caller's RabbitMQ/Erlang settings, so only ours apply. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('RABBITMQ_') || k.startsWith('ERL_') || k === 'HOME') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function renderConfig(spec: NodeSpec): string {
  const lines = [
    `listeners.tcp.default = ${spec.host}:${spec.ports.amqp}`,
    `management.tcp.ip = ${spec.host}`,
    `management.tcp.port = ${spec.ports.mgmt}`,
    `prometheus.tcp.ip = ${spec.host}`,
    `prometheus.tcp.port = ${spec.ports.prom}`,
    // Tests connect as guest from the namespace bridge too.
    'loopback_users = none',
    `default_user = ${spec.user}`,
    `default_pass = ${spec.password}`,
    'default_user_tags.administrator = true',
    'log.file.level = info',
    'log.console = false',
    ...spec.extraConfig,
  ];
  return lines.join('\n') + '\n';
}

export function createNode(spec: NodeSpec): ManagedBroker {
  const { dir } = spec;
  const logDir = path.join(dir, 'log');
  fs.mkdirSync(path.join(dir, 'mnesia'), { recursive: true });
  fs.mkdirSync(logDir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'rabbitmq.conf'), renderConfig(spec), { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'enabled_plugins'), '[rabbitmq_management,rabbitmq_prometheus].\n');
  fs.writeFileSync(path.join(dir, 'advanced.config'), spec.advancedConfig.trim() + '\n');
  const cookieFile = path.join(dir, '.erlang.cookie');
  if (!fs.existsSync(cookieFile)) fs.writeFileSync(cookieFile, spec.cookie, { mode: 0o400 });

  const baseEnv: Record<string, string> = {
    HOME: dir, // the cookie lives here, for the server and rabbitmqctl alike
    RABBITMQ_NODENAME: spec.nodeName,
    RABBITMQ_USE_LONGNAME: spec.longnames ? 'true' : 'false',
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'none'), // ignore /etc/rabbitmq/rabbitmq-env.conf
  };
  const serverEnv = cleanEnv({
    ...baseEnv,
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq'),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: logDir,
    RABBITMQ_PID_FILE: path.join(dir, 'rabbitmq.pid'),
    RABBITMQ_DIST_PORT: String(spec.ports.dist),
    ...spec.serverEnv,
  });
  const ctlEnv = cleanEnv(baseEnv);

  const auth = { user: spec.user, password: spec.password };
  const mgmtUrl = `http://${spec.host}:${spec.ports.mgmt}`;
  const promUrl = `http://${spec.host}:${spec.ports.prom}`;
  const amqpUrl = `amqp://${encodeURIComponent(spec.user)}:${encodeURIComponent(spec.password)}@${spec.host}:${spec.ports.amqp}/`;

  let child: ChildProcess | undefined;
  let childExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let groupHandle: string | undefined;
  let pgid: number | undefined;
  let removed = false;
  const dirHandle = track({ kind: 'dir', path: dir });

  function logTail(): string {
    const parts: string[] = [];
    for (const f of fs.existsSync(logDir) ? fs.readdirSync(logDir) : []) {
      if (f.endsWith('.log')) parts.push(`--- ${f}\n${tailFile(path.join(logDir, f), 30)}`);
    }
    parts.push(`--- stdout/stderr\n${tailFile(path.join(dir, 'server.out'), 30)}`);
    return parts.join('\n');
  }

  function isRunning(): boolean {
    return pgid !== undefined && processTree(pgid).length > 0;
  }

  function spawnServer(): void {
    const out = fs.openSync(path.join(dir, 'server.out'), 'a');
    const [cmd, args] = spec.netns
      ? [IP, ['netns', 'exec', spec.netns, RABBITMQ_SERVER]]
      : [RABBITMQ_SERVER, [] as string[]];
    childExit = undefined;
    const c = spawn(cmd, args as string[], { env: serverEnv, cwd: dir, detached: true, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    child = c;
    if (c.pid === undefined) throw new Error(`${spec.nodeName}: could not spawn ${RABBITMQ_SERVER}`);
    pgid = c.pid;
    groupHandle = track({ kind: 'group', pgid: c.pid, startTime: processStartTime(c.pid), label: spec.nodeName });
    c.on('exit', (code, signal) => {
      if (child === c) childExit = { code, signal };
    });
    c.on('error', () => {
      if (child === c) childExit = { code: -1, signal: null };
    });
    c.unref();
  }

  /** Start the server unless it runs, then wait until both HTTP ports answer. */
  async function boot(): Promise<void> {
    if (removed) throw new Error(`${spec.nodeName}: already stopped and removed`);
    if (!isRunning()) spawnServer();
    const timeoutMs = spec.readyTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    let lastProblem = 'no answer yet';
    for (;;) {
      if (childExit) {
        throw new Error(
          `RabbitMQ node ${spec.nodeName} exited during startup (code ${String(childExit.code)}, signal ${String(childExit.signal)})\n${logTail()}`,
        );
      }
      try {
        const overview = await httpGet(`${mgmtUrl}/api/overview`, { auth, timeoutMs: 3_000 });
        if (overview.status !== 200) {
          lastProblem = `/api/overview answered HTTP ${overview.status}`;
        } else {
          const metrics = await httpGet(`${promUrl}/metrics`, { timeoutMs: 3_000 });
          await metrics.arrayBuffer();
          if (metrics.status === 200) return;
          lastProblem = `prometheus /metrics answered HTTP ${metrics.status}`;
        }
      } catch (e) {
        lastProblem = e instanceof Error ? `${e.message}${e.cause instanceof Error ? `: ${e.cause.message}` : ''}` : String(e);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `RabbitMQ node ${spec.nodeName} not ready within ${timeoutMs} ms (${lastProblem}); management ${mgmtUrl}, prometheus ${promUrl}\n${logTail()}`,
        );
      }
      await sleep(300);
    }
  }

  async function halt(opts: { kill?: boolean; graceMs?: number } = {}): Promise<void> {
    if (pgid === undefined) return;
    // The rabbitmq-server shell (the leader) traps TERM and stops beam gracefully.
    await stopProcessTree(pgid, { graceMs: opts.kill ? 0 : (opts.graceMs ?? 30_000) });
    if (groupHandle) release(groupHandle);
    groupHandle = undefined;
    pgid = undefined;
    child = undefined;
    childExit = undefined;
  }

  return {
    nodeName: spec.nodeName,
    amqpUrl,
    mgmtUrl,
    promUrl,
    user: spec.user,
    password: spec.password,
    dir,
    async ctl(...args: string[]): Promise<string> {
      const { stdout } = await run(RABBITMQCTL, ['-n', spec.nodeName, ...args], {
        env: ctlEnv,
        timeoutMs: 120_000,
        // Arguments may hold passwords (add_user, change_password): name only the command.
        label: `rabbitmqctl -n ${spec.nodeName} ${args[0] ?? ''}`,
      });
      return stdout;
    },
    async stop(): Promise<void> {
      if (removed) return;
      await halt({ kill: true });
      removed = true;
      fs.rmSync(dir, { recursive: true, force: true });
      release(dirHandle);
    },
    async restart(opts: { kill?: boolean } = {}): Promise<void> {
      await halt({ kill: opts.kill === true });
      await boot();
    },
    pid(): number | undefined {
      if (pgid === undefined) return undefined;
      return processTree(pgid).find((p) => p.comm === 'beam.smp')?.pid;
    },
    halt,
    boot,
    isRunning,
  };
}

// ---------------------------------------------------------------------------

function nodeLabel(name: string | undefined): string {
  const base = (name ?? 'broker').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 24) || 'broker';
  return `wrn-${base}-${randomId(3)}`;
}

/** Start a standalone node on loopback; resolves once management and prometheus answer. */
export async function startBroker(opts: StartBrokerOptions = {}): Promise<Broker> {
  ensureDeps();
  const user = opts.adminUser?.user ?? 'guest';
  const password = opts.adminUser?.password ?? 'guest';
  let lastError: unknown;
  // A port picked as free can be taken before beam binds it: retry once with new ports.
  for (let attempt = 0; attempt < 2; attempt++) {
    const label = nodeLabel(opts.name);
    const node = createNode({
      nodeName: `${label}@localhost`,
      dir: makeTempDir(label),
      host: '127.0.0.1',
      ports: { amqp: await freePort(), mgmt: await freePort(), prom: await freePort(), dist: await freePort() },
      longnames: false,
      user,
      password,
      extraConfig: opts.extraConfig ?? [],
      advancedConfig: opts.advancedConfig ?? '[].',
      cookie: newCookie(),
      // Keep Erlang distribution on loopback too.
      serverEnv: { RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}' },
    });
    try {
      await node.boot();
      return node;
    } catch (e) {
      lastError = e;
      await node.stop();
      if (!(e instanceof Error && /eaddrinuse/i.test(e.message))) throw e;
    }
  }
  throw lastError;
}
