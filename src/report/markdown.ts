// The report for a ticket or a chat: GitHub-flavoured markdown tables. Names are
// user data, so they go into code spans and every other cell is escaped.
import type { ClusterReport, Report } from './model.js';
import { fmtBytes, fmtDuration, fmtGrowth, fmtInt, fmtPercent, fmtRate, fmtTime, listSome, plural } from '../format.js';
import { STATS_PENDING, SEVERITY_WORD, fmtKnown, messageTotals, queueCounts, STATUS_WORD, groupFindings, oneLine, orphanLine, serviceLineText, severityCounts } from './format.js';
import { statusLine } from './text.js';
import { securityMarkdown } from './security.js';

export interface MarkdownOptions {
  /** Findings of one rule shown before the rest are counted; default 10. */
  findingsPerRule?: number;
  /** Rows per table; default 20. */
  rows?: number;
}

/** Escapes text for a markdown table cell: no line breaks, no markup, no raw HTML. */
export function mdText(s: string): string {
  return escapeMarkup(oneLine(s));
}

function escapeMarkup(s: string): string {
  return s.replace(/[\\`*_{}[\]<>|~&#!]/g, (c) => `\\${c}`);
}

/** Escaped text that keeps the `code spans` remedies use for commands and settings. */
export function mdRich(s: string): string {
  return oneLine(s)
    .split(/(`[^`]+`)/)
    .map((part) => (part.length > 2 && part.startsWith('`') && part.endsWith('`') ? mdCode(part.slice(1, -1)) : escapeMarkup(part)))
    .join('');
}

/** A code span that survives backticks and pipes in the name (GFM tables split on `|` even inside code). */
export function mdCode(s: string): string {
  const text = oneLine(s).replace(/\|/g, '\\|');
  if (!text) return '';
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function mdTable(headers: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string[] {
  const sep = headers.map((_, i) => (right.includes(i) ? '---:' : '---'));
  const line = (cells: readonly string[]) => `| ${cells.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`;
  return [line(headers), line(sep), ...rows.map(line)];
}

export function renderMarkdown(report: Report, opts: MarkdownOptions = {}): string {
  const perRule = Math.max(1, opts.findingsPerRule ?? 10);
  const rows = Math.max(1, opts.rows ?? 20);
  const out: string[] = [];
  out.push(`# warren report: ${STATUS_WORD[report.status]}`, '', `**${mdText(statusLine(report))}**`, '');

  out.push('## Findings', '');
  const all = report.clusters.flatMap((c) => c.findings.map((f) => ({ ...f, cluster: c.name })));
  if (!all.length) out.push('Nothing wrong found.', '');
  else {
    const multi = report.clusters.length > 1;
    const body: string[][] = [];
    for (const c of report.clusters) {
      for (const g of groupFindings(c.findings, perRule)) {
        if (g.services) {
          // A mass failure: one row per service with counts and a few names, the remedy once.
          for (const [i, s] of g.services.slice(0, perRule).entries()) {
            body.push([
              `**${SEVERITY_WORD[g.severity]}**`,
              mdCode(g.rule),
              `service ${mdCode(s.service)}${multi ? ` on ${mdCode(c.name)}` : ''}`,
              mdText(serviceLineText(g.rule, s, 5)),
              i === 0 ? mdRich(g.remedy) : '(same as above)',
            ]);
          }
          if (g.services.length > perRule) body.push(['', mdCode(g.rule), `… and ${plural(g.services.length - perRule, 'more service')}`, '', '']);
          continue;
        }
        for (const [i, f] of g.shown.entries()) {
          body.push([
            `**${SEVERITY_WORD[f.severity]}**`,
            mdCode(f.rule),
            `${f.subject.kind} ${mdCode(f.subject.name)}${f.subject.vhost && f.subject.vhost !== '/' ? ` (vhost ${mdCode(f.subject.vhost)})` : ''}${multi ? ` on ${mdCode(c.name)}` : ''}`,
            mdRich(f.summary),
            // A shared remedy once per rule: ten identical cells are noise.
            g.sharedRemedy !== null && i > 0 ? '(same as above)' : mdRich(f.remedy),
          ]);
        }
        if (g.more > 0) body.push(['', mdCode(g.rule), `… and ${fmtInt(g.more)} more ${mdText(g.rule)} findings`, '', '']);
      }
    }
    out.push(...mdTable(['Severity', 'Rule', 'Subject', 'What is wrong', 'What to do'], body), '');
  }
  for (const c of report.clusters) out.push(...clusterMarkdown(c, rows));
  return `${out.join('\n').trimEnd()}\n`;
}

function clusterMarkdown(c: ClusterReport, rows: number): string[] {
  const out: string[] = [];
  out.push(`## Cluster ${mdCode(c.name)}: ${STATUS_WORD[c.status]}`, '');
  out.push(`Management API: ${mdCode(c.url)}`, '');
  if (c.samples.count === 0) {
    out.push(`Not reachable${c.error ? `: ${mdText(c.error)}` : ''}.`, '');
    return out;
  }
  const t = c.totals;
  const span = c.samples.count > 1 ? `${plural(c.samples.count, 'sample')} over ${fmtDuration(c.samples.spanSeconds)}` : '1 sample (no rates)';
  out.push(
    `RabbitMQ ${mdText(c.broker.version || '?')}, Erlang ${mdText(c.broker.erlang || '?')}, ${plural(c.nodes.length, 'node')}, ${span}. ` +
      `${plural(t.queues, 'queue')}, ${mdText(messageTotals(t))}, ` +
      (t.ratesKnown ? `publish ${fmtRate(t.publishRate)}, deliver ${fmtRate(t.deliverRate)}, ` : 'rates unknown, ') +
      `${plural(t.connections, 'connection')}, ${plural(t.channels, 'channel')}, ${plural(t.consumers, 'consumer')}. ${mdText(severityCounts(c.findings))}.`,
    '',
  );

  out.push('### Nodes', '');
  out.push(
    ...mdTable(
      ['Node', 'Running', 'Version', 'Memory', 'Disk free', 'File descriptors', 'Alarms', 'Partitions'],
      c.nodes.map((n) => [
        mdCode(n.name),
        n.running ? 'yes' : n.running === null ? 'unknown' : '**NO**',
        mdText(`${n.rabbitmqVersion} / Erlang ${n.erlangVersion}`),
        `${fmtBytes(n.memUsed)} of ${fmtBytes(n.memLimit)} (${fmtPercent(n.memLimit ? n.memUsed / n.memLimit : 0)})`,
        `${fmtBytes(n.diskFree)} (limit ${fmtBytes(n.diskFreeLimit)})`,
        `${fmtInt(n.fdUsed)} of ${fmtInt(n.fdTotal)} (${fmtPercent(n.fdTotal ? n.fdUsed / n.fdTotal : 0)})`,
        [n.memAlarm ? '**memory**' : '', n.diskAlarm ? '**disk**' : ''].filter(Boolean).join(', ') || 'none',
        n.partitions.length ? n.partitions.map(mdCode).join(', ') : 'none',
      ]),
    ),
    '',
  );

  const os = c.openstack;
  if (os.available && os.services.length) {
    out.push('### OpenStack services', '');
    out.push(
      ...mdTable(
        ['Service', 'Hosts', 'Queues', 'Messages', 'Consumers', 'Connections', 'Down on (per-host queue without consumer)'],
        os.services.slice(0, rows).map((s) => [
          mdText(s.service),
          fmtInt(s.hosts.length),
          fmtInt(s.queues),
          fmtInt(s.messages),
          fmtInt(s.consumers),
          fmtInt(s.connections),
          s.hostsDown.length ? `**${mdText(listSome(s.hostsDown, 10))}**` : 'none',
        ]),
        [1, 2, 3, 4, 5],
      ),
      '',
    );
    if (os.services.length > rows) out.push(`… and ${plural(os.services.length - rows, 'more service')}.`, '');
    const orphans = orphanLine(os.orphans);
    if (orphans) out.push(`${mdText(orphans)}.`, '');
  }
  if (os.available && os.hostQueues.withoutConsumers > 0) {
    const hq = os.hostQueues;
    const shown = hq.unconsumed.slice(0, rows);
    out.push(`### Per-host queues without consumers (${fmtInt(hq.withoutConsumers)} of ${fmtInt(hq.total)})`, '');
    out.push(
      ...mdTable(
        ['Queue', 'Service', 'Host', 'Messages', 'Idle since'],
        shown.map((q) => [mdCode(q.queue), mdText(q.service), mdCode(q.host), fmtKnown(q.messages, STATS_PENDING), q.idleSince ? fmtTime(q.idleSince) : '-']),
        [3],
      ),
      '',
    );
    if (hq.withoutConsumers > shown.length) out.push(`… and ${plural(hq.withoutConsumers - shown.length, 'more per-host queue')} without consumers.`, '');
  }

  const q = c.queues;
  const shownQueues = q.busiest.slice(0, rows);
  out.push(`### Busiest queues (${fmtInt(shownQueues.length)} of ${fmtInt(q.total)})`, '');
  if (shownQueues.length) {
    out.push(
      ...mdTable(
        ['Queue', 'Vhost', 'Messages', 'Ready', 'Unacked', 'Consumers', 'Publish', 'Deliver', 'Growth'],
        shownQueues.map((r) => [
          mdCode(r.name),
          mdCode(r.vhost),
          ...queueCounts(r).slice(0, 3),
          r.consumers === 0 && (r.messages ?? 0) > 0 ? '**0**' : queueCounts(r)[3]!,
          fmtRate(r.publishRate),
          fmtRate(r.deliverRate),
          fmtGrowth(r.growthRate),
        ]),
        [2, 3, 4, 5, 6, 7, 8],
      ),
      '',
    );
    const more = q.total - shownQueues.length;
    if (more > 0) {
      const moreEmpty = q.empty - shownQueues.filter((r) => r.messages === 0).length;
      out.push(`… and ${plural(more, 'more queue')} (${fmtInt(moreEmpty)} empty; ${fmtInt(q.withoutConsumers)} of all queues have no consumer).`, '');
    }
  } else out.push('No queues.', '');

  const ex = c.exchanges;
  const active = ex.busiest.filter((e) => (e.publishInRate ?? 0) > 0 || (e.publishOutRate ?? 0) > 0).slice(0, rows);
  out.push(`### Exchanges (${fmtInt(ex.total)})`, '');
  if (active.length) {
    out.push(
      ...mdTable(
        ['Exchange', 'Vhost', 'Type', 'In', 'Out'],
        active.map((e) => [e.name ? mdCode(e.name) : '(AMQP default)', mdCode(e.vhost), mdText(e.type), fmtRate(e.publishInRate), fmtRate(e.publishOutRate)]),
        [3, 4],
      ),
      '',
    );
    if (ex.total > active.length) out.push(`… and ${plural(ex.total - active.length, 'more exchange')} with less or no traffic.`, '');
  } else out.push('No exchange traffic measured across the samples.', '');

  const cn = c.connections;
  const states = Object.entries(cn.byState)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([s, n]) => `${fmtInt(n)} ${mdText(s)}`)
    .join(', ');
  out.push(`### Connections (${fmtInt(cn.total)}${states ? `: ${states}` : ''})`, '');
  const groups = cn.groups.slice(0, rows);
  if (groups.length) {
    out.push(
      ...mdTable(
        ['Service', 'Host', 'User', 'Connections', 'Channels', 'Not running'],
        groups.map((g) => {
          const bad = Object.entries(g.states)
            .filter(([s]) => s !== 'running')
            .map(([s, n]) => `${n} ${s}`)
            .join(', ');
          return [mdText(g.service || '(other)'), mdCode(g.host), mdCode(g.user), fmtInt(g.count), fmtInt(g.channels), bad ? `**${mdText(bad)}**` : 'none'];
        }),
        [3, 4],
      ),
      '',
    );
    const hiddenGroups = cn.groups.length - groups.length + cn.more;
    if (hiddenGroups > 0) {
      out.push(`… and ${plural(hiddenGroups, 'more group')} (${plural(cn.total - groups.reduce((n, g) => n + g.count, 0), 'connection')}).`, '');
    }
  } else out.push('No client connections.', '');
  out.push(...securityMarkdown(c.security, mdText, mdCode));
  return out;
}
