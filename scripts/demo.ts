// `npm run demo`: a private RabbitMQ node, a simulated OpenStack cloud on it with
// three classic faults, `warren run` watching it, and `warren report` printed.
// Runs until Ctrl-C (or for --seconds N), then stops everything it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startSimulation, type Simulation } from '../tools/sim/index.js';
import { startBroker, type Broker } from '../test/harness/broker.js';
import { REPO_ROOT } from '../test/harness/util.js';

const FAULTS = ['compute-down:cmp-02', 'notifications-unconsumed', 'orphans'];
const args = process.argv.slice(2);
const seconds = args.includes('--seconds') ? Number(args[args.indexOf('--seconds') + 1]) : 0;
const listen = args.includes('--listen') ? args[args.indexOf('--listen') + 1]! : '127.0.0.1:9419';
const cli = join(REPO_ROOT, 'dist/cli.js');
const say = (line: string) => process.stdout.write(`\x1b[1m==> ${line}\x1b[0m\n`);

let broker: Broker | undefined;
let sim: Simulation | undefined;
let daemon: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'warren-demo-'));

async function cleanup(): Promise<void> {
  daemon?.kill('SIGTERM');
  await sim?.stop().catch(() => undefined);
  await broker?.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}

function run(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<void> {
  say('starting a private RabbitMQ node (management + prometheus plugins)');
  broker = await startBroker({ name: 'demo', extraConfig: ['collect_statistics_interval = 2000'] });
  say(`broker up: management ${broker.mgmtUrl}, plugin ${broker.promUrl}`);

  say(`simulating an OpenStack cloud (nova, neutron, cinder, heat on 2 controllers, 1 network node, 3 computes) with faults: ${FAULTS.join(', ')}`);
  sim = await startSimulation({ amqpUrl: broker.amqpUrl, computes: 3, faults: FAULTS });

  const config = join(dir, 'warren.yml');
  writeFileSync(
    config,
    stringify({
      clusters: [{ name: 'demo', url: broker.mgmtUrl, user: broker.user, passwordFile: join(dir, 'password'), prometheusUrl: broker.promUrl, interval: '5s' }],
      // The simulated hosts connect from distinct loopback addresses; name them as an inventory would.
      openstack: { hosts: Object.fromEntries(Object.entries(sim.hostAddresses).map(([host, ip]) => [ip, host])) },
    }),
  );
  writeFileSync(join(dir, 'password'), broker.password, { mode: 0o600 });

  say(`starting warren run on ${listen}`);
  daemon = spawn(process.execPath, [cli, 'run', '--config', config, '--listen', listen, '--log-level', 'warn'], { stdio: 'inherit' });

  say('letting the faults develop for 20 s, then taking the report (two samples 10 s apart)');
  await new Promise((r) => setTimeout(r, 20_000));
  const code = await run(['report', '--config', config, '--sample', '10']);
  say(`warren report exited ${code} (0 ok, 1 warning, 2 critical, 3 unreachable)`);

  const base = `http://${listen.replace('0.0.0.0', '127.0.0.1')}`;
  say(`metrics: ${base}/metrics   report: ${base}/report   alerts: ${base}/alerts   health: ${base}/healthz`);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  // The lines that tell the story: cluster up, the dead compute's queue at 0 consumers, orphans, alerts.
  const sample = metrics
    .split('\n')
    .filter((l) => /^rabbitmq_(up|queues|connections)\{/.test(l) || /^rabbitmq_openstack_host_queue_consumers\{.* 0$/.test(l) || /^rabbitmq_openstack_orphan_queues/.test(l) || /^warren_alert_active/.test(l));
  process.stdout.write(sample.slice(0, 30).join('\n') + '\n');

  // What the operator sees in /alerts must agree with the report: the critical fault it led
  // with is listed there (pending until its `for` has passed, then firing) before the demo ends.
  say(`alerts: ${base}/alerts (pending and firing, worst first)`);
  const alerts = await criticalAlerts(`${base}/alerts`, 60_000);
  for (const a of alerts) process.stdout.write(`  ${a.severity.toUpperCase()} ${a.state} since ${a.since}  ${a.rule}: ${a.summary}\n`);
  if (!alerts.some((a) => a.severity === 'critical')) {
    say('no critical alert in /alerts within 60 s: the demo\'s compute-down fault should have raised one');
    process.exitCode = 1;
  }

  if (seconds > 0) {
    await new Promise((r) => setTimeout(r, seconds * 1000));
  } else {
    say('serving until Ctrl-C');
    await new Promise<void>((r) => {
      process.once('SIGINT', () => r());
      process.once('SIGTERM', () => r());
    });
  }
}

interface PublicAlert {
  rule: string;
  severity: string;
  state: string;
  since: string;
  summary: string;
}

/** /alerts once it lists a critical alert (or at the deadline, whatever it lists then). */
async function criticalAlerts(url: string, timeoutMs: number): Promise<PublicAlert[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alerts = (await (await fetch(url)).json()) as PublicAlert[];
    if (alerts.some((a) => a.severity === 'critical') || Date.now() >= deadline) return alerts;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`demo failed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    say('stopping warren, the simulation and the broker');
    await cleanup();
  });
