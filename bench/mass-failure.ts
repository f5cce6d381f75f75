// The mass-failure scenario of `npm run bench`: a private RabbitMQ node with N per-host
// RPC queues (`compute.<host>`, a simulated nova-compute on N hosts) consumed from one
// connection, and a few healthy agents on another. `warren run` (default config, the
// bench's interval) watches it with an Alertmanager URL where nothing listens (connection
// refused). The nova-compute connection closes: every host loses its consumer within one
// poll. Measured: how much the daemon logs per minute once the per-host alerts fire
// (they cannot be delivered), how long the text report is, how many bytes `check`'s status
// line takes, and whether openstack-correlated-outage is raised.

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp, { type ChannelModel } from 'amqplib';
import { stringify } from 'yaml';
import { startBroker, type Broker } from '../test/harness/broker.js';
import { REPO_ROOT, freePort, sleep } from '../test/harness/util.js';
import { peakRssMb, stopChild } from './measure.js';
import { minuteCounts, type LogLine, type MassFailureResult } from './results.js';
import { basicAuth } from './topology.js';

const CLI = join(REPO_ROOT, 'dist/cli.js');
const HEALTHY_AGENTS = 10;

export const hostName = (i: number): string => `cmp-${String(i + 1).padStart(4, '0')}`;

/** What the caller must stop if the run is interrupted (the bench's cleanup reads it). */
export interface MassFailureResources {
  broker?: Broker;
  daemon?: ChildProcess;
  connections: ChannelModel[];
}

export interface MassFailurePlan {
  hosts: number;
  intervalS: number;
  /** How long to measure the log once every per-host alert fires. */
  windowS: number;
  tmp: string;
  log: (line: string) => void;
}

/** Lines of the form `name{labels} value` whose labels contain `match`, with value `value` when given. */
function countSamples(text: string, name: string, match: string, value?: string): number {
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) || !line.includes(match)) continue;
    if (value === undefined || line.endsWith(`} ${value}`)) n++;
  }
  return n;
}

/** The sum of every sample of `name` (any labels). */
function sumSamples(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  return sum;
}

async function waitUntil<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined | false>, stepMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(stepMs);
  }
}

function runCli(args: string[], timeoutMs = 600_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export async function runMassFailure(plan: MassFailurePlan, res: MassFailureResources): Promise<MassFailureResult> {
  const { hosts, intervalS, windowS, log } = plan;
  const out: MassFailureResult = {
    hosts,
    intervalS,
    windowS,
    fireAfterS: NaN,
    alertsFiring: 0,
    correlatedOutage: false,
    logLinesSinceLoss: 0,
    logLinesInWindow: 0,
    logLinesPerMinute: NaN,
    maxLogLinesInAMinute: NaN,
    troubleLinesMaxPerMinute: NaN,
    perAlertLines: 0,
    notificationsFailed: NaN,
    notificationsDropped: NaN,
    daemonPeakRssMb: NaN,
    pollDurationS: NaN,
    reportExit: NaN,
    reportLines: NaN,
    reportFindingLines: NaN,
    reportBytes: NaN,
    reportGroupedLine: '',
    checkExit: NaN,
    checkLineBytes: NaN,
    checkLine: '',
  };
  try {
    log(`mass failure: a private RabbitMQ node with ${hosts} compute.<host> queues`);
    res.broker = await startBroker({ name: 'bench-mass', extraConfig: ['collect_statistics_interval = 5000'] });
    const b = res.broker;
    // The hosts' nova-compute on one connection (lost at once), healthy agents on another.
    const nova = await amqp.connect(b.amqpUrl, { clientProperties: { connection_name: 'nova-compute' } });
    res.connections.push(nova);
    const agents = await amqp.connect(b.amqpUrl, { clientProperties: { connection_name: 'neutron-l3-agent' } });
    res.connections.push(agents);
    const channels = await Promise.all(Array.from({ length: 8 }, () => nova.createChannel()));
    const queues = Array.from({ length: hosts }, (_, i) => `compute.${hostName(i)}`);
    await Promise.all(queues.map((q, i) => channels[i % channels.length]!.assertQueue(q, { durable: false })));
    await Promise.all(queues.map((q, i) => channels[i % channels.length]!.consume(q, () => undefined, { noAck: true })));
    const l3 = await agents.createChannel();
    for (let i = 0; i < HEALTHY_AGENTS; i++) {
      const q = `l3_agent.net-${String(i + 1).padStart(2, '0')}`;
      await l3.assertQueue(q, { durable: false });
      await l3.consume(q, () => undefined, { noAck: true });
    }
    const auth = basicAuth(b);
    await waitUntil('the queues and consumers in /api/overview', 300_000, async () => {
      const o = (await (await fetch(`${b.mgmtUrl}/api/overview`, { headers: { authorization: auth } })).json()) as { object_totals?: { queues?: number; consumers?: number } };
      return (o.object_totals?.queues ?? 0) >= hosts + HEALTHY_AGENTS && (o.object_totals?.consumers ?? 0) >= hosts + HEALTHY_AGENTS;
    });

    const passwordFile = join(plan.tmp, 'mass-password');
    writeFileSync(passwordFile, b.password, { mode: 0o600 });
    const deadPort = await freePort();
    const configFile = join(plan.tmp, 'mass.yml');
    writeFileSync(
      configFile,
      stringify({
        // Nothing listens on deadPort: every delivery is refused.
        alertmanagerUrls: [`http://127.0.0.1:${deadPort}`],
        clusters: [{ name: 'bench-mass', url: b.mgmtUrl, user: b.user, passwordFile, prometheusUrl: b.promUrl, interval: `${intervalS}s` }],
      }),
    );
    const port = await freePort();
    const lines: LogLine[] = [];
    let partial = '';
    res.daemon = spawn(process.execPath, [CLI, 'run', '--config', configFile, '--listen', `127.0.0.1:${port}`, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const daemon = res.daemon;
    daemon.stdout!.on('data', (d: Buffer) => {
      partial += d.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) {
        if (!text.trim()) continue;
        let at = Date.now();
        let event: string | undefined;
        try {
          const j = JSON.parse(text) as { time?: number; event?: string };
          at = j.time ?? at;
          event = j.event;
        } catch {
          // Not pino's JSON: counted as a line all the same.
        }
        lines.push({ at, ...(event ? { event } : {}) });
      }
    });
    const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    log(`  warren run (interval ${intervalS} s, Alertmanager at a refused port): waiting until it sees every host's consumer`);
    await waitUntil('warren run seeing every compute queue consumed', 300_000, async () => {
      if (daemon.exitCode !== null) throw new Error(`warren run exited ${daemon.exitCode}`);
      return countSamples(await metrics(), 'rabbitmq_openstack_host_queue_consumers', 'topic="compute"', '1') >= hosts;
    });

    const lossAt = Date.now();
    log(`  closing the nova-compute connection: ${hosts} hosts lose their consumer`);
    await nova.close();
    res.connections = res.connections.filter((c) => c !== nova);
    const firing = (m: string) => countSamples(m, 'warren_alert_active', 'rule="openstack-host-queue-unconsumed"');
    const fireAt = await waitUntil('every per-host alert firing', 600_000, async () => {
      const m = await metrics();
      if (countSamples(m, 'warren_alert_active', 'rule="openstack-correlated-outage"') > 0) out.correlatedOutage = true;
      return firing(m) >= hosts ? Date.now() : undefined;
    });
    out.fireAfterS = (fireAt - lossAt) / 1000;
    log(`  ${hosts} alerts firing ${Math.round(out.fireAfterS)} s after the loss; measuring the log for ${windowS} s`);
    await sleep(windowS * 1000);
    const m = await metrics();
    const endAt = Date.now();
    out.alertsFiring = firing(m);
    if (countSamples(m, 'warren_alert_active', 'rule="openstack-correlated-outage"') > 0) out.correlatedOutage = true;
    out.notificationsFailed = sumSamples(m, 'warren_notifications_failed_total');
    out.notificationsDropped = sumSamples(m, 'warren_notifications_dropped_total');
    const pd = /^warren_poll_duration_seconds(?:\{[^}]*\})? (\S+)$/m.exec(m);
    out.pollDurationS = pd ? Number(pd[1]) : NaN;
    out.daemonPeakRssMb = peakRssMb(daemon.pid);

    const since = lines.filter((l) => l.at >= lossAt && l.at <= endAt);
    const inWindow = since.filter((l) => l.at >= fireAt);
    out.logLinesSinceLoss = since.length;
    out.logLinesInWindow = inWindow.length;
    out.logLinesPerMinute = (inWindow.length * 60) / ((endAt - fireAt) / 1000);
    out.maxLogLinesInAMinute = Math.max(0, ...minuteCounts(since.map((l) => l.at), lossAt, endAt));
    out.troubleLinesMaxPerMinute = Math.max(0, ...minuteCounts(since.filter((l) => l.event === 'notification-trouble').map((l) => l.at), lossAt, endAt));
    out.perAlertLines = since.filter((l) => l.event === 'alert').length;
    log(`  log: ${out.logLinesSinceLoss} lines since the loss, ${out.logLinesPerMinute.toFixed(1)} a minute with every alert firing; correlated outage ${out.correlatedOutage ? 'raised' : 'not raised'}`);
    await stopChild(daemon);
    res.daemon = undefined;

    const report = await runCli(['report', '--config', configFile, '--format', 'text', '--sample', '2']);
    out.reportExit = report.code;
    out.reportBytes = Buffer.byteLength(report.stdout);
    out.reportLines = report.stdout.trimEnd().split('\n').length;
    const f0 = report.stdout.indexOf('FINDINGS');
    const f1 = report.stdout.indexOf('CLUSTER ', f0 + 1);
    out.reportFindingLines = f0 >= 0 ? report.stdout.slice(f0, f1 > f0 ? f1 : undefined).trimEnd().split('\n').length : NaN;
    // Continuation lines are indented; the remedy that follows starts with "Fix".
    out.reportGroupedLine = /nova-compute lost [^\n]*?(?= Fix \(|\n|$)/.exec(report.stdout.replace(/\n {6,}/g, ' '))?.[0] ?? '';
    const check = await runCli(['check', '--config', configFile]);
    out.checkExit = check.code;
    out.checkLine = check.stdout.trimEnd();
    out.checkLineBytes = Buffer.byteLength(out.checkLine);
    log(`  text report: ${out.reportLines} lines (${out.reportFindingLines} in FINDINGS); check: exit ${out.checkExit}, ${out.checkLineBytes} bytes`);
  } catch (e) {
    out.error = e instanceof Error ? e.message : String(e);
    log(`  mass failure: ${out.error}`);
  } finally {
    await stopMassFailure(res);
  }
  return out;
}

export async function stopMassFailure(res: MassFailureResources): Promise<void> {
  await stopChild(res.daemon);
  res.daemon = undefined;
  for (const c of res.connections) await c.close().catch(() => undefined);
  res.connections = [];
  await res.broker?.stop().catch(() => undefined);
  res.broker = undefined;
}
