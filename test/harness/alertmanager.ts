// Debian's Alertmanager on a free loopback port, clustering off, one null receiver and
// short grouping delays, so tests can see what warren (or Prometheus) sent it.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALERTMANAGER, ensureDeps, freePort, getJson, makeTempDir, release, startDaemon, track } from './util.js';

export interface Alertmanager {
  /** Base URL, e.g. `http://127.0.0.1:23456` (v2 API under /api/v2). */
  url: string;
  /** GET /api/v2/alerts: `{ labels, annotations, startsAt, endsAt, status: { state } , ... }[]`. */
  alerts(): Promise<any[]>;
  stop(): Promise<void>;
}

export const DEFAULT_ALERTMANAGER_CONFIG = `route:
  receiver: 'null'
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: 'null'
`;

export async function startAlertmanager(opts: { config?: string } = {}): Promise<Alertmanager> {
  ensureDeps();
  const dir = makeTempDir('alertmanager');
  const dirHandle = track({ kind: 'dir', path: dir });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configFile = path.join(dir, 'alertmanager.yml');
  fs.writeFileSync(configFile, opts.config ?? DEFAULT_ALERTMANAGER_CONFIG);

  let daemon;
  try {
    daemon = await startDaemon({
      cmd: ALERTMANAGER,
      args: [
        `--config.file=${configFile}`,
        `--storage.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=', // empty: no HA gossip (it would listen on 0.0.0.0:9094)
      ],
      dir,
      label: 'alertmanager',
      readyUrl: `${url}/-/ready`,
    });
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    release(dirHandle);
    throw e;
  }

  const d = daemon;
  let stopped = false;
  return {
    url,
    alerts: () => getJson<any[]>(`${url}/api/v2/alerts`, { timeoutMs: 10_000 }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await d.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      release(dirHandle);
    },
  };
}
