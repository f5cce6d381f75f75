// Issue 12, item 1: the plugin's /metrics/detailed read against the queue listing.
// RabbitMQ 3.10.8 writes label values unescaped, later versions escape them; either way
// a queue's numbers are its own, or the queue is handed to the management API: never
// another queue's numbers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { queueKey } from '../../src/snapshot/rates.js';
import { SourceError, type HttpClient } from '../../src/sources/http.js';
import { pluginDepth, MAX_SINGLE_QUEUE_REQUESTS } from '../../src/sources/plugin-depth.js';
import { drain } from '../../src/slices.js';
import { mergeReadings, readDetailedSteps, type PluginQueueDepth } from '../../src/sources/prometheus.js';
import type { RawQueue } from '../../src/sources/parse.js';

interface Q extends PluginQueueDepth {
  vhost: string;
  name: string;
}

const FAMILIES = [
  ['rabbitmq_detailed_queue_messages_ready', 'ready'],
  ['rabbitmq_detailed_queue_messages_unacked', 'unacked'],
  ['rabbitmq_detailed_queue_messages', 'messages'],
  ['rabbitmq_detailed_queue_process_reductions_total', null],
  ['rabbitmq_detailed_queue_consumers', 'consumers'],
] as const;

const escape = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The plugin's answer as 3.10.8 writes it (`escaped` false) or as later versions do. */
function exposition(queues: readonly Q[], escaped: boolean): string {
  const v = escaped ? escape : (s: string) => s;
  const out: string[] = [];
  for (const [family, field] of FAMILIES) {
    out.push(`# TYPE ${family} gauge`, `# HELP ${family} help`);
    for (const q of queues) out.push(`${family}{vhost="${v(q.vhost)}",queue="${v(q.name)}"} ${field ? q[field] : 12345}`);
  }
  out.push('# TYPE rabbitmq_build_info untyped', 'rabbitmq_build_info{rabbitmq_version="3.10.8"} 1');
  return out.join('\n') + '\n';
}

const read = (queues: readonly Q[], escaped: boolean) => drain(readDetailedSteps(exposition(queues, escaped), new Set(queues.map(queueKey))));
const numbers = (q: Q): PluginQueueDepth => ({ ready: q.ready, unacked: q.unacked, messages: q.messages, consumers: q.consumers });
const q = (name: string, n: Partial<PluginQueueDepth> = {}, vhost = '/'): Q => ({ vhost, name, ready: 0, unacked: 0, messages: 0, consumers: 0, ...n });

describe('the plugin reader, with the queue listing', () => {
  for (const escaped of [false, true]) {
    it(`keeps a dead compute.cmp-10 and its consumed look-alike compute.cmp-10"k apart (${escaped ? 'escaped' : '3.10.8, unescaped'})`, () => {
      const queues = [
        q('compute.cmp-10', { ready: 5, messages: 5 }),
        q('compute.cmp-10"k', { consumers: 1 }),
        q('compute.cmp-10"0', { consumers: 2, unacked: 3, messages: 3 }),
        q('a,b=c}d{e', { consumers: 4 }),
        q('ünï"cødé\\', { messages: 7, ready: 7 }),
      ];
      const r = read(queues, escaped);
      expect(r.uncertain.size).toBe(0);
      expect(r.unlisted).toBe(0);
      for (const x of queues) expect(r.depth.get(queueKey(x))).toEqual(numbers(x));
    });
  }

  it('hands both queues to the management API when a 3.10 line fits two listed queues', () => {
    // vhost "/" queue `a",queue="b` and vhost `/",queue="a` queue "b" print the same line unescaped.
    const one = q('a",queue="b', { consumers: 1 });
    const two = q('b', { ready: 5, messages: 5 }, '/",queue="a');
    const bystander = q('c', { consumers: 3 });
    const r = read([one, two, bystander], false);
    expect([...r.uncertain].sort()).toEqual([queueKey(one), queueKey(two)].sort());
    expect(r.depth.has(queueKey(one))).toBe(false);
    expect(r.depth.has(queueKey(two))).toBe(false);
    expect(r.depth.get(queueKey(bystander))).toEqual(numbers(bystander));
    // Escaped, the two lines differ: both are certain.
    const e = read([one, two, bystander], true);
    expect(e.uncertain.size).toBe(0);
    expect(e.depth.get(queueKey(two))).toEqual(numbers(two));
  });

  it('does not let a name with a newline forge another queue\'s line', () => {
    const victim = q('compute.cmp-11', { ready: 5, messages: 5 });
    const forger = q('x"} 0\nrabbitmq_detailed_queue_consumers{vhost="/",queue="compute.cmp-11', { consumers: 9 });
    const r = read([victim, forger], false);
    // The victim's consumers line comes twice (its own and the forged one): neither is trusted.
    expect(r.uncertain.has(queueKey(victim))).toBe(true);
    expect(r.depth.has(queueKey(victim))).toBe(false);
    expect(r.depth.has(queueKey(forger))).toBe(false);
  });

  it('counts lines of queues the listing lacks, so a stale listing is asked again', () => {
    const listed = [q('a', { consumers: 1 })];
    const text = exposition([...listed, q('new')], false);
    const r = drain(readDetailedSteps(text, new Set(listed.map(queueKey))));
    expect(r.unlisted).toBe(4);
    expect(r.depth.get(queueKey(listed[0]!))).toEqual(numbers(listed[0]!));
  });

  it('refuses an answer that is not the plugin\'s', () => {
    expect(() => drain(readDetailedSteps('<html>nope</html>', new Set()))).toThrow(SourceError);
  });

  // Characters the broker allows in names that matter to the exposition format, and whole
  // fragments of its syntax.
  const hostileChar = fc.constantFrom('"', '\\', ',', '=', '}', '{', '\n', ' ', 'n', 'a', '/', 'é', '🐇', '"} 5', '",queue="', '",vhost="', 'vhost="', '\\"', '\\n', '\\\\');
  const hostile = fc.array(hostileChar, { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
  const plain = fc.stringMatching(/^[a-z0-9._-]{1,12}$/);
  const count = fc.nat(1000);
  const queue = fc.record({
    vhost: fc.oneof({ weight: 4, arbitrary: fc.constant('/') }, { weight: 1, arbitrary: hostile }),
    name: fc.oneof(plain, hostile, fc.tuple(plain, hostile).map(([a, b]) => a + b)),
    ready: count,
    unacked: count,
    messages: count,
    consumers: fc.nat(20),
  });
  const queues = fc.uniqueArray(queue, { minLength: 1, maxLength: 25, selector: (x) => queueKey(x) });

  for (const escaped of [false, true]) {
    it(`fuzz, ${escaped ? 'escaped' : 'unescaped'} labels: every queue has its own numbers or is handed over; plain names always read`, () => {
      fc.assert(
        fc.property(queues, (qs) => {
          const r = read(qs, escaped);
          const anyNewline = qs.some((x) => x.name.includes('\n') || x.vhost.includes('\n'));
          for (const x of qs) {
            const k = queueKey(x);
            const got = r.depth.get(k);
            if (got) expect(got).toEqual(numbers(x));
            else expect(r.uncertain.has(k) || anyNewline).toBe(true);
            expect(got !== undefined && r.uncertain.has(k)).toBe(false);
            // A name the format needs no escape for is read, unless some name with a newline forged lines.
            if (!anyNewline && !/["\\\n]/.test(x.name + x.vhost)) expect(got).toEqual(numbers(x));
          }
          // Without newlines no line is lost: each is some listed queue's.
          if (!anyNewline) expect(r.unlisted).toBe(0);
        }),
        { numRuns: 400 },
      );
    });
  }
});

describe('pluginDepth: doubtful queues asked of the management API', () => {
  /** A fake cluster: the plugin answers `text`, the management API knows `queues`. */
  function cluster(queues: readonly Q[], text: string) {
    const asked: string[] = [];
    const byPath = new Map(queues.map((x) => [`/api/queues/${encodeURIComponent(x.vhost)}/${encodeURIComponent(x.name)}`, x]));
    const http: HttpClient = {
      lifetime: { requests: 0, bytes: 0 },
      getText: async () => text,
      getJson: async () => null,
      close: async () => undefined,
    };
    const api = async (path: string) => {
      asked.push(path);
      const p = path.split('?')[0]!;
      if (p === '/api/queues') return queues.map((x) => ({ name: x.name, vhost: x.vhost, consumers: x.consumers, messages: x.messages, messages_ready: x.ready, messages_unacknowledged: x.unacked }));
      const x = byPath.get(p);
      if (!x) throw new SourceError('http', `${p} answered 404`, 404);
      return { name: x.name, vhost: x.vhost, consumers: x.consumers, messages: x.messages, messages_ready: x.ready, messages_unacknowledged: x.unacked };
    };
    const listing = { queues: queues.map((x) => ({ name: x.name, vhost: x.vhost }) as RawQueue) };
    return { http, api, asked, listing };
  }

  it('asks each doubtful queue by name and uses its answer; the rest come from the plugin', async () => {
    const one = q('a",queue="b', { consumers: 1 });
    const two = q('b', { ready: 5, messages: 5 }, '/",queue="a');
    const clean = q('compute.cmp-10', { ready: 5, messages: 5 });
    const c = cluster([one, two, clean], exposition([one, two, clean], false));
    const r = await pluginDepth({ http: c.http, pluginUrls: ['http://p'], counter: { requests: 0, bytes: 0 }, api: c.api, kept: null, fetchListing: async () => c.listing, statsDisabled: false });
    expect(r.fromManagement).toBe(2);
    expect(c.asked.map((p) => p.split('?')[0]).sort()).toEqual([`/api/queues/${encodeURIComponent('/",queue="a')}/b`, `/api/queues/%2F/${encodeURIComponent('a",queue="b')}`].sort());
    for (const x of [one, two, clean]) expect(r.depth.get(queueKey(x))).toEqual(numbers(x));
  });

  it('drops a doubtful queue deleted meanwhile (404), and lists every queue\'s numbers once when many are doubtful', async () => {
    const one = q('a",queue="b', { consumers: 1 });
    const two = q('b', { ready: 5, messages: 5 }, '/",queue="a');
    const c = cluster([two], exposition([one, two], false));
    const listing = { queues: [one, two].map((x) => ({ name: x.name, vhost: x.vhost }) as RawQueue) };
    const r = await pluginDepth({ http: c.http, pluginUrls: ['http://p'], counter: { requests: 0, bytes: 0 }, api: c.api, kept: null, fetchListing: async () => listing, statsDisabled: false });
    expect(r.listing.queues.map((x) => x.name)).toEqual(['b']);
    expect(r.depth.get(queueKey(two))).toEqual(numbers(two));

    const many = Array.from({ length: MAX_SINGLE_QUEUE_REQUESTS + 1 }, (_, i) => q(`n${i}"`, { consumers: i }));
    // Every line cut short: no queue can be vouched for.
    const m = cluster(many, exposition(many, false).replace(/"} (\d+)\n/g, '"}\n'));
    const rm = await pluginDepth({ http: m.http, pluginUrls: ['http://p'], counter: { requests: 0, bytes: 0 }, api: m.api, kept: null, fetchListing: async () => m.listing, statsDisabled: false });
    expect(m.asked.map((p) => p.split('?')[0])).toEqual(['/api/queues']);
    for (const x of many) expect(rm.depth.get(queueKey(x))).toEqual(numbers(x));
  });
});

describe('several nodes', () => {
  const listedOf = (qs: readonly Q[]) => new Set(qs.map(queueKey));
  it('a queue read whole on one node and partly on another is certain; doubted on any node, it is not', () => {
    const a = q('a', { consumers: 1 });
    const b = q('b', { ready: 2, messages: 2 });
    const whole = drain(readDetailedSteps(exposition([a, b], false), listedOf([a, b])));
    // Another node lists only a's consumers line.
    const partial = drain(readDetailedSteps('# TYPE rabbitmq_detailed_queue_consumers gauge\nrabbitmq_detailed_queue_consumers{vhost="/",queue="a"} 1\n', listedOf([a, b])));
    expect(partial.incomplete.has(queueKey(a))).toBe(true);
    const merged = mergeReadings([whole, partial]);
    expect(merged.depth.get(queueKey(a))).toEqual(numbers(a));
    expect(merged.uncertain.size).toBe(0);
    // A repeated line on the other node is doubt.
    const twice = drain(readDetailedSteps(exposition([a, a], false), listedOf([a, b])));
    const doubted = mergeReadings([whole, twice]);
    expect(doubted.uncertain.has(queueKey(a))).toBe(true);
    expect(doubted.depth.get(queueKey(b))).toEqual(numbers(b));
    // Partial everywhere: handed over.
    expect(mergeReadings([partial]).uncertain.has(queueKey(a))).toBe(true);
  });
});
