// Pieces the catalogue's PromQL forms share: numbers and windows as PromQL literals and
// the summary templates' recurring phrases. The rule file itself is rendered by
// src/rules/promql.ts.
import { formatDuration } from '../../config/index.js';

/** A number as PromQL literal (no exponent for the sizes we use). */
export function n(v: number): string {
  return String(v);
}

/** A window in seconds as a PromQL range (`2m`). */
export function range(seconds: number): string {
  return formatDuration(seconds * 1000);
}

/** A set of label values as the alternation of a `=~` / `!~` matcher. */
export function alternation(values: Iterable<string>): string {
  return [...values].join('|');
}

export const QUEUE = 'Queue {{ $labels.queue }} (vhost {{ $labels.vhost }}, cluster {{ $labels.cluster }})';
export const NODE = 'Node {{ $labels.node }} of cluster {{ $labels.cluster }}';
export const ON_NODE = 'node {{ $labels.node }} of cluster {{ $labels.cluster }}';
export const COUNT = '{{ $value | printf "%.0f" }}';
