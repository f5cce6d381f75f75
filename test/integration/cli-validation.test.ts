// Issue 12, items 6-8: every flag and config value is checked by the same schema, with
// sane bounds, and every failure at start is one line on stderr, a non-zero exit, no
// stack trace and no password. Each case runs the built `warren` as a user would.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const PASSWORD = 'pw-Zq8-never-shown';
const dir = mkdtempSync(join(tmpdir(), 'warren-cli-validation-'));
let busy: Server;
let busyPort = 0;

beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => busy.close(() => r())));

function configFile(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

/** Runs warren; it must fail at once with one line naming what is wrong. */
async function expectOneLineFailure(args: string[], mentions: RegExp, code = 2): Promise<string> {
  // A password on every command line: no message may repeat it.
  const res = await runCli([...args, '--password', PASSWORD], {}, 30_000);
  const lines = res.stderr.split('\n').filter((l) => l !== '');
  expect(lines, res.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^warren: /);
  expect(lines[0]).toMatch(mentions);
  expect(res.stderr).not.toMatch(/\n\s+at /);
  expect(res.stderr + res.stdout).not.toContain(PASSWORD);
  expect(res.code).toBe(code);
  return lines[0]!;
}

/** The daemon against a port nobody listens on: it must stop before it polls at all. */
const run = (...args: string[]) => ['run', '--url', 'http://127.0.0.1:9', '--listen', '127.0.0.1:0', ...args];

describe('bad flags and values at start: one line, non-zero exit, no stack trace, no password', () => {
  it('--interval below 1s (a typo for 10s hammering the broker), in a flag and in the file alike', async () => {
    await expectOneLineFailure(run('--interval', '10ms'), /--interval: got "10ms", expected .*at least 1s/);
    await expectOneLineFailure(run('--interval', '0.5s'), /--interval/);
    const f = configFile('interval.yml', 'clusters:\n  - url: http://127.0.0.1:9\n    interval: 1ms\n');
    await expectOneLineFailure(['run', '--config', f, '--listen', '127.0.0.1:0'], /clusters\[0\]\.interval: got "1ms"/);
  });

  it('--webhook-url and --alertmanager-url that are not http(s) URLs', async () => {
    await expectOneLineFailure(run('--webhook-url', 'not a url'), /--webhook-url: got "not a url", expected an http/);
    await expectOneLineFailure(run('--alertmanager-url', 'localhost:9093'), /--alertmanager-url: got "localhost:9093"/);
    await expectOneLineFailure(run('--alertmanager-url', 'http://am:9093', '--alertmanager-url', 'ftp://am'), /--alertmanager-url: got "ftp:\/\/am"/);
  });

  it('URLs Node cannot parse: a port out of range, an unclosed bracket', async () => {
    await expectOneLineFailure(['run', '--url', 'http://h:99999', '--listen', '127.0.0.1:0'], /--url: got "http:\/\/h:99999"/);
    await expectOneLineFailure(['run', '--url', 'http://[::1', '--listen', '127.0.0.1:0'], /--url: got "http:\/\/\[::1"/);
    await expectOneLineFailure(run('--prometheus-url', 'http://h:0x50'), /--prometheus-url/);
    // report and check speak Nagios: a problem that prevents judging is UNKNOWN (3).
    await expectOneLineFailure(['check', '--url', 'http://h:99999'], /--url/, 3);
  });

  it('--log-level bogus', async () => {
    await expectOneLineFailure(run('--log-level', 'bogus'), /--log-level: got "bogus", expected one of trace, debug, info/);
  });

  it('a listen address in use, and one that is not this machine\'s', async () => {
    await expectOneLineFailure(['run', '--url', 'http://127.0.0.1:9', '--listen', `127.0.0.1:${busyPort}`], /listen 127\.0\.0\.1:\d+: cannot listen: the address is in use/);
    // TEST-NET-1 (RFC 5737): never assigned to a local interface.
    await expectOneLineFailure(['run', '--url', 'http://127.0.0.1:9', '--listen', '192.0.2.1:9419'], /listen 192\.0\.2\.1:9419: cannot listen: no interface/);
    await expectOneLineFailure(['run', '--url', 'http://127.0.0.1:9', '--listen', 'nohost'], /--listen: got "nohost", expected HOST:PORT/);
  });

  it('--output into a directory that does not exist fails before sampling', async () => {
    await expectOneLineFailure(['report', '--url', 'http://127.0.0.1:9', '--output', join(dir, 'missing', 'report.html')], /--output: directory .*missing does not exist/, 3);
  });

  it('a recursive YAML alias', async () => {
    const f = configFile('recursive.yml', 'clusters: &c\n  - url: http://127.0.0.1:9\n    more: *c\n');
    await expectOneLineFailure(['run', '--config', f, '--listen', '127.0.0.1:0'], /contains itself through a YAML alias/);
    const g = configFile('recursive-top.yml', 'listen: &l [*l]\n');
    await expectOneLineFailure(['run', '--config', g], /listen\.0 contains itself/);
  });
});
