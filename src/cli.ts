#!/usr/bin/env node
import { parseCli, runCheck, runDaemon, runReport, USAGE, UsageError } from './cli/index.js';
import { ConfigError, kbuddeEnvWarning, loadConfig, type ConfigFlags, type WarrenConfig } from './config/index.js';
import { renderRulesCatalogue } from './report/index.js';
import { catalogue, checkRulesConfig, renderPrometheusRules } from './rules/index.js';
import { VERSION } from './version.js';

/** The config, with its rule ids, threshold names and queue patterns checked against the catalogue. */
function loadChecked(flags: ConfigFlags): WarrenConfig {
  const config = loadConfig(flags);
  const where = flags.config ? `config ${flags.config}` : 'options';
  config.clusters.forEach((c, i) => {
    const problem = checkRulesConfig(c.rules, catalogue)[0];
    if (problem) throw new ConfigError(`${where}: ${flags.config ? `clusters[${i}].` : ''}${problem}`);
  });
  return config;
}

async function main(argv: string[]): Promise<number> {
  const args = parseCli(argv);
  if (args.version) {
    process.stdout.write(`warren ${VERSION}\n`);
    return 0;
  }
  if (args.help || args.command === '' || args.command === 'help') {
    process.stdout.write(USAGE);
    return args.help || args.command === 'help' ? 0 : 2;
  }
  switch (args.command) {
    case 'run': {
      // Without a config file, kbudde's variables configure the daemon (src/config/kbudde-env.ts).
      const warning = args.flags.config ? null : kbuddeEnvWarning(process.env);
      if (warning) process.stderr.write(`warren: ${warning}\n`);
      return runDaemon(loadChecked({ ...args.flags, kbuddeEnv: true }));
    }
    case 'report':
      return runReport(loadChecked(args.flags), args);
    case 'check':
      // check's default sample is short: NRPE gives a plugin about 10 s in all.
      return runCheck(loadChecked(args.flags), { rules: args.rules, sampleSeconds: args.sampleGiven ? args.sampleSeconds : 2 });
    case 'rules': {
      const format = args.format ?? 'text';
      // With --config, runbook_url points at the file's runbookBaseUrl (the shipped file cannot know it).
      const base = format === 'prometheus' && args.flags.config ? loadConfig(args.flags).runbookBaseUrl : null;
      if (format === 'prometheus') process.stdout.write(base ? renderPrometheusRules(base) : renderPrometheusRules());
      else if (format === 'text' || format === 'json') process.stdout.write(renderRulesCatalogue(catalogue, format) + '\n');
      else throw new UsageError(`--format: got "${format}", expected text, json or prometheus`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${args.command}"; the commands are run, report, check and rules`);
  }
}

/**
 * Exits once what was written to stdout has left: a large report written to a pipe is still
 * queued when main() returns, and exiting at once would cut it short.
 */
function exitWhenFlushed(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

main(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (err: unknown) => {
    const e = err as Error;
    const known = e instanceof UsageError || e instanceof ConfigError;
    // One line, never a stack trace (WARREN_DEBUG=1 shows it, for a bug report).
    const line = known ? e.message : `${e?.message?.split('\n')[0] ?? String(err)}`;
    process.stderr.write(`warren: ${line}\n`);
    if (!known && process.env.WARREN_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    // report and check speak Nagios: a problem that prevents judging the broker is UNKNOWN (3).
    const command = process.argv[2];
    exitWhenFlushed(command === 'report' || command === 'check' ? 3 : 2);
  },
);
