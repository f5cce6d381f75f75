import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ConfigFlags } from '../config/index.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `usage: warren <command> [options]

commands:
  run      poll the broker, serve /metrics, /healthz, /alerts, /report, deliver alerts
  report   one-shot diagnostic report (exit 0 ok, 1 warning, 2 critical, 3 unreachable)
  check    Nagios/NRPE plugin: one status line with perfdata (exit 0/1/2/3)
  rules    print the rule catalogue

target options (every command; or a --config file for several clusters):
  --url URL               management API (default http://127.0.0.1:15672)
  --user USER             (default guest)
  --password PASS         or --password-file FILE, or env WARREN_PASSWORD
  --prometheus-url URL    rabbitmq_prometheus base (default: same host, port 15692; used if it answers)
  --config FILE           YAML configuration

run:     --listen HOST:PORT (default 0.0.0.0:9419)  --interval 30s  --alertmanager-url URL (repeatable)
         --webhook-url URL (repeatable)  --log-level info  --state-file FILE
report:  --format text|markdown|json|html  --output FILE  --sample SECONDS (default 10)
check:   --rule ID (repeatable)  --sample SECONDS (default 2)
rules:   --format text|json|prometheus
`;

const OPTIONS = {
  url: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
  'password-file': { type: 'string' },
  config: { type: 'string' },
  'prometheus-url': { type: 'string' },
  listen: { type: 'string' },
  interval: { type: 'string' },
  'alertmanager-url': { type: 'string', multiple: true },
  'webhook-url': { type: 'string', multiple: true },
  'log-level': { type: 'string' },
  'state-file': { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string' },
  sample: { type: 'string' },
  rule: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

export interface ParsedArgs {
  command: string;
  flags: ConfigFlags;
  format?: string;
  output?: string;
  sampleSeconds: number;
  /** Whether --sample was given (check has its own, shorter default). */
  sampleGiven: boolean;
  rules: string[];
  help: boolean;
  version: boolean;
}

export function parseCli(argv: string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]}; see warren --help`);
  }
  const v = parsed.values;
  const [command = '', ...extra] = parsed.positionals;
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"; see warren --help`);
  const sample = v.sample === undefined ? 10 : Number(v.sample);
  if (!Number.isFinite(sample) || sample < 0 || sample > 3600) {
    throw new UsageError(`--sample: got "${v.sample}", expected seconds between 0 and 3600`);
  }
  if (v.output !== undefined) checkOutput(v.output);
  const flags: ConfigFlags = {};
  if (v.url !== undefined) flags.url = v.url;
  if (v.user !== undefined) flags.user = v.user;
  if (v.password !== undefined) flags.password = v.password;
  if (v['password-file'] !== undefined) flags.passwordFile = v['password-file'];
  if (v.config !== undefined) flags.config = v.config;
  if (v['prometheus-url'] !== undefined) flags.prometheusUrl = v['prometheus-url'];
  if (v.listen !== undefined) flags.listen = v.listen;
  if (v.interval !== undefined) flags.interval = v.interval;
  if (v['alertmanager-url'] !== undefined) flags.alertmanagerUrl = v['alertmanager-url'];
  if (v['webhook-url'] !== undefined) flags.webhookUrl = v['webhook-url'];
  if (v['log-level'] !== undefined) flags.logLevel = v['log-level'];
  if (v['state-file'] !== undefined) flags.stateFile = v['state-file'];
  return {
    command,
    flags,
    ...(v.format !== undefined ? { format: v.format } : {}),
    ...(v.output !== undefined ? { output: v.output } : {}),
    sampleSeconds: sample,
    sampleGiven: v.sample !== undefined,
    rules: v.rule ?? [],
    help: v.help ?? false,
    version: v.version ?? false,
  };
}

/** The report is written at the end of a run: a directory that is not there should fail now, not after the samples. */
function checkOutput(file: string): void {
  const dir = dirname(resolve(file));
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new UsageError(`--output: directory ${dir} does not exist; create it or write the report elsewhere`);
}
