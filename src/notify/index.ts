// Every receiver behind one call: the daemon hands over each evaluation's alert changes
// and the firing alerts; the log gets one line per change, Alertmanagers and webhooks get
// queued deliveries. Queues can be saved and restored (see state.ts).
import type { Logger } from 'pino';
import type { Alert, AlertChange } from '../rules/index.js';
import { createAlertmanagerNotifier, type AlertmanagerItem, type AlertmanagerNotifier, type RunbookUrl } from './alertmanager.js';
import { logAlertChanges } from './log.js';
import { DeliveryQueue, systemClock, type Clock, type DeliveryQueueJSON, type QueuedItem, type QueueStats } from './queue.js';
import { createWebhookNotifier, type WebhookChange, type WebhookNotifier } from './webhook.js';
import { redactUrls } from '../redact.js';

export { saveState, loadState, readStateFile, stateWriter, type NotifiersJSON } from './state.js';
import type { NotifiersJSON } from './state.js';
export { postJson, DeliveryError, PermanentDeliveryError } from './http.js';
export { DeliveryQueue, systemClock, type Clock, type QueueStats, type DeliveryQueueJSON } from './queue.js';
export { createAlertmanagerNotifier, alertmanagerBody, alertmanagerItemsForChange } from './alertmanager.js';
export { createWebhookNotifier, webhookChange, webhookPayload } from './webhook.js';
export { logAlertChange, logAlertChanges } from './log.js';

export interface NotifiersOptions {
  alertmanagerUrls: readonly string[];
  webhookUrls: readonly string[];
  logger: Pick<Logger, 'error' | 'warn' | 'info'>;
  clock?: Clock;
  timeoutMs?: number;
  resendIntervalMs?: number;
  validForMs?: number;
  generatorURL?: string;
  /** Adds each alert's runbook_url annotation. */
  runbookUrl?: RunbookUrl;
  maxQueue?: number;
}

export interface Notifiers {
  /** Log and queue one evaluation's changes; re-send firing alerts to Alertmanager when due. */
  deliver(changes: readonly AlertChange[], active: readonly Alert[]): void;
  /** For warren_notifications_{queued,failed_total,dropped_total}{receiver}. */
  stats(): QueueStats[];
  /** Shutdown: try to deliver what is queued, for at most `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
  close(): void;
  toJSON(): NotifiersJSON;
  /** Put back the items of saved queues (receivers no longer configured are dropped, and logged). */
  restore(saved: NotifiersJSON | null | undefined): void;
}

export function createNotifiers(o: NotifiersOptions): Notifiers {
  const clock = o.clock ?? systemClock;
  const hooks = (receiver: string) => ({
    maxSize: o.maxQueue ?? 1000,
    onDrop(items: ReadonlyArray<QueuedItem<unknown>>, reason: string, error?: unknown) {
      o.logger.warn(
        { event: 'notification-dropped', receiver, count: items.length, resolved: items.filter((i) => i.resolved).length, reason, error: error instanceof Error ? error.message : undefined },
        `dropped ${items.length} notification(s) for ${receiver}: ${reason === 'full' ? 'delivery queue full' : 'rejected by the receiver'}`,
      );
    },
    onError(error: unknown, failures: number, retryInMs: number) {
      o.logger.warn(
        { event: 'notification-failed', receiver, failures, retryInMs, error: error instanceof Error ? error.message : String(error) },
        `delivery to ${receiver} failed (${failures} in a row), retrying in ${Math.round(retryInMs / 1000)} s`,
      );
    },
  });
  const common = { clock, ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}) };
  const ams: AlertmanagerNotifier[] = o.alertmanagerUrls.map((url) =>
    createAlertmanagerNotifier({
      url,
      ...common,
      ...(o.resendIntervalMs !== undefined ? { resendIntervalMs: o.resendIntervalMs } : {}),
      ...(o.validForMs !== undefined ? { validForMs: o.validForMs } : {}),
      ...(o.generatorURL !== undefined ? { generatorURL: o.generatorURL } : {}),
      ...(o.runbookUrl !== undefined ? { runbookUrl: o.runbookUrl } : {}),
      queue: hooks(redactUrls(url)),
    }),
  );
  const webhooks: WebhookNotifier[] = o.webhookUrls.map((url) => createWebhookNotifier({ url, ...common, queue: hooks(redactUrls(url)) }));
  const queues = (): Array<DeliveryQueue<unknown>> => [...ams.map((a) => a.queue), ...webhooks.map((w) => w.queue)] as Array<DeliveryQueue<unknown>>;

  return {
    deliver(changes, active) {
      logAlertChanges(o.logger, changes);
      for (const am of ams) {
        am.notify(changes);
        am.resend(active);
      }
      for (const w of webhooks) w.notify(changes);
    },
    stats: () => queues().map((q) => q.stats()),
    async drain(timeoutMs) {
      await Promise.all(queues().map((q) => q.drain(timeoutMs)));
    },
    close() {
      for (const q of queues()) q.close();
    },
    toJSON() {
      const out: NotifiersJSON = { queues: {} };
      for (const q of queues()) out.queues[q.receiver] = q.toJSON();
      return out;
    },
    restore(saved) {
      if (!saved?.queues) return;
      for (const [receiver, data] of Object.entries(saved.queues)) {
        const am = ams.find((a) => a.receiver === receiver);
        const wh = webhooks.find((w) => w.receiver === receiver);
        const items = Array.isArray(data?.items) ? data.items : [];
        if (am) for (const i of items as Array<QueuedItem<AlertmanagerItem>>) am.queue.enqueue(i.payload, { resolved: i.resolved, ...(i.key !== undefined ? { key: i.key } : {}) });
        else if (wh) for (const i of items as Array<QueuedItem<WebhookChange>>) wh.queue.enqueue(i.payload, { resolved: i.resolved });
        else if (items.length > 0)
          o.logger.warn({ event: 'notification-dropped', receiver, count: items.length, reason: 'receiver-removed' }, `dropped ${items.length} saved notification(s) for ${receiver}: no longer configured`);
      }
    },
  };
}
