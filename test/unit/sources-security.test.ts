// The security collector's cadence: what it asks every poll, what only with the slow
// tier, and what it stops asking once refused (each refusal is a failed HTTP login).
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { SourceError, type RequestCounter } from '../../src/sources/http.js';
import { collectSecurity, REFUSED_RETRY_MS, type SecurityState } from '../../src/sources/security.js';
import overview from '../fixtures/rabbitmq-3.10.8/overview.json' with { type: 'json' };

const cfg = loadConfig({ url: 'http://broker.invalid:15672', user: 'watcher' }, {}).clusters[0]!;
const NODE = 'rabbit@a';
const T0 = 1_700_000_000_000;

function broker(opts: { admin: boolean; tracking: boolean }) {
  const asked: string[] = [];
  const counter: RequestCounter = { requests: 0, bytes: 0 };
  const api = async (path: string): Promise<unknown> => {
    asked.push(path);
    if (path === '/api/permissions') {
      if (!opts.admin) {
        counter.refused = (counter.refused ?? 0) + 1;
        throw new SourceError('forbidden', 'user "watcher" may not read /api/permissions (HTTP 401: Not administrator user)', 401);
      }
      return [{ user: 'nova', vhost: '/', configure: '.*', write: '.*', read: '.*' }];
    }
    if (path.endsWith('/source')) return opts.tracking ? [{ remote_address: '10.0.0.1', username: 'nova', protocol: 'amqp091', auth_attempts: 1, auth_attempts_failed: 1 }] : [];
    return [{ protocol: 'amqp091', auth_attempts: 5, auth_attempts_failed: 1, auth_attempts_succeeded: 4 }];
  };
  return { asked, counter, api };
}

async function poll(b: ReturnType<typeof broker>, state: SecurityState | undefined, t: number, inventoryDue: boolean) {
  b.asked.length = 0;
  b.counter.refused = 0;
  return collectSecurity(state, { cfg, overviewJson: overview, runningNodes: [NODE], inventoryDue, api: b.api, counter: b.counter, warnings: [], now: () => t });
}

describe('the security collector', () => {
  it('asks a monitoring user for permissions once, then only every few hours, and counts the refusal', async () => {
    const b = broker({ admin: false, tracking: false });
    const first = await poll(b, undefined, T0, true);
    expect(first.info.usersVisible).toBe(false);
    expect(first.info.permissions).toBeNull();
    expect(first.info.ownRefusals).toBe(1);
    expect(first.info.self).toBe('watcher');
    const second = await poll(b, first.state, T0 + 300_000, true);
    expect(b.asked).not.toContain('/api/permissions');
    expect(second.info.usersVisible).toBe(false);
    expect(second.info.ownRefusals).toBe(0);
    await poll(b, second.state, T0 + REFUSED_RETRY_MS, true);
    expect(b.asked).toContain('/api/permissions');
  });

  it('reads permissions as an administrator, with the slow tier only', async () => {
    const b = broker({ admin: true, tracking: true });
    const first = await poll(b, undefined, T0, true);
    expect(first.info.usersVisible).toBe(true);
    expect(first.info.permissions).toHaveLength(1);
    await poll(b, first.state, T0 + 30_000, false);
    expect(b.asked).not.toContain('/api/permissions');
  });

  it('asks /source every poll where the broker tracks sources, else only with the slow tier', async () => {
    const on = broker({ admin: true, tracking: true });
    let r = await poll(on, undefined, T0, true);
    expect(r.info.authSources).toEqual([{ node: NODE, protocol: 'amqp091', address: '10.0.0.1', user: 'nova', attempts: 1, failed: 1 }]);
    r = await poll(on, r.state, T0 + 30_000, false);
    expect(on.asked).toContain(`/api/auth/attempts/${encodeURIComponent(NODE)}/source`);

    const off = broker({ admin: true, tracking: false });
    r = await poll(off, undefined, T0, true);
    r = await poll(off, r.state, T0 + 30_000, false);
    expect(off.asked).toEqual([`/api/auth/attempts/${encodeURIComponent(NODE)}`]);
    expect(r.info.authSources).toEqual([]);
    expect(r.info.authAttempts).toEqual([{ node: NODE, protocol: 'amqp091', attempts: 5, failed: 1, succeeded: 4 }]);
  });

  it('reads listeners from the overview it is given, without a TLS listener to connect to', async () => {
    const r = await poll(broker({ admin: true, tracking: false }), undefined, T0, true);
    expect(r.info.listeners.map((l) => `${l.protocol} ${l.address}:${l.port}`)).toEqual([
      'amqp 127.0.0.1:25672',
      'clustering :::25675',
      'http 127.0.0.1:25673',
      'http/prometheus 127.0.0.1:25674',
    ]);
    expect(r.info.certificates).toEqual([]);
  });
});
