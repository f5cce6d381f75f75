// `/healthz` latency and poll skips of `warren run` under 200 concurrent gzip scrapers
// (issue 12, item 9). A private RabbitMQ node with --queues queues, warren in its own
// process polling it every --interval seconds; first --idle seconds of /healthz probes
// alone, then --seconds of the same probes beside --scrapers clients each fetching
// /metrics (Accept-Encoding: gzip) back to back. Prints one table and writes JSON to
// --out (default bench/results/http-scrapers.json).
//
//   npx tsc -p tsconfig.tools.json && node build/bench/http-scrapers.js --queues 2000
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import amqp from 'amqplib';
import { stringify } from 'yaml';
import { Agent as Dispatcher, request } from 'undici';
import { startBroker } from '../test/harness/broker.js';
import { freePort, REPO_ROOT, startDaemon } from '../test/harness/util.js';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const QUEUES = Number(arg('queues', '2000'));
const SCRAPERS = Number(arg('scrapers', '200'));
const SECONDS = Number(arg('seconds', '30'));
const IDLE_SECONDS = Number(arg('idle', '10'));
const INTERVAL_S = Number(arg('interval', '5'));
const OUT = resolve(arg('out', join(REPO_ROOT, 'bench/results/http-scrapers.json')));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};

async function sample(url: string, name: string): Promise<number> {
  const body = await (await request(`${url}/metrics`)).body.text();
  return Number(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)`, 'm').exec(body)?.[2] ?? NaN);
}

/** /healthz every 100 ms until `until` says stop; latencies in ms. */
async function probe(url: string, stop: () => boolean): Promise<number[]> {
  const times: number[] = [];
  while (!stop()) {
    const t0 = performance.now();
    const res = await request(`${url}/healthz`, { reset: true, headersTimeout: 60_000, bodyTimeout: 60_000 });
    await res.body.dump();
    times.push(performance.now() - t0);
    await sleep(100);
  }
  return times;
}

async function main(): Promise<void> {
  const broker = await startBroker({ name: 'bench-scrapers' });
  const dir = mkdtempSync(join(tmpdir(), 'warren-bench-scrapers-'));
  let daemon: Awaited<ReturnType<typeof startDaemon>> | undefined;
  try {
    const conn = await amqp.connect(broker.amqpUrl);
    const ch = await conn.createChannel();
    for (let i = 0; i < QUEUES; i++) await ch.assertQueue(`compute.host-${i}`, { durable: false });
    await conn.close();
    const port = await freePort();
    const config = join(dir, 'warren.yml');
    writeFileSync(config, stringify({ listen: `127.0.0.1:${port}`, clusters: [{ url: broker.mgmtUrl, user: broker.user, password: broker.password, prometheusUrl: broker.promUrl, interval: `${INTERVAL_S}s` }] }));
    const url = `http://127.0.0.1:${port}`;
    daemon = await startDaemon({ cmd: process.execPath, args: [join(REPO_ROOT, 'dist/cli.js'), 'run', '--config', config], dir, label: 'warren (bench)', readyUrl: `${url}/healthz`, timeoutMs: 120_000 });
    while (!(await sample(url, 'warren_last_success_timestamp_seconds'))) await sleep(500);

    let idleDone = false;
    const idleProbe = probe(url, () => idleDone);
    await sleep(IDLE_SECONDS * 1000);
    idleDone = true;
    const idle = await idleProbe;

    const skippedBefore = await sample(url, 'warren_poll_skipped_total');
    const successBefore = await sample(url, 'warren_last_success_timestamp_seconds');
    const dispatcher = new Dispatcher({ connections: SCRAPERS + 10 });
    let stop = false;
    let scrapes = 0;
    let bytes = 0;
    const scrapers = Array.from({ length: SCRAPERS }, async () => {
      while (!stop) {
        const res = await request(`${url}/metrics`, { dispatcher, headers: { 'accept-encoding': 'gzip' } });
        bytes += (await res.body.arrayBuffer()).byteLength;
        scrapes++;
      }
    });
    const loadedProbe = probe(url, () => stop);
    const started = performance.now();
    await sleep(SECONDS * 1000);
    stop = true;
    const elapsed = (performance.now() - started) / 1000;
    const loaded = await loadedProbe;
    await Promise.allSettled(scrapers);
    await dispatcher.close();
    const skipped = (await sample(url, 'warren_poll_skipped_total')) - skippedBefore;
    const successAfter = await sample(url, 'warren_last_success_timestamp_seconds');
    const pollSeconds = await sample(url, 'warren_poll_duration_seconds');

    const result = {
      queues: QUEUES,
      scrapers: SCRAPERS,
      seconds: Math.round(elapsed),
      intervalSeconds: INTERVAL_S,
      idle: { probes: idle.length, p50Ms: percentile(idle, 50), p99Ms: percentile(idle, 99), maxMs: Math.max(...idle) },
      loaded: { probes: loaded.length, p50Ms: percentile(loaded, 50), p99Ms: percentile(loaded, 99), maxMs: Math.max(...loaded) },
      scrapesPerSecond: scrapes / elapsed,
      gzipBytesPerScrape: scrapes ? Math.round(bytes / scrapes) : 0,
      pollSkipsUnderLoad: skipped,
      pollTicksUnderLoad: Math.floor(elapsed / INTERVAL_S),
      lastSuccessAdvancedSeconds: successAfter - successBefore,
      lastPollSeconds: pollSeconds,
    };
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n');
    const f = (n: number) => n.toFixed(1);
    process.stdout.write(
      [
        `warren run, ${QUEUES} queues, interval ${INTERVAL_S} s; ${SCRAPERS} gzip scrapers for ${result.seconds} s (${f(result.scrapesPerSecond)} scrapes/s, ${result.gzipBytesPerScrape} B each)`,
        `/healthz idle:   p50 ${f(result.idle.p50Ms)} ms  p99 ${f(result.idle.p99Ms)} ms  max ${f(result.idle.maxMs)} ms  (${idle.length} probes)`,
        `/healthz loaded: p50 ${f(result.loaded.p50Ms)} ms  p99 ${f(result.loaded.p99Ms)} ms  max ${f(result.loaded.maxMs)} ms  (${loaded.length} probes)`,
        `poll skips under load: ${skipped} of ${result.pollTicksUnderLoad} ticks; last success advanced ${f(result.lastSuccessAdvancedSeconds)} s; last poll ${f(pollSeconds)} s`,
        `written to ${OUT}`,
      ].join('\n') + '\n',
    );
  } finally {
    await daemon?.stop();
    await broker.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/http-scrapers: ${(err as Error).message}\n`);
  process.exit(1);
});
