// The report stage's public surface: build a Report from samples and findings,
// render it in one of four formats, or as a Nagios check line.
import type { Report } from './model.js';
import { renderHtml, type HtmlOptions } from './html.js';
import { renderJson } from './json.js';
import { renderMarkdown, type MarkdownOptions } from './markdown.js';
import { renderText, type TextOptions } from './text.js';

export { buildReport, exitCode, statusOfFindings, worstStatus, UNREACHABLE_RULE } from './model.js';
export type {
  BuildOptions,
  ClusterInput,
  ClusterReport,
  ConnectionGroup,
  ExchangeRow,
  Headroom,
  NodeHeadroom,
  QueueRow,
  Report,
  ReportNode,
  ReportStatus,
  ReportTotals,
} from './model.js';
export { renderText, statusLine, type TextOptions } from './text.js';
export { renderMarkdown, type MarkdownOptions } from './markdown.js';
export { renderHtml, type HtmlOptions } from './html.js';
export { renderJson } from './json.js';
export { renderCheck, unknownRuleIds, assertKnownRuleIds, type CheckOptions, type CheckResult } from './check.js';
export { renderRulesCatalogue, type CatalogueEntry } from './rules.js';
export { subjectLabel } from './format.js';
export { renderRulesPage } from './rules-html.js';

export type ReportFormat = 'text' | 'markdown' | 'json' | 'html';
export const REPORT_FORMATS: readonly ReportFormat[] = ['text', 'markdown', 'json', 'html'];

export interface RenderOptions extends Partial<TextOptions>, MarkdownOptions, HtmlOptions {}

/** One entry point for the CLI and GET /report. `color` applies to text only (default off). */
export function renderReport(report: Report, format: ReportFormat, opts: RenderOptions = {}): string {
  switch (format) {
    case 'text':
      return renderText(report, { ...opts, color: opts.color ?? false });
    case 'markdown':
      return renderMarkdown(report, opts);
    case 'json':
      return renderJson(report);
    case 'html':
      return renderHtml(report, opts);
  }
}
