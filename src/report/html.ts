// The report as ONE self-contained HTML file an operator can attach to a ticket or
// open offline: inline CSS, inline SVG charts, no scripts, no fonts, no URLs to
// fetch. Every piece of broker data is escaped (queue names are user data).
import type { Severity } from '../rules/index.js';
import { HEADROOM_WARN_AT, type ClusterReport, type Headroom, type Level, type QueueRow, type Report, type ReportStatus } from './model.js';
import { fmtBytes, fmtDuration, fmtGrowth, fmtInt, fmtPercent, fmtRate, fmtTime, listSome, plural } from '../format.js';
import { STATS_PENDING, SEVERITY_WORD, fmtKnown, queueCounts, STATUS_WORD, groupFindings, oneLine, orphanLine, serviceLineText, severityCounts } from './format.js';
import { securityHtml } from './security.js';

export interface HtmlOptions {
  /** Findings of one rule shown before the rest are counted; default 10. */
  findingsPerRule?: number;
  /** Rows per table; default 20. */
  rows?: number;
}

/** Escapes for both text and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Escaped text where `backtick spans` (as remedies write commands and settings) become <code>. */
export function richText(s: string): string {
  return esc(oneLine(s)).replace(/`([^`]+)`/g, '<code>$1</code>');
}

// Status colours: banner background and the text drawn on it (amber needs dark text to stay readable).
export const STATUS_COLOURS: Record<ReportStatus, { bg: string; fg: string }> = {
  critical: { bg: '#b71c1c', fg: '#ffffff' },
  warning: { bg: '#f9a825', fg: '#1b1b1b' },
  ok: { bg: '#2e7d32', fg: '#ffffff' },
  unknown: { bg: '#4a148c', fg: '#ffffff' },
};

const SEVERITY_COLOURS: Record<Severity, string> = { critical: '#b71c1c', warning: '#e69500', info: '#1565c0' };
const LEVEL_COLOURS: Record<Level, string> = { ok: '#2e7d32', warning: '#e69500', critical: '#b71c1c' };

const CSS = `
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1b1b1b;background:#f4f5f7}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
.banner{padding:18px 28px;display:flex;align-items:baseline;gap:20px;flex-wrap:wrap}
.banner .verdict{font-size:34px;font-weight:800;letter-spacing:.04em}
.banner .headline{font-size:16px;font-weight:500}
.banner .when{margin-left:auto;font-size:13px;opacity:.9}
${(Object.keys(STATUS_COLOURS) as ReportStatus[]).map((s) => `.status-${s}{background:${STATUS_COLOURS[s].bg};color:${STATUS_COLOURS[s].fg}}`).join('\n')}
main{max-width:1400px;margin:0 auto;padding:16px 28px 40px}
section{background:#fff;border:1px solid #dfe1e5;border-radius:6px;margin:0 0 16px;padding:14px 18px}
h2{font-size:18px;margin:0 0 10px}
h3{font-size:14px;margin:18px 0 6px;text-transform:uppercase;letter-spacing:.05em;color:#555}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceef1;vertical-align:top}
th{font-size:12px;font-weight:600;color:#555;background:#fafbfc;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.name{word-break:break-all;min-width:12em}
tr{break-inside:avoid}
.findings td{padding:8px}
.findings .rule{font-weight:700}
.findings .subject{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px;word-break:break-all}
.findings .summary{margin-top:2px}
.findings .remedy{color:#333;border-left:1px solid #eceef1;font-size:13.5px}
.findings code{background:#f1f3f5;border-radius:3px;padding:0 3px;font-size:12px}
.findings tr.more td{color:#555;font-style:italic}
.findings tr.sev-critical td:first-child{border-left:5px solid ${SEVERITY_COLOURS.critical}}
.findings tr.sev-warning td:first-child{border-left:5px solid ${SEVERITY_COLOURS.warning}}
.findings tr.sev-info td:first-child{border-left:5px solid ${SEVERITY_COLOURS.info}}
.badge{display:inline-block;padding:1px 8px;border-radius:3px;font-size:12px;font-weight:700;color:#fff;white-space:nowrap}
.badge.critical{background:${SEVERITY_COLOURS.critical}}
.badge.warning{background:${SEVERITY_COLOURS.warning};color:#1b1b1b}
.badge.info{background:${SEVERITY_COLOURS.info}}
.pill{display:inline-block;padding:1px 10px;border-radius:10px;font-size:12px;font-weight:700;vertical-align:middle;margin-left:8px}
.ok-msg{color:#2e7d32;font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0 4px}
.card{border:1px solid #eceef1;border-radius:5px;padding:6px 10px;min-width:92px}
.card .v{font-size:20px;font-weight:700;font-variant-numeric:tabular-nums}
.card .k{font-size:11px;color:#666;text-transform:uppercase;letter-spacing:.05em}
.meta{color:#555;font-size:13px}
.bad{color:#b71c1c;font-weight:700}
.warn{color:#a86b00;font-weight:700}
.muted{color:#666}
.more{color:#555;font-style:italic;margin:6px 0 0}
.bar{display:flex;flex-direction:column;align-items:flex-start;gap:3px;white-space:nowrap;font-size:12.5px}
svg{vertical-align:middle}
footer{color:#666;font-size:12px;text-align:center;padding:0 0 24px}
@media print{
 body{background:#fff;font-size:11px}
 main{padding:8px 0;max-width:none}
 section{border:none;padding:4px 0;break-inside:auto}
 .banner{padding:10px 14px}
 .banner .verdict{font-size:26px}
}
`;

export function renderHtml(report: Report, opts: HtmlOptions = {}): string {
  const perRule = Math.max(1, opts.findingsPerRule ?? 10);
  const rows = Math.max(1, opts.rows ?? 20);
  const all = report.clusters.flatMap((c) => c.findings);
  const where = report.clusters.length === 1 ? report.clusters[0]!.name : plural(report.clusters.length, 'cluster');
  const word = STATUS_WORD[report.status];
  const parts: string[] = [];
  parts.push(
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(`warren ${word}: ${where}, ${fmtTime(report.generatedAt)}`)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<header id="status" class="banner status-${report.status}" role="status" data-status="${report.status}">`,
    `<div class="verdict">${word}</div>`,
    `<div class="headline">${esc(severityCounts(all))} · ${esc(where)}</div>`,
    `<div class="when">warren report · ${esc(fmtTime(report.generatedAt))}</div>`,
    '</header><main>',
  );
  parts.push(findingsSection(report, perRule));
  for (const c of report.clusters) parts.push(clusterSection(c, rows));
  parts.push('</main>', `<footer>Generated by warren at ${esc(report.generatedAt)}. Self-contained: no scripts, no external resources.</footer>`, '</body></html>');
  return `${parts.join('\n')}\n`;
}

function findingsSection(report: Report, perRule: number): string {
  const multi = report.clusters.length > 1;
  const body: string[] = [];
  for (const c of report.clusters) {
    for (const g of groupFindings(c.findings, perRule)) {
      if (g.services) {
        // A mass failure: one row per service with counts and a few names, the remedy once.
        const lines = g.services.slice(0, perRule);
        const rest = g.services.length - lines.length;
        for (const [i, s] of lines.entries()) {
          const remedy = i === 0 ? `<td class="remedy" rowspan="${lines.length + (rest > 0 ? 1 : 0)}">${richText(g.remedy)}</td>` : '';
          body.push(
            `<tr class="finding group sev-${g.severity}" data-rule="${esc(g.rule)}" data-severity="${g.severity}" data-count="${s.count}">` +
              `<td><span class="badge ${g.severity}">${SEVERITY_WORD[g.severity]}</span></td>` +
              `<td><div><span class="rule">${esc(g.rule)}</span> <span class="muted">service</span> <span class="subject">${esc(s.service)}</span>${multi ? ` <span class="muted">on ${esc(c.name)}</span>` : ''}</div>` +
              `<div class="summary">${esc(serviceLineText(g.rule, s, 5))}</div></td>` +
              `${remedy}</tr>`,
          );
        }
        if (rest > 0) body.push(`<tr class="more"><td></td><td>… and ${esc(plural(rest, 'more service'))}</td></tr>`);
        continue;
      }
      // One remedy cell for a group that shares it: ten identical remedies are noise.
      const span = g.sharedRemedy !== null && g.shown.length > 1 ? g.shown.length + (g.more > 0 ? 1 : 0) : 0;
      for (const [i, f] of g.shown.entries()) {
        const remedy = span === 0 ? `<td class="remedy">${richText(f.remedy)}</td>` : i === 0 ? `<td class="remedy" rowspan="${span}">${richText(f.remedy)}</td>` : '';
        const vhost = f.subject.vhost && f.subject.vhost !== '/' ? ` <span class="muted">vhost</span> ${esc(f.subject.vhost)}` : '';
        body.push(
          `<tr class="finding sev-${f.severity}" data-rule="${esc(f.rule)}" data-severity="${f.severity}">` +
            `<td><span class="badge ${f.severity}">${SEVERITY_WORD[f.severity]}</span></td>` +
            `<td><div><span class="rule">${esc(f.rule)}</span> <span class="muted">${esc(f.subject.kind)}</span> <span class="subject">${esc(f.subject.name)}</span>${vhost}${multi ? ` <span class="muted">on ${esc(c.name)}</span>` : ''}</div>` +
            `<div class="summary">${richText(f.summary)}</div></td>` +
            `${remedy}</tr>`,
        );
      }
      if (g.more > 0) {
        body.push(`<tr class="more"><td></td><td${span ? '' : ' colspan="2"'}>… and ${fmtInt(g.more)} more ${esc(g.rule)} findings</td></tr>`);
      }
    }
  }
  const inner = body.length
    ? `<table class="findings"><thead><tr><th style="width:8em">Severity</th><th>What is wrong</th><th style="width:48%">What to do</th></tr></thead><tbody>\n${body.join('\n')}\n</tbody></table>`
    : '<p class="ok-msg">Nothing wrong found.</p>';
  return `<section id="findings"><h2>Findings</h2>\n${inner}</section>`;
}

function pill(status: ReportStatus): string {
  const c = STATUS_COLOURS[status];
  return `<span class="pill" style="background:${c.bg};color:${c.fg}">${STATUS_WORD[status]}</span>`;
}

function card(label: string, value: string): string {
  return `<div class="card"><div class="v">${esc(value)}</div><div class="k">${esc(label)}</div></div>`;
}

function th(label: string, num = false): string {
  return `<th${num ? ' class="num"' : ''}>${esc(label)}</th>`;
}

function td(text: string, cls = ''): string {
  return `<td${cls ? ` class="${cls}"` : ''}>${esc(text)}</td>`;
}

function num(text: string): string {
  return td(text, 'num');
}

function clusterSection(c: ClusterReport, rows: number): string {
  const out: string[] = [];
  out.push(`<section class="cluster" data-cluster="${esc(c.name)}"><h2>Cluster ${esc(c.name)}${pill(c.status)}</h2>`);
  out.push(`<div class="meta">Management API <code>${esc(c.url)}</code></div>`);
  if (c.samples.count === 0) {
    out.push(`<p class="bad">Not reachable${c.error ? `: ${esc(oneLine(c.error))}` : ''}.</p></section>`);
    return out.join('\n');
  }
  const t = c.totals;
  const span = c.samples.count > 1 ? `${plural(c.samples.count, 'sample')} over ${fmtDuration(c.samples.spanSeconds)}` : '1 sample (no rates)';
  out.push(`<div class="meta">RabbitMQ ${esc(c.broker.version || '?')} · Erlang ${esc(c.broker.erlang || '?')} · ${esc(span)}</div>`);
  out.push(
    '<div class="cards">' +
      [
        card('nodes running', `${c.nodes.filter((n) => n.running).length} / ${c.nodes.length}`),
        card('queues', fmtInt(t.queues)),
        card('messages', fmtKnown(t.messages, STATS_PENDING)),
        card('ready', fmtKnown(t.ready)),
        card('unacked', fmtKnown(t.unacked)),
        card('publish', t.ratesKnown ? fmtRate(t.publishRate) : '-'),
        card('deliver', t.ratesKnown ? fmtRate(t.deliverRate) : '-'),
        card('connections', fmtInt(t.connections)),
        card('channels', fmtInt(t.channels)),
        card('consumers', fmtInt(t.consumers)),
      ].join('') +
      '</div>',
  );

  out.push('<h3>Nodes and headroom</h3>');
  // The version column only earns its width when nodes disagree (the line above has the version).
  const showVersion = new Set(c.nodes.map((n) => `${n.rabbitmqVersion}/${n.erlangVersion}`)).size > 1;
  out.push(
    `<table class="nodes"><thead><tr>${th('Node')}${th('Running')}${showVersion ? th('Version') : ''}${th('Memory (of watermark)')}${th('Disk free (vs limit)')}${th('File descriptors')}${th('Alarms')}${th('Partitions')}</tr></thead><tbody>`,
  );
  for (const n of c.nodes) {
    const hr = c.headroom.find((h) => h.node === n.name)?.resources ?? [];
    const res = (r: Headroom['resource']) => hr.find((x) => x.resource === r);
    const alarms = [n.memAlarm ? 'memory' : '', n.diskAlarm ? 'disk' : ''].filter(Boolean).join(', ');
    out.push(
      '<tr>' +
        td(n.name, 'name') +
        (n.running ? td('yes') : n.running === null ? td('unknown') : '<td class="bad">NO</td>') +
        (showVersion ? `<td class="warn" style="white-space:nowrap">${esc(`${n.rabbitmqVersion} / Erlang ${n.erlangVersion}`)}</td>` : '') +
        `<td>${headroomBar(res('memory'), `${fmtBytes(n.memUsed)} of ${fmtBytes(n.memLimit)} (${fmtPercent(n.memLimit ? n.memUsed / n.memLimit : 0)})`, HEADROOM_WARN_AT.memory)}</td>` +
        `<td>${headroomBar(res('disk'), `${fmtBytes(n.diskFree)} free, limit ${fmtBytes(n.diskFreeLimit)}`, HEADROOM_WARN_AT.disk)}</td>` +
        `<td>${headroomBar(res('fd'), `${fmtInt(n.fdUsed)} of ${fmtInt(n.fdTotal)} (${fmtPercent(n.fdTotal ? n.fdUsed / n.fdTotal : 0)})`, HEADROOM_WARN_AT.fd)}</td>` +
        (alarms ? `<td class="bad">${esc(alarms)}</td>` : td('none')) +
        (n.partitions.length ? `<td class="bad name">${esc(n.partitions.join(', '))}</td>` : td('none')) +
        '</tr>',
    );
  }
  out.push('</tbody></table>');

  const os = c.openstack;
  if (os.available && os.services.length) {
    out.push('<h3>OpenStack services</h3>');
    out.push(
      `<table class="services"><thead><tr>${th('Service')}${th('Hosts', true)}${th('Queues', true)}${th('Messages', true)}${th('Consumers', true)}${th('Connections', true)}${th('Down on (per-host queue without consumer)')}</tr></thead><tbody>`,
    );
    for (const s of os.services.slice(0, rows)) {
      out.push(
        '<tr>' +
          td(s.service) +
          num(fmtInt(s.hosts.length)) +
          num(fmtInt(s.queues)) +
          num(fmtInt(s.messages)) +
          num(fmtInt(s.consumers)) +
          num(fmtInt(s.connections)) +
          (s.hostsDown.length ? `<td class="bad name">${esc(listSome(s.hostsDown, 10))}</td>` : td('none')) +
          '</tr>',
      );
    }
    out.push('</tbody></table>');
    if (os.services.length > rows) out.push(`<p class="more">… and ${esc(plural(os.services.length - rows, 'more service'))}</p>`);
    const orphans = orphanLine(os.orphans);
    if (orphans) out.push(`<p class="meta">${esc(orphans)}.</p>`);
  }
  if (os.available && os.hostQueues.withoutConsumers > 0) {
    const hq = os.hostQueues;
    const shown = hq.unconsumed.slice(0, rows);
    out.push(`<h3>Per-host queues without consumers (${fmtInt(hq.withoutConsumers)} of ${fmtInt(hq.total)})</h3>`);
    out.push(`<table class="host-queues"><thead><tr>${th('Queue')}${th('Service')}${th('Host')}${th('Messages', true)}${th('Idle since')}</tr></thead><tbody>`);
    for (const q of shown) {
      out.push('<tr>' + td(q.queue, 'name') + td(q.service) + td(q.host) + num(fmtKnown(q.messages, STATS_PENDING)) + td(q.idleSince ? fmtTime(q.idleSince) : '-') + '</tr>');
    }
    out.push('</tbody></table>');
    if (hq.withoutConsumers > shown.length) {
      out.push(`<p class="more">… and ${esc(plural(hq.withoutConsumers - shown.length, 'more per-host queue'))} without consumers</p>`);
    }
  }

  const q = c.queues;
  const shownQueues = q.busiest.slice(0, rows);
  out.push(`<h3>Busiest queues (${fmtInt(shownQueues.length)} of ${fmtInt(q.total)})</h3>`);
  if (shownQueues.length) {
    out.push(
      `<table class="queues"><thead><tr>${th('Queue')}${th('Vhost')}${th('Messages', true)}${th('Depth across samples')}${th('Ready', true)}${th('Unacked', true)}${th('Consumers', true)}${th('Publish', true)}${th('Deliver', true)}<th>Rates across samples <span style="color:#1565c0">publish</span> <span style="color:#2e7d32">deliver</span></th>${th('Growth', true)}</tr></thead><tbody>`,
    );
    for (const r of shownQueues) out.push(queueRow(r));
    out.push('</tbody></table>');
    const more = q.total - shownQueues.length;
    if (more > 0) {
      const moreEmpty = q.empty - shownQueues.filter((r) => r.messages === 0).length;
      out.push(
        `<p class="more">… and ${esc(plural(more, 'more queue'))} (${fmtInt(moreEmpty)} empty; ${fmtInt(q.withoutConsumers)} of all queues have no consumer)</p>`,
      );
    }
  } else out.push('<p class="muted">No queues.</p>');

  const ex = c.exchanges;
  const active = ex.busiest.filter((e) => (e.publishInRate ?? 0) > 0 || (e.publishOutRate ?? 0) > 0).slice(0, rows);
  out.push(`<h3>Exchanges (${fmtInt(ex.total)})</h3>`);
  if (active.length) {
    out.push(`<table class="exchanges"><thead><tr>${th('Exchange')}${th('Vhost')}${th('Type')}${th('In', true)}${th('Out', true)}</tr></thead><tbody>`);
    for (const e of active) {
      out.push('<tr>' + td(e.name || '(AMQP default)', 'name') + td(e.vhost) + td(e.type) + num(fmtRate(e.publishInRate)) + num(fmtRate(e.publishOutRate)) + '</tr>');
    }
    out.push('</tbody></table>');
    if (ex.total > active.length) out.push(`<p class="more">… and ${esc(plural(ex.total - active.length, 'more exchange'))} with less or no traffic</p>`);
  } else out.push('<p class="muted">No exchange traffic measured across the samples.</p>');

  const cn = c.connections;
  const states = Object.entries(cn.byState)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([s, n]) => `${fmtInt(n)} ${s}`)
    .join(', ');
  out.push(`<h3>Connections (${fmtInt(cn.total)}${states ? `: ${esc(states)}` : ''})</h3>`);
  const groups = cn.groups.slice(0, rows);
  if (groups.length) {
    out.push(
      `<table class="connections"><thead><tr>${th('Service')}${th('Host')}${th('User')}${th('Connections', true)}${th('Channels', true)}${th('Not running')}</tr></thead><tbody>`,
    );
    for (const g of groups) {
      const bad = Object.entries(g.states)
        .filter(([s]) => s !== 'running')
        .map(([s, n]) => `${n} ${s}`)
        .join(', ');
      out.push(
        '<tr>' +
          td(g.service || '(other)') +
          td(g.host, 'name') +
          td(g.user) +
          num(fmtInt(g.count)) +
          num(fmtInt(g.channels)) +
          (bad ? `<td class="bad">${esc(bad)}</td>` : td('none')) +
          '</tr>',
      );
    }
    out.push('</tbody></table>');
    const hiddenGroups = cn.groups.length - groups.length + cn.more;
    if (hiddenGroups > 0) {
      out.push(
        `<p class="more">… and ${esc(plural(hiddenGroups, 'more group'))} (${esc(plural(cn.total - groups.reduce((n, g) => n + g.count, 0), 'connection'))})</p>`,
      );
    }
  } else out.push('<p class="muted">No client connections.</p>');
  out.push(securityHtml(c.security, esc));
  out.push('</section>');
  return out.join('\n');
}

function queueRow(r: QueueRow): string {
  const noConsumer = r.consumers === 0 && (r.messages ?? 0) > 0;
  const growing = r.growthRate !== null && r.growthRate > 0;
  const [messages, ready, unacked, consumers] = queueCounts(r);
  return (
    '<tr>' +
    td(r.name, 'name') +
    td(r.vhost) +
    num(messages) +
    `<td>${sparkline(r.series.depth, { colour: '#37474f', label: 'depth', format: fmtInt })}</td>` +
    num(ready) +
    num(unacked) +
    (noConsumer ? '<td class="num warn">0</td>' : num(consumers)) +
    num(fmtRate(r.publishRate)) +
    num(fmtRate(r.deliverRate)) +
    `<td>${dualSparkline(r.series.publishRate, r.series.deliverRate)}</td>` +
    (growing ? `<td class="num warn">${esc(fmtGrowth(r.growthRate))}</td>` : num(fmtGrowth(r.growthRate))) +
    '</tr>'
  );
}

const SPARK_W = 96;
const SPARK_H = 22;

function points(values: ReadonlyArray<number | null>, max: number, min: number): Array<[number, number] | null> {
  const n = values.length;
  const span = max - min;
  return values.map((v, i) => {
    if (v === null) return null;
    const x = n === 1 ? SPARK_W / 2 : 2 + (i * (SPARK_W - 4)) / (n - 1);
    // A flat series sits mid-height (or on the baseline when it is all zeros).
    const rel = span > 0 ? (v - min) / span : max > 0 ? 0.5 : 0;
    const y = SPARK_H - 3 - rel * (SPARK_H - 6);
    return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
  });
}

/** Polylines through the known points; a gap (null) breaks the line. */
function lines(pts: Array<[number, number] | null>, colour: string): string {
  const runs: Array<Array<[number, number]>> = [[]];
  for (const p of pts) {
    if (p) runs[runs.length - 1]!.push(p);
    else if (runs[runs.length - 1]!.length) runs.push([]);
  }
  const known = pts.filter((p): p is [number, number] => p !== null);
  const last = known[known.length - 1];
  return (
    runs
      .filter((r) => r.length > 1)
      .map((r) => `<polyline fill="none" stroke="${colour}" stroke-width="1.6" points="${r.map(([x, y]) => `${x},${y}`).join(' ')}"/>`)
      .join('') + (last ? `<circle cx="${last[0]}" cy="${last[1]}" r="2.2" fill="${colour}"/>` : '')
  );
}

/** A small inline chart of one series across the samples; the title holds the exact values. */
export function sparkline(
  values: ReadonlyArray<number | null>,
  o: { colour: string; label: string; format: (n: number) => string },
): string {
  const known = values.filter((v): v is number => v !== null);
  if (!known.length) return '<span class="muted">-</span>';
  // Scaled min..max so a trend shows even on a deep queue; the title gives the real values.
  const max = Math.max(...known);
  const min = Math.min(...known);
  const title = `${o.label}: ${values.map((v) => (v === null ? '?' : o.format(v))).join(' → ')}`;
  return (
    `<svg class="spark" width="${SPARK_W}" height="${SPARK_H}" viewBox="0 0 ${SPARK_W} ${SPARK_H}" role="img" aria-label="${esc(title)}">` +
    `<title>${esc(title)}</title><line x1="0" y1="${SPARK_H - 1}" x2="${SPARK_W}" y2="${SPARK_H - 1}" stroke="#dfe1e5"/>` +
    lines(points(values, max, min), o.colour) +
    '</svg>'
  );
}

/** Publish (blue) and deliver (green) rates on one shared scale, so a gap between them reads as growth. */
function dualSparkline(publish: ReadonlyArray<number | null>, deliver: ReadonlyArray<number | null>): string {
  const known = [...publish, ...deliver].filter((v): v is number => v !== null);
  if (!known.length) return '<span class="muted">-</span>';
  const max = Math.max(...known);
  const fmt = (xs: ReadonlyArray<number | null>) => xs.map((v) => (v === null ? '?' : fmtRate(v))).join(' → ');
  const title = `publish: ${fmt(publish)}; deliver: ${fmt(deliver)}`;
  return (
    `<svg class="spark" width="${SPARK_W}" height="${SPARK_H}" viewBox="0 0 ${SPARK_W} ${SPARK_H}" role="img" aria-label="${esc(title)}">` +
    `<title>${esc(title)}</title><line x1="0" y1="${SPARK_H - 1}" x2="${SPARK_W}" y2="${SPARK_H - 1}" stroke="#dfe1e5"/>` +
    lines(points(publish, max, 0), '#1565c0') +
    lines(points(deliver, max, 0), '#2e7d32') +
    '</svg>'
  );
}

const BAR_W = 120;
const BAR_H = 12;

/** How close a resource is to its limit, with a tick where the warning starts. */
export function headroomBar(h: Headroom | undefined, text: string, warnAt: number): string {
  if (!h) return esc(text);
  const fill = Math.max(0, Math.min(1, h.pressure));
  const colour = LEVEL_COLOURS[h.level];
  const tick = Math.round(warnAt * BAR_W);
  return (
    `<div class="bar"><svg class="headroom" data-level="${h.level}" width="${BAR_W}" height="${BAR_H}" viewBox="0 0 ${BAR_W} ${BAR_H}" role="img" aria-label="${esc(`${h.resource} ${fmtPercent(h.pressure)} of limit`)}">` +
    `<rect width="${BAR_W}" height="${BAR_H}" rx="2" fill="#e6e8eb"/>` +
    `<rect width="${Math.max(fill > 0 ? 2 : 0, Math.round(fill * BAR_W))}" height="${BAR_H}" rx="2" fill="${colour}"/>` +
    `<line x1="${tick}" y1="0" x2="${tick}" y2="${BAR_H}" stroke="#555" stroke-width="1" stroke-dasharray="2,1"/>` +
    `</svg><span${h.level === 'ok' ? '' : ` class="${h.level === 'critical' ? 'bad' : 'warn'}"`}>${esc(text)}</span></div>`
  );
}
