// The oslo.messaging RPC envelope of src/sources/oslo-ping.ts against messages recorded from
// real oslo.messaging 14.0.3 (test/fixtures/oslo, made with the test/oslo fixtures), and the
// ping's behaviour when it cannot reach a broker.
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  PING_METHOD,
  callPublishOptions,
  decodeEnvelope,
  decodeReply,
  encodeEnvelope,
  isPingNotEnabled,
  pingRpcServers,
  rpcCallMessage,
  uuidHex,
} from '../../src/sources/oslo-ping.js';

interface Recorded {
  fields: { exchange: string; routingKey: string };
  properties: Record<string, unknown>;
  content: string;
}

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../fixtures/oslo/${name}`, import.meta.url), 'utf8')) as T;
const call = fixture<{ message: Recorded }>('rpc-call.json').message;
const replies = fixture<{ pong: Recorded; noSuchMethod: Recorded }>('rpc-replies.json');

describe('oslo RPC envelope 2.0', () => {
  it('decodes a recorded call: the JSON message inside the envelope, with oslo ids and no context', () => {
    const m = decodeEnvelope(call.content) as Record<string, unknown>;
    expect(Object.keys(m)).toEqual(['method', 'args', '_msg_id', '_reply_q', '_timeout', '_unique_id']);
    expect(m.method).toBe('work');
    expect(m.args).toEqual({ n: 1 });
    expect(m._msg_id).toMatch(/^[0-9a-f]{32}$/);
    expect(m._reply_q).toMatch(/^reply_[0-9a-f]{32}$/);
    expect(m._timeout).toBeNull();
  });

  it('encodes a call exactly as oslo does: same message, key order and publish properties', () => {
    const recorded = decodeEnvelope(call.content) as Record<string, string>;
    const mine = rpcCallMessage({
      method: 'work',
      args: { n: 1 },
      msgId: recorded._msg_id!,
      replyQueue: recorded._reply_q!,
      uniqueId: recorded._unique_id!,
    });
    expect(mine).toEqual(recorded);
    expect(Object.keys(mine)).toEqual(Object.keys(recorded));
    const outer = JSON.parse(encodeEnvelope(mine).toString('utf8')) as Record<string, unknown>;
    const recordedOuter = JSON.parse(call.content) as Record<string, unknown>;
    expect(Object.keys(outer)).toEqual(Object.keys(recordedOuter));
    expect(outer['oslo.version']).toBe('2.0');
    expect(JSON.parse(outer['oslo.message'] as string)).toEqual(JSON.parse(recordedOuter['oslo.message'] as string));
    // The client's timeout was 10 s: kombu sets the expiration in ms from it.
    expect(callPublishOptions(10_000)).toEqual(call.properties);
  });

  it('builds the ping request: method oslo_rpc_server_ping, empty args, no namespace or version', () => {
    const m = rpcCallMessage({ method: PING_METHOD, msgId: 'a'.repeat(32), replyQueue: 'amq.gen-x', uniqueId: 'b'.repeat(32) });
    expect(m).toEqual({ method: 'oslo_rpc_server_ping', args: {}, _msg_id: 'a'.repeat(32), _reply_q: 'amq.gen-x', _timeout: null, _unique_id: 'b'.repeat(32) });
    const withTarget = rpcCallMessage({ method: 'x', namespace: 'baseapi', version: '1.1', msgId: 'm', replyQueue: 'q', uniqueId: 'u', context: { request_id: 'req-1' } });
    expect(Object.keys(withTarget)).toEqual(['method', 'args', 'namespace', 'version', '_msg_id', '_reply_q', '_timeout', '_unique_id', '_context_request_id']);
  });

  it('decodes the recorded pong and the recorded NoSuchMethod failure', () => {
    const pong = decodeReply(replies.pong.content)!;
    expect(pong).toEqual({ msgId: expect.stringMatching(/^[0-9a-f]{32}$/), result: 'pong', failure: null, ending: true });
    const failed = decodeReply(replies.noSuchMethod.content)!;
    expect(failed.ending).toBe(true);
    expect(failed.result).toBeNull();
    expect(failed.failure).toEqual({
      errorClass: 'NoSuchMethod',
      module: 'oslo_messaging.rpc.dispatcher',
      message: 'Endpoint does not support RPC method oslo_rpc_server_ping',
    });
    expect(isPingNotEnabled(failed.failure!)).toBe(true);
    expect(isPingNotEnabled({ errorClass: 'UnsupportedVersion', module: 'oslo_messaging.rpc.dispatcher', message: '' })).toBe(true);
    expect(isPingNotEnabled({ errorClass: 'ValueError', module: 'builtins', message: 'boom' })).toBe(false);
  });

  it('reads a call-monitor heartbeat as not ending, and a non-reply as null', () => {
    const hb = decodeReply(encodeEnvelope({ result: null, failure: null, ending: false, _msg_id: 'm1', _unique_id: 'u' }))!;
    expect(hb).toEqual({ msgId: 'm1', result: null, failure: null, ending: false });
    expect(decodeReply(encodeEnvelope({ method: 'x' }))).toBeNull();
    expect(decodeReply('"just a string"')).toBeNull();
  });

  it('follows deserialize_msg: no envelope keys passes through, a newer major version is refused', () => {
    expect(decodeEnvelope('{"event_type": "compute.instance.update"}')).toEqual({ event_type: 'compute.instance.update' });
    expect(decodeEnvelope(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': '{"a": 1}' }))).toEqual({ a: 1 });
    expect(() => decodeEnvelope(JSON.stringify({ 'oslo.version': '3.0', 'oslo.message': '{}' }))).toThrow(/version 3.0/);
    expect(() => decodeEnvelope(JSON.stringify({ 'oslo.version': '2.1', 'oslo.message': '{}' }))).toThrow(/version 2.1/);
    expect(() => decodeEnvelope('not json')).toThrow();
  });

  it('makes uuid4 hex ids', () => {
    const ids = new Set(Array.from({ length: 50 }, uuidHex));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
  });
});

describe('pingRpcServers without a broker', () => {
  const servers: net.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  async function listen(onConnection: (s: net.Socket) => void): Promise<number> {
    const srv = net.createServer(onConnection);
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    return (srv.address() as net.AddressInfo).port;
  }

  const targets = [
    { exchange: 'nova', topic: 'compute', server: 'cmp-a' },
    { exchange: 'nova', topic: 'compute', server: 'cmp-b' },
  ];

  it('gives every target "unsent" with the reason, and never the password, when the broker refuses', async () => {
    const port = await listen(() => undefined);
    await new Promise((r) => servers.pop()!.close(r)); // now nothing listens there
    const results = await pingRpcServers({ url: `amqp://ping:s3cret-pw@127.0.0.1:${port}/` }, targets, { connectTimeoutMs: 5_000 });
    expect(results.map((r) => [r.target.server, r.status])).toEqual([
      ['cmp-a', 'unsent'],
      ['cmp-b', 'unsent'],
    ]);
    for (const r of results) {
      expect(r.status === 'unsent' && r.reason).toMatch(/^cannot connect: .*ECONNREFUSED/);
      expect(JSON.stringify(r)).not.toContain('s3cret-pw');
    }
  });

  it('gives up on a listener that accepts but never speaks AMQP', async () => {
    const held: net.Socket[] = [];
    const port = await listen((s) => held.push(s));
    const results = await pingRpcServers({ url: `amqp://u:p@127.0.0.1:${port}/` }, targets, { connectTimeoutMs: 300 });
    for (const s of held) s.destroy();
    expect(results.every((r) => r.status === 'unsent' && r.reason.startsWith('cannot connect:'))).toBe(true);
  });

  it('does nothing for no targets', async () => {
    expect(await pingRpcServers({ url: 'amqp://u:p@127.0.0.1:1/' }, [])).toEqual([]);
  });
});
