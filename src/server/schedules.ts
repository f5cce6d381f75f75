// Scheduled reports (config `schedules:`): on each cron tick, a report of the period since
// the schedule's previous run -- the alerts that fired and resolved meanwhile (from the
// alert state transitions the daemon records here), the current findings (the full
// report) and the trend of the main totals -- written to a directory (files named by
// time, the newest `keep` kept) or posted to a chat webhook. The clock, the cron and the
// POST are injectable so unit tests drive runs by hand.
import { mkdir, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { schedule as cronSchedule } from 'node-cron';
import type { Logger } from 'pino';
import type { ScheduleConfig } from '../config/index.js';
import { fmtInt, fmtTime } from '../format.js';
import { postJson } from '../notify/index.js';
import { redactUrls } from '../redact.js';
import { buildReport, renderReport, subjectLabel, type ClusterInput, type Report, type ReportFormat } from '../report/index.js';
import type { AlertChange, Severity, Subject } from '../rules/index.js';

/** The totals whose trend a scheduled report shows. */
export const TREND_KEYS = ['queues', 'messages', 'connections', 'channels', 'consumers'] as const;
type TrendKey = (typeof TREND_KEYS)[number];
type Totals = Record<TrendKey, number | null>;

export interface ScheduledAlert {
  type: 'fired' | 'resolved';
  at: string;
  cluster: string;
  rule: string;
  severity: Severity;
  subject: Subject;
  summary: string;
}

export interface TrendRow {
  cluster: string;
  key: TrendKey;
  /** At the previous run (first run: the oldest sample the daemon holds); null when unknown. */
  from: number | null;
  /** null when unknown now (message totals while no queue has statistics). */
  to: number | null;
}

/** What one run produces before it is formatted. */
export interface ScheduledReport {
  schedule: string;
  period: { from: string; to: string };
  alerts: ScheduledAlert[];
  trend: TrendRow[];
  report: Report;
}

/** The cron as the module uses it: node-cron's `schedule` by default. */
export type CronScheduler = (expression: string, run: () => Promise<void>, options: { name: string; timezone?: string }) => { stop(): void | Promise<void> };

export interface ScheduleOptions {
  /** Report inputs of every cluster, now (the same the daemon's /report uses). */
  clusters: () => ClusterInput[];
  log: Logger;
  now?: () => number;
  cron?: CronScheduler;
  post?: (url: string, body: unknown) => Promise<void>;
}

export interface Schedules {
  /** The daemon hands every alert state change here (fired, resolved, severity). */
  record(changes: readonly AlertChange[]): void;
  /** Runs schedule `index` now, as its cron tick would (tests; resolves when written or posted). */
  runNow(index: number): Promise<void>;
  stop(): Promise<void>;
}

/** Transitions kept at most; a storm of alerts must not grow the daemon without bound. */
const MAX_TRANSITIONS = 10_000;
/** A chat message stays readable (and under Slack's 40k limit). */
const MAX_WEBHOOK_TEXT = 30_000;

const defaultCron: CronScheduler = (expression, run, options) =>
  cronSchedule(expression, run, { name: options.name, noOverlap: true, ...(options.timezone ? { timezone: options.timezone } : {}) });

export function startSchedules(configs: readonly ScheduleConfig[], o: ScheduleOptions): Schedules {
  const now = o.now ?? Date.now;
  const started = now();
  let transitions: AlertChange[] = [];
  let running = new Set<Promise<void>>();
  const states = configs.map((cfg, i) => ({
    cfg,
    name: scheduleName(cfg, i),
    lastRunAt: started,
    lastTotals: null as Map<string, Totals> | null,
  }));

  const runOne = async (index: number): Promise<void> => {
    const st = states[index];
    if (!st) throw new Error(`no schedule ${index}`);
    const at = now();
    const inputs = o.clusters();
    const report = buildReport(inputs, new Date(at));
    const totals = new Map(report.clusters.map((c) => [c.name, pick(c.totals)]));
    const before = st.lastTotals ?? firstTotals(inputs, report);
    const scheduled: ScheduledReport = {
      schedule: st.name,
      period: { from: new Date(st.lastRunAt).toISOString(), to: new Date(at).toISOString() },
      alerts: transitions.filter((t) => t.at > st.lastRunAt && t.at <= at && t.type !== 'severity').map(toScheduledAlert),
      trend: report.clusters.flatMap((c) => TREND_KEYS.map((key) => ({ cluster: c.name, key, from: before.get(c.name)?.[key] ?? null, to: pick(c.totals)[key] }))),
      report,
    };
    if (st.cfg.output !== undefined) await writeReport(st.cfg.output, st.name, st.cfg.format, st.cfg.keep, scheduled, at);
    else if (st.cfg.webhook !== undefined) await (o.post ?? defaultPost)(st.cfg.webhook, webhookBody(scheduled, st.cfg.format));
    // Only a delivered report moves the period on: a failed one is covered by the next run.
    st.lastRunAt = at;
    st.lastTotals = totals;
    const oldest = Math.min(...states.map((s) => s.lastRunAt));
    transitions = transitions.filter((t) => t.at > oldest);
  };

  const guarded = (index: number) => async () => {
    const p = runOne(index).catch((err: unknown) => {
      const st = states[index]!;
      o.log.error({ schedule: st.name }, `scheduled report failed: ${redactUrls((err as Error).message)}`);
    });
    running.add(p);
    await p;
    running.delete(p);
  };

  const cron = o.cron ?? defaultCron;
  const tasks = states.map((st, i) => cron(st.cfg.cron, guarded(i), { name: `warren-${st.name}`, ...(st.cfg.timezone ? { timezone: st.cfg.timezone } : {}) }));
  if (states.length) o.log.info({ schedules: states.map((s) => `${s.name} (${s.cfg.cron})`) }, 'scheduled reports');

  return {
    record(changes) {
      if (states.length === 0 || changes.length === 0) return;
      transitions.push(...changes);
      if (transitions.length > MAX_TRANSITIONS) transitions = transitions.slice(-MAX_TRANSITIONS);
    },
    runNow: (index) => runOne(index),
    async stop() {
      await Promise.all(tasks.map((t) => t.stop()));
      await Promise.all([...running]);
      running = new Set();
    },
  };
}

function scheduleName(cfg: ScheduleConfig, index: number): string {
  const raw = cfg.name ?? `schedule${index}`;
  return raw.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '') || `schedule${index}`;
}

function pick(t: Totals): Totals {
  return { queues: t.queues, messages: t.messages, connections: t.connections, channels: t.channels, consumers: t.consumers };
}

/** First run: the trend starts at the oldest sample the daemon still holds. */
function firstTotals(inputs: readonly ClusterInput[], report: Report): Map<string, Totals> {
  const out = new Map<string, Totals>();
  inputs.forEach((c, i) => {
    const oldest = c.samples[0]?.totals;
    const name = report.clusters[i]?.name;
    if (oldest && name !== undefined) out.set(name, pick(oldest));
  });
  return out;
}

function toScheduledAlert(t: AlertChange): ScheduledAlert {
  return {
    type: t.type === 'resolved' ? 'resolved' : 'fired',
    at: new Date(t.at).toISOString(),
    cluster: t.alert.cluster,
    rule: t.alert.rule,
    severity: t.alert.severity,
    subject: t.alert.subject,
    summary: t.alert.summary,
  };
}

const EXTENSION: Record<ReportFormat, string> = { text: 'txt', markdown: 'md', json: 'json', html: 'html' };

/** `warren-daily-20261127T080000Z.txt`: sorts by time as text. */
export function reportFileName(name: string, format: ReportFormat, at: number): string {
  const stamp = new Date(at).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `warren-${name}-${stamp}.${EXTENSION[format]}`;
}

async function writeReport(dir: string, name: string, format: ReportFormat, keep: number, r: ScheduledReport, at: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = reportFileName(name, format, at);
  const tmp = join(dir, `.${file}.tmp`);
  // Written aside and renamed: a reader never sees half a report.
  await writeFile(tmp, formatScheduled(r, format), { mode: 0o640 });
  await rename(tmp, join(dir, file));
  const pattern = new RegExp(`^warren-${name.replace(/[.]/g, '\\.')}-\\d{8}T\\d{6}Z\\.${EXTENSION[format]}$`);
  const mine = (await readdir(dir)).filter((f) => pattern.test(f)).sort();
  for (const old of mine.slice(0, Math.max(0, mine.length - keep))) await unlink(join(dir, old)).catch(() => undefined);
}

/** The report in its format, the period's digest first. */
export function formatScheduled(r: ScheduledReport, format: ReportFormat): string {
  if (format === 'json') {
    return `${JSON.stringify({ schedule: r.schedule, period: r.period, alerts: r.alerts, trend: r.trend, report: r.report }, null, 2)}\n`;
  }
  const body = renderReport(r.report, format, { color: false });
  if (format === 'html') {
    const digest = `<section class="schedule"><pre>${escapeHtml(digestText(r))}</pre></section>`;
    return /<body[^>]*>/.test(body) ? body.replace(/<body[^>]*>/, (m) => `${m}\n${digest}`) : digest + body;
  }
  if (format === 'markdown') return `${digestMarkdown(r)}\n${body}`;
  return `${digestText(r)}\n${body}`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function trendLine(t: TrendRow): string {
  if (t.to === null) return `${t.key} unknown`;
  if (t.from === null) return `${t.key} ${fmtInt(t.to)}`;
  const d = t.to - t.from;
  return `${t.key} ${fmtInt(t.from)} -> ${fmtInt(t.to)} (${d > 0 ? '+' : ''}${fmtInt(d)})`;
}

function alertLine(a: ScheduledAlert): string {
  return `${fmtTime(a.at)}  ${a.type === 'fired' ? 'FIRED   ' : 'RESOLVED'}  ${a.severity} ${a.rule} on ${subjectLabel(a.subject)} (cluster ${a.cluster}): ${a.summary}`;
}

export function digestText(r: ScheduledReport): string {
  const fired = r.alerts.filter((a) => a.type === 'fired').length;
  const lines = [
    `warren scheduled report "${r.schedule}": ${r.report.status.toUpperCase()}`,
    `Period: ${fmtTime(r.period.from)} to ${fmtTime(r.period.to)}`,
    '',
    `Alerts in the period: ${fired} fired, ${r.alerts.length - fired} resolved`,
    ...r.alerts.map((a) => `  ${alertLine(a)}`),
    '',
    'Trend of the main totals:',
    ...[...new Set(r.trend.map((t) => t.cluster))].map((c) => `  ${c}: ${r.trend.filter((t) => t.cluster === c).map(trendLine).join(', ')}`),
    '',
  ];
  return lines.join('\n');
}

function digestMarkdown(r: ScheduledReport): string {
  const fired = r.alerts.filter((a) => a.type === 'fired').length;
  return [
    `# warren scheduled report "${r.schedule}": ${r.report.status.toUpperCase()}`,
    '',
    `Period: ${fmtTime(r.period.from)} to ${fmtTime(r.period.to)}`,
    '',
    `## Alerts in the period: ${fired} fired, ${r.alerts.length - fired} resolved`,
    '',
    ...r.alerts.map((a) => `- ${alertLine(a).replace(/\s{2,}/g, ' ')}`),
    '',
    '## Trend of the main totals',
    '',
    ...[...new Set(r.trend.map((t) => t.cluster))].map((c) => `- **${c}**: ${r.trend.filter((t) => t.cluster === c).map(trendLine).join(', ')}`),
    '',
  ].join('\n');
}

/**
 * A body chat webhooks take as it is: Slack, Mattermost and Rocket.Chat read `text`
 * (markdown in the markdown format, else a code block); the structured digest rides along.
 */
export function webhookBody(r: ScheduledReport, format: ReportFormat): Record<string, unknown> {
  const full = format === 'markdown' ? formatScheduled(r, 'markdown') : `\`\`\`\n${formatScheduled(r, 'text')}\n\`\`\``;
  const text = full.length > MAX_WEBHOOK_TEXT ? `${full.slice(0, MAX_WEBHOOK_TEXT)}\n... (cut; the full report is at /report)` : full;
  return { text, username: 'warren', schedule: r.schedule, status: r.report.status, period: r.period, alerts: r.alerts, trend: r.trend };
}

const defaultPost = (url: string, body: unknown) => postJson(url, body, { timeoutMs: 15_000 });

