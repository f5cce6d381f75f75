// The import graph of src/ runs one way, down the pipeline: a stage imports only stages
// before it, only through their index.ts, and no files or stages import each other in a
// circle. Parsed with rolldown's parser (oxc), so `import type`, `export ... from` and
// dynamic import() are all seen, whatever the formatting.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseAst } from 'rolldown/parseAst';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Stages in pipeline order; stages of equal rank (notify, metrics, report) do not import each other. */
const STAGE_RANK: Readonly<Record<string, number>> = {
  config: 0,
  sources: 1,
  openstack: 2,
  snapshot: 3,
  poll: 4,
  rules: 5,
  notify: 6,
  metrics: 6,
  report: 6,
  server: 7,
  cli: 8,
};

/** Root-level helpers every stage may import; they import no stage. */
const SHARED = new Set(['slices.ts', 'version.ts', 'format.ts', 'redact.ts', 'clock.ts']);
/** Root-level entry points, ranked with their stage. */
const ENTRIES: Readonly<Record<string, string>> = { 'cli.ts': 'cli' };


interface Edge {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Every module specifier a file names: import (incl. type), export ... from, import(). */
export function specifiers(code: string, file: string): string[] {
  const out: string[] = [];
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    const n = node as { type?: string; source?: { type?: string; value?: unknown } };
    if (
      (n.type === 'ImportDeclaration' || n.type === 'ExportAllDeclaration' || n.type === 'ExportNamedDeclaration' || n.type === 'ImportExpression') &&
      n.source?.type === 'Literal' &&
      typeof n.source.value === 'string'
    ) {
      out.push(n.source.value);
    }
    for (const v of Object.values(node)) if (v && typeof v === 'object') visit(v);
  };
  visit(parseAst(code, { lang: 'ts', sourceType: 'module' }, file).body);
  return out;
}

/** The stage a file of src/ belongs to, 'shared' for the root helpers. */
function stageOf(rel: string): string {
  const parts = rel.split('/');
  if (parts.length === 1) return SHARED.has(rel) ? 'shared' : (ENTRIES[rel] ?? `unknown root file ${rel}`);
  return parts[0]!;
}

function importGraph(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = relative(SRC, file).split('\\').join('/');
    for (const spec of specifiers(readFileSync(file, 'utf8'), file)) {
      if (!spec.startsWith('.')) continue;
      const to = relative(SRC, resolve(dirname(file), spec)).split('\\').join('/').replace(/\.js$/, '.ts');
      edges.push({ from, to });
    }
  }
  return edges;
}

/** Why an import breaks the pipeline, or null when it is fine. */
export function violation(e: Edge): string | null {
  const a = stageOf(e.from);
  const b = stageOf(e.to);
  if (a === b) return null;
  if (a === 'shared') return `${e.from} is a shared helper and imports the stage file ${e.to}`;
  if (b === 'shared') return null;
  const ra = STAGE_RANK[a];
  const rb = STAGE_RANK[b];
  if (ra === undefined) return `${e.from} is in "${a}", which is no stage (${Object.keys(STAGE_RANK).join(', ')})`;
  if (rb === undefined) return `${e.from} imports ${e.to}, in "${b}", which is no stage`;
  if (rb > ra) return `${e.from} (${a}) imports ${e.to} (${b}), a later stage: imports run down the pipeline only`;
  if (rb === ra) return `${e.from} (${a}) imports ${e.to} (${b}), a sibling stage`;
  if (e.to !== `${b}/index.ts`) return `${e.from} (${a}) imports ${e.to}: other stages import only ${b}/index.ts`;
  return null;
}

/** Each cycle of a directed graph, once, as the path around it (Tarjan's strongly connected components). */
export function cycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (e.from === e.to) continue;
    next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  }
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const strong = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) strong(v);
  return found;
}

describe('architecture: the import graph of src/', () => {
  const edges = importGraph();

  it('reads the graph (a parser that missed imports would pass everything)', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({ from: 'server/agent.ts', to: 'poll/index.ts' });
    // `import type` and `export ... from` count as imports.
    expect(specifiers("import type { A } from './a.js';\nexport { b } from './b.js';\nexport * from './c.js';\nconst d = await import('./d.js');", 'x.ts')).toEqual([
      './a.js',
      './b.js',
      './c.js',
      './d.js',
    ]);
  });

  it('imports run down the pipeline, across stages only through index.ts', () => {
    expect(edges.map(violation).filter((v) => v !== null)).toEqual([]);
  });

  it('every stage has an index.ts', () => {
    const missing = Object.keys(STAGE_RANK).filter((s) => !sourceFiles(join(SRC, s)).some((f) => relative(SRC, f) === `${s}/index.ts`));
    expect(missing).toEqual([]);
  });

  it('no files import each other in a circle', () => {
    const found = cycles(edges.filter((e) => stageOf(e.from) !== null));
    const key = (c: readonly string[]) => c.join(' <-> ');
    expect(found.map(key)).toEqual([]);
  });

  it('no stages import each other in a circle', () => {
    const folders = edges
      .filter((e) => stageOf(e.from) !== null && stageOf(e.to) !== null)
      .map((e) => ({ from: stageOf(e.from)!, to: stageOf(e.to)! }));
    expect(cycles(folders)).toEqual([]);
  });

  it('the checks catch what they are for', () => {
    expect(violation({ from: 'sources/collect.ts', to: 'openstack/index.ts' })).toMatch(/later stage/);
    expect(violation({ from: 'rules/helpers.ts', to: 'snapshot/rates.ts' })).toMatch(/only snapshot\/index.ts/);
    expect(violation({ from: 'metrics/render.ts', to: 'report/index.ts' })).toMatch(/sibling/);
    expect(violation({ from: 'slices.ts', to: 'config/index.ts' })).toMatch(/shared helper/);
    expect(cycles([{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }, { from: 'c', to: 'a' }, { from: 'c', to: 'd' }])).toEqual([['a', 'b', 'c']]);
  });
});
