// Issue 16, the security audit, on real brokers. Each condition is injected for real:
// wrong passwords over AMQP, an AMQPS listener whose certificate (made here with openssl)
// expires in 5 days, a plain AMQP listener on 0.0.0.0, OpenStack-named connections
// authenticated as an administrator or sharing one user. A clean broker (no guest; warren with monitoring+administrator; a
// certificate good for 60 days) raises none of it, and a monitoring-only warren reports
// the user checks unknown and fires nothing it cannot see, not even on its own refused
// requests (each counts as a failed HTTP login on 3.10).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/server/agent.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { freePort, getJson } from '../harness/util.js';
import { configFileFor, configFor, eventually, metric, startTestAgent } from '../support/agent.js';
import { runCli } from '../support/cli.js';

const SECURITY_RULES = [
  'authentication-failures',
  'listener-without-tls',
  'tls-certificate-expiring',
  'administrator-user-in-use',
  'shared-service-user',
  'unused-user',
  'guest-user-enabled',
];

const pkiDir = mkdtempSync(join(tmpdir(), 'warren-sec-pki-'));
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: pkiDir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** A CA, and a server certificate for 127.0.0.1 valid for `days` days; returns its files and notAfter (YYYY-MM-DD). */
function serverCertificate(name: string, days: number): { cert: string; key: string; ca: string; expires: string } {
  if (!readdirSync(pkiDir).includes('ca.pem')) {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '365', '-subj', '/CN=warren security test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  }
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}.rabbit.test`);
  writeFileSync(join(pkiDir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyAgreement\n');
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', String(days), '-extfile', `${name}.ext`);
  for (const f of readdirSync(pkiDir)) chmodSync(join(pkiDir, f), 0o644);
  chmodSync(pkiDir, 0o755);
  const end = openssl('x509', '-in', `${name}.pem`, '-noout', '-enddate').trim().replace(/^notAfter=/, '');
  return { cert: join(pkiDir, `${name}.pem`), key: join(pkiDir, `${name}.key`), ca: join(pkiDir, 'ca.pem'), expires: new Date(end).toISOString().slice(0, 10) };
}

function amqpsListener(port: number, c: { cert: string; key: string; ca: string }): string[] {
  return [
    `listeners.ssl.default = 127.0.0.1:${port}`,
    `ssl_options.cacertfile = ${c.ca}`,
    `ssl_options.certfile = ${c.cert}`,
    `ssl_options.keyfile = ${c.key}`,
    'ssl_options.verify = verify_none',
    'ssl_options.fail_if_no_peer_cert = false',
  ];
}

const auth = (b: Broker) => ({ user: b.user, password: b.password });
const amqpUrl = (b: Broker, user: string, password: string) => {
  const u = new URL(b.amqpUrl);
  return `amqp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${u.host}/`;
};

/** An oslo.messaging-like connection: client property connection_name `<binary>:<pid>:<uuid>`. */
async function serviceConnection(b: Broker, binary: string, user: string, password: string): Promise<amqp.ChannelModel> {
  return amqp.connect(amqpUrl(b, user, password), { clientProperties: { connection_name: `${binary}:${1000 + Math.floor(Math.random() * 8000)}:0b7d4c4e-1f7e-4f1a-9c55-${Date.now().toString(16).padStart(12, '0')}` } });
}

async function addUser(b: Broker, user: string, password: string, tags: string): Promise<void> {
  await b.ctl('add_user', user, password);
  await b.ctl('set_user_tags', user, ...(tags ? tags.split(',') : []));
  await b.ctl('set_permissions', '-p', '/', user, '.*', '.*', '.*');
}

const firing = (agent: Agent, rule: string) => agent.alerts().filter((a) => a.rule === rule && a.state === 'firing');

afterAll(() => rmSync(pkiDir, { recursive: true, force: true }));

describe('a clean broker, then each fault injected', () => {
  let broker: Broker;
  let agent: Agent;
  let amqpsPort: number;
  let cert60: ReturnType<typeof serverCertificate>;
  const open: amqp.ChannelModel[] = [];

  beforeAll(async () => {
    cert60 = serverCertificate('sixty', 60);
    amqpsPort = await freePort();
    // Source tracking on: the finding can then name the address and the user.
    broker = await startBroker({
      name: 'sec-clean',
      adminUser: { user: 'admin', password: 'admin-pw-1' },
      extraConfig: amqpsListener(amqpsPort, cert60),
      advancedConfig: '[{rabbit, [{track_auth_attempt_source, true}]}].',
    });
    await addUser(broker, 'warren', 'warren-pw-1', 'monitoring,administrator');
    await addUser(broker, 'nova', 'nova-pw-1', '');
    await addUser(broker, 'neutron', 'neutron-pw-1', '');
    open.push(await serviceConnection(broker, 'nova-compute', 'nova', 'nova-pw-1'));
    open.push(await serviceConnection(broker, 'neutron-server', 'neutron', 'neutron-pw-1'));
    agent = await startTestAgent(configFor(broker, { user: 'warren', password: 'warren-pw-1', interval: '1s', inventoryInterval: '2s' }));
    await agent.waitForPolls(3);
  });

  afterAll(async () => {
    for (const c of open) await c.close().catch(() => undefined);
    await agent?.stop();
    await broker?.stop();
  });

  it('raises no security finding, reads the 60-day certificate and exports the auth counters', async () => {
    const latest = agent.clusters[0]!.poller.status().latest!;
    expect(latest.security?.usersVisible).toBe(true);
    expect(latest.security?.certificates).toEqual([expect.objectContaining({ protocol: 'amqp/ssl', port: amqpsPort, subject: 'CN=sixty.rabbit.test' })]);
    for (const rule of SECURITY_RULES) expect(agent.alerts().filter((a) => a.rule === rule), rule).toEqual([]);
    const text = agent.metricsText();
    const expiry = metric(text, 'warren_tls_certificate_expiry_timestamp_seconds', { protocol: 'amqp/ssl', port: String(amqpsPort) });
    expect(new Date(expiry! * 1000).toISOString().slice(0, 10)).toBe(cert60.expires);
    expect(metric(text, 'rabbitmq_auth_attempts_total', { node: broker.nodeName, protocol: 'amqp091' })).toBeGreaterThanOrEqual(2);
    expect(metric(text, 'rabbitmq_auth_attempts_failed_total', { node: broker.nodeName, protocol: 'amqp091' })).toBe(0);

    // The one-shot report says the same, in its Security section.
    const r = await runCli(['report', '--config', configFileFor(broker, { user: 'warren', password: 'warren-pw-1' }), '--sample', '0', '--format', 'json']);
    const checks = JSON.parse(r.stdout).clusters[0].security.checks as Array<{ rule: string; status: string }>;
    expect(checks.filter((c) => c.status !== 'ok' && c.status !== 'unknown')).toEqual([]);
    expect(checks.find((c) => c.rule === 'administrator-user-in-use')!.status).toBe('ok');
  });

  it('20 AMQP logins with a wrong password: authentication-failures within one poll, naming amqp091, the source address and the user', async () => {
    for (let i = 0; i < 20; i++) {
      await amqp.connect(amqpUrl(broker, 'nova', 'wrong-password')).then(
        (c) => c.close(),
        () => undefined,
      );
    }
    await eventually(() => {
      const [a] = firing(agent, 'authentication-failures');
      expect(a).toBeDefined();
      expect(a!.subject).toEqual({ kind: 'node', name: broker.nodeName });
      expect(a!.summary).toContain('amqp091: 20');
      expect(a!.summary).toContain('127.0.0.1 as nova (20)');
      expect(a!.evidence).toMatchObject({ users: ['nova'], addresses: ['127.0.0.1'] });
    }, 60_000);
    expect(metric(agent.metricsText(), 'rabbitmq_auth_attempts_failed_total', { node: broker.nodeName, protocol: 'amqp091' })).toBeGreaterThanOrEqual(20);
  });

  it('nova-compute authenticated as an administrator: administrator-user-in-use', async () => {
    open.push(await serviceConnection(broker, 'nova-compute', 'admin', 'admin-pw-1'));
    await eventually(() => {
      const [a] = firing(agent, 'administrator-user-in-use');
      expect(a).toBeDefined();
      expect(a!.subject).toEqual({ kind: 'service', name: 'nova' });
      expect(a!.summary).toContain('"admin"');
      expect(a!.summary).toContain('nova-compute');
    }, 60_000);
  });

  it('two services on one user: shared-service-user', async () => {
    open.push(await serviceConnection(broker, 'cinder-volume', 'neutron', 'neutron-pw-1'));
    await eventually(() => {
      const [a] = firing(agent, 'shared-service-user');
      expect(a).toBeDefined();
      expect(a!.summary).toContain('"neutron" by cinder, neutron');
    }, 60_000);
  });
});

describe('a certificate that expires in 5 days, watched by a monitoring-only warren', () => {
  let broker: Broker;
  let agent: Agent;
  let amqpsPort: number;
  let cert5: ReturnType<typeof serverCertificate>;
  let conn: amqp.ChannelModel | undefined;
  let publicPort: number;

  beforeAll(async () => {
    cert5 = serverCertificate('five', 5);
    amqpsPort = await freePort();
    publicPort = await freePort('0.0.0.0');
    // A plain AMQP listener on every address, beside the harness's loopback ones.
    broker = await startBroker({
      name: 'sec-expiring',
      adminUser: { user: 'admin', password: 'admin-pw-2' },
      extraConfig: [...amqpsListener(amqpsPort, cert5), `listeners.tcp.public = 0.0.0.0:${publicPort}`],
    });
    await addUser(broker, 'watcher', 'watcher-pw-2', 'monitoring');
    // Something the user checks would flag if warren could see users and tags.
    conn = await serviceConnection(broker, 'nova-compute', 'admin', 'admin-pw-2');
    // inventoryInterval 1s: warren asks /api/users (refused) every poll, the worst case for its own failed HTTP logins.
    agent = await startTestAgent(configFor(broker, { user: 'watcher', password: 'watcher-pw-2', interval: '1s', inventoryInterval: '1s' }));
  });

  afterAll(async () => {
    await conn?.close().catch(() => undefined);
    await agent?.stop();
    await broker?.stop();
  });

  it('tls-certificate-expiring is critical and names the listener, subject and expiry date, though the chain is not trusted', async () => {
    await eventually(() => {
      const [a] = firing(agent, 'tls-certificate-expiring');
      expect(a).toBeDefined();
      expect(a!.severity).toBe('critical');
      expect(a!.summary).toContain(cert5.expires);
      expect(a!.summary).toContain(`amqp/ssl port ${amqpsPort}`);
      expect(a!.summary).toContain('CN=five.rabbit.test');
    }, 60_000);
    const cert = agent.clusters[0]!.poller.status().latest!.security!.certificates[0]!;
    expect(cert.verified).toBe(false);
  });

  it('listener-without-tls names the plain AMQP listener on 0.0.0.0, and not the loopback ones (3.10 reports the management one as "::")', async () => {
    await eventually(() => {
      const [a] = firing(agent, 'listener-without-tls');
      expect(a).toBeDefined();
      expect(a!.severity).toBe('info');
      expect(a!.subject).toEqual({ kind: 'node', name: broker.nodeName });
      expect(a!.summary).toContain(`amqp on 0.0.0.0:${publicPort}`);
    }, 60_000);
    const [a] = firing(agent, 'listener-without-tls');
    expect(a!.evidence.listeners).toEqual([{ protocol: 'amqp', address: '0.0.0.0', port: publicPort }]);
  });

  it("reports the user checks unknown, fires nothing it cannot see, and not on its own refused requests", async () => {
    // Let warren's own refusals pile up past the threshold of 10 failed HTTP logins.
    const httpFailed = async () => {
      const list = await getJson<Array<{ protocol: string; auth_attempts_failed: number }>>(`${broker.mgmtUrl}/api/auth/attempts/${encodeURIComponent(broker.nodeName)}`, { auth: auth(broker) });
      return list.find((a) => a.protocol === 'http')?.auth_attempts_failed ?? 0;
    };
    await eventually(async () => expect(await httpFailed()).toBeGreaterThanOrEqual(12), 90_000, 1000);
    await agent.waitForPolls(2);
    const latest = agent.clusters[0]!.poller.status().latest!;
    expect(latest.security?.usersVisible).toBe(false);
    expect(latest.connections.some((c) => c.user === 'admin' && c.role.binary === 'nova-compute')).toBe(true);
    for (const rule of ['authentication-failures', 'administrator-user-in-use', 'unused-user', 'guest-user-enabled', 'shared-service-user']) {
      expect(agent.alerts().filter((a) => a.rule === rule), rule).toEqual([]);
    }

    const r = await runCli(['report', '--config', configFileFor(broker, { user: 'watcher', password: 'watcher-pw-2' }), '--sample', '0', '--format', 'json']);
    const checks = Object.fromEntries(
      (JSON.parse(r.stdout).clusters[0].security.checks as Array<{ rule: string; status: string; detail: string }>).map((c) => [c.rule, c]),
    );
    for (const rule of ['administrator-user-in-use', 'unused-user', 'guest-user-enabled']) {
      expect(checks[rule], rule).toMatchObject({ status: 'unknown', detail: 'unknown: needs the administrator tag' });
    }
    expect(checks['tls-certificate-expiring']!.status).toBe('critical');
    const text = await runCli(['report', '--config', configFileFor(broker, { user: 'watcher', password: 'watcher-pw-2' }), '--sample', '0']);
    expect(text.stdout).toContain('SECURITY');
    expect(text.stdout).toContain('unknown: needs the administrator tag');
  });
});
