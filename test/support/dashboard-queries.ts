// The PromQL a Grafana dashboard runs, taken out of its JSON, with Grafana's template
// variables substituted so Prometheus can run it as is. Used by the tests that check
// every panel query against warren's metric names (unit) and against a real Prometheus
// scraping a real warren (end-to-end). Pure: callers read the files.

/** One query a dashboard runs: a panel target, or a variable's values query. */
export interface DashboardQuery {
  dashboard: string;
  /** Panel title, or `variable <name>`. */
  panel: string;
  refId: string;
  /** PromQL, still with Grafana variables (`$cluster`, `$__rate_interval`). */
  expr: string;
  /** Whether Grafana runs it as an instant query (tables, most stats). */
  instant: boolean;
  kind: 'panel' | 'variable';
}

interface PanelLike {
  title?: string;
  type?: string;
  panels?: PanelLike[];
  targets?: Array<{ expr?: unknown; refId?: unknown; instant?: unknown; hide?: unknown }>;
}

interface VariableLike {
  name?: string;
  type?: string;
  query?: unknown;
  definition?: string;
  current?: { value?: unknown };
  allValue?: string | null;
}

export interface DashboardLike {
  title?: string;
  uid?: string;
  panels?: PanelLike[];
  templating?: { list?: VariableLike[] };
}

/** `label_values(metric{...}, label)` as a query that returns one series per value. */
export function labelValuesAsQuery(query: string): string | null {
  const m = /^\s*label_values\(\s*(.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/s.exec(query);
  if (!m) return null;
  return `count by (${m[2]}) (${m[1]})`;
}

function variableQueryText(v: VariableLike): string | null {
  if (typeof v.query === 'string') return v.query;
  if (v.query && typeof v.query === 'object' && typeof (v.query as { query?: unknown }).query === 'string') {
    return (v.query as { query: string }).query;
  }
  return v.definition ?? null;
}

/** Every PromQL query of a dashboard: panel targets (rows included) and query variables. */
export function dashboardQueries(dashboard: DashboardLike, name = dashboard.uid ?? dashboard.title ?? '?'): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const walk = (panels: readonly PanelLike[]) => {
    for (const p of panels) {
      if (p.panels) walk(p.panels);
      for (const t of p.targets ?? []) {
        if (typeof t.expr !== 'string' || t.hide === true) continue;
        out.push({
          dashboard: name,
          panel: p.title ?? '?',
          refId: typeof t.refId === 'string' ? t.refId : '?',
          expr: t.expr,
          instant: t.instant === true,
          kind: 'panel',
        });
      }
    }
  };
  walk(dashboard.panels ?? []);
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const text = variableQueryText(v);
    if (!text) continue;
    out.push({
      dashboard: name,
      panel: `variable ${v.name ?? '?'}`,
      refId: v.name ?? '?',
      expr: labelValuesAsQuery(text) ?? text,
      instant: true,
      kind: 'variable',
    });
  }
  return out;
}

/** Values of Grafana's built-in interval variables for a substituted query. */
export const DEFAULT_BUILTINS: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '30s',
  __interval_ms: '30000',
  __range: '5m',
  __range_s: '300',
  __range_ms: '300000',
};

/**
 * What a dashboard's variables stand for when nobody picks: `.*` for query variables
 * (every cluster, vhost, queue, service), the current value of custom/constant ones.
 */
export function defaultVariableValues(dashboard: DashboardLike): Record<string, string> {
  const values: Record<string, string> = {};
  for (const v of dashboard.templating?.list ?? []) {
    if (!v.name || v.type === 'datasource') continue;
    if (v.type === 'query') values[v.name] = v.allValue || '.*';
    else if (typeof v.current?.value === 'string') values[v.name] = v.current.value;
  }
  return values;
}

const VARIABLE = /\$\{([A-Za-z0-9_]+)(?::[A-Za-z]+)?\}|\[\[([A-Za-z0-9_]+)\]\]|\$([A-Za-z0-9_]+)/g;

/**
 * Replaces Grafana variables (`$x`, `${x}`, `${x:regex}`, `[[x]]`) by the given values
 * (and the built-in interval ones); an unknown variable throws, so a typo in a panel
 * fails the tests instead of reaching Prometheus as `$clustr`.
 */
export function substituteVariables(
  expr: string,
  values: Readonly<Record<string, string>>,
  builtins: Readonly<Record<string, string>> = DEFAULT_BUILTINS,
): string {
  return expr.replace(VARIABLE, (whole, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    const v = values[name] ?? builtins[name];
    if (v === undefined) throw new Error(`unknown variable ${whole} in: ${expr}`);
    return v;
  });
}

const KEYWORDS = new Set([
  'and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'inf', 'nan', 'atan2',
  // aggregations, which may be followed by `by (...)` rather than `(`
  'sum', 'min', 'max', 'avg', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values',
]);

/**
 * Metric names a PromQL expression reads: identifiers outside strings, label matchers,
 * grouping clauses and ranges that are not function calls or keywords. Good enough for
 * the expressions warren ships (tested against them), not a PromQL parser.
 */
export function metricNamesIn(expr: string): string[] {
  let s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings (label values, label_replace arguments)
    .replace(/\$\{[^}]*\}|\[\[[^\]]*\]\]|\$[A-Za-z0-9_]+/g, '1') // Grafana variables
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1');
  s = s.replace(/\boffset\s+\d+[smhdwy]+/g, '');
  const names = new Set<string>();
  for (const m of s.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    const after = s.slice(m.index! + word.length).trimStart();
    if (after.startsWith('(')) continue; // a function, or a keyword with a clause
    if (KEYWORDS.has(word.toLowerCase())) continue;
    if (/^\d/.test(word)) continue;
    names.add(word);
  }
  return [...names].sort();
}
