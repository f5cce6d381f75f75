// kbudde compatibility without a broker: its environment variables as configuration,
// its queue filter semantics, and the metrics profile's effect on the exposition.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, kbuddeEnvWarning, loadConfig } from '../../src/config/index.js';
import { renderMetrics } from '../../src/metrics/render.js';
import type { PollStatus } from '../../src/poll/index.js';
import { scopeOf } from '../../src/snapshot/index.js';
import { metric } from '../support/agent.js';
import { makeQueue, makeSnapshot } from '../support/snapshot.js';

const load = (env: Record<string, string>, flags: Record<string, unknown> = {}) => loadConfig({ kbuddeEnv: true, ...flags }, env);

describe("kbudde's environment variables", () => {
  it('configure warren run when no --config is given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-kbudde-'));
    writeFileSync(join(dir, 'pw'), '  s3cret\n');
    const c = load({
      RABBIT_URL: 'https://rabbit.example:15671',
      RABBIT_USER: 'monitoring',
      RABBIT_PASSWORD_FILE: join(dir, 'pw'),
      RABBIT_PASSWORD: 'ignored-when-a-file-is-given',
      PUBLISH_ADDR: '127.0.0.1',
      PUBLISH_PORT: '9999',
      RABBIT_TIMEOUT: '15',
      INCLUDE_VHOST: '^openstack$',
      SKIP_QUEUES: '^reply_',
      SKIPVERIFY: 'true',
      LOG_LEVEL: 'warning',
    });
    const k = c.clusters[0]!;
    expect(k.url).toBe('https://rabbit.example:15671');
    expect(k.user).toBe('monitoring');
    expect(k.password).toBe('s3cret');
    expect(k.timeout).toBe(15_000);
    expect(k.vhosts).toEqual({ include: '^openstack$' });
    expect(k.queues).toEqual({ exclude: '^reply_' });
    expect(k.tls?.insecureSkipVerify).toBe(true);
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 9999 });
    expect(c.logLevel).toBe('warn');
  });

  it('lose to flags, and are not read with a config file', () => {
    const env = { RABBIT_URL: 'http://env:15672', RABBIT_PASSWORD: 'from-env', PUBLISH_PORT: '9999' };
    const c = load(env, { url: 'http://flag:15672', password: 'from-flag', listen: '127.0.0.1:1234' });
    expect(c.clusters[0]!.url).toBe('http://flag:15672');
    expect(c.clusters[0]!.password).toBe('from-flag');
    expect(c.listen.port).toBe(1234);
    const dir = mkdtempSync(join(tmpdir(), 'warren-kbudde-'));
    writeFileSync(join(dir, 'w.yml'), 'clusters:\n  - url: http://file:15672\n');
    expect(load(env, { config: join(dir, 'w.yml') }).clusters[0]!.url).toBe('http://file:15672');
    // Without the run command's opt-in, nothing reads them.
    expect(loadConfig({}, env).clusters[0]!.url).toBe('http://127.0.0.1:15672');
  });

  it('reject bad values in one line naming the variable, never echoing a password', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ RABBIT_URL: 'rabbit:15672' }, /^RABBIT_URL: expected an http/],
      [{ RABBIT_TIMEOUT: '30s' }, /^RABBIT_TIMEOUT: got "30s", expected whole seconds/],
      [{ PUBLISH_PORT: '99999' }, /^PUBLISH_PORT: got "99999", expected a port/],
      [{ SKIP_QUEUES: '(' }, /^SKIP_QUEUES: "\(" is not a regular expression/],
      [{ INCLUDE_VHOST: '[' }, /^INCLUDE_VHOST: /],
      [{ SKIPVERIFY: 'maybe' }, /^SKIPVERIFY: got "maybe", expected true or false/],
      [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: got "loud"/],
      [{ RABBIT_PASSWORD_FILE: '/nonexistent/pw', RABBIT_PASSWORD: 'hunter2' }, /^RABBIT_PASSWORD_FILE: cannot read \/nonexistent\/pw/],
    ];
    for (const [env, expected] of cases) {
      let err: unknown;
      try {
        load(env);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(env)).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg, JSON.stringify(env)).toMatch(expected);
      expect(msg).not.toContain('\n');
      expect(msg).not.toContain('hunter2');
    }
  });

  it('name the unsupported variables in one warning', () => {
    expect(kbuddeEnvWarning({ RABBIT_URL: 'http://x:1', SKIP_QUEUES: '^a' })).toBeNull();
    expect(kbuddeEnvWarning({ RABBIT_EXPORTERS: 'queue', MAX_QUEUES: '10', OUTPUT_FORMAT: '' })).toBe('kbudde variables not supported by warren, ignored: RABBIT_EXPORTERS, MAX_QUEUES');
  });
});

describe('vhost and queue filters', () => {
  it("match anywhere in the lower-cased name unless anchored, as kbudde's INCLUDE_/SKIP_ variables", () => {
    expect(scopeOf({})).toBeNull();
    const s = scopeOf({ vhosts: { exclude: 'test' }, queues: { include: 'nova|cinder', exclude: '^reply_' } })!;
    expect(s.queue('compute.Nova-1')).toBe(true);
    expect(s.queue('cinder-volume')).toBe(true);
    expect(s.queue('glance')).toBe(false);
    expect(s.queue('reply_nova')).toBe(false);
    expect(s.queue('xreply_nova')).toBe(true);
    expect(s.vhost('/')).toBe(true);
    expect(s.vhost('my-TEST-vhost')).toBe(false);
  });

  it('are checked to compile in the config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-kbudde-'));
    writeFileSync(join(dir, 'w.yml'), 'defaults:\n  queues:\n    exclude: "(["\nclusters:\n  - url: http://a:15672\n');
    expect(() => loadConfig({ config: join(dir, 'w.yml') })).toThrow(/queues\.exclude: got "\(\[", expected a regular expression/);
  });
});

describe('metrics profile', () => {
  const status = (p: Partial<PollStatus>): PollStatus => ({ latest: null, history: [], lastAttemptAt: null, lastSuccessAt: null, lastError: null, consecutiveFailures: 0, skipped: 0, errors: 0, clusterLabel: 'c', ...p });
  const snap = makeSnapshot({
    queues: [
      makeQueue({ name: 'q1', durable: true, policy: 'ha', extra: { rabbitmq_queue_memory: 1234, rabbitmq_queue_messages_ram: 3 } }),
      makeQueue({ name: 'q2', extra: null }),
    ],
  });
  const render = (metrics?: { profile: 'default' | 'kbudde'; exclude: string[] }) =>
    renderMetrics([{ status: status({ latest: snap, history: [snap], lastSuccessAt: snap.takenAt }), intervalMs: 10_000, expectedNodes: 1, view: null, alerts: [], ...(metrics ? { metrics } : {}) }], { version: 'v', notifications: [], now: snap.takenAt }).text;

  it("exports what the broker reported with kbudde's queue labels, absent where it reported nothing", () => {
    const text = render();
    expect(metric(text, 'rabbitmq_queue_memory', { queue: 'q1', durable: 'true', policy: 'ha' })).toBe(1234);
    expect(metric(text, 'rabbitmq_queue_memory', { queue: 'q2' })).toBeUndefined();
    expect(text).not.toContain('rabbitmq_queue_state');
    expect(text).not.toContain('rabbitmq_module_up');
  });

  it('adds queue state and module series under kbudde, and leaves excluded names out', () => {
    const text = render({ profile: 'kbudde', exclude: ['rabbitmq_queue_memory', 'rabbitmq_queue_consumers'] });
    expect(metric(text, 'rabbitmq_queue_state', { queue: 'q2', state: 'running' })).toBe(1);
    expect(metric(text, 'rabbitmq_module_up', { module: 'queue' })).toBe(1);
    expect(metric(text, 'rabbitmq_queue_memory', { queue: 'q1' })).toBeUndefined();
    expect(metric(text, 'rabbitmq_queue_consumers', { queue: 'q1' })).toBeUndefined();
    expect(metric(text, 'rabbitmq_queue_messages', { queue: 'q1' })).toBeDefined();
  });
});
