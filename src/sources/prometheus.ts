// Per-queue depth and consumers from the rabbitmq_prometheus plugin's
// /metrics/detailed endpoint: node-local and several times cheaper than the
// management API's stats-augmented /api/queues on large brokers.
import { queueKey } from './types.js';
import { drain } from '../slices.js';
import { SourceError } from './http.js';

export const DETAILED_PATH = '/metrics/detailed?family=queue_coarse_metrics&family=queue_consumer_count';

export interface PluginQueueDepth {
  ready: number;
  unacked: number;
  messages: number;
  consumers: number;
}

const FIELD: Record<string, keyof PluginQueueDepth> = {
  rabbitmq_detailed_queue_messages_ready: 'ready',
  rabbitmq_detailed_queue_messages_unacked: 'unacked',
  rabbitmq_detailed_queue_messages: 'messages',
  rabbitmq_detailed_queue_consumers: 'consumers',
};

const SIMPLE_LINE = /^(rabbitmq_detailed_queue_[a-z_]+)\{vhost="([^"\\]*)",queue="([^"\\]*)"\} (\S+)$/;

/** Parses the exposition text into queueKey -> depth. Lines of other families are skipped. */
export function parseDetailed(text: string): Map<string, PluginQueueDepth> {
  return drain(parseDetailedSteps(text));
}

/** Lines parsed between two yields: a few milliseconds (~0.25 MB of text). */
const LINES_PER_SLICE = 4000;

/** parseDetailed in slices: at 50k queues the text is ~25 MB, about a second to parse in one go. */
export function* parseDetailedSteps(text: string): Generator<void, Map<string, PluginQueueDepth>> {
  const out = new Map<string, PluginQueueDepth>();
  let sawFamily = false;
  let pos = 0;
  let inSlice = 0;
  while (pos < text.length) {
    if (++inSlice === LINES_PER_SLICE) {
      inSlice = 0;
      yield;
    }
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    const line = text.slice(pos, end);
    pos = end + 1;
    if (line.length === 0 || line.charCodeAt(0) === 35 /* # */) {
      if (line.startsWith('# TYPE rabbitmq_detailed_queue_')) sawFamily = true;
      continue;
    }
    let vhost: string | undefined;
    let queue: string | undefined;
    let value: number;
    let field: keyof PluginQueueDepth | undefined;
    // The plugin writes `name{vhost="..",queue=".."} value`: one regex match per line
    // (~40k lines a poll at 10k queues); anything else (escapes, other label order) goes
    // through the general label parser.
    const m = SIMPLE_LINE.exec(line);
    if (m) {
      field = FIELD[m[1]!];
      if (!field) continue;
      vhost = m[2];
      queue = m[3];
      value = Number(m[4]);
    } else {
      const brace = line.indexOf('{');
      if (brace === -1) continue;
      field = FIELD[line.slice(0, brace)];
      if (!field) continue;
      const close = line.lastIndexOf('}');
      const labels = parseLabels(line.slice(brace + 1, close));
      value = Number(line.slice(close + 1).trim().split(' ')[0]);
      vhost = labels.vhost;
      queue = labels.queue;
    }
    if (vhost === undefined || queue === undefined || !Number.isFinite(value)) continue;
    const key = queueKey({ vhost, name: queue });
    let d = out.get(key);
    if (!d) out.set(key, (d = { ready: 0, unacked: 0, messages: 0, consumers: 0 }));
    d[field] = value;
  }
  if (!sawFamily) throw new SourceError('malformed', 'the Prometheus plugin answered without queue families; is it rabbitmq_prometheus 3.9 or later?');
  return out;
}

function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq === -1) break;
    let name = s.slice(i, eq).trim();
    if (name.charCodeAt(0) === 44 /* , */) name = name.slice(1).trim();
    let j = eq + 2; // skip ="
    let value = '';
    const quote = s.indexOf('"', j);
    const backslash = s.indexOf('\\', j);
    if (quote !== -1 && (backslash === -1 || backslash > quote)) {
      // No escape in the value (the usual case): one slice, not a string built char by char.
      // At 50k queues this parser reads ~200k lines a poll.
      value = s.slice(j, quote);
      j = quote;
    } else {
      while (j < s.length && s[j] !== '"') {
        if (s[j] === '\\' && j + 1 < s.length) {
          const n = s[j + 1];
          value += n === 'n' ? '\n' : n;
          j += 2;
        } else {
          value += s[j];
          j++;
        }
      }
    }
    out[name] = value;
    i = j + 1;
    if (s[i] === ',') i++;
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
