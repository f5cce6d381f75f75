// Bad input gets one clear line; the daemon keeps running and says rabbitmq_up 0.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../harness/broker.js';
import { eventually, metric } from '../support/agent.js';
import { runCli, startDaemon, waitForDaemonPolls, type Daemon } from '../support/cli.js';

let broker: Broker;
const daemons: Daemon[] = [];

beforeAll(async () => {
  broker = await startBroker({ name: 'errors' });
});
afterAll(async () => {
  for (const d of daemons) await d.stop();
  await broker?.stop();
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Poll error lines (not alert-change lines, which are logged once per change). */
const errorLines = (out: string) => out.split('\n').filter((l) => l.includes('"level":50') && !l.includes('"event":"alert"'));
const alertLines = (out: string) => out.split('\n').filter((l) => l.includes('"event":"alert"'));

describe('daemon under bad input', () => {
  it('keeps running against an unreachable broker, reports rabbitmq_up 0, logs the error once', async () => {
    const port = await closedPort();
    const d = await startDaemon(['--url', `http://127.0.0.1:${port}`, '--interval', '1s']);
    daemons.push(d);
    // Several failed polls (retried after 1 s, 2 s, ... of backoff), so "logged once" means something.
    await waitForDaemonPolls(d, 3);
    expect(d.child.exitCode).toBeNull();
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    expect(metric(metrics, 'rabbitmq_up')).toBe(0);
    expect(metric(metrics, 'warren_poll_errors_total')).toBeGreaterThanOrEqual(2);
    const health = await fetch(`${d.url}/healthz`);
    expect(health.status).toBe(503);
    expect(JSON.stringify(await health.json())).toContain('connection refused');
    const errors = errorLines(d.output());
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('connection refused');
    expect(errors[0]).toContain('rabbitmq_management');
    // The broker-unreachable alert fired once, too (it has no `for`; a broker never reached
    // waits out the start grace of three intervals first), and is active.
    await eventually(async () => {
      expect(alertLines(d.output()).filter((l) => l.includes('broker-unreachable'))).toHaveLength(1);
      const alerts = (await (await fetch(`${d.url}/alerts`)).json()) as Array<{ rule: string; state: string }>;
      expect(alerts.map((a) => [a.rule, a.state])).toEqual([['broker-unreachable', 'firing']]);
    }, 30_000, 200);
  });

  it('says which credentials were refused and never prints the password', async () => {
    const password = 'S3cret-Hunter2-do-not-log';
    const d = await startDaemon(['--url', broker.mgmtUrl, '--user', broker.user, '--interval', '1s'], { WARREN_PASSWORD: password });
    daemons.push(d);
    await eventually(async () => {
      const metrics = await (await fetch(`${d.url}/metrics`)).text();
      expect(metric(metrics, 'rabbitmq_up')).toBe(0);
      expect(errorLines(d.output())).toHaveLength(1);
    }, 15_000);
    const line = errorLines(d.output())[0]!;
    expect(line).toContain('401');
    expect(JSON.parse(line).msg).toContain(`user "${broker.user}"`);
    expect(line).toContain('--password');
    const health = await (await fetch(`${d.url}/healthz`)).text();
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    for (const text of [d.output(), health, metrics]) expect(text).not.toContain(password);
    expect(d.child.exitCode).toBeNull();
  });

  it('rejects a bad config file with one line naming the key, the value and what is expected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-badcfg-'));
    const file = join(dir, 'bad.yml');
    writeFileSync(file, 'clusters:\n  - url: http://127.0.0.1:15672\n    interval: 30x\n');
    const r = await runCli(['run', '--config', file]);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('clusters[0].interval');
    expect(lines[0]).toContain('"30x"');
    expect(lines[0]).toContain('30s');

    writeFileSync(file, 'clusters:\n  - url: http://127.0.0.1:15672\n    intervall: 30s\n');
    const typo = await runCli(['run', '--config', file]);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr.trim().split('\n')).toHaveLength(1);
    expect(typo.stderr).toContain('intervall');

    writeFileSync(file, 'clusters:\n  - url: http://127.0.0.1:15672\n    rules:\n      disabled: [guest-user-enable]\n');
    const rule = await runCli(['run', '--config', file]);
    expect(rule.code).not.toBe(0);
    expect(rule.stderr.trim().split('\n')).toHaveLength(1);
    expect(rule.stderr).toContain('clusters[0].rules.disabled[0]: unknown rule "guest-user-enable"');

    writeFileSync(file, 'clusters: [ {url: \n');
    const yaml = await runCli(['run', '--config', file]);
    expect(yaml.code).not.toBe(0);
    expect(yaml.stderr).toMatch(/not valid YAML/);
    expect(yaml.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    const d = await startDaemon(['--url', broker.mgmtUrl, '--user', broker.user, '--password', broker.password, '--interval', '1s']);
    await eventually(async () => expect(metric(await (await fetch(`${d.url}/metrics`)).text(), 'rabbitmq_up')).toBe(1));
    expect(await d.stop()).toBe(0);
  });
});
