// A real Alertmanager (Debian's prometheus-alertmanager) receives warren's
// alert. A memory alarm is injected on a real node: Alertmanager must show the alert
// active with warren's labels and annotations, and route it to its receiver; when the
// fault is removed, warren keeps the alert firing through its hysteresis (absent for 3
// evaluations and 60 s), then resolves it: Alertmanager drops it from its active alerts
// and notifies its receiver that it resolved.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ruleById } from '../../src/rules/catalogue.js';
import type { Agent } from '../../src/server/agent.js';
import { startAlertmanager, type Alertmanager } from '../harness/alertmanager.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { configFor, eventually, metric, scrape, startTestAgent } from '../support/agent.js';
import { clusterNameOf, configuredNameOf, expectFinding, expectNoFinding, FAST_STATS, withFault } from '../support/faults.js';

interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}
interface WebhookMessage {
  status: 'firing' | 'resolved';
  alerts: WebhookAlert[];
}

let broker: Broker;
let am: Alertmanager;
let agent: Agent;
let cluster: string;
let brokerCluster: string;
let hook: Server;
const notifications: WebhookMessage[] = [];

/** A receiver for Alertmanager's webhook notifications: what Alertmanager routed, as it routed it. */
async function startWebhook(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      try {
        notifications.push(JSON.parse(body) as WebhookMessage);
      } catch {
        /* not ours */
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook` };
}

beforeAll(async () => {
  const webhook = await startWebhook();
  hook = webhook.server;
  [broker, am] = await Promise.all([
    // Its own administrator: no guest user, so the only broker alert is the one injected.
    startBroker({ name: 'alertmanager', extraConfig: FAST_STATS, adminUser: { user: 'warren-admin', password: randomBytes(12).toString('hex') } }),
    startAlertmanager({
      config: `route:
  receiver: hook
  group_by: ['alertname', 'cluster']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: '${webhook.url}'
        send_resolved: true
`,
    }),
  ]);
  cluster = configuredNameOf(broker);
  brokerCluster = await clusterNameOf(broker);
  agent = await startTestAgent(configFor(broker, { interval: '1s', inventoryInterval: '2s' }, { alertmanagerUrls: [am.url] }));
});

afterAll(async () => {
  await agent?.stop();
  await am?.stop();
  await broker?.stop();
  await new Promise((r) => hook?.close(r));
});

const isMemoryAlarm = (labels: Record<string, string>) => labels.alertname === 'memory-alarm';

describe('alerts delivered to a real Alertmanager', () => {
  it('a memory alarm shows active with its labels and annotations, is routed, then resolves after the fault is removed', async () => {
    const node = { kind: 'node' as const, name: broker.nodeName };
    const rule = ruleById('memory-alarm')!;
    const expectedLabels = { alertname: 'memory-alarm', severity: 'critical', cluster, rabbitmq_cluster: brokerCluster, node: broker.nodeName };

    await withFault(
      () => broker.ctl('set_vm_memory_high_watermark', '0.0001'),
      () => broker.ctl('set_vm_memory_high_watermark', '0.4'),
      async (removeFault) => {
        await expectFinding(agent, 'memory-alarm', node, 'critical');

        // Alertmanager holds it, active, exactly as warren labelled it.
        const active = await eventually(async () => {
          const alerts = (await am.alerts()).filter((a) => isMemoryAlarm(a.labels));
          expect(alerts).toHaveLength(1);
          return alerts[0];
        }, 20_000);
        expect(active.labels).toEqual(expectedLabels);
        expect(active.status.state).toBe('active');
        expect(active.annotations.summary).toContain(`Memory alarm on ${broker.nodeName}`);
        expect(active.annotations.remedy).toBe(rule.remedy);
        expect(Date.parse(active.endsAt)).toBeGreaterThan(Date.now());
        expect(active.receivers.map((r: { name: string }) => r.name)).toEqual(['hook']);

        // And routed it to the receiver as firing.
        const firing = await eventually(() => {
          const m = notifications.find((n) => n.status === 'firing' && n.alerts.some((a) => isMemoryAlarm(a.labels)));
          expect(m).toBeDefined();
          return m!.alerts.find((a) => isMemoryAlarm(a.labels))!;
        }, 20_000);
        expect(firing.labels).toEqual(expectedLabels);
        expect(firing.status).toBe('firing');

        await removeFault();
        await expectNoFinding(agent, 'memory-alarm', node);
        const clearedAt = Date.now();

        // Hysteresis: the condition is gone, but the alert is not resolved on the first quiet polls.
        expect(agent.alerts().filter((a) => a.rule === 'memory-alarm').map((a) => a.state)).toEqual(['firing']);
        expect((await am.alerts()).filter((a) => isMemoryAlarm(a.labels)).map((a) => a.status.state)).toEqual(['active']);

        // Resolved: warren's alert state, its exposition, Alertmanager's active list and its receiver.
        const resolved = await eventually(
          () => {
            const m = notifications.find((n) => n.alerts.some((a) => isMemoryAlarm(a.labels) && a.status === 'resolved'));
            expect(m).toBeDefined();
            return m!.alerts.find((a) => isMemoryAlarm(a.labels))!;
          },
          120_000,
          1_000,
        );
        const resolvedSeenAt = Date.now();
        expect(resolved.labels).toEqual(expectedLabels);
        expect(Date.parse(resolved.endsAt)).toBeLessThanOrEqual(resolvedSeenAt);
        expect(Date.parse(resolved.endsAt)).toBeGreaterThanOrEqual(clearedAt);
        expect(resolved.startsAt).toBe(firing.startsAt);
        expect((await am.alerts()).filter((a) => isMemoryAlarm(a.labels))).toEqual([]);
        expect(agent.alerts().filter((a) => a.rule === 'memory-alarm')).toEqual([]);
        const { body } = await scrape(agent);
        expect(metric(body, 'warren_alert_active', { rule: 'memory-alarm' })).toBeUndefined();
      },
    );
  });
});
