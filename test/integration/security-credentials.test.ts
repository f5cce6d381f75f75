// Credentials and least privilege against a real RabbitMQ: warren works as a
// user tagged only `monitoring` (created exactly as the README says), takes its password
// from a file or the environment, and the password (or its base64 basic-auth form) is
// never found in anything warren writes: the daemon's log, /metrics, /healthz, /alerts,
// /report in every format, the state file, `warren report` in every format, `warren
// check`, and the one-line errors when the password is wrong or given in a URL.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../harness/broker.js';
import { eventually, metric } from '../support/agent.js';
import { runCli, startDaemon, waitForDaemonPolls, type Daemon } from '../support/cli.js';

const USER = 'warren';
const PASSWORD = 'Least-Priv-Pw-2f8c61';
const WRONG = 'Wrong-Pw-0d3e77';
const QUEUE = 'compute.cmp-42';

let broker: Broker;
let dir: string;
const daemons: Daemon[] = [];
/** Everything warren produced in these tests, searched for secrets at the end. */
const outputs: Array<{ what: string; text: string }> = [];

const secretsIn = (text: string) =>
  [PASSWORD, WRONG, Buffer.from(`${USER}:${PASSWORD}`).toString('base64'), Buffer.from(`${USER}:${WRONG}`).toString('base64')].filter((s) => text.includes(s));

beforeAll(async () => {
  broker = await startBroker({ name: 'security' });
  // The README's least-privilege user, verbatim.
  await broker.ctl('add_user', USER, PASSWORD);
  await broker.ctl('set_user_tags', USER, 'monitoring');
  await broker.ctl('set_permissions', '-p', '/', USER, '^$', '^$', '.*');
  await fetch(`${broker.mgmtUrl}/api/queues/%2F/${encodeURIComponent(QUEUE)}`, {
    method: 'PUT',
    headers: { authorization: 'Basic ' + Buffer.from(`${broker.user}:${broker.password}`).toString('base64'), 'content-type': 'application/json' },
    body: JSON.stringify({ durable: false }),
  });
  dir = mkdtempSync(join(tmpdir(), 'warren-sec-'));
  writeFileSync(join(dir, 'password'), PASSWORD + '\n', { mode: 0o600 });
});

afterAll(async () => {
  for (const d of daemons) await d.stop();
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a user tagged only monitoring', () => {
  it('is enough for the daemon (password from a file): metrics, alerts, report; the refusal of /api/users is one warning', async () => {
    const stateFile = join(dir, 'state.json');
    const d = await startDaemon(['--url', broker.mgmtUrl, '--prometheus-url', broker.promUrl, '--user', USER, '--password-file', join(dir, 'password'), '--interval', '1s', '--state-file', stateFile]);
    daemons.push(d);
    const get = async (path: string) => {
      const r = await fetch(d.url + path);
      const text = await r.text();
      outputs.push({ what: `GET ${path}`, text });
      return { status: r.status, text };
    };
    await eventually(async () => {
      const m = (await get('/metrics')).text;
      expect(metric(m, 'rabbitmq_up')).toBe(1);
      expect(metric(m, 'rabbitmq_queue_consumers', { queue: QUEUE })).toBe(0);
      expect(metric(m, 'rabbitmq_node_mem_used')).toBeGreaterThan(0);
    }, 20_000);
    // A few more polls, so a per-poll warning would show up more than once.
    await waitForDaemonPolls(d, 3);
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/alerts')).status).toBe(200);
    for (const format of ['html', 'json', 'text', 'markdown']) expect((await get(`/report?format=${format}`)).status).toBe(200);
    const json = JSON.parse((await get('/report?format=json')).text) as { clusters: Array<{ nodes: unknown[]; status: string }> };
    expect(json.clusters[0]!.nodes).toHaveLength(1);
    expect(json.clusters[0]!.status).not.toBe('unknown');

    const lines = d.output().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; event?: string });
    expect(lines.filter((l) => l.level >= 50 && l.event !== 'alert')).toEqual([]);
    const usersWarnings = lines.filter((l) => l.level === 40 && l.msg.includes('/api/users'));
    expect(usersWarnings).toHaveLength(1);
    // RabbitMQ says 401 here although the password is right: the message must not blame the password.
    expect(usersWarnings[0]!.msg).toMatch(/user "warren" may not read .*\/api\/users \(HTTP 40[13]: Not administrator user\): only administrators may/);

    expect(await d.stop()).toBe(0);
    outputs.push({ what: 'daemon log', text: d.output() });
    outputs.push({ what: 'state file', text: readFileSync(stateFile, 'utf8') });
  });

  it('is enough for `warren report` in every format and `warren check` (password from WARREN_PASSWORD)', async () => {
    const env = { WARREN_PASSWORD: PASSWORD };
    const target = ['--url', broker.mgmtUrl, '--user', USER, '--sample', '1'];
    for (const format of ['text', 'json', 'markdown']) {
      const r = await runCli(['report', ...target, '--format', format], env);
      outputs.push({ what: `report --format ${format}`, text: r.stdout + r.stderr });
      expect(r.code, r.stderr).not.toBe(3);
      expect(r.stdout).toContain(QUEUE);
    }
    const html = join(dir, 'report.html');
    const r = await runCli(['report', ...target, '--format', 'html', '--output', html], env);
    expect(r.code).not.toBe(3);
    outputs.push({ what: 'report --format html', text: readFileSync(html, 'utf8') + r.stderr });
    const check = await runCli(['check', ...target], env);
    outputs.push({ what: 'check', text: check.stdout + check.stderr });
    expect(check.code).not.toBe(3);
    expect(check.stdout.split('\n')[0]).toMatch(/^WARREN (OK|WARNING|CRITICAL) - .*\| up=1;/);
  });
});

describe('wrong or misplaced credentials', () => {
  it('a wrong password: one clear line that names the user, and the password nowhere', async () => {
    const d = await startDaemon(['--url', broker.mgmtUrl, '--user', USER, '--interval', '1s'], { WARREN_PASSWORD: WRONG });
    daemons.push(d);
    await eventually(async () => expect(metric(await (await fetch(`${d.url}/metrics`)).text(), 'rabbitmq_up')).toBe(0), 15_000);
    for (const path of ['/metrics', '/healthz', '/alerts', '/report?format=json', '/report?format=html']) {
      outputs.push({ what: `wrong password: GET ${path}`, text: await (await fetch(d.url + path)).text() });
    }
    const health = JSON.parse(outputs.at(-4)!.text) as { targets: Array<{ reason: string }> };
    expect(health.targets[0]!.reason).toContain(`user "${USER}"`);
    expect(await d.stop()).toBe(0);
    outputs.push({ what: 'wrong password: daemon log', text: d.output() });

    const r = await runCli(['report', '--url', broker.mgmtUrl, '--user', USER, '--password', WRONG, '--sample', '0', '--format', 'json'], {});
    expect(r.code).toBe(3);
    outputs.push({ what: 'wrong password: report --format json', text: r.stdout + r.stderr });
    const text = await runCli(['check', '--url', broker.mgmtUrl, '--user', USER, '--sample', '0'], { WARREN_PASSWORD: WRONG });
    expect(text.code).toBe(3);
    outputs.push({ what: 'wrong password: check', text: text.stdout + text.stderr });
  });

  it('a password inside the URL is refused with a one-line error that does not repeat it', async () => {
    const u = new URL(broker.mgmtUrl);
    u.username = USER;
    u.password = PASSWORD;
    const r = await runCli(['report', '--url', u.toString()]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/credentials in the URL are not accepted/);
    outputs.push({ what: 'password in URL', text: r.stdout + r.stderr });
  });

  it('no output of any test above holds the password or its basic-auth form', () => {
    expect(outputs.length).toBeGreaterThan(20);
    const leaks = outputs.map((o) => ({ what: o.what, found: secretsIn(o.text).length })).filter((o) => o.found > 0);
    expect(leaks).toEqual([]);
  });
});
