// Runs the catalogue over one RuleContext. Pure apart from the optional error callback.
import { drain } from '../slices.js';
import { catalogue } from './catalogue.js';
import { SEVERITY_RANK, compareFindings } from './order.js';
import type { Finding, Rule, RuleContext, ThresholdLookup } from './types.js';

export interface RuleError {
  rule: string;
  message: string;
}

export interface Evaluation {
  /** Worst first. */
  findings: Finding[];
  /** Rules that threw; the others still ran. */
  errors: RuleError[];
}

/**
 * Every rule's findings plus the rules that failed. A rule that throws (a bug, or a
 * Snapshot shape it did not expect) must not hide what the other rules found.
 */
export function evaluateAll(ctx: RuleContext, lookup: ThresholdLookup, rules: readonly Rule[] = catalogue): Evaluation {
  return drain(evaluationSteps(ctx, lookup, rules));
}

/** The same evaluation, yielding after each rule, so the daemon can answer scrapes between rules. */
export function* evaluationSteps(ctx: RuleContext, lookup: ThresholdLookup, rules: readonly Rule[] = catalogue): Generator<void, Evaluation> {
  const found: Finding[] = [];
  const errors: RuleError[] = [];
  for (const rule of rules) {
    try {
      found.push(...rule.evaluate(ctx, lookup));
    } catch (err) {
      errors.push({ rule: rule.id, message: err instanceof Error ? err.message : String(err) });
    }
    yield;
  }
  return { findings: dedupe(found).sort(compareFindings), errors };
}

/**
 * The findings, worst first. Failing rules go to `onError` (the daemon logs them); by
 * default a process warning is emitted, so a broken rule is never silent.
 */
export function evaluateRules(
  ctx: RuleContext,
  lookup: ThresholdLookup,
  rules: readonly Rule[] = catalogue,
  onError: (error: RuleError) => void = (e) => process.emitWarning(`rule ${e.rule} failed: ${e.message}`, 'WarrenRuleError'),
): Finding[] {
  const { findings, errors } = evaluateAll(ctx, lookup, rules);
  for (const e of errors) onError(e);
  return findings;
}

/** One finding per (rule, subject): alert identity depends on it. The worst one wins. */
function dedupe(findings: Finding[]): Finding[] {
  const seen = new Map<string, Finding>();
  for (const f of findings) {
    const key = `${f.rule}\u0000${f.subject.kind}\u0000${f.subject.vhost ?? ''}\u0000${f.subject.name}`;
    const prev = seen.get(key);
    if (!prev || SEVERITY_RANK[f.severity] < SEVERITY_RANK[prev.severity]) seen.set(key, f);
  }
  return seen.size === findings.length ? findings : [...seen.values()];
}
