// Issue 12, item 5: a state file of any bad shape gives one line naming the file and
// what was wrong, and a clean start; a state file that cannot be written is said once,
// and once when it can be again.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStateFile, removeStaleTemporaries, stateWriter } from '../../src/notify/state.js';

const dir = mkdtempSync(join(tmpdir(), 'warren-state-'));
const GOOD = {
  version: 1,
  notifiers: { queues: { 'webhook http://h/': { receiver: 'webhook http://h/', items: [{ payload: { a: 1 }, resolved: false, enqueuedAt: 1 }], stats: {} } } },
  alerts: {
    c1: {
      alerts: {
        f1: {
          fingerprint: 'f1', cluster: 'c1', rule: 'memory-alarm', subject: { kind: 'node', name: 'n' }, severity: 'critical', labels: { alertname: 'x' },
          state: 'firing', activeAt: 1, firingAt: 2, resolvedAt: null, lastSeenAt: 3, missed: 0, lowerSeen: 0, lowerSince: null, summary: 's', remedy: 'r', evidence: {},
        },
      },
    },
  },
  learned: { c1: { maxNodes: 3, nodeUptimeMs: { n: 5 }, baselines: { b: { value: 1, samples: 2 } }, series: { s: [[1, 2]] } } },
};

function fileWith(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}
const withValue = (path: string[], value: unknown) => {
  const copy = structuredClone(GOOD) as Record<string, unknown>;
  let o = copy as Record<string, unknown>;
  for (const p of path.slice(0, -1)) o = o[p] as Record<string, unknown>;
  o[path.at(-1)!] = value;
  return JSON.stringify(copy);
};

describe('reading the state file', () => {
  it('reads what warren writes, and says nothing when there is no file yet', async () => {
    expect(await readStateFile(fileWith('good.json', JSON.stringify(GOOD)), 1)).toEqual({ state: GOOD, problem: null });
    expect(await readStateFile(join(dir, 'absent.json'), 1)).toEqual({ state: null, problem: null });
  });

  const bad: Array<[string, string, RegExp]> = [
    ['empty', '', /is empty/],
    ['blank', '  \n', /is empty/],
    ['truncated', JSON.stringify(GOOD).slice(0, 80), /is not valid JSON, perhaps cut short/],
    ['json-null', 'null', /holds null, expected an object/],
    ['json-list', '[1,2]', /holds a list, expected an object/],
    ['json-number', '42', /holds a number, expected an object/],
    ['no-version', '{}', /has version none, expected 1/],
    ['other-version', '{"version":7}', /has version 7, expected 1/],
    ['alerts-null', withValue(['alerts'], null), /alerts holds null/],
    ['cluster-alerts-null', withValue(['alerts', 'c1', 'alerts'], null), /alerts\.c1\.alerts holds null/],
    ['alert-null', withValue(['alerts', 'c1', 'alerts', 'f1'], null), /alerts\.c1\.alerts\.f1 holds null/],
    ['alert-field-null', withValue(['alerts', 'c1', 'alerts', 'f1', 'activeAt'], null), /alerts\.c1\.alerts\.f1\.activeAt holds null/],
    ['alert-field-type', withValue(['alerts', 'c1', 'alerts', 'f1', 'labels'], 'x'), /labels holds a string/],
    ['learned-null', withValue(['learned', 'c1'], null), /learned\.c1 holds null/],
    ['learned-series-type', withValue(['learned', 'c1', 'series'], { s: 'x' }), /learned\.c1\.series\.s holds a string/],
    ['notifiers-null', withValue(['notifiers'], null), /notifiers holds null/],
    ['queues-null', withValue(['notifiers', 'queues'], null), /notifiers\.queues holds null/],
    ['items-null', withValue(['notifiers', 'queues', 'webhook http://h/', 'items'], null), /items holds null/],
    ['payload-null', withValue(['notifiers', 'queues', 'webhook http://h/', 'items'], [{ payload: null, resolved: false, enqueuedAt: 1 }]), /payload holds null/],
    ['nul-bytes', '\u0000\u0000\u0000', /is not valid JSON/],
  ];
  for (const [name, text, what] of bad) {
    it(`${name}: one line naming the file and the fault, and no state`, async () => {
      const f = fileWith(`${name}.json`, text);
      const r = await readStateFile(f, 1);
      expect(r.state).toBeNull();
      expect(r.problem).toContain(`state file ${f}: `);
      expect(r.problem).toMatch(what);
      expect(r.problem).toMatch(/starting without saved state/);
      expect(r.problem).not.toContain('\n');
    });
  }

  it('a directory, and a path that cannot be read', async () => {
    const d = join(dir, 'a-dir');
    mkdirSync(d);
    expect((await readStateFile(d, 1)).problem).toMatch(/a-dir: is a directory, not a file/);
    const notDir = fileWith('plain', 'x');
    expect((await readStateFile(join(notDir, 'state.json'), 1)).problem).toMatch(/cannot be read \(ENOTDIR\)/);
    if (process.getuid?.() !== 0) {
      const f = fileWith('locked.json', JSON.stringify(GOOD));
      chmodSync(f, 0);
      expect((await readStateFile(f, 1)).problem).toMatch(/cannot be read \(EACCES\)/);
    }
  });
});

describe('writing the state file', () => {
  it('says once that it cannot be written, nothing on the next failures, and once when it can again', async () => {
    const lines: Array<[string, string]> = [];
    const log = { error: (_: object, m: string) => lines.push(['error', m]), info: (_: object, m: string) => lines.push(['info', m]) };
    // The parent is a regular file: nothing can be written under it (even as root).
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'x');
    const w = stateWriter(join(blocker, 'state.json'), log);
    for (let i = 0; i < 5; i++) await w.save({ version: 1, i });
    expect(lines).toHaveLength(1);
    expect(lines[0]![0]).toBe('error');
    expect(lines[0]![1]).toContain(join(blocker, 'state.json'));
    rmSync(blocker);
    for (let i = 0; i < 3; i++) await w.save({ version: 1, i });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual(['info', `state file ${join(blocker, 'state.json')} is written again`]);
  });
});

describe('unfinished saves a killed warren left', () => {
  it('are removed for processes that are gone; a running process\'s save and other files stay', async () => {
    const d = mkdtempSync(join(dir, 'tmps-'));
    const state = join(d, 'state.json');
    // A pid that was running and has exited: what a warren killed mid-save leaves behind.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const names = [
      'state.json',
      `state.json.tmp-${dead}-0badc0de`,
      `state.json.tmp-${process.pid}-12345678`, // this process, perhaps saving right now
      `state.json.tmp-1-abcdef01`, // pid 1 runs: never taken for a leftover
      `other.json.tmp-${dead}-0badc0de`, // another state file's: not ours to remove
      'state.json.bak',
    ];
    for (const n of names) writeFileSync(join(d, n), '{"version":');
    expect(await removeStaleTemporaries(state)).toEqual([`state.json.tmp-${dead}-0badc0de`]);
    expect(readdirSync(d).sort()).toEqual(names.filter((n) => n !== `state.json.tmp-${dead}-0badc0de`).sort());
    expect(await removeStaleTemporaries(join(d, 'missing', 'state.json'))).toEqual([]);
  });
});
