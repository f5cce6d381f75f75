// The plugin path's queue numbers: every node's /metrics/detailed read against the
// queue listing, and the queues the answer cannot vouch for asked of the management API
// (see readDetailedSteps in ./prometheus.ts for why a line can be doubtful).
import { queueKey } from './types.js';
import { sliced } from '../slices.js';
import type { RequestCounter, HttpClient } from './http.js';
import { COUNTER_FAMILIES, countersOf, readCounterSteps } from './plugin-counters.js';
import type { QueueCounters } from './types.js';
import { SourceError } from './http.js';
import { parseQueues, type RawQueue } from './parse.js';
import { DETAILED_PATH, mergeReadings, readDetailedSteps, type PluginQueueDepth, type PluginReading } from './prometheus.js';

/** Above this many doubtful queues, one listing of every queue's numbers is cheaper than a request each. */
export const MAX_SINGLE_QUEUE_REQUESTS = 50;
/** Single-queue requests in flight at once. */
const SINGLE_QUEUE_CONCURRENCY = 4;
const NUMBER_COLUMNS = 'name,vhost,consumers,messages,messages_ready,messages_unacknowledged';

export interface PluginDepthInput<L extends { readonly queues: readonly RawQueue[] }> {
  http: HttpClient;
  /** Each running node's plugin base URL. */
  pluginUrls: readonly string[];
  counter: RequestCounter;
  /** GET a management API path (relative to the cluster URL) as JSON. */
  api: (path: string) => Promise<unknown>;
  /** The kept listing, if it may be used; null: list now. */
  kept: L | null;
  /**
   * `kept` is a listing whose refresh failed lately: used as it is, never asked again this
   * poll, and its queues missing from the plugin's answer are taken as deleted.
   */
  keptStale?: boolean;
  /** Used instead, as a stale listing, when listing now does not answer in time; null: that fails the poll. */
  previous?: L | null;
  fetchListing: () => Promise<L>;
  statsDisabled: boolean;
}

export interface PluginDepth<L> {
  listing: L;
  /** Numbers for every listed queue still there, by queueKey. */
  depth: Map<string, PluginQueueDepth>;
  /** Queues the plugin's answer could not vouch for, asked of the management API instead. */
  fromManagement: number;
  /**
   * Every listed queue's message counters, summed over the open channels of every node
   * (./plugin-counters.ts); null where a line could be another queue's.
   */
  counters: Map<string, QueueCounters | null>;
  /** Why `listing` is the previous one: listing now did not answer in time; null when it answered or was not asked. */
  listingError: SourceError | null;
}

/**
 * Lists (or keeps) the queues and reads every node's plugin answer against them. The
 * kept listing is asked again when the answer lacks a queue it names. Queues listed but
 * doubtful or missing from the answer get their numbers from the management API; one
 * deleted meanwhile (404) is dropped from the listing. When listing does not answer in
 * time and there is a previous listing, that one is used, stale (see `keptStale`).
 */
export async function pluginDepth<L extends { readonly queues: readonly RawQueue[] }>(o: PluginDepthInput<L>): Promise<PluginDepth<L>> {
  let listingError: SourceError | null = null;
  // A broker too busy to list its queues in time still answers the plugin (the listing is
  // its costliest request at scale): poll on with the previous listing rather than fail.
  const listNow = () =>
    o.fetchListing().catch((err: unknown) => {
      if (!o.previous || !(err instanceof SourceError) || err.kind !== 'timeout') throw err;
      listingError = err;
      return null;
    });
  const [fetched, texts] = await Promise.all([
    o.kept ? Promise.resolve(null) : listNow(),
    Promise.all(o.pluginUrls.map((u) => o.http.getText(u + DETAILED_PATH + COUNTER_FAMILIES, o.counter, { auth: false }).catch((err: unknown) => {
      throw pluginError(err);
    }))),
  ]);
  let listing = fetched ?? o.kept ?? o.previous!;
  let reading = await readAll(texts, listing.queues);
  // A queue replaced by another keeps the count (which the caller checks): the one gone is
  // missing from the answer. A name with a newline breaks its own lines, so it is always
  // missing: it is asked of the management API below rather than the listing every poll.
  const absent = (r: PluginReading, q: RawQueue) => !r.depth.has(queueKey(q)) && !r.uncertain.has(queueKey(q)) && !/[\n\r]/.test(q.name + q.vhost);
  const stale = () => listingError !== null || (o.keptStale === true && fetched === null);
  if (!fetched && !stale() && listing.queues.some((q) => absent(reading, q))) {
    const relisted = await listNow();
    if (relisted) {
      listing = relisted;
      reading = await readAll(texts, listing.queues);
    }
  }
  // A stale listing is not asked again: what it lists and the plugin no longer shows is gone.
  if (stale() && listing.queues.some((q) => absent(reading, q))) {
    listing = { ...listing, queues: listing.queues.filter((q) => !absent(reading, q)) };
  }
  const depth = reading.depth;
  const missing = listing.queues.filter((q) => !depth.has(queueKey(q)));
  if (missing.length === 0) return { listing, depth, fromManagement: 0, counters: await countersAll(texts, listing.queues), listingError };

  const gone = new Set<string>();
  const numbers = missing.length > MAX_SINGLE_QUEUE_REQUESTS ? await allNumbers(o) : await singleNumbers(o, missing, gone);
  for (const q of missing) {
    const k = queueKey(q);
    const n = numbers.get(k);
    if (n) depth.set(k, n);
    else gone.add(k);
  }
  if (gone.size > 0) listing = { ...listing, queues: listing.queues.filter((q) => !gone.has(queueKey(q))) };
  return { listing, depth, fromManagement: missing.length - gone.size, counters: await countersAll(texts, listing.queues), listingError };
}

/**
 * The counters of every listed queue from the plugin alone, also for the queues whose
 * depth came from the management API: the management API's counters outlive closed
 * channels and the plugin's do not, so a queue switching between the two would show a
 * jump in its rate.
 */
async function countersAll(texts: readonly string[], queues: readonly RawQueue[]): Promise<Map<string, QueueCounters | null>> {
  const listed = new Set(queues.map(queueKey));
  const r = await sliced(readCounterSteps(texts, listed));
  const out = new Map<string, QueueCounters | null>();
  for (const k of listed) out.set(k, countersOf(r, k));
  return out;
}

async function readAll(texts: readonly string[], queues: readonly RawQueue[]): Promise<PluginReading> {
  const listed = new Set(queues.map(queueKey));
  const readings: PluginReading[] = [];
  for (const t of texts) readings.push(await sliced(readDetailedSteps(t, listed)));
  return mergeReadings(readings);
}

const totals = (statsDisabled: boolean) => (statsDisabled ? '&disable_stats=true&enable_queue_totals=true' : '');

async function singleNumbers(o: PluginDepthInput<{ readonly queues: readonly RawQueue[] }>, queues: readonly RawQueue[], gone: Set<string>): Promise<Map<string, PluginQueueDepth>> {
  const out = new Map<string, PluginQueueDepth>();
  let next = 0;
  const worker = async () => {
    while (next < queues.length) {
      const q = queues[next++]!;
      let answer: unknown;
      try {
        answer = await o.api(`/api/queues/${encodeURIComponent(q.vhost)}/${encodeURIComponent(q.name)}?columns=${NUMBER_COLUMNS}${totals(o.statsDisabled)}`);
      } catch (err) {
        // Deleted since it was listed.
        if (err instanceof SourceError && err.status === 404) {
          gone.add(queueKey(q));
          continue;
        }
        throw err;
      }
      if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) {
        throw new SourceError('malformed', `the management API answered queue "${q.name}" in vhost "${q.vhost}" with something other than a queue`);
      }
      const [r] = parseQueues([answer], o.statsDisabled);
      out.set(queueKey(q), { ready: r!.ready, unacked: r!.unacked, messages: r!.messages, consumers: r!.consumers });
    }
  };
  await Promise.all(Array.from({ length: SINGLE_QUEUE_CONCURRENCY }, worker));
  return out;
}

async function allNumbers(o: PluginDepthInput<{ readonly queues: readonly RawQueue[] }>): Promise<Map<string, PluginQueueDepth>> {
  const qs = parseQueues(await o.api(`/api/queues?columns=${NUMBER_COLUMNS}${totals(o.statsDisabled)}`), o.statsDisabled);
  return new Map(qs.map((r) => [queueKey(r), { ready: r.ready, unacked: r.unacked, messages: r.messages, consumers: r.consumers }]));
}

/**
 * A plugin request's error with the plugin's own hint: the generic one names the management
 * plugin and --url, which are not what is wrong here.
 */
function pluginError(err: unknown): Error {
  if (!(err instanceof SourceError)) return err as Error;
  const what = err.message.replace(/:\s*(is RabbitMQ running|check --url)[^]*$/, '');
  return new SourceError(
    err.kind,
    `${what}: is the rabbitmq_prometheus plugin enabled (rabbitmq-plugins enable rabbitmq_prometheus), and is --prometheus-url (prometheusUrl in the config) right?`,
    err.status,
  );
}
