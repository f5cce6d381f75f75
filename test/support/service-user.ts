// An AMQP URL for the OpenStack simulator with a user of its own, without tags: a healthy
// deployment does not run its services as an administrator (administrator-user-in-use).
import type { Broker } from '../harness/broker.js';

export async function serviceAmqpUrl(broker: Broker, user = 'openstack-services', password = 'svc-pw-4c1e'): Promise<string> {
  await broker.ctl('add_user', user, password);
  await broker.ctl('set_permissions', '-p', '/', user, '.*', '.*', '.*');
  const u = new URL(broker.amqpUrl);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}
