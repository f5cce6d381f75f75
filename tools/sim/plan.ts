// The simulated cloud as data: hosts, their loopback addresses, and the oslo processes on
// each (which RPC servers they run, whether they make calls, what they listen to).

export type HostRole = 'controller' | 'network' | 'compute';

export interface HostPlan {
  name: string;
  role: HostRole;
  /** Loopback address the host's connections come from (peer_host on the broker). */
  address: string;
}

/** Placeholder server name: heat's engine_id, a uuid4 drawn at each process start. */
export const ENGINE_ID = '$engine_id';

export interface ServerPlan {
  topic: string;
  /** CONF.host, `host@backend` for cinder-volume, or ENGINE_ID. */
  server: string;
  /** The service's control exchange. */
  exchange: string;
}

export interface ProcessPlan {
  host: string;
  binary: string;
  /** One oslo RPC server (own connection, three queues) per entry. */
  servers: ServerPlan[];
  /** Makes RPC calls, so holds a reply_<hex> queue on its own connection. */
  caller: boolean;
  /** A notification listener (Ceilometer): `<topic>.<priority>` bound on each exchange. */
  listener?: { topic: string; priority: string; exchanges: string[] };
}

export interface CloudPlan {
  hosts: HostPlan[];
  processes: ProcessPlan[];
}

/** Control exchanges (oslo's `control_exchange`): cinder keeps oslo's default `openstack`. */
export const EXCHANGE = { nova: 'nova', neutron: 'neutron', cinder: 'openstack', heat: 'heat' } as const;

/** The exchanges Ceilometer's notification agent binds `notifications.info` to (here: those the sim publishes on). */
export const NOTIFICATION_EXCHANGES = [EXCHANGE.nova, EXCHANGE.neutron, EXCHANGE.cinder, EXCHANGE.heat];

/**
 * Loopback addresses by role, so a host keeps its address when others are added:
 * controllers 127.0.10.x, network nodes 127.0.20.x, computes 127.0.30.x (then .31.x ...).
 */
export function hostAddress(role: HostRole, index: number): string {
  const base = role === 'controller' ? 10 : role === 'network' ? 20 : 30;
  return `127.0.${base + Math.floor(index / 250)}.${(index % 250) + 1}`;
}

export function defaultComputes(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `cmp-${String(i + 1).padStart(2, '0')}`);
}

export function planCloud(hosts: { controllers: string[]; networks: string[]; computes: string[] }): CloudPlan {
  const hostPlans: HostPlan[] = [
    ...hosts.controllers.map((name, i) => ({ name, role: 'controller' as const, address: hostAddress('controller', i) })),
    ...hosts.networks.map((name, i) => ({ name, role: 'network' as const, address: hostAddress('network', i) })),
    ...hosts.computes.map((name, i) => ({ name, role: 'compute' as const, address: hostAddress('compute', i) })),
  ];
  const processes: ProcessPlan[] = [];
  const add = (host: string, binary: string, servers: Array<[string, string, string]>, caller: boolean): void => {
    processes.push({ host, binary, caller, servers: servers.map(([topic, server, exchange]) => ({ topic, server, exchange })) });
  };

  hosts.controllers.forEach((h, i) => {
    add(h, 'nova-api', [], true);
    add(h, 'nova-conductor', [['conductor', h, EXCHANGE.nova]], true);
    add(h, 'nova-scheduler', [['scheduler', h, EXCHANGE.nova]], false);
    add(h, 'neutron-server', [['q-plugin', h, EXCHANGE.neutron], ['q-reports-plugin', h, EXCHANGE.neutron]], false);
    add(h, 'cinder-api', [], false);
    add(h, 'cinder-scheduler', [['cinder-scheduler', h, EXCHANGE.cinder]], false);
    // one volume backend, on the first controller: server `host@backend`
    if (i === 0) add(h, 'cinder-volume', [['cinder-volume', `${h}@lvm`, EXCHANGE.cinder]], false);
    add(h, 'heat-api', [], true);
    add(
      h,
      'heat-engine',
      [
        ['engine', h, EXCHANGE.heat],
        ['heat-engine-listener', ENGINE_ID, EXCHANGE.heat],
        ['engine_worker', ENGINE_ID, EXCHANGE.heat],
      ],
      true,
    );
    if (i === 0) {
      processes.push({
        host: h,
        binary: 'ceilometer-agent-notification',
        servers: [],
        caller: false,
        listener: { topic: 'notifications', priority: 'info', exchanges: NOTIFICATION_EXCHANGES },
      });
    }
  });
  for (const h of hosts.networks) {
    add(h, 'neutron-dhcp-agent', [['dhcp_agent', h, EXCHANGE.neutron]], true);
    add(h, 'neutron-l3-agent', [['l3_agent', h, EXCHANGE.neutron]], true);
    add(h, 'neutron-openvswitch-agent', [['q-agent-notifier-port-update', h, EXCHANGE.neutron]], true);
  }
  for (const h of hosts.computes) {
    add(h, 'nova-compute', [['compute', h, EXCHANGE.nova]], true);
    add(h, 'neutron-openvswitch-agent', [['q-agent-notifier-port-update', h, EXCHANGE.neutron]], true);
  }
  return { hosts: hostPlans, processes };
}
