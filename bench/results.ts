// The benchmark's result as data (what bench/results/*.json hold), and the pure
// functions that turn it into the stdout table, the target verdicts and BENCHMARKS.md.

import type { PollSample } from './poll-child.js';
import { median } from './measure.js';

export type ContenderId = 'warren-prometheus' | 'warren-management' | 'plugin-detailed' | 'plugin-detailed-counters' | 'plugin-per-object' | 'full-api-queues';

export const CONTENDERS: ReadonlyArray<{ id: ContenderId; label: string; color: string; dashed: boolean }> = [
  { id: 'warren-prometheus', label: 'warren (plugin source)', color: '#1b7837', dashed: false },
  { id: 'warren-management', label: 'warren (management source)', color: '#2166ac', dashed: false },
  { id: 'plugin-detailed', label: 'plugin /metrics/detailed (queue families)', color: '#e08214', dashed: true },
  { id: 'plugin-detailed-counters', label: 'plugin /metrics/detailed (channel_queue families)', color: '#8c510a', dashed: true },
  { id: 'plugin-per-object', label: 'plugin /metrics/per-object', color: '#b2182b', dashed: true },
  { id: 'full-api-queues', label: 'full /api/queues (kbudde)', color: '#542788', dashed: true },
];

export interface EndpointSample {
  wallMs: number;
  bytes: number;
  status: number;
  brokerCpuMs: number;
}

/** process.memoryUsage() of a warren poll process after its last poll, MiB. */
export interface MemoryBreakdown {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  arrayBuffersMb: number;
}

export interface ContenderResult {
  id: ContenderId;
  /** Warren: one sample per poll cycle. */
  polls?: PollSample[];
  maxRssMb?: number;
  memory?: MemoryBreakdown;
  /** Broker endpoints: one sample per request. */
  requests?: EndpointSample[];
  error?: string;
}

export interface ScrapeSummary {
  queueSource: string;
  /** Accept-Encoding of the scrapers (absent in results from before gzip: identity). */
  encoding?: 'gzip' | 'identity';
  intervalS: number;
  windowS: number;
  scrapers: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  series: number;
  expositionBytes: number;
  errors: number;
  /** From the daemon's own exposition at the end of the window. */
  pollDurationS: number;
  pollRequests: number;
  pollSkipped: number;
  pollErrors: number;
  daemonPeakRssMb: number;
  /** How long the daemon ran before the scrapers started (its history filling up), s. */
  warmupS?: number;
  /** Queues with published, delivered and acked counters on the daemon's /metrics. */
  counterQueues?: number;
  /** Each scrape: start (ms into the window) and latency (ms). */
  timeline?: Array<[number, number]>;
  /** Why another queue source stood in. */
  note?: string;
  error?: string;
}

export interface SizeResult {
  queues: number;
  brokerQueues: number;
  exchanges: number;
  queuesWithMessages: number;
  messages: number;
  connections: number;
  channels: number;
  consumers: number;
  buildS: number;
  brokerIdleCpuMsPerS: number;
  brokerMemMb: number;
  /** When this size was measured, and the machine's load average then (runs may be merged). */
  measuredAt?: string;
  loadAvg?: number[];
  /** Most RabbitMQ nodes other than the benchmark's seen running while this size was measured. */
  otherBrokersSeen?: number;
  contenders: ContenderResult[];
  /** As Prometheus scrapes (gzip), then the same daemon scraped uncompressed. */
  scrape?: ScrapeSummary;
  scrapePlain?: ScrapeSummary;
  /** Profiles taken at this size because a target was missed here. */
  profiles?: ProfileNote[];
}

/** A CPU profile taken to explain a missed target, summarised (bench/profile-summary.ts). */
export interface ProfileNote {
  /** `poll`: warren's plugin-source poll child; `daemon`: `warren run` under the scrapers. */
  of: 'poll' | 'daemon';
  /** Why it was taken: the targets missed at this size. */
  reason: string;
  /** The .cpuprofile, relative to the results directory. */
  file: string;
  summary: string;
  memory?: MemoryBreakdown;
  error?: string;
}

/** One line the daemon logged: when (pino's `time`), and its `event` field if any. */
export interface LogLine {
  at: number;
  event?: string;
}

export interface MassFailureResult {
  hosts: number;
  intervalS: number;
  /** The log is measured for this long once every per-host alert fires. */
  windowS: number;
  /** From the hosts losing their consumers to every per-host alert firing, s. */
  fireAfterS: number;
  alertsFiring: number;
  correlatedOutage: boolean;
  logLinesSinceLoss: number;
  logLinesInWindow: number;
  /** Over the window with every alert firing and the receiver refusing connections. */
  logLinesPerMinute: number;
  /** The most lines in any minute since the loss. */
  maxLogLinesInAMinute: number;
  /** The most notification-trouble lines (one receiver) in any minute since the loss. */
  troubleLinesMaxPerMinute: number;
  /** Lines of `event: alert` (one per alert) since the loss. */
  perAlertLines: number;
  notificationsFailed: number;
  notificationsDropped: number;
  daemonPeakRssMb: number;
  pollDurationS: number;
  reportExit: number;
  reportLines: number;
  reportFindingLines: number;
  reportBytes: number;
  /** The report's grouped line for nova-compute, if it has one. */
  reportGroupedLine: string;
  checkExit: number;
  checkLineBytes: number;
  checkLine: string;
  error?: string;
}

/** How many of `times` fall in each whole minute from `from` (the last, partial minute included when it has any). */
export function minuteCounts(times: readonly number[], from: number, to: number): number[] {
  const n = Math.max(1, Math.ceil((to - from) / 60_000));
  const out = new Array<number>(n).fill(0);
  for (const t of times) {
    if (t < from || t > to) continue;
    out[Math.min(n - 1, Math.floor((t - from) / 60_000))]!++;
  }
  return out;
}

export interface Machine {
  cpu: string;
  cores: number;
  memGiB: number;
  os: string;
  kernel: string;
  node: string;
  rabbitmq: string;
  erlang: string;
  loadAvgAtStart: number[];
  otherBrokersAtStart: number;
}

export interface BenchResult {
  startedAt: string;
  durationS: number;
  command: string;
  options: {
    sizes: number[];
    connections: number;
    polls: number;
    warmup: number;
    intervalS: number;
    scrapeSeconds: number;
    publishRate: number;
    slowTimeoutS: number;
    statsIntervalMs: number;
    daemonSource?: string;
    daemonWarmupS?: number;
    massHosts?: number;
    massWindowS?: number;
    /** warren's request timeout, s, when the run set one (--warren-timeout). */
    warrenTimeoutS?: number;
  };
  machine: Machine;
  sizes: SizeResult[];
  massFailure?: MassFailureResult;
}

/** The numbers a table row shows for one contender at one size (medians over polls/requests). */
export interface Row {
  id: ContenderId;
  label: string;
  queues: number;
  wallMs: number;
  wallMaxMs: number;
  /** Warren: the collect part of the cycle (broker requests + parse + classify). */
  collectMs: number;
  requests: number;
  /** Requests of a poll that also refreshes the slow inventory tier (every 5 min; the first poll). */
  requestsFirst: number;
  bytes: number;
  cpuMs: number;
  maxRssMb: number;
  renderMs: number;
  series: number;
  brokerCpuMs: number;
  /** Warren: queues with per-queue counters in its exposition (last measured poll). */
  counterQueues: number;
  error?: string;
}

export function rowOf(size: SizeResult, c: ContenderResult): Row {
  const meta = CONTENDERS.find((x) => x.id === c.id)!;
  const base = { id: c.id, label: meta.label, queues: size.queues, ...(c.error ? { error: c.error } : {}) };
  if (c.polls) {
    const p = c.polls;
    // Steady state: the measured polls after the warm-up (which filled the history window).
    const measured = p.filter((s) => !s.warmup);
    const steady = measured.length > 0 ? measured : p;
    return {
      ...base,
      wallMs: median(steady.map((s) => s.cycleMs)),
      wallMaxMs: Math.max(...steady.map((s) => s.cycleMs)),
      collectMs: median(steady.map((s) => s.collectMs)),
      requests: median(steady.map((s) => s.requests)),
      requestsFirst: p[0]?.requests ?? NaN,
      bytes: median(steady.map((s) => s.bytes)),
      cpuMs: median(steady.map((s) => s.cpuMs)),
      maxRssMb: c.maxRssMb ?? NaN,
      renderMs: median(steady.map((s) => s.renderMs)),
      series: median(steady.map((s) => s.series)),
      brokerCpuMs: median(steady.map((s) => s.brokerCpuMs)),
      counterQueues: steady.at(-1)?.counterQueues ?? NaN,
    };
  }
  const r = c.requests ?? [];
  return {
    ...base,
    wallMs: median(r.map((s) => s.wallMs)),
    wallMaxMs: r.length ? Math.max(...r.map((s) => s.wallMs)) : NaN,
    collectMs: NaN,
    requests: 1,
    requestsFirst: 1,
    bytes: median(r.map((s) => s.bytes)),
    cpuMs: NaN,
    maxRssMb: NaN,
    renderMs: NaN,
    series: NaN,
    brokerCpuMs: median(r.map((s) => s.brokerCpuMs)),
    counterQueues: NaN,
  };
}

export function rows(result: BenchResult): Row[] {
  return result.sizes.flatMap((s) => CONTENDERS.map((m) => s.contenders.find((c) => c.id === m.id)).filter((c): c is ContenderResult => !!c).map((c) => rowOf(s, c)));
}

// ---- formatting ----------------------------------------------------------------------

const dash = '–';
export function fmtMs(v: number): string {
  if (!Number.isFinite(v)) return dash;
  if (v >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  return v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`;
}
export function fmtBytes(v: number): string {
  if (!Number.isFinite(v)) return dash;
  if (v >= 1048576) return `${(v / 1048576).toFixed(1)} MiB`;
  if (v >= 1024) return `${(v / 1024).toFixed(0)} KiB`;
  return `${v} B`;
}
const fmtNum = (v: number, digits = 0): string => (Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits }) : dash);
const fmtMb = (v: number): string => (Number.isFinite(v) ? `${Math.round(v)} MiB` : dash);

export const TABLE_HEAD = ['queues', 'contender', 'poll wall (median)', 'max', 'of which collect', 'requests (inventory poll)', 'bytes', 'agent CPU', 'peak RSS', 'render', 'series', 'queues with counters', 'broker CPU'];

export function tableCells(r: Row): string[] {
  if (r.error && !Number.isFinite(r.wallMs)) return [fmtNum(r.queues), r.label, `failed: ${r.error.slice(0, 80)}`, '', '', '', '', '', '', '', '', '', ''];
  return [
    fmtNum(r.queues),
    r.label,
    fmtMs(r.wallMs),
    fmtMs(r.wallMaxMs),
    fmtMs(r.collectMs),
    r.id.startsWith('warren') ? `${fmtNum(r.requests)} (${fmtNum(r.requestsFirst)})` : '1',
    fmtBytes(r.bytes),
    fmtMs(r.cpuMs),
    fmtMb(r.maxRssMb),
    fmtMs(r.renderMs),
    fmtNum(r.series),
    fmtNum(r.counterQueues),
    fmtMs(r.brokerCpuMs),
  ];
}

export const SCRAPE_HEAD = ['queues', 'queue source', 'encoding', 'series', 'bytes per scrape', 'scrapes', 'p50', 'p99', 'max', 'daemon poll', 'skipped', 'poll errors', 'queues with counters', 'daemon up before', 'daemon peak RSS'];

/** One row per scrape window of the size (gzip, then uncompressed). */
export function scrapeRows(s: SizeResult): string[][] {
  const windows = [s.scrape, s.scrapePlain].filter((x): x is ScrapeSummary => x !== undefined);
  if (windows.length === 0) return [[fmtNum(s.queues), ...SCRAPE_HEAD.slice(1).map(() => dash)]];
  return windows.map((x) => scrapeCells(s.queues, x));
}

function scrapeCells(queues: number, x: ScrapeSummary): string[] {
  if (x.error) return [fmtNum(queues), x.queueSource, x.encoding ?? 'identity', `failed: ${x.error.slice(0, 80)}`, ...SCRAPE_HEAD.slice(4).map(() => '')];
  return [
    fmtNum(queues),
    x.note ? `${x.queueSource} (*)` : x.queueSource,
    x.encoding ?? 'identity',
    fmtNum(x.series),
    fmtBytes(x.expositionBytes),
    fmtNum(x.requests),
    fmtMs(x.p50Ms),
    fmtMs(x.p99Ms),
    fmtMs(x.maxMs),
    fmtMs(x.pollDurationS * 1000),
    fmtNum(x.pollSkipped),
    fmtNum(x.pollErrors),
    fmtNum(x.counterQueues ?? NaN),
    x.warmupS === undefined ? dash : `${Math.round(x.warmupS)} s`,
    fmtMb(x.daemonPeakRssMb),
  ];
}

export function textTable(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i <= 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}

export function markdownTable(head: string[], body: string[][]): string {
  const align = head.map((_, i) => (i <= 1 ? ':--' : '--:'));
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), line(align), ...body.map(line)].join('\n') + '\n';
}

/** Per request path of warren's last measured poll: `wall ms / bytes` at each size (rows), sizes (columns). */
export function traceTable(result: BenchResult, id: ContenderId): { head: string[]; body: string[][] } {
  const sizes = result.sizes.map((s) => ({ queues: s.queues, poll: s.contenders.find((c) => c.id === id)?.polls?.filter((p) => !p.warmup).at(-1) }));
  const paths = [...new Set(sizes.flatMap((s) => s.poll?.trace.map((t) => t.path) ?? []))];
  const head = ['request', ...sizes.map((s) => `${fmtNum(s.queues)} queues`)];
  const body = paths.map((path) => [
    `\`${path}\``,
    ...sizes.map((s) => {
      const t = s.poll?.trace.find((x) => x.path === path);
      return t ? `${fmtMs(t.wallMs)} (at +${Math.round(t.startMs)} ms), ${fmtBytes(t.bytes)}` : dash;
    }),
  ]);
  const phases = (label: string, pick: (p: PollSample) => number) => [
    label,
    ...sizes.map((s) => (s.poll ? fmtMs(pick(s.poll)) : dash)),
  ];
  body.push(
    phases('**collect** (all of the above, parse, classify)', (p) => p.collectMs),
    phases('**OpenStack view**', (p) => p.viewMs),
    phases('**rules + alert state**', (p) => p.rulesMs),
    phases('**render**', (p) => p.renderMs),
    phases('**agent CPU** (whole cycle)', (p) => p.cpuMs),
  );
  return { head, body };
}

// ---- targets -------------------------------------------------------------------------

export interface Verdict {
  target: string;
  status: 'met' | 'missed' | 'not measured';
  measured: string;
  /** The queue count the target is judged at, and which profile explains a miss there. */
  queues?: number;
  profile?: ProfileNote['of'];
}

const find = (result: BenchResult, queues: number, id: ContenderId): Row | undefined => {
  const s = result.sizes.find((x) => x.queues === queues);
  const c = s?.contenders.find((x) => x.id === id);
  return s && c ? rowOf(s, c) : undefined;
};

function verdict(target: string, ok: boolean | undefined, measured: string, at: { queues?: number; profile?: ProfileNote['of'] } = {}): Verdict {
  return { target, status: ok === undefined ? 'not measured' : ok ? 'met' : 'missed', measured, ...at };
}

const MB = 1e6 / 1048576;
const mibAndMb = (mib: number): string => `${fmtMb(mib)} (${fmtNum(mib / MB)} MB)`;
const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : dash);
const ok = (v: number): boolean => Number.isFinite(v);

function countersMeasured(p: Row | undefined, m: Row | undefined, mgmtKnown: boolean, s: SizeResult | undefined, daemon: number | undefined, n: number): string {
  if (!s) return `no ${fmtNum(n)} run`;
  if (!p) return 'not measured at this size';
  if (!Number.isFinite(p.counterQueues)) return p.error ? `no successful poll (${p.error.slice(0, 120)})` : 'not counted (a result from before the bench counted them)';
  const mgmt = mgmtKnown && m ? fmtNum(m.counterQueues) : `not measured${m?.error ? ' (its polls failed)' : ''}`;
  return `${fmtNum(p.counterQueues)} queues with counters on the plugin path; management path ${mgmt}; \`warren run\` (${s.scrape?.queueSource ?? dash}) ${fmtNum(daemon ?? NaN)}`;
}

/** The daemon's peak RSS at a size: VmHWM only grows, so the later (uncompressed) window holds the peak of both. */
export function daemonPeakRss(s: SizeResult): number {
  const v = [s.scrape, s.scrapePlain].map((x) => x?.daemonPeakRssMb ?? NaN).filter(ok);
  return v.length ? Math.max(...v) : NaN;
}

/** The history window the daemon needs to run through before its memory is that of a long-running one, s. */
export const DAEMON_STEADY_S = 360;

/**
 * Issue 15's targets, judged from the numbers: `warren run`'s peak RSS, the poll against the
 * plugin's counter families, per-queue counters on the plugin path, /metrics p99 at 100k
 * series, and the mass-failure scenario. A target at a size the run did not measure is
 * "not measured".
 */
export function targetVerdicts(result: BenchResult): Verdict[] {
  const out: Verdict[] = [];
  const size = (n: number) => result.sizes.find((s) => s.queues === n);
  for (const [n, limitMb] of [
    [10_000, 150],
    [50_000, 250],
  ] as const) {
    const s = size(n);
    const rss = s ? daemonPeakRss(s) : NaN;
    const poll = s ? find(result, n, 'warren-prometheus') : undefined;
    const up = s?.scrape?.warmupS;
    const young = up !== undefined && up < DAEMON_STEADY_S ? ` (after only ${Math.round(up)} s: the history was not yet full)` : up !== undefined ? ` after ${Math.round(up)} s and the scrapes` : '';
    out.push(
      verdict(
        `\`warren run\` peak RSS under ${limitMb} MB at ${fmtNum(n)} queues`,
        s && ok(rss) ? rss / MB < limitMb : undefined,
        !s ? `no ${fmtNum(n)} run` : ok(rss) ? `${mibAndMb(rss)}${young}; the poll process (plugin source, steady state) ${poll ? mibAndMb(poll.maxRssMb) : dash}` : `no daemon measurement${s.scrape?.error ? ` (${s.scrape.error})` : ''}`,
        { queues: n, profile: 'poll' },
      ),
    );
  }
  // The plugin serving what warren's plugin path reads in a poll: the queue families and the
  // channel_queue counter families, the two requests warren makes. The counter families
  // alone are a few KiB when few channels publish or consume: no measure of the same work.
  for (const n of [10_000, 50_000]) {
    const w = find(result, n, 'warren-prometheus');
    const c = find(result, n, 'plugin-detailed-counters');
    const q = find(result, n, 'plugin-detailed');
    const plugin = c && q ? c.wallMs + q.wallMs : NaN;
    const known = w && ok(w.wallMs) && ok(plugin);
    out.push(
      verdict(
        `poll cycle (plugin source) within 1.5x the plugin's \`/metrics/detailed\` for the same families (\`queue_coarse_metrics\`, \`queue_consumer_count\`; \`channel_queue_metrics\`, \`channel_queue_exchange_metrics\`) at ${fmtNum(n)} queues`,
        known ? w.wallMs <= 1.5 * plugin : undefined,
        w && c && q
          ? `cycle ${fmtMs(w.wallMs)} vs ${fmtMs(plugin)} (${ratio(w.wallMs, plugin)}); collect alone ${ratio(w.collectMs, plugin)}; the queue families ${fmtMs(q.wallMs)}, the counter families ${fmtMs(c.wallMs)}${w.error ? `; error: ${w.error}` : ''}`
          : size(n)
            ? 'not measured at this size'
            : `no ${fmtNum(n)} run`,
        { queues: n, profile: 'poll' },
      ),
    );
  }
  for (const n of [10_000, 50_000]) {
    const s = size(n);
    const p = find(result, n, 'warren-prometheus');
    const m = find(result, n, 'warren-management');
    const daemon = s?.scrape?.counterQueues;
    const mgmtKnown = m !== undefined && ok(m.counterQueues) && !m.error;
    // The management path has counters only for queues with message activity: the plugin path must match it.
    const met = p && ok(p.counterQueues) ? p.counterQueues > 0 && (!mgmtKnown || p.counterQueues >= 0.99 * m.counterQueues) : undefined;
    out.push(
      verdict(
        `per-queue published/delivered/acked counters on the plugin path at ${fmtNum(n)} queues (as many queues as the management path)`,
        met,
        countersMeasured(p, m, mgmtKnown, s, daemon, n),
        { queues: n },
      ),
    );
  }
  const scr = result.sizes.filter((s) => s.scrape && !s.scrape.error && s.scrape.series >= 100_000);
  for (const s of scr) {
    const x = s.scrape!;
    out.push(
      verdict(
        `/metrics p99 under 20 ms at ${fmtNum(x.series)} series (${fmtNum(s.queues)} queues), ${x.scrapers} concurrent ${x.encoding ?? 'identity'} scrapers`,
        x.p99Ms < 20,
        `p99 ${fmtMs(x.p99Ms)}, p50 ${fmtMs(x.p50Ms)}, max ${fmtMs(x.maxMs)} over ${fmtNum(x.requests)} scrapes${s.scrapePlain && !s.scrapePlain.error ? `; uncompressed p99 ${fmtMs(s.scrapePlain.p99Ms)}` : ''}`,
        { queues: s.queues, profile: 'daemon' },
      ),
    );
  }
  if (scr.length === 0) {
    const all = result.sizes.filter((s) => s.scrape && !s.scrape.error);
    out.push(verdict('/metrics p99 under 20 ms at 100k series, two concurrent gzip scrapers', undefined, `no exposition reached 100k series (largest ${fmtNum(Math.max(0, ...all.map((s) => s.scrape!.series)))})`));
  }
  const mf = result.massFailure;
  const mfRan = mf !== undefined && !mf.error;
  const hosts = mf ? fmtNum(mf.hosts) : '5,000';
  const notRun = mf?.error ? `failed: ${mf.error}` : 'not run';
  out.push(
    verdict(
      `mass failure (${hosts} hosts lose their consumer, receiver refuses connections): no log line per alert or per dropped notification, at most one delivery line per receiver per minute`,
      mfRan ? mf.perAlertLines < 10 && mf.troubleLinesMaxPerMinute <= 1 && mf.logLinesPerMinute <= 10 : undefined,
      mfRan
        ? `${mf.logLinesPerMinute.toFixed(1)} lines a minute over ${mf.windowS} s with ${fmtNum(mf.alertsFiring)} alerts firing; at most ${fmtNum(mf.maxLogLinesInAMinute)} in any minute since the loss, ${fmtNum(mf.troubleLinesMaxPerMinute)} of them about delivery; ${fmtNum(mf.perAlertLines)} per-alert lines; ${fmtNum(mf.notificationsFailed)} failed deliveries, ${fmtNum(mf.notificationsDropped)} dropped`
        : notRun,
    ),
    verdict(
      'mass failure: the text report groups the per-host findings (one line per rule and service, with host counts)',
      mfRan ? mf.reportGroupedLine !== '' && mf.reportFindingLines < 40 : undefined,
      mfRan ? `${fmtNum(mf.reportLines)} lines (${fmtNum(mf.reportFindingLines)} under FINDINGS), ${fmtBytes(mf.reportBytes)}${mf.reportGroupedLine ? `: "${mf.reportGroupedLine.slice(0, 160)}"` : '; no grouped nova-compute line'}` : notRun,
    ),
    verdict('mass failure: `check` status line under 1 KB', mfRan ? mf.checkLineBytes < 1024 && !mf.checkLine.includes('\n') : undefined, mfRan ? `${fmtNum(mf.checkLineBytes)} bytes (exit ${mf.checkExit})` : notRun),
    verdict(
      'mass failure: openstack-correlated-outage raised when every host loses its consumer in one poll',
      mfRan ? mf.correlatedOutage : undefined,
      mfRan ? `${mf.correlatedOutage ? 'raised' : 'not raised'}; the per-host alerts fired ${Math.round(mf.fireAfterS)} s after the loss (rule \`for\` 2 min, interval ${mf.intervalS} s)` : notRun,
    ),
  );
  return out;
}

/** Every target of issue 7, judged from the numbers (the size nearest the target's when it was not run). */
export function earlierVerdicts(result: BenchResult): Verdict[] {
  const sizes = result.sizes.map((s) => s.queues);
  const near = (n: number): number | undefined => (sizes.includes(n) ? n : undefined);
  const q10 = near(10_000);
  const q50 = near(50_000);
  const out: Verdict[] = [];

  for (const id of ['warren-prometheus', 'warren-management'] as const) {
    const w = q10 ? find(result, q10, id) : undefined;
    const d = q10 ? find(result, q10, 'plugin-detailed') : undefined;
    const f = q10 ? find(result, q10, 'full-api-queues') : undefined;
    const label = CONTENDERS.find((c) => c.id === id)!.label;
    out.push(
      verdict(
        `${label}: poll cycle at 10k queues within 1.5x the plugin's /metrics/detailed (queue families)`,
        w && d && Number.isFinite(w.wallMs) && Number.isFinite(d.wallMs) ? w.wallMs <= 1.5 * d.wallMs : undefined,
        w && d ? `cycle ${fmtMs(w.wallMs)} vs ${fmtMs(d.wallMs)} (${(w.wallMs / d.wallMs).toFixed(2)}x); collect alone ${fmtMs(w.collectMs)} (${(w.collectMs / d.wallMs).toFixed(2)}x)` : 'no 10k run',
      ),
      verdict(
        `${label}: poll cycle at 10k queues at most 0.5x a full /api/queues`,
        w && f && Number.isFinite(w.wallMs) && Number.isFinite(f.wallMs) ? w.wallMs <= 0.5 * f.wallMs : undefined,
        w && f ? `cycle ${fmtMs(w.wallMs)} vs ${fmtMs(f.wallMs)} (${(w.wallMs / f.wallMs).toFixed(2)}x); collect alone ${fmtMs(w.collectMs)} (${(w.collectMs / f.wallMs).toFixed(2)}x)` : 'no 10k run',
      ),
      verdict(`${label}: agent CPU per poll at 10k queues under 300 ms`, w && Number.isFinite(w.cpuMs) ? w.cpuMs < 300 : undefined, w ? fmtMs(w.cpuMs) : 'no 10k run'),
    );
    const w50 = q50 ? find(result, q50, id) : undefined;
    const rssKnown = w50 !== undefined && Number.isFinite(w50.wallMs);
    out.push(
      verdict(
        `${label}: peak RSS under 250 MB at 50k queues`,
        rssKnown ? w50.maxRssMb < (250 * 1e6) / 1048576 : undefined,
        rssKnown ? `${fmtMb(w50.maxRssMb)} (${Math.round((w50.maxRssMb * 1048576) / 1e6)} MB)` : w50 ? `no successful poll (${w50.error ?? ''})` : 'no 50k run',
      ),
    );
    const steady = result.sizes.map((s) => find(result, s.queues, id)?.requests).filter((v): v is number => v !== undefined && Number.isFinite(v));
    const firsts = result.sizes.map((s) => find(result, s.queues, id)?.requestsFirst).filter((v): v is number => v !== undefined && Number.isFinite(v));
    out.push(
      verdict(
        `${label}: broker requests per poll bounded by a constant`,
        steady.length > 1 ? new Set(steady).size === 1 && new Set(firsts).size === 1 : undefined,
        `${steady.join(' / ')} per poll; ${firsts.join(' / ')} on an inventory poll (at ${sizes.map((n) => fmtNum(n)).join(' / ')} queues)`,
      ),
    );
    const big = q50 ?? Math.max(...sizes);
    const wb = find(result, big, id);
    out.push(
      verdict(
        `${label}: at ${fmtNum(big)} queues a poll fits a 30 s interval and nothing times out`,
        wb ? wb.wallMaxMs < 30_000 && !wb.error : undefined,
        wb ? `slowest poll ${fmtMs(wb.wallMaxMs)}${wb.error ? `; error: ${wb.error}` : ''}` : 'not run',
      ),
    );
  }

  const scr = result.sizes.filter((s) => s.scrape && !s.scrape.error);
  const over100k = scr.filter((s) => s.scrape!.series >= 100_000);
  const plainP99 = (s: SizeResult) => (s.scrapePlain && !s.scrapePlain.error ? `; uncompressed ${fmtMs(s.scrapePlain.p99Ms)}` : '');
  out.push(
    verdict(
      `/metrics p99 under 20 ms at 100k series (scraped as Prometheus does, ${scr[0]?.scrape?.encoding ?? 'identity'})`,
      over100k.length ? over100k.every((s) => s.scrape!.p99Ms < 20) : undefined,
      over100k.length ? over100k.map((s) => `${fmtMs(s.scrape!.p99Ms)} at ${fmtNum(s.scrape!.series)} series${plainP99(s)}`).join('; ') : `largest exposition ${fmtNum(Math.max(0, ...scr.map((s) => s.scrape!.series)))} series`,
    ),
  );
  const p99s = scr.map((s) => `${fmtMs(s.scrape!.p99Ms)} (${fmtNum(s.queues)} q, ${fmtNum(s.scrape!.series)} series)`);
  // The broker is never called on a scrape, so latency can only follow the exposition's size:
  // met when p99 per series at the largest size is no worse than 1.5x that at the smallest.
  const perSeries = scr.map((s) => s.scrape!.p99Ms / Math.max(1, s.scrape!.series));
  out.push(
    verdict(
      '/metrics latency independent of broker size (p99 per series does not grow with queue count)',
      scr.length > 1 ? perSeries[perSeries.length - 1]! <= 1.5 * perSeries[0]! : undefined,
      p99s.join('; '),
    ),
  );
  const d50 = q50 ? result.sizes.find((s) => s.queues === q50)?.scrape : undefined;
  out.push(
    verdict(
      'daemon at 50k queues, 30 s interval: no poll skipped (overlap), no poll error',
      d50 && !d50.error ? d50.pollSkipped === 0 && d50.pollErrors === 0 && d50.errors === 0 : undefined,
      d50 ? `skipped ${d50.pollSkipped}, poll errors ${d50.pollErrors}, scrape errors ${d50.errors}, last poll ${fmtMs(d50.pollDurationS * 1000)}` : 'no 50k run',
    ),
  );
  return out;
}
