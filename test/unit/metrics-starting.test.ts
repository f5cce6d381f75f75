// Issue 12, item 9 (last part): no rabbitmq_up while the first poll is still running,
// so broker-unreachable (rabbitmq_up == 0) does not page on a slow start.
import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../../src/metrics/render.js';
import type { PollStatus } from '../../src/poll/index.js';

const status = (p: Partial<PollStatus>): PollStatus => ({ latest: null, history: [], lastAttemptAt: null, lastSuccessAt: null, lastError: null, consecutiveFailures: 0, skipped: 0, errors: 0, clusterLabel: 'prod', ...p });
const render = (st: PollStatus) => renderMetrics([{ status: st, intervalMs: 10_000, expectedNodes: 0, view: null, alerts: [] }], { version: '0.1.0', notifications: [], now: 1_000 }).text;

describe('rabbitmq_up while warren starts', () => {
  it('is absent before the first poll has ended, started or not', () => {
    expect(render(status({}))).not.toMatch(/^rabbitmq_up\{/m);
    expect(render(status({ lastAttemptAt: 500 }))).not.toMatch(/^rabbitmq_up\{/m);
  });
  it('is 0 once a poll has failed', () => {
    expect(render(status({ lastAttemptAt: 500, lastError: 'refused', errors: 1 }))).toMatch(/^rabbitmq_up\{cluster="prod"\} 0$/m);
  });
});
