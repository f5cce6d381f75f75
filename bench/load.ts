// The benchmark's client load, in its own process so its CPU and memory never count as
// warren's: `connections` AMQP connections named like oslo processes (py-amqp client
// properties, each from its host's loopback address), each with one channel consuming a
// queue and every other one with a second, idle channel; plus a low-rate publisher that
// keeps a handful of queues' message counters (and so warren's rates) moving.
//
// Input: a JSON file (argv[2]) of LoadPlan. Output: one JSON line `{"ready":...}` on stdout
// once everything is open. Runs until SIGTERM/SIGINT.

import { readFileSync } from 'node:fs';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { clientProperties, envelope, fakePid, uniqueHex } from '../tools/sim/wire.js';

export interface LoadPlan {
  amqpUrl: string;
  connections: number;
  /** Queues to consume, with the process and address a connection to it comes from. */
  consume: Array<{ name: string; binary: string; address: string }>;
  /** Messages per second across `publishTo`. */
  publishRate: number;
  publishTo: string[];
  /** Connections opened at once. */
  parallel?: number;
}

export interface LoadReady {
  ready: true;
  connections: number;
  channels: number;
  consumers: number;
  openMs: number;
  failures: number;
  firstError?: string;
}

async function main(): Promise<void> {
  const plan = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadPlan;
  const u = new URL(plan.amqpUrl);
  const base = {
    protocol: 'amqp',
    hostname: u.hostname,
    port: Number(u.port || 5672),
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    vhost: '/',
    heartbeat: 60,
  };
  const conns: ChannelModel[] = [];
  let channels = 0;
  let consumers = 0;
  let failures = 0;
  let firstError: string | undefined;
  const started = Date.now();
  let next = 0;

  const openOne = async (i: number): Promise<void> => {
    const target = plan.consume.length > 0 ? plan.consume[i % plan.consume.length]! : { name: '', binary: 'nova-api', address: '' };
    const bind = target.address && /^127\./.test(u.hostname) ? { localAddress: target.address } : {};
    const conn = await connect(base, { clientProperties: clientProperties(target.binary || 'nova-api', fakePid()), ...bind });
    conn.on('error', () => undefined);
    conns.push(conn);
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    channels++;
    if (target.name) {
      await ch.prefetch(10);
      // oslo acks on receipt.
      await ch.consume(target.name, (m) => m && ch.ack(m), { noAck: false });
      consumers++;
    }
    if (i % 2 === 0) {
      const idle = await conn.createChannel();
      idle.on('error', () => undefined);
      channels++;
    }
  };

  const worker = async (): Promise<void> => {
    for (let i = next++; i < plan.connections; i = next++) {
      try {
        await openOne(i);
      } catch (e) {
        failures++;
        firstError ??= e instanceof Error ? e.message : String(e);
      }
    }
  };
  await Promise.all(Array.from({ length: plan.parallel ?? 16 }, worker));

  let publisher: Channel | undefined;
  if (plan.publishRate > 0 && plan.publishTo.length > 0 && conns[0]) {
    publisher = await conns[0].createChannel();
    publisher.on('error', () => undefined);
    channels++;
    let k = 0;
    const pub = publisher;
    const body = envelope({ method: 'object_action', args: { objmethod: 'save' }, _msg_id: uniqueHex(), _reply_q: `reply_${uniqueHex()}` });
    setInterval(() => {
      pub.sendToQueue(plan.publishTo[k++ % plan.publishTo.length]!, body, { contentType: 'application/json', deliveryMode: 1 });
    }, 1000 / plan.publishRate);
  }

  const ready: LoadReady = { ready: true, connections: conns.length, channels, consumers, openMs: Date.now() - started, failures, ...(firstError ? { firstError } : {}) };
  process.stdout.write(JSON.stringify(ready) + '\n');

  const stop = (): void => {
    // The broker notices the closed sockets; closing 2k connections politely only takes time.
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`load: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
