// End to end: a real Prometheus (Debian `prometheus`) scrapes a running `warren run`
// that watches a real RabbitMQ with the OpenStack simulator driving traffic. Every query
// of every dashboard panel (and every variable) must return data, and the shipped rule
// file must load and evaluate without errors.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../harness/broker.js';
import { startPrometheus, type Prometheus } from '../harness/prometheus.js';
import { REPO_ROOT, sleep, waitFor } from '../harness/util.js';
import { configFileFor } from '../support/agent.js';
import { startDaemon, type Daemon } from '../support/cli.js';
import { amqpClients, mgmt } from '../support/faults.js';
import { startSimulation, type Simulation } from '../../tools/sim/index.js';
import { promGroups } from '../../src/rules/promql.js';
import {
  DEFAULT_BUILTINS,
  dashboardQueries,
  defaultVariableValues,
  substituteVariables,
  type DashboardLike,
  type DashboardQuery,
} from '../support/dashboard-queries.js';

const RULE_FILE = join(REPO_ROOT, 'alerts/warren.rules.yml');
const DASHBOARD_DIR = join(REPO_ROOT, 'dashboards');
// Prometheus scrapes every second and warren polls every 2 s, so a 30 s rate window
// holds many counter changes; Grafana would pick $__rate_interval the same way.
const BUILTINS = { ...DEFAULT_BUILTINS, __rate_interval: '30s', __interval: '2s', __interval_ms: '2000' };

let broker: Broker;
let sim: Simulation;
let warren: Daemon;
let prom: Prometheus;

beforeAll(async () => {
  broker = await startBroker({ name: 'dash', extraConfig: ['collect_statistics_interval = 1000'] });
  sim = await startSimulation({
    amqpUrl: broker.amqpUrl,
    computes: 2,
    rpcRate: 4,
    notificationRate: 2,
    reportIntervalMs: 2_000,
    callTimeoutMs: 10_000,
  });
  // The simulated services' channels must be in the broker's statistics before warren's
  // first inventory: wait until every connection the simulation holds is listed with one.
  let missing: string[] = [];
  await waitFor(
    async () => {
      const listed = await mgmt<Array<{ channels?: number; client_properties?: { connection_name?: string } }>>(broker, '/api/connections?columns=channels,client_properties');
      const channels = new Map(listed.map((c) => [c.client_properties?.connection_name, c.channels ?? 0]));
      const names = sim.processes().flatMap((p) => p.connectionNames);
      missing = names.filter((n) => (channels.get(n) ?? 0) === 0);
      return names.length > 0 && missing.length === 0;
    },
    {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: "every simulated connection listed with its channels in the broker's statistics",
      onTimeout: () => `without channels yet: ${missing.join(', ')}`,
    },
  );
  // Simulated oslo traffic sets no timestamp property: one stamped message gives the
  // head message age panel (rabbitmq_queue_head_message_timestamp) its series.
  const stamper = amqpClients(broker);
  const c = await stamper.connect('dashboards-e2e-stamper');
  const ch = await c.createConfirmChannel();
  await ch.assertQueue('dashboards-e2e-stamped');
  ch.sendToQueue('dashboards-e2e-stamped', Buffer.from('x'), { timestamp: Math.floor(Date.now() / 1000) - 60 });
  await ch.waitForConfirms();
  await stamper.closeAll();
  // queueSource management: per-queue counters (and so per-queue publish/deliver rates)
  // come only from the management API; the plugin's /metrics/detailed families warren
  // reads carry depth and consumers only. inventoryInterval: channels are inventory.
  // rpcPing: the simulated RPC servers answer oslo_rpc_server_ping (they reply to any
  // method), which gives the RPC ping panels their series.
  warren = await startDaemon([
    '--config',
    configFileFor(broker, { interval: '2s', inventoryInterval: '10s', queueSource: 'management' }, { openstack: { rpcPing: { timeout: '2s' } } }),
  ]);
  prom = await startPrometheus({ scrapeTargets: [warren.url], scrapeInterval: '1s', ruleFiles: [RULE_FILE] });
});

afterAll(async () => {
  await prom?.stop();
  await warren?.stop();
  await sim?.stop();
  await sim?.cleanup();
  await broker?.stop();
});

function loadDashboards(): Array<{ file: string; dashboard: DashboardLike }> {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as DashboardLike }));
}

interface Runnable extends DashboardQuery {
  promql: string;
}

describe('dashboards against a real Prometheus scraping warren', () => {
  it('every panel and variable query returns data', async () => {
    const queries: Runnable[] = loadDashboards().flatMap(({ file, dashboard }) => {
      const values = defaultVariableValues(dashboard);
      return dashboardQueries(dashboard, file).map((q) => ({ ...q, promql: substituteVariables(q.expr, values, BUILTINS) }));
    });
    expect(queries.length).toBeGreaterThan(100);

    // Rates and deltas need a few samples; retry the empty ones until they all answer.
    let empty: Array<Runnable & { error?: string }> = queries;
    const deadline = Date.now() + 120_000;
    while (empty.length > 0 && Date.now() < deadline) {
      const still: typeof empty = [];
      for (const q of empty) {
        try {
          const result = await prom.query(q.promql);
          if (result.length === 0) still.push(q);
        } catch (err) {
          still.push({ ...q, error: String(err) });
        }
      }
      empty = still;
      if (empty.length > 0) await sleep(5_000); // between retries of a deadline-bound wait
    }
    expect(empty.map((q) => `${q.dashboard} / ${q.panel} [${q.refId}]: ${q.promql}${q.error ? ` (${q.error})` : ''}`)).toEqual([]);
  });
});

describe('alerts/warren.rules.yml in that Prometheus', () => {
  it('loads every group and rule, and evaluates them without errors', async () => {
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    const expected = promGroups()
      .map((g) => ({ name: g.name, rules: (g.alerts?.length ?? 0) + (g.recording?.length ?? 0) }))
      .sort(byName);
    // Wait for every rule to have been evaluated once (health leaves "unknown").
    let groups: any[] = [];
    const deadline = Date.now() + 60_000;
    for (;;) {
      groups = (await prom.rules()).groups as any[];
      const evaluated = groups.every((g) => g.rules.every((r: any) => r.health !== 'unknown'));
      if ((evaluated && groups.length === expected.length) || Date.now() > deadline) break;
      await sleep(1_000); // between retries of a deadline-bound wait
    }
    expect(groups.map((g) => ({ name: g.name as string, rules: g.rules.length as number })).sort(byName)).toEqual(expected);
    const unhealthy = groups.flatMap((g) =>
      g.rules.filter((r: any) => r.health !== 'ok').map((r: any) => `${g.name}/${r.name}: ${r.health} ${r.lastError ?? ''}`),
    );
    expect(unhealthy).toEqual([]);
  });
});
