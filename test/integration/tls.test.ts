// TLS to the broker: a real RabbitMQ whose management API and Prometheus plugin
// also listen with TLS, certificates made in the test with openssl, and both TLS
// listeners demanding a client certificate (verify_peer + fail_if_no_peer_cert). warren
// must verify the broker against tls.caFile, present tls.certFile/keyFile on the
// management requests AND on the plugin requests (queueSource: prometheus fails the poll
// if the plugin cannot be read), and say clearly what is wrong when TLS is misconfigured.
// (The harness keeps the plain listeners, which it uses to wait for the broker; warren
// is only ever given the TLS ports here.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import type { Agent } from '../../src/server/agent.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { freePort } from '../harness/util.js';
import { metric, startTestAgent } from '../support/agent.js';
import { runCli } from '../support/cli.js';
import { makeTestPki, type TestPki } from '../support/tls.js';

let pki: TestPki;
let broker: Broker;
let mgmtTls: string;
let promTls: string;
const agents: Agent[] = [];
const tmpRoot = mkdtempSync(join(tmpdir(), 'warren-tls-'));
const QUEUE = 'tls-proof.queue';

function writeConfig(tls: Record<string, unknown> | undefined, cluster: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpRoot, 'cfg-'));
  const file = join(dir, 'warren.yml');
  writeFileSync(
    file,
    stringify({
      listen: '127.0.0.1:0',
      clusters: [
        {
          name: 'tls',
          url: mgmtTls,
          prometheusUrl: promTls,
          user: broker.user,
          password: broker.password,
          queueSource: 'prometheus',
          interval: '1s',
          timeout: '5s',
          ...(tls ? { tls } : {}),
          ...cluster,
        },
      ],
    }),
  );
  return file;
}

/** `warren report` against the TLS listener: exit code and the one line it prints when it cannot connect. */
async function reportWith(tls: Record<string, unknown> | undefined, cluster: Record<string, unknown> = {}) {
  const r = await runCli(['report', '--config', writeConfig(tls, cluster), '--sample', '0'], {}, 60_000);
  return { code: r.code, text: r.stderr + r.stdout };
}

beforeAll(async () => {
  pki = makeTestPki();
  const [mgmtPort, promPort] = [await freePort(), await freePort()];
  const listener = (prefix: string, port: number) => [
    `${prefix}.ssl.ip = 127.0.0.1`,
    `${prefix}.ssl.port = ${port}`,
    `${prefix}.ssl.cacertfile = ${pki.caFile}`,
    `${prefix}.ssl.certfile = ${pki.serverCertFile}`,
    `${prefix}.ssl.keyfile = ${pki.serverKeyFile}`,
    `${prefix}.ssl.verify = verify_peer`,
    `${prefix}.ssl.fail_if_no_peer_cert = true`,
  ];
  broker = await startBroker({ name: 'tls', extraConfig: [...listener('management', mgmtPort), ...listener('prometheus', promPort)] });
  mgmtTls = `https://127.0.0.1:${mgmtPort}`;
  promTls = `https://127.0.0.1:${promPort}`;
  // A queue to find in the metrics, declared over the plain listener (the harness's own way in).
  const res = await fetch(`${broker.mgmtUrl}/api/queues/%2F/${encodeURIComponent(QUEUE)}`, {
    method: 'PUT',
    headers: { authorization: 'Basic ' + Buffer.from(`${broker.user}:${broker.password}`).toString('base64'), 'content-type': 'application/json' },
    body: JSON.stringify({ durable: false }),
  });
  expect(res.status).toBeLessThan(300);
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  await broker?.stop();
  pki?.remove();
  rmSync(tmpRoot, { recursive: true, force: true });
});

describe('TLS to the management API and the plugin', () => {
  it('with the CA and a client certificate: polls both TLS listeners, queue depth from the plugin over TLS', async () => {
    const agent = await startTestAgent(
      loadConfig({ config: writeConfig({ caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile }) }),
    );
    agents.push(agent);
    const status = agent.clusters[0]!.poller.status();
    expect(status.lastError).toBeNull();
    expect(status.latest!.url).toBe(mgmtTls);
    // queueSource prometheus: the poll would have failed had the plugin's TLS listener refused the client.
    expect(status.latest!.poll.queueSource).toBe('prometheus');
    const m = agent.metricsText();
    expect(metric(m, 'rabbitmq_up')).toBe(1);
    expect(metric(m, 'rabbitmq_queue_consumers', { queue: QUEUE })).toBe(0);
  });

  it('the same CA with localhost (the other subjectAltName) works too', async () => {
    const r = await reportWith({ caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile }, {
      url: mgmtTls.replace('127.0.0.1', 'localhost'),
      prometheusUrl: promTls.replace('127.0.0.1', 'localhost'),
      queueSource: 'auto',
    });
    expect(r.code).not.toBe(3);
    expect(r.text).toContain('tls-proof.queue');
  });

  it('without the CA: refuses the broker, and says to set tls.caFile', async () => {
    const r = await reportWith({ certFile: pki.clientCertFile, keyFile: pki.clientKeyFile });
    expect(r.code).toBe(3);
    expect(r.text).toMatch(/TLS handshake with https:\/\/127\.0\.0\.1:\d+\/api\/\w+ failed \(\w+\): set tls\.caFile/);
  });

  it('insecureSkipVerify (opt-in) accepts the broker without the CA', async () => {
    const r = await reportWith({ insecureSkipVerify: true, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile });
    expect(r.code).not.toBe(3);
    expect(r.text).toContain('tls-proof.queue');
  });

  it('without a client certificate, or with one from another CA: the broker refuses, and warren says it was the client certificate', async () => {
    for (const tls of [{ caFile: pki.caFile }, { caFile: pki.caFile, certFile: pki.rogueClientCertFile, keyFile: pki.rogueClientKeyFile }]) {
      const r = await reportWith(tls);
      expect(r.code).toBe(3);
      expect(r.text).toMatch(/TLS handshake with https:\/\/127\.0\.0\.1:\d+\/api\/\w+ failed|closed the TLS connection before answering/);
      expect(r.text).toMatch(/client certificate|tls\.certFile/);
    }
  });

  it('a TLS file that cannot be read is a one-line config error, before anything starts', async () => {
    const r = await runCli(['report', '--config', writeConfig({ caFile: join(pki.dir, 'missing.pem') })]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/clusters\[0\]\.tls\.caFile: cannot read .*missing\.pem \(ENOENT\)/);
  });
});
