import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDuration } from '../../src/config/index.js';

function file(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'warren-cfg-')), 'warren.yml');
  writeFileSync(p, text);
  return p;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('durations', () => {
  it('parses the documented forms and rejects the rest', () => {
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration(30)).toBe(30_000);
    for (const bad of ['30x', '', 's', '-5s', '0s', '5 minutes']) expect(parseDuration(bad)).toBeNull();
  });
});

describe('loadConfig', () => {
  it('gives the contract defaults with no flags', () => {
    const c = loadConfig({}, {});
    expect(c.clusters).toHaveLength(1);
    expect(c.clusters[0]!.url).toBe('http://127.0.0.1:15672');
    expect(c.clusters[0]!.interval).toBe(30_000);
    expect(c.clusters[0]!.inventoryInterval).toBe(300_000);
    expect(c.clusters[0]!.user).toBe('guest');
    expect(c.listen).toEqual({ host: '0.0.0.0', port: 9419 });
    expect(c.clusters[0]!.rules).toEqual({ disabled: [], thresholds: {}, overrides: [] });
  });

  it('takes the password from the flag, then the file, then WARREN_PASSWORD', () => {
    const pw = join(mkdtempSync(join(tmpdir(), 'warren-pw-')), 'pw');
    writeFileSync(pw, 'from-file\n');
    expect(loadConfig({ password: 'from-flag', passwordFile: pw }, { WARREN_PASSWORD: 'env' }).clusters[0]!.password).toBe('from-flag');
    expect(loadConfig({ passwordFile: pw }, { WARREN_PASSWORD: 'env' }).clusters[0]!.password).toBe('from-file');
    expect(loadConfig({}, { WARREN_PASSWORD: 'env' }).clusters[0]!.password).toBe('env');
  });

  it('reads several clusters from YAML, with defaults and flags beneath each cluster', () => {
    const c = loadConfig(
      {
        config: file(`
listen: 127.0.0.1:9999
defaults:
  interval: 15s
clusters:
  - name: cell1
    url: http://rmq-cell1:15672
    expectedNodes: 3
  - name: cell2
    url: http://rmq-cell2:15672
    interval: 1m
    rules:
      disabled: [guest-user-enabled]
openstack:
  hosts: { 10.0.0.11: cmp-01 }
`),
        user: 'monitor',
      },
      { WARREN_PASSWORD: 'pw' },
    );
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 9999 });
    expect(c.clusters.map((x) => [x.name, x.interval, x.user, x.expectedNodes])).toEqual([
      ['cell1', 15_000, 'monitor', 3],
      ['cell2', 60_000, 'monitor', undefined],
    ]);
    expect(c.clusters[1]!.rules.disabled).toEqual(['guest-user-enabled']);
    expect(c.openstack.hosts).toEqual({ '10.0.0.11': 'cmp-01' });
  });

  it('names the key, the value and what is expected', () => {
    const msg = errorOf(() => loadConfig({ config: file('clusters:\n  - interval: 30x\n') }, {}));
    expect(msg).toMatch(/clusters\[0\]\.interval: got "30x", expected a duration such as 30s/);
    expect(errorOf(() => loadConfig({ config: file('clusters:\n  - url: ftp://x\n') }, {}))).toMatch(/clusters\[0\]\.url: got "ftp:\/\/x", expected an http/);
    expect(errorOf(() => loadConfig({ config: file('clusters:\n  - expectedNodes: three\n') }, {}))).toMatch(/expectedNodes: got "three", expected a number/);
    expect(errorOf(() => loadConfig({ config: file('lissen: 1\n') }, {}))).toMatch(/unknown key lissen/);
    expect(errorOf(() => loadConfig({ config: file('clusters:\n  - queueSource: bert\n') }, {}))).toMatch(/one of auto, management, prometheus/);
    expect(errorOf(() => loadConfig({ listen: 'nine-four-one-nine' }, {}))).toMatch(/listen: got "nine-four-one-nine", expected HOST:PORT/);
    expect(errorOf(() => loadConfig({ config: '/nonexistent/warren.yml' }, {}))).toMatch(/cannot read it \(ENOENT\)/);
    expect(errorOf(() => loadConfig({ config: file('clusters: [ {url: \n') }, {}))).toMatch(/not valid YAML/);
    expect(errorOf(() => loadConfig({ config: file('- a\n- b\n') }, {}))).toMatch(/top level must be a mapping/);
    expect(errorOf(() => loadConfig({ config: file('clusters:\n  - name: a\n  - name: a\n') }, {}))).toMatch(/two clusters are named "a"/);
  });

  it('never echoes a password in an error', () => {
    const msg = errorOf(() => loadConfig({ config: file('clusters:\n  - password: 12345\n') }, {}));
    expect(msg).toContain('(hidden)');
    expect(msg).not.toContain('12345');
  });
});
