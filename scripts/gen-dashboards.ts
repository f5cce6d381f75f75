// warren's Grafana dashboards, built from code so the five stay consistent (variables,
// colours, thresholds from the rule catalogue) and typed against Grafana's own schema
// (@grafana/schema). dashboards/*.json are renderDashboardFiles() written out; a unit test
// holds them equal and type-checks each JSON file against WarrenDashboard. Regenerate:
//   WARREN_WRITE_GENERATED=1 npx vitest run --project unit test/unit/dashboards.test.ts
//
// Queries use only the metrics warren exports, never the recording rules, so the
// dashboards work without alerts/ loaded. Every query returns data on a healthy cluster
// (the end-to-end test asserts it): "how many are broken" is `count(...) or vector(0)`,
// and lists show every subject sorted worst first rather than only the broken ones.
import type {
  DataQuery,
  DataSourceRef,
  Dashboard,
  FieldConfig,
  FieldConfigSource,
  Panel,
  RowPanel,
  VariableModel,
} from '@grafana/schema';
import type { Options as BarGaugeOptions } from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import type { Options as GaugeOptions } from '@grafana/schema/dist/esm/raw/composable/gauge/panelcfg/x/GaugePanelCfg_types.gen';
import type { Options as StatOptions } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type {
  FieldConfig as TableFieldConfig,
  Options as TableOptions,
} from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type {
  FieldConfig as TimeSeriesFieldConfig,
  Options as TimeSeriesOptions,
} from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';
import { catalogueFacts } from '../src/rules/promql.js';

// ---- the schema types the JSON must satisfy ---------------------------------------------

/**
 * A type as JSON can spell it: Grafana's string enums (FieldColorModeId, ThresholdsMode,
 * ...) become the union of their string values, since a JSON file holds `"absolute"`,
 * not `ThresholdsMode.Absolute`. Numeric enums stay (a JSON number literal checks
 * against them). Everything else is unchanged, so the check stays Grafana's.
 */
export type Json<T> = T extends string
  ? `${T}`
  : T extends number | boolean | null | undefined
    ? T
    : T extends ReadonlyArray<infer U>
      ? Array<Json<U>>
      : T extends object
        ? { [K in keyof T]: Json<T[K]> }
        : T;

/** A Prometheus query target (Grafana's prometheus plugin query model; not in @grafana/schema). */
export interface PromTarget extends Omit<DataQuery, 'datasource'> {
  datasource: { type: 'prometheus'; uid: string };
  expr: string;
  legendFormat?: string;
  instant?: boolean;
  range?: boolean;
  format?: 'time_series' | 'table' | 'heatmap';
  editorMode?: 'code' | 'builder';
  interval?: string;
}

/** A panel of one visualization, with that plugin's options and field config (partial: Grafana fills the rest). */
type TypedPanel<TType extends string, TOptions, TCustom> = Omit<Panel, 'type' | 'options' | 'fieldConfig' | 'targets'> & {
  type: TType;
  options: Partial<TOptions>;
  fieldConfig: Omit<FieldConfigSource, 'defaults'> & { defaults: Omit<FieldConfig, 'custom'> & { custom?: Partial<TCustom> } };
  targets: PromTarget[];
};

type NoCustom = Record<string, never>;
export type StatPanel = TypedPanel<'stat', StatOptions, NoCustom>;
export type GaugePanel = TypedPanel<'gauge', GaugeOptions, NoCustom>;
export type BarGaugePanel = TypedPanel<'bargauge', BarGaugeOptions, NoCustom>;
export type TimeSeriesPanel = TypedPanel<'timeseries', TimeSeriesOptions, TimeSeriesFieldConfig>;
export type TablePanel = TypedPanel<'table', TableOptions, TableFieldConfig>;
export type AnyPanel = StatPanel | GaugePanel | BarGaugePanel | TimeSeriesPanel | TablePanel;

/** Export envelope Grafana writes for "Export for sharing externally". */
export interface ImportInput {
  name: string;
  label: string;
  description: string;
  type: 'datasource';
  pluginId: string;
  pluginName: string;
}
export interface ImportRequirement {
  type: 'grafana' | 'panel' | 'datasource';
  id: string;
  name: string;
  version: string;
}

/** What every file in dashboards/ must be: Grafana's Dashboard, with typed panels and the import envelope. */
export type WarrenDashboard = Json<
  Omit<Dashboard, 'panels' | 'templating'> &
    Required<Pick<Dashboard, 'title' | 'uid' | 'schemaVersion' | 'time' | 'tags'>> & {
      __inputs: ImportInput[];
      __requires: ImportRequirement[];
      panels: Array<AnyPanel | (Omit<RowPanel, 'panels'> & { panels: AnyPanel[] })>;
      templating: { list: VariableModel[] };
    }
>;

// ---- conventions ----------------------------------------------------------------------

/** Grafana 10.4 / 11.0 export this schema version; later versions migrate it on load. */
const SCHEMA_VERSION = 39;
const DS: PromTarget['datasource'] = { type: 'prometheus', uid: '${datasource}' };
const DS_REF: DataSourceRef = DS;

// Colours operators expect: green fine, orange (amber) warning, red critical, blue neutral.
const GREEN = 'green';
const AMBER = 'orange';
const RED = 'red';
const NEUTRAL = 'blue';

type Steps = Array<[value: number | null, color: string]>;

function thresholds(steps: Steps): Json<FieldConfig['thresholds']> {
  return { mode: 'absolute', steps: steps.map(([value, color]) => ({ value, color })) };
}

/** Higher is worse: green below `warn`, amber from it, red from `crit`. */
const rising = (warn: number, crit: number): Steps => [
  [null, GREEN],
  [warn, AMBER],
  [crit, RED],
];
/** Any non-zero is bad. */
const anyIsBad = (color = RED): Steps => [
  [null, GREEN],
  [1, color],
];
const neutral: Steps = [[null, NEUTRAL]];

const c = (id: string, key: string): number => {
  const v = catalogueFacts(id).defaults[key];
  if (typeof v !== 'number') throw new Error(`${id} has no default ${key}`);
  return v;
};

// Thresholds from the rule catalogue, so a colour turns when the alert would.
const MEM_RATIO = c('memory-high', 'ratio');
const FD_RATIO = c('file-descriptors-high', 'ratio');
const DISK_FACTOR = c('disk-low', 'factor');
const BACKLOG_WARN = c('queue-backlog', 'warning');
const BACKLOG_CRIT = c('queue-backlog', 'critical');
const UNACKED = c('unacked-high', 'unacked');
const RPC_WARN = c('openstack-rpc-backlog', 'warning');
const RPC_CRIT = c('openstack-rpc-backlog', 'critical');
const NOTIF = c('openstack-notifications-unconsumed', 'messages');
const ORPHANS = c('openstack-orphan-queues', 'max');
const CHANNELS = c('channels-per-connection-high', 'channels');
const CHURN = c('connection-churn', 'ratio');
/** channels-per-connection-high's other trigger: a share of channel_max, at RabbitMQ's default 2047. */
const CHANNELS_CRIT = Math.ceil(c('channels-per-connection-high', 'channelMaxRatio') * 2047);
/** Red for resource ratios: the 90 % the mixins and Nagios plugins use for critical. */
const RATIO_CRIT = 0.9;

// ---- panel builders -------------------------------------------------------------------

interface Size {
  w: number;
  h: number;
}

type Unplaced<P> = Json<Omit<P, 'id' | 'gridPos'>>;
type UnplacedPanel = Unplaced<StatPanel> | Unplaced<GaugePanel> | Unplaced<BarGaugePanel> | Unplaced<TimeSeriesPanel> | Unplaced<TablePanel>;

/** A panel before layout: the layout gives it an id and a grid position. */
type Draft = { size: Size; panel: UnplacedPanel } | { row: string };

function target(expr: string, legend?: string, opts: { instant?: boolean; table?: boolean } = {}): Omit<PromTarget, 'refId'> {
  const t: Omit<PromTarget, 'refId'> = { datasource: DS, editorMode: 'code', expr, range: !opts.instant, instant: !!opts.instant };
  if (legend !== undefined) t.legendFormat = legend;
  if (opts.table) t.format = 'table';
  return t;
}

function withRefIds(targets: Array<Omit<PromTarget, 'refId'>>): PromTarget[] {
  return targets.map((t, i) => ({ ...t, refId: String.fromCharCode(65 + i) }));
}

interface Common {
  title: string;
  description: string;
  unit?: string;
  steps?: Steps;
  min?: number;
  max?: number;
  decimals?: number;
  mappings?: Json<FieldConfig['mappings']>;
  noValue?: string;
}

function defaults(o: Common): Json<Omit<FieldConfig, 'custom'>> {
  const d: Json<Omit<FieldConfig, 'custom'>> = {
    color: { mode: o.steps ? 'thresholds' : 'palette-classic' },
    thresholds: thresholds(o.steps ?? neutral),
  };
  if (o.unit) d.unit = o.unit;
  if (o.min !== undefined) d.min = o.min;
  if (o.max !== undefined) d.max = o.max;
  if (o.decimals !== undefined) d.decimals = o.decimals;
  if (o.mappings) d.mappings = o.mappings;
  if (o.noValue) d.noValue = o.noValue;
  return d;
}

const REDUCE_LAST = { calcs: ['lastNotNull'], fields: '', values: false };

/** One number (or one per series), coloured by thresholds. */
function stat(o: Common & { exprs: Array<[expr: string, legend?: string]>; textMode?: 'auto' | 'name' | 'value_and_name'; graph?: boolean }, size: Size = { w: 4, h: 4 }): Draft {
  const panel: Unplaced<StatPanel> = {
    type: 'stat',
    title: o.title,
    description: o.description,
    datasource: DS_REF,
    targets: withRefIds(o.exprs.map(([e, l]) => target(e, l ?? '', { instant: !o.graph }))),
    fieldConfig: { defaults: defaults(o), overrides: [] },
    options: {
      reduceOptions: REDUCE_LAST,
      orientation: 'auto',
      textMode: o.textMode ?? 'auto',
      colorMode: o.steps ? 'background' : 'value',
      graphMode: o.graph ? 'area' : 'none',
      justifyMode: 'auto',
      wideLayout: true,
      showPercentChange: false,
    },
  };
  return { size, panel };
}

/** One bar per series (per node, per queue), coloured by thresholds. */
function bargauge(o: Common & { expr: string; legend: string }, size: Size = { w: 8, h: 6 }): Draft {
  const panel: Unplaced<BarGaugePanel> = {
    type: 'bargauge',
    title: o.title,
    description: o.description,
    datasource: DS_REF,
    targets: withRefIds([target(o.expr, o.legend, { instant: true })]),
    fieldConfig: { defaults: defaults(o), overrides: [] },
    options: {
      reduceOptions: REDUCE_LAST,
      orientation: 'horizontal',
      displayMode: 'gradient',
      valueMode: 'color',
      namePlacement: 'auto',
      showUnfilled: true,
      sizing: 'auto',
      minVizHeight: 16,
      minVizWidth: 8,
      maxVizHeight: 300,
    },
  };
  return { size, panel };
}

/** A gauge per series, for ratios against a limit. */
function gauge(o: Common & { expr: string; legend: string }, size: Size = { w: 6, h: 6 }): Draft {
  const panel: Unplaced<GaugePanel> = {
    type: 'gauge',
    title: o.title,
    description: o.description,
    datasource: DS_REF,
    targets: withRefIds([target(o.expr, o.legend, { instant: true })]),
    fieldConfig: { defaults: defaults(o), overrides: [] },
    options: {
      reduceOptions: REDUCE_LAST,
      orientation: 'auto',
      showThresholdLabels: false,
      showThresholdMarkers: true,
      minVizHeight: 75,
      minVizWidth: 75,
      sizing: 'auto',
    },
  };
  return { size, panel };
}

/** Lines over time; thresholds, when given, are drawn as dashed lines. */
function timeseries(
  o: Common & { exprs: Array<[expr: string, legend: string]>; stack?: boolean; bars?: boolean },
  size: Size = { w: 12, h: 8 },
): Draft {
  const custom: Json<Partial<TimeSeriesFieldConfig>> = {
    drawStyle: o.bars ? 'bars' : 'line',
    lineWidth: 1,
    fillOpacity: o.stack ? 30 : 10,
    showPoints: 'never',
    spanNulls: false,
    stacking: { mode: o.stack ? 'normal' : 'none', group: 'A' },
    thresholdsStyle: { mode: o.steps ? 'dashed' : 'off' },
  };
  const d = defaults(o);
  // Series keep palette colours; the thresholds only draw the lines.
  d.color = { mode: 'palette-classic' };
  const panel: Unplaced<TimeSeriesPanel> = {
    type: 'timeseries',
    title: o.title,
    description: o.description,
    datasource: DS_REF,
    targets: withRefIds(o.exprs.map(([e, l]) => target(e, l))),
    fieldConfig: { defaults: { ...d, custom }, overrides: [] },
    options: {
      legend: { showLegend: true, displayMode: 'list', placement: 'bottom', calcs: [] },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  };
  return { size, panel };
}

interface Column {
  /** Column header; the query's value column is renamed to it. */
  name: string;
  expr: string;
  unit?: string;
  steps?: Steps;
  decimals?: number;
}

/**
 * A table of instant queries joined on their labels: one row per subject, one column
 * per query. Each query must aggregate `by` the same labels so the rows line up.
 */
function table(
  o: { title: string; description: string; columns: Column[]; hide?: string[]; sortBy?: { column: string; desc: boolean } },
  size: Size = { w: 24, h: 8 },
): Draft {
  const targets = withRefIds(o.columns.map((col) => target(col.expr, '', { instant: true, table: true })));
  const rename: Record<string, string> = {};
  targets.forEach((t, i) => (rename[o.columns.length > 1 ? `Value #${t.refId}` : 'Value'] = o.columns[i]!.name));
  const exclude: Record<string, boolean> = { Time: true };
  for (const h of o.hide ?? []) exclude[h] = true;
  const overrides: Json<FieldConfigSource['overrides']> = o.columns
    .filter((col) => col.unit || col.steps || col.decimals !== undefined)
    .map((col) => {
      const properties: Array<{ id: string; value?: unknown }> = [];
      if (col.unit) properties.push({ id: 'unit', value: col.unit });
      if (col.decimals !== undefined) properties.push({ id: 'decimals', value: col.decimals });
      if (col.steps) {
        properties.push({ id: 'thresholds', value: thresholds(col.steps) });
        properties.push({ id: 'color', value: { mode: 'thresholds' } });
        properties.push({ id: 'custom.cellOptions', value: { type: 'color-background', mode: 'basic' } });
      }
      return { matcher: { id: 'byName', options: col.name }, properties };
    });
  const panel: Unplaced<TablePanel> = {
    type: 'table',
    title: o.title,
    description: o.description,
    datasource: DS_REF,
    targets,
    transformations: [
      { id: 'merge', options: {} },
      { id: 'organize', options: { excludeByName: exclude, renameByName: rename, indexByName: {} } },
    ],
    fieldConfig: {
      defaults: {
        ...defaults({ title: o.title, description: o.description }),
        custom: { align: 'auto', cellOptions: { type: 'auto' }, inspect: false, filterable: true },
      },
      overrides,
    },
    options: {
      showHeader: true,
      cellHeight: 'sm',
      frameIndex: 0,
      ...(o.sortBy ? { sortBy: [{ displayName: o.sortBy.column, desc: o.sortBy.desc }] } : {}),
    },
  };
  return { size, panel };
}

const row = (title: string): Draft => ({ row: title });

/** Flows panels left to right in Grafana's 24-column grid; a row starts a new line. */
function layout(drafts: Draft[]): Json<WarrenDashboard['panels']> {
  const panels: Json<WarrenDashboard['panels']> = [];
  let id = 1;
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  for (const d of drafts) {
    if ('row' in d) {
      y += lineHeight;
      x = 0;
      lineHeight = 0;
      panels.push({ type: 'row', title: d.row, id: id++, collapsed: false, panels: [], gridPos: { h: 1, w: 24, x: 0, y } });
      y += 1;
      continue;
    }
    if (x + d.size.w > 24) {
      y += lineHeight;
      x = 0;
      lineHeight = 0;
    }
    panels.push({ ...d.panel, id: id++, gridPos: { h: d.size.h, w: d.size.w, x, y } });
    x += d.size.w;
    lineHeight = Math.max(lineHeight, d.size.h);
  }
  return panels;
}

// ---- variables --------------------------------------------------------------------------

const datasourceVariable: Json<VariableModel> = {
  name: 'datasource',
  label: 'Data source',
  type: 'datasource',
  query: 'prometheus',
  // `default` = Grafana's default Prometheus data source; provisioning and UI import both work.
  current: { text: 'default', value: 'default' },
  hide: 0,
  includeAll: false,
  multi: false,
  options: [],
  refresh: 1,
  regex: '',
  skipUrlSync: false,
};

function queryVariable(name: string, label: string, query: string, opts: { all?: boolean; multi?: boolean } = {}): Json<VariableModel> {
  const v: Json<VariableModel> = {
    name,
    label,
    type: 'query',
    datasource: DS_REF,
    query: { qryType: 1, query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    refresh: 2,
    regex: '',
    sort: 1,
    hide: 0,
    includeAll: !!opts.all,
    multi: !!opts.multi,
    options: [],
    skipUrlSync: false,
  };
  if (opts.all) {
    v.allValue = '.*';
    v.current = { text: 'All', value: '$__all' };
  }
  return v;
}

const clusterVariable = (metric = 'rabbitmq_up', all = false) =>
  queryVariable('cluster', 'Cluster', `label_values(${metric}, cluster)`, all ? { all: true, multi: true } : {});
const vhostVariable = queryVariable('vhost', 'Vhost', 'label_values(rabbitmq_queue_messages{cluster=~"$cluster"}, vhost)', { all: true, multi: true });
const queueVariable = queryVariable('queue', 'Queue', 'label_values(rabbitmq_queue_messages{cluster=~"$cluster", vhost=~"$vhost"}, queue)', {
  all: true,
  multi: true,
});
const serviceVariable = queryVariable('service', 'OpenStack service', 'label_values(rabbitmq_openstack_queues{cluster=~"$cluster"}, service)', {
  all: true,
  multi: true,
});
const topnVariable: Json<VariableModel> = {
  name: 'topn',
  label: 'Top N',
  type: 'custom',
  query: '5,10,20,50',
  current: { text: '10', value: '10' },
  options: ['5', '10', '20', '50'].map((v) => ({ text: v, value: v, selected: v === '10' })),
  hide: 0,
  includeAll: false,
  multi: false,
  skipUrlSync: false,
};

// ---- the dashboards ---------------------------------------------------------------------

const C = 'cluster=~"$cluster"';
const CV = `${C}, vhost=~"$vhost"`;
const CVQ = `${CV}, queue=~"$queue"`;
const CS = `${C}, service=~"$service"`;
/** Per-queue metrics carry the service as openstack_service. */
const CQS = `${C}, openstack_service=~"$service"`;

const UP_MAPPING: Json<FieldConfig['mappings']> = [
  { type: 'value', options: { '0': { text: 'DOWN', color: RED, index: 0 }, '1': { text: 'UP', color: GREEN, index: 1 } } },
];
const ALARM_MAPPING: Json<FieldConfig['mappings']> = [{ type: 'value', options: { '0': { text: 'OK', color: GREEN, index: 0 } } }];

/** Dedupes warren replicas scraping the same cluster: one value per node. */
const perNode = (expr: string) => `max by (node) (${expr})`;

function overview(): Draft[] {
  return [
    row('Status'),
    stat({ title: 'Broker', description: 'Whether warren reached the management API on its last poll (rabbitmq_up).', exprs: [[`max(rabbitmq_up{${C}})`]], steps: [[null, RED], [1, GREEN]], mappings: UP_MAPPING }, { w: 3, h: 4 }),
    stat({ title: 'Nodes running', description: 'Nodes that report running.', exprs: [[`sum(${perNode(`rabbitmq_running{${C}}`)})`]], steps: neutral }, { w: 3, h: 4 }),
    stat({
      title: 'Nodes missing',
      description: 'Expected nodes (configured, else the most ever seen) minus running ones: node-down.',
      exprs: [[`max(rabbitmq_nodes_expected{${C}}) - sum(${perNode(`rabbitmq_running{${C}}`)})`]],
      steps: anyIsBad(),
    }, { w: 3, h: 4 }),
    stat({ title: 'Memory alarms', description: 'Nodes with the memory alarm set: publishers are blocked (memory-alarm).', exprs: [[`sum(${perNode(`rabbitmq_node_mem_alarm{${C}}`)})`]], steps: anyIsBad(), mappings: ALARM_MAPPING }, { w: 3, h: 4 }),
    stat({ title: 'Disk alarms', description: 'Nodes with the disk alarm set: publishers are blocked (disk-alarm).', exprs: [[`sum(${perNode(`rabbitmq_node_disk_free_alarm{${C}}`)})`]], steps: anyIsBad(), mappings: ALARM_MAPPING }, { w: 3, h: 4 }),
    stat({ title: 'Partitions', description: 'Most partitioned peers any node reports (network-partition).', exprs: [[`max(rabbitmq_partitions{${C}})`]], steps: anyIsBad(), mappings: ALARM_MAPPING }, { w: 3, h: 4 }),
    stat({
      title: 'Critical alerts',
      description: 'warren alerts firing with severity critical.',
      exprs: [[`count(warren_alert_active{${C}, severity="critical"} > 0) or vector(0)`]],
      steps: anyIsBad(),
    }, { w: 3, h: 4 }),
    stat({
      title: 'Warnings',
      description: 'warren alerts firing with severity warning.',
      exprs: [[`count(warren_alert_active{${C}, severity="warning"} > 0) or vector(0)`]],
      steps: anyIsBad(AMBER),
    }, { w: 3, h: 4 }),
    table({
      title: 'Nodes',
      description: `One row per node. Memory and file descriptors turn amber at the alert thresholds (${MEM_RATIO * 100} %, ${FD_RATIO * 100} %); disk free is shown as a multiple of the limit (red below 1 = alarm, amber below ${DISK_FACTOR} = disk-low).`,
      columns: [
        { name: 'Running', expr: perNode(`rabbitmq_running{${C}}`), steps: [[null, RED], [1, GREEN]] },
        { name: 'Memory used', expr: perNode(`rabbitmq_node_mem_used{${C}} / (rabbitmq_node_mem_limit{${C}} > 0)`), unit: 'percentunit', steps: rising(MEM_RATIO, RATIO_CRIT) },
        { name: 'Disk free ÷ limit', expr: perNode(`rabbitmq_node_disk_free{${C}} / (rabbitmq_node_disk_free_limit{${C}} > 0)`), unit: 'suffix:×', decimals: 1, steps: [[null, RED], [1, AMBER], [DISK_FACTOR, GREEN]] },
        { name: 'File descriptors used', expr: perNode(`rabbitmq_fd_used{${C}} / (rabbitmq_fd_available{${C}} > 0)`), unit: 'percentunit', steps: rising(FD_RATIO, RATIO_CRIT) },
        { name: 'Erlang processes used', expr: perNode(`rabbitmq_node_proc_used{${C}} / (rabbitmq_node_proc_available{${C}} > 0)`), unit: 'percentunit', steps: rising(FD_RATIO, RATIO_CRIT) },
        { name: 'Partitions', expr: perNode(`rabbitmq_partitions{${C}}`), steps: anyIsBad() },
        { name: 'Uptime', expr: perNode(`rabbitmq_uptime{${C}}`), unit: 'dtdurationms' },
      ],
      sortBy: { column: 'Running', desc: false },
    }, { w: 16, h: 7 }),
    table({
      title: 'Versions',
      description: 'RabbitMQ and Erlang version per node (cluster-version-mismatch when they differ).',
      columns: [{ name: 'Nodes', expr: `count by (rabbitmq, erlang) (rabbitmq_version_info{${C}})` }],
    }, { w: 8, h: 7 }),

    row('Headroom'),
    bargauge({
      title: 'Memory used of the watermark',
      description: `mem_used ÷ the memory limit. Amber at ${MEM_RATIO * 100} % (memory-high), red at ${RATIO_CRIT * 100} %; at 100 % the alarm blocks publishers.`,
      expr: perNode(`rabbitmq_node_mem_used{${C}} / (rabbitmq_node_mem_limit{${C}} > 0)`),
      legend: '{{node}}',
      unit: 'percentunit',
      min: 0,
      max: 1,
      steps: rising(MEM_RATIO, RATIO_CRIT),
    }),
    bargauge({
      title: 'Disk free ÷ disk free limit',
      description: `Free disk as a multiple of disk_free_limit. Red below 1 (the disk alarm), amber below ${DISK_FACTOR} (disk-low).`,
      expr: perNode(`rabbitmq_node_disk_free{${C}} / (rabbitmq_node_disk_free_limit{${C}} > 0)`),
      legend: '{{node}}',
      unit: 'suffix:×',
      decimals: 1,
      min: 0,
      steps: [[null, RED], [1, AMBER], [DISK_FACTOR, GREEN]],
    }),
    bargauge({
      title: 'File descriptors used',
      description: `fd_used ÷ the fd limit. Amber at ${FD_RATIO * 100} % (file-descriptors-high), red at ${RATIO_CRIT * 100} %; at the limit new connections are refused.`,
      expr: perNode(`rabbitmq_fd_used{${C}} / (rabbitmq_fd_available{${C}} > 0)`),
      legend: '{{node}}',
      unit: 'percentunit',
      min: 0,
      max: 1,
      steps: rising(FD_RATIO, RATIO_CRIT),
    }),
    timeseries({
      title: 'Memory headroom before the alarm',
      description: 'Memory limit minus memory used, per node. The RabbitMQ overview dashboard warns below 512 MiB.',
      exprs: [[perNode(`rabbitmq_node_mem_limit{${C}} - rabbitmq_node_mem_used{${C}}`), '{{node}}']],
      unit: 'bytes',
      steps: [[null, RED], [256 * 2 ** 20, AMBER], [512 * 2 ** 20, GREEN]],
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'Disk free and limit',
      description: 'Free disk per node, and the limit at which the disk alarm blocks publishers.',
      exprs: [
        [perNode(`rabbitmq_node_disk_free{${C}}`), 'free {{node}}'],
        [perNode(`rabbitmq_node_disk_free_limit{${C}}`), 'limit {{node}}'],
      ],
      unit: 'bytes',
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'Sockets and Erlang processes used',
      description: `Sockets (up to RabbitMQ 3.x) and Erlang processes as a share of their limits; file-descriptors-high watches them too.`,
      exprs: [
        [perNode(`rabbitmq_sockets_used{${C}} / (rabbitmq_sockets_available{${C}} > 0)`), 'sockets {{node}}'],
        [perNode(`rabbitmq_node_proc_used{${C}} / (rabbitmq_node_proc_available{${C}} > 0)`), 'processes {{node}}'],
      ],
      unit: 'percentunit',
      min: 0,
      max: 1,
      steps: rising(FD_RATIO, RATIO_CRIT),
    }, { w: 8, h: 8 }),

    row('Messages'),
    stat({ title: 'Ready', description: 'Messages ready for delivery, all queues.', exprs: [[`max(rabbitmq_queue_messages_ready_global{${C}})`]], steps: rising(BACKLOG_CRIT, 10 * BACKLOG_CRIT), graph: true }, { w: 6, h: 4 }),
    stat({ title: 'Unacknowledged', description: 'Messages delivered and not yet acknowledged, all queues.', exprs: [[`max(rabbitmq_queue_messages_unacknowledged_global{${C}})`]], steps: rising(UNACKED, 10 * UNACKED), graph: true }, { w: 6, h: 4 }),
    stat({ title: 'Published', description: 'Messages published per second (warren, between polls).', exprs: [[`max(rabbitmq_messages_publish_rate{${C}})`]], unit: 'mps', graph: true }, { w: 6, h: 4 }),
    stat({ title: 'Delivered', description: 'Messages delivered per second (warren, between polls).', exprs: [[`max(rabbitmq_messages_deliver_rate{${C}})`]], unit: 'mps', graph: true }, { w: 6, h: 4 }),
    timeseries({
      title: 'Queued messages',
      description: 'Ready and unacknowledged messages in all queues.',
      exprs: [
        [`max(rabbitmq_queue_messages_ready_global{${C}})`, 'ready'],
        [`max(rabbitmq_queue_messages_unacknowledged_global{${C}})`, 'unacknowledged'],
      ],
      unit: 'short',
      stack: true,
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'Message rates',
      description: 'Published and delivered messages per second, from the broker counters.',
      exprs: [
        [`max(rate(rabbitmq_messages_published_total{${C}}[$__rate_interval]))`, 'published'],
        [`max(rate(rabbitmq_messages_delivered_total{${C}}[$__rate_interval]))`, 'delivered'],
      ],
      unit: 'mps',
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'Unroutable messages',
      description: 'Messages returned to publishers or dropped because no queue was bound (unroutable-messages). In OpenStack a returned reply means the caller\'s reply_ queue is gone.',
      exprs: [
        [`max(rate(rabbitmq_messages_unroutable_returned_total{${C}}[$__rate_interval]))`, 'returned'],
        [`max(rate(rabbitmq_messages_unroutable_dropped_total{${C}}[$__rate_interval]))`, 'dropped'],
      ],
      unit: 'mps',
      steps: [[null, GREEN], [0.001, AMBER]],
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'Exchanges: top published in',
      description: 'Messages published into each exchange per second (the $topn busiest).',
      exprs: [[`topk($topn, max by (vhost, exchange) (rate(rabbitmq_exchange_messages_published_in_total{${C}}[$__rate_interval])))`, '{{vhost}} {{exchange}}']],
      unit: 'mps',
    }, { w: 12, h: 8 }),
    timeseries({
      title: 'Exchanges: top published out',
      description: 'Messages routed out of each exchange per second (the $topn busiest).',
      exprs: [[`topk($topn, max by (vhost, exchange) (rate(rabbitmq_exchange_messages_published_out_total{${C}}[$__rate_interval])))`, '{{vhost}} {{exchange}}']],
      unit: 'mps',
    }, { w: 12, h: 8 }),

    row('Totals'),
    ...(
      [
        ['Queues', 'rabbitmq_queues'],
        ['Exchanges', 'rabbitmq_exchanges'],
        ['Connections', 'rabbitmq_connections'],
        ['Channels', 'rabbitmq_channels'],
        ['Consumers', 'rabbitmq_consumers'],
        ['Messages', 'rabbitmq_queue_messages_global'],
      ] as const
    ).map(([title, metric]) => stat({ title, description: `${title} in the cluster (${metric}).`, exprs: [[`max(${metric}{${C}})`]], graph: true }, { w: 4, h: 4 })),
    timeseries({
      title: 'Objects',
      description: 'Queues, exchanges, connections, channels and consumers over time.',
      exprs: (['queues', 'exchanges', 'connections', 'channels', 'consumers'] as const).map((m): [string, string] => [`max(rabbitmq_${m}{${C}})`, m]),
    }, { w: 24, h: 8 }),

    row('AMQP probe'),
    timeseries({
      title: 'AMQP probe failures',
      description: "Listeners of each node where warren's AMQP probe failed its last round (amqp-probe-failed); 0 when none fail or the probe is off.",
      exprs: [[`count by (node) (warren_probe_success{${C}} == 0) or on () vector(0)`, '{{node}}']],
      steps: anyIsBad(),
      bars: true,
    }, { w: 12, h: 8 }),
    timeseries({
      title: 'AMQP probe phases',
      description: 'Seconds each phase of the last AMQP probe took, per node (publish + consume is the round trip of amqp-probe-slow); 0 when the probe is off.',
      exprs: [[`max by (node, phase) (warren_probe_duration_seconds{${C}}) or on () vector(0)`, '{{node}} {{phase}}']],
      unit: 's',
    }, { w: 12, h: 8 }),

    row('Security'),
    timeseries({
      title: 'Failed authentication attempts',
      description: 'Failed logins per second, per node and protocol, from the broker\'s counters (authentication-failures judges them, discounting warren\'s own refused requests); 0 when the broker reports none.',
      exprs: [[`sum by (node, protocol) (rate(rabbitmq_auth_attempts_failed_total{${C}}[5m])) or on () vector(0)`, '{{node}} {{protocol}}']],
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'Authentication attempts',
      description: 'Logins per second, per node and protocol, failed or not.',
      exprs: [[`sum by (node, protocol) (rate(rabbitmq_auth_attempts_total{${C}}[5m])) or on () vector(0)`, '{{node}} {{protocol}}']],
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'TLS certificates: days left',
      description: 'Days until each TLS listener\'s certificate expires (tls-certificate-expiring warns under 30, pages under 7); 0 when warren reached no TLS listener.',
      exprs: [[`min by (node, protocol, port) ((warren_tls_certificate_expiry_timestamp_seconds{${C}} - time()) / 86400) or on () vector(0)`, '{{node}} {{protocol}}:{{port}}']],
    }, { w: 8, h: 8 }),
  ];
}

function queues(): Draft[] {
  const top = (expr: string) => `topk($topn, max by (vhost, queue) (${expr}))`;
  // The same $topn queues in every column of the top-N table: those deepest now.
  const deepest = `topk($topn, max by (vhost, queue) (rabbitmq_queue_messages{${CVQ}}))`;
  const ofDeepest = (metric: string) => `max by (vhost, queue) (${metric}{${CVQ}}) and on (vhost, queue) ${deepest}`;
  return [
    row('Summary'),
    stat({ title: 'Queues', description: 'Queues matching the selection.', exprs: [[`count(max by (vhost, queue) (rabbitmq_queue_messages{${CVQ}}))`]] }),
    stat({ title: 'Messages', description: 'Messages in the selected queues.', exprs: [[`sum(max by (vhost, queue) (rabbitmq_queue_messages{${CVQ}}))`]], graph: true }),
    stat({ title: 'Ready', description: 'Ready messages in the selected queues.', exprs: [[`sum(max by (vhost, queue) (rabbitmq_queue_messages_ready{${CVQ}}))`]], graph: true }),
    stat({ title: 'Unacknowledged', description: 'Unacknowledged messages in the selected queues.', exprs: [[`sum(max by (vhost, queue) (rabbitmq_queue_messages_unacknowledged{${CVQ}}))`]], graph: true }),
    stat({
      title: 'Holding messages, no consumer',
      description: 'Queues with messages and no consumer (queue-no-consumer, or an OpenStack rule for OpenStack queues).',
      exprs: [[`count(max by (vhost, queue) (rabbitmq_queue_messages{${CVQ}}) > 0 and max by (vhost, queue) (rabbitmq_queue_consumers{${CVQ}}) == 0) or vector(0)`]],
      steps: anyIsBad(AMBER),
    }),
    stat({
      title: 'Growing now',
      description: 'Queues where publishers currently outpace consumers (warren\'s per-queue rates).',
      exprs: [[`count(max by (vhost, queue) (rabbitmq_queue_messages_publish_rate{${CVQ}} - rabbitmq_queue_messages_deliver_rate{${CVQ}}) > 0) or vector(0)`]],
      steps: anyIsBad(AMBER),
    }),

    row('Depth'),
    timeseries({
      title: 'Messages: the $topn deepest queues',
      description: 'Total messages (ready + unacknowledged) of the deepest queues at each point in time.',
      exprs: [[top(`rabbitmq_queue_messages{${CVQ}}`), '{{vhost}} {{queue}}']],
    }),
    timeseries({
      title: 'Ready and unacknowledged',
      description: 'Ready and unacknowledged messages summed over the selected queues.',
      exprs: [
        [`sum(max by (vhost, queue) (rabbitmq_queue_messages_ready{${CVQ}}))`, 'ready'],
        [`sum(max by (vhost, queue) (rabbitmq_queue_messages_unacknowledged{${CVQ}}))`, 'unacknowledged'],
      ],
      stack: true,
    }),
    timeseries({
      title: 'Ready: the $topn deepest queues',
      description: `Ready messages per queue; queue-backlog warns at ${BACKLOG_WARN} and is critical at ${BACKLOG_CRIT} (dashed lines).`,
      exprs: [[top(`rabbitmq_queue_messages_ready{${CVQ}}`), '{{vhost}} {{queue}}']],
      steps: rising(BACKLOG_WARN, BACKLOG_CRIT),
    }),
    timeseries({
      title: 'Unacknowledged: the $topn highest queues',
      description: `Unacknowledged messages per queue; unacked-high warns at ${UNACKED}.`,
      exprs: [[top(`rabbitmq_queue_messages_unacknowledged{${CVQ}}`), '{{vhost}} {{queue}}']],
      steps: rising(UNACKED, 10 * UNACKED),
    }),

    row('Top queues'),
    table({
      title: 'The $topn deepest queues',
      description: 'Depth, consumers and rates of the deepest queues now. No consumer is red; ready turns amber and red at the queue-backlog thresholds.',
      columns: [
        { name: 'Messages', expr: deepest },
        { name: 'Ready', expr: ofDeepest('rabbitmq_queue_messages_ready'), steps: rising(BACKLOG_WARN, BACKLOG_CRIT) },
        { name: 'Unacked', expr: ofDeepest('rabbitmq_queue_messages_unacknowledged'), steps: rising(UNACKED, 10 * UNACKED) },
        { name: 'Consumers', expr: ofDeepest('rabbitmq_queue_consumers'), steps: [[null, RED], [1, GREEN]] },
        { name: 'Published/s', expr: ofDeepest('rabbitmq_queue_messages_publish_rate'), unit: 'mps' },
        { name: 'Delivered/s', expr: ofDeepest('rabbitmq_queue_messages_deliver_rate'), unit: 'mps' },
      ],
      sortBy: { column: 'Messages', desc: true },
    }, { w: 24, h: 9 }),
    table({
      title: 'Fastest growing: depth change over 15 minutes',
      description: 'The $topn queues whose depth rose most in the last 15 minutes (negative: draining), with their net inflow now.',
      columns: [
        { name: 'Change (15m)', expr: `topk($topn, max by (vhost, queue) (delta(rabbitmq_queue_messages{${CVQ}}[15m])))`, steps: [[null, GREEN], [BACKLOG_WARN, AMBER], [BACKLOG_CRIT, RED]] },
        {
          name: 'Net inflow/s',
          expr: `max by (vhost, queue) (rabbitmq_queue_messages_publish_rate{${CVQ}} - rabbitmq_queue_messages_deliver_rate{${CVQ}}) and on (vhost, queue) topk($topn, max by (vhost, queue) (delta(rabbitmq_queue_messages{${CVQ}}[15m])))`,
          unit: 'mps',
        },
      ],
      sortBy: { column: 'Change (15m)', desc: true },
    }, { w: 12, h: 9 }),
    table({
      title: 'Fewest consumers',
      description: 'The $topn queues with the fewest consumers; 0 (red) means nothing reads the queue.',
      columns: [
        { name: 'Consumers', expr: `bottomk($topn, max by (vhost, queue) (rabbitmq_queue_consumers{${CVQ}}))`, steps: [[null, RED], [1, GREEN]] },
        {
          name: 'Messages',
          expr: `max by (vhost, queue) (rabbitmq_queue_messages{${CVQ}}) and on (vhost, queue) bottomk($topn, max by (vhost, queue) (rabbitmq_queue_consumers{${CVQ}}))`,
        },
      ],
      sortBy: { column: 'Consumers', desc: false },
    }, { w: 12, h: 9 }),

    row('Consumers and rates'),
    timeseries({
      title: 'Consumers: the $topn most consumed queues',
      description: 'Consumers per queue.',
      exprs: [[top(`rabbitmq_queue_consumers{${CVQ}}`), '{{vhost}} {{queue}}']],
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'Publish rate: the $topn busiest queues',
      description: 'Messages published into each queue per second (warren, between polls).',
      exprs: [[top(`rabbitmq_queue_messages_publish_rate{${CVQ}}`), '{{vhost}} {{queue}}']],
      unit: 'mps',
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'Deliver rate: the $topn busiest queues',
      description: 'Messages delivered from each queue per second (warren, between polls).',
      exprs: [[top(`rabbitmq_queue_messages_deliver_rate{${CVQ}}`), '{{vhost}} {{queue}}']],
      unit: 'mps',
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'Published, delivered, acknowledged (selected queues)',
      description: 'Per-second rates from the per-queue counters, summed over the selection.',
      exprs: [
        [`sum(max by (vhost, queue) (rate(rabbitmq_queue_messages_published_total{${CVQ}}[$__rate_interval])))`, 'published'],
        [`sum(max by (vhost, queue) (rate(rabbitmq_queue_messages_delivered_total{${CVQ}}[$__rate_interval])))`, 'delivered'],
        [`sum(max by (vhost, queue) (rate(rabbitmq_queue_messages_acked_total{${CVQ}}[$__rate_interval])))`, 'acknowledged'],
      ],
      unit: 'mps',
    }, { w: 12, h: 8 }),
    timeseries({
      title: 'Net inflow: the $topn fastest growing queues',
      description: 'Published minus delivered per second; above 0 the queue grows (queue-growing).',
      exprs: [[`topk($topn, max by (vhost, queue) (rabbitmq_queue_messages_publish_rate{${CVQ}} - rabbitmq_queue_messages_deliver_rate{${CVQ}}))`, '{{vhost}} {{queue}}']],
      unit: 'mps',
    }, { w: 12, h: 8 }),
    timeseries({
      title: 'Head message age: the $topn oldest',
      description: 'Age of the oldest message of each queue, from its timestamp property (queue-message-age at 15 min). Only queues whose publishers set the property appear: oslo.messaging sets none, see the drain time rule (queue-drain-time) there.',
      exprs: [[`topk($topn, time() - max by (vhost, queue) (rabbitmq_queue_head_message_timestamp{${CVQ}}))`, '{{vhost}} {{queue}}']],
      unit: 's',
    }, { w: 24, h: 8 }),
  ];
}

function openstack(): Draft[] {
  const hostQueue = (metric: string) => `max by (service, topic, host) (${metric}{${CS}})`;
  const lostHosts = `count(max by (service, topic, host) (rabbitmq_openstack_host_queue_consumers{${CS}}) == 0) or vector(0)`;
  return [
    row('Summary'),
    stat({ title: 'Services', description: 'OpenStack services warren recognises on this broker.', exprs: [[`count(max by (service) (rabbitmq_openstack_queues{${CS}, service!=""}))`]] }, { w: 3, h: 4 }),
    stat({ title: 'Hosts', description: 'Hosts seen per service, summed.', exprs: [[`sum(max by (service) (rabbitmq_openstack_hosts{${CS}}))`]] }, { w: 3, h: 4 }),
    stat({
      title: 'Hosts with an unconsumed RPC queue',
      description: 'Per-host RPC queues (compute.<host>, dhcp_agent.<host>, ...) without a consumer: that service on that host is down (openstack-host-queue-unconsumed).',
      exprs: [[lostHosts]],
      steps: anyIsBad(),
    }, { w: 3, h: 4 }),
    stat({
      title: 'Largest RPC topic backlog',
      description: `Ready messages on the fullest shared RPC topic queue (conductor, scheduler, q-plugin, ...); openstack-rpc-backlog warns at ${RPC_WARN}, critical at ${RPC_CRIT}.`,
      exprs: [[`max(rabbitmq_queue_messages_ready{${CQS}, openstack_kind="rpc_topic"}) or vector(0)`]],
      steps: rising(RPC_WARN, RPC_CRIT),
    }, { w: 3, h: 4 }),
    stat({
      title: 'RPC unacked',
      description: 'Unacknowledged messages on RPC queues. oslo acks on receipt, so any that stay mean a stuck consumer (openstack-rpc-unacked).',
      exprs: [[`sum(max by (vhost, queue) (rabbitmq_queue_messages_unacknowledged{${CQS}, openstack_kind=~"rpc_topic|rpc_host"})) or vector(0)`]],
      steps: anyIsBad(AMBER),
    }, { w: 3, h: 4 }),
    stat({
      title: 'Notification backlog',
      description: `Messages in notification queues (notifications.info, ...). Without a consumer they grow until a resource alarm; openstack-notifications-unconsumed at ${NOTIF}.`,
      exprs: [[`sum(max by (service) (rabbitmq_openstack_messages{${CS}, kind="notification"})) or vector(0)`]],
      steps: rising(NOTIF, 100 * NOTIF),
    }, { w: 3, h: 4 }),
    stat({
      title: 'Orphaned queues',
      description: `reply_/fanout (and heat engine_id) queues without a consumer; openstack-orphan-queues above ${ORPHANS}.`,
      exprs: [[`sum(max by (kind) (rabbitmq_openstack_orphan_queues{${C}})) or vector(0)`]],
      steps: rising(ORPHANS + 1, 10 * ORPHANS),
    }, { w: 3, h: 4 }),
    stat({
      title: 'Orphans that never expire',
      description: 'Orphaned queues with neither x-expires nor an expires policy: they stay until deleted by hand.',
      exprs: [[`max(rabbitmq_openstack_orphan_queues_without_expiry{${C}}) or vector(0)`]],
      steps: anyIsBad(AMBER),
    }, { w: 3, h: 4 }),

    row('Per service'),
    table({
      title: 'Services',
      description: 'Queues, messages, consumers, connections and hosts per OpenStack service.',
      columns: [
        { name: 'Queues', expr: `sum by (service) (max by (service, kind) (rabbitmq_openstack_queues{${CS}}))` },
        { name: 'Messages', expr: `sum by (service) (max by (service, kind) (rabbitmq_openstack_messages{${CS}}))` },
        { name: 'Consumers', expr: `sum by (service) (max by (service, kind) (rabbitmq_openstack_consumers{${CS}}))` },
        { name: 'Connections', expr: `sum by (service) (max by (service, host) (rabbitmq_openstack_connections{${CS}}))` },
        { name: 'Hosts', expr: `max by (service) (rabbitmq_openstack_hosts{${CS}})` },
      ],
      sortBy: { column: 'Messages', desc: true },
    }, { w: 12, h: 8 }),
    timeseries({
      title: 'Messages by service and queue kind',
      description: 'Messages in each service\'s queues, by kind (rpc_topic, rpc_host, fanout, reply, notification).',
      exprs: [[`max by (service, kind) (rabbitmq_openstack_messages{${CS}})`, '{{service}} {{kind}}']],
    }, { w: 12, h: 8 }),
    timeseries({
      title: 'Consumers by service',
      description: 'Consumers on each service\'s queues.',
      exprs: [[`sum by (service) (max by (service, kind) (rabbitmq_openstack_consumers{${CS}}))`, '{{service}}']],
    }, { w: 12, h: 8 }),
    timeseries({
      title: 'Connections by service',
      description: 'AMQP connections each service holds (attributed by oslo connection name and peer host).',
      exprs: [[`sum by (service) (max by (service, host) (rabbitmq_openstack_connections{${CS}}))`, '{{service}}']],
    }, { w: 12, h: 8 }),

    row('Per host'),
    table({
      title: 'Per-host RPC queues',
      description: 'Every per-host RPC queue (<topic>.<host>), fewest consumers first. 0 consumers (red) = that service on that host is down; casts pile up until it returns.',
      columns: [
        { name: 'Consumers', expr: hostQueue('rabbitmq_openstack_host_queue_consumers'), steps: [[null, RED], [1, GREEN]] },
        { name: 'Messages', expr: hostQueue('rabbitmq_openstack_host_queue_messages'), steps: rising(RPC_WARN, RPC_CRIT) },
      ],
      sortBy: { column: 'Consumers', desc: false },
    }, { w: 12, h: 10 }),
    table({
      title: 'Connections per service and host',
      description: 'Connections each service holds from each host (openstack-service-connections-high compares them with their usual level).',
      columns: [{ name: 'Connections', expr: `max by (service, host) (rabbitmq_openstack_connections{${CS}})` }],
      sortBy: { column: 'Connections', desc: true },
    }, { w: 12, h: 10 }),
    timeseries({
      title: 'Hosts whose RPC queue lost its consumer',
      description: 'Per service: per-host RPC queues without a consumer (0 when all hosts are up).',
      exprs: [[
        `count by (service) (max by (service, topic, host) (rabbitmq_openstack_host_queue_consumers{${CS}}) == 0) or sum by (service) (0 * max by (service, topic, host) (rabbitmq_openstack_host_queue_consumers{${CS}}))`,
        '{{service}}',
      ]],
      steps: anyIsBad(),
      bars: true,
    }, { w: 12, h: 8 }),
    timeseries({
      title: 'RPC ping latency',
      description: "Seconds each RPC server took to answer warren's oslo_rpc_server_ping (openstack.rpcPing), the $topn slowest; empty when the ping is off.",
      exprs: [[`topk($topn, ${hostQueue('warren_openstack_rpc_ping_seconds')})`, '{{topic}}.{{host}}']],
      unit: 's',
    }, { w: 12, h: 8 }),
    timeseries({
      title: 'RPC servers not answering the ping',
      description: 'Per service: RPC servers whose last oslo_rpc_server_ping went unanswered, and those with 2 or more in a row (openstack-rpc-server-unresponsive when their queue has a consumer); 0 when all answer or the ping is off.',
      exprs: [
        [`count by (service) (${hostQueue('warren_openstack_rpc_ping_success')} == 0) or sum by (service) (0 * ${hostQueue('warren_openstack_rpc_ping_success')})`, '{{service}} last ping'],
        [`count by (service) (${hostQueue('warren_openstack_rpc_ping_consecutive_failures')} >= 2) or sum by (service) (0 * ${hostQueue('warren_openstack_rpc_ping_consecutive_failures')})`, '{{service}} 2+ in a row'],
      ],
      steps: anyIsBad(),
      bars: true,
    }, { w: 12, h: 8 }),
    timeseries({
      title: 'Backlog on per-host RPC queues',
      description: 'Messages waiting on the $topn fullest per-host queues; a backlog with consumers means a stuck service.',
      exprs: [[`topk($topn, ${hostQueue('rabbitmq_openstack_host_queue_messages')})`, '{{topic}}.{{host}}']],
      steps: rising(RPC_WARN, RPC_CRIT),
    }, { w: 12, h: 8 }),

    row('RPC and notifications'),
    timeseries({
      title: 'RPC topic queues: ready',
      description: `Ready messages on shared RPC topic queues; callers time out (MessagingTimeout) when they back up. openstack-rpc-backlog at ${RPC_WARN} / ${RPC_CRIT}.`,
      exprs: [[`max by (openstack_service, queue) (rabbitmq_queue_messages_ready{${CQS}, openstack_kind="rpc_topic"})`, '{{openstack_service}} {{queue}}']],
      steps: rising(RPC_WARN, RPC_CRIT),
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'RPC topic queues: consumers',
      description: 'Consumers per shared RPC topic queue: one per RPC server process of the service.',
      exprs: [[`max by (openstack_service, queue) (rabbitmq_queue_consumers{${CQS}, openstack_kind="rpc_topic"})`, '{{openstack_service}} {{queue}}']],
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'RPC queues: unacknowledged',
      description: 'The $topn RPC queues with the most unacknowledged messages; oslo acks on receipt, so a lasting value is a stuck consumer.',
      exprs: [[`topk($topn, max by (openstack_service, queue) (rabbitmq_queue_messages_unacknowledged{${CQS}, openstack_kind=~"rpc_topic|rpc_host"}))`, '{{openstack_service}} {{queue}}']],
      steps: anyIsBad(AMBER),
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'Notification queues: depth',
      description: `Messages per notification queue. Without a consumer they grow without bound (no TTL); openstack-notifications-unconsumed at ${NOTIF}.`,
      exprs: [[`max by (openstack_service, queue) (rabbitmq_queue_messages{${CQS}, openstack_kind="notification"})`, '{{queue}}']],
      steps: rising(NOTIF, 100 * NOTIF),
    }, { w: 12, h: 8 }),
    table({
      title: 'Notification queues',
      description: 'Depth and consumers of each notification queue; 0 consumers (red) means nothing reads them: add the consumer, set driver = noop, or a TTL policy.',
      columns: [
        { name: 'Messages', expr: `max by (vhost, queue) (rabbitmq_queue_messages{${CQS}, openstack_kind="notification"})`, steps: rising(NOTIF, 100 * NOTIF) },
        { name: 'Consumers', expr: `max by (vhost, queue) (rabbitmq_queue_consumers{${CQS}, openstack_kind="notification"})`, steps: [[null, RED], [1, GREEN]] },
      ],
      sortBy: { column: 'Messages', desc: true },
    }, { w: 12, h: 8 }),

    row('Orphans'),
    timeseries({
      title: 'Orphaned queues by kind',
      description: `Per-process queues (reply_, fanout, heat engine_id) without a consumer. With x-expires they vanish after 30 min; openstack-orphan-queues above ${ORPHANS}.`,
      exprs: [[`max by (kind) (rabbitmq_openstack_orphan_queues{${C}})`, '{{kind}}']],
      steps: rising(ORPHANS + 1, 10 * ORPHANS),
      stack: true,
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'Orphans that never expire',
      description: 'Orphaned queues without x-expires or an expires policy.',
      exprs: [[`max(rabbitmq_openstack_orphan_queues_without_expiry{${C}})`, 'without expiry']],
      steps: anyIsBad(AMBER),
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'Reply and fanout queues',
      description: 'All reply_ and fanout queues (one per RPC client / server process), consumed or not.',
      exprs: [[`sum by (kind) (max by (service, kind) (rabbitmq_openstack_queues{${C}, kind=~"reply|fanout"}))`, '{{kind}}']],
    }, { w: 8, h: 8 }),
  ];
}

function connections(): Draft[] {
  const churnRatio = `(max(rate(rabbitmq_connections_opened_total{${C}}[$__rate_interval])) + max(rate(rabbitmq_connections_closed_total{${C}}[$__rate_interval]))) / max(rabbitmq_connections{${C}} > 0)`;
  const byState = (labels: string, metric: string) => `sum by (${labels}) (max by (vhost, user, state) (${metric}{${CV}}))`;
  return [
    row('Summary'),
    stat({ title: 'Connections', description: 'Open AMQP connections.', exprs: [[`max(rabbitmq_connections{${C}})`]], graph: true }),
    stat({ title: 'Channels', description: 'Open channels.', exprs: [[`max(rabbitmq_channels{${C}})`]], graph: true }),
    stat({ title: 'Consumers', description: 'Consumers on all queues.', exprs: [[`max(rabbitmq_consumers{${C}})`]], graph: true }),
    stat({
      title: 'Blocked connections',
      description: 'Connections in blocked/blocking state: a resource alarm stops publishers (connections-blocked).',
      exprs: [[`sum(max by (vhost, user, state) (rabbitmq_connections_state{${CV}, state=~"blocked|blocking"})) or vector(0)`]],
      steps: anyIsBad(),
    }),
    stat({
      title: 'Most channels on one connection',
      description: `channels-per-connection-high above ${CHANNELS} (amber), red from ${CHANNELS_CRIT}, half of the default channel_max; oslo.messaging uses one channel per connection.`,
      exprs: [[`max(rabbitmq_connection_channels_max{${C}})`]],
      steps: rising(CHANNELS + 1, CHANNELS_CRIT),
    }),
    gauge({
      title: 'Churn',
      description: `Connections opened + closed per second as a share of open connections; connection-churn at ${CHURN * 100} % (with 100+ open).`,
      expr: churnRatio,
      legend: 'churn',
      unit: 'percentunit',
      min: 0,
      max: 5 * CHURN,
      steps: rising(CHURN, 5 * CHURN),
    }, { w: 4, h: 4 }),

    row('Connections'),
    timeseries({ title: 'Connections by state', description: 'running, blocked, blocking, flow, closing, ...', exprs: [[byState('state', 'rabbitmq_connections_state'), '{{state}}']], stack: true }, { w: 8, h: 8 }),
    timeseries({ title: 'Connections by user', description: 'Open connections per user.', exprs: [[byState('user', 'rabbitmq_connections_state'), '{{user}}']], stack: true }, { w: 8, h: 8 }),
    timeseries({ title: 'Connections by vhost', description: 'Open connections per vhost.', exprs: [[byState('vhost', 'rabbitmq_connections_state'), '{{vhost}}']], stack: true }, { w: 8, h: 8 }),
    timeseries({
      title: 'Blocked connections by vhost and user',
      description: 'Connections in blocked/blocking state (0 when none): publishers waiting for a memory or disk alarm to clear.',
      exprs: [[
        `sum by (vhost, user) (max by (vhost, user, state) (rabbitmq_connections_state{${CV}, state=~"blocked|blocking"})) or sum by (vhost, user) (0 * max by (vhost, user, state) (rabbitmq_connections_state{${CV}}))`,
        '{{vhost}} {{user}}',
      ]],
      steps: anyIsBad(),
    }, { w: 12, h: 8 }),
    timeseries({
      title: 'Connection churn ratio',
      description: `Opened + closed per second ÷ open connections; connection-churn at ${CHURN * 100} %.`,
      exprs: [[churnRatio, 'churn']],
      unit: 'percentunit',
      steps: rising(CHURN, 5 * CHURN),
    }, { w: 12, h: 8 }),

    row('Churn'),
    timeseries({
      title: 'Connections opened and closed',
      description: 'Per second. The RabbitMQ overview dashboard colours 2/s amber and 10/s red.',
      exprs: [
        [`max(rate(rabbitmq_connections_opened_total{${C}}[$__rate_interval]))`, 'opened'],
        [`max(rate(rabbitmq_connections_closed_total{${C}}[$__rate_interval]))`, 'closed'],
      ],
      unit: 'ops',
      steps: rising(2, 10),
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'Channels opened and closed',
      description: 'Per second; opened far above closed is a channel leak.',
      exprs: [
        [`max(rate(rabbitmq_channels_opened_total{${C}}[$__rate_interval]))`, 'opened'],
        [`max(rate(rabbitmq_channels_closed_total{${C}}[$__rate_interval]))`, 'closed'],
      ],
      unit: 'ops',
      steps: rising(2, 10),
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'Queues declared and deleted',
      description: 'Per second; bursts at service restarts come from reply_ and fanout queues.',
      exprs: [
        [`max(rate(rabbitmq_queues_declared_total{${C}}[$__rate_interval]))`, 'declared'],
        [`max(rate(rabbitmq_queues_deleted_total{${C}}[$__rate_interval]))`, 'deleted'],
      ],
      unit: 'ops',
      steps: rising(2, 10),
    }, { w: 8, h: 8 }),

    row('Channels'),
    timeseries({ title: 'Channels by state', description: 'Open channels per state.', exprs: [[byState('state', 'rabbitmq_channels_state'), '{{state}}']], stack: true }, { w: 8, h: 8 }),
    timeseries({ title: 'Channels by user', description: 'Open channels per user.', exprs: [[byState('user', 'rabbitmq_channels_state'), '{{user}}']], stack: true }, { w: 8, h: 8 }),
    timeseries({
      title: 'Channels per connection',
      description: `The most channels one connection holds (channels-per-connection-high above ${CHANNELS}) and the average.`,
      exprs: [
        [`max(rabbitmq_connection_channels_max{${C}})`, 'most on one connection'],
        [`max(rabbitmq_channels{${C}}) / max(rabbitmq_connections{${C}} > 0)`, 'average'],
      ],
      steps: rising(CHANNELS + 1, CHANNELS_CRIT),
    }, { w: 8, h: 8 }),
  ];
}

function self(): Draft[] {
  const ofWarren = (expr: string) => `${expr} and on (job, instance) warren_build_info`;
  return [
    row('Status'),
    // warren_up is 0 until the first success; warren_starting tells a start still in its grace from a failure.
    stat({ title: 'Last poll', description: 'Whether warren\'s last poll of each cluster succeeded (warren_up), or warren is still starting on it (warren_starting: no answer yet, within 3 intervals of start).', exprs: [[`warren_up{${C}} + on (job, instance, cluster) 2 * warren_starting{${C}}`, '{{cluster}}']], steps: [[null, RED], [1, GREEN]], mappings: [{ type: 'value', options: { '0': { text: 'FAILED', color: RED, index: 0 }, '1': { text: 'OK', color: GREEN, index: 1 }, '2': { text: 'STARTING', color: AMBER, index: 2 } } }] }),
    stat({ title: 'Stale', description: 'warren serves data older than 3 poll intervals (warren-stale).', exprs: [[`max(warren_stale{${C}})`]], steps: anyIsBad(), mappings: [{ type: 'value', options: { '0': { text: 'fresh', color: GREEN, index: 0 }, '1': { text: 'STALE', color: RED, index: 1 } } }] }),
    stat({ title: 'Data age', description: 'Age of the data warren serves; amber past 2 default intervals, red past 3 (stale).', exprs: [[`max(warren_data_age_seconds{${C}})`]], unit: 's', steps: rising(60, 90) }),
    stat({ title: 'Last success', description: 'When the last poll succeeded.', exprs: [[`max(warren_last_success_timestamp_seconds{${C}}) * 1000`]], unit: 'dateTimeFromNow' }),
    stat({ title: 'Series exported', description: 'Series in warren\'s /metrics.', exprs: [[`sum(warren_series)`]], graph: true }),
    stat({ title: 'Version', description: 'warren version.', exprs: [[`count by (version) (warren_build_info)`, '{{version}}']], textMode: 'name' }),

    row('Polling'),
    timeseries({
      title: 'Poll duration',
      description: 'How long the last poll took. Longer than the interval means skipped ticks (warren-poll-overrun); the management API answered slowly or the cluster is large.',
      exprs: [[`warren_poll_duration_seconds{${C}}`, '{{cluster}}']],
      unit: 's',
      steps: rising(10, 30),
    }, { w: 8, h: 8 }),
    timeseries({ title: 'Broker requests per poll', description: 'HTTP requests warren sent to the broker in the last poll.', exprs: [[`warren_poll_requests{${C}}`, '{{cluster}}']] }, { w: 8, h: 8 }),
    timeseries({ title: 'Bytes per poll', description: 'Bytes warren read from the broker in the last poll.', exprs: [[`warren_poll_bytes{${C}}`, '{{cluster}}']], unit: 'bytes' }, { w: 8, h: 8 }),
    timeseries({
      title: 'Poll errors and skipped ticks',
      description: 'Failed polls and ticks skipped because the previous poll still ran, per interval.',
      exprs: [
        [`increase(warren_poll_errors_total{${C}}[$__rate_interval])`, 'errors {{cluster}}'],
        [`increase(warren_poll_skipped_total{${C}}[$__rate_interval])`, 'skipped {{cluster}}'],
      ],
      steps: anyIsBad(AMBER),
      bars: true,
    }, { w: 12, h: 8 }),
    timeseries({ title: 'Data age', description: 'Seconds since the data warren serves was polled.', exprs: [[`warren_data_age_seconds{${C}}`, '{{cluster}}']], unit: 's', steps: rising(60, 90) }, { w: 12, h: 8 }),

    row('Alerts and notifications'),
    timeseries({
      title: 'Active alerts by severity',
      description: 'warren alerts firing, by severity (0 when none).',
      exprs: [[`count by (severity) (warren_alert_active{${C}} > 0) or on () vector(0)`, '{{severity}}']],
      stack: true,
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'Notifications queued',
      description: 'Alert notifications waiting for delivery, per receiver (0 without receivers).',
      exprs: [[`sum by (receiver) (warren_notifications_queued) or on () vector(0)`, '{{receiver}}']],
    }, { w: 8, h: 8 }),
    timeseries({
      title: 'Notifications failed and dropped',
      description: 'Deliveries that failed (retried) and notifications dropped (lost), per interval (warren-notifications-failing).',
      exprs: [
        [`sum by (receiver) (increase(warren_notifications_failed_total[$__rate_interval])) or on () vector(0)`, 'failed {{receiver}}'],
        [`sum by (receiver) (increase(warren_notifications_dropped_total[$__rate_interval])) or on () vector(0)`, 'dropped {{receiver}}'],
      ],
      steps: anyIsBad(AMBER),
      bars: true,
    }, { w: 8, h: 8 }),

    row('Process'),
    timeseries({ title: 'Resident memory', description: 'warren\'s resident set size.', exprs: [[ofWarren('process_resident_memory_bytes'), '{{instance}}']], unit: 'bytes' }, { w: 6, h: 8 }),
    timeseries({ title: 'Heap used', description: 'V8 heap in use.', exprs: [[ofWarren('nodejs_heap_size_used_bytes'), '{{instance}}']], unit: 'bytes' }, { w: 6, h: 8 }),
    timeseries({ title: 'CPU', description: 'CPU seconds per second.', exprs: [[ofWarren('rate(process_cpu_seconds_total[$__rate_interval])'), '{{instance}}']], unit: 'percentunit' }, { w: 6, h: 8 }),
    timeseries({
      title: 'Event loop lag and render time',
      description: 'Node.js event loop lag, and how long rendering /metrics took after the last poll.',
      exprs: [
        [ofWarren('nodejs_eventloop_lag_seconds'), 'event loop lag {{instance}}'],
        ['warren_render_duration_seconds', 'render {{instance}}'],
      ],
      unit: 's',
    }, { w: 6, h: 8 }),
  ];
}

// ---- assembly ---------------------------------------------------------------------------

interface Spec {
  file: string;
  uid: string;
  title: string;
  description: string;
  variables: Json<VariableModel>[];
  panels: Draft[];
}

const SPECS: Spec[] = [
  {
    file: 'warren-overview.json',
    uid: 'warren-overview',
    title: 'warren / Cluster overview',
    description: 'RabbitMQ cluster health as warren sees it: status, alarms, partitions, nodes, headroom, message rates, totals.',
    variables: [datasourceVariable, clusterVariable(), topnVariable],
    panels: overview(),
  },
  {
    file: 'warren-queues.json',
    uid: 'warren-queues',
    title: 'warren / Queues',
    description: 'Queue depth, ready and unacknowledged messages, consumers, rates, top queues and growth.',
    variables: [datasourceVariable, clusterVariable(), vhostVariable, queueVariable, topnVariable],
    panels: queues(),
  },
  {
    file: 'warren-openstack.json',
    uid: 'warren-openstack',
    title: 'warren / OpenStack services',
    description: 'oslo.messaging traffic per service and host: RPC queues, backlogs, consumers, connections, dead hosts, notifications, orphans.',
    variables: [datasourceVariable, clusterVariable(), serviceVariable, topnVariable],
    panels: openstack(),
  },
  {
    file: 'warren-connections.json',
    uid: 'warren-connections',
    title: 'warren / Connections and channels',
    description: 'Connections and channels: counts by state, user and vhost, churn, channels per connection, blocked publishers.',
    variables: [datasourceVariable, clusterVariable(), vhostVariable],
    panels: connections(),
  },
  {
    file: 'warren-self.json',
    uid: 'warren-self',
    title: 'warren / warren itself',
    description: 'warren\'s own health: polls (duration, requests, bytes, errors, skipped), staleness, alerts and notifications, process.',
    variables: [datasourceVariable, clusterVariable('warren_up', true)],
    panels: self(),
  },
];

const USED_PANEL_TYPES: Record<string, string> = {
  stat: 'Stat',
  gauge: 'Gauge',
  bargauge: 'Bar gauge',
  timeseries: 'Time series',
  table: 'Table',
};

function build(spec: Spec): WarrenDashboard {
  const panels = layout(spec.panels);
  const types = [...new Set(panels.map((p) => p.type).filter((t) => t !== 'row'))].sort();
  return {
    __inputs: [],
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '10.4.0' },
      { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
      ...types.map((t): ImportRequirement => ({ type: 'panel', id: t, name: USED_PANEL_TYPES[t] ?? t, version: '' })),
    ],
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['warren', 'rabbitmq', 'openstack'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    fiscalYearStartMonth: 0,
    liveNow: false,
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    links: [
      {
        title: 'warren',
        type: 'dashboards',
        tags: ['warren'],
        asDropdown: true,
        includeVars: true,
        keepTime: true,
        icon: 'external link',
        targetBlank: false,
        tooltip: 'The other warren dashboards',
      },
    ],
    templating: { list: spec.variables },
    panels,
  };
}

/** Every dashboard, by file name. */
export function buildDashboards(): Record<string, WarrenDashboard> {
  return Object.fromEntries(SPECS.map((s) => [s.file, build(s)]));
}

/** File name -> JSON text of dashboards/*.json. */
export function renderDashboardFiles(): Record<string, string> {
  return Object.fromEntries(Object.entries(buildDashboards()).map(([f, d]) => [f, `${JSON.stringify(d, null, 2)}\n`]));
}
