// What goes wrong delivering to one receiver, logged at most once per interval (a minute)
// with counts. A dead Alertmanager during a mass failure means thousands of drops and a
// failed attempt every backoff: one line each would bury the log (and the disk) exactly
// when an operator reads it. The first trouble is logged at once; what follows within the
// interval is counted and written as one line when the interval ends.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { fmtDuration, fmtInt, plural } from '../format.js';
import type { DropReason } from './queue.js';

export interface TroubleCounts {
  /** Failed delivery attempts (each will be retried). */
  failed: number;
  /** Consecutive failures at the last attempt. */
  failures: number;
  retryInMs: number;
  lastError: string | null;
  dropped: number;
  droppedResolved: number;
  droppedFull: number;
  droppedRejected: number;
}

const none = (): TroubleCounts => ({ failed: 0, failures: 0, retryInMs: 0, lastError: null, dropped: 0, droppedResolved: 0, droppedFull: 0, droppedRejected: 0 });

export interface ReceiverTroubleLog {
  failed(error: unknown, consecutiveFailures: number, retryInMs: number): void;
  dropped(count: number, resolved: number, reason: DropReason | 'receiver-removed', error?: unknown): void;
  /** Write what is still counted (shutdown). */
  flush(): void;
  close(): void;
}

function message(receiver: string, c: TroubleCounts, windowMs: number | null): string {
  const parts: string[] = [];
  if (c.failed > 0) {
    const times = c.failed === 1 ? '' : ` ${fmtInt(c.failed)} times`;
    parts.push(`delivery to ${receiver} failed${times} (${fmtInt(c.failures)} in a row${c.lastError ? `, last: ${c.lastError}` : ''}), retrying in ${fmtDuration(Math.max(1, Math.round(c.retryInMs / 1000)))}`);
  }
  if (c.dropped > 0) {
    const other = c.dropped - c.droppedFull - c.droppedRejected;
    const why = [c.droppedFull ? `${fmtInt(c.droppedFull)} delivery queue full` : '', c.droppedRejected ? `${fmtInt(c.droppedRejected)} rejected by the receiver` : '', other > 0 ? `${fmtInt(other)} no longer configured` : '']
      .filter(Boolean)
      .join(', ');
    parts.push(`dropped ${plural(c.dropped, 'notification')}${c.failed > 0 ? '' : ` for ${receiver}`} (${why}; ${fmtInt(c.droppedResolved)} resolved)`);
  }
  return `${parts.join('; ')}${windowMs !== null ? ` in the last ${fmtDuration(Math.round(windowMs / 1000))}` : ''}`;
}

export function receiverTroubleLog(o: { receiver: string; logger: Pick<Logger, 'warn'>; clock: Clock; intervalMs?: number }): ReceiverTroubleLog {
  const interval = o.intervalMs ?? 60_000;
  let lastLineAt = Number.NEGATIVE_INFINITY;
  let pending = none();
  let timer: unknown = undefined;
  let closed = false;

  const write = (windowMs: number | null) => {
    const c = pending;
    pending = none();
    lastLineAt = o.clock.now();
    if (c.failed === 0 && c.dropped === 0) return;
    o.logger.warn(
      {
        event: 'notification-trouble',
        receiver: o.receiver,
        failed: c.failed,
        failures: c.failures,
        retryInMs: c.retryInMs,
        dropped: c.dropped,
        droppedResolved: c.droppedResolved,
        droppedFull: c.droppedFull,
        droppedRejected: c.droppedRejected,
        ...(c.lastError ? { error: c.lastError } : {}),
      },
      message(o.receiver, c, windowMs),
    );
  };

  const noted = () => {
    if (closed) return;
    const now = o.clock.now();
    if (now - lastLineAt >= interval && timer === undefined) {
      write(null);
      return;
    }
    if (timer === undefined) {
      timer = o.clock.setTimeout(() => {
        timer = undefined;
        write(interval);
      }, Math.max(0, lastLineAt + interval - now));
    }
  };

  return {
    failed(error, failures, retryInMs) {
      pending.failed++;
      pending.failures = failures;
      pending.retryInMs = retryInMs;
      pending.lastError = error instanceof Error ? error.message : String(error);
      noted();
    },
    dropped(count, resolved, reason, error) {
      if (count <= 0) return;
      pending.dropped += count;
      pending.droppedResolved += resolved;
      if (reason === 'full') pending.droppedFull += count;
      else if (reason === 'rejected') pending.droppedRejected += count;
      if (error !== undefined) pending.lastError = error instanceof Error ? error.message : String(error);
      noted();
    },
    flush() {
      if (timer !== undefined) o.clock.clearTimeout(timer);
      timer = undefined;
      write(null);
    },
    close() {
      this.flush();
      closed = true;
    },
  };
}
