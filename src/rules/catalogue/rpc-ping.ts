// The oslo RPC ping (src/sources/oslo-ping-loop.ts), read from its last outcome per server
// in the RuleContext. A process whose event loop is blocked (a frozen nova-compute, an
// eventlet hub stuck in a C call) keeps its AMQP connection and its consumer on
// `<topic>.<host>` until the broker's heartbeat timeout, and for ever when heartbeats run
// in a thread: the broker sees nothing wrong, only an answer to a call tells.
import { fmtInt } from '../../format.js';
import { queueIndex, queueKey } from '../../snapshot/index.js';
import type { RpcPingStatus } from '../../sources/index.js';
import type { Finding } from '../types.js';
import { defineRule } from '../helpers.js';
import { alternation, n } from './promql-text.js';

/** Topics whose unresponsive server is critical: instance, conductor and volume operations hang on it. */
export const CRITICAL_PING_TOPICS: readonly string[] = ['compute', 'conductor', 'cinder-volume'];
const CRITICAL_PING_TOPICS_RE = alternation(CRITICAL_PING_TOPICS);

const REMEDY =
  'The process holds its queue but does not serve it: RPC calls to that host time out and casts pile up. ' +
  "Look at the service on that host: a blocked eventlet hub (a stuck C call, a hung database or hypervisor call), a process stopped (SIGSTOP, a debugger), a host swapping. `kill -USR2 <pid>` makes an eventlet service log its greenthreads (oslo.service's Guru Meditation Report); restart the service if it does not recover. " +
  'A server that answers with an error is alive (shown as "ping not enabled" when it lacks `[DEFAULT] rpc_ping_enabled = true`).';

export const rpcServerUnresponsive = defineRule({
  id: 'openstack-rpc-server-unresponsive',
  severity: 'warning',
  // Two pings in a row without an answer is the hysteresis already.
  forSeconds: 0,
  description:
    "an RPC server holds its per-host queue's consumer but does not answer `oslo_rpc_server_ping` twice in a row (critical for compute, conductor, cinder-volume)",
  remedy: REMEDY,
  defaults: { failures: 2 },
  promql: (t) =>
    (
      [
        ['critical', '=~'],
        ['warning', '!~'],
      ] as const
    ).map(([severity, match]) => ({
      severity,
      expr: [
        `warren_openstack_rpc_ping_consecutive_failures{topic${match}"${CRITICAL_PING_TOPICS_RE}"} >= ${n(t.failures)}`,
        'and on (cluster, service, topic, host) rabbitmq_openstack_host_queue_consumers > 0',
      ].join('\n'),
      summary:
        'RPC server {{ $labels.topic }}.{{ $labels.host }} ({{ $labels.service }}) holds its queue but left {{ $value | printf "%.0f" }} pings in a row unanswered (cluster {{ $labels.cluster }})',
      labels: { subject_kind: 'queue' },
    })),
  check({ ctx, thresholds, finding }) {
    if (!ctx.rpcPing) return [];
    const queues = queueIndex(ctx.snapshot);
    const out: Finding[] = [];
    for (const s of ctx.rpcPing) {
      const t = s.target;
      const name = `${t.topic}.${t.host}`;
      const q = queues.get(queueKey({ vhost: t.vhost, name }));
      // No consumer: openstack-host-queue-unconsumed says it; no queue: nothing to hold;
      // consumers unknown (stats pending): the alert is held as it is (src/rules/unknown.ts).
      if (!q || q.consumers === null || q.consumers === 0) continue;
      const th = thresholds({ vhost: t.vhost, queue: name, ...(t.service ? { service: t.service } : {}) });
      if (!th || s.consecutiveFailures < th.failures) continue;
      out.push(
        finding(
          { kind: 'queue', name, vhost: t.vhost },
          `RPC server ${name} (${t.service || 'unknown service'}) holds its queue (${fmtInt(q.consumers)} consumer${q.consumers === 1 ? '' : 's'}) but left ${fmtInt(s.consecutiveFailures)} pings in a row unanswered (last: ${s.detail ?? 'no answer'})`,
          evidenceOf(s, q.consumers),
          {
            severity: CRITICAL_PING_TOPICS.includes(t.topic) ? 'critical' : 'warning',
            labels: { ...(t.service ? { service: t.service } : {}), host: t.host },
          },
        ),
      );
    }
    return out;
  },
});

function evidenceOf(s: RpcPingStatus, consumers: number): Record<string, unknown> {
  return {
    service: s.target.service,
    topic: s.target.topic,
    host: s.target.host,
    exchange: s.target.exchange,
    consumers,
    consecutiveFailures: s.consecutiveFailures,
    lastState: s.state,
    lastPingAt: new Date(s.at).toISOString(),
    detail: s.detail,
  };
}
