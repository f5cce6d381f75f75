// Public surface of the snapshot stage: the immutable Snapshot built from a Reading and
// its classification, and what is derived from Snapshots alone (rates, the OpenStack view).
export type {
  BrokerInfo,
  ChannelGroup,
  ConnectionInfo,
  ConnectionRole,
  ConsumerInfo,
  ExchangeInfo,
  NodeInfo,
  OpenStackKind,
  PolicyInfo,
  PollStats,
  QueueCounters,
  QueueInfo,
  QueueRole,
  HostMap,
  Snapshot,
  Totals,
  UserInfo,
  VhostInfo,
} from './types.js';
export { buildSnapshot } from './build.js';
export { SampleHistory, sampleOf, samplesIn, snapshotsOf, type HistoryInput, type PastQueue, type QueuePoint, type Sample } from './history.js';
export { otpRelease } from './erlang.js';
export { scopeOf, type Scope, type ScopeFilters } from './filter.js';
export {
  baselineFor,
  counterRate,
  createRatesMemo,
  queueIndex,
  queueKey,
  queueRates,
  totalRates,
  type QueueRates,
  type RateBase,
  type RatesMemo,
  type TotalRates,
} from './rates.js';
export {
  consumersByQueue,
  diagnoseHostQueue,
  hostQueueOf,
  openstackView,
  type HostQueue,
  type HostQueueDiagnosis,
  type HostQueueVerdict,
  type OpenStackView,
  type QueueConsumer,
  type ServiceSummary,
} from './openstack-view.js';
export type { AuthAttemptCount, AuthSourceCount, CertificateInfo, ListenerInfo, PermissionInfo, SecurityInfo } from './security.js';
