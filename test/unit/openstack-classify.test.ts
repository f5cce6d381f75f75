import { describe, expect, it } from 'vitest';
import { attributeConnection, classifyQueue, parseQueueManagerName } from '../../src/openstack/classify.js';
import { buildTopicTable, DEFAULT_TOPIC_TABLE, serviceOfBinary, RPC_TOPICS } from '../../src/openstack/topics.js';
import type { QueueRole } from '../../src/snapshot/types.js';

const HEX = '9f1c2b3a4d5e6f708192a3b4c5d6e7f8';
const HEX2 = '0123456789abcdef0123456789abcdef';

function q(name: string, type = 'classic'): QueueRole {
  return classifyQueue(name, type, DEFAULT_TOPIC_TABLE);
}
function r(service: string, kind: QueueRole['kind'], topic: string, host: string): QueueRole {
  return { service, kind, topic, host };
}

describe('classifyQueue: shared RPC topic queues (<topic>)', () => {
  it.each([
    ['compute', 'nova'],
    ['compute-alt', 'nova'],
    ['conductor', 'nova'],
    ['scheduler', 'nova'],
    ['consoleauth', 'nova'],
    ['cert', 'nova'],
    ['console', 'nova'],
    ['q-plugin', 'neutron'],
    ['q-reports-plugin', 'neutron'],
    ['q-server-resource-versions', 'neutron'],
    ['q-l3-plugin', 'neutron'],
    ['q-metering-plugin', 'neutron'],
    ['dhcp_agent', 'neutron'],
    ['l3_agent', 'neutron'],
    ['metering_agent', 'neutron'],
    ['cinder-scheduler', 'cinder'],
    ['cinder-volume', 'cinder'],
    ['cinder-backup', 'cinder'],
    ['engine', 'heat'],
    ['heat-engine-listener', 'heat'],
    ['engine_worker', 'heat'],
    ['octavia_provisioning_v2', 'octavia'],
    ['octavia_prov', 'octavia'],
    ['ironic.conductor_manager', 'ironic'],
    ['manila-scheduler', 'manila'],
    ['manila-share', 'manila'],
    ['manila-data', 'manila'],
    ['central', 'designate'],
    ['worker', 'designate'],
    ['producer', 'designate'],
    ['magnum-conductor', 'magnum'],
    ['trove-taskmanager', 'trove'],
    ['trove-conductor', 'trove'],
    ['senlin-engine', 'senlin'],
  ])('%s -> %s rpc_topic', (name, service) => {
    expect(q(name)).toEqual(r(service, 'rpc_topic', name, ''));
  });

  it('quorum-typed topic queues classify the same', () => {
    expect(q('conductor', 'quorum')).toEqual(r('nova', 'rpc_topic', 'conductor', ''));
  });
});

describe('classifyQueue: per-host RPC queues (<topic>.<server>)', () => {
  it.each([
    ['compute.cmp-01', r('nova', 'rpc_host', 'compute', 'cmp-01')],
    ['compute-alt.cmp-01', r('nova', 'rpc_host', 'compute-alt', 'cmp-01')],
    // FQDN server: the topic is the longest known prefix, not the part before the last dot
    ['compute.cmp-01.dc1.example.com', r('nova', 'rpc_host', 'compute', 'cmp-01.dc1.example.com')],
    ['conductor.ctl-1', r('nova', 'rpc_host', 'conductor', 'ctl-1')],
    ['scheduler.ctl-2.example.org', r('nova', 'rpc_host', 'scheduler', 'ctl-2.example.org')],
    // dotted topic: splitting at the first dot would give topic `ironic`
    [
      'ironic.conductor_manager.cond-1.example.org',
      r('ironic', 'rpc_host', 'ironic.conductor_manager', 'cond-1.example.org'),
    ],
    ['ironic.conductor_manager.cond-1', r('ironic', 'rpc_host', 'ironic.conductor_manager', 'cond-1')],
    ['cinder-volume.ctl-1@lvm', r('cinder', 'rpc_host', 'cinder-volume', 'ctl-1@lvm')],
    ['cinder-volume.stor-1.example.com@ceph', r('cinder', 'rpc_host', 'cinder-volume', 'stor-1.example.com@ceph')],
    ['cinder-volume.mycluster', r('cinder', 'rpc_host', 'cinder-volume', 'mycluster')],
    ['cinder-scheduler.ctl-1', r('cinder', 'rpc_host', 'cinder-scheduler', 'ctl-1')],
    ['cinder-backup.ctl-1', r('cinder', 'rpc_host', 'cinder-backup', 'ctl-1')],
    ['dhcp_agent.net-1', r('neutron', 'rpc_host', 'dhcp_agent', 'net-1')],
    ['l3_agent.net-1.example.com', r('neutron', 'rpc_host', 'l3_agent', 'net-1.example.com')],
    ['metering_agent.net-1', r('neutron', 'rpc_host', 'metering_agent', 'net-1')],
    ['q-plugin.ctl-1', r('neutron', 'rpc_host', 'q-plugin', 'ctl-1')],
    ['q-reports-plugin.ctl-1', r('neutron', 'rpc_host', 'q-reports-plugin', 'ctl-1')],
    ['q-l3-plugin.ctl-2', r('neutron', 'rpc_host', 'q-l3-plugin', 'ctl-2')],
    ['engine.ctl-1', r('heat', 'rpc_host', 'engine', 'ctl-1')],
    ['octavia_provisioning_v2.ctl-1', r('octavia', 'rpc_host', 'octavia_provisioning_v2', 'ctl-1')],
    ['manila-share.ctl-1@generic', r('manila', 'rpc_host', 'manila-share', 'ctl-1@generic')],
    ['magnum-conductor.ctl-1', r('magnum', 'rpc_host', 'magnum-conductor', 'ctl-1')],
    ['senlin-engine.ctl-1', r('senlin', 'rpc_host', 'senlin-engine', 'ctl-1')],
    ['central.ctl-1', r('designate', 'rpc_host', 'central', 'ctl-1')],
    // a host whose last label is a notification priority is still a host
    ['compute.cmp-01.example.info', r('nova', 'rpc_host', 'compute', 'cmp-01.example.info')],
  ])('%s', (name, want) => {
    expect(q(name)).toEqual(want);
  });

  it('heat per-process queues: server part is the engine_id (documented: not a host name)', () => {
    const id = '5a3c1e2f-8d4b-4c6a-9e7f-0b1a2c3d4e5f';
    expect(q(`heat-engine-listener.${id}`)).toEqual(r('heat', 'rpc_host', 'heat-engine-listener', id));
    expect(q(`engine_worker.${id}`)).toEqual(r('heat', 'rpc_host', 'engine_worker', id));
    // `engine_worker` must not be read as topic `engine` + something
    expect(q(`engine_worker.${id}`).topic).toBe('engine_worker');
  });
});

describe('classifyQueue: neutron topic families', () => {
  it.each([
    'q-agent-notifier-port-update',
    'q-agent-notifier-port-delete',
    'q-agent-notifier-network-update',
    'q-agent-notifier-network-delete',
    'q-agent-notifier-security_group-update',
    'q-agent-notifier-tunnel-update',
    'q-agent-notifier-tunnel-delete',
    'q-agent-notifier-dvr-update',
    'q-agent-notifier-l2population-update',
    'q-agent-notifier-port_binding-activate',
    'q-agent-notifier-port_binding-deactivate',
  ])('%s: topic, per-host and fanout', (topic) => {
    expect(q(topic)).toEqual(r('neutron', 'rpc_topic', topic, ''));
    expect(q(`${topic}.cmp-01`)).toEqual(r('neutron', 'rpc_host', topic, 'cmp-01'));
    expect(q(`${topic}.cmp-01.dc1.example.com`)).toEqual(r('neutron', 'rpc_host', topic, 'cmp-01.dc1.example.com'));
    expect(q(`${topic}_fanout_${HEX}`)).toEqual(r('neutron', 'fanout', topic, ''));
  });

  it('node topics `<t>.<host>` served with server <host> report the host once', () => {
    const t = 'q-agent-notifier-l2population-update';
    expect(q(`${t}.cmp-01.cmp-01`)).toEqual(r('neutron', 'rpc_host', t, 'cmp-01'));
    expect(q(`${t}.cmp-01_fanout_${HEX}`)).toEqual(r('neutron', 'fanout', t, 'cmp-01'));
  });

  it.each([
    ['neutron-vo-Port-1.4', 'neutron-vo-Port-1.4'],
    ['neutron-vo-SecurityGroupRule-1.2', 'neutron-vo-SecurityGroupRule-1.2'],
    ['neutron-vo-SubPort-1.0', 'neutron-vo-SubPort-1.0'],
  ])('%s: the version dot belongs to the topic', (name, topic) => {
    expect(q(name)).toEqual(r('neutron', 'rpc_topic', topic, ''));
    expect(q(`${name}.net-1`)).toEqual(r('neutron', 'rpc_host', topic, 'net-1'));
    expect(q(`${name}.cmp-01.dc1.example.com`)).toEqual(r('neutron', 'rpc_host', topic, 'cmp-01.dc1.example.com'));
    expect(q(`${name}_fanout_${HEX}`)).toEqual(r('neutron', 'fanout', topic, ''));
  });
});

describe('classifyQueue: fanout queues', () => {
  it.each([
    [`compute_fanout_${HEX}`, r('nova', 'fanout', 'compute', '')],
    [`scheduler_fanout_${HEX2}`, r('nova', 'fanout', 'scheduler', '')],
    [`conductor_fanout_${HEX}`, r('nova', 'fanout', 'conductor', '')],
    [`q-plugin_fanout_${HEX}`, r('neutron', 'fanout', 'q-plugin', '')],
    [`q-server-resource-versions_fanout_${HEX}`, r('neutron', 'fanout', 'q-server-resource-versions', '')],
    [`dhcp_agent_fanout_${HEX}`, r('neutron', 'fanout', 'dhcp_agent', '')],
    [`l3_agent_fanout_${HEX}`, r('neutron', 'fanout', 'l3_agent', '')],
    [`cinder-scheduler_fanout_${HEX}`, r('cinder', 'fanout', 'cinder-scheduler', '')],
    [`cinder-volume_fanout_${HEX}`, r('cinder', 'fanout', 'cinder-volume', '')],
    [`engine_fanout_${HEX}`, r('heat', 'fanout', 'engine', '')],
    [`heat-engine-listener_fanout_${HEX}`, r('heat', 'fanout', 'heat-engine-listener', '')],
    [`engine_worker_fanout_${HEX}`, r('heat', 'fanout', 'engine_worker', '')],
    [`octavia_provisioning_v2_fanout_${HEX}`, r('octavia', 'fanout', 'octavia_provisioning_v2', '')],
    [`ironic.conductor_manager_fanout_${HEX}`, r('ironic', 'fanout', 'ironic.conductor_manager', '')],
    // unknown topic: still a fanout queue by its shape
    [`mytopic_fanout_${HEX}`, r('', 'fanout', 'mytopic', '')],
  ])('%s', (name, want) => {
    expect(q(name)).toEqual(want);
  });

  it('queue-manager names (use_queue_manager) give host and, via the process, the service', () => {
    expect(q('compute_fanout_cmp-01:nova-compute:1')).toEqual(r('nova', 'fanout', 'compute', 'cmp-01'));
    expect(q('compute_fanout_cmp-01.dc1.example.com:nova-compute:12')).toEqual(
      r('nova', 'fanout', 'compute', 'cmp-01.dc1.example.com'),
    );
    expect(q('mytopic_fanout_h1:octavia-worker:3')).toEqual(r('octavia', 'fanout', 'mytopic', 'h1'));
  });

  it('stream fanout: `<topic>_fanout` is a fanout only when it is a stream', () => {
    expect(q('compute_fanout', 'stream')).toEqual(r('nova', 'fanout', 'compute', ''));
    expect(q('q-agent-notifier-port-update_fanout', 'stream')).toEqual(
      r('neutron', 'fanout', 'q-agent-notifier-port-update', ''),
    );
    expect(q('compute_fanout', 'classic')).toEqual(r('', 'other', '', ''));
    // the memo must not leak the stream answer to the classic one or back
    expect(q('compute_fanout', 'stream').kind).toBe('fanout');
  });

  it('a suffix that is neither 32 hex nor host:proc:n is not a fanout', () => {
    expect(q('compute_fanout_xyz').kind).toBe('other');
    expect(q(`compute_fanout_${HEX.toUpperCase()}`).kind).toBe('other');
    expect(q(`compute_fanout_${HEX}0`).kind).toBe('other');
  });
});

describe('classifyQueue: reply queues', () => {
  it('random reply_<32hex>', () => {
    expect(q(`reply_${HEX}`)).toEqual(r('', 'reply', '', ''));
  });
  it('queue-manager reply_<host>:<proc>:<n> reads host and service', () => {
    expect(q('reply_ctl-1:nova-api:3')).toEqual(r('nova', 'reply', '', 'ctl-1'));
    expect(q('reply_ctl-1.example.org:neutron-server:0')).toEqual(r('neutron', 'reply', '', 'ctl-1.example.org'));
    expect(q('reply_ctl-1:uwsgi:2')).toEqual(r('', 'reply', '', 'ctl-1'));
  });
  it('reply queues classify as reply even with quorum type', () => {
    expect(q(`reply_${HEX}`, 'quorum').kind).toBe('reply');
  });
});

describe('classifyQueue: notification queues', () => {
  it.each(['audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample'])('notifications.%s', (p) => {
    expect(q(`notifications.${p}`)).toEqual(r('ceilometer', 'notification', 'notifications', ''));
  });
  it.each([
    ['versioned_notifications.info', r('nova', 'notification', 'versioned_notifications', '')],
    ['versioned_notifications.error', r('nova', 'notification', 'versioned_notifications', '')],
    ['notifications_designate.info', r('designate', 'notification', 'notifications_designate', '')],
    ['ironic_versioned_notifications.info', r('ironic', 'notification', 'ironic_versioned_notifications', '')],
    // unknown notification topic: a notification queue of no known service
    ['watcher_notifications.info', r('', 'notification', 'watcher_notifications', '')],
  ])('%s', (name, want) => {
    expect(q(name)).toEqual(want);
  });
  it('an unknown priority is not a notification', () => {
    expect(q('notifications.verbose')).toEqual(r('', 'other', '', ''));
    expect(q('notifications.INFO').kind).toBe('other');
  });
});

describe('classifyQueue: other', () => {
  it.each([
    'amq.gen-JzTY20BRgKO-HjmUJj0wLg',
    'amq.rabbitmq.reply-to',
    'my-app-queue',
    'celery',
    'ironic',
    'computer',
    'compute_',
    'conductor_fanout',
    '',
    'reply_',
    'notifications',
  ])('%j -> other, service ""', (name) => {
    expect(q(name)).toEqual(r('', 'other', '', ''));
  });
});

describe('buildTopicTable: config extends and overrides', () => {
  it('adds topics, including dotted ones matched by longest prefix', () => {
    const t = buildTopicTable([
      { topic: 'watcher.decision.control', service: 'watcher' },
      { topic: 'masakari-engine', service: 'masakari' },
    ]);
    expect(classifyQueue('watcher.decision.control.ctl-1', 'classic', t)).toEqual(
      r('watcher', 'rpc_host', 'watcher.decision.control', 'ctl-1'),
    );
    expect(classifyQueue('masakari-engine', 'classic', t)).toEqual(r('masakari', 'rpc_topic', 'masakari-engine', ''));
    // the default table does not know them
    expect(q('masakari-engine').kind).toBe('other');
    expect(q('watcher.decision.control.ctl-1').kind).toBe('other');
  });
  it('a longer configured topic wins over a built-in prefix', () => {
    const t = buildTopicTable([{ topic: 'compute.special', service: 'custom' }]);
    expect(classifyQueue('compute.special.h1', 'classic', t)).toEqual(r('custom', 'rpc_host', 'compute.special', 'h1'));
    expect(classifyQueue('compute.h1', 'classic', t)).toEqual(r('nova', 'rpc_host', 'compute', 'h1'));
  });
  it('overrides the service of built-in RPC and notification topics', () => {
    const t = buildTopicTable([
      { topic: 'engine', service: 'myheat' },
      { topic: 'notifications', service: 'telemetry' },
    ]);
    expect(classifyQueue('engine.ctl-1', 'classic', t).service).toBe('myheat');
    expect(classifyQueue('notifications.info', 'classic', t)).toEqual(
      r('telemetry', 'notification', 'notifications', ''),
    );
  });
  it('every built-in topic is unique', () => {
    const names = RPC_TOPICS.map((t) => t.topic);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('classifyQueue: speed', () => {
  // How fast is `npm run bench`'s business; here: right at 50k names, and a later poll's
  // classification of the same names is a memo hit (the very same role object).
  it('classifies 50k distinct names, and a second pass is answered from the memo', () => {
    const names: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      const h = i.toString(16).padStart(32, '0');
      names.push(i % 3 === 0 ? `reply_${h}` : i % 3 === 1 ? `compute.cmp-${i}.dc1.example.com` : `x${i}`);
    }
    const t = buildTopicTable();
    const first = names.map((n) => classifyQueue(n, 'classic', t));
    const kinds = new Map<string, number>();
    for (const r of first) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
    expect(Object.fromEntries(kinds)).toEqual({ reply: 16_667, rpc_host: 16_667, other: 16_666 });
    expect(first[1]).toMatchObject({ service: 'nova', kind: 'rpc_host', topic: 'compute', host: 'cmp-1.dc1.example.com' });
    const second = names.map((n) => classifyQueue(n, 'classic', t));
    expect(second.every((r, i) => r === first[i])).toBe(true);
  });
});

describe('parseQueueManagerName', () => {
  it('parses host:proc:n and rejects other shapes', () => {
    expect(parseQueueManagerName('cmp-01:nova-compute:1')).toEqual({ host: 'cmp-01', process: 'nova-compute', n: 1 });
    expect(parseQueueManagerName('cmp-01:nova-compute')).toBeNull();
    expect(parseQueueManagerName('cmp-01:nova-compute:x')).toBeNull();
    expect(parseQueueManagerName('a:b:c:1')).toBeNull();
    expect(parseQueueManagerName(':p:1')).toBeNull();
  });
});

describe('serviceOfBinary', () => {
  it.each([
    ['nova-compute', 'nova'],
    ['nova-conductor', 'nova'],
    ['nova-api-metadata', 'nova'],
    ['neutron-openvswitch-agent', 'neutron'],
    ['neutron-server', 'neutron'],
    ['neutron-ovn-metadata-agent', 'neutron'],
    ['cinder-volume', 'cinder'],
    ['heat-engine', 'heat'],
    ['octavia-worker', 'octavia'],
    ['ironic-conductor', 'ironic'],
    ['ceilometer-agent-notification', 'ceilometer'],
    ['designate-sink', 'designate'],
    ['magnum-conductor', 'magnum'],
    ['glance-api', 'glance'],
    ['nova', 'nova'],
    ['uwsgi', ''],
    ['httpd', ''],
    ['apache2', ''],
    ['python3', ''],
    ['novaclient', ''],
    ['', ''],
  ])('%s -> %j', (bin, svc) => {
    expect(serviceOfBinary(bin)).toBe(svc);
  });
});

describe('attributeConnection', () => {
  const uuid = '3f2a9c1e-7b4d-4e8f-a1b2-c3d4e5f60718';
  const hosts = { '10.0.0.21': 'cmp-01', '10.0.0.11': 'ctl-1' };

  it('reads binary, pid and service from the oslo connection_name; host from the map', () => {
    expect(attributeConnection(`nova-compute:12345:${uuid}`, '10.0.0.21', hosts)).toEqual({
      service: 'nova',
      binary: 'nova-compute',
      pid: '12345',
      host: 'cmp-01',
    });
    expect(attributeConnection(`neutron-openvswitch-agent:871:${uuid}`, '10.0.0.21', hosts)).toEqual({
      service: 'neutron',
      binary: 'neutron-openvswitch-agent',
      pid: '871',
      host: 'cmp-01',
    });
  });
  it('falls back to the peer address when the host is not mapped', () => {
    expect(attributeConnection(`cinder-volume:42:${uuid}`, '10.0.0.99', hosts)).toEqual({
      service: 'cinder',
      binary: 'cinder-volume',
      pid: '42',
      host: '10.0.0.99',
    });
  });
  it('maps an IPv4-mapped IPv6 peer address', () => {
    expect(attributeConnection(`heat-engine:7:${uuid}`, '::ffff:10.0.0.11', hosts).host).toBe('ctl-1');
  });
  it('a WSGI-hosted API has a binary but no service', () => {
    expect(attributeConnection(`uwsgi:3001:${uuid}`, '10.0.0.11', hosts)).toEqual({
      service: '',
      binary: 'uwsgi',
      pid: '3001',
      host: 'ctl-1',
    });
  });
  it('a uuid without dashes is accepted; an argv0 with a colon is kept whole', () => {
    expect(attributeConnection('octavia-worker:99:3f2a9c1e7b4d4e8fa1b2c3d4e5f60718', '10.0.0.11', hosts).binary).toBe(
      'octavia-worker',
    );
    expect(attributeConnection(`odd:name:5:${uuid}`, '10.0.0.11', hosts)).toMatchObject({ binary: 'odd:name', pid: '5' });
  });
  it('non-oslo names give no binary, pid or service', () => {
    for (const n of ['', 'warren-probe', '10.0.0.21:5555 -> 10.0.0.1:5672', `nova-compute:abc:${uuid}`, 'nova-compute:12:']) {
      expect(attributeConnection(n, '10.0.0.21', hosts)).toEqual({ service: '', binary: '', pid: '', host: 'cmp-01' });
    }
  });
});
