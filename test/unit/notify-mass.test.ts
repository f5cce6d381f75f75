// A mass failure and a dead receiver: alerts go to Alertmanager in batches (one request
// per batch), and the log writes at most one line per receiver per minute, with counts,
// never one per alert or per dropped notification. Time is a FakeClock.
import { describe, expect, it } from 'vitest';
import { ALERTMANAGER_BATCH, createNotifiers } from '../../src/notify/index.js';
import { LOG_EACH, logAlertChanges } from '../../src/notify/log.js';
import { receiverTroubleLog } from '../../src/notify/trouble-log.js';
import { DeliveryError } from '../../src/notify/http.js';
import { activeAlerts, emptyAlertState, stepAlerts } from '../../src/rules/alerts.js';
import type { Finding } from '../../src/rules/types.js';
import { FakeClock } from '../support/clock.js';

interface Line {
  at: number;
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

function recorder(clock?: FakeClock) {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ at: clock?.now() ?? 0, level, obj: obj as Record<string, unknown>, msg });
  return { lines, logger: { error: at('error'), warn: at('warn'), info: at('info') } as never };
}

function hostFindings(n: number): Finding[] {
  return Array.from({ length: n }, (_, i) => {
    const host = `cmp-${String(i).padStart(4, '0')}`;
    return {
      rule: 'openstack-host-queue-unconsumed',
      severity: 'critical' as const,
      subject: { kind: 'queue' as const, name: `compute.${host}`, vhost: '/' },
      summary: `compute.${host} has no consumer: nova-compute on ${host} is down`,
      remedy: 'Start nova-compute.',
      evidence: {},
      labels: { service: 'nova', host },
    };
  });
}

function fireMany(n: number, now: number) {
  return stepAlerts(emptyAlertState(), hostFindings(n), now, 'prod', [{ id: 'openstack-host-queue-unconsumed', forSeconds: 0 }]);
}

describe('the log during a mass failure', () => {
  it('says 5,000 alert changes of one rule in one line, and a few changes one by one', () => {
    const { lines, logger } = recorder();
    logAlertChanges(logger, fireMany(5000, 0).changes);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', obj: { event: 'alerts', rule: 'openstack-host-queue-unconsumed', count: 5000 } });
    expect(lines[0]!.msg).toBe('5,000 openstack-host-queue-unconsumed alerts firing (critical) on prod: compute.cmp-0000, compute.cmp-0001, compute.cmp-0002 and 4,997 more');
    const few = recorder();
    logAlertChanges(few.logger, fireMany(LOG_EACH, 0).changes);
    expect(few.lines).toHaveLength(LOG_EACH);
    expect(few.lines[0]!.obj).toMatchObject({ event: 'alert' });
  });

  it('a receiver in trouble: the first line at once, then at most one line a minute, with counts', async () => {
    const clock = new FakeClock();
    const { lines, logger } = recorder(clock);
    const log = receiverTroubleLog({ receiver: 'http://am:9093', logger, clock });
    log.failed(new Error('connect ECONNREFUSED 127.0.0.1:9'), 1, 1000);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toBe('delivery to http://am:9093 failed (1 in a row, last: connect ECONNREFUSED 127.0.0.1:9), retrying in 1s');
    // Ten minutes of trouble: a failure every 5 s, 100 drops every second.
    let failures = 1;
    let drops = 0;
    for (let s = 1; s <= 600; s++) {
      await clock.advance(1000);
      if (s % 5 === 0) log.failed(new Error('connect ECONNREFUSED 127.0.0.1:9'), ++failures, 5000);
      log.dropped(100, 10, 'full');
      drops += 100;
    }
    await clock.advance(60_000);
    // 11 minutes with trouble: a line at once, then one a minute.
    expect(lines.length).toBeGreaterThanOrEqual(11);
    expect(lines.length).toBeLessThanOrEqual(12);
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.at - lines[i - 1]!.at).toBeGreaterThanOrEqual(60_000);
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.msg).toMatch(/ in the last 1m$/);
    const sum = (k: string) => lines.reduce((n, l) => n + Number(l.obj[k] ?? 0), 0);
    expect(sum('dropped')).toBe(drops);
    expect(sum('droppedResolved')).toBe(drops / 10);
    expect(sum('failed')).toBe(failures);
    expect(lines[1]!.msg).toBe('delivery to http://am:9093 failed 11 times (12 in a row, last: connect ECONNREFUSED 127.0.0.1:9), retrying in 5s; dropped 5,900 notifications (5,900 delivery queue full; 590 resolved) in the last 1m');
    // Quiet again: nothing more is written.
    const before = lines.length;
    await clock.advance(10 * 60_000);
    expect(lines).toHaveLength(before);
  });
});

describe('delivery of a mass failure', () => {
  it('posts 5,000 firing alerts to Alertmanager in batches, one request per batch', { timeout: 60_000 }, async () => {
    const clock = new FakeClock();
    const { lines, logger } = recorder();
    const requests: number[] = [];
    const n = createNotifiers({
      alertmanagerUrls: ['http://am:9093'],
      webhookUrls: [],
      logger,
      clock,
      alertmanagerPost: async (_url, body) => void requests.push(body.length),
    });
    const step = fireMany(5000, clock.now());
    n.deliver(step.changes, activeAlerts(step.state));
    await clock.advance(1000);
    expect(requests).toEqual(Array(5000 / ALERTMANAGER_BATCH).fill(ALERTMANAGER_BATCH));
    expect(n.stats()[0]).toMatchObject({ sent: 5000, dropped: 0, queued: 0 });
    expect(lines).toHaveLength(1); // the alerts, in one line
    n.close();
  });

  it('with a receiver that refuses connections: stays quiet over twelve polls, keeps every alert, delivers in batches when it answers', { timeout: 120_000 }, async () => {
    const clock = new FakeClock();
    const { lines, logger } = recorder(clock);
    let up = false;
    const requests: number[] = [];
    const n = createNotifiers({
      alertmanagerUrls: ['http://am:9093'],
      webhookUrls: [],
      logger,
      clock,
      resendIntervalMs: 60_000,
      alertmanagerPost: async (_url, body) => {
        if (!up) throw new DeliveryError('connect ECONNREFUSED 127.0.0.1:9');
        requests.push(body.length);
      },
    });
    let state = emptyAlertState();
    const findings = hostFindings(5000);
    // Twelve polls, a minute apart: each re-evaluates the same 5,000 findings and re-sends.
    for (let poll = 0; poll < 12; poll++) {
      const step = stepAlerts(state, findings, clock.now(), 'prod', [{ id: 'openstack-host-queue-unconsumed', forSeconds: 0 }]);
      state = step.state;
      n.deliver(step.changes, activeAlerts(state));
      await clock.advance(60_000);
    }
    // 12 minutes: the alerts' line, and at most one trouble line a minute.
    expect(lines.filter((l) => l.obj.event === 'alerts')).toHaveLength(1);
    const trouble = lines.filter((l) => l.obj.event === 'notification-trouble');
    expect(trouble.length).toBeGreaterThanOrEqual(1);
    expect(trouble.length).toBeLessThanOrEqual(13);
    for (let i = 1; i < trouble.length; i++) expect(trouble[i]!.at - trouble[i - 1]!.at).toBeGreaterThanOrEqual(60_000);
    expect(lines.length).toBe(1 + trouble.length);
    expect(n.stats()[0]).toMatchObject({ queued: 5000, dropped: 0 });
    expect(trouble.reduce((k, l) => k + Number(l.obj.failed), 0)).toBe(n.stats()[0]!.failed);

    up = true;
    await clock.advance(10 * 60_000);
    expect(requests.length).toBe(5000 / ALERTMANAGER_BATCH);
    expect(requests.every((r) => r === ALERTMANAGER_BATCH)).toBe(true);
    n.close();
  });
});
