// Public surface of the rules stage: the catalogue, its evaluation over Snapshots, the
// alert state machine, what the engine learns, thresholds and the generated PromQL.
export type {
  Finding,
  LearnedState,
  Rule,
  RuleContext,
  Severity,
  Subject,
  SubjectKind,
  ThresholdLookup,
  Thresholds,
} from './types.js';
export { catalogue, ruleById, unreachableFinding, UNREACHABLE_RULE_ID } from './catalogue.js';
export { evaluateAll, evaluateRules, evaluationSteps, type Evaluation, type RuleError } from './evaluate.js';
export {
  activeAlerts,
  adoptAlertState,
  alertFingerprint,
  alertLabels,
  emptyAlertState,
  stepAlerts,
  type Alert,
  type AlertChange,
  type AlertState,
  type StepOptions,
} from './alerts.js';
export { emptyLearned, learn } from './learn.js';
export { unknownIn, type UnknownJudge } from './unknown.js';
export { checkRulesConfig, thresholdLookup } from './thresholds.js';
export {
  NOT_IN_PROMQL,
  PARTLY_IN_PROMQL,
  PROMQL_ALERTS,
  renderAlertReference,
  renderPrometheusRules,
  RUNBOOK_BASE,
  runbookUrl,
  SELF_RULES,
} from './promql.js';
export { compareFindings, findingMagnitude, SEVERITY_RANK } from './order.js';
export { SECURITY_RULES, securityUnknown, expiryPhrase } from './catalogue/security.js';
