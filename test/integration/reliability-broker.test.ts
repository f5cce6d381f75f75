// Against a real RabbitMQ: the broker restarted under the running `warren run`
// process (it must reconnect without help and serve fresh data), and two warren instances
// watching the same broker (an HA pair) sending to one real Alertmanager, which must show
// each alert once because both send identical label sets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { Agent } from '../../src/server/agent.js';
import { startAlertmanager, type Alertmanager } from '../harness/alertmanager.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { configFileFor, eventually, metric, startTestAgent } from '../support/agent.js';
import { startDaemon, type Daemon } from '../support/cli.js';

let broker: Broker;
let alertmanager: Alertmanager;
const agents: Agent[] = [];
let daemon: Daemon | undefined;

const auth = () => 'Basic ' + Buffer.from(`${broker.user}:${broker.password}`).toString('base64');
async function declareQueue(name: string): Promise<void> {
  const res = await fetch(`${broker.mgmtUrl}/api/queues/%2F/${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { authorization: auth(), 'content-type': 'application/json' },
    body: JSON.stringify({ durable: true }),
  });
  expect(res.status).toBeLessThan(300);
}

beforeAll(async () => {
  [broker, alertmanager] = await Promise.all([startBroker({ name: 'reliability' }), startAlertmanager()]);
});

afterAll(async () => {
  await daemon?.stop();
  for (const a of agents) await a.stop();
  await alertmanager?.stop();
  await broker?.stop();
});

describe('HA pair', () => {
  it('two warren instances on the same broker send identical alert identities: Alertmanager shows each alert once', async () => {
    // The harness broker runs with the default guest user, so guest-user-enabled fires at once on both.
    // An HA pair runs one config: the same configured cluster name (the identity), its own listener.
    for (let i = 0; i < 2; i++) {
      agents.push(await startTestAgent(loadConfig({ config: configFileFor(broker, { name: 'region-one' }, { alertmanagerUrls: [alertmanager.url] }) })));
    }
    const [a, b] = agents as [Agent, Agent];
    const identities = (agent: Agent) =>
      agent
        .alerts()
        .filter((x) => x.state === 'firing')
        .map((x) => ({ fingerprint: x.fingerprint, labels: x.labels }))
        .sort((x, y) => (x.fingerprint < y.fingerprint ? -1 : 1));
    await eventually(() => expect(identities(a).map((x) => x.labels.alertname)).toContain('guest-user-enabled'), 20_000);
    await eventually(() => expect(identities(b)).toEqual(identities(a)), 20_000);
    // The configured name is the identity; nothing that tells the instances apart (listen port) is in it.
    expect(identities(a).every((x) => x.labels.cluster === 'region-one')).toBe(true);
    for (const agent of [a, b]) expect(JSON.stringify(identities(a))).not.toContain(`:${new URL(agent.url).port}`);

    // Both sent; Alertmanager keeps one alert per label set.
    await eventually(async () => {
      const inAm = (await alertmanager.alerts()).filter((x) => x.labels.alertname === 'guest-user-enabled');
      expect(inAm).toHaveLength(1);
      expect(inAm[0].labels).toEqual(identities(a).find((x) => x.labels.alertname === 'guest-user-enabled')!.labels);
    }, 30_000);
    const all = await alertmanager.alerts();
    expect(all).toHaveLength(identities(a).length);
    // And each instance did deliver (no instance is silently idle).
    for (const agent of [a, b]) expect(agent.notifiers.stats()[0]!.sent).toBeGreaterThan(0);
  });
});

describe('broker restart', () => {
  it('the running daemon loses the broker, says so once per distinct error, and reconnects on its own', async () => {
    daemon = await startDaemon(['--config', configFileFor(broker, { interval: '1s', timeout: '3s' })]);
    const d = daemon;
    const scrape = async () => (await fetch(`${d.url}/metrics`)).text();
    await declareQueue('before-restart');
    await eventually(async () => {
      const m = await scrape();
      expect(metric(m, 'rabbitmq_up')).toBe(1);
      expect(metric(m, 'rabbitmq_queue_messages', { queue: 'before-restart' })).toBe(0);
    });
    const logFrom = d.output().length;

    const restarting = broker.restart();
    await eventually(async () => expect(metric(await scrape(), 'rabbitmq_up')).toBe(0), 30_000, 250);
    // Down: the last data is still served.
    expect(metric(await scrape(), 'rabbitmq_queue_messages', { queue: 'before-restart' })).toBe(0);
    await restarting;

    // Back, with nothing done to warren: fresh data, including a queue made after the restart.
    await declareQueue('after-restart');
    await eventually(async () => {
      const m = await scrape();
      expect(metric(m, 'rabbitmq_up')).toBe(1);
      expect(metric(m, 'warren_stale')).toBe(0);
      expect(metric(m, 'rabbitmq_queue_messages', { queue: 'after-restart' })).toBe(0);
    }, 60_000, 500);
    expect((await fetch(`${d.url}/healthz`)).status).toBe(200);
    expect(d.child.exitCode).toBeNull();

    const log = d.output().slice(logFrom);
    expect(log).toContain('broker answers again');
    const errors = log
      .split('\n')
      .filter((l) => l.includes('"level":50') && !l.includes('"event":"alert"'))
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    const failures = metric(await scrape(), 'warren_poll_errors_total')!;
    expect(errors.length).toBeGreaterThanOrEqual(1);
    // One line per distinct error, not per failed poll.
    expect(errors.length).toBeLessThan(Math.max(2, failures));
    for (let i = 1; i < errors.length; i++) expect(errors[i]).not.toBe(errors[i - 1]);
    for (const text of [d.output(), await scrape()]) expect(text).not.toContain(`:${broker.password}@`);
  });
});
