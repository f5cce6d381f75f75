import { describe, expect, it } from 'vitest';
import { catalogue, ruleById } from '../../src/rules/catalogue.js';

// Broker rules then OpenStack rules, in order: ids are a contract.
const BROKER_IDS = [
  'node-down',
  'network-partition',
  'memory-alarm',
  'memory-high',
  'disk-alarm',
  'disk-low',
  'file-descriptors-high',
  'connections-blocked',
  'queue-backlog',
  'queue-growing',
  'queue-no-consumer',
  'unacked-high',
  'connection-count-high',
  'connection-leak',
  'connection-churn',
  'channels-per-connection-high',
  'unroutable-messages',
  'cluster-version-mismatch',
  'node-restarted',
  'classic-mirroring-policy',
  'quorum-queue-underreplicated',
  'quorum-even-node-count',
  'guest-user-enabled',
  'broker-unreachable',
];
const OPENSTACK_IDS = [
  'openstack-host-queue-unconsumed',
  'openstack-rpc-topic-unconsumed',
  'openstack-rpc-backlog',
  'openstack-rpc-unacked',
  'openstack-notifications-unconsumed',
  'openstack-orphan-queues',
  'openstack-service-connections-high',
  'openstack-correlated-outage',
];
// The security audit's rules, then the active probe's (src/rules/catalogue/security.ts, probe.ts).
const SECURITY_IDS = [
  'authentication-failures',
  'listener-without-tls',
  'tls-certificate-expiring',
  'administrator-user-in-use',
  'shared-service-user',
  'unused-user',
];
const LATENCY_IDS = ['queue-message-age', 'queue-drain-time'];
const PROBE_IDS = ['amqp-probe-failed', 'amqp-probe-slow', 'openstack-rpc-server-unresponsive'];

describe('the rule catalogue', () => {
  it('holds exactly the contracted rules, in order', () => {
    expect(catalogue.map((r) => r.id)).toEqual([...BROKER_IDS, ...OPENSTACK_IDS, ...SECURITY_IDS, ...LATENCY_IDS, ...PROBE_IDS]);
  });

  it('has the contracted severities', () => {
    const sev = Object.fromEntries(catalogue.map((r) => [r.id, r.severity]));
    for (const id of ['node-down', 'network-partition', 'memory-alarm', 'disk-alarm', 'connections-blocked', 'broker-unreachable']) expect([id, sev[id]]).toEqual([id, 'critical']);
    for (const id of ['node-restarted', 'quorum-even-node-count']) expect([id, sev[id]]).toEqual([id, 'info']);
    for (const id of ['memory-high', 'disk-low', 'queue-backlog', 'queue-no-consumer', 'openstack-rpc-backlog', 'openstack-orphan-queues']) expect([id, sev[id]]).toEqual([id, 'warning']);
  });

  it('has the default thresholds and durations of the tables', () => {
    const r = (id: string) => ruleById(id)!;
    expect(r('queue-backlog').defaults).toEqual({ warning: 1000, critical: 10000 });
    expect(r('memory-high').defaults).toEqual({ ratio: 0.8 });
    expect(r('file-descriptors-high').defaults).toEqual({ ratio: 0.8 });
    expect(r('disk-low').defaults).toMatchObject({ factor: 2, horizonHours: 24 });
    expect(r('unacked-high').defaults).toEqual({ unacked: 1000 });
    expect(r('queue-message-age').defaults).toEqual({ minutes: 15 });
    expect(r('queue-drain-time').defaults).toMatchObject({ minutes: 30 });
    expect(r('connection-count-high').defaults).toMatchObject({ baselineFactor: 2 });
    expect(r('connection-leak').defaults).toMatchObject({ windowSeconds: 1800 });
    expect(r('connection-churn').defaults).toMatchObject({ ratio: 0.1, minConnections: 100 });
    expect(r('channels-per-connection-high').defaults).toEqual({ channels: 10, channelMaxRatio: 0.5 });
    expect(r('openstack-rpc-backlog').defaults).toEqual({ warning: 100, critical: 1000 });
    expect(r('openstack-notifications-unconsumed').defaults).toMatchObject({ messages: 1000 });
    expect(r('openstack-orphan-queues').defaults).toEqual({ max: 500 });
    expect(r('openstack-service-connections-high').defaults).toMatchObject({ baselineFactor: 2 });
    expect(r('queue-no-consumer').forSeconds).toBe(120);
    expect(r('queue-growing').forSeconds).toBe(300);
    expect(r('openstack-host-queue-unconsumed').forSeconds).toBe(120);
    expect(r('openstack-rpc-backlog').forSeconds).toBe(300);
    expect(r('connection-leak').forSeconds).toBe(1800);
  });

  it('gives every rule a description and a concrete remedy, and is immutable', () => {
    for (const rule of catalogue) {
      expect(rule.description.length, rule.id).toBeGreaterThan(20);
      expect(rule.remedy.length, rule.id).toBeGreaterThan(60);
      expect(Object.isFrozen(rule.defaults), rule.id).toBe(true);
    }
    expect(Object.isFrozen(catalogue)).toBe(true);
  });
});
