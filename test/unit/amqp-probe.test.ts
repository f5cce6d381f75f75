// Issue 17, the AMQP probe without a broker: where it connects (listeners as RabbitMQ 3.10
// reports them, configured URLs), what the rules make of its results, the series it
// exports, and its config. The probe against a real broker is test/integration/amqp-probe.test.ts.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { ExpositionWriter } from '../../src/metrics/exposition.js';
import { renderProbeMetrics } from '../../src/metrics/probe.js';
import { catalogue, ruleById } from '../../src/rules/catalogue.js';
import { emptyLearned } from '../../src/rules/learn.js';
import { thresholdLookup } from '../../src/rules/thresholds.js';
import type { RuleContext } from '../../src/rules/types.js';
import { defaultPhaseTimeoutMs } from '../../src/server/probe.js';
import { targetsFromListeners, targetsFromUrls, type ProbeResult } from '../../src/sources/amqp-probe.js';
import { makeSnapshot } from '../support/snapshot.js';

const overview = JSON.parse(readFileSync(new URL('../fixtures/rabbitmq-3.10.8/overview.json', import.meta.url), 'utf8')) as { listeners: unknown };

describe('probe targets', () => {
  it('takes the AMQP listener of the recorded 3.10.8 overview and nothing else', () => {
    expect(targetsFromListeners(overview.listeners)).toEqual([{ node: 'wtry@localhost', protocol: 'amqp', host: '127.0.0.1', port: 25672 }]);
  });

  it('reads socket_opts.ip behind ip_address "::", the node host for a wildcard, amqp/ssl as amqps, one per node and protocol', () => {
    const listeners = [
      { node: 'rabbit@a', protocol: 'amqp', ip_address: '::', port: 5672, socket_opts: { ip: '10.0.0.1' } },
      { node: 'rabbit@a', protocol: 'amqp', ip_address: '10.0.0.9', port: 5672, socket_opts: [] },
      { node: 'rabbit@b', protocol: 'amqp', ip_address: '::', port: 5672, socket_opts: [] },
      { node: 'rabbit@b', protocol: 'amqp/ssl', ip_address: '0.0.0.0', port: 5671, socket_opts: {} },
      { node: 'rabbit@b', protocol: 'http', ip_address: '::', port: 15672, socket_opts: { ip: '10.0.0.2' } },
      { node: 'rabbit@b', protocol: 'clustering', ip_address: '::', port: 25672 },
    ];
    expect(targetsFromListeners(listeners)).toEqual([
      { node: 'rabbit@a', protocol: 'amqp', host: '10.0.0.1', port: 5672 },
      { node: 'rabbit@b', protocol: 'amqp', host: 'b', port: 5672 },
      { node: 'rabbit@b', protocol: 'amqps', host: 'b', port: 5671 },
    ]);
    expect(targetsFromListeners(null)).toEqual([]);
  });

  it('configured URLs: default ports, IPv6, the node named host:port', () => {
    expect(targetsFromUrls(['amqp://rabbit1', 'amqps://rabbit2:5999', 'amqp://[::1]:5673'])).toEqual([
      { node: 'rabbit1:5672', protocol: 'amqp', host: 'rabbit1', port: 5672 },
      { node: 'rabbit2:5999', protocol: 'amqps', host: 'rabbit2', port: 5999 },
      { node: '[::1]:5673', protocol: 'amqp', host: '::1', port: 5673 },
    ]);
  });

  it('phase deadline: half the interval, between 1 s and 10 s', () => {
    expect(defaultPhaseTimeoutMs(30_000)).toBe(10_000);
    expect(defaultPhaseTimeoutMs(6_000)).toBe(3_000);
    expect(defaultPhaseTimeoutMs(500)).toBe(1_000);
  });
});

const ok = (node: string, roundTrip = 0.01, protocol: 'amqp' | 'amqps' = 'amqp'): ProbeResult => ({
  node,
  protocol,
  address: '10.0.0.1:5672',
  at: 1_700_000_000_000,
  ok: true,
  durations: { connect: 0.002, channel: 0.001, declare: 0.001, publish: roundTrip / 2, consume: roundTrip / 2 },
  roundTripSeconds: roundTrip,
  failedPhase: null,
  error: null,
});
const failed = (node: string, phase: ProbeResult['failedPhase'], error: string, protocol: 'amqp' | 'amqps' = 'amqp'): ProbeResult => ({
  ...ok(node, 0, protocol),
  ok: false,
  durations: { connect: 0.002 },
  roundTripSeconds: null,
  failedPhase: phase,
  error,
});

const lookup = thresholdLookup({ disabled: [], thresholds: {}, overrides: [] }, catalogue);
function judge(id: string, probe: readonly ProbeResult[] | undefined, l = lookup) {
  const snapshot = makeSnapshot();
  const ctx: RuleContext = { now: snapshot.takenAt, snapshot, history: [snapshot], learned: emptyLearned(), oneShot: false, ...(probe ? { probe } : {}) };
  return ruleById(id)!.evaluate(ctx, l);
}

describe('amqp-probe-failed', () => {
  it('critical per node, naming the phase and the error in one line', () => {
    const f = judge('amqp-probe-failed', [ok('rabbit@a'), failed('rabbit@b', 'publish', 'confirm not received within 5 s (publishers blocked by a resource alarm?)')]);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ rule: 'amqp-probe-failed', severity: 'critical', subject: { kind: 'node', name: 'rabbit@b' } });
    expect(f[0]!.summary).toContain('failed at publish: confirm not received');
    expect(f[0]!.summary).not.toContain('\n');
  });

  it('one finding for a node failing on both protocols', () => {
    const f = judge('amqp-probe-failed', [failed('rabbit@a', 'connect', 'connection refused', 'amqp'), failed('rabbit@a', 'connect', 'certificate has expired', 'amqps')]);
    expect(f).toHaveLength(1);
    expect(f[0]!.summary).toContain('also amqps');
  });

  it('silent when every probe succeeds, when the probe is off, and when disabled', () => {
    expect(judge('amqp-probe-failed', [ok('rabbit@a'), ok('rabbit@b')])).toEqual([]);
    expect(judge('amqp-probe-failed', undefined)).toEqual([]);
    const off = thresholdLookup({ disabled: ['amqp-probe-failed'], thresholds: {}, overrides: [] }, catalogue);
    expect(judge('amqp-probe-failed', [failed('rabbit@a', 'connect', 'x')], off)).toEqual([]);
  });
});

describe('amqp-probe-slow', () => {
  it('warning above 1 s of round trip; not at 0.5 s, nor for a failed probe', () => {
    const f = judge('amqp-probe-slow', [ok('rabbit@a', 1.5), ok('rabbit@b', 0.5), failed('rabbit@c', 'consume', 'message not consumed back')]);
    expect(f.map((x) => [x.subject.name, x.severity])).toEqual([['rabbit@a', 'warning']]);
    expect(f[0]!.summary).toContain('1.50 s');
  });

  it('takes its threshold from the config', () => {
    const l = thresholdLookup({ disabled: [], thresholds: { 'amqp-probe-slow': { seconds: 2 } }, overrides: [] }, catalogue);
    expect(judge('amqp-probe-slow', [ok('rabbit@a', 1.5)], l)).toEqual([]);
  });
});

describe('probe metrics', () => {
  it('success per node and protocol; a duration per completed phase only', () => {
    const w = new ExpositionWriter();
    renderProbeMetrics(w, 'prod', [ok('rabbit@a'), failed('rabbit@b', 'channel', 'x')]);
    const text = w.toString();
    expect(text).toContain('warren_probe_success{cluster="prod",node="rabbit@a",protocol="amqp"} 1');
    expect(text).toContain('warren_probe_success{cluster="prod",node="rabbit@b",protocol="amqp"} 0');
    expect(text).toContain('warren_probe_duration_seconds{cluster="prod",node="rabbit@a",protocol="amqp",phase="consume"} 0.005');
    expect(text).toContain('warren_probe_duration_seconds{cluster="prod",node="rabbit@b",protocol="amqp",phase="connect"}');
    expect(text).not.toContain('node="rabbit@b",protocol="amqp",phase="channel"');
  });

  it('nothing when the probe is off', () => {
    const w = new ExpositionWriter();
    renderProbeMetrics(w, 'prod', []);
    expect(w.toString()).toBe('');
  });
});

describe('probe config', () => {
  const file = (cluster: Record<string, unknown>) => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-probe-cfg-'));
    const f = join(dir, 'warren.yml');
    writeFileSync(f, stringify({ clusters: [{ url: 'http://rabbit:15672', ...cluster }] }));
    return f;
  };

  it('off unless configured; defaults vhost / and the cluster credentials; its own password file', () => {
    expect(loadConfig({ config: file({}) }, {}).clusters[0]!.probe).toBeUndefined();
    expect(loadConfig({ config: file({ probe: {} }) }, {}).clusters[0]!.probe).toEqual({ amqpUrls: [], vhost: '/' });
    const dir = mkdtempSync(join(tmpdir(), 'warren-probe-pw-'));
    writeFileSync(join(dir, 'pw'), 'probe-pw\n');
    const p = loadConfig({ config: file({ probe: { user: 'prober', passwordFile: join(dir, 'pw'), interval: '15s', vhost: 'health' } }) }, {}).clusters[0]!.probe!;
    expect(p).toMatchObject({ user: 'prober', password: 'probe-pw', interval: 15_000, vhost: 'health' });
  });

  it('refuses credentials in an amqpUrl, in one line naming the key and never echoing the password', () => {
    let err: unknown;
    try {
      loadConfig({ config: file({ probe: { amqpUrls: ['amqp://u:secret-pw@rabbit:5672'] } }) }, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('clusters[0].probe.amqpUrls.0');
    expect(msg).not.toContain('secret-pw');
    expect(msg).not.toContain('\n');
  });
});
