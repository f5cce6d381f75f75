// Issue 17, the AMQP probe on a TLS listener (amqp/ssl) with the cluster's `tls`
// settings: both listeners of the node are found in /api/overview and probed; with the
// right CA and client certificate both succeed, and with a CA that did not sign the
// broker's certificate the TLS listener fails at connect (what clients of a listener with
// a broken certificate meet) while the plain one still succeeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/server/agent.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { freePort } from '../harness/util.js';
import { configFor, eventually, metric, scrape, startTestAgent } from '../support/agent.js';
import { expectFinding, findingsFor } from '../support/faults.js';
import { makeTestPki, type TestPki } from '../support/tls.js';

let broker: Broker;
let pki: TestPki;
let tlsPort: number;
const agents: Agent[] = [];

beforeAll(async () => {
  pki = makeTestPki();
  tlsPort = await freePort();
  broker = await startBroker({
    name: 'amqp-probe-tls',
    extraConfig: [
      `listeners.ssl.default = 127.0.0.1:${tlsPort}`,
      `ssl_options.cacertfile = ${pki.caFile}`,
      `ssl_options.certfile = ${pki.serverCertFile}`,
      `ssl_options.keyfile = ${pki.serverKeyFile}`,
      'ssl_options.verify = verify_peer',
      'ssl_options.fail_if_no_peer_cert = true',
    ],
  });
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  await broker?.stop();
  pki?.remove();
});

const probe = { interval: '3s', timeout: '5s' };

describe('the AMQP probe over TLS', () => {
  it('probes the amqp and amqp/ssl listeners of the node; both succeed with the CA and the client certificate', async () => {
    const agent = await startTestAgent(configFor(broker, { interval: '1s', probe, tls: { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile } }));
    agents.push(agent);
    await eventually(async () => {
      const { body } = await scrape(agent);
      expect(metric(body, 'warren_probe_success', { node: broker.nodeName, protocol: 'amqp' })).toBe(1);
      expect(metric(body, 'warren_probe_success', { node: broker.nodeName, protocol: 'amqps' })).toBe(1);
    }, 30_000);
    expect(agent.clusters[0]!.probe!.results().find((r) => r.protocol === 'amqps')!.address).toBe(`127.0.0.1:${tlsPort}`);
    await agent.waitForPolls(2);
    expect(findingsFor(agent, 'amqp-probe-failed', { kind: 'node', name: broker.nodeName })).toEqual([]);
  });

  it('a CA that did not sign the broker certificate: amqp-probe-failed at connect on amqps, the plain listener still fine', async () => {
    const agent = await startTestAgent(configFor(broker, { interval: '1s', probe, tls: { caFile: pki.rogueCaFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile } }));
    agents.push(agent);
    const f = await expectFinding(agent, 'amqp-probe-failed', { kind: 'node', name: broker.nodeName }, 'critical', (x) => {
      expect(x.summary).toContain(`amqps 127.0.0.1:${tlsPort}) failed at connect`);
    }, 45_000);
    expect(f.summary).not.toContain('also');
    const { body } = await scrape(agent);
    expect(metric(body, 'warren_probe_success', { node: broker.nodeName, protocol: 'amqp' })).toBe(1);
    expect(metric(body, 'warren_probe_success', { node: broker.nodeName, protocol: 'amqps' })).toBe(0);
  });
});
