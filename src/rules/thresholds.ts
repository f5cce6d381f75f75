// Resolves a rule's thresholds for one subject from the config:
//   rule defaults  <-  rules.thresholds[ruleId]  <-  each matching override, in order
// and whether the rule is disabled there (rules.disabled, or an override's `disabled`;
// a later override may re-enable with `disabled: false`).
import { ConfigError } from '../config/index.js';
import type { RulesConfig } from '../config/index.js';
import type { Rule, ThresholdLookup, Thresholds } from './types.js';

interface CompiledOverride {
  vhost: string | undefined;
  queue: RegExp | undefined;
  service: string | undefined;
  thresholds: Thresholds;
  disabled: boolean | undefined;
}

interface CompiledRule {
  base: Thresholds;
  disabled: boolean;
  overrides: CompiledOverride[];
}

/**
 * Builds the lookup once per config: queue patterns are compiled here (anchored: they
 * match the whole queue name), and rules without overrides return one shared frozen
 * object, since the lookup runs for every queue on every poll. Throws ConfigError on an
 * invalid pattern.
 */
export function thresholdLookup(rules: RulesConfig, catalogue: readonly Rule[]): ThresholdLookup {
  const disabled = new Set(rules.disabled);
  const compiled = new Map<string, CompiledRule>();
  const ids = new Set([...catalogue.map((r) => r.id), ...Object.keys(rules.thresholds), ...rules.overrides.map((o) => o.rule)]);
  const defaultsOf = new Map(catalogue.map((r) => [r.id, r.defaults]));
  for (const id of ids) {
    compiled.set(id, {
      base: Object.freeze({ ...(defaultsOf.get(id) ?? {}), ...(rules.thresholds[id] ?? {}) }),
      disabled: disabled.has(id),
      overrides: [],
    });
  }
  rules.overrides.forEach((o, i) => {
    let queue: RegExp | undefined;
    if (o.queue !== undefined) {
      try {
        queue = new RegExp(`^(?:${o.queue})$`);
      } catch (err) {
        throw new ConfigError(
          `rules.overrides[${i}].queue: "${o.queue}" is not a valid regular expression (${(err as Error).message}); it is matched against the whole queue name`,
        );
      }
    }
    compiled.get(o.rule)!.overrides.push({
      vhost: o.vhost,
      queue,
      service: o.service,
      thresholds: o.thresholds ?? {},
      disabled: o.disabled,
    });
  });

  return (ruleId, scope) => {
    const r = compiled.get(ruleId);
    if (!r) return EMPTY;
    let isDisabled = r.disabled;
    let t: Thresholds = r.base;
    let copied = false;
    for (const o of r.overrides) {
      // An override constrains only what it names; a scope without that field does not match.
      if (o.vhost !== undefined && o.vhost !== scope.vhost) continue;
      if (o.service !== undefined && o.service !== scope.service) continue;
      if (o.queue !== undefined && (scope.queue === undefined || !o.queue.test(scope.queue))) continue;
      if (o.disabled !== undefined) isDisabled = o.disabled;
      if (Object.keys(o.thresholds).length > 0) {
        t = copied ? Object.assign(t as Record<string, number>, o.thresholds) : { ...t, ...o.thresholds };
        copied = true;
      }
    }
    return isDisabled ? null : t;
  };
}

const EMPTY: Thresholds = Object.freeze({});

/**
 * Problems with a rules config that parsing alone cannot see: unknown rule ids and
 * threshold names (typos that would silently do nothing). One line each, for the user.
 */
export function checkRulesConfig(rules: RulesConfig, catalogue: readonly Rule[]): string[] {
  const known = new Map(catalogue.map((r) => [r.id, r]));
  const problems: string[] = [];
  const checkRule = (where: string, id: string) => {
    if (known.has(id)) return true;
    problems.push(`${where}: unknown rule "${id}" (see \`warren rules\`)`);
    return false;
  };
  const checkKeys = (where: string, id: string, t: Record<string, number>) => {
    const rule = known.get(id);
    if (!rule) return;
    for (const k of Object.keys(t)) {
      if (!(k in rule.defaults)) {
        const names = Object.keys(rule.defaults);
        problems.push(`${where}: rule "${id}" has no threshold "${k}" (${names.length ? `it has: ${names.join(', ')}` : 'it has none'})`);
      }
    }
  };
  rules.disabled.forEach((id, i) => checkRule(`rules.disabled[${i}]`, id));
  for (const [id, t] of Object.entries(rules.thresholds)) if (checkRule(`rules.thresholds`, id)) checkKeys(`rules.thresholds.${id}`, id, t);
  rules.overrides.forEach((o, i) => {
    if (checkRule(`rules.overrides[${i}]`, o.rule) && o.thresholds) checkKeys(`rules.overrides[${i}].thresholds`, o.rule, o.thresholds);
    if (o.queue !== undefined) {
      try {
        new RegExp(o.queue);
      } catch (err) {
        problems.push(`rules.overrides[${i}].queue: "${o.queue}" is not a valid regular expression (${(err as Error).message})`);
      }
    }
  });
  return problems;
}
