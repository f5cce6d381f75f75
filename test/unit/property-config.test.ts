// Property-based: random and hostile config files and command lines. loadConfig
// either returns a config or throws a ConfigError of one line that names what is wrong;
// it never throws anything else, and never repeats a password given in the file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseCli, UsageError } from '../../src/cli/args.js';
import { ConfigError, loadConfig, parseDuration } from '../../src/config/index.js';

// Each test runs its property a fixed number of times (numRuns): ~0.5-4 s on an idle
// machine, past 12 s on a loaded 2-core one, where vitest's 5 s default failed them. The
// runs stay as many; the time allowed fits the loaded machine.
const PROPERTY_TIMEOUT_MS = 120_000;

const dir = mkdtempSync(join(tmpdir(), 'warren-prop-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const SECRET = 'Prop-Cfg-Secret-9a7b';

function load(text: string) {
  const file = join(dir, `c${n++}.yml`);
  writeFileSync(file, text);
  return loadConfig({ config: file }, {});
}

/** Runs loadConfig; a ConfigError must be one clear line without the secret. Anything else thrown fails. */
function loadOrExplain(text: string): void {
  try {
    const cfg = load(text);
    expect(cfg.clusters.length).toBeGreaterThan(0);
    for (const c of cfg.clusters) {
      // Timers take at most 2^31-1 ms; beyond that Node fires them at once (a poll loop without pause).
      for (const ms of [c.interval, c.inventoryInterval, c.timeout]) {
        expect(ms).toBeGreaterThan(0);
        expect(ms).toBeLessThan(2 ** 31);
      }
      expect(typeof c.password).toBe('string');
    }
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    expect(msg).toMatch(/^config .*c\d+\.yml: /);
    expect(msg).not.toContain(SECRET);
    expect(msg).not.toMatch(/\[object Object\]/);
  }
}

const scalar = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom('30s', '5m', '0s', '-1s', '1e400', '99999999999999', 'http://x:1', 'https://', '127.0.0.1:99999'));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 3 })),
})).v;

const CLUSTER_KEYS = ['name', 'url', 'user', 'passwordFile', 'prometheusUrl', 'queueSource', 'interval', 'inventoryInterval', 'timeout', 'maxBodyBytes', 'expectedNodes', 'tls', 'rules', 'pluginMinQueues'];
const TOP_KEYS = ['listen', 'logLevel', 'alertmanagerUrls', 'webhookUrls', 'stateFile', 'defaults', 'openstack', 'web'];

/** Mostly-right configs: the real keys with random values, the password always the secret. */
const plausible = fc.record({
  top: fc.dictionary(fc.constantFrom(...TOP_KEYS), value, { maxKeys: 4 }),
  clusters: fc.array(fc.dictionary(fc.constantFrom(...CLUSTER_KEYS), value, { maxKeys: 5 }), { minLength: 1, maxLength: 3 }),
  web: fc.option(fc.record({ basicAuthUsers: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.constantFrom(SECRET, '$2y$10$short', 42 as unknown as string)) }, { requiredKeys: [] })),
});

describe('loadConfig under random config files', { timeout: PROPERTY_TIMEOUT_MS }, () => {
  it('any text at all: a config or one clear ConfigError line', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), loadOrExplain), { numRuns: 300 });
  });

  it('YAML of random structure: a config or one clear ConfigError line', () => {
    fc.assert(fc.property(value, (v) => loadOrExplain(stringify(v))), { numRuns: 300 });
  });

  it('the real keys with random values, the password set: a config or one clear line that never repeats the password', () => {
    fc.assert(
      fc.property(plausible, ({ top, clusters, web }) => {
        const doc = { ...top, ...(web ? { web } : {}), clusters: clusters.map((c) => ({ ...c, password: SECRET })) };
        loadOrExplain(stringify(doc));
      }),
      { numRuns: 400 },
    );
  });

  it('a password that is not a string is refused without being shown', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.array(fc.constant(SECRET), { minLength: 1, maxLength: 2 }), fc.constant({ nested: SECRET })), (pw) => {
        try {
          load(stringify({ clusters: [{ url: 'http://127.0.0.1:15672', password: pw }] }));
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          expect((err as Error).message).toContain('(hidden)');
          const message = (err as Error).message;
          expect(message).not.toContain(SECRET);
          // What follows "got" is the value shown: only ever "(hidden)". (A bare `0` may still
          // appear elsewhere, as in `clusters[0]`.)
          expect(message).toMatch(/password: got \(hidden\),/);
          return;
        }
        throw new Error('accepted a password that is not a string');
      }),
      { numRuns: 50 },
    );
  });
});

describe('durations and command lines', { timeout: PROPERTY_TIMEOUT_MS }, () => {
  it('parseDuration: a positive number of milliseconds, or null; a config takes only what a timer can wait', () => {
    const text = fc.oneof(fc.string({ maxLength: 12 }), fc.double(), fc.integer(), fc.stringMatching(/^-?\d{1,400}(\.\d+)?(ms|s|m|h|d)?$/));
    fc.assert(
      fc.property(text, (v) => {
        const ms = parseDuration(v);
        if (ms !== null) expect(ms).toBeGreaterThan(0);
        // Huge values (parseDuration may even give Infinity) are refused by the config, in one line.
        loadOrExplain(stringify({ clusters: [{ url: 'http://127.0.0.1:15672', interval: v, timeout: v, inventoryInterval: v }] }));
      }),
      { numRuns: 300 },
    );
  });

  it('parseCli: parsed arguments or one UsageError line, for any argv', () => {
    const arg = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('run', 'report', 'check', 'rules', '--url', '--sample', '--format', '--rule', '--listen', '-h', '--version', '--', '--password', '--nope', '--sample=-1', '--sample=1e9'));
    fc.assert(
      fc.property(fc.array(arg, { maxLength: 6 }), (argv) => {
        try {
          const a = parseCli(argv);
          expect(Number.isFinite(a.sampleSeconds)).toBe(true);
        } catch (err) {
          expect(err, String(err)).toBeInstanceOf(UsageError);
          expect((err as Error).message).not.toContain('\n');
        }
      }),
      { numRuns: 500 },
    );
  });
});
