import { describe, expect, it } from 'vitest';
import { ExpositionWriter } from '../../src/metrics/exposition.js';
import { renderMetrics } from '../../src/metrics/render.js';
import type { PollStatus } from '../../src/poll/index.js';
import { later, makeNode, makeQueue, makeSnapshot } from '../support/snapshot.js';
import { metric } from '../support/agent.js';

function status(p: Partial<PollStatus>): PollStatus {
  return { latest: null, history: [], lastAttemptAt: null, lastSuccessAt: null, lastError: null, consecutiveFailures: 0, skipped: 0, errors: 0, clusterLabel: 'rabbit@test', ...p };
}

describe('exposition writer', () => {
  it('escapes label values and groups samples under one HELP/TYPE per family', () => {
    const w = new ExpositionWriter();
    w.family('x_total', 'counter', 'help with \\ backslash');
    w.sample('x_total', { queue: 'a"b\\c\nd' }, 1);
    w.sample('x_total', { queue: 'plain' }, 2);
    w.sample('x_total', { queue: 'skipped' }, null);
    expect(w.toString()).toBe(
      '# HELP x_total help with \\\\ backslash\n# TYPE x_total counter\nx_total{queue="a\\"b\\\\c\\nd"} 1\nx_total{queue="plain"} 2\n',
    );
    expect(w.series).toBe(2);
    expect(() => w.sample('undeclared', {}, 1)).toThrow(/not declared/);
  });
});

describe('renderMetrics', () => {
  const t0 = makeSnapshot({
    nodes: [makeNode({ name: 'rabbit@a' }), makeNode({ name: 'rabbit@b', running: false })],
    queues: [
      makeQueue({ name: 'compute.cmp-01', messages: 5, ready: 4, unacked: 1, consumers: 0, counters: { published: 100, delivered: 90, acked: 90, redelivered: 0 }, role: { service: 'nova', kind: 'rpc_host', topic: 'compute', host: 'cmp-01' } }),
    ],
  });
  const t1 = later(t0, 10, {
    queues: [makeQueue({ name: 'compute.cmp-01', messages: 25, ready: 24, unacked: 1, consumers: 0, counters: { published: 150, delivered: 100, acked: 100, redelivered: 0 }, role: { service: 'nova', kind: 'rpc_host', topic: 'compute', host: 'cmp-01' } })],
  });

  it('exports queue depth with OpenStack labels and rates computed from counters', () => {
    const { text } = renderMetrics(
      [{ status: status({ latest: t1, history: [t0, t1], lastSuccessAt: t1.takenAt }), intervalMs: 10_000, expectedNodes: 2, view: null, alerts: [] }],
      { version: '0.1.0', notifications: [], now: t1.takenAt },
    );
    const labels = { queue: 'compute.cmp-01', openstack_service: 'nova', openstack_kind: 'rpc_host' };
    expect(metric(text, 'rabbitmq_queue_messages', labels)).toBe(25);
    expect(metric(text, 'rabbitmq_queue_messages_publish_rate', labels)).toBe(5);
    expect(metric(text, 'rabbitmq_queue_messages_deliver_rate', labels)).toBe(1);
    expect(metric(text, 'rabbitmq_running', { node: 'rabbit@b' })).toBe(0);
    expect(metric(text, 'rabbitmq_node_mem_used', { node: 'rabbit@b' })).toBeUndefined();
    expect(metric(text, 'rabbitmq_up')).toBe(1);
    expect(metric(text, 'warren_stale')).toBe(0);
  });

  it('keeps serving the last good data, marked stale, when polls fail', () => {
    const now = t1.takenAt + 60_000;
    const { text } = renderMetrics(
      [{ status: status({ latest: t1, history: [t0, t1], lastSuccessAt: t1.takenAt, lastError: 'refused', errors: 4 }), intervalMs: 10_000, expectedNodes: 2, view: null, alerts: [] }],
      { version: '0.1.0', notifications: [], now },
    );
    expect(metric(text, 'rabbitmq_up')).toBe(0);
    expect(metric(text, 'warren_stale')).toBe(1);
    expect(metric(text, 'warren_data_age_seconds')).toBe(60);
    expect(metric(text, 'warren_poll_errors_total')).toBe(4);
    expect(metric(text, 'rabbitmq_queue_messages', { queue: 'compute.cmp-01' })).toBe(25);
  });

  it('exports rabbitmq_up 0 and no broker series before any successful poll', () => {
    const { text, series } = renderMetrics(
      [{ status: status({ lastError: 'refused', errors: 1, clusterLabel: 'prod' }), intervalMs: 10_000, expectedNodes: 0, view: null, alerts: [] }],
      { version: '0.1.0', notifications: [], now: 0 },
    );
    expect(metric(text, 'rabbitmq_up', { cluster: 'prod' })).toBe(0);
    expect(metric(text, 'rabbitmq_queues')).toBeUndefined();
    expect(metric(text, 'warren_series')).toBe(series);
  });
});
