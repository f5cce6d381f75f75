// Issue 17, scheduled reports in the daemon with the real node-cron: a `* * * * *`
// schedule writes a report file at the next minute and keeps only the newest `keep`
// (older files pre-seeded), and a webhook schedule posts a chat-friendly body to a local
// receiver.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/server/agent.js';
import { reportFileName } from '../../src/server/schedules.js';
import { startBroker, type Broker } from '../harness/broker.js';
import { configFor, eventually, startTestAgent } from '../support/agent.js';

let broker: Broker;
let agent: Agent | undefined;
let receiver: Server;
const posts: Array<Record<string, unknown>> = [];
const dir = mkdtempSync(join(tmpdir(), 'warren-schedules-'));
// The next minute boundary plus the run, with room for a loaded machine.
const WITHIN_MS = 80_000;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  broker = await startBroker({ name: 'schedules' });
});

afterAll(async () => {
  await agent?.stop();
  await broker?.stop();
  await new Promise((r) => receiver?.close(r));
});

describe('scheduled reports in the daemon', () => {
  it('a * * * * * schedule writes a report file within a minute and keeps the newest N; a webhook schedule posts to a local receiver', async () => {
    const startedAt = Date.now();
    // Older reports of this schedule, and a file that is not one of its reports.
    const seeded = [3, 2, 1].map((h) => reportFileName('minutely', 'text', startedAt - h * 3_600_000));
    for (const f of seeded) writeFileSync(join(dir, f), 'old report\n');
    writeFileSync(join(dir, 'README'), 'not a report\n');
    const { port } = receiver.address() as { port: number };
    agent = await startTestAgent(
      configFor(broker, { interval: '2s' }, {
        schedules: [
          { name: 'minutely', cron: '* * * * *', format: 'text', output: dir, keep: 2 },
          { name: 'chat', cron: '* * * * *', format: 'markdown', webhook: `http://127.0.0.1:${port}/hook` },
        ],
      }),
    );

    const mine = () => readdirSync(dir).filter((f) => f.startsWith('warren-minutely-')).sort();
    await eventually(() => {
      const files = mine();
      expect(files.some((f) => !seeded.includes(f))).toBe(true);
    }, WITHIN_MS, 1000);
    const files = mine();
    expect(files).toHaveLength(2);
    // The two oldest seeded reports went; the README stayed.
    expect(files).not.toContain(seeded[0]);
    expect(files).not.toContain(seeded[1]);
    expect(readdirSync(dir)).toContain('README');
    const fresh = files.find((f) => !seeded.includes(f))!;
    const text = readFileSync(join(dir, fresh), 'utf8');
    expect(text).toContain('warren scheduled report "minutely"');
    expect(text).toMatch(/Alerts in the period: \d+ fired, \d+ resolved/);
    expect(text).toMatch(/queues \d+ -> \d+/);
    expect(text).toContain(broker.mgmtUrl.replace(/^http:\/\//, '').split(':')[0]!);

    await eventually(() => expect(posts.length).toBeGreaterThan(0), WITHIN_MS, 1000);
    const body = posts[0]!;
    expect(body.schedule).toBe('chat');
    expect(typeof body.text).toBe('string');
    expect(body.text as string).toContain('# warren scheduled report "chat"');
    expect(['ok', 'warning', 'critical', 'unknown']).toContain(body.status);
  });
});
