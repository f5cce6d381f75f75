// Timing primitives: one HTTP fetch timed to the last byte, the broker's CPU time from
// /proc, child processes that answer with one JSON line, and concurrent scrapers.

import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'undici';
import { processCpuMs } from './proc.js';

export { peakRssMb, processCpuMs } from './proc.js';

/** Like warren's client (src/sources/http.ts): keep-alive, no compression. */
const agent = new Agent({ connections: 4, keepAliveTimeout: 60_000, headersTimeout: 600_000, bodyTimeout: 600_000 });

export interface Timed {
  wallMs: number;
  bytes: number;
  status: number;
  /** The broker's CPU time (all schedulers) while the request ran. */
  brokerCpuMs: number;
}

export async function timeGet(url: string, opts: { authorization?: string; brokerPid?: number; timeoutMs?: number } = {}): Promise<Timed> {
  const cpu0 = processCpuMs(opts.brokerPid);
  const t0 = performance.now();
  const res = await request(url, {
    dispatcher: agent,
    headers: { 'accept-encoding': 'identity', ...(opts.authorization ? { authorization: opts.authorization } : {}) },
    signal: AbortSignal.timeout(opts.timeoutMs ?? 600_000),
  });
  let bytes = 0;
  for await (const chunk of res.body) bytes += (chunk as Buffer).length;
  const wallMs = performance.now() - t0;
  return { wallMs, bytes, status: res.statusCode, brokerCpuMs: processCpuMs(opts.brokerPid) - cpu0 };
}

export async function closeAgent(): Promise<void> {
  await agent.close();
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Runs `node script planFile`, resolves with the JSON of its last stdout line. */
export function runJsonChild<T>(script: string, planFile: string, opts: { nodeArgs?: string[]; timeoutMs?: number } = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), script, planFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30 * 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`${script} exited ${String(code ?? signal)} without a result: ${err.trim().slice(-500)}`));
      }
    });
  });
}

/** Starts a long-running child that prints one JSON line when ready; resolves with that line and the child. */
export function startReadyChild<T>(script: string, args: string[], timeoutMs: number): Promise<{ child: ChildProcess; ready: T }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      child.kill('SIGKILL');
      reject(new Error(`${script} not ready within ${timeoutMs} ms: ${err.trim().slice(-500)}`));
    }, timeoutMs);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0 || done) return;
      done = true;
      clearTimeout(timer);
      try {
        resolve({ child, ready: JSON.parse(out.slice(0, nl)) as T });
      } catch (e) {
        child.kill('SIGKILL');
        reject(e as Error);
      }
    });
    child.on('exit', (code, signal) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${script} exited ${String(code ?? signal)} before it was ready: ${err.trim().slice(-500)}`));
    });
  });
}

export function stopChild(child: ChildProcess | undefined, graceMs = 5000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface ScrapeResult {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  bytes: number;
  errors: number;
  /** The last exposition, for the series count and warren's self-metrics. */
  lastBody: string;
  /** Each scrape: start (ms into the window) and latency (ms). */
  timeline: Array<[number, number]>;
}

/**
 * `scrapers` clients each GET `url` back to back for `durationMs`; latency is to the last
 * byte (received, not decompressed). `encoding` is the Accept-Encoding sent: Prometheus
 * sends gzip.
 */
export async function scrape(url: string, scrapers: number, durationMs: number, encoding: 'gzip' | 'identity'): Promise<ScrapeResult> {
  const pool = new Agent({ connections: scrapers, keepAliveTimeout: 60_000 });
  const latencies: number[] = [];
  const timeline: Array<[number, number]> = [];
  const w0 = performance.now();
  let errors = 0;
  let bytes = 0;
  const end = Date.now() + durationMs;
  const one = async (): Promise<void> => {
    while (Date.now() < end) {
      const t0 = performance.now();
      try {
        const res = await request(url, { dispatcher: pool, headers: { 'accept-encoding': encoding } });
        let n = 0;
        // Count bytes only: decoding 10+ MB into a string would add the scraper's own time.
        for await (const chunk of res.body) n += (chunk as Buffer).length;
        latencies.push(performance.now() - t0);
        timeline.push([Math.round(t0 - w0), Math.round((performance.now() - t0) * 10) / 10]);
        if (res.statusCode !== 200) errors++;
        bytes = n;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: scrapers }, one));
  const last = await request(url, { dispatcher: pool });
  const lastBody = await last.body.text();
  await pool.close();
  return { requests: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: percentile(latencies, 100), bytes, errors, lastBody, timeline };
}

/** The value of an unlabelled-or-labelled sample `name{...} v` in an exposition, first match. */
export function sampleValue(text: string, name: string): number {
  const re = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm');
  const m = re.exec(text);
  return m ? Number(m[1]) : NaN;
}
