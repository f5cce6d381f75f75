// Per-queue depth and consumers from the rabbitmq_prometheus plugin's
// /metrics/detailed endpoint: node-local and several times cheaper than the
// management API's stats-augmented /api/queues on large brokers.
import { queueKey } from './types.js';
import { drain } from '../slices.js';
import { SourceError } from './http.js';

export const DETAILED_PATH = '/metrics/detailed?family=queue_coarse_metrics&family=queue_consumer_count';

export interface PluginQueueDepth {
  // null only for a queue asked of the management API before its first statistics (src/sources/parse.ts).
  ready: number | null;
  unacked: number | null;
  messages: number | null;
  consumers: number | null;
}

const FIELD: Record<string, keyof PluginQueueDepth> = {
  rabbitmq_detailed_queue_messages_ready: 'ready',
  rabbitmq_detailed_queue_messages_unacked: 'unacked',
  rabbitmq_detailed_queue_messages: 'messages',
  rabbitmq_detailed_queue_consumers: 'consumers',
};

/** How the plugin lays out the labels of its per-queue families: 3.x writes vhost then queue. */
const LAYOUTS: ReadonlyArray<readonly [first: 'vhost' | 'queue', second: 'vhost' | 'queue']> = [
  ['vhost', 'queue'],
  ['queue', 'vhost'],
];
const FAMILY_BITS: Record<keyof PluginQueueDepth, number> = { ready: 1, unacked: 2, messages: 4, consumers: 8 };
const ALL_FAMILIES = 15;

/** One queue as read from one node's answer. */
interface Tally {
  depth: PluginQueueDepth;
  /** Families seen (FAMILY_BITS). */
  seen: number;
  /** A family seen twice, or a line that could be this queue's or another's: not to be trusted. */
  doubtful: boolean;
}

/** What one or several nodes' answers say, read against the queue listing. */
export interface PluginReading {
  /** Queues whose every family was read exactly once and attributed with certainty, by queueKey. */
  depth: Map<string, PluginQueueDepth>;
  /**
   * Listed queues the answer names but that cannot be trusted: a line that fits two
   * listed queues (RabbitMQ 3.10 writes label values unescaped, so `a",queue="b` is
   * ambiguous), a family seen twice (a name with a newline can forge a line), or some
   * family missing. Their numbers are to be asked of the management API, one by one.
   */
  uncertain: Set<string>;
  /** The part of `uncertain` that is only missing families (another node may have them all). */
  incomplete: Set<string>;
  /** Lines naming no listed queue (one newer than the listing, or the pieces of a name cut by a newline). */
  unlisted: number;
}

/**
 * Reads the plugin's answer against the queue listing (`listed`: queueKeys). RabbitMQ
 * 3.10.8 writes label values as they are (`queue="compute.cmp-10"0"`), later versions
 * escape them (`\"`, `\\`, `\n`): each line is split at every place the known label
 * layout allows, read both ways, and attributed only when exactly one reading names a
 * listed queue. Lines are cut at the last `"} ` (a value is a number, so the name is
 * everything before it). Anything less than certain goes to `uncertain`, never to
 * another queue's numbers.
 */
export function* readDetailedSteps(text: string, listed: ReadonlySet<string>): Generator<void, PluginReading> {
  const tallies = new Map<string, Tally>();
  let unlisted = 0;
  const tally = (key: string): Tally => {
    let t = tallies.get(key);
    if (!t) tallies.set(key, (t = { depth: { ready: 0, unacked: 0, messages: 0, consumers: 0 }, seen: 0, doubtful: false }));
    return t;
  };
  yield* scanLines(text, (field, inner, value) => {
    const keys = readingsOf(inner, (k) => listed.has(k));
    if (keys.length === 0) {
      unlisted++;
      return;
    }
    if (keys.length > 1) {
      for (const k of keys) tally(k).doubtful = true;
      return;
    }
    const t = tally(keys[0]!);
    const bit = FAMILY_BITS[field];
    if (t.seen & bit) t.doubtful = true;
    t.seen |= bit;
    t.depth[field] = value;
  });
  const depth = new Map<string, PluginQueueDepth>();
  const uncertain = new Set<string>();
  const incomplete = new Set<string>();
  for (const [key, t] of tallies) {
    if (t.doubtful) uncertain.add(key);
    else if (t.seen !== ALL_FAMILIES) {
      uncertain.add(key);
      incomplete.add(key);
    } else depth.set(key, t.depth);
  }
  return { depth, uncertain, incomplete, unlisted };
}

/**
 * Several nodes' readings as one. A queue is certain when some node read all its
 * families, no node doubted it (ambiguous or repeated lines), and the nodes that read it
 * agree; missing families on one node are not doubt if another node has them all.
 */
export function mergeReadings(readings: readonly PluginReading[]): PluginReading {
  const depth = new Map<string, PluginQueueDepth>();
  const doubtful = new Set<string>();
  const incomplete = new Set<string>();
  let unlisted = 0;
  for (const r of readings) {
    unlisted += r.unlisted;
    for (const k of r.uncertain) (r.incomplete.has(k) ? incomplete : doubtful).add(k);
    for (const [k, d] of r.depth) {
      const other = depth.get(k);
      if (other && (other.ready !== d.ready || other.unacked !== d.unacked || other.messages !== d.messages || other.consumers !== d.consumers)) doubtful.add(k);
      depth.set(k, d);
    }
  }
  const uncertain = new Set(doubtful);
  for (const k of incomplete) if (!depth.has(k)) uncertain.add(k);
  for (const k of uncertain) depth.delete(k);
  return { depth, uncertain, incomplete: new Set([...incomplete].filter((k) => uncertain.has(k) && !doubtful.has(k))), unlisted };
}

/**
 * Parses the exposition text into queueKey -> depth without a queue listing: each label
 * value read escaped where that is well-formed, else as written. For tools and tests;
 * the collector reads with the listing (readDetailedSteps), which never guesses.
 */
export function parseDetailed(text: string): Map<string, PluginQueueDepth> {
  return drain(parseDetailedSteps(text));
}

/** parseDetailed in slices: at 50k queues the text is ~25 MB, about a second to parse in one go. */
export function* parseDetailedSteps(text: string): Generator<void, Map<string, PluginQueueDepth>> {
  const out = new Map<string, PluginQueueDepth>();
  yield* scanLines(text, (field, inner, value) => {
    const key = readingsOf(inner, () => true)[0];
    if (key === undefined) return;
    let d = out.get(key);
    if (!d) out.set(key, (d = { ready: 0, unacked: 0, messages: 0, consumers: 0 }));
    d[field] = value;
  });
  return out;
}

/** Lines parsed between two yields: a few milliseconds (~0.25 MB of text). */
const LINES_PER_SLICE = 4000;

/**
 * Calls `line` with the family's field, the text between `{` and the last `"} ` (plus
 * the closing quote), and the value, for each sample line of a per-queue family.
 * Throws when the answer holds no per-queue family at all (not the plugin).
 */
function* scanLines(text: string, line: (field: keyof PluginQueueDepth, inner: string, value: number) => void): Generator<void, void> {
  let sawFamily = false;
  yield* familyLines(text, FIELD, (start) => {
    if (text.startsWith('# TYPE rabbitmq_detailed_queue_', start)) sawFamily = true;
  }, line);
  if (!sawFamily) throw new SourceError('malformed', 'the Prometheus plugin answered without queue families; is it rabbitmq_prometheus 3.9 or later?');
}

/**
 * The plugin's text answer, line by line, yielding every LINES_PER_SLICE lines: `comment`
 * gets the offset of each `#` line; `line` gets, for each sample of a family `fields`
 * names, its field, the text between `{` and the last `"} ` (plus the closing quote), and
 * the value. Label values are not unescaped here (3.10 writes them unescaped): the
 * callers read `inner` with readingsOf.
 */
export function* familyLines<F>(
  text: string,
  fields: Readonly<Record<string, F>>,
  comment: (start: number) => void,
  line: (field: F, inner: string, value: number) => void,
): Generator<void, void> {
  let pos = 0;
  let inSlice = 0;
  while (pos < text.length) {
    if (++inSlice === LINES_PER_SLICE) {
      inSlice = 0;
      yield;
    }
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    const start = pos;
    pos = end + 1;
    const first = text.charCodeAt(start);
    if (first === 35 /* # */) {
      comment(start);
      continue;
    }
    if (first !== 114 /* r */) continue;
    const brace = text.indexOf('{', start);
    if (brace === -1 || brace > end) continue;
    const field = fields[text.slice(start, brace)];
    if (field === undefined) continue;
    const close = text.lastIndexOf('"} ', end);
    if (close < brace) continue;
    const valueEnd = text.indexOf(' ', close + 3);
    const value = Number(text.slice(close + 3, valueEnd === -1 || valueEnd > end ? end : valueEnd));
    if (!Number.isFinite(value)) continue;
    line(field, text.slice(brace + 1, close + 1), value);
  }
}

/**
 * The queueKeys `inner` (`vhost="V",queue="Q"`, written escaped or not) can stand for
 * that `accept` accepts, without repeats. The usual line (one separator, no backslash)
 * has exactly one reading and costs one slice and one lookup.
 */
export function readingsOf(inner: string, accept: (key: string) => boolean): string[] {
  const out: string[] = [];
  const add = (vhost: string, queue: string) => {
    const key = queueKey({ vhost, name: queue });
    if (!out.includes(key) && accept(key)) out.push(key);
  };
  const escapes = inner.includes('\\');
  for (const [a, b] of LAYOUTS) {
    const open = `${a}="`;
    if (!inner.startsWith(open) || inner.length < open.length + 1 || inner.charCodeAt(inner.length - 1) !== 34) continue;
    const body = inner.slice(open.length, -1);
    const sep = `",${b}="`;
    for (let p = body.indexOf(sep); p !== -1; p = body.indexOf(sep, p + 1)) {
      const first = body.slice(0, p);
      const second = body.slice(p + sep.length);
      const [vhost, queue] = a === 'vhost' ? [first, second] : [second, first];
      // Escaped first: where both readings are listed the line is ambiguous either way.
      if (escapes || first.includes('"') || second.includes('"')) {
        const v = unescapeLabel(vhost);
        const q = unescapeLabel(queue);
        if (v !== null && q !== null) add(v, q);
      }
      add(vhost, queue);
    }
  }
  return out;
}

/** A label value written with the exposition format's escapes, or null where it is not well-formed (a bare `"`, a stray `\`). */
function unescapeLabel(s: string): string | null {
  if (!s.includes('\\')) return s.includes('"') ? null : s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') return null;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = s[++i];
    if (n === '\\' || n === '"') out += n;
    else if (n === 'n') out += '\n';
    else return null;
  }
  return out;
}

/**
 * Where each node's plugin listens. One node: the configured plugin URL. Several:
 * the same scheme and port on each node's host (the part after `@` in its name),
 * because the plugin is node-local and must be asked on every node.
 */
export function pluginUrls(base: string, nodeNames: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const u = new URL(base);
  if (nodeNames.length <= 1) {
    out.set(nodeNames[0] ?? '', `${u.protocol}//${u.host}`);
    return out;
  }
  for (const n of nodeNames) {
    const host = n.includes('@') ? n.slice(n.indexOf('@') + 1) : u.hostname;
    const bracketed = host.includes(':') ? `[${host}]` : host;
    out.set(n, `${u.protocol}//${bracketed}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`);
  }
  return out;
}
