import type { Report } from './model.js';

/** The report model as pretty JSON: a contract, its shape held by test/unit/report-model.test.ts. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
