// `warren report` and `warren check`: two samples of every cluster, `--sample`
// seconds apart, judged by the rule catalogue in one-shot mode.
import { writeFileSync } from 'node:fs';
import type { ClusterConfig, WarrenConfig } from '../config/index.js';
import { buildTopicTable, type TopicTable } from '../openstack/index.js';
import { pollCluster } from '../poll/index.js';
import { buildReport, exitCode, renderCheck, renderReport, REPORT_FORMATS, assertKnownRuleIds, type ClusterInput, type ReportFormat } from '../report/index.js';
import { catalogue, emptyLearned, evaluateAll, learn, thresholdLookup, unreachableFinding } from '../rules/index.js';
import { createRatesMemo, openstackView, type Snapshot } from '../snapshot/index.js';
import { createHttpClient, initialCollectorState } from '../sources/index.js';
import { UsageError } from './args.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Samples one cluster twice and judges it. Never throws for broker trouble: that becomes a finding. */
export async function sampleCluster(cfg: ClusterConfig, topics: TopicTable, config: WarrenConfig, sampleSeconds: number): Promise<ClusterInput> {
  const http = createHttpClient({ user: cfg.user, password: cfg.password, timeoutMs: cfg.timeout, maxBodyBytes: cfg.maxBodyBytes, tls: cfg.tls });
  const ctx = { topics, openstack: config.openstack };
  const unreachable = (samples: Snapshot[], err: unknown): ClusterInput => {
    const message = (err as Error).message.split('\n')[0] ?? String(err);
    return { target: cfg.name, url: cfg.url, samples, findings: [unreachableFinding(cfg.name, cfg.url, message, [cfg.password])], view: null, error: message };
  };
  try {
    let first;
    try {
      first = await pollCluster(cfg, http, initialCollectorState(), ctx);
    } catch (err) {
      return unreachable([], err);
    }
    await sleep(sampleSeconds * 1000);
    let second;
    try {
      second = await pollCluster(cfg, http, first.state, { ...ctx, learnedHosts: first.learnedHosts });
    } catch (err) {
      return unreachable([first.snapshot], err);
    }
    const samples = [first.snapshot, second.snapshot];
    const snapshot = second.snapshot;
    const evaluation = evaluateAll(
      { now: snapshot.takenAt, snapshot, history: samples, learned: learn(emptyLearned(), first.snapshot), oneShot: true, rates: createRatesMemo(), ...(cfg.expectedNodes !== undefined ? { expectedNodes: cfg.expectedNodes } : {}) },
      thresholdLookup(cfg.rules, catalogue),
    );
    for (const e of evaluation.errors) process.stderr.write(`warren: rule ${e.rule} failed: ${e.message}\n`);
    return { target: cfg.name, url: cfg.url, samples, findings: evaluation.findings, view: openstackView(snapshot) };
  } finally {
    await http.close();
  }
}

async function sampleAll(config: WarrenConfig, sampleSeconds: number): Promise<ClusterInput[]> {
  const topics = buildTopicTable(config.openstack.topics);
  return Promise.all(config.clusters.map((c) => sampleCluster(c, topics, config, sampleSeconds)));
}

export async function runReport(config: WarrenConfig, opts: { format?: string; output?: string; sampleSeconds: number }): Promise<number> {
  const format = (opts.format ?? 'text') as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) throw new UsageError(`--format: got "${opts.format}", expected one of ${REPORT_FORMATS.join(', ')}`);
  const inputs = await sampleAll(config, opts.sampleSeconds);
  const report = buildReport(inputs, new Date());
  if (format === 'text' && !opts.output && inputs.every((c) => c.samples.length === 0)) {
    // Nothing to report on: one clear line per cluster beats an empty report.
    for (const c of inputs) process.stderr.write(`warren: ${c.target}: ${c.error ?? 'unreachable'}\n`);
    return exitCode(report.status);
  }
  const color = format === 'text' && !opts.output && process.stdout.isTTY === true && !process.env.NO_COLOR;
  const text = renderReport(report, format, { color, width: process.stdout.columns ?? 100 });
  if (opts.output) {
    writeFileSync(opts.output, text);
    process.stderr.write(`warren: ${report.status}: report written to ${opts.output}\n`);
  } else {
    process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }
  return exitCode(report.status);
}

export async function runCheck(config: WarrenConfig, opts: { rules: string[]; sampleSeconds: number }): Promise<number> {
  try {
    assertKnownRuleIds(opts.rules, catalogue);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const report = buildReport(await sampleAll(config, opts.sampleSeconds), new Date());
  const result = renderCheck(report, opts.rules.length ? { rules: opts.rules } : {});
  process.stdout.write(result.text.endsWith('\n') ? result.text : result.text + '\n');
  return result.exitCode;
}
