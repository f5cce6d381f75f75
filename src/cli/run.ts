import { pino } from 'pino';
import type { WarrenConfig } from '../config/index.js';
import { LOG_REDACTION } from '../redact.js';
import { startAgent } from '../server/index.js';

/** `warren run`: the daemon. Runs until SIGTERM/SIGINT, then drains and exits 0. */
export async function runDaemon(config: WarrenConfig): Promise<number> {
  const log = pino({
    level: config.logLevel,
    base: { app: 'warren' },
    // Belt and braces: credentials are never put in log objects, but redact them if they ever are.
    redact: LOG_REDACTION,
  });
  const agent = await startAgent(config, log);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      agent
        .stop()
        .then(() => resolve(0))
        .catch((err: unknown) => {
          log.error({ err: (err as Error).message }, 'error while stopping');
          resolve(1);
        });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
