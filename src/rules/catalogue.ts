// The rule catalogue: every rule, broker rules then OpenStack rules, in the order of the
// README's rule reference (test/unit/rules-catalogue.test.ts holds it). Ids are a stable contract (config, alert labels, `warren check --rule`, alerts/ rule files).
import * as broker from './catalogue/broker.js';
import * as connections from './catalogue/connections.js';
import * as correlated from './catalogue/correlated.js';
import * as openstack from './catalogue/openstack.js';
import * as probe from './catalogue/probe.js';
import * as queueLatency from './catalogue/queue-latency.js';
import * as queues from './catalogue/queues.js';
import * as rpcPing from './catalogue/rpc-ping.js';
import * as security from './catalogue/security.js';
import type { Rule } from './types.js';

export { unreachableFinding } from './catalogue/broker.js';

export const catalogue: readonly Rule[] = Object.freeze([
  // Broker health
  broker.nodeDown,
  broker.networkPartition,
  broker.memoryAlarm,
  broker.memoryHigh,
  broker.diskAlarm,
  broker.diskLow,
  broker.fileDescriptorsHigh,
  connections.connectionsBlocked,
  queues.queueBacklog,
  queues.queueGrowing,
  queues.queueNoConsumer,
  queues.unackedHigh,
  connections.connectionCountHigh,
  connections.connectionLeak,
  connections.connectionChurn,
  connections.channelsPerConnectionHigh,
  queues.unroutableMessages,
  broker.clusterVersionMismatch,
  broker.nodeRestarted,
  broker.classicMirroringPolicy,
  queues.quorumQueueUnderreplicated,
  broker.quorumEvenNodeCount,
  broker.guestUserEnabled,
  broker.brokerUnreachable,
  // OpenStack
  openstack.hostQueueUnconsumed,
  openstack.topicUnconsumed,
  openstack.rpcBacklog,
  openstack.rpcUnacked,
  openstack.notificationsUnconsumed,
  openstack.orphanQueues,
  openstack.serviceConnectionsHigh,
  correlated.correlatedOutage,
  // Security
  security.authenticationFailures,
  security.listenerWithoutTls,
  security.tlsCertificateExpiring,
  security.administratorUserInUse,
  security.sharedServiceUser,
  security.unusedUser,
  // How long messages wait
  queueLatency.queueMessageAge,
  queueLatency.queueDrainTime,
  // Active probes
  probe.amqpProbeFailed,
  probe.amqpProbeSlow,
  rpcPing.rpcServerUnresponsive,
]);

const byId = new Map(catalogue.map((r) => [r.id, r]));

export function ruleById(id: string): Rule | undefined {
  return byId.get(id);
}

/** The id of the rule the caller raises when a poll fails (there is no Snapshot to evaluate). */
export const UNREACHABLE_RULE_ID = 'broker-unreachable';
