// Aligned plain-text tables, shared by the text renderer. Widths are measured on
// the plain text; colour is applied after padding so escape codes never skew columns.
import { truncate } from './format.js';

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** The one column that gives up width (truncated with …) when the table is too wide. */
  flex?: boolean;
  /** Never narrower than this when flexing. */
  min?: number;
}

export type Cell = string | { text: string; style?: (s: string) => string };

function cellText(c: Cell): string {
  return typeof c === 'string' ? c : c.text;
}

/** Table lines (header first) no wider than `width` where the flex column allows. */
export function table(columns: readonly Column[], rows: readonly (readonly Cell[])[], width: number, header: (s: string) => string = (s) => s): string[] {
  const gap = 2;
  const widths = columns.map((col, i) => Math.max(col.header.length, ...rows.map((r) => cellText(r[i] ?? '').length)));
  const total = widths.reduce((a, b) => a + b, 0) + gap * (columns.length - 1);
  const flex = columns.findIndex((c) => c.flex);
  if (total > width && flex >= 0) {
    const col = columns[flex]!;
    widths[flex] = Math.max(col.min ?? 12, col.header.length, widths[flex]! - (total - width));
  }
  const pad = (s: string, i: number) => {
    const w = widths[i]!;
    const t = truncate(s, w);
    if (columns[i]!.align === 'right') return t.padStart(w);
    // No trailing padding on the last column (it would survive trimEnd inside colour codes).
    return i === columns.length - 1 ? t : t.padEnd(w);
  };
  const line = (cells: readonly Cell[], isHeader: boolean) =>
    cells
      .map((c, i) => {
        const padded = pad(cellText(c), i);
        if (isHeader) return header(padded);
        return typeof c === 'string' || !c.style ? padded : c.style(padded);
      })
      .join(' '.repeat(gap))
      .trimEnd();
  return [
    line(
      columns.map((c) => c.header),
      true,
    ),
    ...rows.map((r) => line(r, false)),
  ];
}
