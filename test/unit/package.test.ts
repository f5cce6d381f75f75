// What `npm pack` ships: the built command, the rule file, the dashboards, deploy/ and the
// bundled runtime dependencies. The
// simulator (tools/), the tests, the benchmark and the sources stay in the repository.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
    // deploy/: the systemd unit and the Prometheus/Alertmanager examples. node_modules/: the
    // runtime dependencies, bundled so the tarball installs offline (package.json bundleDependencies).
    const allowed = /^(dist\/|alerts\/|dashboards\/|deploy\/|node_modules\/|README\.md$|package\.json$|LICENSE)/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    expect(files).toContain('deploy/warren.service');
    const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as { devDependencies: Record<string, string> };
    const bundled = new Set(files.filter((f) => f.startsWith('node_modules/')).map((f) => f.split('/').slice(1, f.split('/')[1]!.startsWith('@') ? 3 : 2).join('/')));
    for (const dev of Object.keys(pkg.devDependencies)) expect(bundled.has(dev), `devDependency ${dev} bundled`).toBe(false);
  }, 60_000);
});
