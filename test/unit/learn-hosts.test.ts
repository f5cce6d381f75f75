import { describe, expect, it } from 'vitest';
import { classifyQueue, learnHosts } from '../../src/openstack/index.js';

const reading = (consumers: Array<[queue: string, conn: string]>, conns: Array<[name: string, peer: string]>, queues: string[]) => ({
  queues: queues.map((name) => ({ name, vhost: '/', type: 'classic' })),
  connections: conns.map(([name, peerHost]) => ({ name, peerHost })),
  consumers: consumers.map(([queue, connection]) => ({ queue, vhost: '/', connection, ackRequired: true, prefetch: 0 })),
});
const roles = (queues: string[]) => queues.map((q) => classifyQueue(q, 'classic'));

describe('learnHosts: peer address -> host from the consumers of per-host RPC queues', () => {
  const queues = ['compute', 'compute.cmp-a', 'compute.cmp-b', 'conductor', 'conductor.ctl-1', 'cinder-volume.ctl-1@lvm', 'engine_worker.0f1e2d3c'];

  it('learns each address from the per-host queue its process consumes (cinder backend stripped), not from shared topics', () => {
    const r = reading(
      [
        ['compute', 'c-a'],
        ['compute.cmp-a', 'c-a'],
        ['compute.cmp-b', 'c-b'],
        ['conductor', 'c-ctl'],
        ['cinder-volume.ctl-1@lvm', 'c-vol'],
        ['engine_worker.0f1e2d3c', 'c-heat'],
      ],
      [
        ['c-a', '127.0.0.11'],
        ['c-b', '127.0.0.12'],
        ['c-ctl', '127.0.0.10'],
        ['c-vol', '127.0.0.10'],
        ['c-heat', '127.0.0.20'],
      ],
      queues,
    );
    expect(learnHosts(r as never, roles(queues), {})).toEqual({ '127.0.0.11': 'cmp-a', '127.0.0.12': 'cmp-b', '127.0.0.10': 'ctl-1' });
  });

  it('drops an address that consumes the queues of two hosts (NAT, everything on one machine), keeps one not seen now', () => {
    const r = reading(
      [
        ['compute.cmp-a', 'x1'],
        ['compute.cmp-b', 'x2'],
      ],
      [
        ['x1', '10.0.0.1'],
        ['x2', '10.0.0.1'],
      ],
      queues,
    );
    expect(learnHosts(r as never, roles(queues), { '10.0.0.1': 'cmp-a', '10.0.0.9': 'cmp-z' })).toEqual({ '10.0.0.9': 'cmp-z' });
  });
});
