// The differential test: every catalogue rule with a PromQL form, fed the same synthetic
// series both ways, must fire on the same subjects with the same severities. The series
// are the promtool cases of test/promtool/cases.ts (each rule fires in some and not in
// others); test/promtool/differential.ts builds Snapshots from them, runs the checks as
// the daemon does and writes their firing set at every eval time as the expectation of
// `promtool test rules` over the generated rule file.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogue } from '../../src/rules/index.js';
import { renderPrometheusRules } from '../../src/rules/promql.js';
import { PROMTOOL_FILES } from '../promtool/cases.js';
import { comparisons, DIFFERENTIAL_CASES, renderDifferentialFile } from '../promtool/differential.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const CASES = [...Object.values(PROMTOOL_FILES).flat(), ...DIFFERENTIAL_CASES];

describe('differential: each rule\'s check and its PromQL form fire alike', { timeout: 180_000 }, () => {
  const compared = comparisons(CASES);

  it('compares every rule with a PromQL form, firing and not firing', () => {
    for (const rule of catalogue) {
      if (!rule.promql) continue;
      const mine = compared.filter((x) => x.rule === rule.id);
      expect(mine.some((x) => x.firing.length > 0), `${rule.id}: a comparison where the check fires`).toBe(true);
      expect(mine.some((x) => x.firing.length === 0), `${rule.id}: a comparison where it does not`).toBe(true);
      for (const severity of new Set(rule.promql(rule.defaults).map((a) => a.severity ?? rule.severity))) {
        expect(
          mine.some((x) => x.firing.some((a) => a.severity === severity)),
          `${rule.id}: a comparison where it fires at ${severity}`,
        ).toBe(true);
      }
    }
  });

  it('promtool finds the PromQL forms firing exactly where the checks fire', () => {
    // The rule file is rendered afresh (promql.test.ts holds alerts/ equal to it), so the
    // comparison is with the PromQL forms as the catalogue has them now.
    const dir = join(ROOT, '.warren-test', 'differential');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'warren.rules.yml'), renderPrometheusRules());
    const file = join(dir, 'differential.test.yml');
    writeFileSync(file, renderDifferentialFile(CASES, 'warren.rules.yml'));
    const r = spawnSync(PROMTOOL, ['test', 'rules', file], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
    if (r.error) throw r.error;
    const output = `${r.stdout}${r.stderr}`;
    expect(r.status, output).toBe(0);
    expect(output).not.toContain('FAILED');
  });
});
