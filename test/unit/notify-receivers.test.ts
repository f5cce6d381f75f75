import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAlertmanagerNotifier } from '../../src/notify/alertmanager.js';
import { DeliveryError, PermanentDeliveryError, postJson } from '../../src/notify/http.js';
import { redactUrls } from '../../src/redact.js';
import { createNotifiers } from '../../src/notify/index.js';
import { logAlertChange } from '../../src/notify/log.js';
import type { Clock } from '../../src/notify/queue.js';
import { loadState, saveState } from '../../src/notify/state.js';
import { createWebhookNotifier } from '../../src/notify/webhook.js';
import { activeAlerts, emptyAlertState, stepAlerts, type AlertChange } from '../../src/rules/alerts.js';
import type { Finding } from '../../src/rules/types.js';

interface Received {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

let server: Server;
let base: string;
const received: Received[] = [];
let nextStatus: number[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, contentType: req.headers['content-type'], body: data ? JSON.parse(data) : null });
      const status = nextStatus.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? '' : `error ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${addr.port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

afterEach(() => {
  received.length = 0;
  nextStatus = [];
});

const rules = [
  { id: 'openstack-host-queue-unconsumed', forSeconds: 0 },
  { id: 'queue-backlog', forSeconds: 0 },
];
const T0 = Date.parse('2026-11-22T03:00:00Z');

const hostDown: Finding = {
  rule: 'openstack-host-queue-unconsumed',
  severity: 'critical',
  subject: { kind: 'queue', name: 'compute.cmp-01', vhost: '/' },
  summary: 'compute.cmp-01 has no consumer: nova-compute on cmp-01 is down',
  remedy: 'Start nova-compute on cmp-01.',
  evidence: { messages: 3 },
  labels: { service: 'nova', host: 'cmp-01' },
};

/** A real clock for HTTP tests, with a settable "now" for resend timing. */
function clockAt(now: { t: number }): Clock {
  return { now: () => now.t, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };
}

async function until(pred: () => boolean, ms = 3000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function fire(): { changes: AlertChange[]; state: ReturnType<typeof emptyAlertState> } {
  return stepAlerts(emptyAlertState(), [hostDown], T0, 'rabbit@ctl-1', rules);
}

describe('Alertmanager delivery', () => {
  it('POSTs /api/v2/alerts with labels, annotations, startsAt and a future endsAt, using basic auth from the URL', async () => {
    const now = { t: T0 };
    const am = createAlertmanagerNotifier({ url: `http://warren:s3cret@127.0.0.1:${new URL(base).port}/`, clock: clockAt(now) });
    expect(am.receiver).not.toContain('s3cret');
    am.notify(fire().changes);
    await until(() => received.length === 1);
    const r = received[0]!;
    expect(r).toMatchObject({ method: 'POST', url: '/api/v2/alerts', contentType: 'application/json' });
    expect(Buffer.from(r.authorization!.replace('Basic ', ''), 'base64').toString()).toBe('warren:s3cret');
    expect(r.body).toEqual([
      {
        labels: { alertname: 'openstack-host-queue-unconsumed', severity: 'critical', cluster: 'rabbit@ctl-1', queue: 'compute.cmp-01', vhost: '/', service: 'nova', host: 'cmp-01' },
        annotations: { summary: hostDown.summary, remedy: hostDown.remedy },
        startsAt: new Date(T0).toISOString(),
        endsAt: new Date(T0 + 4 * 60_000).toISOString(),
      },
    ]);
    am.queue.close();
  });

  it('sends endsAt = resolution time when resolved, and old-labels-resolved + new-labels-firing on a severity change', async () => {
    const now = { t: T0 };
    const am = createAlertmanagerNotifier({ url: base, clock: clockAt(now) });
    const first = fire();
    const severity = stepAlerts(first.state, [{ ...hostDown, severity: 'warning' }], T0 + 30_000, 'rabbit@ctl-1', rules, { resolveAfterEvaluations: 1, resolveAfterMs: 0 });
    am.notify(severity.changes);
    await until(() => received.length === 1);
    const body = received[0]!.body as Array<{ labels: Record<string, string>; endsAt: string }>;
    expect(body.map((a) => [a.labels.severity, a.endsAt])).toEqual([
      ['critical', new Date(T0 + 30_000).toISOString()],
      ['warning', new Date(T0 + 4 * 60_000).toISOString()],
    ]);
    expect(body[0]!.labels).toMatchObject({ service: 'nova', host: 'cmp-01', queue: 'compute.cmp-01' });
    received.length = 0;
    const resolved = stepAlerts(severity.state, [], T0 + 60_000, 'rabbit@ctl-1', rules, { resolveAfterEvaluations: 1, resolveAfterMs: 0 });
    am.notify(resolved.changes);
    await until(() => received.length === 1);
    expect((received[0]!.body as Array<{ endsAt: string }>)[0]!.endsAt).toBe(new Date(T0 + 60_000).toISOString());
    am.queue.close();
  });

  it('re-sends firing alerts every resend interval so Alertmanager does not expire them', async () => {
    const now = { t: T0 };
    const am = createAlertmanagerNotifier({ url: base, clock: clockAt(now), resendIntervalMs: 60_000 });
    const { state } = fire();
    expect(am.resend(activeAlerts(state))).toBe(true);
    expect(am.resend(activeAlerts(state))).toBe(false);
    now.t += 59_000;
    expect(am.resend(activeAlerts(state))).toBe(false);
    expect(await am.queue.drain(2000)).toBe(true);
    now.t += 1000;
    expect(am.resend(activeAlerts(state))).toBe(true);
    expect(await am.queue.drain(2000)).toBe(true);
    am.queue.close();
    expect(received).toHaveLength(2);
    const last = received[1]!.body as Array<{ endsAt: string; labels: Record<string, string> }>;
    expect(last[0]!.labels.alertname).toBe('openstack-host-queue-unconsumed');
    // the re-send fixes endsAt from its own send time
    expect(last[0]!.endsAt).toBe(new Date(now.t + 4 * 60_000).toISOString());
  });

  it('retries a 503 and counts the failure; the error names the URL without the password', async () => {
    const now = { t: T0 };
    const errors: string[] = [];
    const am = createAlertmanagerNotifier({
      url: `http://warren:s3cret@127.0.0.1:${new URL(base).port}`,
      clock: clockAt(now),
      queue: { baseDelayMs: 10, maxDelayMs: 20, onError: (e) => errors.push((e as Error).message) },
    });
    nextStatus = [503];
    am.notify(fire().changes);
    await until(() => am.queue.stats().sent === 1);
    expect(received).toHaveLength(2);
    expect(am.queue.stats()).toMatchObject({ failed: 1, sent: 1, queued: 0 });
    expect(errors[0]).toMatch(/answered 503/);
    expect(errors[0]).not.toContain('s3cret');
    expect(errors[0]).toContain('http://127.0.0.1:');
    am.queue.close();
  });
});

describe('webhook delivery', () => {
  it('POSTs the documented change payload', async () => {
    const w = createWebhookNotifier({ url: `${base}/hook` });
    const first = fire();
    const resolved = stepAlerts(first.state, [], T0 + 90_000, 'rabbit@ctl-1', rules, { resolveAfterEvaluations: 1 });
    w.notify([...first.changes, ...resolved.changes]);
    await until(() => received.length >= 1);
    const body = received[0]!.body as { version: string; source: string; changes: Array<Record<string, unknown>> };
    expect(received[0]!.url).toBe('/hook');
    expect(body.version).toBe('1');
    expect(body.source).toBe('warren');
    expect(body.changes).toHaveLength(2);
    expect(body.changes[0]).toMatchObject({
      type: 'firing',
      status: 'firing',
      rule: 'openstack-host-queue-unconsumed',
      severity: 'critical',
      cluster: 'rabbit@ctl-1',
      subject: { kind: 'queue', name: 'compute.cmp-01', vhost: '/' },
      summary: hostDown.summary,
      remedy: hostDown.remedy,
      evidence: { messages: 3 },
      startsAt: new Date(T0).toISOString(),
      endsAt: null,
    });
    expect(body.changes[0]!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(body.changes[1]).toMatchObject({ type: 'resolved', status: 'resolved', endsAt: new Date(T0 + 90_000).toISOString() });
    w.queue.close();
  });
});

describe('postJson', () => {
  it('treats 4xx as permanent, 429 and 5xx as retryable, and connection errors as retryable without credentials', async () => {
    nextStatus = [400, 429, 500];
    await expect(postJson(`${base}/x`, {}, { timeoutMs: 2000 })).rejects.toBeInstanceOf(PermanentDeliveryError);
    const e429 = await postJson(`${base}/x`, {}, { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(e429).toBeInstanceOf(DeliveryError);
    expect(e429).not.toBeInstanceOf(PermanentDeliveryError);
    await expect(postJson(`${base}/x`, {}, { timeoutMs: 2000 })).rejects.toThrow(/answered 500: error 500/);
    const refused = await postJson('http://u:pw-here@127.0.0.1:1/api', {}, { timeoutMs: 2000 }).catch((e: unknown) => e as Error);
    expect(refused).toBeInstanceOf(DeliveryError);
    expect((refused as Error).message).not.toContain('pw-here');
  });

  it('redactUrls strips userinfo', () => {
    expect(redactUrls('https://a:b@am.example:9093/x')).toBe('https://am.example:9093/x');
    expect(redactUrls('http://am:9093')).toBe('http://am:9093');
  });
});

describe('log delivery', () => {
  it('writes one structured line per change at a level that matches', () => {
    const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
    const logger = {
      error: (obj: object, msg: string) => lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
      warn: (obj: object, msg: string) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
      info: (obj: object, msg: string) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    };
    const first = fire();
    const resolved = stepAlerts(first.state, [], T0 + 90_000, 'rabbit@ctl-1', rules, { resolveAfterEvaluations: 1 });
    for (const c of [...first.changes, ...resolved.changes]) logAlertChange(logger as never, c);
    expect(lines.map((l) => [l.level, l.obj.change, l.obj.rule])).toEqual([
      ['error', 'firing', 'openstack-host-queue-unconsumed'],
      ['info', 'resolved', 'openstack-host-queue-unconsumed'],
    ]);
    expect(lines[0]!.obj).toMatchObject({ event: 'alert', cluster: 'rabbit@ctl-1', severity: 'critical' });
    expect(lines[0]!.msg).toContain('nova-compute on cmp-01 is down');
  });
});

describe('createNotifiers', () => {
  it('logs every change, delivers to every receiver, and reports stats per receiver without credentials', async () => {
    const lines: string[] = [];
    const push = (_: object, m: string) => void lines.push(m);
    const logger = { error: push, warn: push, info: push } as never;
    const n = createNotifiers({ alertmanagerUrls: [`http://a:secret@127.0.0.1:${new URL(base).port}`], webhookUrls: [`${base}/hook`], logger });
    const { changes, state } = fire();
    n.deliver(changes, activeAlerts(state));
    await until(() => received.length >= 2);
    expect(received.map((r) => r.url).sort()).toEqual(['/api/v2/alerts', '/hook']);
    expect(lines).toHaveLength(1);
    expect(n.stats().map((s) => s.receiver)).toEqual([`http://127.0.0.1:${new URL(base).port}`, `${base}/hook`]);
    expect(JSON.stringify(n.toJSON())).not.toContain('secret');
    await n.drain(1000);
    n.close();
  });
});

describe('state file', () => {
  it('saveState writes atomically (no temporary file left) and loadState reads it back; missing is null', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warren-state-'));
    try {
      const path = join(dir, 'sub', 'state.json');
      expect(await loadState(path)).toBeNull();
      await saveState(path, { a: 1 });
      await saveState(path, { a: 2, queues: {} });
      expect(await loadState(path)).toEqual({ a: 2, queues: {} });
      expect(await readdir(join(dir, 'sub'))).toEqual(['state.json']);
      await writeFile(path, '{not json');
      await expect(loadState(path)).rejects.toThrow(/not valid JSON/);
      expect(await readFile(path, 'utf8')).toBe('{not json');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
