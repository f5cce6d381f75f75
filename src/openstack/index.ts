// Public surface of the OpenStack stage: what oslo.messaging naming says about the queues
// and connections of a Reading (src/sources). Aggregates over a Snapshot are the snapshot
// stage's (src/snapshot/openstack-view.ts), since a Snapshot is built after classification.
export type { TopicEntry, OpenStackKind, QueueRole, ConnectionRole } from './types.js';
export {
  buildTopicTable,
  DEFAULT_TOPIC_TABLE,
  expectedBinary,
  serviceOfBinary,
  PER_PROCESS_TOPICS,
  type TopicTable,
  type TopicSpec,
} from './topics.js';
export {
  classifyQueue,
  classifyReading,
  attributeConnection,
  hostOfPeer,
  isAddress,
  parseQueueManagerName,
  type Classification,
} from './classify.js';
export { hostOfServer, sameHost } from './hosts.js';
export { learnHosts } from './learn-hosts.js';
export { controlExchangeOf, DEFAULT_CONTROL_EXCHANGE } from './control-exchange.js';
