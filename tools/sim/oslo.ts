// One simulated oslo.messaging process on the wire: its connections (one channel each),
// RPC servers (three queues per topic, ack on receipt), reply queue, send connection and
// notification listener. Behaviour follows oslo.messaging's
// oslo_messaging/_drivers/impl_rabbit.py and amqpdriver.py.

import { connect, type Channel, type ChannelModel, type ConsumeMessage, type Options } from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { ProcessPlan, ServerPlan } from './plan.js';
import { ENGINE_ID } from './plan.js';
import { JSON_PROPS, clientProperties, envelope, fakePid, openEnvelope, rpcReply, rpcRequest, uniqueHex } from './wire.js';

/** oslo's rabbit_transient_queues_ttl (1800 s) as x-expires, for reply_ and fanout queues. */
export const TRANSIENT_QUEUE_TTL_MS = 1_800_000;

export interface SimStats {
  calls: number;
  replies: number;
  callTimeouts: number;
  casts: number;
  fanoutCasts: number;
  notifications: number;
  /** Messages received by RPC servers and acked. */
  rpcReceived: number;
  notificationsConsumed: number;
  /** Deliveries a stuck consumer is sitting on (never acked). */
  heldUnacked: number;
  restarts: number;
  errors: number;
}

export function emptyStats(): SimStats {
  return {
    calls: 0,
    replies: 0,
    callTimeouts: 0,
    casts: 0,
    fanoutCasts: 0,
    notifications: 0,
    rpcReceived: 0,
    notificationsConsumed: 0,
    heldUnacked: 0,
    restarts: 0,
    errors: 0,
  };
}

/** Shared by every process of one simulation. */
export interface SimContext {
  target: Options.Connect;
  /** Bind each host's connections to its loopback address. */
  bindAddresses: boolean;
  callTimeoutMs: number;
  stats: SimStats;
  /** Everything ever declared, so cleanup() can delete it. */
  declaredQueues: Set<string>;
  declaredExchanges: Set<string>;
  log: (line: string) => void;
  /** Server-side behaviour: what a process does with an RPC message. */
  dispatch: (proc: OsloProcess, server: RpcServer, method: string, args: Record<string, unknown>) => Promise<unknown>;
  /** Called when a process lost a connection it did not close (broker restart, ack timeout). */
  onBroken: (proc: OsloProcess, err: unknown) => void;
  stopping: boolean;
}

export interface RpcServer {
  plan: ServerPlan;
  /** The resolved server part (host, host@backend, or the engine id). */
  server: string;
  exchange: string;
  topicQueue: string;
  hostQueue: string;
  fanoutQueue: string;
  channel: Channel | null;
  /** queue -> consumer tag, for the queues being consumed. */
  consumers: Map<string, string>;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export type ProcessState = 'new' | 'starting' | 'running' | 'broken' | 'stopped';

/** A running oslo process. Identity (pid, engine id, queue names) survives reconnects. */
export class OsloProcess {
  readonly plan: ProcessPlan;
  readonly pid: number;
  readonly address: string | undefined;
  readonly engineId: string;
  readonly replyQueue: string;
  readonly servers: RpcServer[];
  state: ProcessState = 'new';
  /** Topic queues whose deliveries this process stops acking (stuck-rpc-consumer). */
  readonly stuckQueues = new Set<string>();
  /** Queues this process has stopped consuming (rpc-backlog, lost subscription). */
  readonly pausedQueues = new Set<string>();

  private readonly ctx: SimContext;
  private connections: ChannelModel[] = [];
  private closingOnPurpose = false;
  private replyChannel: Channel | null = null;
  private pending = new Map<string, Pending>();
  private sendConn: ChannelModel | null = null;
  private sendChannel: Promise<Channel> | null = null;
  private sendDeclared = new Set<string>();
  private listenerChannel: Channel | null = null;
  private held: Array<{ queue: string; ch: Channel; msg: ConsumeMessage }> = [];
  /** client connection_name of every open connection. */
  connectionNames: string[] = [];

  constructor(ctx: SimContext, plan: ProcessPlan, address: string | undefined) {
    this.ctx = ctx;
    this.plan = plan;
    this.address = address;
    this.pid = fakePid();
    this.engineId = randomUUID();
    this.replyQueue = `reply_${uniqueHex()}`;
    this.servers = plan.servers.map((s) => {
      const server = s.server === ENGINE_ID ? this.engineId : s.server;
      return {
        plan: s,
        server,
        exchange: s.exchange,
        topicQueue: s.topic,
        hostQueue: `${s.topic}.${server}`,
        fanoutQueue: `${s.topic}_fanout_${uniqueHex()}`,
        channel: null,
        consumers: new Map(),
      };
    });
  }

  get id(): string {
    return `${this.plan.binary}@${this.plan.host}`;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** The per-process queues oslo deletes on a clean shutdown (reply_ and fanout). */
  get perProcessQueues(): string[] {
    return [...this.servers.map((s) => s.fanoutQueue), ...(this.plan.caller ? [this.replyQueue] : [])];
  }

  /**
   * A connection with this process's identity (connection_name `<argv0>:<pid>:<uuid>`, its
   * host's address). Losing a non-expendable one breaks the process (it is then restarted);
   * expendable ones (the send pool, flood connections) are simply forgotten.
   */
  async openConnection(expendable = false): Promise<ChannelModel> {
    const props = clientProperties(this.plan.binary, this.pid);
    const conn = await connect(this.ctx.target, {
      clientProperties: props,
      ...(this.ctx.bindAddresses && this.address ? { localAddress: this.address } : {}),
    });
    this.connections.push(conn);
    this.connectionNames.push(String(props.connection_name));
    conn.on('error', (err: Error) => this.ctx.log(`${this.id}: connection error: ${err.message}`));
    conn.on('close', (err?: Error) => {
      this.connections = this.connections.filter((c) => c !== conn);
      this.connectionNames = this.connectionNames.filter((n) => n !== props.connection_name);
      if (conn === this.sendConn) {
        // The send connection is a pool member: the next publish opens another.
        this.sendConn = null;
        this.sendChannel = null;
        this.sendDeclared.clear();
      }
      if (!expendable && !this.closingOnPurpose && !this.ctx.stopping && this.state === 'running') {
        this.ctx.onBroken(this, err ?? new Error('connection closed'));
      }
    });
    return conn;
  }

  private async channelOn(conn: ChannelModel): Promise<Channel> {
    const ch = await conn.createChannel();
    ch.on('error', (err: Error) => {
      this.ctx.stats.errors++;
      this.ctx.log(`${this.id}: channel error: ${err.message}`);
    });
    return ch;
  }

  async start(): Promise<void> {
    this.state = 'starting';
    this.closingOnPurpose = false;
    try {
      for (const s of this.servers) await this.startServer(s);
      if (this.plan.caller) await this.startReplyListener();
      if (this.plan.listener) await this.startNotificationListener();
      this.state = 'running';
    } catch (e) {
      this.state = 'broken';
      await this.closeAll();
      throw e;
    }
  }

  // One connection per RPC server; declares what oslo's listen() declares.
  private async startServer(s: RpcServer): Promise<void> {
    const ch = await this.channelOn(await this.openConnection());
    s.channel = ch;
    s.consumers.clear();
    await ch.assertExchange(s.exchange, 'topic', { durable: false, autoDelete: false });
    this.ctx.declaredExchanges.add(s.exchange);
    for (const [queue, rk] of [
      [s.topicQueue, s.plan.topic],
      [s.hostQueue, `${s.plan.topic}.${s.server}`],
    ] as const) {
      await ch.assertQueue(queue, { durable: false, autoDelete: false });
      await ch.bindQueue(queue, s.exchange, rk);
      this.ctx.declaredQueues.add(queue);
    }
    const fanoutExchange = `${s.plan.topic}_fanout`;
    await ch.assertExchange(fanoutExchange, 'fanout', { durable: false, autoDelete: true });
    this.ctx.declaredExchanges.add(fanoutExchange);
    await ch.assertQueue(s.fanoutQueue, {
      durable: false,
      autoDelete: false,
      arguments: { 'x-expires': TRANSIENT_QUEUE_TTL_MS },
    });
    await ch.bindQueue(s.fanoutQueue, fanoutExchange, s.plan.topic);
    this.ctx.declaredQueues.add(s.fanoutQueue);
    for (const q of [s.topicQueue, s.hostQueue, s.fanoutQueue]) {
      if (!this.pausedQueues.has(q)) await this.consume(s, q);
    }
  }

  private async consume(s: RpcServer, queue: string): Promise<void> {
    const ch = s.channel;
    if (!ch || s.consumers.has(queue)) return;
    const { consumerTag } = await ch.consume(queue, (msg) => this.onRpcMessage(s, ch, queue, msg), { noAck: false });
    s.consumers.set(queue, consumerTag);
  }

  private onRpcMessage(s: RpcServer, ch: Channel, queue: string, msg: ConsumeMessage | null): void {
    if (!msg) {
      // The queue went away under the consumer (deleted; or our own clean stop deleting it).
      if (this.running) this.ctx.log(`${this.id}: consumer on ${queue} cancelled by the broker`);
      s.consumers.delete(queue);
      return;
    }
    if (this.stuckQueues.has(queue)) {
      // A stuck consumer loop: the delivery stays unacked (no prefetch limit, so more keep coming).
      this.held.push({ queue, ch, msg });
      this.ctx.stats.heldUnacked++;
      return;
    }
    // oslo acks on receipt, before dispatch (rpc/server.py _process_incoming).
    try {
      ch.ack(msg);
    } catch {
      return; // channel closed under us; the broker requeues
    }
    this.ctx.stats.rpcReceived++;
    const m = openEnvelope(msg.content);
    if (!m) return;
    const method = typeof m.method === 'string' ? m.method : '';
    const args = (m.args as Record<string, unknown> | undefined) ?? {};
    this.ctx
      .dispatch(this, s, method, args)
      .then(async (result) => {
        const msgId = m._msg_id;
        const replyQ = m._reply_q;
        if (typeof msgId === 'string' && typeof replyQ === 'string') {
          await this.publish('', replyQ, envelope(rpcReply(msgId, result ?? null)), { mandatory: true });
        }
      })
      .catch((e: unknown) => this.fail(`dispatch ${method}`, e));
  }

  /** Stop consuming `queue` (the connection stays): rpc-backlog, lost subscription. */
  async pause(queue: string): Promise<void> {
    this.pausedQueues.add(queue);
    for (const s of this.servers) {
      const tag = s.consumers.get(queue);
      if (tag && s.channel) {
        s.consumers.delete(queue);
        await s.channel.cancel(tag);
      }
    }
  }

  async resume(queue: string): Promise<void> {
    this.pausedQueues.delete(queue);
    for (const s of this.servers) {
      if (s.channel && (queue === s.topicQueue || queue === s.hostQueue || queue === s.fanoutQueue)) await this.consume(s, queue);
    }
  }

  /** Release a stuck consumer: requeue what it held (as a restart would). */
  unstick(queue: string): void {
    this.stuckQueues.delete(queue);
    const held = this.held.filter((h) => h.queue === queue);
    this.held = this.held.filter((h) => h.queue !== queue);
    for (const { ch, msg } of held) {
      try {
        ch.nack(msg, false, true);
      } catch {
        /* channel gone: the broker requeued it already */
      }
    }
  }

  private async startReplyListener(): Promise<void> {
    const ch = await this.channelOn(await this.openConnection());
    this.replyChannel = ch;
    await ch.assertQueue(this.replyQueue, {
      durable: false,
      autoDelete: false,
      arguments: { 'x-expires': TRANSIENT_QUEUE_TTL_MS },
    });
    this.ctx.declaredQueues.add(this.replyQueue);
    await ch.consume(
      this.replyQueue,
      (msg) => {
        if (!msg) return;
        ch.ack(msg);
        const m = openEnvelope(msg.content);
        const id = m?._msg_id;
        if (typeof id !== 'string') return;
        const p = this.pending.get(id);
        if (!p) return; // late reply after a timeout: oslo logs and drops it
        this.pending.delete(id);
        clearTimeout(p.timer);
        this.ctx.stats.replies++;
        p.resolve(m?.result);
      },
      { noAck: false },
    );
  }

  private async startNotificationListener(): Promise<void> {
    const l = this.plan.listener;
    if (!l) return;
    const ch = await this.channelOn(await this.openConnection());
    this.listenerChannel = ch;
    const queue = `${l.topic}.${l.priority}`;
    await ch.assertQueue(queue, { durable: false, autoDelete: false });
    this.ctx.declaredQueues.add(queue);
    for (const ex of l.exchanges) {
      await ch.assertExchange(ex, 'topic', { durable: false, autoDelete: false });
      this.ctx.declaredExchanges.add(ex);
      await ch.bindQueue(queue, ex, queue);
    }
    // Notification listeners ack after processing.
    await ch.consume(
      queue,
      (msg) => {
        if (!msg) return;
        this.ctx.stats.notificationsConsumed++;
        ch.ack(msg);
      },
      { noAck: false },
    );
  }

  // The send pool: one connection, opened on first use, shared by casts, replies, notifications.
  private sender(): Promise<Channel> {
    if (!this.sendChannel) {
      this.sendChannel = (async () => {
        const conn = await this.openConnection(true);
        this.sendConn = conn;
        const ch = await this.channelOn(conn);
        ch.on('close', () => {
          // A channel error (e.g. publishing to a vanished exchange) leaves the connection
          // open; oslo would reconnect, so drop this one and open anew on the next publish.
          if (this.sendConn === conn) conn.close().catch(() => undefined);
        });
        ch.on('return', () => undefined); // mandatory reply to a vanished reply queue: dropped
        return ch;
      })();
      this.sendChannel.catch(() => {
        this.sendChannel = null;
      });
    }
    return this.sendChannel;
  }

  async publish(exchange: string, routingKey: string, body: Buffer, props: Options.Publish = {}): Promise<void> {
    if (!this.running) return;
    const ch = await this.sender();
    ch.publish(exchange, routingKey, body, { ...JSON_PROPS, ...props });
  }

  private async declareOnSender(key: string, fn: (ch: Channel) => Promise<unknown>, always = false): Promise<Channel> {
    const ch = await this.sender();
    if (always || !this.sendDeclared.has(key)) {
      await fn(ch);
      this.sendDeclared.add(key);
    }
    return ch;
  }

  async cast(exchange: string, routingKey: string, method: string, args: Record<string, unknown>): Promise<void> {
    if (!this.running) return;
    await this.declareOnSender(`x:${exchange}`, (ch) => ch.assertExchange(exchange, 'topic', { durable: false, autoDelete: false }));
    this.ctx.declaredExchanges.add(exchange);
    await this.publish(exchange, routingKey, envelope(rpcRequest(method, args, null)));
    this.ctx.stats.casts++;
  }

  async fanoutCast(topic: string, method: string, args: Record<string, unknown>): Promise<void> {
    if (!this.running) return;
    const ex = `${topic}_fanout`;
    // Declared on every send: it is auto-delete, so a cached declaration may be stale.
    await this.declareOnSender(`f:${ex}`, (ch) => ch.assertExchange(ex, 'fanout', { durable: false, autoDelete: true }), true);
    this.ctx.declaredExchanges.add(ex);
    await this.publish(ex, topic, envelope(rpcRequest(method, args, null)));
    this.ctx.stats.fanoutCasts++;
  }

  /** An RPC call: request with expiration = timeout, reply on our reply_ queue via the default exchange. */
  async call(exchange: string, routingKey: string, method: string, args: Record<string, unknown>): Promise<unknown> {
    if (!this.running || !this.plan.caller) return undefined;
    await this.declareOnSender(`x:${exchange}`, (ch) => ch.assertExchange(exchange, 'topic', { durable: false, autoDelete: false }));
    const msgId = uniqueHex();
    const timeoutMs = this.ctx.callTimeoutMs;
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(msgId);
        this.ctx.stats.callTimeouts++;
        reject(new Error(`MessagingTimeout: ${method} to ${routingKey}`));
      }, timeoutMs);
      this.pending.set(msgId, { resolve, reject, timer });
    });
    result.catch(() => undefined);
    await this.publish(
      exchange,
      routingKey,
      envelope(rpcRequest(method, args, { msgId, replyQueue: this.replyQueue, timeoutMs })),
      { expiration: String(timeoutMs) },
    );
    this.ctx.stats.calls++;
    return result;
  }

  /** A notification as oslo's notifier sends it: declares and binds `<topic>.<priority>` first. */
  async notify(exchange: string, topic: string, priority: string, message: Record<string, unknown>): Promise<void> {
    if (!this.running) return;
    const queue = `${topic}.${priority}`;
    await this.declareOnSender(`n:${exchange}:${queue}`, async (ch) => {
      await ch.assertExchange(exchange, 'topic', { durable: false, autoDelete: false });
      await ch.assertQueue(queue, { durable: false, autoDelete: false });
      await ch.bindQueue(queue, exchange, queue);
    });
    this.ctx.declaredExchanges.add(exchange);
    this.ctx.declaredQueues.add(queue);
    await this.publish(exchange, queue, envelope(message));
    this.ctx.stats.notifications++;
  }

  private fail(what: string, e: unknown): void {
    this.ctx.stats.errors++;
    if (this.running && !this.ctx.stopping) this.ctx.log(`${this.id}: ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }

  /**
   * Stop. `clean`: delete the reply and fanout queues first, as oslo does on a clean shutdown;
   * otherwise the process dies (crash): its queues stay until x-expires.
   */
  async stop(opts: { clean: boolean }): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    this.closingOnPurpose = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    if (opts.clean && wasRunning) {
      const ch = this.servers[0]?.channel ?? this.replyChannel;
      for (const q of this.perProcessQueues) {
        try {
          await ch?.deleteQueue(q);
        } catch {
          break;
        }
      }
    }
    await this.closeAll();
  }

  private async closeAll(): Promise<void> {
    this.closingOnPurpose = true;
    const conns = this.connections;
    this.connections = [];
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
    this.connectionNames = [];
    this.sendConn = null;
    this.sendChannel = null;
    this.sendDeclared.clear();
    this.replyChannel = null;
    this.listenerChannel = null;
    this.held = [];
    for (const s of this.servers) {
      s.channel = null;
      s.consumers.clear();
    }
  }

  /** Mark broken after an unexpected close; close what is left. The caller restarts it. */
  async breakDown(): Promise<void> {
    this.state = 'broken';
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('connection lost'));
    }
    this.pending.clear();
    await this.closeAll();
  }
}
