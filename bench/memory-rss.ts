// Peak RSS of `warren run` against a private broker with an OpenStack topology of N queues,
// for one or more warren builds side by side (before/after a change). Each daemon polls at
// the given interval for the given minutes while a scraper fetches /metrics (gzip and plain)
// every 5 s, as a Prometheus would; the peak resident set (VmHWM) is read at the end.
//
//   npx tsc -p tsconfig.tools.json && node build/bench/memory-rss.js --queues 10000 --minutes 7 \
//     --interval 30 --cli dist/cli.js [--cli /path/to/other/dist/cli.js] [--node-arg --heapsnapshot-signal=SIGUSR2]
//     [--hold FILE: first keep the broker, its address in FILE, until FILE is removed]
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker } from '../test/harness/broker.js';
import { freePort, makeTempDir } from '../test/harness/util.js';
import { importQueues, openstackQueues, take, waitForQueueCount } from './topology.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
}
const all = (name: string): string[] => process.argv.flatMap((a, i) => (a === `--${name}` ? [process.argv[i + 1]!] : []));

function status(pid: number, field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const queues = Number(arg('queues', '10000'));
const minutes = Number(arg('minutes', '7'));
const interval = Number(arg('interval', '30'));
const clis = all('cli');
const nodeArgs = all('node-arg');
const log = (m: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);

const broker = await startBroker({ name: 'memrss', extraConfig: ['collect_statistics_interval = 10000', 'management.tcp.idle_timeout = 600000', 'management.tcp.request_timeout = 600000'] });
const children: ChildProcess[] = [];
try {
  log(`broker up; declaring ${queues} queues`);
  await importQueues(broker, take(openstackQueues(), queues));
  log(`broker lists ${await waitForQueueCount(broker, queues)} queues`);
  const dir = makeTempDir('memrss');
  const pwFile = join(dir, 'password');
  writeFileSync(pwFile, broker.password, { mode: 0o600 });
  const hold = arg('hold', '');
  if (hold) {
    // Keep the broker for experiments: its address in `hold` (JSON), stopped once the file is removed.
    writeFileSync(hold, JSON.stringify({ mgmtUrl: broker.mgmtUrl, promUrl: broker.promUrl, user: broker.user, passwordFile: pwFile }));
    log(`holding the broker until ${hold} is removed`);
    while (existsSync(hold)) await new Promise((r) => setTimeout(r, 2000));
  }
  const runs = await Promise.all(
    clis.map(async (cli, i) => {
      const cfg = join(dir, `warren-${i}.yml`);
      writeFileSync(
        cfg,
        `clusters:\n  - name: bench\n    url: ${broker.mgmtUrl}\n    user: ${broker.user}\n    passwordFile: ${pwFile}\n    prometheusUrl: ${broker.promUrl}\n    interval: ${interval}s\n`,
      );
      const port = await freePort();
      const child = spawn(process.execPath, [...nodeArgs, cli, 'run', '--config', cfg, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn'], { stdio: ['ignore', 'inherit', 'inherit'] });
      children.push(child);
      return { cli, child, url: `http://127.0.0.1:${port}/metrics`, maxRss: 0, scrapes: 0 };
    }),
  );
  const end = Date.now() + minutes * 60_000;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 5000));
    for (const r of runs) {
      for (const enc of ['gzip', 'identity']) {
        try {
          const res = await fetch(r.url, { headers: { 'accept-encoding': enc } });
          await res.arrayBuffer();
          r.scrapes++;
        } catch {
          /* not up yet */
        }
      }
      r.maxRss = Math.max(r.maxRss, status(r.child.pid!, 'VmRSS'));
    }
  }
  for (const r of runs) {
    log(`${r.cli}: peak RSS (VmHWM) ${status(r.child.pid!, 'VmHWM').toFixed(0)} MiB, max sampled VmRSS ${r.maxRss.toFixed(0)} MiB, ${r.scrapes} scrapes, ${queues} queues, ${minutes} min at ${interval} s`);
  }
} finally {
  for (const c of children) c.kill('SIGTERM');
  await broker.stop();
}
process.exit(0);
