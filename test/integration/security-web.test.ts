// warren's own HTTP server: TLS (optionally demanding a client certificate) and
// basic auth with bcrypt hashes for /metrics, /report, /alerts (config key `web`, in the
// manner of Prometheus's exporter web config), /healthz left open for load balancers,
// and limits on what a client may send and how long it may take. No broker needed: the
// agent polls a fake management API.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { Agent as UndiciAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { startAgent, type Agent } from '../../src/server/agent.js';
import { startHttpServer, type HttpServer } from '../../src/server/http.js';
import { quietLog } from '../support/agent.js';
import { startFakeApi, type FakeApi } from '../support/fake-api.js';
import { makeTestPki, type TestPki } from '../support/tls.js';

const WEB_PASSWORD = 'Scrape-Secret-41f0'; // never printed
let pki: TestPki;
let api: FakeApi;
const cleanup: Array<() => Promise<unknown>> = [];
const tmpRoot = mkdtempSync(join(tmpdir(), 'warren-web-'));

function configFile(top: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpRoot, 'cfg-'));
  const file = join(dir, 'warren.yml');
  writeFileSync(file, stringify({ listen: '127.0.0.1:0', ...top, clusters: [{ name: 'fake', url: api.url, password: 'x', queueSource: 'management', interval: '1s' }] }));
  return file;
}

async function agentWith(web: Record<string, unknown>): Promise<Agent> {
  const agent = await startAgent(loadConfig({ config: configFile({ web }) }), quietLog);
  cleanup.push(() => agent.stop());
  await agent.waitForPolls(1);
  return agent;
}

const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

/** GET over a dispatcher with the given TLS client options; resolves the status, headers and body. */
async function get(url: string, opts: { auth?: string; tls?: { ca?: string; cert?: string; key?: string } } = {}) {
  const dispatcher = new UndiciAgent({ connect: { ...(opts.tls ?? {}), timeout: 5_000 } });
  try {
    const res = await request(url, { dispatcher, headers: opts.auth ? { authorization: opts.auth } : {}, headersTimeout: 5_000, bodyTimeout: 5_000 });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  } finally {
    await dispatcher.close();
  }
}

beforeAll(async () => {
  pki = makeTestPki();
  api = await startFakeApi();
});

afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  await api?.close();
  pki?.remove();
  rmSync(tmpRoot, { recursive: true, force: true });
});

describe('web: TLS with client certificates and basic auth', () => {
  let agent: Agent;
  let tls: { ca: string; cert: string; key: string };
  beforeAll(async () => {
    const { readFileSync } = await import('node:fs');
    tls = { ca: readFileSync(pki.caFile, 'utf8'), cert: readFileSync(pki.clientCertFile, 'utf8'), key: readFileSync(pki.clientKeyFile, 'utf8') };
    agent = await agentWith({
      tlsCertFile: pki.serverCertFile,
      tlsKeyFile: pki.serverKeyFile,
      tlsClientCaFile: pki.caFile,
      basicAuthUsers: { prometheus: bcrypt.hashSync(WEB_PASSWORD, 4), grafana: bcrypt.hashSync('another-one', 4) },
    });
  });

  it('serves https, and /healthz without credentials (load balancers probe it)', async () => {
    expect(agent.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const h = await get(agent.url + '/healthz', { tls });
    expect(h.status).toBe(200);
    expect(JSON.parse(h.body).status).toBe('ok');
  });

  it('asks for credentials on /metrics, /alerts, /report and /, and refuses wrong ones', async () => {
    for (const path of ['/metrics', '/alerts', '/report?format=json', '/']) {
      for (const auth of [undefined, basic('prometheus', 'wrong'), basic('nobody', WEB_PASSWORD), basic('grafana', WEB_PASSWORD), 'Bearer abc', 'Basic !!!']) {
        const r = await get(agent.url + path, { tls, ...(auth ? { auth } : {}) });
        expect(r.status, `${path} with ${auth ?? 'no credentials'}`).toBe(401);
        expect(r.headers['www-authenticate']).toMatch(/^Basic realm="warren"/);
        expect(r.body).not.toContain('rabbitmq_');
      }
    }
  });

  it('serves every endpoint to a configured user (twice: the second time from the verified cache)', async () => {
    for (let i = 0; i < 2; i++) {
      const m = await get(agent.url + '/metrics', { tls, auth: basic('prometheus', WEB_PASSWORD) });
      expect(m.status).toBe(200);
      // rabbitmq_up carries the answering node too (kbudde's labels).
      expect(m.body).toMatch(/^rabbitmq_up\{cluster="fake",rabbitmq_cluster="wtry@vm"(,node="[^"]*")?\} 1$/m);
    }
    expect((await get(agent.url + '/alerts', { tls, auth: basic('grafana', 'another-one') })).status).toBe(200);
    const report = await get(agent.url + '/report?format=json', { tls, auth: basic('prometheus', WEB_PASSWORD) });
    expect(report.status).toBe(200);
    expect(JSON.parse(report.body).clusters[0].url).toBe(api.url);
  });

  it('refuses clients without a certificate from the client CA, clients that do not trust the server, and plain HTTP', async () => {
    const auth = basic('prometheus', WEB_PASSWORD);
    await expect(get(agent.url + '/healthz', { tls: { ca: tls.ca } })).rejects.toThrow();
    const { readFileSync } = await import('node:fs');
    await expect(
      get(agent.url + '/metrics', { auth, tls: { ca: tls.ca, cert: readFileSync(pki.rogueClientCertFile, 'utf8'), key: readFileSync(pki.rogueClientKeyFile, 'utf8') } }),
    ).rejects.toThrow();
    await expect(get(agent.url + '/metrics', { auth, tls: { cert: tls.cert, key: tls.key } })).rejects.toThrow(/self.signed|unable to verify|certificate/i);
    await expect(get(agent.url.replace('https:', 'http:') + '/healthz')).rejects.toThrow();
  });
});

describe('web: basic auth without TLS', () => {
  it('guards everything but /healthz', async () => {
    const agent = await agentWith({ basicAuthUsers: { prometheus: bcrypt.hashSync(WEB_PASSWORD, 4) } });
    expect(agent.url).toMatch(/^http:\/\//);
    expect((await get(agent.url + '/healthz')).status).toBe(200);
    expect((await get(agent.url + '/metrics')).status).toBe(401);
    expect((await get(agent.url + '/metrics', { auth: basic('prometheus', WEB_PASSWORD) })).status).toBe(200);
  });
});

describe('web: request limits', () => {
  let server: HttpServer;
  beforeAll(async () => {
    const routes = { metrics: () => 'm 1\n', healthz: () => ({ ok: true, body: {} }), alerts: () => [], report: () => null };
    server = await startHttpServer({ host: '127.0.0.1', port: 0 }, routes, quietLog, { limits: { headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 } });
    cleanup.push(() => server.close());
  });

  /** Sends `data` on a raw socket and collects whatever comes back until the server closes it. */
  function raw(data: string, opts: { holdOpenMs?: number } = {}): Promise<{ text: string; closedAfterMs: number }> {
    const { port, hostname } = new URL(server.url);
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const s: Socket = connectTcp(Number(port), hostname);
      let text = '';
      const guard = setTimeout(() => {
        s.destroy();
        reject(new Error(`the server kept the connection open for ${opts.holdOpenMs ?? 10_000} ms`));
      }, opts.holdOpenMs ?? 10_000);
      s.on('data', (d) => (text += d.toString()));
      s.on('close', () => {
        clearTimeout(guard);
        resolve({ text, closedAfterMs: Date.now() - started });
      });
      s.on('error', () => undefined);
      s.write(data);
    });
  }

  it('refuses a request body (413) and drops the connection without reading it', async () => {
    const r = await raw('GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nxxxx');
    expect(r.text).toMatch(/^HTTP\/1\.1 413 /);
    const chunked = await raw('GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    expect(chunked.text).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('allows only GET and HEAD', async () => {
    const r = await raw('DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(r.text).toMatch(/^HTTP\/1\.1 405 /);
    expect(r.text.toLowerCase()).toContain('allow: get, head');
  });

  it('refuses headers over 16 KiB (431)', async () => {
    const r = await raw(`GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`);
    expect(r.text).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('drops a client that never finishes its headers (slowloris) after the headers timeout', async () => {
    const r = await raw('GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n', { holdOpenMs: 6_000 });
    expect(r.closedAfterMs).toBeLessThan(4_000);
    expect(r.text === '' || /^HTTP\/1\.1 408 /.test(r.text)).toBe(true);
  });
});

describe('web: configuration mistakes are one clear line', () => {
  const fails = (web: Record<string, unknown>) => {
    try {
      loadConfig({ config: configFile({ web }) });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('a plaintext password where a bcrypt hash belongs is refused, and not echoed', () => {
    const msg = fails({ basicAuthUsers: { prometheus: WEB_PASSWORD } });
    expect(msg).toContain('web.basicAuthUsers.prometheus');
    expect(msg).toContain('bcrypt');
    expect(msg).not.toContain(WEB_PASSWORD);
    expect(msg.split('\n')).toHaveLength(1);
  });

  it('a certificate without its key, a client CA without TLS, an unreadable file, a key that does not match', () => {
    expect(fails({ tlsCertFile: pki.serverCertFile })).toMatch(/tlsCertFile and tlsKeyFile go together/);
    expect(fails({ tlsClientCaFile: pki.caFile })).toMatch(/tlsClientCaFile needs tlsCertFile/);
    expect(fails({ tlsCertFile: join(pki.dir, 'nope.pem'), tlsKeyFile: pki.serverKeyFile })).toMatch(/web\.tlsCertFile: cannot read .*nope\.pem \(ENOENT\)/);
    const mismatch = fails({ tlsCertFile: pki.serverCertFile, tlsKeyFile: pki.clientKeyFile });
    expect(mismatch).toMatch(/not a usable certificate and key/);
    expect(mismatch).not.toContain('PRIVATE KEY');
  });
});
