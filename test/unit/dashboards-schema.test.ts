// Every dashboards/*.json type-checks against Grafana's dashboard schema types from
// @grafana/schema (Dashboard, Panel, FieldConfig, VariableModel, the stat/gauge/bargauge/
// timeseries/table option types), through WarrenDashboard in scripts/gen-dashboards.ts,
// which only maps Grafana's string enums to their JSON spellings and adds the import
// envelope (__inputs/__requires). Each JSON file is pasted into a .ts file as
// `<json> satisfies WarrenDashboard` and the TypeScript compiler judges it; deliberately
// broken copies must fail, so the check is known to bite.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIR = join(ROOT, 'dashboards');
const WORK = join(ROOT, '.warren-test', 'dashboard-schema');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');

type Json = Record<string, any>;

/** Copies of the overview dashboard, each broken in one way Grafana would reject or misread. */
const BROKEN: Array<{ name: string; expect: RegExp; edit: (d: Json) => void }> = [
  { name: 'threshold-mode', expect: /absolutely/, edit: (d) => (panelOf(d, 'stat').fieldConfig.defaults.thresholds.mode = 'absolutely') },
  { name: 'no-schema-version', expect: /schemaVersion/, edit: (d) => delete d.schemaVersion },
  { name: 'grid-width-string', expect: /string.*number|number.*string/, edit: (d) => (panelOf(d, 'timeseries').gridPos.w = '12') },
  { name: 'misspelled-field-config', expect: /fieldconfig/, edit: (d) => { const p = panelOf(d, 'bargauge'); p.fieldconfig = p.fieldConfig; } },
  { name: 'legend-placement', expect: /middle/, edit: (d) => (panelOf(d, 'timeseries').options.legend.placement = 'middle') },
  { name: 'stat-color-mode', expect: /rainbow/, edit: (d) => (panelOf(d, 'stat').options.colorMode = 'rainbow') },
  { name: 'variable-type', expect: /dropdown/, edit: (d) => (d.templating.list[1].type = 'dropdown') },
  { name: 'target-without-expr', expect: /expr/, edit: (d) => delete panelOf(d, 'table').targets[0].expr },
];

function panelOf(d: Json, type: string): Json {
  const p = (d.panels as Json[]).find((x) => x.type === type);
  if (!p) throw new Error(`no ${type} panel to break`);
  return p;
}

function checkFile(json: string): string {
  return [
    '// Written by test/unit/dashboards-schema.test.ts: a dashboard JSON checked against Grafana\'s schema types.',
    "import type { WarrenDashboard } from '../../scripts/gen-dashboards.js';",
    `export const dashboard = ${json.trimEnd()} satisfies WarrenDashboard;`,
    '',
  ].join('\n');
}

interface Diagnostic {
  file: string;
  line: number;
  message: string;
}

/** One compiler run over every check file; diagnostics by file (paths relative to the repo). */
function typecheck(): Diagnostic[] {
  const r = spawnSync(TSC, ['-p', join(WORK, 'tsconfig.json'), '--pretty', 'false'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  const out = `${r.stdout}${r.stderr}`;
  const diags: Diagnostic[] = [];
  let last: Diagnostic | undefined;
  for (const line of out.split('\n')) {
    const m = /^(.+?)\((\d+),\d+\): error TS\d+: (.*)$/.exec(line);
    if (m) {
      last = { file: relative(ROOT, join(ROOT, m[1]!)), line: Number(m[2]), message: m[3]! };
      diags.push(last);
    } else if (last && /^\s+/.test(line)) {
      last.message += `\n${line.trim()}`; // the elaboration lines of the same error
    }
  }
  return diags;
}

describe('dashboards against @grafana/schema', { timeout: 180_000 }, () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  writeFileSync(
    join(WORK, 'tsconfig.json'),
    JSON.stringify(
      {
        extends: '../../tsconfig.json',
        compilerOptions: { noEmit: true, rootDir: '../..' },
        include: ['*.ts'],
      },
      null,
      2,
    ),
  );
  const good = files.map((f) => {
    const path = join(WORK, f.replace(/\.json$/, '.ts'));
    writeFileSync(path, checkFile(readFileSync(join(DIR, f), 'utf8')));
    return relative(ROOT, path);
  });
  const base = JSON.parse(readFileSync(join(DIR, 'warren-overview.json'), 'utf8')) as Json;
  const broken = BROKEN.map((b) => {
    const copy = structuredClone(base);
    b.edit(copy);
    const path = join(WORK, `broken-${b.name}.ts`);
    writeFileSync(path, checkFile(JSON.stringify(copy, null, 2)));
    return { ...b, path: relative(ROOT, path) };
  });

  let diags: Diagnostic[] | undefined;
  const diagnostics = () => (diags ??= typecheck());

  it.each(good)('%s type-checks as a Grafana dashboard', (path) => {
    const mine = diagnostics().filter((d) => d.file === path);
    expect(mine.map((d) => `${d.line}: ${d.message}`)).toEqual([]);
  });

  it.each(broken.map((b) => [b.name, b] as const))('a copy with a broken %s fails the check', (_name, b) => {
    const mine = diagnostics().filter((d) => d.file === b.path);
    expect(mine.length, `no error for ${b.path}`).toBeGreaterThan(0);
    expect(mine.map((d) => d.message).join('\n')).toMatch(b.expect);
  });

  it('the generator itself type-checks against the same types', () => {
    // The check files import scripts/gen-dashboards.ts, so the compiler judged it too.
    expect(diagnostics().filter((d) => d.file.startsWith('scripts/gen-dashboards')).map((d) => d.message)).toEqual([]);
  });
});
