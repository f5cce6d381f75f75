// The terminal report: what an operator reads at 3 a.m. Status line first, then
// what is wrong and what to do (worst first), then the tables that back it up.
import type { Severity } from '../rules/index.js';
import type { ClusterReport, Headroom, Report, ReportStatus } from './model.js';
import { fmtBytesShort, fmtDuration, fmtGrowth, fmtInt, fmtPercent, fmtRate, fmtTime, listSome, plural } from '../format.js';
import { STATS_PENDING, STATUS_WORD, fmtKnown, messageTotals, queueCounts, SEVERITY_TAG, groupFindings, oneLine, orphanLine, serviceLineText, severityCounts, subjectLabel, truncate, wrap } from './format.js';
import { table, type Cell } from './table.js';
import { securityText } from './security.js';

export interface TextOptions {
  /** ANSI colour; the CLI turns it on only when stdout is a TTY (and NO_COLOR is unset). */
  color: boolean;
  /** Line width to fit; default 100. */
  width?: number;
  /** Findings of one rule shown before the rest are counted; default 5. */
  findingsPerRule?: number;
  /** Rows per table; default 20 (the report model may hold fewer). */
  rows?: number;
}

type Style = (s: string) => string;

function palette(color: boolean) {
  const sgr = (code: string): Style => (color ? (s) => `\u001b[${code}m${s}\u001b[0m` : (s) => s);
  return {
    bold: sgr('1'),
    dim: sgr('2'),
    red: sgr('1;31'),
    yellow: sgr('1;33'),
    green: sgr('1;32'),
    magenta: sgr('1;35'),
    cyan: sgr('36'),
  };
}

type Palette = ReturnType<typeof palette>;

function statusStyle(p: Palette, s: ReportStatus): Style {
  return s === 'critical' ? p.red : s === 'warning' ? p.yellow : s === 'ok' ? p.green : p.magenta;
}

function severityStyle(p: Palette, s: Severity): Style {
  return s === 'critical' ? p.red : s === 'warning' ? p.yellow : p.cyan;
}

function levelStyle(p: Palette, l: Headroom['level']): Style | undefined {
  return l === 'critical' ? p.red : l === 'warning' ? p.yellow : undefined;
}

/** The first line of every report: the verdict, how many findings, where, when. */
export function statusLine(report: Report, style: Style = (s) => s): string {
  const all = report.clusters.flatMap((c) => c.findings);
  const where = report.clusters.length === 1 ? report.clusters[0]!.name : plural(report.clusters.length, 'cluster');
  return `${style(`WARREN ${STATUS_WORD[report.status]}`)} - ${severityCounts(all)} - ${where} - ${fmtTime(report.generatedAt)}`;
}

export function renderText(report: Report, opts: TextOptions): string {
  const p = palette(opts.color);
  const width = Math.max(60, opts.width ?? 100);
  const perRule = Math.max(1, opts.findingsPerRule ?? 5);
  const rows = Math.max(1, opts.rows ?? 20);
  const out: string[] = [];

  const all = report.clusters.flatMap((c) => c.findings);
  out.push(statusLine(report, statusStyle(p, report.status)));

  // Findings of every cluster before any table: the tables are evidence, the findings are the answer.
  out.push('', p.bold('FINDINGS'));
  if (!all.length) out.push('  Nothing wrong found.');
  for (const c of report.clusters) {
    if (report.clusters.length > 1 && c.findings.length) {
      out.push(`${p.bold(c.name)} ${statusStyle(p, c.status)(STATUS_WORD[c.status])}`);
    }
    out.push(...findingLines(c, p, width, perRule));
  }

  for (const c of report.clusters) out.push('', ...clusterLines(c, p, width, rows));
  return `${out.join('\n')}\n`;
}

function findingLines(c: ClusterReport, p: Palette, width: number, perRule: number): string[] {
  const out: string[] = [];
  const indent = '      ';
  const body = (label: string, text: string, style: Style = (s) => s) =>
    wrap(label + oneLine(text), width - indent.length).map((l, i) =>
      indent + (i === 0 && label ? p.cyan(label) + style(l.slice(label.length)) : style(l)),
    );
  for (const g of groupFindings(c.findings, perRule)) {
    if (g.services) {
      // A mass failure: one line per service with counts and a few names, the remedy once.
      const tag = severityStyle(p, g.severity)(SEVERITY_TAG[g.severity].padEnd(4));
      const kind = g.shown[0]!.subject.kind;
      out.push(`${tag}  ${p.bold(g.rule)}  ${plural(g.count, kind)} of ${plural(g.services.length, 'service')}`);
      for (const s of g.services.slice(0, perRule)) out.push(...body('', serviceLineText(g.rule, s)));
      if (g.services.length > perRule) out.push(p.dim(`${indent}… and ${plural(g.services.length - perRule, 'more service')}`));
      out.push(...body('Fix (all above): ', g.remedy));
      continue;
    }
    g.shown.forEach((f, i) => {
      const tag = severityStyle(p, f.severity)(SEVERITY_TAG[f.severity].padEnd(4));
      out.push(`${tag}  ${p.bold(f.rule)}  ${truncate(oneLine(subjectLabel(f.subject)), width - 8 - f.rule.length)}`);
      out.push(...body('', f.summary));
      const lastOfGroup = i === g.shown.length - 1;
      if (g.sharedRemedy === null) out.push(...body('Fix: ', f.remedy));
      else if (lastOfGroup) out.push(...body(g.shown.length > 1 ? 'Fix (all above): ' : 'Fix: ', g.sharedRemedy));
    });
    if (g.more > 0) out.push(p.dim(`${indent}… and ${fmtInt(g.more)} more ${g.rule} findings`));
  }
  return out;
}

function clusterLines(c: ClusterReport, p: Palette, width: number, rows: number): string[] {
  const out: string[] = [];
  const h = (s: string) => p.bold(s);
  out.push(`${h(`CLUSTER ${c.name}`)}  ${statusStyle(p, c.status)(STATUS_WORD[c.status])}  ${c.url}`);
  if (c.samples.count === 0) {
    out.push(`  Not reachable${c.error ? `: ${oneLine(c.error)}` : ''}.`);
    return out;
  }
  const t = c.totals;
  const span = c.samples.count > 1 ? `${plural(c.samples.count, 'sample')} over ${fmtDuration(c.samples.spanSeconds)}` : '1 sample (no rates)';
  out.push(`  RabbitMQ ${c.broker.version || '?'} · Erlang ${c.broker.erlang || '?'} · ${plural(c.nodes.length, 'node')} · ${span}`);
  const rates = t.ratesKnown ? ` · publish ${fmtRate(t.publishRate)} · deliver ${fmtRate(t.deliverRate)}` : ' · rates unknown';
  out.push(`  ${plural(t.queues, 'queue')} · ${messageTotals(t)}${rates}`);
  out.push(
    `  ${plural(t.connections, 'connection')} · ${plural(t.channels, 'channel')} · ${plural(t.consumers, 'consumer')} · ${plural(t.exchanges, 'exchange')}`,
  );

  // Nodes: versions, alarms, partitions and headroom in one table.
  out.push('', h('NODES'));
  const headroomOf = (node: string, r: Headroom['resource']) => c.headroom.find((x) => x.node === node)?.resources.find((x) => x.resource === r);
  const styled = (text: string, hr: Headroom | undefined): Cell => ({ text, style: hr ? levelStyle(p, hr.level) : undefined });
  // The version column only earns its width when nodes disagree (the cluster line has the version).
  const versions = new Set(c.nodes.map((n) => `${n.rabbitmqVersion}/${n.erlangVersion}`));
  const showVersion = versions.size > 1;
  out.push(
    ...table(
      [
        { header: 'NODE', flex: true, min: 14 },
        { header: 'UP' },
        ...(showVersion ? [{ header: 'VERSION' }] : []),
        { header: 'MEMORY', align: 'right' as const },
        { header: 'DISK FREE', align: 'right' as const },
        { header: 'FD', align: 'right' as const },
        { header: 'ALARMS' },
        { header: 'PARTITIONS' },
      ],
      c.nodes.map((n): Cell[] => {
        const alarms = [n.memAlarm ? 'memory' : '', n.diskAlarm ? 'disk' : ''].filter(Boolean).join(',');
        return [
          n.name,
          n.running ? 'yes' : n.running === null ? 'unknown' : { text: 'NO', style: p.red },
          ...(showVersion ? [`${n.rabbitmqVersion}/${n.erlangVersion}`] : []),
          styled(`${fmtPercent(n.memLimit ? n.memUsed / n.memLimit : 0)} ${fmtBytesShort(n.memUsed)}/${fmtBytesShort(n.memLimit)}`, headroomOf(n.name, 'memory')),
          styled(`${fmtBytesShort(n.diskFree)} (limit ${fmtBytesShort(n.diskFreeLimit)})`, headroomOf(n.name, 'disk')),
          styled(`${fmtPercent(n.fdTotal ? n.fdUsed / n.fdTotal : 0)} ${fmtInt(n.fdUsed)}/${fmtInt(n.fdTotal)}`, headroomOf(n.name, 'fd')),
          alarms ? { text: alarms, style: p.red } : '-',
          n.partitions.length ? { text: n.partitions.join(','), style: p.red } : '-',
        ];
      }),
      width - 2,
      h,
    ).map(indentLine),
  );

  const os = c.openstack;
  if (os.available && os.services.length) {
    out.push('', h('OPENSTACK SERVICES'));
    out.push(
      ...table(
        [
          { header: 'SERVICE' },
          { header: 'HOSTS', align: 'right' },
          { header: 'QUEUES', align: 'right' },
          { header: 'MESSAGES', align: 'right' },
          { header: 'CONSUMERS', align: 'right' },
          { header: 'CONNS', align: 'right' },
          { header: 'DOWN ON', flex: true, min: 14 },
        ],
        os.services.slice(0, rows).map((s) => [
          s.service,
          fmtInt(s.hosts.length),
          fmtInt(s.queues),
          fmtInt(s.messages),
          fmtInt(s.consumers),
          fmtInt(s.connections),
          s.hostsDown.length ? { text: listSome(s.hostsDown, 6), style: p.red } : '-',
        ]),
        width - 2,
        h,
      ).map(indentLine),
    );
    if (os.services.length > rows) out.push(p.dim(`  … and ${plural(os.services.length - rows, 'more service')}`));
    const orphans = orphanLine(os.orphans);
    if (orphans) out.push(`  ${orphans}`);
    const hostsLine = (what: string, l: Array<{ address: string; host: string }>) =>
      l.length ? `  Hosts ${what}: ${listSome(l.map((x) => `${x.host} (${x.address})`), 8)}` : null;
    for (const line of [hostsLine('configured (openstack.hosts)', os.hostMap.configured), hostsLine('learned from per-host queue consumers', os.hostMap.learned)]) if (line) out.push(line);
    const ping = os.rpcPing;
    if (ping) {
      const name = (x: { topic: string; host: string }) => `${x.topic}.${x.host}`;
      out.push(
        `  RPC ping: ${fmtInt(ping.answered)} of ${plural(ping.servers, 'server')} answered` +
          (ping.notEnabled.length ? `; ping not enabled on ${listSome(ping.notEnabled.map(name), 8)}` : '') +
          (ping.unanswered.length ? `; no answer from ${listSome(ping.unanswered.map(name), 8)}` : ''),
      );
    }
  }
  if (os.available && os.hostQueues.withoutConsumers > 0) {
    const hq = os.hostQueues;
    const shown = hq.unconsumed.slice(0, rows);
    out.push('', h(`PER-HOST QUEUES WITHOUT CONSUMERS (${fmtInt(hq.withoutConsumers)} of ${fmtInt(hq.total)})`));
    out.push(
      ...table(
        [
          { header: 'QUEUE', flex: true, min: 16 },
          { header: 'SERVICE' },
          { header: 'HOST' },
          { header: 'MESSAGES', align: 'right' },
          { header: 'IDLE SINCE' },
        ],
        shown.map((q) => [q.queue, q.service, q.host, fmtKnown(q.messages, STATS_PENDING), q.idleSince ? fmtTime(q.idleSince) : '-']),
        width - 2,
        h,
      ).map(indentLine),
    );
    const more = hq.withoutConsumers - shown.length;
    if (more > 0) out.push(p.dim(`  … and ${plural(more, 'more per-host queue')} without consumers`));
  }

  const q = c.queues;
  const shownQueues = q.busiest.slice(0, rows);
  out.push('', h(`BUSIEST QUEUES (${fmtInt(shownQueues.length)} of ${fmtInt(q.total)})`));
  if (!shownQueues.length) out.push('  No queues.');
  else {
    const multiVhost = new Set(shownQueues.map((r) => r.vhost)).size > 1 || shownQueues.some((r) => r.vhost !== '/');
    const cols = [
      { header: 'QUEUE', flex: true, min: 16 },
      ...(multiVhost ? [{ header: 'VHOST' }] : []),
      { header: 'MESSAGES', align: 'right' as const },
      { header: 'READY', align: 'right' as const },
      { header: 'UNACKED', align: 'right' as const },
      { header: 'CONSUMERS', align: 'right' as const },
      { header: 'PUBLISH', align: 'right' as const },
      { header: 'DELIVER', align: 'right' as const },
      { header: 'GROWTH', align: 'right' as const },
    ];
    out.push(
      ...table(
        cols,
        shownQueues.map((r) => [
          r.name,
          ...(multiVhost ? [r.vhost] : []),
          ...queueCounts(r).slice(0, 3),
          r.consumers === 0 && (r.messages ?? 0) > 0 ? { text: '0', style: p.yellow } : queueCounts(r)[3],
          fmtRate(r.publishRate),
          fmtRate(r.deliverRate),
          r.growthRate !== null && r.growthRate > 0 ? { text: fmtGrowth(r.growthRate), style: p.yellow } : fmtGrowth(r.growthRate),
        ]),
        width - 2,
        h,
      ).map(indentLine),
    );
    const more = q.total - shownQueues.length;
    if (more > 0) {
      const moreEmpty = q.empty - shownQueues.filter((r) => r.messages === 0).length;
      out.push(p.dim(`  … and ${plural(more, 'more queue')} (${fmtInt(moreEmpty)} empty; ${fmtInt(q.withoutConsumers)} of all queues have no consumer)`));
    }
  }

  const ex = c.exchanges;
  const active = ex.busiest.filter((e) => (e.publishInRate ?? 0) > 0 || (e.publishOutRate ?? 0) > 0).slice(0, Math.min(rows, 10));
  out.push('', h(`EXCHANGES (${fmtInt(ex.total)})`));
  if (!active.length) out.push(`  No exchange traffic measured across the samples.`);
  else {
    out.push(
      ...table(
        [{ header: 'EXCHANGE', flex: true, min: 16 }, { header: 'VHOST' }, { header: 'TYPE' }, { header: 'IN', align: 'right' }, { header: 'OUT', align: 'right' }],
        active.map((e) => [e.name || '(AMQP default)', e.vhost, e.type, fmtRate(e.publishInRate), fmtRate(e.publishOutRate)]),
        width - 2,
        h,
      ).map(indentLine),
    );
    if (ex.total > active.length) out.push(p.dim(`  … and ${plural(ex.total - active.length, 'more exchange')} (less or no traffic)`));
  }

  const cn = c.connections;
  const states = Object.entries(cn.byState)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([s, n]) => `${fmtInt(n)} ${s}`)
    .join(', ');
  out.push('', h(`CONNECTIONS (${fmtInt(cn.total)}${states ? `: ${states}` : ''})`));
  const groups = cn.groups.slice(0, rows);
  if (!groups.length) out.push('  No client connections.');
  else {
    out.push(
      ...table(
        [
          { header: 'SERVICE' },
          { header: 'HOST', flex: true, min: 12 },
          { header: 'USER' },
          { header: 'CONNS', align: 'right' },
          { header: 'CHANNELS', align: 'right' },
          { header: 'NOT RUNNING' },
        ],
        groups.map((g) => {
          const bad = Object.entries(g.states)
            .filter(([s]) => s !== 'running')
            .map(([s, n]) => `${n} ${s}`)
            .join(', ');
          return [g.service || '(other)', g.host, g.user, fmtInt(g.count), fmtInt(g.channels), bad ? { text: bad, style: p.red } : '-'];
        }),
        width - 2,
        h,
      ).map(indentLine),
    );
    const hiddenGroups = cn.groups.length - groups.length + cn.more;
    if (hiddenGroups > 0) {
      const hiddenConns = cn.total - groups.reduce((n, g) => n + g.count, 0);
      out.push(p.dim(`  … and ${plural(hiddenGroups, 'more group')} (${plural(hiddenConns, 'connection')})`));
    }
  }
  out.push(...securityText(c.security, h));
  return out;
}

function indentLine(s: string): string {
  return `  ${s}`;
}
