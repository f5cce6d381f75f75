import type { Report } from './model.js';

/** The contract (DESIGN.md "Report JSON"): the report model as pretty JSON. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
