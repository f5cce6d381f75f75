// How long messages wait, rather than how many there are: the head message's age where
// publishers stamp it, and the time the consumers need to drain the backlog where they
// do not (oslo.messaging sets no `timestamp` property, so its queues only have the second).
import { fmtDuration, fmtInt, fmtRate } from '../../format.js';
import { queueKey, queueRates } from '../../snapshot/index.js';
import type { Finding } from '../types.js';
import { defineRule, knownQueues, queueHolds, queueLabels, queueScope, queueSubject, windowBase } from '../helpers.js';
import { n, QUEUE, range } from './promql-text.js';
import { depthOwnedByOpenStack, isStream, OWNED_UNCONSUMED } from './queues.js';

export const queueMessageAge = defineRule({
  id: 'queue-message-age',
  severity: 'warning',
  forSeconds: 120,
  description: 'the head message of a queue is older than 15 min (where publishers set the timestamp property)',
  remedy:
    'The oldest message waits longer than its readers can afford: check that the consumers run, are not stuck on a dependency and are not rejecting and requeueing the head message (a poison message: dead-letter it). ' +
    'Scale or restart the consumers; if the messages are worthless once old, bound the queue with a `message-ttl` policy.',
  // minutes: age of the head message, from its AMQP `timestamp` property (seconds since the epoch).
  defaults: { minutes: 15 },
  promql: (t) => [
    {
      // The series exists only where the head message carries a timestamp: no timestamp, no alert.
      expr: `time() - rabbitmq_queue_head_message_timestamp >= ${n(t.minutes * 60)}`,
      summary: `${QUEUE}: its head message is {{ $value | humanizeDuration }} old`,
      labels: { subject_kind: 'queue' },
    },
  ],
  check({ ctx, thresholds, finding }) {
    const out: Finding[] = [];
    const ageOf = (at: number) => (ctx.now - at) / 1000;
    for (const q of knownQueues(ctx.snapshot)) {
      // Unknown (no message, or published without a timestamp) is never "old".
      if (q.headMessageAt === null) continue;
      const t = thresholds(queueScope(q));
      if (!t) continue;
      const limit = t.minutes * 60;
      if (!queueHolds(ctx, q, (x) => x.headMessageAt !== null && ageOf(x.headMessageAt) >= limit)) continue;
      const age = ageOf(q.headMessageAt);
      out.push(
        finding(
          queueSubject(q),
          `The head message of queue ${q.name} (vhost ${q.vhost}) is ${fmtDuration(age)} old (threshold ${fmtDuration(limit)}), ${fmtInt(q.messages)} messages, ${q.consumers} consumers`,
          { ageSeconds: Math.round(age), headMessageAt: new Date(q.headMessageAt).toISOString(), messages: q.messages, consumers: q.consumers, minutes: t.minutes },
          { labels: queueLabels(q) },
        ),
      );
    }
    return out;
  },
});

export const queueDrainTime = defineRule({
  id: 'queue-drain-time',
  severity: 'warning',
  forSeconds: 300,
  description: 'ready messages / deliver rate exceeds 30 min while the backlog grows: the consumers cannot keep up',
  remedy:
    'The consumers work but too slowly for the publishers: add consumers (more workers, or more processes of the service), raise their prefetch if they wait on round trips, and find what each message waits on (database, downstream API). ' +
    'If the publishers burst, check that the backlog drains afterwards; for a notification queue, a `message-ttl` or `max-length` policy bounds it.',
  // minutes: the drain time at the current deliver rate; windowSeconds: the backlog must be larger
  // than this long ago (and the deliver rate is measured over it); minReady: a noise floor.
  defaults: { minutes: 30, windowSeconds: 120, minReady: 100 },
  promql: (t) => [
    {
      // Without deliveries the queue has no consumer that works: queue-no-consumer and the
      // OpenStack rules say that; this rule is about consumers that are too slow.
      expr: [
        `rabbitmq_queue_messages_ready{openstack_kind!="rpc_topic"} / (rabbitmq_queue_messages_deliver_rate > 0) >= ${n(t.minutes * 60)}`,
        `and rabbitmq_queue_messages_ready >= ${n(t.minReady)}`,
        `and rabbitmq_queue_messages_ready > rabbitmq_queue_messages_ready offset ${range(t.windowSeconds)}`,
        OWNED_UNCONSUMED,
      ].join('\n'),
      summary: `${QUEUE} needs {{ $value | humanizeDuration }} to drain at the current deliver rate, and its backlog grows`,
      labels: { subject_kind: 'queue' },
    },
  ],
  partlyInPromql: 'the deliver rate is the one over the last poll interval (the check measures it over the window); streams cannot be told apart (queue type is not a label)',
  check({ ctx, thresholds, finding }) {
    const out: Finding[] = [];
    for (const q of knownQueues(ctx.snapshot)) {
      if (q.ready === 0 || isStream(q) || depthOwnedByOpenStack(q)) continue;
      const t = thresholds(queueScope(q));
      if (!t || q.ready < t.minReady) continue;
      const base = windowBase(ctx, t.windowSeconds);
      if (!base) continue;
      const key = queueKey(q);
      const before = base.queue(key);
      if (!before || before.ready === null || q.ready <= before.ready) continue;
      const deliver = (ctx.rates?.queueRates(base, ctx.snapshot) ?? queueRates(base, ctx.snapshot)).get(key)?.deliver ?? null;
      if (deliver === null || deliver <= 0) continue;
      const drainSeconds = q.ready / deliver;
      const limit = t.minutes * 60;
      if (drainSeconds < limit) continue;
      const seconds = (ctx.snapshot.takenAt - base.takenAt) / 1000;
      out.push(
        finding(
          queueSubject(q),
          `Queue ${q.name} (vhost ${q.vhost}) needs ${fmtDuration(drainSeconds)} to drain ${fmtInt(q.ready)} ready messages at ${fmtRate(deliver)} delivered (threshold ${fmtDuration(limit)}), and grew from ${fmtInt(before.ready)} in ${fmtDuration(seconds)}; ${q.consumers} consumers`,
          { ready: q.ready, readyBefore: before.ready, windowSeconds: seconds, deliverRate: deliver, drainSeconds: Math.round(drainSeconds), consumers: q.consumers, minutes: t.minutes },
          { labels: queueLabels(q) },
        ),
      );
    }
    return out;
  },
});
