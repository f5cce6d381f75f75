// What oslo.messaging puts on the wire: message envelopes, ids, connection properties.
// Sources: oslo_messaging/_drivers/{common,amqpdriver,impl_rabbit}.py.

import { randomBytes, randomUUID } from 'node:crypto';

/** uuid4().hex: the random part of `reply_<hex>` and `<topic>_fanout_<hex>`. */
export function uniqueHex(): string {
  return randomBytes(16).toString('hex');
}

/** A plausible Linux pid. */
export function fakePid(): number {
  return 1000 + Math.floor(Math.random() * 98_000);
}

/** client_properties of an oslo connection (py-amqp), connection_name `<argv0>:<pid>:<uuid4>`. */
export function clientProperties(binary: string, pid: number): Record<string, unknown> {
  return {
    connection_name: `${binary}:${pid}:${randomUUID()}`,
    product: 'py-amqp',
    product_version: '5.3.1',
    version: '5.3.1',
    platform: 'Python 3.12.3',
    information: 'https://github.com/celery/py-amqp',
    capabilities: {
      authentication_failure_close: true,
      'connection.blocked': true,
      consumer_cancel_notify: true,
    },
  };
}

/** The oslo 2.0 envelope: the message is a JSON string inside a JSON object. */
export function envelope(message: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(message) }));
}

export function openEnvelope(body: Buffer): Record<string, unknown> | null {
  try {
    const outer = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const inner = outer['oslo.message'];
    return typeof inner === 'string' ? (JSON.parse(inner) as Record<string, unknown>) : outer;
  } catch {
    return null;
  }
}

/** A request context as nova/neutron serialise it (`_context_*` keys), trimmed. */
function context(): Record<string, unknown> {
  return {
    _context_request_id: `req-${randomUUID()}`,
    _context_user_id: 'b2c3d4e5f60718293a4b5c6d7e8f9012',
    _context_project_id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
    _context_is_admin: false,
    _context_roles: ['member', 'reader'],
  };
}

export function rpcRequest(
  method: string,
  args: Record<string, unknown>,
  call: { msgId: string; replyQueue: string; timeoutMs: number } | null,
): Record<string, unknown> {
  const m: Record<string, unknown> = {
    method,
    args,
    version: '6.0',
    _unique_id: uniqueHex(),
    ...context(),
  };
  if (call) {
    m._msg_id = call.msgId;
    m._reply_q = call.replyQueue;
    m._timeout = Math.round(call.timeoutMs / 1000);
  }
  return m;
}

export function rpcReply(msgId: string, result: unknown): Record<string, unknown> {
  return { result, failure: null, ending: true, _msg_id: msgId, _unique_id: uniqueHex() };
}

export function notification(publisherId: string, eventType: string, payload: Record<string, unknown>): Record<string, unknown> {
  return {
    message_id: randomUUID(),
    publisher_id: publisherId,
    event_type: eventType,
    priority: 'INFO',
    payload,
    timestamp: new Date().toISOString().replace('T', ' ').replace('Z', '000'),
    ...context(),
  };
}

/** Message properties oslo sets: JSON, transient. */
export const JSON_PROPS = { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 1 } as const;
