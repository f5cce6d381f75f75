// BENCHMARKS.md from a BenchResult plus the hand-written analysis (bench/analysis.md).

import {
  CONTENDERS,
  DAEMON_STEADY_S,
  SCRAPE_HEAD,
  TABLE_HEAD,
  fmtBytes,
  markdownTable,
  rows,
  scrapeRows,
  tableCells,
  traceTable,
  earlierVerdicts,
  targetVerdicts,
  type BenchResult,
  type MassFailureResult,
  type ProfileNote,
  type Verdict,
} from './results.js';

const num = (v: number, digits = 0): string => (Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits }) : '–');
const statusCell = (x: Verdict): string => (x.status === 'met' ? 'met' : x.status === 'missed' ? '**missed**' : 'not measured');

/** The heading of a profile's section, and its GitHub anchor. */
export function profileHeading(queues: number, of: ProfileNote['of']): { title: string; anchor: string } {
  const title = `Profile: ${num(queues)} queues, ${of === 'poll' ? "warren's poll (plugin source)" : '`warren run` under the scrapers'}`;
  const anchor = title
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
  return { title, anchor };
}

/** Where a verdict's miss is explained: the profile taken at its size, if one was. */
function explainedBy(r: BenchResult, x: Verdict): string {
  if (x.status !== 'missed' || !x.profile || x.queues === undefined) return '';
  const p = r.sizes.find((s) => s.queues === x.queues)?.profiles?.find((q) => q.of === x.profile);
  if (!p) return 'no profile taken (see the analysis)';
  const { anchor } = profileHeading(x.queues, x.profile);
  return p.error && !p.summary ? `profile failed: ${p.error}` : `[profile](#${anchor})`;
}

function massFailureSection(m: MassFailureResult): string[] {
  const out: string[] = ['## Mass failure', ''];
  out.push(
    `A private RabbitMQ node of its own with ${num(m.hosts)} per-host queues \`compute.<host>\` consumed from one connection (a simulated nova-compute on ${num(m.hosts)} hosts) and ten healthy \`l3_agent.<host>\` queues on another. ` +
      `\`warren run\` (default config, interval ${m.intervalS} s, log level info) has an Alertmanager URL where nothing listens (connection refused). When it sees every host's consumer, the nova-compute connection closes: every host loses its consumer within one poll. ` +
      `The log is counted from the loss, and for ${m.windowS} s once every per-host alert fires (rule \`for\` 2 min); then \`warren report --format text\` and \`warren check\` run against the same broker.`,
    '',
  );
  if (m.error) out.push(`**The scenario failed**: ${m.error}`, '');
  out.push(
    markdownTable(
      ['measure', 'value'],
      [
        ['per-host alerts firing (after the loss)', `${num(m.alertsFiring)} (after ${num(m.fireAfterS)} s)`],
        ['openstack-correlated-outage', m.correlatedOutage ? 'raised' : 'not raised'],
        ['log lines a minute, every alert firing, receiver refusing', num(m.logLinesPerMinute, 1)],
        ['log lines since the loss (most in any minute)', `${num(m.logLinesSinceLoss)} (${num(m.maxLogLinesInAMinute)})`],
        ['delivery-trouble lines in any minute (one receiver)', num(m.troubleLinesMaxPerMinute)],
        ['per-alert log lines', num(m.perAlertLines)],
        ['failed deliveries / dropped notifications', `${num(m.notificationsFailed)} / ${num(m.notificationsDropped)}`],
        ['daemon peak RSS / last poll', `${num(m.daemonPeakRssMb)} MiB / ${num(m.pollDurationS * 1000)} ms`],
        ['text report: lines (under FINDINGS), bytes, exit code', `${num(m.reportLines)} (${num(m.reportFindingLines)}), ${fmtBytes(m.reportBytes)}, ${num(m.reportExit)}`],
        ['`check`: status line bytes, exit code', `${num(m.checkLineBytes)}, ${num(m.checkExit)}`],
      ],
    ),
  );
  if (m.reportGroupedLine) out.push("The report's line for nova-compute:", '', '```', m.reportGroupedLine, '```', '');
  if (m.checkLine) out.push("`check`'s status line:", '', '```', m.checkLine, '```', '');
  return out;
}

function profilesSection(r: BenchResult): string[] {
  const withProfiles = r.sizes.filter((s) => s.profiles && s.profiles.length > 0);
  if (withProfiles.length === 0) return [];
  const out: string[] = ['## Profiles of the misses', ''];
  out.push(
    "For each size where a target was missed, the bench profiled what explains it (`node --cpu-prof`, summarised by bench/profile-summary.ts; the .cpuprofile files stay in `bench/results/profiles/`, open them in Chrome's DevTools): " +
      "warren's poll with the plugin source (the same warm-up and polls as the measurement, with where its memory is after the last poll), or `warren run` under the gzip scrapers. " +
      'Self time is where the CPU went; `(garbage collector)` is the cost of allocation; `(idle)`/`(program)` is waiting (for the broker) and V8 itself.',
    '',
  );
  for (const s of withProfiles) {
    for (const p of s.profiles!) {
      out.push(`### ${profileHeading(s.queues, p.of).title}`, '');
      out.push(`Taken for: ${p.reason}. File: \`${p.file}\`.`, '');
      if (p.memory) {
        const m = p.memory;
        out.push(
          `Memory after the last poll: RSS ${num(m.rssMb)} MiB, of which V8 heap ${num(m.heapTotalMb)} MiB (${num(m.heapUsedMb)} MiB used), outside the heap ${num(m.externalMb)} MiB (${num(m.arrayBuffersMb)} MiB array buffers); the rest of the RSS is code, stacks and freed memory not yet returned.`,
          '',
        );
      }
      if (p.error) out.push(`(${p.error})`, '');
      if (p.summary) out.push('```', p.summary.trimEnd(), '```', '');
    }
  }
  return out;
}

export function renderMarkdown(r: BenchResult, opts: { chartPath: string; jsonPath: string; analysis: string; partial?: boolean }): string {
  const m = r.machine;
  // Quiet at the start and throughout: other work that starts later shows in each size's
  // load average and in the other RabbitMQ nodes seen while it was measured.
  const busySizes = r.sizes.filter((s) => (s.loadAvg?.[0] ?? 0) >= 1 || (s.otherBrokersSeen ?? 0) > 0);
  const quiet = m.loadAvgAtStart[0]! < 0.5 && m.otherBrokersAtStart === 0 && busySizes.length === 0;
  const v = targetVerdicts(r);
  const out: string[] = [];
  out.push('# warren benchmarks', '');
  if (opts.partial) out.push(`**Partial results**: the run has not finished (sizes done: ${r.sizes.map((s) => s.queues.toLocaleString('en-US')).join(', ')}).`, '');
  out.push(
    `Generated by \`npm run bench\` (bench/run.ts) on ${r.startedAt.slice(0, 10)}; the last run took ${Math.round(r.durationS / 60)} min (when each size was measured: see the topology table). ` +
      `Raw numbers: [\`${opts.jsonPath}\`](${opts.jsonPath}).`,
    '',
  );
  out.push('## Machine', '');
  out.push(
    `- CPU: ${m.cpu}, ${m.cores} cores; RAM ${m.memGiB} GiB`,
    `- OS: ${m.os}, kernel ${m.kernel}`,
    `- Node ${m.node}; RabbitMQ ${m.rabbitmq} on Erlang ${m.erlang} (Debian packages, one node on loopback; defaults except \`collect_statistics_interval = ${r.options.statsIntervalMs}\`, the monitoring guide's production value, and longer HTTP listener timeouts so slow answers finish)`,
    `- Load average at start: ${m.loadAvgAtStart.map((x) => x.toFixed(2)).join(', ')}; other RabbitMQ nodes running: ${m.otherBrokersAtStart}` +
      (busySizes.length > 0 ? `; later, while ${busySizes.map((s) => `${s.queues.toLocaleString('en-US')} queues`).join(' and ')} were measured, other work ran beside it (load average 1 or more, or other RabbitMQ nodes: the topology table's last column). ` : '. ') +
      (quiet ? 'The machine was quiet.' : '**The machine was not quiet** (other work was running on it), so absolute times are inflated; ratios between contenders measured back to back are more telling than absolute numbers.'),
    '',
    'The broker, warren, the client load and the benchmark share the same 2 cores, as they would not in production: every wall time below includes that contention.',
    '',
  );
  out.push('## Command', '');
  const o = r.options;
  const measured = r.sizes.map((s) => s.queues);
  if (measured.join() !== o.sizes.join()) {
    out.push(
      `The sizes come from more than one run (when each was measured: the topology table); the last one, which measured ${o.sizes.map((n) => n.toLocaleString('en-US')).join(', ')} queues and kept the others (\`--merge\`), was:`,
      '',
    );
  }
  const massFlags = o.massHosts === undefined ? '' : ` --mass-hosts ${o.massHosts}${o.massHosts > 0 ? ` --mass-window ${o.massWindowS ?? 120}` : ''}`;
  const daemonFlags = (o.daemonWarmupS === undefined ? '' : ` --daemon-warmup ${o.daemonWarmupS}`) + (o.warrenTimeoutS ? ` --warren-timeout ${o.warrenTimeoutS}` : '');
  out.push('```', `npm run bench -- --sizes ${o.sizes.join(',')} --connections ${o.connections} --polls ${o.polls}${daemonFlags}${massFlags}${measured.join() !== o.sizes.join() ? ' --merge' : ''}`, '```', '');
  out.push(`(\`${r.command}\`; every other flag at its default.)`, '');

  out.push('## Topology', '');
  out.push(
    markdownTable(
      ['queues', 'exchanges', 'queues holding messages', 'messages', 'connections', 'channels', 'consumers', 'build time', 'broker memory', 'broker idle CPU', 'measured at', 'other RabbitMQ nodes seen'],
      r.sizes.map((s) => [
        s.brokerQueues.toLocaleString('en-US'),
        String(s.exchanges),
        s.queuesWithMessages.toLocaleString('en-US'),
        s.messages.toLocaleString('en-US'),
        s.connections.toLocaleString('en-US'),
        s.channels.toLocaleString('en-US'),
        s.consumers.toLocaleString('en-US'),
        `${Math.round(s.buildS)} s`,
        fmtBytes(s.brokerMemMb * 1048576),
        `${Math.round(s.brokerIdleCpuMsPerS)} ms/s`,
        s.measuredAt ? s.measuredAt.slice(0, 16).replace('T', ' ') : '–',
        s.otherBrokersSeen === undefined ? '–' : String(s.otherBrokersSeen),
      ]),
    ),
  );
  out.push(
    'Queue names and the mix come from the simulator\'s plan of an OpenStack cloud (tools/sim/plan.ts): 3 controllers and 3 network nodes (nova, neutron, cinder, heat RPC servers, Ceilometer\'s `notifications.info` and four more notification queues), then compute hosts `cmp-0001`... each with nova-compute and the neutron OVS agent: per host `compute.<host>`, `q-agent-notifier-port-update.<host>`, two `<topic>_fanout_<32hex>` (x-expires) and two `reply_<32hex>` (x-expires). ' +
      'Every tenth queue holds 1-5 messages and has no consumer; the client load process opens the connections (py-amqp client properties, each from its host\'s loopback address), each with a channel consuming one of the other queues, every second one with an extra idle channel, and publishes a few messages a second to a handful of queues. Sizes grow one broker in place: the 10k topology is the 1k one plus 9k queues.',
    '',
  );

  out.push('## Poll cost', '');
  out.push(markdownTable(TABLE_HEAD, rows(r).map(tableCells)));
  const errors = rows(r).filter((x) => x.error);
  if (errors.length > 0) {
    out.push('Failures during the run:', '', ...errors.map((x) => `- ${x.queues.toLocaleString('en-US')} queues, ${x.label}: ${x.error}`), '');
  }
  out.push(
    `- **poll wall**: warren: one full cycle as the daemon runs it after a tick (collect from the broker, OpenStack view, rules, alert state, render), median of ${r.options.polls} measured polls; **of which collect**: the broker requests, JSON parse and classification. Before the measured polls each warren process runs ${r.options.warmup} unmeasured ones on a simulated ${r.options.intervalS} s clock, so the measured polls run in the daemon's steady state (a full 6-minute history in memory, alerts past their \`for\`, rates known). **requests (inventory poll)**: a poll that also refreshes the 5-minute inventory tier (policies, users, consumers). Broker endpoints: one GET, to the last byte, median of ${r.options.polls}.`,
    '- **bytes**: response bytes from the broker (no compression, as warren asks).',
    '- **agent CPU / peak RSS**: user+system CPU of warren\'s process over the cycle, and its peak resident set; each warren source runs in its own process.',
    '- **broker CPU**: the beam.smp process\'s CPU time during the request or the collect (all schedulers), which includes its background work (stats collection, 2k connections\' heartbeats): idle, the broker used ' +
      r.sizes.map((s) => `${Math.round(s.brokerIdleCpuMsPerS)} ms/s at ${s.queues.toLocaleString('en-US')} queues`).join(', ') +
      '.',
    '- The management API keeps a computed queue/connection list for 5x the time it took; every measured request is spaced so it never hits that cache (a 30 s poller does not).',
    '',
  );
  out.push(`![poll time against queue count](${opts.chartPath})`, '');
  for (const id of ['warren-prometheus', 'warren-management'] as const) {
    const t = traceTable(r, id);
    if (t.body.length === 0) continue;
    out.push(`### Inside warren's poll: ${CONTENDERS.find((c) => c.id === id)!.label}`, '');
    out.push('The last measured poll at each size: each broker request (wall time to the last byte, when it started into the poll, response size), then the phases of the cycle.', '');
    out.push(markdownTable(t.head, t.body));
  }

  out.push('## /metrics from warren\'s cache', '');
  const s0 = r.sizes.find((s) => s.scrape)?.scrape;
  if (s0) {
    out.push(
      `\`warren run\` (queue source \`${s0.queueSource}\`${s0.queueSource === 'auto' ? ', the default: the plugin path from 2,000 queues' : ''}, unless noted; interval ${s0.intervalS} s; otherwise defaults) against the same broker. ${(r.options.daemonWarmupS ?? 0) >= DAEMON_STEADY_S ? `It runs ${num(r.options.daemonWarmupS!)} s first, so its history holds the whole rule window as a long-running daemon's does; then` : `It is scraped ${r.options.daemonWarmupS ? `after ${num(r.options.daemonWarmupS)} s` : 'as soon as it has polled'}, before its history holds the whole rule window (${DAEMON_STEADY_S} s), so its memory is below a long-running daemon's; then`} ${s0.scrapers} concurrent scrapers GET /metrics back to back for ${s0.windowS} s, a window that includes one of the daemon's polls, first asking for gzip as Prometheus does, then (same daemon, another ${s0.windowS} s) uncompressed. Latency is to the last byte received (not decompressed). **daemon peak RSS** is the process's VmHWM at the end of the window (the peak over its whole life so far); **queues with counters**: queues with published, delivered and acked counters on its /metrics.`,
      '',
    );
  }
  out.push(markdownTable(SCRAPE_HEAD, r.sizes.flatMap(scrapeRows)));
  for (const s of r.sizes) if (s.scrape?.note) out.push(`(*) at ${s.queues.toLocaleString('en-US')} queues, ${s.scrape.note}.`, '');

  if (r.massFailure) out.push(...massFailureSection(r.massFailure));

  out.push('## Targets (issue 15)', '');
  out.push(
    'Each target judged from the numbers above: met, missed (with the profile that explains it, where one applies), or not measured (the run did not include that size or scenario). MB are 10^6 bytes; the tables show MiB.',
    '',
  );
  out.push(markdownTable(['target', 'status', 'measured', 'explained by'], v.map((x) => [x.target, statusCell(x), x.measured, explainedBy(r, x)])));
  out.push(...profilesSection(r));
  out.push('## Earlier targets (issue 7)', '');
  out.push(markdownTable(['target', 'status', 'measured'], earlierVerdicts(r).map((x) => [x.target, statusCell(x), x.measured])));
  out.push(opts.analysis.trim(), '');
  return out.join('\n');
}
