// Delivery to Alertmanager's v2 API: `POST {url}/api/v2/alerts` with an array of
//   { labels: { alertname, severity, cluster, queue|node|vhost|..., service?, host? },
//     annotations: { summary, remedy, runbook_url? }, startsAt, endsAt?, generatorURL? }
//
// Firing alerts carry endsAt = send time + validFor and are re-sent every resend
// interval while they fire (as Prometheus does), so Alertmanager keeps them active while
// warren runs and lets them expire if warren dies. A resolution is sent with endsAt =
// when it resolved. A severity change changes the label set: the old set is resolved and
// the new one fires. Labels come from (cluster, rule, subject) only, so both warren
// instances of an HA pair send identical label sets and Alertmanager deduplicates them.
import type { Alert, AlertChange } from '../rules/index.js';
import { alertLabels } from '../rules/index.js';
import { redactUrls } from '../redact.js';
import { postJson } from './http.js';
import { DeliveryQueue, systemClock, type Clock, type DeliveryQueueOptions } from './queue.js';

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

/** What waits in the queue: a firing alert's endsAt is only fixed when it is sent. */
export interface AlertmanagerItem {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  /** ISO time it resolved, or null while firing. */
  endsAt: string | null;
  generatorURL?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The queue item for an alert as it stands (resolved when `resolvedAt` is given). */
export function alertmanagerItem(
  alert: Alert,
  opts: { resolvedAt?: number; labels?: Record<string, string>; generatorURL?: string; runbookUrl?: RunbookUrl } = {},
): AlertmanagerItem {
  const annotations: Record<string, string> = { summary: alert.summary, remedy: alert.remedy };
  if (opts.runbookUrl) annotations.runbook_url = opts.runbookUrl(alert.rule);
  const item: AlertmanagerItem = {
    labels: opts.labels ?? alert.labels,
    annotations,
    startsAt: iso(alert.firingAt ?? alert.activeAt),
    endsAt: opts.resolvedAt !== undefined ? iso(opts.resolvedAt) : null,
  };
  if (opts.generatorURL) item.generatorURL = opts.generatorURL;
  return item;
}

/** A rule's runbook URL (the daemon's GET /rules anchor, or the configured runbookBaseUrl's). */
export type RunbookUrl = (rule: string) => string;

/** Queue items for one change; a severity change resolves the old label set and fires the new one. */
export function alertmanagerItemsForChange(change: AlertChange, generatorURL?: string, runbookUrl?: RunbookUrl): AlertmanagerItem[] {
  const a = change.alert;
  const g = { ...(generatorURL ? { generatorURL } : {}), ...(runbookUrl ? { runbookUrl } : {}) };
  switch (change.type) {
    case 'firing':
      return [alertmanagerItem(a, g)];
    case 'resolved':
      return [alertmanagerItem(a, { ...g, resolvedAt: a.resolvedAt ?? change.at })];
    case 'severity': {
      const out: AlertmanagerItem[] = [];
      if (change.previousSeverity && change.previousSeverity !== a.severity) {
        const old = alertLabels(a.cluster, { rule: a.rule, severity: change.previousSeverity, subject: a.subject, labels: extraLabels(a) });
        out.push(alertmanagerItem(a, { ...g, labels: old, resolvedAt: change.at }));
      }
      out.push(alertmanagerItem(a, g));
      return out;
    }
  }
}

/** The finding-provided labels of an alert: everything but the core and subject ones. */
function extraLabels(a: Alert): Record<string, string> {
  const core = alertLabels(a.cluster, { rule: a.rule, severity: a.severity, subject: a.subject });
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(a.labels)) if (core[k] !== v) extra[k] = v;
  return extra;
}

/** The request body: firing alerts get endsAt = now + validFor. */
export function alertmanagerBody(items: readonly AlertmanagerItem[], now: number, validForMs: number): AlertmanagerAlert[] {
  return items.map((i) => {
    const a: AlertmanagerAlert = { labels: i.labels, annotations: i.annotations, startsAt: i.startsAt, endsAt: i.endsAt ?? iso(now + validForMs) };
    if (i.generatorURL) a.generatorURL = i.generatorURL;
    return a;
  });
}

/** Same label set, same key: a newer state of an alert replaces the queued one. */
export function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

export interface AlertmanagerNotifierOptions {
  /** Alertmanager base URL (credentials in it become basic auth and are never logged). */
  url: string;
  clock?: Clock;
  timeoutMs?: number;
  /** Firing alerts are re-sent this often. Default 60 s. */
  resendIntervalMs?: number;
  /**
   * How long a firing alert stays valid in Alertmanager without a re-send. Default
   * 4 × resendIntervalMs; set it above 3 poll intervals when `tick` only runs per poll.
   */
  validForMs?: number;
  generatorURL?: string;
  runbookUrl?: RunbookUrl;
  queue?: Partial<Pick<DeliveryQueueOptions<AlertmanagerItem>, 'maxSize' | 'batchSize' | 'baseDelayMs' | 'maxDelayMs' | 'random' | 'onDrop' | 'onError'>>;
  /** Injectable for tests; defaults to an HTTP POST. */
  post?: (url: string, body: AlertmanagerAlert[]) => Promise<void>;
}

export interface AlertmanagerNotifier {
  readonly receiver: string;
  readonly queue: DeliveryQueue<AlertmanagerItem>;
  /** Queue the changes of one evaluation. */
  notify(changes: readonly AlertChange[]): void;
  /** Re-send every firing alert when the resend interval has passed; true when it did. */
  resend(active: readonly Alert[]): boolean;
}

export function createAlertmanagerNotifier(o: AlertmanagerNotifierOptions): AlertmanagerNotifier {
  const clock = o.clock ?? systemClock;
  const resendIntervalMs = o.resendIntervalMs ?? 60_000;
  const validForMs = o.validForMs ?? 4 * resendIntervalMs;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const endpoint = `${o.url.replace(/\/+$/, '')}/api/v2/alerts`;
  const post = o.post ?? ((url: string, body: AlertmanagerAlert[]) => postJson(url, body, { timeoutMs }));
  const receiver = redactUrls(o.url);
  const queue = new DeliveryQueue<AlertmanagerItem>({
    ...o.queue,
    receiver,
    clock,
    send: (batch) => post(endpoint, alertmanagerBody(batch, clock.now(), validForMs)),
  });
  let lastResendAt = Number.NEGATIVE_INFINITY;

  const enqueue = (item: AlertmanagerItem) => queue.enqueue(item, { resolved: item.endsAt !== null, key: labelKey(item.labels) });

  return {
    receiver,
    queue,
    notify(changes) {
      for (const c of changes) for (const item of alertmanagerItemsForChange(c, o.generatorURL, o.runbookUrl)) enqueue(item);
    },
    resend(active) {
      const now = clock.now();
      if (now - lastResendAt < resendIntervalMs) return false;
      lastResendAt = now;
      const g = { ...(o.generatorURL ? { generatorURL: o.generatorURL } : {}), ...(o.runbookUrl ? { runbookUrl: o.runbookUrl } : {}) };
      for (const a of active) if (a.state === 'firing') enqueue(alertmanagerItem(a, g));
      return true;
    },
  };
}
