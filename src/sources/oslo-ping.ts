// oslo.messaging RPC ping: calls `oslo_rpc_server_ping` on `<topic>.<server>` the way an
// oslo RPCClient does over the rabbit driver, and times the answer. A server answers it
// when `[DEFAULT] rpc_ping_enabled = true` (oslo_messaging/rpc/dispatcher.py PingEndpoint
// returns 'pong'); without the option it answers with a NoSuchMethod or UnsupportedVersion
// failure, which still proves the process reads its queue.
//
// Wire format, from oslo.messaging 14.0.3:
// - request, amqpdriver.py AMQPDriverBase._send: the message of rpc/client.py
//   _make_message (`method`, `args`, `namespace`/`version` only when the target sets them)
//   plus `_msg_id` (uuid4 hex), `_reply_q`, `_timeout` (the call-monitor timeout, None
//   unless set), `_unique_id` (uuid4 hex, amqp.py _add_unique_id) and the context as
//   `_context_<key>` entries (amqp.py pack_context; an empty context adds none);
// - envelope, common.py serialize_msg: `{"oslo.version": "2.0", "oslo.message": <that
//   message as a JSON string>}`;
// - publish, impl_rabbit.py topic_send/_publish: to the topic exchange named by the
//   control exchange, routing key `<topic>.<server>`, JSON by kombu (content type
//   application/json, encoding utf-8, delivery mode 2), `expiration` = the call timeout in
//   ms, so an unread request expires when the caller stops waiting;
// - reply, amqpdriver.py AMQPIncomingMessage._send_reply: `{"result", "failure",
//   "ending", "_msg_id", "_unique_id"}` in the same envelope, to the default exchange with
//   the reply queue as routing key. `failure` is a JSON string (common.py
//   serialize_remote_exception: class, module, message, tb, args, kwargs). A reply with
//   `ending` false is a call-monitor heartbeat or, from old servers, the first of two
//   (ReplyWaiter.wait).
//
// The reply queue is warren's own: server-named, exclusive and auto-delete, so it dies with
// the connection. No exchange is declared (publishing to a missing one would create it):
// each exchange is checked passively first, and requests are published mandatory on a
// confirm channel, so "no such exchange" and "no queue for this server" are told apart
// from "no answer".

import { randomBytes } from 'node:crypto';
import { connect, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Message, type Options } from 'amqplib';
import { redactSecrets } from '../redact.js';

export const PING_METHOD = 'oslo_rpc_server_ping';
export const ENVELOPE_VERSION = '2.0';

/** One RPC server to ping: `<topic>.<server>` on `exchange` (the service's control exchange). */
export interface PingTarget {
  readonly exchange: string;
  readonly topic: string;
  readonly server: string;
}

export type PingOutcome =
  /** The server answered the ping. */
  | { readonly status: 'answered'; readonly latencyMs: number; readonly result: unknown }
  /**
   * The server answered with a failure. `notEnabled`: the failure says the server has no
   * ping endpoint (NoSuchMethod / UnsupportedVersion): alive, "ping not enabled".
   */
  | {
      readonly status: 'error';
      readonly latencyMs: number;
      readonly notEnabled: boolean;
      readonly errorClass: string;
      readonly message: string;
    }
  /** Sent, and no answer within the timeout. */
  | { readonly status: 'timeout'; readonly timeoutMs: number }
  /** Could not be sent: connection refused, no such exchange, no queue bound for the server. */
  | { readonly status: 'unsent'; readonly reason: string };

export type PingResult = { readonly target: PingTarget } & PingOutcome;

/** How to reach the broker: an amqp(s):// URL with credentials and vhost, and socket options (TLS). */
export interface PingConnection {
  readonly url: string;
  /** amqplib socket options: `ca`, `cert`, `key`, `servername`, `rejectUnauthorized`... */
  readonly socketOptions?: Readonly<Record<string, unknown>>;
}

export interface PingOptions {
  /** How long to wait for each answer (default 10 s, oslo's rpc_response_timeout is 60 s). */
  readonly timeoutMs?: number;
  /** Pings in flight at most (default 20). */
  readonly concurrency?: number;
  /** Connection set-up limit (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Shown to the broker as the connection's connection_name (default `warren-rpc-ping`). */
  readonly connectionName?: string;
  /** Milliseconds clock for latencies (default performance.now). */
  readonly now?: () => number;
  /** Called as each request is published, with the number then in flight (this one included). */
  readonly onSent?: (target: PingTarget, inFlight: number) => void;
}

// ---------------------------------------------------------------------------
// envelope

/** uuid4().hex, as oslo makes `_msg_id` and `_unique_id`. */
export function uuidHex(): string {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return b.toString('hex');
}

export interface RpcCall {
  readonly method: string;
  readonly args?: Readonly<Record<string, unknown>>;
  readonly namespace?: string;
  readonly version?: string;
  readonly msgId: string;
  readonly replyQueue: string;
  readonly uniqueId: string;
  /** `_timeout`: oslo's call_monitor_timeout in seconds, null when not set (the default). */
  readonly callMonitorTimeout?: number | null;
  /** Request context, sent as `_context_<key>`. */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** The inner message of an RPC call, keys in oslo's order (rpc/client.py, amqpdriver.py _send). */
export function rpcCallMessage(call: RpcCall): Record<string, unknown> {
  const msg: Record<string, unknown> = { method: call.method, args: { ...(call.args ?? {}) } };
  if (call.namespace !== undefined) msg.namespace = call.namespace;
  if (call.version !== undefined) msg.version = call.version;
  msg._msg_id = call.msgId;
  msg._reply_q = call.replyQueue;
  msg._timeout = call.callMonitorTimeout ?? null;
  msg._unique_id = call.uniqueId;
  for (const [k, v] of Object.entries(call.context ?? {})) msg[`_context_${k}`] = v;
  return msg;
}

/** Envelope 2.0 around a message (common.py serialize_msg), as the AMQP body. */
export function encodeEnvelope(message: Readonly<Record<string, unknown>>): Buffer {
  return Buffer.from(JSON.stringify({ 'oslo.version': ENVELOPE_VERSION, 'oslo.message': JSON.stringify(message) }), 'utf8');
}

/** Publish properties of an RPC call with this timeout (impl_rabbit.py _publish through kombu). */
export function callPublishOptions(timeoutMs: number): Options.Publish {
  return {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    headers: {},
    deliveryMode: 2,
    priority: 0,
    expiration: String(Math.max(0, Math.floor(timeoutMs))),
  };
}

/** oslo _utils.version_is_compatible: same major, requested minor not above the implemented one. */
function envelopeVersionCompatible(version: unknown): boolean {
  if (typeof version !== 'string') return false;
  const [major, minor] = version.split('.').map((p) => Number(p));
  const [impMajor, impMinor] = ENVELOPE_VERSION.split('.').map((p) => Number(p));
  return major === impMajor && (minor ?? 0) <= (impMinor ?? 0);
}

/**
 * The message inside an AMQP body (common.py deserialize_msg): the parsed `oslo.message` of a
 * 2.0 envelope; a JSON object without the envelope keys as it is (envelope 1.0). Throws on a
 * body that is not JSON or an envelope of an incompatible version.
 */
export function decodeEnvelope(body: Buffer | string): unknown {
  const outer: unknown = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  if (outer === null || typeof outer !== 'object' || Array.isArray(outer)) return outer;
  const o = outer as Record<string, unknown>;
  if (!('oslo.version' in o) || !('oslo.message' in o)) return outer;
  if (!envelopeVersionCompatible(o['oslo.version'])) throw new Error(`unsupported oslo envelope version ${String(o['oslo.version'])}`);
  const inner = o['oslo.message'];
  if (typeof inner !== 'string') throw new Error('oslo.message is not a JSON string');
  return JSON.parse(inner) as unknown;
}

export interface RemoteFailure {
  readonly errorClass: string;
  readonly module: string;
  readonly message: string;
}

export interface RpcReply {
  readonly msgId: string;
  readonly result: unknown;
  readonly failure: RemoteFailure | null;
  /** False for a call-monitor heartbeat (or the first half of an old server's two replies). */
  readonly ending: boolean;
}

/** The failures that mean "this server has no ping endpoint" (rpc/dispatcher.py). */
const NOT_ENABLED_CLASSES: ReadonlySet<string> = new Set(['NoSuchMethod', 'UnsupportedVersion']);

export function isPingNotEnabled(failure: RemoteFailure): boolean {
  return NOT_ENABLED_CLASSES.has(failure.errorClass);
}

function parseFailure(raw: unknown): RemoteFailure | null {
  if (raw === null || raw === undefined || raw === '') return null;
  let f: unknown = raw;
  if (typeof raw === 'string') {
    try {
      f = JSON.parse(raw);
    } catch {
      return { errorClass: 'RemoteError', module: '', message: raw };
    }
  }
  if (f === null || typeof f !== 'object') return { errorClass: 'RemoteError', module: '', message: String(f) };
  const o = f as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return { errorClass: str(o.class) || 'RemoteError', module: str(o.module), message: str(o.message) };
}

/** An RPC reply body, or null when it is not one (no `_msg_id`). */
export function decodeReply(body: Buffer | string): RpcReply | null {
  const m = decodeEnvelope(body);
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return null;
  const o = m as Record<string, unknown>;
  if (typeof o._msg_id !== 'string') return null;
  return { msgId: o._msg_id, result: o.result ?? null, failure: parseFailure(o.failure), ending: o.ending === true };
}

// ---------------------------------------------------------------------------
// pinging

interface Pending {
  readonly target: PingTarget;
  readonly sentAt: number;
  result: unknown;
  settle(outcome: PingOutcome): void;
}

/** The error's first line without the URL's userinfo or password. */
function describeError(e: unknown, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    /* not a URL: nothing to hide beyond what redactSecrets finds */
  }
  const text = redactSecrets(e instanceof Error ? e.message : String(e), [password]);
  return text.split('\n')[0] ?? text;
}

/** amqplib's connect, bounded: a listener that accepts but never speaks must not hang the probe. */
async function connectWithin(conn: PingConnection, name: string, timeoutMs: number): Promise<ChannelModel> {
  const socketOptions = { ...(conn.socketOptions ?? {}), timeout: timeoutMs, clientProperties: { connection_name: name } };
  let timer: NodeJS.Timeout | undefined;
  const attempt = connect(conn.url, socketOptions);
  try {
    return await Promise.race([
      attempt,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no AMQP connection within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    // A connection that completes after we gave up is closed at once.
    attempt.then((c) => c.close().catch(() => undefined), () => undefined);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** Which exchanges exist, each checked passively on its own channel (a 404 closes the channel). */
async function existingExchanges(model: ChannelModel, names: readonly string[]): Promise<Map<string, string | null>> {
  const found = new Map<string, string | null>();
  for (const name of names) {
    const ch = await model.createChannel();
    ch.on('error', () => undefined);
    try {
      await ch.checkExchange(name);
      found.set(name, null);
      await ch.close();
    } catch (e) {
      found.set(name, e instanceof Error ? e.message : String(e));
    }
  }
  return found;
}

/**
 * Ping each target once over one connection; results in the order of `targets`. Never
 * throws: a connection that cannot be made gives every target `unsent`.
 */
export async function pingRpcServers(
  conn: PingConnection,
  targets: readonly PingTarget[],
  opts: PingOptions = {},
): Promise<PingResult[]> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const concurrency = Math.max(1, opts.concurrency ?? 20);
  const now = opts.now ?? (() => performance.now());
  const results: PingResult[] = new Array<PingResult>(targets.length);
  if (targets.length === 0) return results;

  let model: ChannelModel;
  try {
    model = await connectWithin(conn, opts.connectionName ?? 'warren-rpc-ping', opts.connectTimeoutMs ?? 10_000);
  } catch (e) {
    const reason = `cannot connect: ${describeError(e, conn.url)}`;
    return targets.map((target) => ({ target, status: 'unsent', reason }));
  }
  let lost: string | null = null;
  const pending = new Map<string, Pending>();
  const failAll = (reason: string): void => {
    lost ??= reason;
    for (const p of [...pending.values()]) p.settle({ status: 'unsent', reason });
  };
  model.on('error', (e: unknown) => failAll(`connection lost: ${describeError(e, conn.url)}`));
  model.on('close', () => failAll('connection closed by the broker'));

  try {
    const exchanges = await existingExchanges(model, [...new Set(targets.map((t) => t.exchange))]);
    const ch: ConfirmChannel = await model.createConfirmChannel();
    ch.on('error', (e: unknown) => failAll(`channel closed: ${describeError(e, conn.url)}`));
    const { queue: replyQueue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });

    const onReply = (msg: ConsumeMessage | null): void => {
      if (!msg) return failAll('reply consumer cancelled by the broker');
      let reply: RpcReply | null;
      try {
        reply = decodeReply(msg.content);
      } catch {
        return;
      }
      const p = reply ? pending.get(reply.msgId) : undefined;
      if (!reply || !p) return;
      const latencyMs = now() - p.sentAt;
      if (reply.failure) {
        const f = reply.failure;
        return p.settle({ status: 'error', latencyMs, notEnabled: isPingNotEnabled(f), errorClass: f.errorClass, message: f.message });
      }
      if (reply.result !== null) p.result = reply.result;
      if (reply.ending) p.settle({ status: 'answered', latencyMs, result: p.result });
    };
    await ch.consume(replyQueue, onReply, { noAck: true, exclusive: true });

    // A mandatory request no queue takes comes back before its confirm (AMQP 0-9-1 basic.return).
    ch.on('return', (msg: Message) => {
      let id: unknown;
      try {
        id = (decodeEnvelope(msg.content) as Record<string, unknown>)._msg_id;
      } catch {
        return;
      }
      const p = typeof id === 'string' ? pending.get(id) : undefined;
      p?.settle({ status: 'unsent', reason: `no queue bound for ${msg.fields.routingKey} on exchange ${msg.fields.exchange} (${String((msg.fields as { replyText?: unknown }).replyText ?? 'unroutable')})` });
    });

    const pingOne = (index: number): Promise<void> =>
      new Promise<void>((done) => {
        const target = targets[index]!;
        const finish = (outcome: PingOutcome): void => {
          results[index] ??= { target, ...outcome } as PingResult;
          done();
        };
        const missing = exchanges.get(target.exchange);
        if (missing) return finish({ status: 'unsent', reason: `exchange ${target.exchange} not found: ${missing}` });
        if (lost) return finish({ status: 'unsent', reason: lost });
        const msgId = uuidHex();
        let timer: NodeJS.Timeout | undefined;
        const p: Pending = {
          target,
          sentAt: now(),
          result: null,
          settle(outcome) {
            if (!pending.delete(msgId)) return;
            clearTimeout(timer);
            finish(outcome);
          },
        };
        pending.set(msgId, p);
        timer = setTimeout(() => p.settle({ status: 'timeout', timeoutMs }), timeoutMs);
        const body = encodeEnvelope(
          rpcCallMessage({ method: PING_METHOD, msgId, replyQueue, uniqueId: uuidHex() }),
        );
        opts.onSent?.(target, pending.size);
        try {
          ch.publish(target.exchange, `${target.topic}.${target.server}`, body, { ...callPublishOptions(timeoutMs), mandatory: true }, (err) => {
            if (err) p.settle({ status: 'unsent', reason: `broker refused the request: ${describeError(err, conn.url)}` });
          });
        } catch (e) {
          p.settle({ status: 'unsent', reason: describeError(e, conn.url) });
        }
      });

    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < targets.length) await pingOne(next++);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  } catch (e) {
    failAll(describeError(e, conn.url));
    for (let i = 0; i < targets.length; i++) {
      results[i] ??= { target: targets[i]!, status: 'unsent', reason: lost ?? describeError(e, conn.url) };
    }
  } finally {
    await model.close().catch(() => undefined);
  }
  return results;
}
