// What `npm pack` ships: the built command, the rule file and the dashboards. The
// simulator (tools/), the tests, the benchmark and the sources stay in the repository.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/util.js';

describe('npm package', () => {
  it('ships no development tools, tests, benchmark or sources', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const files = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    expect(files).toContain('alerts/warren.rules.yml');
    expect(files.filter((f) => f.startsWith('dashboards/')).length).toBeGreaterThan(0);
    const allowed = /^(dist\/|alerts\/|dashboards\/|README\.md$|package\.json$|LICENSE)/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
  }, 60_000);
});
