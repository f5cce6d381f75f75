// Issue 12, item 5, as a user meets it: `warren run --state-file F` with F damaged in
// each way starts cleanly with one warning line naming F; a state file that cannot be
// written is reported once, then once when it can be again.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../support/cli.js';
import { eventually } from '../support/agent.js';

const dir = mkdtempSync(join(tmpdir(), 'warren-state-int-'));
const daemons: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
});

/** Nobody listens on port 9: every poll fails, which is all a state file needs. */
const run = (stateFile: string) => startDaemon(['--url', 'http://127.0.0.1:9', '--interval', '1s', '--state-file', stateFile]);
const linesAbout = (d: Daemon, s: string) => d.output().split('\n').filter((l) => l.includes(s));

describe('a damaged state file: one line and a clean start', () => {
  const cases: Array<[string, (f: string) => void, RegExp]> = [
    ['nulls inside', (f) => writeFileSync(f, JSON.stringify({ version: 1, notifiers: null, alerts: { c: null }, learned: { c: null } })), /notifiers holds null/],
    ['JSON null', (f) => writeFileSync(f, 'null'), /holds null, expected an object/],
    ['wrong types', (f) => writeFileSync(f, JSON.stringify({ version: 1, alerts: 'x', learned: [1] })), /alerts holds a string/],
    ['truncated', (f) => writeFileSync(f, '{"version":1,"notifiers":{"queues":{'), /is not valid JSON/],
    ['empty', (f) => writeFileSync(f, ''), /is empty/],
    ['a directory', (f) => mkdirSync(f), /is a directory/],
  ];
  for (const [name, damage, what] of cases) {
    it(name, async () => {
      const f = join(dir, `${name.replace(/\W/g, '-')}.json`);
      damage(f);
      const d = await run(f);
      daemons.push(d);
      // It serves, polls, and said it once.
      const res = await request(`${d.url}/healthz`);
      await res.body.dump();
      expect([200, 503]).toContain(res.statusCode);
      await eventually(() => expect(linesAbout(d, 'broker-unreachable').length).toBeGreaterThan(0), 60_000);
      const said = linesAbout(d, `state file ${f}: `);
      expect(said, d.output()).toHaveLength(1);
      expect(said[0]).toMatch(what);
      expect(JSON.parse(said[0]!).level).toBe(40);
      expect(d.output()).not.toMatch(/TypeError|\n\s+at /);
    });
  }
});

describe('a state file that cannot be written', () => {
  it('is reported once over many polls, and once when it can be written again', async () => {
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'a file where the directory should be');
    const f = join(blocker, 'state.json');
    const d = await run(f);
    daemons.push(d);
    const failures = () => linesAbout(d, `cannot save the state file ${f}`);
    // Failed polls so far (each one saves the state); failures back off to a few intervals.
    const polls = async () => {
      const body = await (await request(`${d.url}/metrics`)).body.text();
      return Number(/^warren_poll_errors_total\{[^}]*\} (\d+)/m.exec(body)?.[1] ?? 0);
    };
    await eventually(async () => expect(await polls()).toBeGreaterThanOrEqual(4), 90_000);
    expect(failures()).toHaveLength(1);
    rmSync(blocker);
    await eventually(() => expect(linesAbout(d, `state file ${f} is written again`)).toHaveLength(1), 60_000);
    const settled = await polls();
    await eventually(async () => expect(await polls()).toBeGreaterThanOrEqual(settled + 3), 90_000);
    expect(failures()).toHaveLength(1);
    expect(linesAbout(d, `state file ${f} is written again`)).toHaveLength(1);
  });
});
