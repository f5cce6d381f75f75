// The benchmark's pure parts: issue 15's target verdicts from a result, the per-minute log
// count, the per-queue counter count of an exposition, and BENCHMARKS.md pointing each
// miss at the profile taken for it.
import { describe, expect, it } from 'vitest';
import { counterQueues } from '../../bench/cycle.js';
import { profileHeading, renderMarkdown } from '../../bench/markdown.js';
import type { PollSample } from '../../bench/poll-child.js';
import { minuteCounts, targetVerdicts, type BenchResult, type ContenderResult, type MassFailureResult, type ScrapeSummary, type SizeResult } from '../../bench/results.js';

const poll = (cycleMs: number, counters: number): PollSample => ({
  cycleMs,
  collectMs: cycleMs * 0.8,
  viewMs: 1,
  rulesMs: 1,
  renderMs: 1,
  cpuMs: 10,
  requests: 6,
  bytes: 1000,
  series: 1000,
  expositionBytes: 1000,
  queues: 10,
  queueSource: 'prometheus',
  inventory: false,
  findings: 0,
  heapUsedMb: 10,
  counterQueues: counters,
  warmup: false,
  brokerCpuMs: 1,
  trace: [],
});

const scrape = (o: Partial<ScrapeSummary>): ScrapeSummary => ({
  queueSource: 'auto',
  encoding: 'gzip',
  intervalS: 30,
  windowS: 35,
  scrapers: 2,
  requests: 100,
  p50Ms: 5,
  p99Ms: 10,
  maxMs: 12,
  series: 150_000,
  expositionBytes: 1000,
  errors: 0,
  pollDurationS: 1,
  pollRequests: 6,
  pollSkipped: 0,
  pollErrors: 0,
  daemonPeakRssMb: 100,
  warmupS: 400,
  counterQueues: 9000,
  ...o,
});

function size(queues: number, o: { pollMs: number; counterFamiliesMs: number; counters: number; mgmtCounters?: number; rssMb: number; p99Ms: number; series?: number }): SizeResult {
  const contenders: ContenderResult[] = [
    { id: 'warren-prometheus', polls: [poll(o.pollMs, o.counters)], maxRssMb: 120 },
    { id: 'plugin-detailed-counters', requests: [{ wallMs: o.counterFamiliesMs, bytes: 1, status: 200, brokerCpuMs: 1 }] },
    { id: 'plugin-detailed', requests: [{ wallMs: o.counterFamiliesMs / 2, bytes: 1, status: 200, brokerCpuMs: 1 }] },
  ];
  if (o.mgmtCounters !== undefined) contenders.push({ id: 'warren-management', polls: [poll(o.pollMs * 3, o.mgmtCounters)], maxRssMb: 200 });
  return {
    queues,
    brokerQueues: queues,
    exchanges: 24,
    queuesWithMessages: 0,
    messages: 0,
    connections: 2000,
    channels: 3000,
    consumers: 2000,
    buildS: 1,
    brokerIdleCpuMsPerS: 1,
    brokerMemMb: 1,
    contenders,
    scrape: scrape({ p99Ms: o.p99Ms, series: o.series ?? 150_000, daemonPeakRssMb: o.rssMb }),
  };
}

const mass = (o: Partial<MassFailureResult> = {}): MassFailureResult => ({
  hosts: 5000,
  intervalS: 30,
  windowS: 120,
  fireAfterS: 150,
  alertsFiring: 5000,
  correlatedOutage: true,
  logLinesSinceLoss: 8,
  logLinesInWindow: 4,
  logLinesPerMinute: 2,
  maxLogLinesInAMinute: 4,
  troubleLinesMaxPerMinute: 1,
  perAlertLines: 0,
  notificationsFailed: 30,
  notificationsDropped: 0,
  daemonPeakRssMb: 150,
  pollDurationS: 1,
  reportExit: 2,
  reportLines: 60,
  reportFindingLines: 12,
  reportBytes: 4000,
  reportGroupedLine: 'nova-compute lost its consumer on 5,000 of 5,000 hosts: cmp-0001, cmp-0002, cmp-0003 and 4,997 more',
  checkExit: 2,
  checkLineBytes: 400,
  checkLine: 'CRITICAL ...',
  ...o,
});

function result(sizes: SizeResult[], massFailure?: MassFailureResult): BenchResult {
  return {
    startedAt: '2026-11-27T20:00:00Z',
    durationS: 60,
    command: 'node build/bench/run.js',
    options: { sizes: sizes.map((s) => s.queues), connections: 2000, polls: 3, warmup: 7, intervalS: 30, scrapeSeconds: 35, publishRate: 5, slowTimeoutS: 120, statsIntervalMs: 30000, daemonWarmupS: 360, massHosts: 5000, massWindowS: 120 },
    machine: { cpu: 'x', cores: 2, memGiB: 24, os: 'Debian', kernel: '6', node: 'v20', rabbitmq: '3.10.8', erlang: '25', loadAvgAtStart: [0, 0, 0], otherBrokersAtStart: 0 },
    sizes,
    ...(massFailure ? { massFailure } : {}),
  };
}

const status = (r: BenchResult, starts: string) => targetVerdicts(r).filter((v) => v.target.startsWith(starts)).map((v) => v.status);

describe('issue 15 target verdicts', () => {
  it('judges RSS in MB (10^6 bytes) at 10k and 50k queues', () => {
    // 150 MB is 143.05 MiB: 144 MiB misses, 142 MiB meets.
    const r = result([size(10_000, { pollMs: 100, counterFamiliesMs: 100, counters: 10, rssMb: 144, p99Ms: 10 }), size(50_000, { pollMs: 100, counterFamiliesMs: 100, counters: 10, rssMb: 230, p99Ms: 10 })]);
    expect(status(r, '`warren run` peak RSS')).toEqual(['missed', 'met']);
    const met = result([size(10_000, { pollMs: 100, counterFamiliesMs: 100, counters: 10, rssMb: 142, p99Ms: 10 })]);
    expect(status(met, '`warren run` peak RSS')).toEqual(['met', 'not measured']);
  });

  it('judges the poll against the plugin serving the same families (queue and counter families), 1.5x at most', () => {
    // The plugin: 100 ms for the counter families and 50 ms for the queue families, 150 ms in all.
    const r = result([size(10_000, { pollMs: 225, counterFamiliesMs: 100, counters: 10, rssMb: 1, p99Ms: 1 }), size(50_000, { pollMs: 226, counterFamiliesMs: 100, counters: 10, rssMb: 1, p99Ms: 1 })]);
    expect(status(r, 'poll cycle')).toEqual(['met', 'missed']);
    const v = targetVerdicts(r).find((x) => x.target.startsWith('poll cycle') && x.queues === 10_000)!;
    expect(v.measured).toContain('vs 150 ms (1.50x)');
    expect(v.measured).toContain('the queue families 50.0 ms, the counter families 100 ms');
  });

  it('wants as many queues with counters on the plugin path as on the management path', () => {
    const r = result([size(10_000, { pollMs: 1, counterFamiliesMs: 1, counters: 900, mgmtCounters: 1000, rssMb: 1, p99Ms: 1 }), size(50_000, { pollMs: 1, counterFamiliesMs: 1, counters: 0, rssMb: 1, p99Ms: 1 })]);
    expect(status(r, 'per-queue')).toEqual(['missed', 'missed']);
    const ok = result([size(10_000, { pollMs: 1, counterFamiliesMs: 1, counters: 1000, mgmtCounters: 1000, rssMb: 1, p99Ms: 1 }), size(50_000, { pollMs: 1, counterFamiliesMs: 1, counters: 4000, rssMb: 1, p99Ms: 1 })]);
    expect(status(ok, 'per-queue')).toEqual(['met', 'met']);
  });

  it('judges /metrics p99 only where the exposition reaches 100k series', () => {
    const r = result([size(10_000, { pollMs: 1, counterFamiliesMs: 1, counters: 1, rssMb: 1, p99Ms: 50, series: 90_000 }), size(50_000, { pollMs: 1, counterFamiliesMs: 1, counters: 1, rssMb: 1, p99Ms: 25, series: 250_000 })]);
    const p99 = targetVerdicts(r).filter((v) => v.target.startsWith('/metrics p99'));
    expect(p99.map((v) => [v.queues, v.status])).toEqual([[50_000, 'missed']]);
    const none = result([size(10_000, { pollMs: 1, counterFamiliesMs: 1, counters: 1, rssMb: 1, p99Ms: 1, series: 90_000 })]);
    expect(status(none, '/metrics p99')).toEqual(['not measured']);
  });

  it('judges the mass failure: quiet log, grouped report, short check line, correlated outage', () => {
    expect(status(result([], mass()), 'mass failure')).toEqual(['met', 'met', 'met', 'met']);
    const loud = mass({ perAlertLines: 5000, logLinesPerMinute: 2500, troubleLinesMaxPerMinute: 5000, reportGroupedLine: '', reportFindingLines: 40, checkLineBytes: 1024, correlatedOutage: false });
    expect(status(result([], loud), 'mass failure')).toEqual(['missed', 'missed', 'missed', 'missed']);
    expect(status(result([]), 'mass failure')).toEqual(['not measured', 'not measured', 'not measured', 'not measured']);
    expect(status(result([], mass({ error: 'boom' })), 'mass failure')).toEqual(['not measured', 'not measured', 'not measured', 'not measured']);
  });
});

describe('BENCHMARKS.md', () => {
  it('points each miss at the profile taken at its size', () => {
    const s = size(10_000, { pollMs: 300, counterFamiliesMs: 100, counters: 10, rssMb: 100, p99Ms: 10 });
    s.profiles = [{ of: 'poll', reason: 'poll cycle missed', file: 'profiles/poll-prometheus-10000.cpuprofile', summary: 'total 100 ms sampled\n\nself time by function\n  50 ms 50.0%  parse' }];
    const md = renderMarkdown(result([s], mass()), { chartPath: 'c.svg', jsonPath: 'r.json', analysis: '## Analysis' });
    const { title, anchor } = profileHeading(10_000, 'poll');
    expect(anchor).toBe('profile-10000-queues-warrens-poll-plugin-source');
    expect(md).toContain(`### ${title}`);
    const row = md.split('\n').find((l) => l.startsWith('| poll cycle') && l.includes('10,000 queues'))!;
    expect(row).toContain('**missed**');
    expect(row).toContain(`[profile](#${anchor})`);
    expect(md).toContain('## Targets (issue 15)');
    expect(md).toContain('## Mass failure');
    expect(md).toContain('nova-compute lost its consumer on 5,000 of 5,000 hosts');
  });

  it('says when a miss has no profile', () => {
    const md = renderMarkdown(result([size(10_000, { pollMs: 300, counterFamiliesMs: 100, counters: 10, rssMb: 100, p99Ms: 10 })]), { chartPath: 'c.svg', jsonPath: 'r.json', analysis: '' });
    const row = md.split('\n').find((l) => l.startsWith('| poll cycle') && l.includes('10,000 queues'))!;
    expect(row).toContain('no profile taken');
  });
});

describe('bench helpers', () => {
  it('counts lines per whole minute from the start, the partial last minute included', () => {
    const t0 = 1_000_000;
    expect(minuteCounts([t0, t0 + 59_999, t0 + 60_000, t0 + 150_000, t0 - 1, t0 + 200_000], t0, t0 + 150_000)).toEqual([2, 1, 1]);
    expect(minuteCounts([], t0, t0)).toEqual([0]);
    // A line at the very end of a whole number of minutes belongs to the last minute.
    expect(minuteCounts([t0 + 120_000], t0, t0 + 120_000)).toEqual([0, 1]);
  });

  it('counts queues with all three per-queue counters in an exposition', () => {
    const text = [
      '# HELP rabbitmq_queue_messages_published_total x',
      'rabbitmq_queue_messages_published_total{queue="a"} 1',
      'rabbitmq_queue_messages_delivered_total{queue="a"} 1',
      'rabbitmq_queue_messages_acked_total{queue="a"} 1',
      'rabbitmq_queue_messages_published_total{queue="b"} 1',
      'rabbitmq_queue_messages_delivered_total{queue="b"} 1',
      'rabbitmq_queue_messages{queue="c"} 1',
    ].join('\n');
    expect(counterQueues(text)).toBe(1);
    expect(counterQueues('')).toBe(0);
  });
});
