// Parsing recorded RabbitMQ 3.10.8 responses (fixtures) and hostile variants.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SourceError } from '../../src/sources/http.js';
import { parseConnections, parseConsumers, parseNodes, parseOverview, parseQueues } from '../../src/sources/parse.js';
import { parseDetailed, parseDetailedSteps, pluginUrls } from '../../src/sources/prometheus.js';

const FIX = join(import.meta.dirname, '../fixtures/rabbitmq-3.10.8');
const json = (name: string): unknown => JSON.parse(readFileSync(join(FIX, name), 'utf8'));

describe('management API parsing (recorded 3.10.8 responses)', () => {
  it('reads the overview: versions, cluster name, totals and churn counters', () => {
    const o = parseOverview(json('overview.json'));
    expect(o.broker.version).toBe('3.10.8');
    expect(o.broker.erlang).toBe('25.2.3');
    expect(o.broker.statsDisabled).toBe(false);
    expect(o.clusterName).toBe('wtry@vm');
    expect(o.totals.queues).toBe(3);
    expect(o.totals.messages).toBe(10);
    expect(o.totals.published).toBe(10);
    expect(o.totals.connectionsCreated).toBeGreaterThan(0);
  });

  it('reads nodes with alarms, limits, uptime and the rabbit version', () => {
    const [n] = parseNodes(json('nodes.json'));
    expect(n!.name).toBe('wtry@localhost');
    expect(n!.running).toBe(true);
    expect(n!.memLimit).toBeGreaterThan(n!.memUsed);
    expect(n!.memAlarm).toBe(false);
    expect(n!.diskFreeLimit).toBe(50_000_000);
    expect(n!.fdTotal).toBeGreaterThan(0);
    expect(n!.rabbitmqVersion).toBe('3.10.8');
    expect(n!.partitions).toEqual([]);
  });

  it('reads queues: depth, consumers, x-expires, type, counters and quorum members', () => {
    const qs = parseQueues(json('queues-full.json'), false);
    const compute = qs.find((q) => q.name === 'compute.cmp-01')!;
    expect(compute).toMatchObject({ messages: 10, ready: 10, unacked: 0, consumers: 0, type: 'classic', expiresMs: null });
    expect(compute.counters?.published).toBe(10);
    expect(compute.idleSince).toBeGreaterThan(Date.parse('2026-01-01'));
    const reply = qs.find((q) => q.name.startsWith('reply_'))!;
    expect(reply.expiresMs).toBe(1_800_000);
    const qq = qs.find((q) => q.name === 'qq1')!;
    expect(qq.type).toBe('quorum');
    expect(qq.members).toEqual(['wtry@localhost']);
    expect(qq.leader).toBe('wtry@localhost');
  });

  it('reads connections with the oslo connection_name and joins consumers by broker connection name', () => {
    const [c] = parseConnections(json('connections.json'));
    expect(c!.clientName).toBe('nova-compute:4242:0b9c5f3e-1111-2222-3333-444455556666');
    expect(c!.peerHost).toBe('127.0.0.1');
    expect(c!.timeout).toBe(60);
    const [consumer] = parseConsumers(json('consumers.json'));
    expect(consumer!.connection).toBe(c!.name);
  });

  it('turns a wrong top-level shape into a clear SourceError, and odd fields into neutral defaults', () => {
    expect(() => parseQueues({ error: 'x' }, false)).toThrow(SourceError);
    expect(() => parseQueues(null, false)).toThrow(/null where a list was expected/);
    expect(() => parseOverview([1, 2])).toThrow(SourceError);
    const [q] = parseQueues([{ name: 7, messages: 'lots', arguments: 'x', members: [1, 'a'] }, 'junk'], false);
    expect(q).toMatchObject({ name: '', messages: 0, expiresMs: null, members: ['a'], vhost: '/' });
    expect(parseNodes([{ name: 'n', uptime: Infinity, partitions: 'p' }])[0]).toMatchObject({ uptimeMs: 0, partitions: [] });
  });
});

describe('plugin /metrics/detailed parsing', () => {
  it('reads depth and consumers per queue from the recorded exposition', () => {
    const m = parseDetailed(readFileSync(join(FIX, 'prometheus-detailed.txt'), 'utf8'));
    expect(m.get('/\u0000compute.cmp-01')).toEqual({ ready: 10, unacked: 0, messages: 10, consumers: 0 });
    expect(m.get('/\u0000reply_0123456789abcdef0123456789abcdef')?.consumers).toBe(1);
  });

  it('unescapes label values and refuses an answer without queue families', () => {
    const text = '# TYPE rabbitmq_detailed_queue_messages gauge\nrabbitmq_detailed_queue_messages{vhost="a\\"b",queue="x\\\\y"} 4\n';
    expect(parseDetailed(text).get('a"b\u0000x\\y')?.messages).toBe(4);
    expect(() => parseDetailed('<html>nope</html>')).toThrow(SourceError);
  });

  it('parses a large answer in slices, to the same result, lines in the general form included', () => {
    const lines = ['# TYPE rabbitmq_detailed_queue_messages gauge'];
    for (let i = 0; i < 10_000; i++) {
      lines.push(`rabbitmq_detailed_queue_messages{vhost="/",queue="q${i}"} ${i}`);
      // Another label order and an escape: the general parser's path.
      lines.push(`rabbitmq_detailed_queue_consumers{queue="q${i}",vhost="/"} ${i % 3}`);
    }
    const text = lines.join('\n') + '\n';
    const steps = parseDetailedSteps(text);
    let slices = 0;
    let r = steps.next();
    for (; !r.done; r = steps.next()) slices++;
    expect(slices).toBe(5);
    expect(r.value.size).toBe(10_000);
    expect(r.value.get('/\u0000q9999')).toEqual({ ready: 0, unacked: 0, messages: 9999, consumers: 9999 % 3 });
    expect([...r.value]).toEqual([...parseDetailed(text)]);
  });

  it('asks every node of a cluster on its own host, a single node at the configured URL', () => {
    expect([...pluginUrls('http://lb.example:15692', ['rabbit@localhost']).values()]).toEqual(['http://lb.example:15692']);
    expect([...pluginUrls('http://10.0.0.1:15692', ['rabbit@10.0.0.11', 'rabbit@ctl-2']).values()]).toEqual([
      'http://10.0.0.11:15692',
      'http://ctl-2:15692',
    ]);
  });
});
