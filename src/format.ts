// How warren writes numbers, sizes, rates, durations and lists for people: finding
// summaries, the four report formats, log lines and error messages. One form for each
// kind of value, so a finding's summary and the report table beside it say the same.
// Pure and locale-independent (a report must read the same on every machine and in
// every test). A root-level helper: any stage may import it, it imports no stage.

/** 12345 -> "12,345", rounded half away from zero. By hand: Intl formatting is slow and runs for every finding. */
export function fmtInt(n: number): string {
  const r = Math.sign(n) * Math.round(Math.abs(n));
  const digits = String(Math.abs(r));
  if (digits.length <= 3 || !/^\d+$/.test(digits)) return String(r);
  let out = '';
  for (let i = digits.length; i > 0; i -= 3) out = digits.slice(Math.max(0, i - 3), i) + (out ? `,${out}` : '');
  return r < 0 ? `-${out}` : out;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Binary units, as the RabbitMQ management UI shows them: "100 B", "195.3 KiB", "256 MiB", "1.5 GiB". */
export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  const s = i === 0 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v.toFixed(1);
  return `${n < 0 ? '-' : ''}${s} ${BYTE_UNITS[i]}`;
}

/** fmtBytes for narrow table cells: "954M", "1.5G", "512B". */
export function fmtBytesShort(n: number): string {
  return fmtBytes(n).replace(/ (K|M|G|T|P)iB$/, '$1').replace(/ B$/, 'B');
}

/** The number of a per-second rate: "0.05", "12.3", "1,234". For sentences that name the unit themselves. */
export function fmtRateValue(r: number): string {
  const a = Math.abs(r);
  if (a === 0) return '0';
  if (a < 0.1) return r.toFixed(2);
  if (a < 100) return r.toFixed(1);
  return fmtInt(Math.round(r));
}

/** Per second: "12.3/s"; '-' when unknown (stats disabled, a single sample). */
export function fmtRate(r: number | null): string {
  if (r === null || !Number.isFinite(r)) return '-';
  return `${fmtRateValue(r)}/s`;
}

/** Depth change per second, signed so growth stands out: "+12.3/s". */
export function fmtGrowth(r: number | null): string {
  if (r === null || !Number.isFinite(r)) return '-';
  if (r === 0) return '0/s';
  return (r > 0 ? '+' : '') + fmtRate(r);
}

/** 0.853 -> "85%", 0.042 -> "4.2%". */
export function fmtPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return '?';
  const p = ratio * 100;
  return p < 10 && p > 0 ? `${p.toFixed(1)}%` : `${Math.round(p)}%`;
}

/**
 * Seconds for people: a whole number of days, hours or minutes reads as such ("1d",
 * "2h", "10m"), otherwise "45s", "17m", "5.3h", "36h", "3d". Exact for configured
 * durations (a rule's `for`), rounded for measured ones (idle time, a trend's span).
 */
export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds <= 0) return '0s';
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds < 5400) {
    if (seconds % 60 === 0) return `${seconds / 60}m`;
    if (seconds > 120) return `${Math.round(seconds / 60)}m`;
    return `${Math.round(seconds)}s`;
  }
  if (seconds < 36000) return `${(seconds / 3600).toFixed(1)}h`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

/** "2026-11-22 03:00:10 UTC": ISO is for machines, this is for the person reading. */
export function fmtTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** 1 -> "1 queue", 1200 -> "1,200 queues". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${fmtInt(n)} ${n === 1 ? one : many}`;
}

/** "a, b, c and 4 more": a list of names that must stay on one line. */
export function listSome(items: readonly string[], max = 3): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${fmtInt(items.length - max)} more`;
}
