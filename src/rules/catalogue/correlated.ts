// openstack-correlated-outage: many hosts of one service losing their RPC consumers in
// the same poll is one event with one cause (the broker, the network between the cell and
// the broker, a fail-over), not thousands of host failures. The per-host findings stay;
// this one names the cause. A host is "lost" in a step when its per-host queue had a
// consumer in one Snapshot and none in the next.
import { expectedBinary } from '../../openstack/index.js';
import { queueKey, sampleOf } from '../../snapshot/index.js';
import type { PastQueue, Sample, Snapshot } from '../../snapshot/index.js';
import { fmtInt, fmtTime, listSome } from '../../format.js';
import type { Finding } from '../types.js';
import { defineRule, samplesOf } from '../helpers.js';
import { hostsPerTopic, isHostQueue, topicKey } from './openstack.js';

/** The hosts of each service and topic whose per-host queue lost its last consumer between `a` and `b`. */
export function hostsLost(a: Sample | Snapshot, b: Sample | Snapshot): Map<string, { sample: PastQueue; hosts: Set<string> }> {
  const before = 'queue' in a ? a : sampleOf(a);
  const after = 'queue' in b ? b : sampleOf(b);
  const out = new Map<string, { sample: PastQueue; hosts: Set<string> }>();
  for (const q of after.queues()) {
    // Lost: known to have had a consumer then and known to have none now (unknown is neither).
    if (!isHostQueue(q) || q.consumers !== 0) continue;
    const was = before.queue(queueKey(q));
    if (!was || was.consumers === null || was.consumers === 0) continue;
    const k = topicKey(q);
    let e = out.get(k);
    if (!e) out.set(k, (e = { sample: q, hosts: new Set() }));
    e.hosts.add(q.role.host);
  }
  return out;
}

// A pair of Snapshots further apart than their polls (plus slack for a poll that overran
// and skipped a tick) is not "within one poll": the history thins older Snapshots out
// (src/poll/history.ts), and hosts dying one by one must not add up to a correlated loss
// across a thinned gap.
const SLACK = 1.5;

/** The poll interval as the history shows it: the shortest step between two Snapshots. */
function pollStep(samples: readonly Sample[]): number {
  let step = Infinity;
  for (let i = 1; i < samples.length; i++) step = Math.min(step, samples[i]!.takenAt - samples[i - 1]!.takenAt);
  return Number.isFinite(step) ? Math.max(step, 1) : 1;
}

export const correlatedOutage = defineRule({
  id: 'openstack-correlated-outage',
  severity: 'critical',
  forSeconds: 0,
  description:
    "more than half of one service's hosts lose their RPC consumers within one poll (at least 3 hosts): the broker, the network or a fail-over failed, not the hosts",
  remedy:
    'Look at the broker and the path to it before any host: the RabbitMQ logs and alarms (`rabbitmq-diagnostics alarms`, memory and disk watermarks), ' +
    'network partitions and node restarts (`rabbitmqctl cluster_status`), a load balancer or VIP fail-over that moved or cut the connections, ' +
    'and the network between the cell and the broker (firewall or conntrack resets, MTU). Then check that the services reconnected ' +
    '(`Reconnected to AMQP server` in their logs, their per-host queues consumed again); restart only those that did not, and do not restart every host one by one.',
  // ratio: the share of the service's hosts lost in one poll; minHosts: so that one of two hosts
  // going is not "correlated"; withinPolls: how many consecutive polls one event may straddle
  // (the broker's per-queue statistics lag, collect_statistics_interval).
  defaults: { ratio: 0.5, minHosts: 3, withinPolls: 2 },
  notInPromql:
    "the event is one warren poll (two consecutive Snapshots) and it stays firing while the hosts lost in it stay down; Prometheus sees scrapes, not polls, and cannot remember which hosts went together",
  check({ ctx, thresholds, finding }) {
    const samples = samplesOf(ctx);
    if (samples.length < 2) return [];
    const now = ctx.snapshot;
    const step = pollStep(samples);
    // Hosts of each service and topic without a consumer now, and how many hosts it has.
    const downNow = new Map<string, Set<string>>();
    for (const q of now.queues) {
      if (!isHostQueue(q) || q.consumers !== 0) continue;
      const k = topicKey(q);
      let s = downNow.get(k);
      if (!s) downNow.set(k, (s = new Set()));
      s.add(q.role.host);
    }
    if (downNow.size === 0) return [];
    const hostsNow = hostsPerTopic(now.queues);

    // The latest step of the history in which a correlated loss happened, per service and
    // topic. The broker updates each queue's consumer count on its own statistics timer, so
    // one event may straddle two polls: a loss counts when it happened within `withinPolls`.
    const events = new Map<string, { sample: PastQueue; lost: Set<string>; of: number; at: number; polls: number }>();
    const within = Math.max(1, Math.round(thresholds()?.withinPolls ?? 2));
    for (let i = samples.length - 1; i >= 1; i--) {
      const b = samples[i]!;
      for (let j = i - 1; j >= Math.max(0, i - within); j--) {
        const a = samples[j]!;
        if (b.takenAt - a.takenAt > (i - j + SLACK) * step) break;
        const before = hostsPerTopic(a.queues());
        for (const [k, e] of hostsLost(a, b)) {
          if (events.has(k) || !downNow.has(k)) continue;
          const t = thresholds({ vhost: e.sample.vhost, service: e.sample.role.service });
          if (!t) continue;
          const of = before.get(k)?.size ?? e.hosts.size;
          if (e.hosts.size >= t.minHosts && e.hosts.size > t.ratio * of) events.set(k, { sample: e.sample, lost: e.hosts, of, at: b.takenAt, polls: i - j });
        }
      }
    }

    const out: Finding[] = [];
    for (const [k, e] of events) {
      const t = thresholds({ vhost: e.sample.vhost, service: e.sample.role.service })!;
      const down = downNow.get(k)!;
      const stillDown = [...e.lost].filter((h) => down.has(h)).sort();
      const of = hostsNow.get(k)?.size ?? e.of;
      // Still an outage: most of the service's hosts are still without a consumer.
      if (stillDown.length < t.minHosts || stillDown.length <= t.ratio * of) continue;
      const { service, topic } = e.sample.role;
      const binary = expectedBinary(topic) || `${service} (${topic})`;
      out.push(
        finding(
          { kind: 'service', name: binary, vhost: e.sample.vhost },
          `${binary} lost its RPC consumers on ${fmtInt(e.lost.size)} of ${fmtInt(e.of)} hosts within ${e.polls === 1 ? 'one poll' : `${e.polls} polls`} (${fmtTime(new Date(e.at).toISOString())}); ` +
            `${fmtInt(stillDown.length)} are still down (${listSome(stillDown, 3)}): a failure this wide is the broker, the network or a fail-over, not the hosts`,
          {
            service,
            topic,
            binary,
            hosts: e.lost.size,
            serviceHosts: e.of,
            stillDown: stillDown.length,
            stillDownExamples: stillDown.slice(0, 20),
            lostAt: new Date(e.at).toISOString(),
            ratio: t.ratio,
            minHosts: t.minHosts,
          },
          { labels: { service, topic } },
        ),
      );
    }
    return out;
  },
});
