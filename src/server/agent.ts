// The daemon: one poller per cluster feeding metrics, rules, alerts and the
// report. The HTTP server only ever reads what the last poll left behind.
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { ClusterConfig, WarrenConfig } from '../config/index.js';
import { deflateHead, deflateSteps, gzipWithTail, renderSteps, type ClusterMetricsInput, type DeflatedHead } from '../metrics/index.js';
import { createNotifiers, loadState, saveState, type Notifiers, type NotifiersJSON } from '../notify/index.js';
import { buildTopicTable } from '../openstack/index.js';
import { startPoller, type Poller, type PollStatus } from '../poll/index.js';
import { buildReport, REPORT_FORMATS, renderReport, type ReportFormat } from '../report/index.js';
import {
  activeAlerts,
  catalogue,
  emptyAlertState,
  emptyLearned,
  evaluationSteps,
  learn,
  stepAlerts,
  thresholdLookup,
  unreachableFinding,
  UNREACHABLE_RULE_ID,
  type Alert,
  type AlertState,
  type Finding,
  type LearnedState,
  type ThresholdLookup,
} from '../rules/index.js';
import { openstackView, type OpenStackView } from '../snapshot/index.js';
import { createHttpClient, type HttpClient } from '../sources/index.js';
import { sliced } from '../slices.js';
import { VERSION } from '../version.js';
import { startHttpServer, type HttpServer } from './http.js';

/** Everything the daemon knows about one cluster between polls. */
export interface ClusterRuntime {
  cfg: ClusterConfig;
  http: HttpClient;
  poller: Poller;
  lookup: ThresholdLookup;
  view: OpenStackView | null;
  learned: LearnedState;
  alerts: AlertState;
  findings: Finding[];
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
interface SavedState {
  version: number;
  notifiers: NotifiersJSON;
  alerts: Record<string, AlertState>;
  learned: Record<string, LearnedState>;
}

export async function startAgent(config: WarrenConfig, log: Logger): Promise<Agent> {
  const topics = buildTopicTable(config.openstack.topics);
  const processRegistry = new Registry();
  collectDefaultMetrics({ register: processRegistry });
  const notifiers = createNotifiers({
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

  const rerender = async () => {
    const inputs: ClusterMetricsInput[] = clusters.map((c) => {
      const status = c.poller.status();
      return {
        status,
        rates: c.poller.rates,
        metrics: c.cfg.metrics,
        intervalMs: c.cfg.interval,
        expectedNodes: c.cfg.expectedNodes ?? c.learned.maxNodes,
        view: c.view,
        alerts: activeAlerts(c.alerts),
      };
    });
    const notifications = notifiers.stats().map((s) => ({ receiver: s.receiver, queued: s.queued, failed: s.failed, dropped: s.dropped }));
    const plain = Buffer.from((await sliced(renderSteps(inputs, { version: VERSION, notifications, now: Date.now() }))).text);
    // Both forms change together: a scraper asking for gzip never gets an older exposition.
    exposition = { plain, gzip: await sliced(deflateSteps(plain)) };
  };

  const persist = () => {
    if (!config.stateFile) return;
    const file = config.stateFile;
    const state: SavedState = {
      version: STATE_VERSION,
      notifiers: notifiers.toJSON(),
      alerts: Object.fromEntries(clusters.map((c) => [c.cfg.name, c.alerts])),
      learned: Object.fromEntries(clusters.map((c) => [c.cfg.name, c.learned])),
    };
    // Chained, so two saves never race on the same file.
    saving = saving.then(() => saveState(file, state)).catch((err: unknown) => log.error({ file }, `cannot save state: ${(err as Error).message}`));
  };

  /** Judges one poll: rules over the new Snapshot, or broker-unreachable when the poll failed. */
  const judge = async (rt: ClusterRuntime, status: PollStatus) => {
    const now = Date.now();
    let onlyRules: string[] | undefined;
    if (status.lastError !== null) {
      // No answer: judge broker-unreachable alone; the other alerts stay as they were.
      rt.findings = [unreachableFinding(rt.cfg.name, rt.cfg.url, status.lastError, [rt.cfg.password])];
      onlyRules = [UNREACHABLE_RULE_ID];
    } else if (status.latest) {
      const snapshot = status.latest;
      rt.view = openstackView(snapshot);
      const evaluation = await sliced(evaluationSteps({ now, snapshot, history: status.history, learned: rt.learned, oneShot: false, rates: rt.poller.rates }, rt.lookup));
      for (const e of evaluation.errors) log.error({ cluster: rt.cfg.name, rule: e.rule }, `rule failed: ${e.message}`);
      // Learn after judging: node-restarted and the baselines compare against what came before.
      rt.learned = learn(rt.learned, snapshot);
      // Over every rule: broker-unreachable, absent now, resolves with the same hysteresis as the rest.
      rt.findings = evaluation.findings;
    } else {
      return;
    }
    const step = stepAlerts(rt.alerts, rt.findings, now, status.clusterLabel, catalogue, onlyRules ? { onlyRules } : {});
    rt.alerts = step.state;
    notifiers.deliver(step.changes, activeAlerts(rt.alerts));
  };

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
      lookup,
      view: null,
      learned: saved?.learned[cfg.name] ?? emptyLearned(),
      alerts: saved?.alerts[cfg.name] ?? emptyAlertState(),
      findings: [],
    };
    clusters.push(rt);
  }
  afterPolls = afterPolls.then(rerender);
  await afterPolls;

  const allAlerts = () => clusters.flatMap((c) => activeAlerts(c.alerts));
  const server: HttpServer = await startHttpServer(
    config.listen,
    {
      metrics: async (acceptsGzip) => {
        const { plain, gzip } = exposition;
        const own = Buffer.from(await processRegistry.metrics());
        return acceptsGzip ? { body: gzipWithTail(gzip, own), gzip: true } : { body: [plain, own], gzip: false };
      },
      healthz: () => health(clusters),
      alerts: () => allAlerts().map(publicAlert),
      report: (format) => {
        if (!REPORT_FORMATS.includes(format as ReportFormat)) return { contentType: 'text/plain', body: `unknown format "${format}"; use ${REPORT_FORMATS.join(', ')}\n` };
        if (clusters.every((c) => c.poller.status().lastAttemptAt === null)) return null;
        const report = buildReport(
          clusters.map((c) => {
            const st = c.poller.status();
            return {
              target: c.cfg.name,
              url: c.cfg.url,
              samples: [...st.history],
              findings: c.findings,
              view: c.view,
              ...(st.lastError ? { error: st.lastError } : {}),
            };
          }),
          new Date(),
        );
        const type = { html: 'text/html; charset=utf-8', json: 'application/json', markdown: 'text/markdown; charset=utf-8', text: 'text/plain; charset=utf-8' }[format as ReportFormat];
        return { contentType: type, body: renderReport(report, format as ReportFormat, { color: false }) };
      },
    },
    log,
    { web: config.web },
  );
  log.info(
    { url: server.url, clusters: clusters.map((c) => c.cfg.name), tls: Boolean(config.web?.tls), basicAuthUsers: Object.keys(config.web?.basicAuthUsers ?? {}).length },
    'warren listening',
  );

  return {
    url: server.url,
    clusters,
    notifiers,
    metricsText: () => exposition.plain.toString('utf8'),
    alerts: allAlerts,
    waitForPolls: (n = 1) => new Promise<void>((resolve) => pollWaiters.push({ remaining: new Map(clusters.map((c) => [c, n])), resolve })),
    stop: async () => {
      await server.close();
      await Promise.all(clusters.map((c) => c.poller.stop()));
      await afterPolls;
      // Give queued notifications a last chance, then keep the rest for the next start.
      await notifiers.drain(5_000);
      persist();
      await saving;
      notifiers.close();
      await Promise.all(clusters.map((c) => c.http.close()));
    },
  };
}

/** What /alerts shows: the alert without internal bookkeeping. */
function publicAlert(a: Alert) {
  return {
    fingerprint: a.fingerprint,
    cluster: a.cluster,
    rule: a.rule,
    severity: a.severity,
    state: a.state,
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
  try {
    const data = (await loadState(file)) as SavedState | null;
    if (data && data.version !== STATE_VERSION) {
      log.warn({ file }, `state file has version ${String(data.version)}, expected ${STATE_VERSION}; starting fresh`);
      return null;
    }
    return data ? { version: data.version, notifiers: data.notifiers ?? { queues: {} }, alerts: data.alerts ?? {}, learned: data.learned ?? {} } : null;
  } catch (err) {
    log.error({ file }, `${(err as Error).message}; starting without saved state`);
    return null;
  }
}

/** 200 when every cluster's last poll succeeded or the last success is younger than three intervals. */
export function health(clusters: readonly ClusterRuntime[], now = Date.now()): { ok: boolean; body: unknown } {
  const targets = clusters.map((c) => {
    const s = c.poller.status();
    const fresh = s.lastSuccessAt !== null && (s.lastError === null || now - s.lastSuccessAt < 3 * c.cfg.interval);
    return {
      cluster: c.cfg.name,
      ok: fresh,
      lastSuccess: s.lastSuccessAt ? new Date(s.lastSuccessAt).toISOString() : null,
      ...(s.lastError ? { reason: s.lastError } : {}),
      ...(s.lastSuccessAt === null && s.lastError === null ? { reason: 'no poll has completed yet' } : {}),
    };
  });
  const ok = targets.every((t) => t.ok);
  return { ok, body: { status: ok ? 'ok' : 'unhealthy', targets } };
}
