// Public surface of the sources stage: what the broker says, typed and unclassified.
export {
  collect,
  defaultPluginUrl,
  initialCollectorState,
  type CollectContext,
  type CollectorState,
  type Inventory,
  type QueueListing,
} from './collect.js';
export {
  createHttpClient,
  SourceError,
  type HttpClient,
  type HttpTargetOptions,
  type RequestCounter,
} from './http.js';
export { EXCHANGE_FIELDS, QUEUE_FIELDS, fieldsFor, readFields, type BrokerField, type MetricsProfile } from './broker-fields.js';
export { DETAILED_PATH, parseDetailed, parseDetailedSteps, pluginUrls, type PluginQueueDepth } from './prometheus.js';
export {
  parseConnections,
  parseConsumers,
  parseExchanges,
  parseNodes,
  parseOverview,
  parsePolicies,
  parseQueues,
  parseUsers,
  parseVhosts,
} from './parse.js';
export {
  queueKey,
  type BrokerInfo,
  type ConsumerInfo,
  type ExchangeInfo,
  type NodeInfo,
  type PolicyInfo,
  type PollStats,
  type QueueCounters,
  type RawConnection,
  type RawQueue,
  type Reading,
  type Totals,
  type UserInfo,
  type VhostInfo,
} from './types.js';
export {
  fetchListeners,
  socketOptions as probeSocketOptions,
  probeTarget,
  PROBE_PHASES,
  startProbeLoop,
  targetsFromListeners,
  targetsFromUrls,
  type ProbeCredentials,
  type ProbeLoop,
  type ProbeLoopOptions,
  type ProbeOptions,
  type ProbePhase,
  type ProbeProtocol,
  type ProbeResult,
  type ProbeTarget,
} from './amqp-probe.js';
export type { AuthAttemptCount, AuthSourceCount, CertificateInfo, ListenerInfo, PermissionInfo, SecurityInfo } from './security-types.js';
export {
  decodeReply,
  encodeEnvelope,
  isPingNotEnabled,
  pingRpcServers,
  PING_METHOD,
  type PingConnection,
  type PingOptions,
  type PingOutcome,
  type PingResult,
  type PingTarget,
} from './oslo-ping.js';
export {
  MIN_SLOT_MS,
  rpcTargetKey,
  slotOffsets,
  startRpcPingLoop,
  type RpcPingLoop,
  type RpcPingLoopOptions,
  type RpcPingState,
  type RpcPingStatus,
  type RpcServerTarget,
} from './oslo-ping-loop.js';
