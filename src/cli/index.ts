// Public surface of the cli stage: argument parsing and the commands src/cli.ts runs.
export { parseCli, USAGE, UsageError, type ParsedArgs } from './args.js';
export { runCheck, runReport, sampleCluster } from './oneshot.js';
export { runDaemon } from './run.js';
