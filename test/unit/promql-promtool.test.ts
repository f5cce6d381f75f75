// promtool over the shipped rule file: `promtool check rules` passes, and the unit tests
// in test/promtool/ (generated from test/promtool/cases.ts) prove that every alert fires
// on synthetic series and resolves when they recover.
//
// Needs /usr/bin/promtool (Debian `prometheus`); regenerate the YAML with
//   WARREN_WRITE_GENERATED=1 npx vitest run --project unit test/unit/promql-promtool.test.ts
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { promAlerts } from '../../src/rules/promql.js';
import { PROMTOOL_FILES, renderPromtoolFiles } from '../promtool/cases.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROMTOOL_DIR = join(ROOT, 'test/promtool');
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

function promtool(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('test/promtool', () => {
  const files = renderPromtoolFiles();

  it('holds exactly the files rendered from cases.ts', () => {
    if (process.env.WARREN_WRITE_GENERATED === '1') {
      for (const [name, text] of Object.entries(files)) writeFileSync(join(PROMTOOL_DIR, name), text);
    }
    const onDisk = readdirSync(PROMTOOL_DIR).filter((f) => f.endsWith('.yml')).sort();
    expect(onDisk).toEqual(Object.keys(files).sort());
    for (const [name, text] of Object.entries(files)) expect(readFileSync(join(PROMTOOL_DIR, name), 'utf8'), name).toBe(text);
  });

  it('covers every alerting rule: it fires, then resolves', () => {
    const cases = Object.values(PROMTOOL_FILES).flat();
    for (const rule of promAlerts()) {
      const label = `${rule.id}/${rule.severity ?? 'forwarded'}`;
      const proven = cases.some((c) => {
        const evals = (c.evals ?? []).filter((e) => e.alert === rule.id).map((e) => ({ ...e, at: Number(e.at) }));
        const fired = evals.filter((e) => e.firing.some((f) => rule.severity === null || f.labels.severity === rule.severity));
        return fired.some((f) => evals.some((e) => e.at > f.at && e.firing.length === 0));
      });
      expect(proven, label).toBe(true);
    }
  });
});

describe('promtool', { timeout: 120_000 }, () => {
  it('check rules passes on alerts/warren.rules.yml', () => {
    const r = promtool(['check', 'rules', 'alerts/warren.rules.yml']);
    expect(r.output).toContain('SUCCESS');
    expect(r.status, r.output).toBe(0);
  });

  it('test rules passes on test/promtool/*.yml', () => {
    const files = readdirSync(PROMTOOL_DIR)
      .filter((f) => f.endsWith('.yml'))
      .map((f) => join('test/promtool', f));
    const r = promtool(['test', 'rules', ...files]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).not.toContain('FAILED');
  });

  it('test rules fails when an expectation is wrong (the tests can fail)', () => {
    const original = readFileSync(join(PROMTOOL_DIR, 'broker.test.yml'), 'utf8');
    const wrong = original.replace(
      'summary: warren cannot reach the management API of cluster prod',
      'summary: warren cannot reach the management API of cluster staging',
    );
    expect(wrong).not.toBe(original);
    // Two levels below the root, like the original, so rule_files resolves the same.
    const dir = join(ROOT, '.warren-test', 'promtool-broken');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'broker.test.yml'), wrong);
    const r = promtool(['test', 'rules', join(dir, 'broker.test.yml')]);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('broker-unreachable');
  });
});
