// Broker-side faults: the real `warren run` process against a management API
// that refuses, rejects (401/403), fails (500/503), hangs, is slow, answers truncated or
// malformed JSON, cuts the connection mid-body, or sends a body larger than maxBodyBytes.
// For each: the process stays up, /metrics keeps answering (fast) with the last good
// queue series, rabbitmq_up 0 and the staleness metrics, /healthz is 503 and says why,
// the poller retries with backoff, the log holds exactly one line for the error however
// many retries there were, and warren recovers on its own when the API is healthy again.
// A fake API (recorded 3.10.8 answers) is the only way to produce these faults at will;
// a real broker restarted under the daemon is in reliability-broker.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { eventually, metric } from '../support/agent.js';
import { startDaemon, type Daemon } from '../support/cli.js';
import { startFakeApi, type FakeApi, type FakeApiMode } from '../support/fake-api.js';

const PASSWORD = 'Fake-Api-Pw-7c1e9d'; // distinctive, so a leak anywhere is found
const QUEUE = { queue: 'compute.cmp-01', vhost: '/' }; // 10 messages in the recorded answer
const CLUSTER = 'fake'; // the configured name: the `cluster` label (the recorded overview's cluster_name, wtry@vm, is rabbitmq_cluster)
// The shortest interval a config may ask for (config rejects less: a typo must not hammer a broker).
const INTERVAL_MS = 1000;

let api: FakeApi;
let daemon: Daemon;
const dir = mkdtempSync(join(tmpdir(), 'warren-reliability-'));

/** Poll errors (level 50), without the alert-change lines (logged once per change anyway). */
const pollErrors = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.includes('"level":50') && !l.includes('"event":"alert"'))
    .map((l) => JSON.parse(l) as { msg: string; cluster: string });

const get = async (path: string) => {
  const started = performance.now();
  const res = await fetch(daemon.url + path, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.text(), ms: performance.now() - started };
};

beforeAll(async () => {
  api = await startFakeApi({ slowMs: 1200, hugeBytes: 4 * 1024 * 1024 });
  writeFileSync(join(dir, 'password'), PASSWORD + '\n', { mode: 0o600 });
  writeFileSync(
    join(dir, 'warren.yml'),
    stringify({
      clusters: [
        {
          name: 'fake',
          url: api.url,
          user: 'monitor',
          passwordFile: join(dir, 'password'),
          queueSource: 'management',
          interval: `${INTERVAL_MS}ms`,
          timeout: '2s',
          maxBodyBytes: 256 * 1024, // the recorded answers are < 8 KiB
        },
      ],
    }),
  );
  daemon = await startDaemon(['--config', join(dir, 'warren.yml')]);
  await eventually(async () => expect(metric((await get('/metrics')).body, 'rabbitmq_up', { cluster: CLUSTER })).toBe(1), 15_000, 200);
});

// A failed case must not leave the next one starting from a broken API.
afterEach(async () => {
  if (!api || api.mode() === 'healthy') return;
  await api.setMode('healthy');
  await eventually(async () => expect(metric((await get('/metrics')).body, 'rabbitmq_up', { cluster: CLUSTER })).toBe(1), 15_000, 250);
});

afterAll(async () => {
  await daemon?.stop();
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Fault {
  mode: FakeApiMode;
  /** What the one log line (and /healthz's reason) must say. */
  says: RegExp;
}

const FAULTS: Fault[] = [
  { mode: 'refuse', says: /connection refused.*rabbitmq_management/ },
  { mode: 'status-401', says: /refused the credentials of user "monitor" \(HTTP 401\)/ },
  { mode: 'status-403', says: /user "monitor" may not read .* \(HTTP 403: Not management user\): give it the monitoring tag/ },
  { mode: 'status-500', says: /answered HTTP 500/ },
  { mode: 'status-503', says: /answered HTTP 503/ },
  { mode: 'hang', says: /did not answer within 2s/ },
  { mode: 'truncated', says: /answered malformed JSON/ },
  { mode: 'malformed', says: /answered malformed JSON/ },
  { mode: 'cut', says: /closed the connection in the middle of its answer/ },
  { mode: 'huge', says: /sent more than 256 KiB \(maxBodyBytes\)/ },
];

describe('the daemon under a failing management API', () => {
  it('serves the recorded broker while it is healthy', async () => {
    const m = (await get('/metrics')).body;
    expect(metric(m, 'rabbitmq_queue_messages', QUEUE)).toBe(10);
    expect(metric(m, 'warren_stale', { cluster: CLUSTER })).toBe(0);
    expect((await get('/healthz')).status).toBe(200);
    // The password came from the file, as basic auth.
    expect(api.authorizations().at(-1)).toBe('Basic ' + Buffer.from(`monitor:${PASSWORD}`).toString('base64'));
  });

  for (const fault of FAULTS) {
    it(`${fault.mode}: stays up, serves the last data as stale with rabbitmq_up 0, says why, logs once, recovers`, async () => {
      const logFrom = daemon.output().length;
      const errorsBefore = metric((await get('/metrics')).body, 'warren_poll_errors_total', { cluster: CLUSTER })!;
      await api.setMode(fault.mode);

      // Stale: older than three intervals, with the last good series still there.
      await eventually(async () => {
        const m = (await get('/metrics')).body;
        expect(metric(m, 'rabbitmq_up', { cluster: CLUSTER })).toBe(0);
        expect(metric(m, 'warren_stale', { cluster: CLUSTER })).toBe(1);
        expect(metric(m, 'warren_data_age_seconds', { cluster: CLUSTER })).toBeGreaterThan((3 * INTERVAL_MS) / 1000);
        expect(metric(m, 'rabbitmq_queue_messages', QUEUE)).toBe(10);
      }, 20_000, 250);
      const health = await get('/healthz');
      expect(health.status).toBe(503);
      const reason = (JSON.parse(health.body) as { targets: Array<{ cluster: string; ok: boolean; reason?: string }> }).targets[0]!;
      expect(reason.ok).toBe(false);
      expect(reason.reason).toMatch(fault.says);

      // Several retries (with backoff: 1 s, then 2 s: capped at four intervals), and still exactly one line.
      await eventually(async () => {
        const errors = metric((await get('/metrics')).body, 'warren_poll_errors_total', { cluster: CLUSTER })!;
        expect(errors - errorsBefore).toBeGreaterThanOrEqual(3);
      }, 30_000, 250);
      // Closing the listener may cut a poll in flight: a distinct error ("closed the connection
      // before answering"), logged once before the refusals start. Only `refuse` may show it.
      const all = pollErrors(daemon.output().slice(logFrom));
      const cut = fault.mode === 'refuse' ? all.filter((l) => /closed the connection before answering/.test(l.msg)) : [];
      expect(cut.length).toBeLessThanOrEqual(1);
      const lines = all.filter((l) => !cut.includes(l));
      expect(lines.map((l) => l.msg), JSON.stringify(all)).toHaveLength(1);
      expect(lines[0]!.msg).toMatch(fault.says);
      expect(lines[0]!.cluster).toBe('fake');

      // Never blocked: a scrape is answered from the cache at once, even while a poll hangs.
      for (const path of ['/metrics', '/healthz', '/alerts', '/report?format=json']) {
        const r = await get(path);
        expect(r.ms, path).toBeLessThan(1_000);
      }
      expect(daemon.child.exitCode).toBeNull();

      await api.setMode('healthy');
      await eventually(async () => {
        const m = (await get('/metrics')).body;
        expect(metric(m, 'rabbitmq_up', { cluster: CLUSTER })).toBe(1);
        expect(metric(m, 'warren_stale', { cluster: CLUSTER })).toBe(0);
      }, 15_000, 250);
      expect((await get('/healthz')).status).toBe(200);
      expect(daemon.output().slice(logFrom)).toContain('broker answers again');
      expect(daemon.child.exitCode).toBeNull();
    });
  }

  it('slow: answers that take 1.2 s each, under the 2 s timeout, are not failures, though a poll takes seconds', async () => {
    // Four requests queue behind two sockets: the timeout is each request's own time, not the time spent queued.
    const logFrom = daemon.output().length;
    const skippedBefore = metric((await get('/metrics')).body, 'warren_poll_skipped_total', { cluster: CLUSTER })!;
    await api.setMode('slow');
    // Wait for a poll that ran wholly in slow mode: its duration shows the delay.
    await eventually(async () => {
      const m = (await get('/metrics')).body;
      expect(metric(m, 'warren_poll_duration_seconds', { cluster: CLUSTER })).toBeGreaterThan(3);
    }, 20_000, 250);
    // Meanwhile scrapes are not held up by the slow broker.
    const r = await get('/metrics');
    expect(r.ms).toBeLessThan(1_000);
    expect(metric(r.body, 'rabbitmq_up', { cluster: CLUSTER })).toBe(1);
    // Polls that overrun the interval are skipped and counted, never stacked up.
    expect(metric(r.body, 'warren_poll_skipped_total', { cluster: CLUSTER })).toBeGreaterThan(skippedBefore);
    expect(pollErrors(daemon.output().slice(logFrom))).toEqual([]);
    await api.setMode('healthy');
  });

  it('never wrote the password anywhere it serves or logs', async () => {
    const texts = [daemon.output()];
    for (const path of ['/metrics', '/healthz', '/alerts', '/report?format=html', '/report?format=json', '/report?format=text', '/report?format=markdown']) {
      texts.push((await get(path)).body);
    }
    const b64 = Buffer.from(`monitor:${PASSWORD}`).toString('base64');
    for (const t of texts) {
      expect(t).not.toContain(PASSWORD);
      expect(t).not.toContain(b64);
    }
  });
});
