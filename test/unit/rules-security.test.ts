// Issue 16's security rules, sources and report section on hand-made Snapshots; time is
// the Snapshots' own takenAt (an injected clock), never the wall clock.
import { describe, expect, it } from 'vitest';
import { catalogue, ruleById } from '../../src/rules/catalogue.js';
import { emptyLearned, learn } from '../../src/rules/learn.js';
import { thresholdLookup } from '../../src/rules/thresholds.js';
import type { RuleContext, ThresholdLookup } from '../../src/rules/types.js';
import type { RulesConfig } from '../../src/config/schema.js';
import type { SecurityInfo } from '../../src/snapshot/security.js';
import type { Snapshot } from '../../src/snapshot/types.js';
import { isTlsProtocol, parseAuthAttempts, parseAuthSources, parseListeners } from '../../src/sources/security.js';
import { listenerHosts } from '../../src/sources/tls-certificates.js';
import { renderMetrics } from '../../src/metrics/render.js';
import { buildReport, renderReport } from '../../src/report/index.js';
import { later, makeConnection, makeNode, makeSnapshot } from '../support/snapshot.js';
import overview from '../fixtures/rabbitmq-3.10.8/overview.json' with { type: 'json' };

const noConfig: RulesConfig = { disabled: [], thresholds: {}, overrides: [] };
const defaults = thresholdLookup(noConfig, catalogue);
const DAY = 86_400_000;
const NODE = 'rabbit@node-1';

function security(p: Partial<SecurityInfo> = {}): SecurityInfo {
  return {
    self: 'warren',
    listeners: [],
    authAttempts: [{ node: NODE, protocol: 'amqp091', attempts: 100, failed: 0, succeeded: 100 }, { node: NODE, protocol: 'http', attempts: 50, failed: 0, succeeded: 50 }],
    authSources: [],
    usersVisible: true,
    permissions: [],
    certificates: [],
    ownRefusals: 0,
    ...p,
  };
}

function snap(sec: Partial<SecurityInfo> = {}, p: Partial<Snapshot> = {}): Snapshot {
  return makeSnapshot({ nodes: [makeNode({ name: NODE, uptimeMs: 10 * DAY })], users: [{ name: 'warren', tags: ['monitoring'] }], security: security(sec), ...p });
}

function ctxOf(history: Snapshot[], p: Partial<RuleContext> = {}): RuleContext {
  const snapshot = history[history.length - 1]!;
  return { now: snapshot.takenAt, snapshot, history, learned: emptyLearned(), oneShot: false, ...p };
}

function run(id: string, ctx: RuleContext, lookup: ThresholdLookup = defaults) {
  return ruleById(id)!.evaluate(ctx, lookup);
}

const attempts = (amqpFailed: number, httpFailed = 0) => [
  { node: NODE, protocol: 'amqp091', attempts: 100 + amqpFailed, failed: amqpFailed, succeeded: 100 },
  { node: NODE, protocol: 'http', attempts: 50 + httpFailed, failed: httpFailed, succeeded: 50 },
];

describe('authentication-failures', () => {
  it('fires on 20 new failed AMQP logins within the window, naming the protocol; critical at 100', () => {
    const a = snap({ authAttempts: attempts(3) });
    const b = later(a, 30, { security: security({ authAttempts: attempts(23) }) });
    const [f] = run('authentication-failures', ctxOf([a, b]));
    expect(f).toMatchObject({ severity: 'warning', subject: { kind: 'node', name: NODE } });
    expect(f!.summary).toContain('20 failed authentication attempts');
    expect(f!.summary).toContain('amqp091: 20');
    const c = later(b, 30, { security: security({ authAttempts: attempts(150) }) });
    expect(run('authentication-failures', ctxOf([a, b, c]))[0]!.severity).toBe('critical');
  });

  it('does not fire on old failures (counters since node start), nor below the threshold', () => {
    const a = snap({ authAttempts: attempts(500) });
    const b = later(a, 30, { security: security({ authAttempts: attempts(509) }) });
    expect(run('authentication-failures', ctxOf([a]))).toEqual([]);
    expect(run('authentication-failures', ctxOf([a, b]))).toEqual([]);
  });

  it("does not judge the first poll: the counters since node start hold anyone's failures, warren's own included", () => {
    const a = snap({ authAttempts: attempts(20, 40) }, { nodes: [makeNode({ name: NODE, uptimeMs: 60_000 })] });
    expect(run('authentication-failures', ctxOf([a]))).toEqual([]);
  });

  it("discounts warren's own refused requests (failed HTTP logins on 3.10)", () => {
    const a = snap({ authAttempts: attempts(0, 0) });
    const b = later(a, 30, { security: security({ authAttempts: attempts(0, 12), ownRefusals: 12 }) });
    expect(run('authentication-failures', ctxOf([a, b]))).toEqual([]);
    // The base poll's own refusals may fall after its counters were read: they are discounted
    // too (an upper bound), and someone else's failures beyond them are still seen.
    const c = later(b, 30, { security: security({ authAttempts: attempts(0, 36), ownRefusals: 0 }) });
    expect(run('authentication-failures', ctxOf([b, c]))[0]!.summary).toContain('http: 12');
  });

  it('names source addresses and users where the broker tracks them', () => {
    const src = (failed: number) => [{ node: NODE, protocol: 'amqp091', address: '10.1.2.3', user: 'nova', attempts: failed, failed }];
    const a = snap({ authAttempts: attempts(0), authSources: src(0) });
    const b = later(a, 60, { security: security({ authAttempts: attempts(15), authSources: src(15) }) });
    const [f] = run('authentication-failures', ctxOf([a, b]));
    expect(f!.summary).toContain('10.1.2.3 as nova (15)');
    expect(f!.evidence).toMatchObject({ users: ['nova'], addresses: ['10.1.2.3'] });
  });

  it('takes thresholds from the config', () => {
    const lookup = thresholdLookup({ ...noConfig, thresholds: { 'authentication-failures': { warning: 50 } } }, catalogue);
    const a = snap({ authAttempts: attempts(0) });
    const b = later(a, 30, { security: security({ authAttempts: attempts(20) }) });
    expect(run('authentication-failures', ctxOf([a, b]), lookup)).toEqual([]);
  });
});

describe('listener-without-tls', () => {
  it("reads the real address of 3.10's '::' HTTP listeners, and fires only off loopback", () => {
    const listeners = parseListeners(overview);
    expect(listeners.find((l) => l.protocol === 'http')).toMatchObject({ address: '127.0.0.1', tls: false });
    expect(run('listener-without-tls', ctxOf([snap({ listeners })]))).toEqual([]);
    const open = [
      { node: NODE, protocol: 'amqp', address: '::', port: 5672, tls: false },
      { node: NODE, protocol: 'http', address: '10.0.0.5', port: 15672, tls: false },
      { node: NODE, protocol: 'amqp/ssl', address: '::', port: 5671, tls: true },
      { node: NODE, protocol: 'clustering', address: '::', port: 25672, tls: false },
    ];
    const [f] = run('listener-without-tls', ctxOf([snap({ listeners: open })]));
    expect(f).toMatchObject({ severity: 'info', subject: { kind: 'node', name: NODE } });
    expect(f!.summary).toContain('amqp on [::]:5672');
    expect(f!.summary).toContain('http on 10.0.0.5:15672');
    expect(f!.summary).not.toContain('5671');
  });

  it('knows TLS protocol names', () => {
    for (const p of ['amqp/ssl', 'https', 'https/prometheus', 'mqtt/ssl', 'stomp/ssl']) expect(isTlsProtocol(p), p).toBe(true);
    for (const p of ['amqp', 'http', 'http/prometheus', 'clustering', 'mqtt']) expect(isTlsProtocol(p), p).toBe(false);
  });
});

describe('tls-certificate-expiring', () => {
  const cert = (days: number, port = 5671) => ({
    node: NODE,
    protocol: 'amqp/ssl',
    port,
    endpoint: `127.0.0.1:${port}`,
    subject: 'CN=rabbit.example',
    issuer: 'CN=ca',
    notAfter: Date.parse('2026-11-22T03:00:00Z') + days * DAY,
    verified: false,
    error: 'self-signed certificate',
    readAt: 0,
  });
  it('is critical under 7 days with the expiry date, a warning under 30, silent at 60', () => {
    const [crit] = run('tls-certificate-expiring', ctxOf([snap({ certificates: [cert(5)] })]));
    expect(crit!.severity).toBe('critical');
    expect(crit!.summary).toContain('2026-11-27');
    expect(crit!.summary).toContain('CN=rabbit.example');
    expect(crit!.summary).toContain('amqp/ssl port 5671');
    expect(run('tls-certificate-expiring', ctxOf([snap({ certificates: [cert(20)] })]))[0]!.severity).toBe('warning');
    expect(run('tls-certificate-expiring', ctxOf([snap({ certificates: [cert(60)] })]))).toEqual([]);
    const [expired] = run('tls-certificate-expiring', ctxOf([snap({ certificates: [cert(-2)] })]));
    expect(expired!.severity).toBe('critical');
    expect(expired!.summary).toContain('expired on');
  });

  it('tries a wildcard listener at its node host, then the management host', () => {
    expect(listenerHosts({ node: 'rabbit@ctl-1', protocol: 'amqp/ssl', address: '::', port: 5671, tls: true }, 'https://10.0.0.9:15671')).toEqual(['ctl-1', '10.0.0.9']);
    expect(listenerHosts({ node: 'rabbit@ctl-1', protocol: 'https', address: '10.0.0.7', port: 15671, tls: true }, 'https://10.0.0.9:15671')).toEqual(['10.0.0.7', '10.0.0.9']);
  });
});

describe('service users', () => {
  const nova = (user: string, i = 1) =>
    makeConnection({ name: `c${i}`, user, clientName: `nova-compute:12${i}:uuid`, role: { service: 'nova', binary: 'nova-compute', pid: `12${i}`, host: 'cmp-01' } });
  const neutron = (user: string) =>
    makeConnection({ name: 'n1', user, clientName: 'neutron-server:7:uuid', role: { service: 'neutron', binary: 'neutron-server', pid: '7', host: 'ctl-1' } });
  const users = [{ name: 'admin', tags: ['administrator'] }, { name: 'nova', tags: [] }, { name: 'neutron', tags: [] }, { name: 'warren', tags: ['monitoring'] }];

  it('administrator-user-in-use names the service and the user; not when the user has no tag', () => {
    const [f] = run('administrator-user-in-use', ctxOf([snap({}, { users, connections: [nova('admin')] })]));
    expect(f).toMatchObject({ severity: 'warning', subject: { kind: 'service', name: 'nova' } });
    expect(f!.summary).toContain('"admin"');
    expect(f!.summary).toContain('nova-compute');
    expect(run('administrator-user-in-use', ctxOf([snap({}, { users, connections: [nova('nova'), neutron('neutron')] })]))).toEqual([]);
  });

  it('shared-service-user fires when two services share a user', () => {
    const [f] = run('shared-service-user', ctxOf([snap({}, { users, connections: [nova('nova'), neutron('nova')] })]));
    expect(f!.severity).toBe('info');
    expect(f!.summary).toContain('"nova" by neutron, nova');
    expect(run('shared-service-user', ctxOf([snap({}, { users, connections: [nova('nova'), nova('nova', 2), neutron('neutron')] })]))).toEqual([]);
  });

  it('says unknown and fires nothing without the administrator tag', () => {
    const s = snap({ usersVisible: false }, { users: [], connections: [nova('admin')] });
    expect(run('administrator-user-in-use', ctxOf([s]))).toEqual([]);
    expect(run('unused-user', ctxOf([s]))).toEqual([]);
    const report = buildReport([{ target: 't', url: 'http://x', samples: [s], findings: [], view: null }], new Date(s.takenAt));
    const checks = Object.fromEntries(report.clusters[0]!.security.checks.map((c) => [c.rule, c]));
    for (const id of ['administrator-user-in-use', 'unused-user', 'guest-user-enabled']) {
      expect(checks[id]).toMatchObject({ status: 'unknown', needs: 'administrator', detail: 'unknown: needs the administrator tag' });
    }
    expect(checks['listener-without-tls']!.status).toBe('ok');
    for (const format of ['text', 'markdown', 'html'] as const) {
      const out = renderReport(report, format);
      expect(out, format).toMatch(/security/i);
      expect(out, format).toContain('unknown: needs the administrator tag');
    }
    expect(JSON.parse(renderReport(report, 'json')).clusters[0].security.checks).toHaveLength(7);
  });
});

describe('unused-user', () => {
  const users = [{ name: 'nova', tags: [] }, { name: 'old', tags: [] }, { name: 'warren', tags: ['monitoring'] }];
  const novaConn = makeConnection({ name: 'c1', user: 'nova' });
  it('fires for a user without connections for 30 days, not for one first seen less than 30 days ago, nor for warren itself', () => {
    let learned = emptyLearned();
    const start = snap({}, { users, connections: [novaConn] });
    learned = learn(learned, start);
    expect(learned.users?.old).toEqual({ firstSeen: start.takenAt, lastSeen: null });
    const day29 = later(start, 29 * 86_400, { connections: [novaConn] });
    expect(run('unused-user', ctxOf([day29], { learned }))).toEqual([]);
    learned = learn(learned, day29);
    const day31 = later(start, 31 * 86_400, { users: [...users, { name: 'new', tags: [] }], connections: [novaConn] });
    const [f] = run('unused-user', ctxOf([day31], { learned }));
    expect(f!.summary).toContain('"old"');
    expect(f!.summary).not.toContain('nova');
    expect(f!.summary).not.toContain('warren');
    expect(f!.summary).not.toContain('"new"');
  });
});

describe('sources and metrics', () => {
  it('parses auth attempts and sources as 3.10 answers them', () => {
    expect(parseAuthAttempts(NODE, [{ protocol: 'amqp091', auth_attempts: 3, auth_attempts_failed: 3, auth_attempts_succeeded: 0 }])).toEqual([
      { node: NODE, protocol: 'amqp091', attempts: 3, failed: 3, succeeded: 0 },
    ]);
    expect(parseAuthSources(NODE, [{ protocol: 'amqp091', remote_address: '10.0.0.1', username: 'nova', auth_attempts: 2, auth_attempts_failed: 1 }])).toEqual([
      { node: NODE, protocol: 'amqp091', address: '10.0.0.1', user: 'nova', attempts: 2, failed: 1 },
    ]);
    expect(parseAuthAttempts(NODE, 'nonsense')).toEqual([]);
  });

  it('exports the auth counters per node and protocol and the certificate expiry', () => {
    const notAfter = Date.parse('2027-01-01T00:00:00Z');
    const s = snap({
      authAttempts: attempts(7),
      certificates: [{ node: NODE, protocol: 'amqp/ssl', port: 5671, endpoint: '', subject: '', issuer: '', notAfter, verified: true, error: '', readAt: 0 }],
    });
    const status = { latest: s, history: [s], lastAttemptAt: 0, lastSuccessAt: 0, lastError: null, consecutiveFailures: 0, skipped: 0, errors: 0, clusterLabel: 'c' };
    const { text } = renderMetrics([{ status, intervalMs: 30_000, expectedNodes: 1, view: null, alerts: [] }], { version: 'x', notifications: [], now: s.takenAt });
    expect(text).toContain(`rabbitmq_auth_attempts_failed_total{cluster="c",node="${NODE}",protocol="amqp091"} 7`);
    expect(text).toContain(`rabbitmq_auth_attempts_total{cluster="c",node="${NODE}",protocol="amqp091"} 107`);
    expect(text).toContain(`warren_tls_certificate_expiry_timestamp_seconds{cluster="c",node="${NODE}",protocol="amqp/ssl",port="5671"} ${notAfter / 1000}`);
  });
});
