// Running warren as a service: the packed tarball installs into an empty prefix with no
// network and no npm cache (its dependencies are bundled, package.json
// bundleDependencies) and its `warren` runs; deploy/warren.service passes
// `systemd-analyze verify`; deploy/prometheus-scrape.yml passes `promtool check config`
// (with the shipped rule file) and deploy/alertmanager-route.yml `amtool check-config`.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROMTOOL, REPO_ROOT } from '../harness/util.js';
import { assertBuilt, CLI } from '../support/cli.js';

const dirs: string[] = [];
function tempDir(label: string): string {
  const d = mkdtempSync(join(tmpdir(), `warren-deploy-${label}-`));
  dirs.push(d);
  return d;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}) {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout, stderr: r.stderr };
}

describe('npm pack', { timeout: 300_000 }, () => {
  it('gives a tarball that installs into an empty prefix offline, with an empty npm cache, and whose warren runs', () => {
    assertBuilt();
    const packed = tempDir('pack');
    const pack = run('npm', ['pack', '--pack-destination', packed, '--silent']);
    expect(pack.code, pack.out).toBe(0);
    const tarball = readdirSync(packed).find((f) => f.endsWith('.tgz'));
    expect(tarball, pack.out).toBeDefined();

    const prefix = tempDir('prefix');
    // No network (an unroutable registry, --offline) and nothing cached: only the tarball.
    const env = { npm_config_cache: tempDir('cache'), npm_config_registry: 'http://127.0.0.1:9/', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
    const install = run('npm', ['install', '-g', '--prefix', prefix, '--offline', join(packed, tarball!)], { env, timeoutMs: 240_000 });
    expect(install.code, install.out).toBe(0);

    const warren = join(prefix, 'bin', 'warren');
    const help = run(warren, ['--help'], { cwd: prefix });
    expect(help.code, help.out).toBe(0);
    expect(help.stdout).toMatch(/^usage: warren <command>/);
    const version = run(warren, ['--version'], { cwd: prefix });
    expect(version.stdout).toMatch(/^warren \d+\.\d+\.\d+/);
    // It runs its commands from the install, not the repository: the rule file it prints is the shipped one.
    const rules = run(warren, ['rules', '--format', 'prometheus'], { cwd: prefix });
    expect(rules.code, rules.out).toBe(0);
    expect(rules.stdout).toBe(readFileSync(join(REPO_ROOT, 'alerts/warren.rules.yml'), 'utf8'));
    const installed = join(prefix, 'lib', 'node_modules', 'warren');
    expect(readdirSync(join(installed, 'deploy')).sort()).toEqual(['alertmanager-route.yml', 'prometheus-scrape.yml', 'warren.service']);
  });
});

describe('deploy/warren.service', () => {
  const unit = readFileSync(join(REPO_ROOT, 'deploy/warren.service'), 'utf8');

  /** The unit with ExecStart's program at a path that exists here (verify checks it is executable). */
  function verify(text: string) {
    assertBuilt();
    chmodSync(CLI, 0o755);
    const dir = tempDir('unit');
    const file = join(dir, 'warren.service');
    writeFileSync(file, text.replace(/^ExecStart=\/usr\/local\/bin\/warren /m, `ExecStart=${CLI} `));
    return run('systemd-analyze', ['verify', '--man=no', file]);
  }

  it('passes systemd-analyze verify, silently', () => {
    const r = verify(unit);
    expect(r.code, r.out).toBe(0);
    expect(r.out.trim()).toBe('');
  });

  it('is checked for real: a misspelt directive or a missing program is reported', () => {
    const typo = verify(unit.replace('ProtectSystem=strict', 'ProtectSystem=strict\nProtectSytem=strict'));
    expect(typo.out).toMatch(/ProtectSytem/);
    const dir = tempDir('unit-missing');
    const file = join(dir, 'warren.service');
    writeFileSync(file, unit.replace(/^ExecStart=\/usr\/local\/bin\/warren /m, `ExecStart=${join(dir, 'no-such-warren')} `));
    const missing = run('systemd-analyze', ['verify', '--man=no', file]);
    expect(missing.code).not.toBe(0);
    expect(missing.out).toMatch(/no-such-warren/);
  });

  it('is hardened: its own user, read-only system, state directory, credential for the password', () => {
    const directives = new Map<string, string[]>();
    for (const line of unit.split('\n')) {
      const m = /^([A-Za-z]+)=(.*)$/.exec(line);
      if (m) directives.set(m[1]!, [...(directives.get(m[1]!) ?? []), m[2]!]);
    }
    const one = (k: string) => directives.get(k)?.at(-1);
    expect(one('DynamicUser')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('StateDirectory')).toBe('warren');
    expect(one('LoadCredential')).toMatch(/^rabbitmq-password:\/etc\/warren\//);
    const exec = one('ExecStart')!;
    expect(exec).toContain('--password-file %d/rabbitmq-password');
    expect(exec).toContain('--state-file %S/warren/state.json');
    expect(exec).not.toMatch(/--password[ =](?!file)/);
    // The CLI takes what the unit passes (flags exist, the password file is read).
    const usage = run(process.execPath, [CLI, '--help']).stdout;
    for (const flag of ['--config', '--password-file', '--state-file']) expect(usage).toContain(flag);
  });
});

describe('deploy/ examples for Prometheus and Alertmanager', () => {
  it('prometheus-scrape.yml passes promtool check config, with the shipped rule file', () => {
    const dir = tempDir('prom');
    const text = readFileSync(join(REPO_ROOT, 'deploy/prometheus-scrape.yml'), 'utf8');
    expect(text).toContain('/etc/prometheus/rules/warren.rules.yml');
    const file = join(dir, 'prometheus.yml');
    writeFileSync(file, text.replaceAll('/etc/prometheus/rules/warren.rules.yml', join(REPO_ROOT, 'alerts/warren.rules.yml')));
    const r = run(PROMTOOL, ['check', 'config', file]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS: \d+ rules found/);
    // A broken job is refused, so the check is real.
    writeFileSync(file, text.replaceAll('/etc/prometheus/rules/warren.rules.yml', join(REPO_ROOT, 'alerts/warren.rules.yml')).replace('scrape_timeout: 20s', 'scrape_timeout: 60s'));
    expect(run(PROMTOOL, ['check', 'config', file]).code).not.toBe(0);
  });

  it('alertmanager-route.yml passes amtool check-config', () => {
    const file = join(REPO_ROOT, 'deploy/alertmanager-route.yml');
    const r = run('amtool', ['check-config', file]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('SUCCESS');
    const dir = tempDir('am');
    const broken = join(dir, 'alertmanager.yml');
    writeFileSync(broken, readFileSync(file, 'utf8').replace('receiver: rabbitmq-pager', 'receiver: no-such-receiver'));
    expect(run('amtool', ['check-config', broken]).code).not.toBe(0);
  });
});
