// /metrics latency of `warren run` at ~100k series under two concurrent gzip scrapers
// (issue 15, item 4), without a broker: a child process serves the bench topology's
// management-API answers (bench/replay.ts) over HTTP, moving its counters every tick, and
// warren (dist/cli.js, queue source management: ~10 series per queue) polls it. Two clients
// then GET /metrics back to back for --seconds, asking for gzip as Prometheus does; the
// window spans several polls. Prints p50/p99/max and the slowest scrapes by time.
//
//   npm run build && npx tsc -p tsconfig.tools.json && node build/bench/scrape-p99.js --queues 10000
// Flags: --queues N --connections N --interval S --seconds S --scrapers N --encoding gzip|identity
// --cli PATH (another build's dist/cli.js, to compare) --daemon-flags '--cpu-prof --cpu-prof-dir=/tmp/p' (node flags for warren)
import { fork } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort, REPO_ROOT, sleep, startDaemon } from '../test/harness/util.js';
import { sampleValue, scrape } from './measure.js';
import { buildTopology, responses } from './replay.js';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};

/** The fake broker (child mode): serves the replayed answers, a new tick every interval. */
function serveBroker(): void {
  const topology = buildTopology(Number(arg('queues', '10000')), Number(arg('connections', '2000')));
  let tick = 0;
  let current = responses(topology, tick);
  setInterval(() => (current = responses(topology, ++tick)), Number(arg('interval', '10')) * 1000);
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const body = current.get(u.pathname + (u.searchParams.has('disable_stats') ? '?disable_stats' : ''));
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': u.pathname.startsWith('/api/') ? 'application/json' : 'text/plain' }).end(body);
  });
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
}

async function main(): Promise<void> {
  const queues = Number(arg('queues', '10000'));
  const intervalS = Number(arg('interval', '10'));
  const seconds = Number(arg('seconds', '60'));
  const scrapers = Number(arg('scrapers', '2'));
  const encoding = arg('encoding', 'gzip') as 'gzip' | 'identity';
  const broker = fork(fileURLToPath(import.meta.url), ['--serve', ...argv], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const dir = mkdtempSync(join(tmpdir(), 'warren-bench-scrape-'));
  let daemon: Awaited<ReturnType<typeof startDaemon>> | undefined;
  try {
    const brokerPort = await new Promise<number>((resolve, reject) => {
      broker.once('message', (m) => resolve((m as { port: number }).port));
      broker.once('exit', (code) => reject(new Error(`fake broker exited (${String(code)})`)));
    });
    const port = await freePort();
    const config = join(dir, 'warren.yml');
    const brokerUrl = `http://127.0.0.1:${brokerPort}`;
    writeFileSync(config, stringify({ listen: `127.0.0.1:${port}`, clusters: [{ name: 'bench', url: brokerUrl, prometheusUrl: brokerUrl, queueSource: 'management', user: 'guest', password: 'guest', interval: `${intervalS}s` }] }));
    const url = `http://127.0.0.1:${port}`;
    daemon = await startDaemon({ cmd: process.execPath, args: [...arg('daemon-flags', '').split(' ').filter(Boolean), arg('cli', join(REPO_ROOT, 'dist/cli.js')), 'run', '--config', config], dir, label: 'warren (scrape bench)', readyUrl: `${url}/healthz`, timeoutMs: 120_000 });
    const metrics = async () => (await fetch(`${url}/metrics`)).text();
    const deadline = Date.now() + 120_000;
    while (!(sampleValue(await metrics(), 'warren_last_success_timestamp_seconds') > 0)) {
      if (Date.now() > deadline) throw new Error(`no successful poll within 120 s; see ${daemon.logFile}`);
      await sleep(500);
    }
    // One more poll, so rates and the history are in their steady state.
    await sleep(intervalS * 1000);
    const before = await metrics();
    if (arg('save', '')) writeFileSync(arg('save', ''), before);
    const r = await scrape(`${url}/metrics`, scrapers, seconds * 1000, encoding);
    const after = r.lastBody;
    const polls = sampleValue(after, 'warren_last_success_timestamp_seconds') - sampleValue(before, 'warren_last_success_timestamp_seconds');
    // Per second of the window: scrapes, those over 20 ms, the slowest (a poll shows as a run of slow seconds).
    const perSecond = new Map<number, { n: number; slow: number; max: number }>();
    for (const [at, ms] of r.timeline) {
      const s = perSecond.get(Math.floor(at / 1000)) ?? { n: 0, slow: 0, max: 0 };
      s.n++;
      if (ms > 20) s.slow++;
      s.max = Math.max(s.max, ms);
      perSecond.set(Math.floor(at / 1000), s);
    }
    const slow = [...perSecond].filter(([, s]) => s.slow > 0).map(([sec, s]) => `${sec}s:${s.slow}/${s.n}<=${Math.round(s.max)}ms`);
    const f = (n: number) => n.toFixed(1);
    process.stdout.write(
      [
        `warren run, ${queues} queues (management source), interval ${intervalS} s; ${scrapers} ${encoding} scrapers for ${seconds} s`,
        `series ${sampleValue(after, 'warren_series')}, ${r.bytes} B per scrape, ${r.requests} scrapes, ${r.errors} errors; last successful poll advanced ${polls} s (last poll ${f(sampleValue(after, 'warren_poll_duration_seconds'))} s, skipped ${sampleValue(after, 'warren_poll_skipped_total')})`,
        `/metrics p50 ${f(r.p50Ms)} ms  p99 ${f(r.p99Ms)} ms  max ${f(r.maxMs)} ms`,
        `seconds with scrapes over 20 ms (second:slow/all<=max): ${slow.join(' ')}`,
      ].join('\n') + '\n',
    );
  } finally {
    await daemon?.stop();
    broker.kill();
  }
}

if (argv.includes('--serve')) serveBroker();
else
  main().catch((err: unknown) => {
    process.stderr.write(`bench/scrape-p99: ${(err as Error).message}\n`);
    process.exit(1);
  });
