// A hand-written SVG line chart (log-log): poll time against queue count, one line per
// contender. Pure: series in, SVG text out.

export interface ChartSeries {
  label: string;
  color: string;
  /** Dashed for the broker's own endpoints, solid for warren. */
  dashed?: boolean;
  points: Array<{ x: number; y: number }>;
}

const W = 760;
const H = 440;
const M = { left: 70, right: 230, top: 40, bottom: 56 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function decades(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) out.push(10 ** e);
  return out;
}

function fmtTick(v: number, unit: string): string {
  if (unit === 'ms' && v >= 1000) return `${v / 1000} s`;
  if (unit === 'ms') return `${v} ms`;
  return v >= 1000 ? `${v / 1000}k` : String(v);
}

export function lineChartSvg(title: string, xLabel: string, yLabel: string, series: readonly ChartSeries[]): string {
  const pts = series.flatMap((s) => s.points).filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.y));
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  const xTicks = decades(Math.min(...xs, 1000), Math.max(...xs, 1000));
  const yTicks = decades(Math.min(...ys, 10), Math.max(...ys, 100));
  const [x0, x1] = [Math.log10(xTicks[0]!), Math.log10(xTicks[xTicks.length - 1]!)];
  const [y0, y1] = [Math.log10(yTicks[0]!), Math.log10(yTicks[yTicks.length - 1]!)];
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const px = (x: number) => M.left + ((Math.log10(x) - x0) / (x1 - x0 || 1)) * pw;
  const py = (y: number) => M.top + ph - ((Math.log10(y) - y0) / (y1 - y0 || 1)) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const t of yTicks) {
    const y = py(t).toFixed(1);
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmtTick(t, 'ms')}</text>`);
  }
  const xAll = [...new Set([...xTicks, ...xs])].sort((a, b) => a - b);
  for (const t of xAll) {
    const x = px(t).toFixed(1);
    const major = xTicks.includes(t);
    out.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + ph}" stroke="${major ? '#ddd' : '#eee'}"${major ? '' : ' stroke-dasharray="2,3"'}/>`);
    out.push(`<text x="${x}" y="${M.top + ph + 16}" text-anchor="middle">${fmtTick(t, 'q')}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 14}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const p = s.points.filter((q) => q.x > 0 && q.y > 0 && Number.isFinite(q.y)).sort((a, b) => a.x - b.x);
    const dash = s.dashed ? ' stroke-dasharray="6,4"' : '';
    if (p.length > 1) {
      const d = p.map((q, k) => `${k === 0 ? 'M' : 'L'}${px(q.x).toFixed(1)},${py(q.y).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    }
    for (const q of p) out.push(`<circle cx="${px(q.x).toFixed(1)}" cy="${py(q.y).toFixed(1)}" r="3.5" fill="${s.color}"><title>${esc(s.label)}: ${Math.round(q.y)} ms at ${q.x} queues</title></circle>`);
    const ly = M.top + 10 + i * 22;
    const lx = M.left + pw + 16;
    out.push(`<line x1="${lx}" x2="${lx + 26}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${lx + 32}" y="${ly}" dominant-baseline="middle">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
