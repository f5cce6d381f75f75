// Delivery to a generic webhook: one JSON POST per batch of alert changes.
//
// Payload (Content-Type: application/json):
//
//   {
//     "version": "1",
//     "source": "warren",
//     "changes": [
//       {
//         "type": "firing" | "resolved" | "severity",
//         "status": "firing" | "resolved",
//         "fingerprint": "9f3c2a...",          // 16 hex, from (cluster, rule, subject) only
//         "cluster": "rabbit@ctl-1",
//         "rule": "openstack-host-queue-unconsumed",
//         "severity": "critical",
//         "previousSeverity": "warning",       // only for type "severity"
//         "subject": { "kind": "queue", "name": "compute.cmp-01", "vhost": "/" },
//         "labels": { "alertname": "...", "severity": "...", "cluster": "...", "queue": "...", ... },
//         "summary": "one line",
//         "remedy": "what to do",
//         "evidence": { ... the numbers the rule used ... },
//         "startsAt": "ISO-8601",              // when it started firing
//         "endsAt": "ISO-8601" | null,         // set when resolved
//         "at": "ISO-8601"                     // when this change happened
//       }
//     ]
//   }
//
// Changes are events, so they are not coalesced: a receiver sees firing, then resolved.
// A 2xx answer is success; 408, 429, 5xx and network errors are retried with backoff;
// other 4xx drop the batch (counted as rejected).
import type { AlertChange } from '../rules/index.js';
import type { Severity, Subject } from '../rules/index.js';
import { redactUrls } from '../redact.js';
import { postJson } from './http.js';
import { DeliveryQueue, systemClock, type Clock, type DeliveryQueueOptions } from './queue.js';

export interface WebhookChange {
  type: AlertChange['type'];
  status: 'firing' | 'resolved';
  fingerprint: string;
  cluster: string;
  rule: string;
  severity: Severity;
  previousSeverity?: Severity;
  subject: Subject;
  labels: Record<string, string>;
  summary: string;
  remedy: string;
  evidence: Record<string, unknown>;
  startsAt: string;
  endsAt: string | null;
  at: string;
}

export interface WebhookPayload {
  version: '1';
  source: 'warren';
  changes: WebhookChange[];
}

const iso = (ms: number) => new Date(ms).toISOString();

export function webhookChange(c: AlertChange): WebhookChange {
  const a = c.alert;
  const out: WebhookChange = {
    type: c.type,
    status: c.type === 'resolved' ? 'resolved' : 'firing',
    fingerprint: a.fingerprint,
    cluster: a.cluster,
    rule: a.rule,
    severity: a.severity,
    subject: a.subject,
    labels: a.labels,
    summary: a.summary,
    remedy: a.remedy,
    evidence: a.evidence,
    startsAt: iso(a.firingAt ?? a.activeAt),
    endsAt: c.type === 'resolved' ? iso(a.resolvedAt ?? c.at) : null,
    at: iso(c.at),
  };
  if (c.previousSeverity) out.previousSeverity = c.previousSeverity;
  return out;
}

export function webhookPayload(changes: readonly WebhookChange[]): WebhookPayload {
  return { version: '1', source: 'warren', changes: [...changes] };
}

export interface WebhookNotifierOptions {
  url: string;
  clock?: Clock;
  timeoutMs?: number;
  queue?: Partial<Pick<DeliveryQueueOptions<WebhookChange>, 'maxSize' | 'batchSize' | 'baseDelayMs' | 'maxDelayMs' | 'random' | 'onDrop' | 'onError'>>;
  /** Injectable for tests; defaults to an HTTP POST. */
  post?: (url: string, body: WebhookPayload) => Promise<void>;
}

export interface WebhookNotifier {
  readonly receiver: string;
  readonly queue: DeliveryQueue<WebhookChange>;
  notify(changes: readonly AlertChange[]): void;
}

export function createWebhookNotifier(o: WebhookNotifierOptions): WebhookNotifier {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const post = o.post ?? ((url: string, body: WebhookPayload) => postJson(url, body, { timeoutMs }));
  const receiver = redactUrls(o.url);
  const queue = new DeliveryQueue<WebhookChange>({
    ...o.queue,
    receiver,
    clock: o.clock ?? systemClock,
    send: (batch) => post(o.url, webhookPayload(batch)),
  });
  return {
    receiver,
    queue,
    notify(changes) {
      for (const c of changes) queue.enqueue(webhookChange(c), { resolved: c.type === 'resolved' });
    },
  };
}
