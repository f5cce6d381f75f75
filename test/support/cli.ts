// Running the built `warren` command (dist/cli.js) as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, waitFor } from '../harness/util.js';
import { metric } from './agent.js';

export const CLI = join(REPO_ROOT, 'dist/cli.js');

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (scripts/test.sh does)`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a one-shot command to completion. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliResult> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`warren ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Daemon {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts `warren run` on a free port and resolves once it logs where it listens. */
export function startDaemon(args: string[], env: Record<string, string> = {}): Promise<Daemon> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'run', '--listen', '127.0.0.1:0', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(https?:\/\/[^"]+)".*warren listening/.exec(out);
      if (m) {
        resolve({
          url: m[1]!,
          child,
          output: () => out,
          stop: () =>
            new Promise((res) => {
              if (child.exitCode !== null) return res(child.exitCode);
              child.once('exit', (code) => res(code));
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`warren run exited with ${code} before listening:\n${out}`)));
  });
}

/**
 * Waits until the daemon has finished `n` more polls than when called, as its /metrics
 * tell: failed polls from warren_poll_errors_total, successful ones from each new value of
 * warren_last_success_timestamp_seconds (whole seconds; polls are at least 1 s apart, so
 * two successes never share a value, though a sample may miss one and wait a poll more).
 * Counts polls, not wall time, so a loaded machine only makes it slower. One cluster only.
 */
export async function waitForDaemonPolls(d: Daemon, n: number, timeoutMs = 60_000): Promise<void> {
  const read = async () => {
    const text = await (await fetch(`${d.url}/metrics`)).text();
    return { errors: metric(text, 'warren_poll_errors_total') ?? 0, success: metric(text, 'warren_last_success_timestamp_seconds') };
  };
  const start = await read();
  const successes = new Set<number>();
  let failures = 0;
  await waitFor(
    async () => {
      const now = await read();
      if (now.success !== undefined && now.success !== start.success) successes.add(now.success);
      failures = now.errors - start.errors;
      return failures + successes.size >= n;
    },
    { timeoutMs, intervalMs: 100, what: `${n} more polls of warren run at ${d.url}`, onTimeout: () => `saw ${failures} failed and ${successes.size} successful polls` },
  );
}
