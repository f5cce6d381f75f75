// The daemon: one poller per cluster feeding metrics, rules, alerts and the
// report. The HTTP server only ever reads what the last poll left behind.
import { hostname } from 'node:os';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { ClusterConfig, WarrenConfig } from '../config/index.js';
import {
  deflateHead,
  deflateHeadAsync,
  gzipWithTail,
  isStale,
  isStarting,
  renderFreshness,
  renderSteps,
  type ClusterMetricsInput,
  type DeflatedHead,
  type FreshnessInput,
} from '../metrics/index.js';
import { createNotifiers, readStateFile, removeStaleTemporaries, stateWriter, type Notifiers, type SavedState } from '../notify/index.js';
import { buildTopicTable } from '../openstack/index.js';
import { startPoller, type Poller, type PollStatus } from '../poll/index.js';
import { buildReport, REPORT_FORMATS, renderReport, type ClusterInput, type ReportFormat } from '../report/index.js';
import {
  activeAlerts,
  adoptAlertState,
  catalogue,
  emptyAlertState,
  emptyLearned,
  evaluationSteps,
  learn,
  runbookUrl,
  stepAlerts,
  unknownIn,
  type UnknownJudge,
  thresholdLookup,
  unreachableFinding,
  UNREACHABLE_RULE_ID,
  type Alert,
  type AlertChange,
  type AlertState,
  type Finding,
  type LearnedState,
  type ThresholdLookup,
} from '../rules/index.js';
import { openstackView, snapshotsOf, type OpenStackView } from '../snapshot/index.js';
import { createHttpClient, type HttpClient, type ProbeLoop, type RpcPingLoop } from '../sources/index.js';
import { sliced } from '../slices.js';
import { VERSION } from '../version.js';
import { startHttpServer, type HttpServer } from './http.js';
import { startClusterProbe } from './probe.js';
import { startClusterRpcPing } from './rpc-ping.js';
import { startSchedules } from './schedules.js';

/** Everything the daemon knows about one cluster between polls. */
export interface ClusterRuntime {
  cfg: ClusterConfig;
  http: HttpClient;
  poller: Poller;
  /** When this run started polling the cluster (the start grace of broker-unreachable, see isStarting). */
  startedAt: number;
  lookup: ThresholdLookup;
  view: OpenStackView | null;
  learned: LearnedState;
  alerts: AlertState;
  findings: Finding[];
  /** The AMQP probe loop (config `probe`), null when off. */
  probe: ProbeLoop | null;
  /** The oslo RPC ping loop (config `openstack.rpcPing`), started after the first poll; null until then or when off. */
  rpcPing: RpcPingLoop | null;
}

export interface Agent {
  url: string;
  clusters: ClusterRuntime[];
  notifiers: Notifiers;
  /** The exposition /metrics serves now (tests compare it with what the broker holds). */
  metricsText(): string;
  /** Firing alerts of every cluster. */
  alerts(): Alert[];
  /** Resolves after every cluster has completed at least `n` more poll attempts. */
  waitForPolls(n?: number): Promise<void>;
  stop(): Promise<void>;
}

const STATE_VERSION = 1;

export async function startAgent(config: WarrenConfig, log: Logger): Promise<Agent> {
  const topics = buildTopicTable(config.openstack.topics);
  const processRegistry = new Registry();
  collectDefaultMetrics({ register: processRegistry });
  // Alerts link to this daemon's GET /rules unless runbookBaseUrl points elsewhere; the
  // port is known for sure once the server listens (listen port 0), so it is set again then.
  const tls = Boolean(config.web?.tls);
  let runbookBase = config.runbookBaseUrl ?? ownRulesUrl(config.listen.host, config.listen.port, tls);
  const notifiers = createNotifiers({
    runbookUrl: (rule) => runbookUrl(rule, runbookBase),
    alertmanagerUrls: config.alertmanagerUrls,
    webhookUrls: config.webhookUrls,
    logger: log,
    // Firing alerts are re-sent on polls; they must stay valid in Alertmanager across three of the slowest.
    resendIntervalMs: Math.min(60_000, Math.min(...config.clusters.map((c) => c.interval))),
    validForMs: Math.max(240_000, 3 * Math.max(...config.clusters.map((c) => c.interval))),
  });
  const saved = config.stateFile ? await readSavedState(config.stateFile, log) : null;
  notifiers.restore(saved?.notifiers);

  // Kept encoded: /metrics then sends the same bytes to every scraper instead of encoding
  // ~10 MB each time, and compressed for scrapers that accept gzip.
  let exposition: { plain: Buffer; gzip: DeflatedHead } = { plain: Buffer.alloc(0), gzip: deflateHead(Buffer.alloc(0)) };
  // What each poll sets off (judge, render, persist) runs one poll after another, in slices:
  // scrapes are answered between the slices from the exposition already rendered.
  let afterPolls: Promise<void> = Promise.resolve();
  const pollWaiters: Array<{ remaining: Map<ClusterRuntime, number>; resolve: () => void }> = [];
  const clusters: ClusterRuntime[] = [];
  let saving: Promise<void> = Promise.resolve();
  // Scheduled reports (config `schedules:`); judge hands it every alert change.
  const schedules = startSchedules(config.schedules ?? [], { clusters: () => reportInputsOf(clusters), log });
  let writer: ReturnType<typeof stateWriter> | undefined;
  /** Set once stop() has drained the polls: no ping loop starts after that. */
  let stopping = false;

  const rerender = async () => {
    const inputs: ClusterMetricsInput[] = clusters.map((c) => {
      const status = c.poller.status();
      return {
        status,
        rates: c.poller.rates,
        metrics: c.cfg.metrics,
        intervalMs: c.cfg.interval,
        startedAt: c.startedAt,
        expectedNodes: c.cfg.expectedNodes ?? c.learned.maxNodes,
        view: c.view,
        alerts: activeAlerts(c.alerts),
        ...(c.probe ? { probe: c.probe.results() } : {}),
        ...(c.rpcPing ? { rpcPing: c.rpcPing.results() } : {}),
      };
    });
    const notifications = notifiers.stats().map((s) => ({ receiver: s.receiver, queued: s.queued, failed: s.failed, dropped: s.dropped }));
    const plain = (await sliced(renderSteps(inputs, { version: VERSION, notifications, now: Date.now() }))).body;
    // Both forms change together: a scraper asking for gzip never gets an older exposition,
    // and until both are ready every scraper gets the last complete one.
    exposition = { plain, gzip: await deflateHeadAsync(plain) };
  };

  const persist = () => {
    if (!config.stateFile) return;
    const file = config.stateFile;
    const state: SavedState = {
      version: STATE_VERSION,
      notifiers: notifiers.toJSON(),
      alerts: Object.fromEntries(clusters.map((c) => [c.cfg.name, c.alerts])),
      learned: Object.fromEntries(clusters.map((c) => [c.cfg.name, c.learned])),
      hosts: Object.fromEntries(clusters.map((c) => [c.cfg.name, { ...(c.poller.status().learnedHosts ?? {}) }])),
    };
    // Chained, so two saves never race on the same file; a failure is logged once, and the recovery.
    saving = (writer ??= stateWriter(file, log)).save(state);
  };

  /** Judges one poll: rules over the new Snapshot, or broker-unreachable when the poll failed. */
  const judge = async (rt: ClusterRuntime, status: PollStatus) => {
    const now = Date.now();
    let onlyRules: string[] | undefined;
    let unknown: UnknownJudge | undefined;
    if (status.lastError !== null) {
      // No answer: judge broker-unreachable alone; the other alerts stay as they were.
      rt.findings = [unreachableFinding(rt.cfg.name, rt.cfg.url, status.lastError, [rt.cfg.password])];
      onlyRules = [UNREACHABLE_RULE_ID];
      // A broker that has not answered since warren started gets the start grace before it is
      // called unreachable (warren_starting says so; the rule's PromQL form waits for it too).
      if (isStarting(status.lastSuccessAt, rt.startedAt, rt.cfg.interval, now)) return;
    } else if (status.latest) {
      const snapshot = status.latest;
      rt.view = openstackView(snapshot);
      // Its servers come from the view, so the ping starts once there is one.
      if (!rt.rpcPing && config.openstack.rpcPing?.enabled && !stopping) {
        rt.rpcPing = startClusterRpcPing({ cfg: rt.cfg, openstack: config.openstack, topics, http: rt.http, view: () => rt.view, log });
      }
      const evaluation = await sliced(
        evaluationSteps(
          {
            now,
            snapshot,
            history: status.history,
            learned: rt.learned,
            oneShot: false,
            rates: rt.poller.rates,
            ...(rt.probe ? { probe: rt.probe.results() } : {}),
            ...(rt.rpcPing ? { rpcPing: rt.rpcPing.results() } : {}),
            ...(rt.cfg.expectedNodes !== undefined ? { expectedNodes: rt.cfg.expectedNodes } : {}),
          },
          rt.lookup,
        ),
      );
      for (const e of evaluation.errors) log.error({ cluster: rt.cfg.name, rule: e.rule }, `rule failed: ${e.message}`);
      // Learn after judging: node-restarted and the baselines compare against what came before.
      rt.learned = learn(rt.learned, snapshot);
      // Over every rule: broker-unreachable, absent now, resolves with the same hysteresis as the rest.
      rt.findings = evaluation.findings;
      // Subjects this Snapshot cannot judge keep their alerts as they are (src/rules/unknown.ts).
      unknown = unknownIn(snapshot);
    } else {
      return;
    }
    // Keyed by the configured name, never the broker's (which is unknown before the first
    // answer and changes on a rename): an alert raised under one is resolved under the same.
    const clusterLabels = { rabbitmq_cluster: status.brokerCluster ?? '' };
    const step = stepAlerts(rt.alerts, rt.findings, now, rt.cfg.name, catalogue, { clusterLabels, ...(onlyRules ? { onlyRules } : {}), ...(unknown ? { unknown } : {}) });
    rt.alerts = step.state;
    // Every cluster's firing alerts: the re-send to Alertmanager is paced per receiver, not per
    // cluster, so handing it one cluster's alerts would let the others' expire there.
    notifiers.deliver(step.changes, clusters.flatMap((c) => activeAlerts(c.alerts)));
    schedules.record(step.changes);
  };

  // Alerts saved under a key this run no longer uses are resolved (adoptAlertState), once every receiver is set up.
  const adopted: AlertChange[] = [];
  for (const cfg of config.clusters) {
    // Before the poller starts: a bad queue pattern in the rules config throws a ConfigError.
    const lookup = thresholdLookup(cfg.rules, catalogue);
    const http = createHttpClient({ user: cfg.user, password: cfg.password, timeoutMs: cfg.timeout, maxBodyBytes: cfg.maxBodyBytes, tls: cfg.tls });
    // Assigned right below; the first onPoll comes only after the first poll's requests.
    let rt!: ClusterRuntime;
    const poller = startPoller({
      cluster: cfg,
      http,
      topics,
      openstack: config.openstack,
      log,
      ...(saved?.hosts?.[cfg.name] ? { learnedHosts: saved.hosts[cfg.name] } : {}),
      onPoll: (status) => {
        afterPolls = afterPolls
          .then(async () => {
            await judge(rt, status);
            await rerender();
            persist();
          })
          .catch((err: unknown) => log.error({ cluster: cfg.name }, `cannot judge or render the poll: ${(err as Error).message}`))
          .then(() => {
            for (const w of [...pollWaiters]) {
              w.remaining.set(rt, (w.remaining.get(rt) ?? 0) - 1);
              if ([...w.remaining.values()].every((v) => v <= 0)) {
                pollWaiters.splice(pollWaiters.indexOf(w), 1);
                w.resolve();
              }
            }
          });
      },
    });
    rt = {
      cfg,
      http,
      poller,
      startedAt: Date.now(),
      lookup,
      view: null,
      learned: saved?.learned[cfg.name] ?? emptyLearned(),
      alerts: emptyAlertState(),
      findings: [],
      probe: startClusterProbe(cfg, http, log),
      rpcPing: null,
    };
    const restored = adoptAlertState(saved?.alerts[cfg.name] ?? emptyAlertState(), cfg.name, Date.now());
    rt.alerts = restored.state;
    adopted.push(...restored.changes);
    clusters.push(rt);
  }
  if (adopted.length > 0) notifiers.deliver(adopted, clusters.flatMap((c) => activeAlerts(c.alerts)));
  afterPolls = afterPolls.then(rerender);
  await afterPolls;

  const allAlerts = () => clusters.flatMap((c) => activeAlerts(c.alerts));
  // The families that change with the clock, rendered per scrape after the cached exposition.
  const freshness = (now: number) => Buffer.from(renderFreshness(clusters.map((c) => freshnessInput(c, now)), now).text);
  const server: HttpServer = await startHttpServer(
    config.listen,
    {
      metrics: async (acceptsGzip) => {
        const { plain, gzip } = exposition;
        const own = Buffer.concat([freshness(Date.now()), Buffer.from(await processRegistry.metrics())]);
        return acceptsGzip ? { body: gzipWithTail(gzip, own), gzip: true } : { body: [plain, own], gzip: false };
      },
      metricsVersion: () => exposition,
      healthz: () => health(clusters),
      alerts: () => clusters.flatMap((c) => activeAlerts(c.alerts, { includePending: true })).map(publicAlert),
      report: (format) => {
        if (!REPORT_FORMATS.includes(format as ReportFormat)) return { contentType: 'text/plain', body: `unknown format "${format}"; use ${REPORT_FORMATS.join(', ')}\n` };
        if (clusters.every((c) => c.poller.status().lastAttemptAt === null)) return null;
        const report = buildReport(reportInputsOf(clusters), new Date());
        const type = { html: 'text/html; charset=utf-8', json: 'application/json', markdown: 'text/markdown; charset=utf-8', text: 'text/plain; charset=utf-8' }[format as ReportFormat];
        return { contentType: type, body: renderReport(report, format as ReportFormat, { color: false }) };
      },
    },
    log,
    { web: config.web },
  );
  if (config.runbookBaseUrl === null) runbookBase = ownRulesUrl(config.listen.host, Number(new URL(server.url).port), tls);
  log.info(
    { url: server.url, runbookBase, clusters: clusters.map((c) => c.cfg.name), tls: Boolean(config.web?.tls), basicAuthUsers: Object.keys(config.web?.basicAuthUsers ?? {}).length },
    'warren listening',
  );

  return {
    url: server.url,
    clusters,
    notifiers,
    metricsText: () => exposition.plain.toString('utf8') + freshness(Date.now()).toString('utf8'),
    alerts: allAlerts,
    waitForPolls: (n = 1) => new Promise<void>((resolve) => pollWaiters.push({ remaining: new Map(clusters.map((c) => [c, n])), resolve })),
    stop: async () => {
      await schedules.stop();
      await server.close();
      await Promise.all(clusters.map((c) => c.poller.stop()));
      await Promise.all(clusters.map((c) => c.probe?.stop()));
      await afterPolls;
      stopping = true;
      await Promise.all(clusters.map((c) => c.rpcPing?.stop()));
      // Give queued notifications a last chance, then keep the rest for the next start.
      await notifiers.drain(5_000);
      persist();
      await saving;
      notifiers.close();
      await Promise.all(clusters.map((c) => c.http.close()));
    },
  };
}

/** The daemon's clusters as report inputs: what GET /report and the scheduled reports build their report from. */
export function reportInputsOf(clusters: readonly ClusterRuntime[]): ClusterInput[] {
  return clusters.map((c) => {
    const st = c.poller.status();
    return {
      target: c.cfg.name,
      url: c.cfg.url,
      samples: snapshotsOf(st.history),
      findings: c.findings,
      view: c.view,
      ...(st.lastError ? { error: st.lastError } : {}),
      ...(c.rpcPing ? { rpcPing: c.rpcPing.results() } : {}),
    };
  });
}

/** What /alerts shows: a pending or firing alert without internal bookkeeping; summary and evidence are the latest evaluation's. */
function publicAlert(a: Alert) {
  return {
    fingerprint: a.fingerprint,
    cluster: a.cluster,
    rule: a.rule,
    severity: a.severity,
    state: a.state,
    /** Pending since (state pending) or firing since (state firing). */
    since: new Date(a.state === 'firing' && a.firingAt ? a.firingAt : a.activeAt).toISOString(),
    subject: a.subject,
    labels: a.labels,
    summary: a.summary,
    remedy: a.remedy,
    activeAt: new Date(a.activeAt).toISOString(),
    firingAt: a.firingAt ? new Date(a.firingAt).toISOString() : null,
    evidence: a.evidence,
  };
}

async function readSavedState(file: string, log: Logger): Promise<SavedState | null> {
  const { state, problem } = await readStateFile(file, STATE_VERSION);
  if (problem) log.warn({ file }, problem);
  const removed = await removeStaleTemporaries(file);
  if (removed.length > 0) log.info({ file }, `removed ${removed.length} unfinished save(s) of the state file left by a warren that was killed while saving`);
  return state;
}

function freshnessInput(c: ClusterRuntime, now: number): FreshnessInput {
  const s = c.poller.status();
  return { cluster: c.cfg.name, takenAt: s.latest?.takenAt ?? null, intervalMs: c.cfg.interval, starting: isStarting(s.lastSuccessAt, c.startedAt, c.cfg.interval, now) };
}

/**
 * 200 when every cluster's data is fresh: taken by a poll that succeeded less than three
 * intervals ago (isStale), judged now, so a poll that hangs turns it 503 while it hangs.
 */
export function health(clusters: readonly ClusterRuntime[], now = Date.now()): { ok: boolean; body: unknown } {
  const targets = clusters.map((c) => {
    const s = c.poller.status();
    const takenAt = s.latest?.takenAt ?? null;
    const fresh = !isStale(takenAt, c.cfg.interval, now);
    return {
      cluster: c.cfg.name,
      ok: fresh,
      lastSuccess: s.lastSuccessAt ? new Date(s.lastSuccessAt).toISOString() : null,
      ...(takenAt !== null ? { dataAgeSeconds: Math.max(0, now - takenAt) / 1000 } : {}),
      ...(!fresh && takenAt !== null && s.lastError === null ? { reason: `no poll has succeeded for ${Math.round((now - takenAt) / 1000)} s; the current one is still running` } : {}),
      ...(s.lastError ? { reason: s.lastError } : {}),
      ...(s.lastSuccessAt === null && s.lastError === null ? { reason: 'no poll has completed yet' } : {}),
    };
  });
  const ok = targets.every((t) => t.ok);
  return { ok, body: { status: ok ? 'ok' : 'unhealthy', targets } };
}

/**
 * This daemon's GET /rules as others reach it: the machine's host name when it listens on
 * every address (0.0.0.0 is no address to link to), else the address it listens on.
 */
function ownRulesUrl(listenHost: string, port: number, tls: boolean): string {
  const host = listenHost === '' || listenHost === '0.0.0.0' || listenHost === '::' ? hostname() : listenHost;
  return `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}/rules`;
}
