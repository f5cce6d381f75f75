// Runbooks that resolve: `warren run` serves the rule reference at GET /rules with one
// anchor per rule id, and every alert it delivers to Alertmanager carries a runbook_url
// pointing there, or under `runbookBaseUrl` when the config sets one. The alert is a real
// one: broker-unreachable (no `for`) for a management URL where nothing listens, delivered
// over HTTP to a local receiver that records what it is sent.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { catalogue } from '../../src/rules/index.js';
import type { Agent } from '../../src/server/agent.js';
import { freePort } from '../harness/util.js';
import { eventually, startTestAgent } from '../support/agent.js';
import { runCli } from '../support/cli.js';

interface Received {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
const agents: Agent[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/v2/alerts') received.push(...(JSON.parse(body) as Received[]));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

/** An agent watching a management URL where nothing listens, delivering to the receiver. */
async function agentFor(name: string, top: Record<string, unknown>): Promise<Agent> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-runbooks-'));
  const file = join(dir, 'warren.yml');
  const deadPort = await freePort();
  writeFileSync(
    file,
    stringify({
      alertmanagerUrls: [receiverUrl],
      ...top,
      clusters: [{ name, url: `http://127.0.0.1:${deadPort}`, user: 'guest', password: 'guest', prometheusUrl: `http://127.0.0.1:${deadPort}`, interval: '1s' }],
    }),
  );
  const agent = await startTestAgent(loadConfig({ config: file }));
  agents.push(agent);
  return agent;
}

async function deliveredFor(cluster: string): Promise<Received> {
  return eventually(() => {
    const a = received.find((r) => r.labels.cluster === cluster && r.labels.alertname === 'broker-unreachable');
    expect(a, `broker-unreachable for ${cluster} delivered to the receiver`).toBeDefined();
    return a!;
  }, 60_000);
}

describe('runbooks', () => {
  it('GET /rules has an anchor for every catalogue rule; delivered alerts link to it by default', async () => {
    const port = await freePort();
    const agent = await agentFor('runbook-default', { listen: `127.0.0.1:${port}` });

    const res = await fetch(`${agent.url}/rules`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    for (const r of catalogue) {
      expect(html, r.id).toContain(`id="rule-${r.id}"`);
    }
    // warren's own alerts in the rule file link there too.
    for (const id of ['warren-stale', 'warren-poll-overrun', 'warren-notifications-failing']) expect(html, id).toContain(`id="rule-${id}"`);
    // Each section holds the rule's remedy and, where it has one, its PromQL.
    const section = html.slice(html.indexOf('id="rule-queue-drain-time"'), html.indexOf('</section>', html.indexOf('id="rule-queue-drain-time"')));
    expect(section).toContain('rabbitmq_queue_messages_deliver_rate');
    expect(section).toContain('minReady');
    expect(section).toContain('Remedy');

    const alert = await deliveredFor('runbook-default');
    expect(alert.annotations.runbook_url).toBe(`http://127.0.0.1:${port}/rules#rule-broker-unreachable`);
    // ... and that URL resolves to the rule's section.
    const page = await (await fetch(alert.annotations.runbook_url!.split('#')[0]!)).text();
    expect(page).toContain('id="rule-broker-unreachable"');
  });

  it('runbookBaseUrl in the config points every delivered alert elsewhere', async () => {
    await agentFor('runbook-configured', { listen: '127.0.0.1:0', runbookBaseUrl: 'https://wiki.example.org/ops/warren' });
    const alert = await deliveredFor('runbook-configured');
    expect(alert.annotations.runbook_url).toBe('https://wiki.example.org/ops/warren#rule-broker-unreachable');
    expect(alert.annotations.summary).toBeTruthy();
  });

  it("`warren rules --format prometheus --config F` writes F's runbookBaseUrl into the rule file; without --config the placeholder", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-runbooks-cli-'));
    const file = join(dir, 'warren.yml');
    writeFileSync(file, stringify({ runbookBaseUrl: 'http://warren.example.org:9419/rules', clusters: [{ url: 'http://127.0.0.1:15672', password: 'x' }] }));
    const withBase = await runCli(['rules', '--format', 'prometheus', '--config', file]);
    expect(withBase.code, withBase.stderr).toBe(0);
    const urls = [...withBase.stdout.matchAll(/runbook_url: (\S+)/g)].map((m) => m[1]!);
    expect(urls.length).toBeGreaterThan(30);
    for (const u of urls) expect(u).toMatch(/^http:\/\/warren\.example\.org:9419\/rules#rule-[a-z-]+$/);
    const plain = await runCli(['rules', '--format', 'prometheus']);
    expect(plain.stdout).toContain('runbook_url: http://warren:9419/rules#rule-memory-alarm');
  });
});
