// The AMQP probe: what a client meets, not what the broker says about itself. For each
// node it connects, opens a confirm channel, declares a server-named exclusive queue,
// publishes one message with a confirm and consumes it back, timing each phase. Every
// phase has its own deadline: a node whose memory alarm blocks publishers never sends
// the confirm, and that must read as "publish failed" within one probe interval, not as
// a probe that hangs. Nothing outlives a probe: the queue is exclusive (the broker drops
// it with the connection), and a connection that does not close cleanly in time has its
// socket destroyed. Knows nothing of rules or Snapshots.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import amqp, { type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import type { TlsConfig } from '../config/index.js';
import { redactSecrets } from '../redact.js';
import type { HttpClient, RequestCounter } from './http.js';

export const PROBE_PHASES = ['connect', 'channel', 'declare', 'publish', 'consume'] as const;
export type ProbePhase = (typeof PROBE_PHASES)[number];
export type ProbeProtocol = 'amqp' | 'amqps';

/** One AMQP endpoint to probe. `node` is the broker's node name, or host:port for a configured URL. */
export interface ProbeTarget {
  readonly node: string;
  readonly protocol: ProbeProtocol;
  readonly host: string;
  readonly port: number;
}

export interface ProbeResult {
  readonly node: string;
  readonly protocol: ProbeProtocol;
  /** host:port probed. */
  readonly address: string;
  /** ms epoch when the probe started. */
  readonly at: number;
  readonly ok: boolean;
  /** Seconds each completed phase took; a failed phase is absent. */
  readonly durations: Readonly<Partial<Record<ProbePhase, number>>>;
  /** Seconds from publish to the message coming back (publish + consume), when it did. */
  readonly roundTripSeconds: number | null;
  readonly failedPhase: ProbePhase | null;
  /** One line, never the password. */
  readonly error: string | null;
}

export interface ProbeCredentials {
  readonly user: string;
  readonly password: string;
  readonly vhost: string;
  readonly tls?: TlsConfig | undefined;
}

export interface ProbeOptions extends ProbeCredentials {
  /** Deadline of each phase, ms. */
  readonly phaseTimeoutMs: number;
  readonly now?: () => number;
  /** Aborting ends the current phase at once (the daemon stopping); the connection is still closed. */
  readonly signal?: AbortSignal;
}

class PhaseTimeout extends Error {}

/**
 * Probes one endpoint. Never throws: every failure is a result naming the phase. Resolves
 * only after the connection is closed (or its socket destroyed).
 */
export async function probeTarget(target: ProbeTarget, o: ProbeOptions): Promise<ProbeResult> {
  const now = o.now ?? Date.now;
  const at = now();
  const durations: Partial<Record<ProbePhase, number>> = {};
  const address = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  let conn: ChannelModel | null = null;
  let phase: ProbePhase = 'connect';
  // Errors the connection emits while a phase waits (the broker closing it) end that phase at once.
  let connectionError: ((err: Error) => void) | null = null;

  /** Runs one phase under its deadline; the deadline rejects even if the operation never settles. */
  const step = async <T>(name: ProbePhase, op: () => Promise<T>): Promise<T> => {
    phase = name;
    const started = now();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      const value = await Promise.race([
        op(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new PhaseTimeout(timeoutText(name, o.phaseTimeoutMs))), o.phaseTimeoutMs);
          connectionError = reject;
          onAbort = () => reject(new PhaseTimeout('warren is stopping'));
          if (o.signal?.aborted) onAbort();
          o.signal?.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
      durations[name] = Math.max(0, now() - started) / 1000;
      return value;
    } finally {
      clearTimeout(timer);
      if (onAbort) o.signal?.removeEventListener('abort', onAbort);
      connectionError = null;
    }
  };

  try {
    const pending = amqp.connect(
      {
        protocol: target.protocol,
        hostname: target.host,
        port: target.port,
        username: o.user,
        password: o.password,
        vhost: o.vhost,
        // The probe is short-lived: heartbeats would only add frames.
        heartbeat: 0,
      },
      { ...socketOptions(target, o.tls), timeout: o.phaseTimeoutMs, clientProperties: { connection_name: `warren-probe ${target.node}` } },
    );
    // A connection that opens after its deadline must not linger.
    let abandoned = false;
    pending.then((c) => (abandoned ? destroy(c) : undefined), () => undefined);
    try {
      conn = await step('connect', () => pending);
    } catch (err) {
      abandoned = true;
      throw err;
    }
    conn.on('error', (err: Error) => connectionError?.(err));
    conn.on('close', (err?: Error) => connectionError?.(err ?? new Error('the broker closed the connection')));
    const channel: ConfirmChannel = await step('channel', () => conn!.createConfirmChannel());
    channel.on('error', (err: Error) => connectionError?.(err));
    const { queue } = await step('declare', () => channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false }));
    const body = Buffer.from(`warren probe ${at}`);
    await step(
      'publish',
      () =>
        new Promise<void>((resolve, reject) => {
          channel.sendToQueue(queue, body, { persistent: false, expiration: String(Math.max(1000, 2 * o.phaseTimeoutMs)) }, (err) =>
            err ? reject(new Error('the broker refused the message (nack)')) : resolve(),
          );
        }),
    );
    await step(
      'consume',
      () =>
        new Promise<void>((resolve, reject) => {
          channel
            .consume(
              queue,
              (msg: ConsumeMessage | null) => {
                if (msg === null) reject(new Error('the broker cancelled the consumer'));
                else if (msg.content.equals(body)) resolve();
              },
              { noAck: true, exclusive: true },
            )
            .catch(reject);
        }),
    );
    // The two phases' sum, so the PromQL form (over warren_probe_duration_seconds) sees the same number.
    const roundTrip = (durations.publish ?? 0) + (durations.consume ?? 0);
    await closeWithin(conn, o.phaseTimeoutMs);
    conn = null;
    return { node: target.node, protocol: target.protocol, address, at, ok: true, durations, roundTripSeconds: roundTrip, failedPhase: null, error: null };
  } catch (err) {
    const c = conn as ChannelModel | null;
    conn = null;
    // After a timeout the broker may not read the socket any more (a blocked publisher): do not wait for a clean close.
    if (c) await closeWithin(c, err instanceof PhaseTimeout ? 0 : Math.min(o.phaseTimeoutMs, 2000));
    return {
      node: target.node,
      protocol: target.protocol,
      address,
      at,
      ok: false,
      durations,
      roundTripSeconds: null,
      failedPhase: phase,
      error: oneLine(err, phase, o.password),
    };
  }
}

function timeoutText(phase: ProbePhase, ms: number): string {
  const s = `${Math.round(ms / 100) / 10} s`;
  switch (phase) {
    case 'connect':
      return `no connection within ${s}`;
    case 'channel':
      return `no channel within ${s}`;
    case 'declare':
      return `queue not declared within ${s}`;
    case 'publish':
      return `confirm not received within ${s} (publishers blocked by a resource alarm?)`;
    case 'consume':
      return `message not consumed back within ${s}`;
  }
}

/** A clean close if it comes in time (0: do not wait), else the socket is destroyed so the broker drops everything. */
async function closeWithin(c: ChannelModel, ms: number): Promise<void> {
  if (ms > 0) {
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      c.close().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
    ]);
    clearTimeout(timer);
    if (closed) return;
  }
  destroy(c);
}

function destroy(c: ChannelModel): void {
  c.on('error', () => undefined);
  // amqplib keeps the socket (net.Socket or tls.TLSSocket) as connection.stream.
  const stream = (c.connection as unknown as { stream?: { destroy(): void } }).stream;
  stream?.destroy();
}

export function socketOptions(target: ProbeTarget, tls: TlsConfig | undefined): Record<string, unknown> {
  if (target.protocol !== 'amqps') return {};
  return {
    ...(tls?.caFile ? { ca: [readFileSync(tls.caFile)] } : {}),
    ...(tls?.certFile ? { cert: readFileSync(tls.certFile) } : {}),
    ...(tls?.keyFile ? { key: readFileSync(tls.keyFile) } : {}),
    rejectUnauthorized: !(tls?.insecureSkipVerify ?? false),
    ...(isIP(target.host) ? {} : { servername: target.host }),
  };
}

/** The error as one line, the phase's words first where amqplib's are cryptic; the password removed. */
function oneLine(err: unknown, phase: ProbePhase, password: string): string {
  const e = err as { message?: string; code?: string };
  let text = (e.message ?? String(err)).split('\n')[0] ?? '';
  if (e.code === 'ECONNREFUSED') text = 'connection refused (no listener, or the node is in maintenance)';
  if (phase === 'connect' && /ACCESS_REFUSED|403/.test(text)) text = `access refused: ${text}`;
  return redactSecrets(text, [password]).slice(0, 300);
}

// ---- targets ------------------------------------------------------------------------

interface ListenerJson {
  node?: unknown;
  protocol?: unknown;
  ip_address?: unknown;
  port?: unknown;
  socket_opts?: unknown;
}

const WILDCARD = new Set(['::', '0.0.0.0', '']);

/**
 * AMQP endpoints from /api/overview's `listeners`, one per node and protocol. RabbitMQ
 * 3.10 reports `ip_address "::"` for a listener bound to one address and keeps the real
 * one in `socket_opts.ip`; a wildcard listener is reached through the node's host name.
 */
export function targetsFromListeners(listeners: unknown): ProbeTarget[] {
  if (!Array.isArray(listeners)) return [];
  const out = new Map<string, ProbeTarget>();
  for (const l of listeners as ListenerJson[]) {
    if (typeof l.node !== 'string' || typeof l.port !== 'number') continue;
    const protocol: ProbeProtocol | null = l.protocol === 'amqp' ? 'amqp' : l.protocol === 'amqp/ssl' ? 'amqps' : null;
    if (!protocol) continue;
    const sockIp = l.socket_opts && typeof l.socket_opts === 'object' && !Array.isArray(l.socket_opts) ? (l.socket_opts as { ip?: unknown }).ip : undefined;
    const candidates = [typeof sockIp === 'string' ? sockIp : '', typeof l.ip_address === 'string' ? l.ip_address : ''];
    const host = candidates.find((h) => !WILDCARD.has(h)) ?? l.node.slice(l.node.indexOf('@') + 1);
    const key = `${l.node}\u0000${protocol}`;
    // A node listening on several addresses: the first is enough to know clients get in.
    if (!out.has(key)) out.set(key, { node: l.node, protocol, host, port: l.port });
  }
  return [...out.values()];
}

/** Configured `amqpUrls` (no credentials in them: the config refuses those). */
export function targetsFromUrls(urls: readonly string[]): ProbeTarget[] {
  return urls.map((text) => {
    const u = new URL(text);
    const protocol: ProbeProtocol = u.protocol === 'amqps:' ? 'amqps' : 'amqp';
    const port = u.port ? Number(u.port) : protocol === 'amqps' ? 5671 : 5672;
    const host = u.hostname.replace(/^\[|\]$/g, '');
    return { node: `${u.hostname}:${port}`, protocol, host, port };
  });
}

/** The listeners as the management API gives them (one small request). */
export async function fetchListeners(http: HttpClient, managementUrl: string, counter: RequestCounter, signal?: AbortSignal): Promise<unknown> {
  const json = (await http.getJson(`${managementUrl.replace(/\/+$/, '')}/api/overview?columns=listeners`, counter, signal ? { signal } : {})) as { listeners?: unknown };
  return json?.listeners;
}

// ---- the loop -------------------------------------------------------------------------

export interface ProbeLoopOptions extends ProbeOptions {
  /** Fixed targets (config `amqpUrls`); when empty, the listeners are asked each round. */
  readonly urls: readonly string[];
  readonly intervalMs: number;
  /** Where the listeners come from when no URLs are configured. */
  readonly listeners?: (signal: AbortSignal) => Promise<unknown>;
  /** After every round, with that round's results. */
  readonly onRound?: (results: readonly ProbeResult[]) => void;
  readonly onError?: (message: string) => void;
}

export interface ProbeLoop {
  /** The last round's results, one per target. */
  results(): readonly ProbeResult[];
  /** Runs one round now (single-flight with the timer's). */
  runNow(): Promise<void>;
  /** Stops the timer and waits for a running round: its connections are closed by then. */
  stop(): Promise<void>;
}

/**
 * Probes every target every interval, all targets in parallel, one round at a time.
 * Targets seen once are kept while their node still has any listener: a node in
 * maintenance may stop listing its AMQP listener and must still be probed (and fail).
 */
export function startProbeLoop(o: ProbeLoopOptions): ProbeLoop {
  let results: readonly ProbeResult[] = [];
  let known = new Map<string, ProbeTarget>();
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const abort = new AbortController();

  async function targets(): Promise<ProbeTarget[]> {
    if (o.urls.length > 0) return targetsFromUrls(o.urls);
    if (!o.listeners) return [];
    try {
      const raw = await o.listeners(abort.signal);
      const found = targetsFromListeners(raw);
      const nodes = new Set(Array.isArray(raw) ? (raw as ListenerJson[]).map((l) => l.node) : []);
      const next = new Map<string, ProbeTarget>();
      for (const [k, t] of known) if (nodes.has(t.node)) next.set(k, t);
      for (const t of found) next.set(`${t.node}\u0000${t.protocol}`, t);
      known = next;
    } catch (err) {
      // The management API is down: probe what was known (broker-unreachable says the rest).
      o.onError?.(`cannot list the AMQP listeners: ${(err as Error).message.split('\n')[0]}`);
    }
    return [...known.values()];
  }

  async function round(): Promise<void> {
    const list = await targets();
    if (stopped) return;
    results = await Promise.all(list.map((t) => probeTarget(t, { ...o, signal: abort.signal })));
    if (!stopped) o.onRound?.(results);
  }

  const runNow = (): Promise<void> => {
    if (running) return running;
    running = round()
      .catch((err: unknown) => o.onError?.(`probe round failed: ${(err as Error).message}`))
      .finally(() => {
        running = null;
      });
    return running;
  };

  const tick = () => {
    if (stopped) return;
    timer = setTimeout(tick, o.intervalMs);
    timer.unref?.();
    void runNow();
  };
  tick();

  return {
    results: () => results,
    runNow,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      abort.abort();
      await running;
    },
  };
}
