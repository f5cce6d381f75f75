import type { HistoryInput, RatesMemo, Snapshot } from '../snapshot/index.js';
import type { ProbeResult, RpcPingStatus } from '../sources/index.js';

export type Severity = 'critical' | 'warning' | 'info';
export type SubjectKind = 'cluster' | 'node' | 'vhost' | 'queue' | 'connection' | 'service' | 'host';

export interface Subject {
  kind: SubjectKind;
  name: string;
  vhost?: string;
}

/** One thing wrong, as the report JSON contract spells it. */
export interface Finding {
  rule: string;
  severity: Severity;
  subject: Subject;
  summary: string;
  remedy: string;
  evidence: Record<string, unknown>;
  /**
   * Extra alert labels derived from the subject alone (e.g. `service`, `host` of an
   * OpenStack queue), so they are identical on every evaluation and on both warren
   * instances of an HA pair. Never numbers that change between polls.
   */
  labels?: Record<string, string>;
}

/**
 * What a rule sees: the current Snapshot, the recent ones (oldest first, the
 * current one last), and what the engine has learned over the agent's lifetime.
 */
export interface RuleContext {
  now: number;
  snapshot: Snapshot;
  /** The daemon's compact history, or Snapshots (one-shot runs, tests); read it through samplesOf. */
  history: HistoryInput;
  learned: LearnedState;
  /** true in `report`/`check`: no waiting for `for`, judge durations from the broker's timestamps and the samples. */
  oneShot: boolean;
  /** Nodes the cluster should have (config `expectedNodes`); when absent node-down uses learned.maxNodes. */
  expectedNodes?: number;
  /** The cluster's rates memo (its poll state), shared with the render; without one, rates are computed per ask. */
  rates?: RatesMemo;
  /** The AMQP probe's last round (daemon, when `probe` is configured); absent: the probe rules stay silent. */
  probe?: readonly ProbeResult[];
  /** The oslo RPC ping's last outcome per server (daemon, when `openstack.rpcPing` is on); absent: openstack-rpc-server-unresponsive stays silent. */
  rpcPing?: readonly RpcPingStatus[];
}

/** Facts that outlive the history window. Plain data, so it can be persisted. */
export interface LearnedState {
  /** Most nodes ever seen in this cluster. */
  maxNodes: number;
  /** node name -> last uptime seen (ms), for node-restarted. */
  nodeUptimeMs: Record<string, number>;
  /** Slow baselines (EWMA) keyed by a string, e.g. `connections`, `svc:nova:cmp-01`. */
  baselines: Record<string, { value: number; samples: number; updatedAt?: number }>;
  /** Compact long-window series, e.g. total connections every poll for 30+ minutes. */
  series: Record<string, Array<[number, number]>>;
  /** Per user: when warren first saw it and last saw it in use (src/rules/learn-users.ts); absent in older state files. */
  users?: Record<string, UserSighting>;
  /**
   * Hosts whose processes consumed each shared RPC topic queue (key: queueKey), and when
   * last seen: openstack-rpc-topic-unconsumed names them once every consumer is gone.
   * Optional: state files written before it have none.
   */
  topicServers?: Record<string, { hosts: string[]; at: number }>;
  /** node name -> when its uptime was last seen going backwards (node-restarted reports it for a while). */
  nodeRestartedAt?: Record<string, number>;
}

export interface UserSighting {
  /** ms epoch */
  firstSeen: number;
  /** ms epoch of the last poll that saw a connection of this user, null when never. */
  lastSeen: number | null;
}

/** Threshold values for one rule, resolved for one subject. */
export type Thresholds = Readonly<Record<string, number>>;

/**
 * Looks up a rule's thresholds for a subject, applying the config's overrides
 * (cluster, vhost, queue pattern, OpenStack service). Returns null when the rule
 * is disabled for that subject.
 */
export type ThresholdLookup = (
  ruleId: string,
  scope: { vhost?: string; queue?: string; service?: string },
) => Thresholds | null;

/** A rule is data plus one evaluation function. */
export interface Rule {
  id: string;
  severity: Severity;
  /** How long the condition must hold in the daemon before the alert fires, seconds. */
  forSeconds: number;
  /** When it fires, in words (the catalogue's second column). */
  description: string;
  remedy: string;
  defaults: Thresholds;
  evaluate(ctx: RuleContext, thresholds: ThresholdLookup): Finding[];
  /**
   * The same rule as Prometheus alerting rules over warren's metrics, for the given
   * thresholds (src/rules/promql.ts renders it with the defaults). Absent exactly when
   * `notInPromql` says why PromQL cannot say it.
   */
  promql?: (thresholds: Thresholds) => readonly PromqlAlert[];
  /** Why PromQL over warren's metrics cannot express this rule (it is forwarded from warren_alert_active). */
  notInPromql?: string;
  /** What part of the rule the PromQL form leaves out (warren's own evaluation covers it). */
  partlyInPromql?: string;
}

/** One Prometheus alerting rule of a catalogue rule; alertname = the rule id. */
export interface PromqlAlert {
  /** PromQL; may span lines (rendered as a YAML block). */
  expr: string;
  /** The `severity` label; the rule's severity unless given (one entry per severity). */
  severity?: Severity;
  /** Go template over $labels / $value, one line. */
  summary: string;
  /** Extra static labels, e.g. `subject_kind`. */
  labels?: Readonly<Record<string, string>>;
}
