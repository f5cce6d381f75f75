// Starting warren in-process against a harness broker, and reading its /metrics.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { loadConfig, type WarrenConfig } from '../../src/config/index.js';
import { startAgent, type Agent } from '../../src/server/agent.js';
import type { Broker } from '../harness/broker.js';

export const quietLog = pino({ level: process.env.WARREN_TEST_LOG ?? 'silent' });

/** A config for one cluster pointing at `broker`, with any cluster keys overridden. */
export function configFor(broker: Broker, cluster: Record<string, unknown> = {}, top: Record<string, unknown> = {}): WarrenConfig {
  return loadConfig({ config: configFileFor(broker, cluster, top) });
}

/**
 * The same config as a YAML file, for the CLI (`--config FILE`). The timeout is asked for
 * explicitly: by default it would be the 1 s interval, short on a loaded test machine.
 */
export function configFileFor(broker: Broker, cluster: Record<string, unknown> = {}, top: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'warren-cfg-'));
  const file = join(dir, 'warren.yml');
  writeFileSync(
    file,
    stringify({
      listen: '127.0.0.1:0',
      ...top,
      clusters: [{ url: broker.mgmtUrl, user: broker.user, password: broker.password, prometheusUrl: broker.promUrl, interval: '1s', timeout: '20s', ...cluster }],
    }),
  );
  return file;
}

export async function startTestAgent(config: WarrenConfig): Promise<Agent> {
  const agent = await startAgent(config, quietLog);
  await agent.waitForPolls(1);
  return agent;
}

/** Parses an exposition into `name{labels}` -> value, for exact assertions. */
export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** The value of `name` whose labels include all of `labels`; undefined when absent, throws when ambiguous. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found: number[] = [];
  for (const [k, v] of parseExposition(text)) {
    const brace = k.indexOf('{');
    const n = brace === -1 ? k : k.slice(0, brace);
    if (n !== name) continue;
    if (Object.entries(labels).every(([lk, lv]) => k.includes(`${lk}="${lv}"`))) found.push(v);
  }
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} series`);
  return found[0];
}

export async function scrape(agent: Agent, path = '/metrics'): Promise<{ status: number; body: string }> {
  const res = await fetch(agent.url + path);
  return { status: res.status, body: await res.text() };
}

/** Retries `fn` until it stops throwing, or rethrows its last error after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 30_000, stepMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, stepMs));
    }
  }
}
