// Alerts are not lost: the real `warren run` process delivering to a webhook that
// errors, is slow, or is down. Notifications wait in the queue, are retried with growing
// gaps (backoff), and arrive when the receiver is back; the queue is saved to the state
// file (atomically) and survives a restart of warren. The alert comes from the broker
// itself being unreachable (broker-unreachable fires at once), so no broker is needed.
// The full-queue policy (oldest resolved dropped first, counted) is unit-tested in
// test/unit/notify-queue.test.ts; here the counters are checked on /metrics.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from '../harness/util.js';
import { eventually, metric } from '../support/agent.js';
import { startDaemon, waitForDaemonPolls, type Daemon } from '../support/cli.js';
import { startFakeApi, type FakeApi } from '../support/fake-api.js';

const HOOK_USER = 'hook';
const HOOK_PASSWORD = 'Hook-Pw-93be'; // in the webhook URL: must only ever travel as basic auth
const BROKER_PASSWORD = 'Broker-Pw-55aa';

interface Received {
  at: number;
  authorization: string;
  body: { changes: Array<{ type: string; rule: string; fingerprint: string; at: string; status: string }> };
}

/** A webhook receiver on a fixed port: `mode` decides how it answers; `down` means nothing listens. */
class Webhook {
  mode: 'ok' | 'error' | 'slow' | 'down' = 'down';
  attempts: number[] = [];
  received: Received[] = [];
  private server: Server | null = null;
  constructor(readonly port: number) {}
  get url() {
    return `http://${HOOK_USER}:${HOOK_PASSWORD}@127.0.0.1:${this.port}/hook`;
  }
  async set(mode: Webhook['mode']): Promise<void> {
    this.mode = mode;
    if (mode === 'down' && this.server) {
      const s = this.server;
      this.server = null;
      await new Promise<void>((r) => {
        s.close(() => r());
        s.closeAllConnections();
      });
    }
    if (mode !== 'down' && !this.server) {
      const s = createServer((req: IncomingMessage, res) => {
        let text = '';
        req.on('data', (d: Buffer) => (text += d.toString()));
        req.on('end', () => {
          this.attempts.push(Date.now());
          if (this.mode === 'error') return void res.writeHead(500).end('broken');
          const accept = () => {
            this.received.push({ at: Date.now(), authorization: req.headers.authorization ?? '', body: JSON.parse(text) as Received['body'] });
            res.writeHead(200).end('ok');
          };
          if (this.mode === 'slow') setTimeout(accept, 1500);
          else accept();
        });
      });
      await new Promise<void>((r) => s.listen(this.port, '127.0.0.1', () => r()));
      this.server = s;
    }
  }
  changes() {
    return this.received.flatMap((r) => r.body.changes);
  }
}

let api: FakeApi;
const tmpRoot = mkdtempSync(join(tmpdir(), 'warren-alerts-'));
const daemons: Daemon[] = [];
const hooks: Webhook[] = [];

function config(hook: Webhook, extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpRoot, 'cfg-'));
  const file = join(dir, 'warren.yml');
  writeFileSync(
    file,
    stringify({
      webhookUrls: [hook.url],
      ...extra,
      clusters: [{ name: 'unreachable', url: api.url, user: 'monitor', password: BROKER_PASSWORD, interval: '1s', timeout: '2s' }],
    }),
  );
  return file;
}

const metricsOf = async (d: Daemon) => (await fetch(`${d.url}/metrics`)).text();
const RECEIVER = (hook: Webhook) => `http://127.0.0.1:${hook.port}/hook`; // the receiver label: no credentials

async function daemonWith(args: string[]): Promise<Daemon> {
  const d = await startDaemon(args);
  daemons.push(d);
  return d;
}

beforeAll(async () => {
  api = await startFakeApi();
  await api.setMode('refuse'); // broker-unreachable fires on the first poll
});

afterAll(async () => {
  for (const d of daemons) await d.stop();
  for (const h of hooks) await h.set('down');
  await api?.close();
  rmSync(tmpRoot, { recursive: true, force: true });
});

describe('alert delivery when the receiver is in trouble', () => {
  it('an erroring webhook: the notification stays queued, is retried with growing gaps, and is delivered once it answers', async () => {
    const hook = new Webhook(await freePort());
    hooks.push(hook);
    await hook.set('error');
    const d = await daemonWith(['--config', config(hook)]);

    await eventually(() => expect(hook.attempts.length).toBeGreaterThanOrEqual(4), 30_000, 100);
    const m = await metricsOf(d);
    expect(metric(m, 'warren_notifications_queued', { receiver: RECEIVER(hook) })).toBe(1);
    expect(metric(m, 'warren_notifications_failed_total', { receiver: RECEIVER(hook) })).toBeGreaterThanOrEqual(3);
    // Backoff with jitter: each wait lies in [base·2^(n-1)/2, base·2^(n-1)], so the gaps never shrink and reach seconds.
    const gaps = hook.attempts.slice(1).map((t, i) => t - hook.attempts[i]!);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(gaps[i - 1]! - 100);
    expect(gaps[2]!).toBeGreaterThanOrEqual(1_900);

    await hook.set('ok');
    await eventually(() => expect(hook.changes().filter((c) => c.rule === 'broker-unreachable' && c.type === 'firing')).toHaveLength(1), 30_000, 100);
    expect(hook.received[0]!.authorization).toBe('Basic ' + Buffer.from(`${HOOK_USER}:${HOOK_PASSWORD}`).toString('base64'));
    await eventually(async () => expect(metric(await metricsOf(d), 'warren_notifications_queued', { receiver: RECEIVER(hook) })).toBe(0));
    // The credentials in the webhook URL appear nowhere: not in the log, not in the receiver label.
    for (const text of [d.output(), await metricsOf(d)]) {
      expect(text).not.toContain(HOOK_PASSWORD);
      expect(text).not.toContain(BROKER_PASSWORD);
    }
    expect(d.output()).toContain(`delivery to ${RECEIVER(hook)} failed`);
  });

  it('a slow webhook (1.5 s per answer) gets the alert without a failure, and the daemon is not held up', async () => {
    const hook = new Webhook(await freePort());
    hooks.push(hook);
    await hook.set('slow');
    const d = await daemonWith(['--config', config(hook)]);
    await eventually(() => expect(hook.changes().filter((c) => c.rule === 'broker-unreachable')).toHaveLength(1), 20_000, 100);
    const started = performance.now();
    const m = await metricsOf(d);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(metric(m, 'warren_notifications_failed_total', { receiver: RECEIVER(hook) })).toBe(0);
  });

  it('a webhook that is down: the queue is saved to the state file on SIGTERM and delivered by the next warren process', async () => {
    const hook = new Webhook(await freePort());
    hooks.push(hook);
    const stateDir = mkdtempSync(join(tmpRoot, 'state-'));
    const stateFile = join(stateDir, 'state.json');
    const file = config(hook);

    const first = await daemonWith(['--config', file, '--state-file', stateFile]);
    await eventually(async () => {
      const m = await metricsOf(first);
      expect(metric(m, 'warren_notifications_queued', { receiver: RECEIVER(hook) })).toBe(1);
      expect(metric(m, 'warren_notifications_failed_total', { receiver: RECEIVER(hook) })).toBeGreaterThanOrEqual(1);
    }, 20_000, 100);
    const firing = (JSON.parse(await (await fetch(`${first.url}/alerts`)).text()) as Array<{ rule: string; fingerprint: string }>).find((a) => a.rule === 'broker-unreachable')!;
    expect(await first.stop()).toBe(0);

    // Written whole (temporary file renamed over it): valid JSON, no leftovers, no secrets.
    const saved = readFileSync(stateFile, 'utf8');
    const state = JSON.parse(saved) as { notifiers: { queues: Record<string, { items: Array<{ payload: { fingerprint: string; type: string } }> }> } };
    expect(Object.keys(state.notifiers.queues)).toEqual([RECEIVER(hook)]);
    expect(state.notifiers.queues[RECEIVER(hook)]!.items.map((i) => [i.payload.type, i.payload.fingerprint])).toEqual([['firing', firing.fingerprint]]);
    expect(readdirSync(stateDir)).toEqual(['state.json']);
    expect(saved).not.toContain(HOOK_PASSWORD);
    expect(saved).not.toContain(BROKER_PASSWORD);

    await hook.set('ok');
    const restartedAt = Date.now();
    const second = await daemonWith(['--config', file, '--state-file', stateFile]);
    await eventually(() => expect(hook.changes()).toHaveLength(1), 20_000, 100);
    const delivered = hook.changes()[0]!;
    // The notification the first process queued: same alert, stamped before the second one started.
    expect(delivered).toMatchObject({ type: 'firing', rule: 'broker-unreachable', fingerprint: firing.fingerprint });
    expect(Date.parse(delivered.at)).toBeLessThan(restartedAt);
    // The restored alert state knows it is already firing: the second process does not fire it
    // again. Something that must not happen: give it three polls (each judges the alert and
    // would queue a re-fire), counted on the daemon's /metrics rather than timed.
    await waitForDaemonPolls(second, 3);
    expect(hook.changes()).toHaveLength(1);
    expect(metric(await metricsOf(second), 'warren_notifications_queued', { receiver: RECEIVER(hook) })).toBe(0);
    expect(existsSync(stateFile)).toBe(true);
  });

  it('a crash (SIGKILL, no shutdown): the state file saved after the last poll is whole, and the next process delivers from it', async () => {
    const hook = new Webhook(await freePort());
    hooks.push(hook);
    const stateDir = mkdtempSync(join(tmpRoot, 'state-'));
    const stateFile = join(stateDir, 'state.json');
    const file = config(hook);

    const first = await daemonWith(['--config', file, '--state-file', stateFile]);
    await eventually(() => {
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { notifiers: { queues: Record<string, { items: unknown[] }> } };
      expect(state.notifiers.queues[RECEIVER(hook)]?.items).toHaveLength(1);
    }, 20_000, 100);
    // Saved after every poll: kill it while it keeps saving, two polls later.
    await waitForDaemonPolls(first, 2);
    const exited = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGKILL');
    await exited;
    daemons.splice(daemons.indexOf(first), 1); // gone: nothing to stop
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toBeTruthy();
    // The kill may land between writing a save's temporary file and renaming it; make sure
    // one such leftover (half a document) is there, whether or not this kill left its own.
    const leftovers = () => readdirSync(stateDir).filter((f) => f.startsWith(`state.json.tmp-${first.child.pid}-`));
    writeFileSync(join(stateDir, `state.json.tmp-${first.child.pid}-0badc0de`), '{"version":');

    await hook.set('ok');
    await daemonWith(['--config', file, '--state-file', stateFile]);
    await eventually(() => expect(hook.changes().map((c) => [c.type, c.rule])).toEqual([['firing', 'broker-unreachable']]), 20_000, 100);
    // The next process read the whole file, not the leftover, and removed what the dead one left.
    expect(leftovers()).toEqual([]);
  });
});
