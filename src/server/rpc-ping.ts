// Wiring of the oslo RPC ping into the daemon (config `openstack.rpcPing`): one ping loop
// per cluster, started once the first poll has given an OpenStack view. The servers come
// from the latest view (every per-host RPC queue with a consumer) or the config's list;
// the broker's AMQP endpoint from the cluster's probe.amqpUrls, else its AMQP listeners.
// Its results reach the rules (RuleContext.rpcPing) and the metrics through the daemon.
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import type { ClusterConfig, OpenStackConfig } from '../config/index.js';
import { controlExchangeOf, PER_PROCESS_TOPICS, type TopicTable } from '../openstack/index.js';
import type { OpenStackView } from '../snapshot/index.js';
import {
  fetchListeners,
  pingRpcServers,
  probeSocketOptions,
  startRpcPingLoop,
  targetsFromListeners,
  targetsFromUrls,
  type HttpClient,
  type PingResult,
  type PingTarget,
  type ProbeTarget,
  type RpcPingLoop,
  type RpcPingStatus,
  type RpcServerTarget,
} from '../sources/index.js';

export interface RpcPingWiring {
  cfg: ClusterConfig;
  openstack: OpenStackConfig;
  topics: TopicTable;
  http: HttpClient;
  /** The cluster's latest OpenStack view. */
  view: () => OpenStackView | null;
  log: Logger;
  clock?: Clock;
}

/** The servers to ping: the configured list, else every per-host RPC queue of the view that has a consumer. */
export function rpcPingTargets(openstack: OpenStackConfig, topics: TopicTable, view: OpenStackView | null): RpcServerTarget[] {
  const p = openstack.rpcPing;
  if (!p) return [];
  const hostQueues = view?.hostQueues ?? [];
  if (p.targets) {
    const byName = new Map(hostQueues.map((h) => [h.queue, h]));
    return p.targets.map((t) => {
      const h = byName.get(`${t.topic}.${t.host}`);
      const service = h?.service || topics.rpc.get(t.topic)?.service || '';
      return { service, topic: t.topic, host: t.host, vhost: t.vhost ?? h?.vhost ?? '/', exchange: t.exchange ?? controlExchangeOf(service, p.exchanges) };
    });
  }
  return hostQueues
    .filter((h) => (h.consumers ?? 0) > 0 && !PER_PROCESS_TOPICS.has(h.topic))
    .map((h) => ({ service: h.service, topic: h.topic, host: h.host, vhost: h.vhost, exchange: controlExchangeOf(h.service, p.exchanges) }));
}

/** amqp(s)://user:password@host:port/vhost, every part encoded. */
function amqpUrl(ep: ProbeTarget, user: string, password: string, vhost: string): string {
  const host = ep.host.includes(':') ? `[${ep.host}]` : ep.host;
  return `${ep.protocol}://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${ep.port}/${encodeURIComponent(vhost)}`;
}

/** The cluster's ping loop, or null when `openstack.rpcPing` is absent or disabled. */
export function startClusterRpcPing(w: RpcPingWiring): RpcPingLoop | null {
  const p = w.openstack.rpcPing;
  if (!p?.enabled) return null;
  const { cfg, log } = w;
  const user = p.user ?? cfg.probe?.user ?? cfg.user;
  const password = p.password ?? cfg.probe?.password ?? cfg.password;
  const timeoutMs = p.timeout;
  const counter = { requests: 0, bytes: 0 };
  let endpoint: ProbeTarget | null = null;

  const findEndpoint = async (): Promise<ProbeTarget> => {
    if (endpoint) return endpoint;
    const list = cfg.probe?.amqpUrls.length ? targetsFromUrls(cfg.probe.amqpUrls) : targetsFromListeners(await fetchListeners(w.http, cfg.url, counter));
    const wanted = cfg.tls ? 'amqps' : 'amqp';
    const found = list.find((t) => t.protocol === wanted) ?? list[0];
    if (!found) throw new Error('the broker reports no AMQP listener (give probe.amqpUrls)');
    return (endpoint = found);
  };

  const ping = async (vhost: string, targets: readonly PingTarget[]): Promise<readonly PingResult[]> => {
    let ep: ProbeTarget;
    try {
      ep = await findEndpoint();
    } catch (e) {
      const reason = `cannot find the broker's AMQP endpoint: ${(e as Error).message.split('\n')[0]}`;
      return targets.map((target) => ({ target, status: 'unsent', reason }));
    }
    const results = await pingRpcServers({ url: amqpUrl(ep, user, password, vhost), socketOptions: probeSocketOptions(ep, cfg.tls) }, targets, {
      timeoutMs,
      concurrency: targets.length,
    });
    // Another node's listener next time: this one may be the node that is down.
    if (results.some((r) => r.status === 'unsent' && r.reason.startsWith('cannot connect'))) endpoint = null;
    return results;
  };

  return startRpcPingLoop({
    clock: w.clock ?? systemClock,
    intervalMs: p.interval ?? cfg.interval,
    maxInFlight: p.maxInFlight,
    targets: () => rpcPingTargets(w.openstack, w.topics, w.view()),
    ping,
    onResult: (s, previous) => logChange(log, cfg.name, s, previous),
  });
}

function nameOf(s: RpcPingStatus): string {
  return `${s.target.topic}.${s.target.host} (${s.target.service || 'unknown service'}, vhost ${s.target.vhost}, exchange ${s.target.exchange})`;
}

/** One line when a server's state changes, none while it stays the same. */
function logChange(log: Logger, cluster: string, s: RpcPingStatus, previous: RpcPingStatus | undefined): void {
  if (previous?.state === s.state) return;
  const fields = { cluster, service: s.target.service, topic: s.target.topic, host: s.target.host };
  switch (s.state) {
    case 'answered':
      if (previous) log.info(fields, `RPC ping of ${nameOf(s)} answered again`);
      return;
    case 'not-enabled':
      log.info(fields, `RPC ping of ${nameOf(s)}: ping not enabled (${s.detail ?? ''}); set [DEFAULT] rpc_ping_enabled = true in the service's config`);
      return;
    case 'error':
      log.info(fields, `RPC ping of ${nameOf(s)} answered with an error: ${s.detail ?? ''}`);
      return;
    case 'timeout':
      log.warn(fields, `RPC ping of ${nameOf(s)}: ${s.detail ?? 'no answer'}`);
      return;
    case 'unsent':
      log.warn(fields, `RPC ping of ${nameOf(s)} not sent: ${s.detail ?? ''}`);
      return;
  }
}
