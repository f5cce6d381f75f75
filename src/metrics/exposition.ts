// Prometheus text exposition (format 0.0.4) written straight into strings.
// At 50k queues warren renders ~500k series per poll; prom-client's registry
// costs ~2-3 µs a series to render against well under 1 µs here (measured in
// shared/reference/polling-at-scale.md §4), and the render runs on every poll.

export type Labels = Readonly<Record<string, string>>;

interface Family {
  help: string;
  type: 'gauge' | 'counter' | 'untyped';
  lines: string[];
}

export class ExpositionWriter {
  private readonly families = new Map<string, Family>();
  private count = 0;

  /** Declares a family; samples of an undeclared family are an error (caught in tests). */
  family(name: string, type: Family['type'], help: string): this {
    if (!this.families.has(name)) this.families.set(name, { help, type, lines: [] });
    return this;
  }

  sample(name: string, labels: Labels, value: number | null | undefined): void {
    if (value === null || value === undefined || Number.isNaN(value)) return;
    const f = this.families.get(name);
    if (!f) throw new Error(`metric family ${name} was not declared`);
    f.lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
    this.count++;
  }

  get series(): number {
    return this.count;
  }

  /** Families with no sample are left out, as Prometheus client libraries do. */
  toString(): string {
    const parts: string[] = [];
    for (const [name, f] of this.families) {
      if (f.lines.length === 0) continue;
      parts.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`, ...f.lines);
    }
    return parts.length ? parts.join('\n') + '\n' : '';
  }
}

export function formatLabels(labels: Labels): string {
  let out = '';
  for (const k in labels) {
    const v = labels[k]!;
    out += `${out ? ',' : '{'}${k}="${escapeLabel(v)}"`;
  }
  return out ? out + '}' : '';
}

const NEEDS_ESCAPE = /[\\"\n]/;
function escapeLabel(v: string): string {
  return NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
