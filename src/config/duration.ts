const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `500ms`, `5s`, `2m`, `1h`, `1d` (or a bare number of seconds) into milliseconds; null when malformed. */
export function parseDuration(text: string | number): number | null {
  if (typeof text === 'number') return Number.isFinite(text * 1000) && text > 0 ? text * 1000 : null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) return null;
  const value = Number(m[1]) * UNIT_MS[m[2] ?? 's']!;
  return value > 0 && Number.isFinite(value) ? value : null;
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
