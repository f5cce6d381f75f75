// `npm run bench`: warren's cost at OpenStack scale, against the alternatives, on one real
// broker in one run. For each size (default 10k and 50k queues; the topology grows in
// place) it measures
//   - warren's poll cycle with each queue source, in a child process per source, and how
//     many queues have per-queue counters in its exposition;
//   - the plugin's /metrics/detailed (queue families, and the channel_queue counter
//     families) and /metrics/per-object, and a full /api/queues (what kbudde's exporter
//     fetches on every scrape), timed the same way;
//   - `warren run` (default queue source) once its history is full: peak RSS, and /metrics
//     latency with two concurrent scrapers;
//   - for each target missed at the size, a CPU profile of what explains it (bench/profile-summary.ts);
// then the mass-failure scenario on a broker of its own (bench/mass-failure.ts). It prints
// a table and writes bench/results/results.json, bench/results/poll-time.svg and
// BENCHMARKS.md. Flags: see parseArgs (an unknown flag lists them).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startBroker, type Broker } from '../test/harness/broker.js';
import { REPO_ROOT, freePort, listProcesses, sleep } from '../test/harness/util.js';
import { lineChartSvg } from './chart.js';
import type { LoadPlan, LoadReady } from './load.js';
import { renderMarkdown } from './markdown.js';
import { runMassFailure, stopMassFailure, type MassFailureResources } from './mass-failure.js';
import { counterQueues } from './cycle.js';
import { summarise, type Profile } from './profile-summary.js';
import { closeAgent, peakRssMb, processCpuMs, runJsonChild, sampleValue, scrape, startReadyChild, stopChild, timeGet } from './measure.js';
import type { PollChildPlan, PollChildResult } from './poll-child.js';
import {
  CONTENDERS,
  SCRAPE_HEAD,
  TABLE_HEAD,
  rows,
  scrapeRows,
  tableCells,
  targetVerdicts,
  textTable,
  DAEMON_STEADY_S,
  type BenchResult,
  type ContenderResult,
  type EndpointSample,
  type ProfileNote,
  type Machine,
  type ScrapeSummary,
  type SizeResult,
} from './results.js';
import { basicAuth, fillQueues, holdsMessages, importQueues, openstackQueues, take, waitForQueueCount, type BenchQueue } from './topology.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(REPO_ROOT, 'dist/cli.js');
/** The management API keeps a computed list for this many times its computation time. */
const MGMT_CACHE_MULTIPLIER = 5;

interface Options {
  sizes: number[];
  connections: number;
  polls: number;
  warmup: number;
  perObjectPolls: number;
  intervalS: number;
  scrapeSeconds: number;
  scrapers: number;
  publishRate: number;
  out: string;
  markdown: string;
  /** Write a V8 CPU profile of every warren poll child to <out>/profiles. */
  profile: boolean;
  /** Client-side cap on one full /api/queues (kbudde's own default timeout is 30 s). */
  slowTimeoutS: number;
  /** The broker's collect_statistics_interval, ms. */
  statsIntervalMs: number;
  /** Keep the sizes of an earlier <out>/results.json that this run does not measure. */
  merge: boolean;
  /** Measure nothing: rewrite the table, chart and BENCHMARKS.md from <out>/results.json. */
  reportOnly: boolean;
  /** Queue source of `warren run` (RSS, /metrics): the default, `auto`, unless asked. */
  daemonSource: string;
  /** How long `warren run` runs before its RSS and scrapes count: its history window, s. */
  daemonWarmupS: number;
  /** Per-host queues of the mass-failure scenario (0: skip it); its log window, s. */
  massHosts: number;
  massWindowS: number;
  /** warren's request timeout, s (0: warren's default, 20 s); an operator of a busy 50k broker raises it. */
  warrenTimeoutS: number;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, d: number): number => {
    const v = get(name);
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: expected a number, got "${v}"`);
    return n;
  };
  for (const a of argv) {
    if (a === '--profile' || a === '--merge' || a === '--report-only') continue;
    if (
      a.startsWith('--') &&
      !['sizes', 'connections', 'polls', 'warmup', 'per-object-polls', 'interval', 'scrape-seconds', 'scrapers', 'publish-rate', 'out', 'markdown', 'slow-timeout', 'stats-interval', 'daemon-source', 'daemon-warmup', 'mass-hosts', 'mass-window', 'warren-timeout'].includes(a.slice(2))
    ) {
      throw new Error(
        `unknown flag ${a}; known: --sizes 10000,50000 --connections 2000 --polls 3 --warmup 7 --per-object-polls N --interval 30 --scrape-seconds 35 --scrapers 2 --publish-rate 5 --slow-timeout 120 --stats-interval 30000 ` +
          `--daemon-source auto --daemon-warmup ${DAEMON_STEADY_S} --mass-hosts 5000 --mass-window 120 --warren-timeout S --out DIR --markdown FILE --profile (profile every size, missed or not) --merge --report-only`,
      );
    }
  }
  const sizes = (get('sizes') ?? '10000,50000').split(',').map((s) => Number(s.trim().replace(/k$/i, '000')));
  if (sizes.some((n) => !Number.isInteger(n) || n < 100)) throw new Error('--sizes: comma-separated queue counts of at least 100, e.g. 1000,10000,50000');
  const polls = Math.max(1, Math.round(num('polls', 3)));
  const intervalS = num('interval', 30);
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    connections: Math.round(num('connections', 2000)),
    polls,
    // History window (6 min) at one Snapshot a minute, plus one.
    warmup: Math.round(num('warmup', 7)),
    perObjectPolls: Math.max(1, Math.round(num('per-object-polls', polls))),
    intervalS,
    scrapeSeconds: num('scrape-seconds', intervalS + 5),
    scrapers: Math.max(1, Math.round(num('scrapers', 2))),
    publishRate: num('publish-rate', 5),
    out: resolve(get('out') ?? join(REPO_ROOT, 'bench/results')),
    markdown: resolve(get('markdown') ?? join(REPO_ROOT, 'BENCHMARKS.md')),
    profile: argv.includes('--profile'),
    slowTimeoutS: num('slow-timeout', 120),
    statsIntervalMs: num('stats-interval', 30_000),
    merge: argv.includes('--merge'),
    reportOnly: argv.includes('--report-only'),
    daemonSource: get('daemon-source') ?? 'auto',
    daemonWarmupS: num('daemon-warmup', DAEMON_STEADY_S),
    massHosts: Math.round(num('mass-hosts', 5000)),
    massWindowS: num('mass-window', 120),
    warrenTimeoutS: num('warren-timeout', 0),
  };
}

const log = (line: string): void => void process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

function machineInfo(): Omit<Machine, 'rabbitmq' | 'erlang'> {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 1073741824),
    os: /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(osRelease)?.[1] ?? `${os.type()} ${os.release()}`,
    kernel: os.release(),
    node: process.version,
    loadAvgAtStart: os.loadavg(),
    otherBrokersAtStart: listProcesses().filter((p) => p.comm === 'beam.smp').length,
  };
}

async function getJson<T>(broker: Broker, path: string): Promise<T> {
  const res = await fetch(`${broker.mgmtUrl}${path}`, { headers: { authorization: basicAuth(broker) }, signal: AbortSignal.timeout(300_000) });
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.reportOnly) {
    writeOutputs(JSON.parse(readFileSync(join(opts.out, 'results.json'), 'utf8')) as BenchResult, opts, true);
    return;
  }
  const started = Date.now();
  const machine0 = machineInfo();
  log(`sizes ${opts.sizes.join(', ')} queues, ${opts.connections} connections, ${opts.polls} polls; load average ${machine0.loadAvgAtStart.map((x) => x.toFixed(2)).join(' ')}, other RabbitMQ nodes: ${machine0.otherBrokersAtStart}`);
  const tmp = mkdtempSync(join(os.tmpdir(), 'warren-bench-'));
  let broker: Broker | undefined;
  let load: ChildProcess | undefined;
  let daemon: ChildProcess | undefined;
  const mass: MassFailureResources = { connections: [] };
  const cleanup = async (): Promise<void> => {
    await stopMassFailure(mass);
    await stopChild(daemon);
    await stopChild(load);
    await broker?.stop().catch(() => undefined);
    await closeAgent().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  };
  const onSignal = (): void => {
    log('interrupted: stopping everything');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    log('starting a private RabbitMQ node');
    broker = await startBroker({
      name: 'bench',
      extraConfig: [
        // The monitoring guide's production setting for large brokers (30-60 s). At the default
        // 5 s the idle node spent 1.26 of this machine's 2 cores on statistics at 50k queues.
        `collect_statistics_interval = ${opts.statsIntervalMs}`,
        // A slow endpoint must finish, not be cut off by the HTTP listener.
        'management.tcp.idle_timeout = 600000',
        'management.tcp.inactivity_timeout = 600000',
        'management.tcp.request_timeout = 600000',
        'prometheus.tcp.idle_timeout = 600000',
        'prometheus.tcp.inactivity_timeout = 600000',
        'prometheus.tcp.request_timeout = 600000',
      ],
    });
    const b = broker;
    const auth = basicAuth(b);
    const brokerPid = b.pid();
    const otherBrokers = (): number => listProcesses().filter((p) => p.comm === 'beam.smp' && p.pid !== brokerPid && p.state !== 'Z').length;
    const ov0 = await getJson<{ rabbitmq_version: string; erlang_version: string }>(b, '/api/overview');
    const machine: Machine = { ...machine0, rabbitmq: ov0.rabbitmq_version, erlang: ov0.erlang_version };
    const passwordFile = join(tmp, 'password');
    writeFileSync(passwordFile, b.password, { mode: 0o600 });
    const configFile = (name: string, queueSource: string): string => {
      const file = join(tmp, `${name}.yml`);
      writeFileSync(
        file,
        stringify({
          // Everything else at warren's defaults (timeout 20 s unless --warren-timeout, inventory every 5 min).
          clusters: [
            {
              name: 'bench', url: b.mgmtUrl, user: b.user, passwordFile, prometheusUrl: b.promUrl, queueSource, interval: `${opts.intervalS}s`,
              ...(opts.warrenTimeoutS > 0 ? { timeout: `${opts.warrenTimeoutS}s` } : {}),
            },
          ],
        }),
      );
      return file;
    };

    // The management API caches a computed list; no measured request may hit that cache.
    let cacheFreeAt = 0;
    const cacheCooldown = async (): Promise<void> => {
      const wait = cacheFreeAt - Date.now();
      if (wait > 0) await sleep(wait);
    };
    const cacheTouched = (computeMs: number): void => {
      cacheFreeAt = Math.max(cacheFreeAt, Date.now() + MGMT_CACHE_MULTIPLIER * computeMs + 500);
    };

    const gen = openstackQueues();
    const all: BenchQueue[] = [];
    let consumed = new Set<string>();
    let loadReady: LoadReady | undefined;
    let messages = 0;
    let withMessages = 0;
    const sizes: SizeResult[] = [];
    const earlierFile = join(opts.out, 'results.json');
    const earlierResult = opts.merge && existsSync(earlierFile) ? (JSON.parse(readFileSync(earlierFile, 'utf8')) as BenchResult) : undefined;
    const earlier: SizeResult[] = earlierResult?.sizes ?? [];
    // A merged run that skips the mass failure keeps the earlier one.
    const earlierMass = opts.massHosts === 0 ? earlierResult?.massFailure : undefined;
    let massFailure: BenchResult['massFailure'];
    const resultOf = (): BenchResult => ({
      startedAt: new Date(started).toISOString(),
      durationS: (Date.now() - started) / 1000,
      command: `node build/bench/run.js ${process.argv.slice(2).join(' ')}`.trim(),
      options: {
        sizes: opts.sizes, connections: opts.connections, polls: opts.polls, warmup: opts.warmup, intervalS: opts.intervalS,
        scrapeSeconds: opts.scrapeSeconds, publishRate: opts.publishRate, slowTimeoutS: opts.slowTimeoutS, statsIntervalMs: opts.statsIntervalMs,
        daemonSource: opts.daemonSource, daemonWarmupS: opts.daemonWarmupS, massHosts: opts.massHosts, massWindowS: opts.massWindowS,
        ...(opts.warrenTimeoutS > 0 ? { warrenTimeoutS: opts.warrenTimeoutS } : {}),
      },
      machine,
      sizes: [...earlier.filter((e) => !sizes.some((x) => x.queues === e.queues)), ...sizes].sort((a, b) => a.queues - b.queues),
      ...(massFailure ? { massFailure } : earlierMass ? { massFailure: earlierMass } : {}),
    });

    // After a timed-out list request the broker keeps computing it; measuring anything then
    // would measure a busy broker. Wait (at most 5 min) until its CPU is back near idle.
    let brokerBusy = false;
    let idleCpuMsPerS = 0;
    const brokerSettled = async (): Promise<void> => {
      if (!brokerBusy) return;
      const t0 = Date.now();
      for (;;) {
        const a = processCpuMs(brokerPid);
        await sleep(5_000);
        const rate = (processCpuMs(brokerPid) - a) / 5;
        if (rate <= idleCpuMsPerS * 1.3 + 50 || Date.now() - t0 > 300_000) {
          log(`  broker back to ${Math.round(rate)} ms/s of CPU after ${Math.round((Date.now() - t0) / 1000)} s`);
          break;
        }
      }
      brokerBusy = false;
    };

    for (const size of opts.sizes) {
      const t0 = Date.now();
      const loadAtSize = os.loadavg();
      const fresh = take(gen, size - all.length);
      const offset = all.length;
      if (offset === 0) {
        // Consumers go on the first size's queues (not notifications, not the ones that hold messages).
        consumed = new Set(
          fresh
            .filter((q, i) => q.kind !== 'notification' && i % 10 !== 7)
            .slice(0, opts.connections)
            .map((q) => q.name),
        );
      }
      log(`${size} queues: declaring ${fresh.length} more`);
      await importQueues(b, fresh);
      await waitForQueueCount(b, size);
      const fill = fresh.map((q, k) => ({ q, i: offset + k })).filter(({ q, i }) => holdsMessages(i, q, consumed)).map(({ q, i }) => ({ name: q.name, count: 1 + (i % 5) }));
      messages += await fillQueues(b.amqpUrl, fill);
      withMessages += fill.length;
      all.push(...fresh);

      if (!load) {
        const targets = all.filter((q) => consumed.has(q.name));
        const plan: LoadPlan = {
          amqpUrl: b.amqpUrl,
          connections: opts.connections,
          consume: targets.map((q) => ({ name: q.name, binary: q.binary, address: q.address })),
          publishRate: opts.publishRate,
          publishTo: [...targets.slice(0, 6).map((q) => q.name), 'notifications.info'],
        };
        const planFile = join(tmp, 'load.json');
        writeFileSync(planFile, JSON.stringify(plan));
        log(`opening ${opts.connections} connections from a separate process`);
        const started = await startReadyChild<LoadReady>(join(HERE, 'load.js'), [planFile], 20 * 60_000);
        load = started.child;
        loadReady = started.ready;
        log(`${loadReady.connections} connections, ${loadReady.channels} channels, ${loadReady.consumers} consumers open after ${Math.round(loadReady.openMs / 1000)} s`);
        if (loadReady.failures > 0) log(`warning: ${loadReady.failures} connections failed (${loadReady.firstError ?? ''})`);
      }
      const buildS = (Date.now() - t0) / 1000;
      // A stats interval and then some, so the management stats DB knows every new queue and connection.
      await sleep(opts.statsIntervalMs + 5_000);

      const ov = await getJson<{ object_totals: Record<string, number>; queue_totals: Record<string, number> }>(b, '/api/overview');
      const nodes = await getJson<Array<{ mem_used: number }>>(b, '/api/nodes?columns=mem_used');
      const cpuA = processCpuMs(brokerPid);
      await sleep(10_000);
      const idle = (processCpuMs(brokerPid) - cpuA) / 10;
      idleCpuMsPerS = idle;
      const sr: SizeResult = {
        queues: size,
        brokerQueues: ov.object_totals.queues ?? 0,
        exchanges: ov.object_totals.exchanges ?? 0,
        queuesWithMessages: withMessages,
        messages: ov.queue_totals.messages ?? messages,
        connections: ov.object_totals.connections ?? 0,
        channels: ov.object_totals.channels ?? 0,
        consumers: ov.object_totals.consumers ?? 0,
        buildS,
        brokerIdleCpuMsPerS: idle,
        brokerMemMb: (nodes[0]?.mem_used ?? 0) / 1048576,
        measuredAt: new Date().toISOString(),
        loadAvg: loadAtSize,
        otherBrokersSeen: otherBrokers(),
        contenders: [],
      };
      sizes.push(sr);
      // Other brokers running during the measurements (other people's tests) would skew them: note any seen.
      const checkpoint = (): void => {
        sr.otherBrokersSeen = Math.max(sr.otherBrokersSeen ?? 0, otherBrokers());
        writeOutputs(resultOf(), opts, false);
      };
      log(`${sr.brokerQueues} queues, ${sr.connections} connections, ${sr.channels} channels, ${sr.consumers} consumers; built in ${Math.round(buildS)} s; broker idle CPU ${Math.round(idle)} ms/s`);

      /**
       * `warren run` against the broker: up for `warmupS` (its history filling as in a
       * long-running daemon), then `scrapers` clients on /metrics for each encoding. With
       * `profile`, it runs under --cpu-prof and the profile is written when it stops.
       */
      const scrapeDaemon = async (
        queueSource: string,
        o: { warmupS: number; encodings: ReadonlyArray<'gzip' | 'identity'>; profile?: { dir: string; name: string } },
      ): Promise<ScrapeSummary[]> => {
        const port = await freePort();
        const nodeArgs = o.profile ? ['--cpu-prof', `--cpu-prof-dir=${o.profile.dir}`, `--cpu-prof-name=${o.profile.name}`] : [];
        daemon = spawn(process.execPath, [...nodeArgs, CLI, 'run', '--config', configFile(`daemon-${queueSource}`, queueSource), '--listen', `127.0.0.1:${port}`, '--log-level', 'warn'], {
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        const d = daemon;
        const startedAt = Date.now();
        const base = `http://127.0.0.1:${port}`;
        const common = { queueSource, intervalS: opts.intervalS, windowS: opts.scrapeSeconds, scrapers: opts.scrapers };
        const windows: ScrapeSummary[] = [];
        try {
          const deadline = Date.now() + 3 * 60_000;
          for (;;) {
            const h = await fetch(`${base}/healthz`).then((r) => r.status).catch(() => 0);
            if (h === 200) break;
            if (Date.now() > deadline) throw new Error('warren run did not complete a poll within 3 min');
            if (d.exitCode !== null) throw new Error(`warren run exited ${d.exitCode}`);
            await sleep(200);
          }
          const readyS = Math.max(0, o.warmupS - (Date.now() - startedAt) / 1000);
          log(`  warren run (queue source ${queueSource}${o.profile ? ', profiled' : ''}): up${readyS > 0 ? `; ${Math.round(readyS)} s more until its history window is full` : ''}, then ${opts.scrapers} scrapers on /metrics for ${opts.scrapeSeconds} s per encoding`);
          await sleep(readyS * 1000);
          if (d.exitCode !== null) throw new Error(`warren run exited ${d.exitCode}`);
          const warmupS = (Date.now() - startedAt) / 1000;
          for (const encoding of o.encodings) {
            const x = await scrape(`${base}/metrics`, opts.scrapers, opts.scrapeSeconds * 1000, encoding);
            windows.push({
              ...common,
              encoding,
              requests: x.requests,
              p50Ms: x.p50Ms,
              p99Ms: x.p99Ms,
              maxMs: x.maxMs,
              series: sampleValue(x.lastBody, 'warren_series'),
              expositionBytes: x.bytes,
              errors: x.errors,
              pollDurationS: sampleValue(x.lastBody, 'warren_poll_duration_seconds'),
              pollRequests: sampleValue(x.lastBody, 'warren_poll_requests'),
              pollSkipped: sampleValue(x.lastBody, 'warren_poll_skipped_total'),
              pollErrors: sampleValue(x.lastBody, 'warren_poll_errors_total'),
              daemonPeakRssMb: peakRssMb(d.pid),
              warmupS,
              counterQueues: counterQueues(x.lastBody),
              timeline: x.timeline,
            });
          }
          return windows;
        } catch (e) {
          return [...windows, {
            ...common, encoding: windows.length ? 'identity' : 'gzip', requests: 0, p50Ms: NaN, p99Ms: NaN, maxMs: NaN, series: NaN, expositionBytes: 0, errors: 0,
            pollDurationS: NaN, pollRequests: NaN, pollSkipped: NaN, pollErrors: NaN, daemonPeakRssMb: NaN,
            error: e instanceof Error ? e.message : String(e),
          }];
        } finally {
          // A profiled daemon writes its profile on the way out: give it time.
          await stopChild(d, o.profile ? 120_000 : 5000);
          daemon = undefined;
        }
      };

      const endpoint = async (id: ContenderResult['id'], url: string, n: number, mgmt: boolean, timeoutMs = 600_000): Promise<void> => {
        const samples: EndpointSample[] = [];
        let error: string | undefined;
        for (let i = 0; i < n; i++) {
          // A request slower than 10 s is measured twice at most: each costs the broker that long (plus a cache cooldown).
          if (i >= 2 && samples.some((x) => x.wallMs > 10_000)) break;
          if (mgmt) await cacheCooldown();
          try {
            const t = await timeGet(url, { ...(mgmt ? { authorization: auth } : {}), brokerPid, timeoutMs });
            if (t.status !== 200) throw new Error(`HTTP ${t.status}`);
            samples.push(t);
            if (mgmt) cacheTouched(t.wallMs);
          } catch (e) {
            const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError' || /abort|timeout/i.test(e.message));
            error = timedOut ? `no answer within ${Math.round(timeoutMs / 1000)} s` : e instanceof Error ? e.message : String(e);
            // The broker goes on computing an abandoned list (and then caches it): wait until it is done.
            if (timedOut && mgmt) brokerBusy = true;
            break;
          }
        }
        sr.contenders.push({ id, requests: samples, ...(error ? { error } : {}) });
        // Partial results survive an interrupted run.
        checkpoint();
        const w = samples.map((s) => s.wallMs);
        log(`  ${CONTENDERS.find((c) => c.id === id)!.label}: ${w.map((x) => Math.round(x)).join(', ')} ms, ${samples[0]?.bytes ?? 0} bytes${error ? `; error ${error}` : ''}`);
      };
      const profilesDir = join(opts.out, 'profiles');
      /** warren's poll loop in a child process of its own; with `profileName`, under --cpu-prof. */
      const pollChild = async (source: string, profileName?: string): Promise<PollChildResult> => {
        // Only the management source's stats-augmented /api/queues can hit the queue cache.
        if (source === 'management') await cacheCooldown();
        const planFile = join(tmp, `poll-${source}.json`);
        const plan: PollChildPlan = { configFile: configFile(`poll-${source}`, source), polls: opts.polls, warmup: opts.warmup, gapFactor: MGMT_CACHE_MULTIPLIER, ...(brokerPid ? { brokerPid } : {}) };
        writeFileSync(planFile, JSON.stringify(plan));
        if (profileName) mkdirSync(profilesDir, { recursive: true });
        const nodeArgs = profileName ? ['--cpu-prof', `--cpu-prof-dir=${profilesDir}`, `--cpu-prof-name=${profileName}`] : [];
        const r = await runJsonChild<PollChildResult>(join(HERE, 'poll-child.js'), planFile, { nodeArgs });
        // A poll that timed out left the broker computing the list it asked for.
        if (r.error) brokerBusy = true;
        cacheTouched(Math.max(0, ...r.samples.map((s) => s.collectMs)));
        return r;
      };
      const warren = async (id: ContenderResult['id'], source: string): Promise<void> => {
        try {
          const r = await pollChild(source);
          sr.contenders.push({ id, polls: r.samples, maxRssMb: r.maxRssMb, memory: r.memory, ...(r.error ? { error: r.error } : {}) });
          checkpoint();
          const m = r.samples.filter((s) => !s.warmup);
          log(
            `  ${CONTENDERS.find((c) => c.id === id)!.label}: cycle ${m.map((s) => Math.round(s.cycleMs)).join(', ')} ms, cpu ${m.map((s) => Math.round(s.cpuMs)).join(', ')} ms, ` +
              `requests ${r.samples.map((s) => s.requests).join(', ')}, series ${r.samples.at(-1)?.series ?? 0}, queues with counters ${r.samples.at(-1)?.counterQueues ?? 0}, peak RSS ${Math.round(r.maxRssMb)} MiB${r.error ? `; error ${r.error}` : ''}`,
          );
          const last = r.samples.at(-1);
          if (last) {
            log(`    last cycle: collect ${Math.round(last.collectMs)} ms, view ${Math.round(last.viewMs)} ms, rules ${Math.round(last.rulesMs)} ms, render ${Math.round(last.renderMs)} ms`);
            for (const t of last.trace) log(`    ${t.path}: start ${Math.round(t.startMs)} ms, ${Math.round(t.wallMs)} ms, ${t.bytes} bytes, parse ${t.parseMs.toFixed(1)} ms`);
          }
        } catch (e) {
          sr.contenders.push({ id, error: e instanceof Error ? e.message : String(e) });
          log(`  ${id}: failed: ${(e as Error).message}`);
        }
      };
      const readProfile = (name: string): { summary: string; error?: string } => {
        try {
          return { summary: summarise(JSON.parse(readFileSync(join(profilesDir, name), 'utf8')) as Profile, 15) };
        } catch (e) {
          return { summary: '', error: `no profile: ${e instanceof Error ? e.message : String(e)}` };
        }
      };
      /**
       * For each target missed at this size (or every size with --profile), a profile of
       * what explains it: the plugin-source poll (poll cost, memory: with where the heap
       * is) or `warren run` under the scrapers (/metrics latency).
       */
      const profileMisses = async (): Promise<void> => {
        const missed = targetVerdicts(resultOf()).filter((v) => v.queues === size && v.status === 'missed' && v.profile);
        const wanted = new Map<ProfileNote['of'], string[]>();
        for (const v of missed) wanted.set(v.profile!, [...(wanted.get(v.profile!) ?? []), v.target]);
        if (opts.profile) for (const of of ['poll', 'daemon'] as const) if (!wanted.has(of)) wanted.set(of, ['asked for (--profile)']);
        if (wanted.size === 0) return;
        sr.profiles = [];
        const pollReason = wanted.get('poll');
        if (pollReason) {
          await brokerSettled();
          const name = `poll-prometheus-${size}.cpuprofile`;
          log(`  profiling warren's poll (plugin source): ${pollReason.join('; ')}`);
          try {
            const r = await pollChild('prometheus', name);
            sr.profiles.push({ of: 'poll', reason: pollReason.join('; '), file: `profiles/${name}`, ...readProfile(name), memory: r.memory });
          } catch (e) {
            sr.profiles.push({ of: 'poll', reason: pollReason.join('; '), file: `profiles/${name}`, summary: '', error: e instanceof Error ? e.message : String(e) });
          }
          checkpoint();
        }
        const daemonReason = wanted.get('daemon');
        if (daemonReason && opts.scrapeSeconds > 0) {
          await brokerSettled();
          await cacheCooldown();
          mkdirSync(profilesDir, { recursive: true });
          const name = `daemon-${size}.cpuprofile`;
          log(`  profiling warren run under the scrapers: ${daemonReason.join('; ')}`);
          const [w] = await scrapeDaemon(opts.daemonSource, { warmupS: 0, encodings: ['gzip'], profile: { dir: profilesDir, name } });
          const p = readProfile(name);
          sr.profiles.push({ of: 'daemon', reason: daemonReason.join('; '), file: `profiles/${name}`, ...p, ...(w?.error && !p.error ? { error: w.error } : {}) });
          checkpoint();
        }
      };

      // Order: what never touches the management API's stats-augmented queue list first; then
      // warren's management source, the daemon and, last, a full /api/queues (the slowest,
      // capped), each after the list cache has expired and the broker has finished any list
      // an abandoned (timed-out) request left it computing.
      await endpoint('plugin-detailed', `${b.promUrl}/metrics/detailed?family=queue_coarse_metrics&family=queue_consumer_count`, opts.polls, false);
      await endpoint('plugin-detailed-counters', `${b.promUrl}/metrics/detailed?family=channel_queue_metrics&family=channel_queue_exchange_metrics`, opts.polls, false);
      await endpoint('plugin-per-object', `${b.promUrl}/metrics/per-object`, opts.perObjectPolls, false);
      await warren('warren-prometheus', 'prometheus');
      await warren('warren-management', 'management');
      const managementWorks = !sr.contenders.find((c) => c.id === 'warren-management')?.error;

      if (opts.scrapeSeconds > 0) {
        await brokerSettled();
        await cacheCooldown();
        // Asked to run the management source where its polls failed at this size: the default source stands in.
        const fallback = opts.daemonSource === 'management' && !managementWorks;
        const [summary, plain] = await scrapeDaemon(fallback ? 'auto' : opts.daemonSource, { warmupS: opts.daemonWarmupS, encodings: ['gzip', 'identity'] });
        for (const w of [summary, plain]) {
          if (!w) continue;
          if (fallback) w.note = "warren's management-source polls failed at this size (see the poll table), so the daemon ran with the default source";
          cacheTouched(Number.isFinite(w.pollDurationS) ? w.pollDurationS * 1000 : 0);
          log(
            `  /metrics (${w.encoding}): ${w.requests} scrapes, p50 ${w.p50Ms.toFixed(1)} ms, p99 ${w.p99Ms.toFixed(1)} ms, max ${w.maxMs.toFixed(1)} ms, ${w.series} series, ${w.expositionBytes} bytes, ` +
              `queues with counters ${w.counterQueues ?? 0}, daemon peak RSS ${Math.round(w.daemonPeakRssMb)} MiB${w.error ? `; error ${w.error}` : ''}`,
          );
        }
        sr.scrape = summary;
        if (plain) sr.scrapePlain = plain;
        checkpoint();
      }

      await brokerSettled();
      await endpoint('full-api-queues', `${b.mgmtUrl}/api/queues`, opts.polls, true, opts.slowTimeoutS * 1000);
      checkpoint();
      await profileMisses();
    }

    if (opts.massHosts > 0) {
      // Its own broker: the sizes' broker and client load stop first (memory, CPU).
      log('stopping the client load and the sizes\' broker before the mass failure');
      await stopChild(load);
      load = undefined;
      await broker.stop().catch(() => undefined);
      broker = undefined;
      massFailure = await runMassFailure({ hosts: opts.massHosts, intervalS: opts.intervalS, windowS: opts.massWindowS, tmp, log }, mass);
    }
    writeOutputs(resultOf(), opts, true);
  } finally {
    log('stopping the client load, the broker and everything else started');
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function writeOutputs(result: BenchResult, opts: Options, final: boolean): void {
  mkdirSync(opts.out, { recursive: true });
  const jsonFile = join(opts.out, 'results.json');
  writeFileSync(jsonFile, JSON.stringify(result, null, 2) + '\n');
  const svgFile = join(opts.out, 'poll-time.svg');
  const svg = lineChartSvg(
    `Poll time against queue count (${result.options.connections} connections)`,
    'queues (log scale)',
    'wall time per poll or request (log scale)',
    CONTENDERS.map((c) => ({
      label: c.label,
      color: c.color,
      dashed: c.dashed,
      points: rows(result).filter((r) => r.id === c.id).map((r) => ({ x: r.queues, y: r.wallMs })),
    })),
  );
  writeFileSync(svgFile, svg);

  const analysisFile = join(REPO_ROOT, 'bench/analysis.md');
  const analysis = existsSync(analysisFile) ? readFileSync(analysisFile, 'utf8') : '';
  const mdDir = dirname(opts.markdown);
  writeFileSync(opts.markdown, renderMarkdown(result, { chartPath: relative(mdDir, svgFile), jsonPath: relative(mdDir, jsonFile), analysis, partial: !final }));
  if (!final) return;

  const table = textTable(TABLE_HEAD, rows(result).map(tableCells));
  const scrapeTable = textTable(SCRAPE_HEAD, result.sizes.flatMap(scrapeRows));
  const v = targetVerdicts(result);
  process.stdout.write(`\nPoll cost\n${table}\n/metrics from warren's cache\n${scrapeTable}\nTargets (issue 15)\n`);
  for (const x of v) process.stdout.write(`  [${x.status === 'met' ? 'met' : x.status === 'missed' ? 'MISSED' : '--'}] ${x.target}: ${x.measured}\n`);
  process.stdout.write(`\nwrote ${jsonFile}, ${svgFile}, ${opts.markdown}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
