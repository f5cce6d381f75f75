// Shared plumbing for the test harness: free ports, a registry of everything the
// harness started (so a crashed test, or the global teardown, can clean up), process
// groups, polling, HTTP and dependency installation.
//
// The registry is a directory per test run: /tmp/warren-harness/<runId>/ holding one
// JSON file per live resource (process group, network namespace, link, temp dir).
// One file per resource keeps concurrent vitest workers from racing on a shared file.
// The run id comes from WARREN_HARNESS_RUN_ID (set by global-setup.ts), else it is
// private to this process.

import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout: the nearest ancestor holding scripts/install-deps.sh (also when compiled to build/). */
export const REPO_ROOT = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'scripts/install-deps.sh')) && fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '../..');
  }
}
export const INSTALL_DEPS_SCRIPT = path.join(REPO_ROOT, 'scripts/install-deps.sh');
export const REGISTRY_ROOT = '/tmp/warren-harness';

export const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
export const RABBITMQCTL = '/usr/lib/rabbitmq/bin/rabbitmqctl';
export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';
export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
export const IP = '/usr/sbin/ip';

export const REQUIRED_BINARIES = [RABBITMQ_SERVER, RABBITMQCTL, PROMETHEUS, PROMTOOL, ALERTMANAGER, IP];

// ---------------------------------------------------------------------------
// small helpers

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function randomId(bytes = 3): string {
  return randomBytes(bytes).toString('hex');
}

export function makeTempDir(label: string): string {
  const safe = label.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return fs.mkdtempSync(path.join('/tmp', `warren-test-${safe}-`));
}

export function tailFile(file: string, lines = 40): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${file})`;
  }
}

/** Poll `probe` until it returns a value other than undefined/false, or time out. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  opts: { timeoutMs: number; intervalMs?: number; what: string; onTimeout?: () => string },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      const extra = opts.onTimeout ? `\n${opts.onTimeout()}` : '';
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}${detail}${extra}`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

// ---------------------------------------------------------------------------
// commands

export interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Run a command; reject with its exit status and stderr. `label` replaces the argument
 * list in error messages where arguments may hold secrets (e.g. rabbitmqctl add_user).
 */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; label?: string; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, cwd: opts.cwd },
      (err, stdout, stderr) => {
        if (err) {
          const what = opts.label ?? [cmd, ...args].join(' ');
          const how = err.killed ? 'timed out' : `exited ${String((err as { code?: unknown }).code)}`;
          reject(new Error(`${what}: ${how}\n${String(stderr).trim()}\n${String(stdout).trim()}`.trim()));
        } else {
          resolve({ stdout: String(stdout), stderr: String(stderr) });
        }
      },
    );
  });
}

// ---------------------------------------------------------------------------
// ports

const handedOut = new Set<number>();

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * A port free on `host` right now. Drawn from 20000-32767, below Linux's ephemeral range
 * so outgoing connections do not steal it between picking and binding, and away from
 * RabbitMQ's CLI distribution ports (35672-35682).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12768);
    if (handedOut.has(port)) continue;
    if (await canBind(port, host)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found in 20000-32767');
}

// ---------------------------------------------------------------------------
// processes

/** Kernel start time of a pid (field 22 of /proc/pid/stat), to tell a reused pid apart. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 overall; fields[0] is field 3
  } catch {
    return undefined;
  }
}

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  comm: string;
  state: string;
  startTime: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, comm, state: f[0] ?? '?', ppid: Number(f[1]), pgid: Number(f[2]), startTime: f[19] ?? '' };
  } catch {
    return undefined;
  }
}

export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) out.push(p);
  }
  return out;
}

export function isAlive(pid: number): boolean {
  const p = readProc(pid);
  return p !== undefined && p.state !== 'Z';
}

/**
 * Live processes started under `leader`: its process group plus all its descendants.
 * Both, because Erlang's erl_child_setup calls setsid, so port programs (inet_gethost,
 * `sh -c` for df and friends) leave beam's process group.
 */
export function processTree(leader: number, all: ProcInfo[] = listProcesses()): ProcInfo[] {
  const live = all.filter((p) => p.state !== 'Z');
  const children = new Map<number, ProcInfo[]>();
  for (const p of live) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const found = new Map<number, ProcInfo>();
  const visit = (p: ProcInfo): void => {
    if (found.has(p.pid)) return;
    found.set(p.pid, p);
    for (const c of children.get(p.pid) ?? []) visit(c);
  };
  for (const p of live) if (p.pid === leader || p.pgid === leader) visit(p);
  return [...found.values()];
}

/** Processes from a snapshot that still run (same pid and start time, not a zombie). */
function stillRunning(seen: Map<number, string>): number[] {
  return [...seen].filter(([pid, start]) => {
    const p = readProc(pid);
    return p !== undefined && p.state !== 'Z' && p.startTime === start;
  }).map(([pid]) => pid);
}

function killPids(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}

/**
 * Stop `leader` and everything it started. With graceMs > 0 the leader alone gets
 * `signal` (default SIGTERM) and time to shut its children down; whatever is left then
 * gets SIGKILL. Resolves when all of it is gone.
 */
export async function stopProcessTree(
  leader: number,
  opts: { graceMs?: number; signal?: NodeJS.Signals } = {},
): Promise<void> {
  const seen = new Map<number, string>();
  const refresh = (): void => {
    for (const p of processTree(leader)) seen.set(p.pid, p.startTime);
  };
  refresh();
  const graceMs = opts.graceMs ?? 5_000;
  if (graceMs > 0 && stillRunning(seen).length > 0) {
    killPids([leader], opts.signal ?? 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && stillRunning(seen).length > 0) {
      await sleep(100);
      refresh(); // children started during shutdown
    }
  }
  for (let round = 0; round < 100; round++) {
    refresh();
    const left = stillRunning(seen);
    if (left.length === 0) return;
    killPids(left, 'SIGKILL');
    await sleep(100);
  }
  throw new Error(`processes ${stillRunning(seen).join(', ')} (started by ${leader}) survive SIGKILL`);
}

/** Synchronous SIGKILL of a tree, for 'exit' handlers. */
export function killProcessTreeSync(leader: number): void {
  killPids(processTree(leader).map((p) => p.pid), 'SIGKILL');
}

// ---------------------------------------------------------------------------
// registry of started resources

export type Resource =
  | { kind: 'group'; pgid: number; startTime: string | undefined; label: string }
  | { kind: 'netns'; name: string }
  | { kind: 'link'; name: string }
  | { kind: 'dir'; path: string };

export function runId(): string {
  return process.env.WARREN_HARNESS_RUN_ID ?? `p${process.pid}`;
}

function runDir(): string {
  const dir = path.join(REGISTRY_ROOT, runId());
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { recursive: true });
    // A private run is owned by this process; a shared one by global-setup (which wrote it).
    const owner = path.join(dir, 'owner.json');
    if (!fs.existsSync(owner)) {
      fs.writeFileSync(owner, JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) }));
    }
  }
  return dir;
}

const localResources = new Map<string, Resource>();
let exitHookInstalled = false;

/** Record a resource; returns a handle for release(). */
export function track(res: Resource): string {
  installExitHook();
  const id = `${Date.now()}-${process.pid}-${randomId(4)}`;
  fs.writeFileSync(path.join(runDir(), `${id}.json`), JSON.stringify(res));
  localResources.set(id, res);
  return id;
}

/** Forget a resource (after it was cleaned up normally). */
export function release(id: string): void {
  localResources.delete(id);
  try {
    fs.rmSync(path.join(REGISTRY_ROOT, runId(), `${id}.json`), { force: true });
  } catch {
    /* ignore */
  }
}

const kindOrder: Record<Resource['kind'], number> = { group: 0, netns: 1, link: 2, dir: 3 };

/** Synchronous best-effort cleanup, usable from an 'exit' handler. */
export function cleanupResourcesSync(resources: Resource[]): void {
  const sorted = [...resources].sort((a, b) => kindOrder[a.kind] - kindOrder[b.kind]);
  for (const r of sorted) {
    try {
      switch (r.kind) {
        case 'group': {
          // Only while the leader we started is alive: a dead leader's pid may now lead
          // someone else's group. (Our leaders outlive their children: rabbitmq-server's
          // shell waits for beam; prometheus and alertmanager are the leader themselves.)
          if (processStartTime(r.pgid) === r.startTime) killProcessTreeSync(r.pgid);
          break;
        }
        case 'netns': {
          killNetnsProcessesSync(r.name);
          spawnSync(IP, ['netns', 'del', r.name], { stdio: 'ignore' });
          break;
        }
        case 'link':
          spawnSync(IP, ['link', 'del', r.name], { stdio: 'ignore' });
          break;
        case 'dir':
          if (r.path.startsWith('/tmp/warren-test-')) fs.rmSync(r.path, { recursive: true, force: true });
          break;
      }
    } catch {
      /* best effort */
    }
  }
}

export function killNetnsProcessesSync(ns: string): void {
  const res = spawnSync(IP, ['netns', 'pids', ns], { encoding: 'utf8' });
  if (res.status !== 0) return;
  for (const line of res.stdout.split('\n')) {
    const pid = Number(line.trim());
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    cleanupResourcesSync([...localResources.values()]);
    for (const id of localResources.keys()) release(id);
    // A private run dir dies with its process; a shared one belongs to global-setup.
    if (!process.env.WARREN_HARNESS_RUN_ID) fs.rmSync(path.join(REGISTRY_ROOT, runId()), { recursive: true, force: true });
  });
}

/** Clean every resource recorded under a run directory and remove the directory. */
export function cleanupRunDir(dir: string): number {
  let count = 0;
  const resources: Resource[] = [];
  let files: string[] = [];
  try {
    files = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  for (const f of files) {
    if (!f.endsWith('.json') || f === 'owner.json') continue;
    try {
      resources.push(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Resource);
      count++;
    } catch {
      /* half-written; ignore */
    }
  }
  cleanupResourcesSync(resources);
  fs.rmSync(dir, { recursive: true, force: true });
  return count;
}

/** Clean run directories whose owner process is gone (a crashed or killed run). */
export function sweepStaleRuns(): number {
  let count = 0;
  let runs: string[] = [];
  try {
    runs = fs.readdirSync(REGISTRY_ROOT);
  } catch {
    return 0;
  }
  for (const r of runs) {
    const dir = path.join(REGISTRY_ROOT, r);
    try {
      const owner = JSON.parse(fs.readFileSync(path.join(dir, 'owner.json'), 'utf8')) as {
        pid: number;
        startTime?: string;
      };
      const alive = processStartTime(owner.pid);
      if (alive !== undefined && alive === owner.startTime) continue;
    } catch {
      // No readable owner: only sweep if the directory is old enough not to be mid-creation.
      try {
        if (Date.now() - fs.statSync(dir).mtimeMs < 60_000) continue;
      } catch {
        continue;
      }
    }
    count += cleanupRunDir(dir);
  }
  return count;
}

/** Create (and own) a shared run directory for this vitest run; returns its id. */
export function createSharedRun(): string {
  const id = `run-${process.pid}-${randomId(3)}`;
  const dir = path.join(REGISTRY_ROOT, id);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'owner.json'), JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) }));
  return id;
}

// ---------------------------------------------------------------------------
// HTTP

export interface Auth {
  user: string;
  password: string;
}

export async function httpGet(url: string, opts: { auth?: Auth; timeoutMs?: number } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (opts.auth) {
    headers.authorization = 'Basic ' + Buffer.from(`${opts.auth.user}:${opts.auth.password}`).toString('base64');
  }
  return fetch(url, { headers, signal: AbortSignal.timeout(opts.timeoutMs ?? 5_000) });
}

export async function getJson<T = unknown>(url: string, opts: { auth?: Auth; timeoutMs?: number } = {}): Promise<T> {
  const res = await httpGet(url, opts);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

// ---------------------------------------------------------------------------
// dependencies

export function missingBinaries(): string[] {
  return REQUIRED_BINARIES.filter((b) => !fs.existsSync(b));
}

/** Install the Debian packages (scripts/install-deps.sh) if any binary is missing. */
export function ensureDeps(): void {
  if (missingBinaries().length === 0) return;
  const res = spawnSync('bash', [INSTALL_DEPS_SCRIPT], { stdio: 'inherit', timeout: 20 * 60_000 });
  if (res.status !== 0) throw new Error(`${INSTALL_DEPS_SCRIPT} failed (exit ${String(res.status)})`);
  const still = missingBinaries();
  if (still.length > 0) throw new Error(`still missing after install-deps.sh: ${still.join(', ')}`);
}

/** `ip ...`, throwing with stderr on failure. */
export function ipSync(args: string[]): string {
  return execFileSync(IP, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// ---------------------------------------------------------------------------
// a plain daemon (prometheus, alertmanager): own process group, log file, ready URL

export interface Daemon {
  pid: number;
  logFile: string;
  /** SIGTERM, then SIGKILL after a grace period. Idempotent. */
  stop(): Promise<void>;
}

export async function startDaemon(opts: {
  cmd: string;
  args: string[];
  dir: string;
  label: string;
  readyUrl: string;
  timeoutMs?: number;
}): Promise<Daemon> {
  const logFile = path.join(opts.dir, `${path.basename(opts.cmd)}.log`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(opts.cmd, opts.args, { cwd: opts.dir, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`${opts.label}: could not spawn ${opts.cmd}`);
  const pid = child.pid;
  const handle = track({ kind: 'group', pgid: pid, startTime: processStartTime(pid), label: opts.label });
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `code ${String(code)}, signal ${String(signal)}`;
  });
  child.on('error', (e) => {
    exited = e.message;
  });
  child.unref();
  let stopped = false;
  const daemon: Daemon = {
    pid,
    logFile,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopProcessTree(pid, { graceMs: 5_000 });
      release(handle);
    },
  };
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  for (;;) {
    if (exited) {
      await daemon.stop();
      throw new Error(`${opts.label} exited during startup (${exited})\n${tailFile(logFile)}`);
    }
    try {
      const res = await httpGet(opts.readyUrl, { timeoutMs: 2_000 });
      await res.arrayBuffer();
      if (res.status === 200) return daemon;
      lastProblem = `HTTP ${res.status}`;
    } catch (e) {
      lastProblem = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) {
      await daemon.stop();
      throw new Error(`${opts.label} not ready at ${opts.readyUrl} within ${timeoutMs} ms (${lastProblem})\n${tailFile(logFile)}`);
    }
    await sleep(200);
  }
}
