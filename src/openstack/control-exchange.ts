// The control exchange each service's RPC goes through (oslo `[DEFAULT] control_exchange`):
// oslo's default is `openstack` (oslo_messaging/transport.py); services that call
// set_transport_defaults override it with their own name. cinder keeps `openstack`.

const OWN_EXCHANGE: ReadonlySet<string> = new Set(['nova', 'neutron', 'heat', 'octavia', 'glance', 'keystone']);

export const DEFAULT_CONTROL_EXCHANGE = 'openstack';

/** The control exchange of `service`, `overrides` (config `openstack.rpcPing.exchanges`) first. */
export function controlExchangeOf(service: string, overrides: Readonly<Record<string, string>> = {}): string {
  return overrides[service] ?? (OWN_EXCHANGE.has(service) ? service : DEFAULT_CONTROL_EXCHANGE);
}
