// Public surface of the metrics stage: Snapshots and alerts in, Prometheus exposition out.
export {
  freshnessOf,
  isStale,
  isStarting,
  renderFreshness,
  renderMetrics,
  renderSteps,
  STALE_AFTER_INTERVALS,
  type FreshnessInput,
  type ClusterMetricsInput, type PollSummary, type Rendered, type SelfMetricsInput } from './render.js';
export { deflateHead, deflateHeadAsync, deflateSteps, gzipWithTail, type DeflatedHead } from './compressed.js';
export { ExpositionWriter, formatLabels, formatValue, type Labels } from './exposition.js';
