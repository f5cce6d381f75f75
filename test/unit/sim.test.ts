import { describe, expect, it } from 'vitest';
import { attributeConnection, classifyQueue } from '../../src/openstack/classify.js';
import { parseFault } from '../../tools/sim/index.js';
import { ENGINE_ID, hostAddress, planCloud } from '../../tools/sim/plan.js';
import { clientProperties, envelope, openEnvelope, rpcReply, rpcRequest, uniqueHex } from '../../tools/sim/wire.js';

describe('sim plan', () => {
  const plan = planCloud({ controllers: ['ctl-1', 'ctl-2'], networks: ['net-1'], computes: ['cmp-01', 'cmp-02'] });

  it('gives each host its own loopback address, stable per role', () => {
    expect(plan.hosts).toEqual([
      { name: 'ctl-1', role: 'controller', address: '127.0.10.1' },
      { name: 'ctl-2', role: 'controller', address: '127.0.10.2' },
      { name: 'net-1', role: 'network', address: '127.0.20.1' },
      { name: 'cmp-01', role: 'compute', address: '127.0.30.1' },
      { name: 'cmp-02', role: 'compute', address: '127.0.30.2' },
    ]);
    expect(hostAddress('compute', 249)).toBe('127.0.30.250');
    expect(hostAddress('compute', 250)).toBe('127.0.31.1');
  });

  it('runs the oslo services on the right hosts, with control exchanges per service', () => {
    const on = (h: string) => plan.processes.filter((p) => p.host === h).map((p) => p.binary);
    expect(on('cmp-01')).toEqual(['nova-compute', 'neutron-openvswitch-agent']);
    expect(on('net-1')).toEqual(['neutron-dhcp-agent', 'neutron-l3-agent', 'neutron-openvswitch-agent']);
    expect(on('ctl-1')).toContain('cinder-volume');
    expect(on('ctl-1')).toContain('ceilometer-agent-notification');
    expect(on('ctl-2')).not.toContain('cinder-volume');
    const server = (binary: string, host: string) => plan.processes.find((p) => p.binary === binary && p.host === host)!.servers;
    expect(server('cinder-volume', 'ctl-1')).toEqual([{ topic: 'cinder-volume', server: 'ctl-1@lvm', exchange: 'openstack' }]);
    expect(server('nova-compute', 'cmp-02')).toEqual([{ topic: 'compute', server: 'cmp-02', exchange: 'nova' }]);
    expect(server('heat-engine', 'ctl-2').map((s) => `${s.topic}.${s.server}@${s.exchange}`)).toEqual([
      'engine.ctl-2@heat',
      `heat-engine-listener.${ENGINE_ID}@heat`,
      `engine_worker.${ENGINE_ID}@heat`,
    ]);
    expect(server('neutron-server', 'ctl-1').map((s) => s.topic)).toEqual(['q-plugin', 'q-reports-plugin']);
  });

  it('every queue the plan implies classifies to the planned service and topic', () => {
    for (const p of plan.processes) {
      for (const s of p.servers) {
        const server = s.server === ENGINE_ID ? '5a3c1e2f-8d4b-4c6a-9e7f-0b1a2c3d4e5f' : s.server;
        const svc = p.binary.split('-')[0];
        expect(classifyQueue(s.topic, 'classic')).toMatchObject({ kind: 'rpc_topic', topic: s.topic, service: svc });
        expect(classifyQueue(`${s.topic}.${server}`, 'classic')).toEqual({ kind: 'rpc_host', topic: s.topic, service: svc, host: server });
        expect(classifyQueue(`${s.topic}_fanout_${uniqueHex()}`, 'classic')).toMatchObject({ kind: 'fanout', topic: s.topic, service: svc });
      }
    }
  });
});

describe('sim faults', () => {
  it('parses known faults and rejects others', () => {
    expect(parseFault('compute-down:cmp-02')).toEqual({ kind: 'compute-down', host: 'cmp-02' });
    expect(parseFault('compute-unsubscribed:cmp-01.example.com')).toEqual({ kind: 'compute-unsubscribed', host: 'cmp-01.example.com' });
    for (const f of ['notifications-unconsumed', 'orphans', 'stuck-rpc-consumer', 'rpc-backlog', 'connection-flood']) {
      expect(parseFault(f)).toEqual({ kind: f, host: '' });
    }
    for (const f of ['compute-down', 'compute-down:', 'orphans:x', 'meteor', '']) expect(() => parseFault(f)).toThrow(/unknown fault/);
  });
});

describe('sim wire format', () => {
  it('connection_name is oslo-shaped and attributes to the binary', () => {
    const props = clientProperties('nova-compute', 4242);
    expect(props.product).toBe('py-amqp');
    const name = String(props.connection_name);
    expect(name).toMatch(/^nova-compute:4242:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(attributeConnection(name, '127.0.30.1', { '127.0.30.1': 'cmp-01' })).toEqual({
      service: 'nova',
      binary: 'nova-compute',
      pid: '4242',
      host: 'cmp-01',
    });
  });

  it('wraps messages in the oslo 2.0 envelope; calls carry _msg_id and _reply_q, casts do not', () => {
    const call = rpcRequest('select_destinations', { a: 1 }, { msgId: 'm1', replyQueue: 'reply_x', timeoutMs: 60_000 });
    const body = envelope(call);
    const outer = JSON.parse(body.toString()) as Record<string, unknown>;
    expect(outer['oslo.version']).toBe('2.0');
    expect(typeof outer['oslo.message']).toBe('string');
    expect(openEnvelope(body)).toMatchObject({ method: 'select_destinations', args: { a: 1 }, _msg_id: 'm1', _reply_q: 'reply_x', _timeout: 60 });
    const cast = rpcRequest('build_and_run_instance', {}, null);
    expect(cast).not.toHaveProperty('_msg_id');
    expect(cast).not.toHaveProperty('_reply_q');
    expect(openEnvelope(envelope(rpcReply('m1', [1])))).toMatchObject({ _msg_id: 'm1', result: [1], ending: true, failure: null });
    expect(openEnvelope(Buffer.from('not json'))).toBeNull();
    expect(uniqueHex()).toMatch(/^[0-9a-f]{32}$/);
  });
});
