// Prometheus text exposition (format 0.0.4) written straight into strings, encoded as it goes.
// At 50k queues warren renders ~500k series per poll; prom-client's registry
// costs ~2-3 µs a series to render against well under 1 µs here (measured at 50k
// queues), and the render runs on every poll.

import { drain } from '../slices.js';

export type Labels = Readonly<Record<string, string>>;

interface Family {
  help: string;
  type: 'gauge' | 'counter' | 'untyped';
  body: LineChunks;
}

/**
 * Sample lines, newline-terminated, encoded into a Buffer every few hundred lines.
 * Keeping ~10^5 line strings alive until the end of a render made the garbage collector
 * the render's main cost (each line a small rope promoted to the old generation); a line
 * that is encoded at once dies young, which costs the collector almost nothing. Encoding
 * as the render goes (in its slices) also leaves no single join and encode of the whole
 * text (~20 MB at 10k queues, hundreds of ms) to block the daemon at the end.
 */
class LineChunks {
  private readonly chunks: Buffer[] = [];
  private pending: string[] = [];
  length = 0;

  push(line: string): void {
    this.pending.push(line);
    this.length++;
    if (this.pending.length === 512) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(Buffer.from(this.pending.join('')));
    this.pending = [];
  }

  buffers(): readonly Buffer[] {
    this.flush();
    return this.chunks;
  }
}

/** Bytes copied into the exposition between two yields of ExpositionWriter.bufferSteps. */
const COPY_SLICE_BYTES = 4 << 20;

export class ExpositionWriter {
  private readonly families = new Map<string, Family>();
  private count = 0;
  // Per-queue samples come in runs sharing one label object: format it once per run.
  private lastLabels: Labels | null = null;
  private lastFormatted = '';
  /** Names left out while set (a cluster's metrics.exclude). */
  omitted: ReadonlySet<string> | null = null;

  /** Declares a family; samples of an undeclared family are an error (caught in tests). */
  family(name: string, type: Family['type'], help: string): this {
    if (!this.families.has(name)) this.families.set(name, { help, type, body: new LineChunks() });
    return this;
  }

  sample(name: string, labels: Labels, value: number | null | undefined): void {
    if (value === null || value === undefined || Number.isNaN(value)) return;
    if (this.omitted !== null && this.omitted.has(name)) return;
    const f = this.families.get(name);
    if (!f) throw new Error(`metric family ${name} was not declared`);
    if (labels !== this.lastLabels) {
      this.lastLabels = labels;
      this.lastFormatted = formatLabels(labels);
    }
    f.body.push(`${name}${this.lastFormatted} ${formatValue(value)}\n`);
    this.count++;
  }

  get series(): number {
    return this.count;
  }

  /** Families with no sample are left out, as Prometheus client libraries do. */
  toString(): string {
    return this.toBuffer().toString('utf8');
  }

  toBuffer(): Buffer {
    return drain(this.bufferSteps());
  }

  /** The exposition as one Buffer, copied in slices of a few MiB with a yield between them. */
  *bufferSteps(): Generator<void, Buffer> {
    const parts: Buffer[] = [];
    let total = 0;
    for (const [name, f] of this.families) {
      if (f.body.length === 0) continue;
      const head = Buffer.from(`# HELP ${name} ${escapeHelp(f.help)}\n# TYPE ${name} ${f.type}\n`);
      parts.push(head, ...f.body.buffers());
    }
    for (const p of parts) total += p.length;
    const out = Buffer.allocUnsafe(total);
    let offset = 0;
    let sinceYield = 0;
    for (const p of parts) {
      offset += p.copy(out, offset);
      sinceYield += p.length;
      if (sinceYield >= COPY_SLICE_BYTES) {
        sinceYield = 0;
        yield;
      }
    }
    return out;
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
