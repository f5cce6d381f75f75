// Persisting notifier (and alert) state across restarts: written atomically, so a crash
// mid-write leaves the previous file intact rather than half a JSON document.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { AlertState } from '../rules/index.js';
import type { LearnedState } from '../rules/index.js';
import type { DeliveryQueueJSON } from './queue.js';

/** Saved delivery queues, keyed by receiver (URL without credentials). */
export interface NotifiersJSON {
  queues: Record<string, DeliveryQueueJSON<unknown>>;
}

/** The temporary files of `path` are named `<path>.tmp-<pid>-<random>` (saveState writes them, removeStaleTemporaries reads the pid back). */
const temporaryPrefix = (path: string) => `${basename(path)}.tmp-`;

/** Write JSON to a temporary file beside `path`, fsync it, then rename it over `path`. */
export async function saveState(path: string, data: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `${temporaryPrefix(path)}${process.pid}-${randomBytes(4).toString('hex')}`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(data));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Removes the temporary files a warren killed in the middle of saveState left beside
 * `path` (SIGKILL between writing and renaming): those of processes no longer running.
 * The state file itself is whole either way; this only keeps the directory from filling.
 */
export async function removeStaleTemporaries(path: string): Promise<string[]> {
  const prefix = temporaryPrefix(path);
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return [];
  }
  const stale = names.filter((n) => {
    if (!n.startsWith(prefix)) return false;
    const pid = Number(n.slice(prefix.length).split('-')[0]);
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid);
  });
  const removed: string[] = [];
  for (const n of stale) if (await unlink(join(dirname(path), n)).then(() => true, () => false)) removed.push(n);
  return removed;
}

/** The saved JSON, or null when there is no state file yet. Throws on a file that is not JSON. */
export async function loadState(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`state file ${path} is not valid JSON (${(err as Error).message}); move it away to start fresh`);
  }
}

/** How a saved alert looks on disk; unknown extra keys are kept (a newer warren may add some). */
const alertOnDisk = z.looseObject({
  fingerprint: z.string(),
  cluster: z.string(),
  rule: z.string(),
  subject: z.looseObject({ kind: z.enum(['cluster', 'node', 'vhost', 'queue', 'connection', 'service', 'host']), name: z.string(), vhost: z.string().optional() }),
  severity: z.enum(['critical', 'warning', 'info']),
  labels: z.record(z.string(), z.string()),
  state: z.enum(['pending', 'firing', 'resolved']),
  activeAt: z.number(),
  firingAt: z.number().nullable(),
  resolvedAt: z.number().nullable(),
  lastSeenAt: z.number(),
  missed: z.number(),
  lowerSeen: z.number(),
  lowerSince: z.number().nullable(),
  summary: z.string(),
  remedy: z.string(),
  evidence: z.record(z.string(), z.unknown()),
});

const learnedOnDisk = z.looseObject({
  maxNodes: z.number(),
  nodeUptimeMs: z.record(z.string(), z.number()),
  baselines: z.record(z.string(), z.looseObject({ value: z.number(), samples: z.number(), updatedAt: z.number().optional() })),
  series: z.record(z.string(), z.array(z.tuple([z.number(), z.number()]))),
});

const queueOnDisk = z.looseObject({
  items: z.array(
    z.looseObject({
      payload: z.record(z.string(), z.unknown()),
      resolved: z.boolean(),
      key: z.string().optional(),
      enqueuedAt: z.number(),
    }),
  ),
});

const savedStateOnDisk = z.looseObject({
  version: z.number(),
  notifiers: z.looseObject({ queues: z.record(z.string(), queueOnDisk) }).default({ queues: {} }),
  alerts: z.record(z.string(), z.looseObject({ alerts: z.record(z.string(), alertOnDisk) })).default({}),
  learned: z.record(z.string(), learnedOnDisk).default({}),
  hosts: z.record(z.string(), z.record(z.string(), z.string())).optional(),
});

/** The daemon's saved state: delivery queues, alerts and learned facts per cluster. */
export interface SavedState {
  version: number;
  notifiers: NotifiersJSON;
  alerts: Record<string, AlertState>;
  learned: Record<string, LearnedState>;
  /** Per cluster: peer address -> host learned from the consumers of per-host RPC queues. */
  hosts?: Record<string, Record<string, string>>;
}

/**
 * The saved state, or null with the one line that says why not: no file yet (no line),
 * unreadable, a directory, empty, cut short, JSON `null`, another version, or any value
 * of the wrong type (nulls written by a bug or a hand edit). Never throws: a bad state
 * file costs the saved alerts and queues, never the start.
 */
export async function readStateFile(path: string, version: number): Promise<{ state: SavedState | null; problem: string | null }> {
  const bad = (what: string) => ({ state: null, problem: `state file ${path}: ${what}; starting without saved state (move it away to keep a copy)` });
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: null, problem: null };
    if (code === 'EISDIR') return bad('is a directory, not a file');
    return bad(`cannot be read (${code ?? (err as Error).message})`);
  }
  if (text.trim() === '') return bad('is empty');
  let data: unknown;
  try {
    data = JSON.parse(text) as unknown;
  } catch (err) {
    return bad(`is not valid JSON, perhaps cut short (${(err as Error).message.split('\n')[0]})`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return bad(`holds ${data === null ? 'null' : Array.isArray(data) ? 'a list' : `a ${typeof data}`}, expected an object`);
  const v = (data as { version?: unknown }).version;
  if (v !== version) return bad(`has version ${JSON.stringify(v) ?? 'none'}, expected ${version}`);
  const parsed = savedStateOnDisk.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.map(String).join('.') || '(top level)';
    let got: unknown = data;
    for (const p of issue.path) got = got !== null && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[p] : undefined;
    const shown = got === null ? 'null' : got === undefined ? 'nothing' : Array.isArray(got) ? 'a list' : `a ${typeof got}`;
    return bad(`${at} holds ${shown}, which is not what warren writes there`);
  }
  return { state: parsed.data as unknown as SavedState, problem: null };
}

/**
 * Saves the state, chained so two saves never race, and says so once when the file
 * cannot be written and once when it can again: not on every poll.
 */
export function stateWriter(path: string, log: { error(obj: object, msg: string): void; info(obj: object, msg: string): void }): { save(data: unknown): Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  let failing = false;
  return {
    save(data) {
      chain = chain.then(async () => {
        try {
          await saveState(path, data);
          if (failing) log.info({ file: path }, `state file ${path} is written again`);
          failing = false;
        } catch (err) {
          if (!failing) log.error({ file: path }, `cannot save the state file ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); alerts and queued notifications will not survive a restart until it can be written (said once; again when it recovers)`);
          failing = true;
        }
      });
      return chain;
    },
  };
}
