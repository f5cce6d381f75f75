// Issue 17, scheduled reports without waiting for a clock: runs are driven through an
// injected cron and clock; the file writes and the retention are real (a temp directory).
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type ScheduleConfig } from '../../src/config/index.js';
import type { ClusterInput } from '../../src/report/index.js';
import type { AlertChange, Alert } from '../../src/rules/alerts.js';
import type { Finding } from '../../src/rules/types.js';
import { reportFileName, startSchedules, type CronScheduler } from '../../src/server/schedules.js';
import { later, makeSnapshot, makeTotals } from '../support/snapshot.js';

const log = pino({ level: 'silent' });
const T0 = Date.parse('2026-11-27T08:00:00Z');

function fakeCron() {
  const registered: Array<{ expression: string; run: () => Promise<void>; stopped: boolean }> = [];
  const cron: CronScheduler = (expression, run) => {
    const entry = { expression, run, stopped: false };
    registered.push(entry);
    return { stop: () => void (entry.stopped = true) };
  };
  return { cron, registered };
}

const first = makeSnapshot({ takenAt: T0 - 60_000, totals: makeTotals({ queues: 10, messages: 100, connections: 5 }) });
const finding: Finding = { rule: 'memory-alarm', severity: 'critical', subject: { kind: 'node', name: 'rabbit@a' }, summary: 'Memory alarm on rabbit@a', remedy: 'Drain queues.', evidence: {} };
function inputs(queues: number): ClusterInput[] {
  const now = later(first, 60, { totals: makeTotals({ queues, messages: 150, connections: 5 }) });
  return [{ target: 'prod', url: 'http://rabbit:15672', samples: [first, now], findings: [finding], view: null }];
}

function change(type: 'firing' | 'resolved', at: number, rule: string): AlertChange {
  const alert = { fingerprint: rule, cluster: 'prod', rule, subject: { kind: 'node', name: 'rabbit@a' }, severity: 'critical', summary: `${rule} summary` } as unknown as Alert;
  return { type, alert, at };
}

const schedule = (p: Partial<ScheduleConfig>): ScheduleConfig => ({ cron: '0 8 * * *', format: 'text', keep: 3, ...p }) as ScheduleConfig;

describe('scheduled reports', () => {
  it('writes a file named by time covering the period since the previous run: alerts fired and resolved, findings, trend', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-sched-'));
    let now = T0;
    let queues = 12;
    const { cron, registered } = fakeCron();
    const s = startSchedules([schedule({ name: 'daily', output: dir })], { clusters: () => inputs(queues), log, now: () => now, cron });
    expect(registered.map((r) => r.expression)).toEqual(['0 8 * * *']);

    s.record([change('firing', T0 - 1000, 'before-start')]);
    now = T0 + 3_600_000;
    s.record([change('firing', T0 + 60_000, 'memory-alarm'), change('resolved', T0 + 120_000, 'disk-alarm')]);
    await registered[0]!.run();
    const files1 = readdirSync(dir);
    expect(files1).toEqual(['warren-daily-20261127T090000Z.txt']);
    const text1 = readFileSync(join(dir, files1[0]!), 'utf8');
    expect(text1).toContain('Period: 2026-11-27 08:00:00 UTC to 2026-11-27 09:00:00 UTC');
    expect(text1).toContain('1 fired, 1 resolved');
    expect(text1).toMatch(/FIRED .*memory-alarm/);
    expect(text1).toMatch(/RESOLVED .*disk-alarm/);
    expect(text1).not.toContain('before-start');
    // First run: the trend starts at the oldest sample held.
    expect(text1).toContain('queues 10 -> 12 (+2)');
    // The current findings: the full report follows.
    expect(text1).toContain('Memory alarm on rabbit@a');

    // Second run: only what happened since the first; the trend from the first run's totals.
    now = T0 + 7_200_000;
    queues = 9;
    s.record([change('resolved', T0 + 4_000_000, 'memory-alarm')]);
    await registered[0]!.run();
    const text2 = readFileSync(join(dir, 'warren-daily-20261127T100000Z.txt'), 'utf8');
    expect(text2).toContain('0 fired, 1 resolved');
    expect(text2).not.toContain('disk-alarm');
    expect(text2).toContain('queues 12 -> 9 (-3)');
    await s.stop();
    expect(registered[0]!.stopped).toBe(true);
  });

  it('keeps only the newest `keep` files of the schedule, leaving other files alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-sched-keep-'));
    const seeded = [1, 2, 3, 4].map((h) => reportFileName('hourly', 'json', T0 - h * 3_600_000));
    for (const f of seeded) writeFileSync(join(dir, f), '{}');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    writeFileSync(join(dir, reportFileName('other', 'json', T0 - 86_400_000)), '{}');
    let now = T0;
    const { cron, registered } = fakeCron();
    const s = startSchedules([schedule({ name: 'hourly', output: dir, format: 'json', keep: 2 })], { clusters: () => inputs(11), log, now: () => now, cron });
    now = T0 + 60_000;
    await registered[0]!.run();
    const left = readdirSync(dir).sort();
    expect(left).toEqual(['notes.txt', reportFileName('hourly', 'json', T0 - 3_600_000), reportFileName('hourly', 'json', T0 + 60_000), reportFileName('other', 'json', T0 - 86_400_000)].sort());
    const json = JSON.parse(readFileSync(join(dir, reportFileName('hourly', 'json', T0 + 60_000)), 'utf8')) as { schedule: string; report: { status: string }; trend: unknown[] };
    expect(json.schedule).toBe('hourly');
    expect(json.report.status).toBe('critical');
    expect(json.trend).toContainEqual({ cluster: expect.any(String), key: 'queues', from: 10, to: 11 });
    await s.stop();
  });

  it('posts a chat-friendly JSON body to a webhook; a failed post is logged and the next run covers its period', async () => {
    const posts: Array<{ url: string; body: Record<string, unknown> }> = [];
    let fail = true;
    let now = T0;
    const { cron, registered } = fakeCron();
    const s = startSchedules([schedule({ name: 'chat', webhook: 'https://chat.example/hooks/x', format: 'markdown' })], {
      clusters: () => inputs(10),
      log,
      now: () => now,
      cron,
      post: async (url, body) => {
        if (fail) throw new Error('POST https://chat.example/hooks/x answered 503');
        posts.push({ url, body: body as Record<string, unknown> });
      },
    });
    s.record([change('firing', T0 + 1000, 'memory-alarm')]);
    now = T0 + 60_000;
    await registered[0]!.run(); // the cron's task: errors are logged, never thrown
    expect(posts).toEqual([]);
    fail = false;
    now = T0 + 120_000;
    await registered[0]!.run();
    expect(posts).toHaveLength(1);
    expect(posts[0]!.url).toBe('https://chat.example/hooks/x');
    const text = posts[0]!.body.text as string;
    expect(text).toContain('# warren scheduled report "chat": CRITICAL');
    // The failed run's period is not lost.
    expect(text).toContain('1 fired, 0 resolved');
    expect(posts[0]!.body).toMatchObject({ status: 'critical', schedule: 'chat', period: { from: new Date(T0).toISOString(), to: new Date(T0 + 120_000).toISOString() } });
    await s.stop();
  });
});

describe('schedules config', () => {
  const file = (schedules: unknown) => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-sched-cfg-'));
    const f = join(dir, 'warren.yml');
    writeFileSync(f, stringify({ schedules }));
    return f;
  };
  const error = (schedules: unknown): string => {
    try {
      loadConfig({ config: file(schedules) }, {});
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('a wrong cron expression is one line naming the key', () => {
    const msg = error([{ cron: '61 * * * *', output: '/tmp/x' }]);
    expect(msg).toMatch(/schedules\.0\.cron: got "61 \* \* \* \*", expected a cron expression/);
    expect(msg).not.toContain('\n');
  });

  it('needs exactly one destination', () => {
    expect(error([{ cron: '* * * * *' }])).toContain('one destination');
    expect(error([{ cron: '* * * * *', output: '/tmp/x', webhook: 'http://chat/x' }])).toContain('one destination');
    expect(error([{ cron: '* * * * *', output: '/tmp/x', timezone: 'Mars/Olympus' }])).toMatch(/schedules\.0\.timezone: got "Mars\/Olympus", expected an IANA time zone/);
  });

  it('refuses two schedules of one name: they would prune each other\'s files', () => {
    expect(error([{ name: 'a', cron: '* * * * *', output: '/tmp/x' }, { name: 'a', cron: '0 * * * *', output: '/tmp/x' }])).toContain('schedules: got');
  });

  it('defaults: text format, keep 30; none configured: no schedules', () => {
    expect(loadConfig({ config: file([{ cron: '0 8 * * 1', output: '/var/lib/warren/reports' }]) }, {}).schedules).toEqual([
      { cron: '0 8 * * 1', output: '/var/lib/warren/reports', format: 'text', keep: 30 },
    ]);
    expect(loadConfig({}, {}).schedules).toEqual([]);
  });
});
