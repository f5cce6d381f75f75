// Shared pieces of the fault-injection tests (test/integration/faults-*): AMQP clients that are always
// closed, the broker's own view through the management API, and assertions on what
// the in-process agent found and fired.
import amqp, { type ChannelModel } from 'amqplib';
import { expect } from 'vitest';
import type { Finding, Severity, Subject } from '../../src/rules/types.js';
import type { Agent } from '../../src/server/agent.js';
import type { Broker } from '../harness/broker.js';
import { getJson } from '../harness/util.js';
import { eventually, metric, scrape } from './agent.js';

/**
 * rabbitmq.conf lines that make the broker publish its statistics every second: the
 * emit interval, and the management collector's sampling (it aggregates at the smallest
 * retention step, 5 s by default, so queue depths and message counters would trail by 5 s).
 */
export const FAST_STATS = [
  'collect_statistics_interval = 1000',
  'management.sample_retention_policies.global.minute = 1',
  'management.sample_retention_policies.basic.minute = 1',
  'management.sample_retention_policies.detailed.10 = 1',
];

/** AMQP connections of one test file; `closeAll` in afterAll, whatever happened. */
export function amqpClients(broker: Broker) {
  const open = new Set<ChannelModel>();
  return {
    /** Connects to `vhost` (default `/`), naming the connection so the broker's list shows who it is. */
    async connect(name: string, vhost = '/'): Promise<ChannelModel> {
      const url = vhost === '/' ? broker.amqpUrl : broker.amqpUrl + encodeURIComponent(vhost);
      const c = await amqp.connect(url, { clientProperties: { connection_name: name } });
      open.add(c);
      // A blocked or closed-by-broker connection must not crash the test process.
      c.on('error', () => undefined);
      c.on('close', () => open.delete(c));
      return c;
    },
    async close(c: ChannelModel): Promise<void> {
      open.delete(c);
      await c.close().catch(() => undefined);
    },
    async closeAll(): Promise<void> {
      const all = [...open];
      open.clear();
      await Promise.all(all.map((c) => c.close().catch(() => undefined)));
    },
  };
}

/** GET a management API path as the broker's admin user. */
export function mgmt<T = any>(broker: Broker, path: string): Promise<T> {
  return getJson<T>(broker.mgmtUrl + path, { auth: { user: broker.user, password: broker.password }, timeoutMs: 10_000 });
}

/**
 * The `cluster` label of series and alerts and the name of cluster subjects: the configured
 * name, which configFor leaves to the config's default, the URL's host.
 */
export function configuredNameOf(broker: Broker): string {
  return new URL(broker.mgmtUrl).host;
}

/** The broker's cluster name, as RabbitMQ itself reports it (the `rabbitmq_cluster` label). */
export async function clusterNameOf(broker: Broker): Promise<string> {
  return (await mgmt<{ name: string }>(broker, '/api/cluster-name')).name;
}

/**
 * A PUT or DELETE on the management API as the broker's admin user: the same change
 * `rabbitmqctl` makes (users, vhosts, policies), without booting an Erlang CLI each time.
 */
export async function mgmtChange(broker: Broker, method: 'PUT' | 'DELETE', path: string, body?: unknown): Promise<void> {
  const res = await fetch(broker.mgmtUrl + path, {
    method,
    headers: {
      authorization: 'Basic ' + Buffer.from(`${broker.user}:${broker.password}`).toString('base64'),
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}`);
}

/** A vhost the broker's admin user may use. */
export async function addVhost(broker: Broker, vhost: string): Promise<void> {
  const v = encodeURIComponent(vhost);
  await mgmtChange(broker, 'PUT', `/api/vhosts/${v}`, {});
  await mgmtChange(broker, 'PUT', `/api/permissions/${v}/${encodeURIComponent(broker.user)}`, { configure: '.*', write: '.*', read: '.*' });
}

/** The broker's own name for the AMQP connection a client opened as `clientName`. */
export async function connectionNamed(broker: Broker, clientName: string): Promise<{ name: string; vhost: string; channels: number }> {
  return eventually(async () => {
    const list = await mgmt<Array<{ name: string; vhost: string; channels?: number; client_properties?: { connection_name?: string } }>>(
      broker,
      '/api/connections?columns=name,vhost,channels,client_properties',
    );
    const c = list.find((x) => x.client_properties?.connection_name === clientName);
    if (!c) throw new Error(`no connection named ${clientName} yet`);
    return { name: c.name, vhost: c.vhost, channels: c.channels ?? 0 };
  }, 15_000);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Findings of `rule` about exactly `subject` in the agent's latest evaluation. */
export function findingsFor(agent: Agent, rule: string, subject: Subject): Finding[] {
  return agent.clusters[0]!.findings.filter(
    (f) => f.rule === rule && f.subject.kind === subject.kind && f.subject.name === subject.name && f.subject.vhost === subject.vhost,
  );
}

/**
 * Waits until the agent's evaluation holds a finding of `rule` about `subject` with
 * `severity` (and whatever `check` asserts on it), and returns it. The subject must
 * match exactly: kind, name and vhost (undefined for node and cluster subjects).
 */
export async function expectFinding(
  agent: Agent,
  rule: string,
  subject: Subject,
  severity: Severity,
  check: (f: Finding) => void = () => undefined,
  timeoutMs = 45_000,
): Promise<Finding> {
  // No pause between tries: waitForPolls paces them, and a pause could skip a poll.
  return eventually(async () => {
    await agent.waitForPolls(1);
    const found = findingsFor(agent, rule, subject);
    const others = agent.clusters[0]!.findings.filter((f) => f.rule === rule).map((f) => f.subject);
    expect(found, `${rule} about ${JSON.stringify(subject)}; the rule's subjects now: ${JSON.stringify(others)}`).toHaveLength(1);
    const f = found[0]!;
    expect(f.subject).toEqual(subject);
    expect(f.severity).toBe(severity);
    expect(f.summary.length).toBeGreaterThan(10);
    expect(f.remedy.length).toBeGreaterThan(20);
    check(f);
    return f;
  }, timeoutMs, 0);
}

/**
 * Waits until no finding of `rule` about `subject` is left, on `quietPolls` polls in a row
 * (default two), so a lucky gap between two findings does not pass. Counted in polls, not
 * wall time: polls start at least one interval apart, so N polls span at least N-1
 * intervals of the broker's statistics however loaded the machine is.
 */
export async function expectNoFinding(agent: Agent, rule: string, subject: Subject, opts: { timeoutMs?: number; quietPolls?: number } = {}): Promise<void> {
  const quietPolls = Math.max(2, opts.quietPolls ?? 2);
  await eventually(async () => {
    let polls = 0;
    while (polls < quietPolls) {
      await agent.waitForPolls(1);
      polls++;
      expect(findingsFor(agent, rule, subject), `${rule} about ${JSON.stringify(subject)} should be gone (and stay gone)`).toEqual([]);
    }
  }, opts.timeoutMs ?? 45_000, 0);
}

/**
 * The alert of `rule` about `subject` is firing at `severity` everywhere the daemon shows
 * it: its alert state, GET /alerts and warren_alert_active on /metrics.
 */
export async function expectFiring(agent: Agent, cluster: string, rule: string, subject: Subject, severity: Severity): Promise<void> {
  await eventually(async () => {
    const same = (s: Subject) => s.kind === subject.kind && s.name === subject.name && s.vhost === subject.vhost;
    const inState = agent.alerts().filter((a) => a.rule === rule && same(a.subject));
    expect(inState.map((a) => [a.state, a.severity, a.cluster])).toEqual([['firing', severity, cluster]]);

    const res = await fetch(`${agent.url}/alerts`);
    expect(res.status).toBe(200);
    const served = ((await res.json()) as Array<{ rule: string; state: string; severity: string; subject: Subject }>).filter(
      (a) => a.rule === rule && same(a.subject),
    );
    expect(served.map((a) => [a.state, a.severity])).toEqual([['firing', severity]]);

    const { body } = await scrape(agent);
    expect(
      metric(body, 'warren_alert_active', {
        cluster,
        rule,
        severity,
        subject_kind: subject.kind,
        subject: subject.name,
        vhost: subject.vhost ?? '',
      }),
    ).toBe(1);
  }, 20_000, 250);
}

/**
 * Injects a fault, runs `body` with it in place, and always removes it, even when an
 * assertion fails. `body` gets `removeFault` to take it away itself before asserting
 * the recovery; removal runs once.
 */
export async function withFault<T>(
  inject: () => Promise<unknown>,
  remove: () => Promise<unknown>,
  body: (removeFault: () => Promise<void>) => Promise<T>,
): Promise<T> {
  let removed = false;
  const removeFault = async () => {
    if (removed) return;
    removed = true;
    await remove();
  };
  let failed = false;
  try {
    await inject();
    return await body(removeFault);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // After a failure, the failure is the news: a removal error must not replace it.
    if (failed) await removeFault().catch(() => undefined);
    else await removeFault();
  }
}
