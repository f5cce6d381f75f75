// Issue 12, items 6 and 7: flags are checked by the same schema as the config file, with
// the same bounds; a bad flag is named as the flag.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type ConfigFlags } from '../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'warren-config-validation-'));
function file(text: string): string {
  const f = join(dir, `c${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(f, text);
  return f;
}
function errorOf(flags: ConfigFlags): string {
  try {
    loadConfig(flags, {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('no error');
}

describe('flags and file, one schema', () => {
  // [flag form, file form, what the message names]
  const cases: Array<[ConfigFlags, string, RegExp, RegExp]> = [
    [{ interval: '1ms' }, 'defaults:\n  interval: 1ms\n', /--interval: got "1ms"/, /defaults\.interval: got "1ms"/],
    [{ interval: '999ms' }, 'clusters:\n  - interval: 999ms\n', /--interval/, /clusters\[0\]\.interval/],
    [{ webhookUrl: ['not a url'] }, 'webhookUrls: [not a url]\n', /--webhook-url: got "not a url"/, /webhookUrls\.0: got "not a url"/],
    [{ alertmanagerUrl: ['localhost:9093'] }, 'alertmanagerUrls: [localhost:9093]\n', /--alertmanager-url: got "localhost:9093"/, /alertmanagerUrls\.0/],
    [{ url: 'http://h:99999' }, 'clusters:\n  - url: http://h:99999\n', /--url: got "http:\/\/h:99999"/, /clusters\[0\]\.url/],
    [{ url: 'http://[::1' }, 'clusters:\n  - url: "http://[::1"\n', /--url/, /clusters\[0\]\.url/],
    [{ prometheusUrl: 'localhost:15692' }, 'clusters:\n  - prometheusUrl: localhost:15692\n', /--prometheus-url/, /clusters\[0\]\.prometheusUrl/],
    [{ logLevel: 'bogus' }, 'logLevel: bogus\n', /--log-level: got "bogus", expected one of/, /logLevel: got "bogus"/],
  ];
  for (const [flags, text, flagMessage, fileMessage] of cases) {
    it(`rejects ${JSON.stringify(flags)} as a flag and in the file`, () => {
      expect(errorOf(flags)).toMatch(flagMessage);
      expect(errorOf({ config: file(text) })).toMatch(fileMessage);
    });
  }

  it('accepts 1s, refuses anything shorter, and keeps the 7d ceiling', () => {
    expect(loadConfig({ interval: '1s' }, {}).clusters[0]!.interval).toBe(1000);
    expect(loadConfig({ interval: '1000ms' }, {}).clusters[0]!.interval).toBe(1000);
    expect(errorOf({ interval: '8d' })).toMatch(/at most 7d/);
    expect(errorOf({ config: file('clusters:\n  - inventoryInterval: 10ms\n') })).toMatch(/inventoryInterval/);
  });

  it('times requests out within the interval unless a timeout is given', () => {
    expect(loadConfig({ interval: '5s' }, {}).clusters[0]!.timeout).toBe(5000);
    expect(loadConfig({ interval: '1m' }, {}).clusters[0]!.timeout).toBe(20_000);
    // Given: taken as asked, even above the interval.
    expect(loadConfig({ config: file('clusters:\n  - interval: 1s\n    timeout: 3s\n') }, {}).clusters[0]!.timeout).toBe(3000);
    expect(loadConfig({ config: file('defaults:\n  timeout: 2s\nclusters:\n  - interval: 1s\n') }, {}).clusters[0]!.timeout).toBe(2000);
    expect(errorOf({ config: file('clusters:\n  - timeout: 1ms\n') })).toMatch(/timeout: got "1ms", expected .*at least 100ms/);
  });

  it('takes good flags over the file, as before', () => {
    const c = loadConfig({ config: file('logLevel: warn\nwebhookUrls: [http://a:1]\nlisten: 127.0.0.1:1\n'), logLevel: 'debug', webhookUrl: ['https://b:2/x'], listen: '127.0.0.1:2' }, {});
    expect([c.logLevel, c.webhookUrls, c.listen.port]).toEqual(['debug', ['https://b:2/x'], 2]);
  });

  it('names a recursive YAML alias instead of overflowing', () => {
    expect(errorOf({ config: file('clusters: &c\n  - url: http://h:1\n    more: *c\n') })).toMatch(/clusters\.0\.more contains itself through a YAML alias/);
  });
});
