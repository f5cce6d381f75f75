// Public surface of the OpenStack stage: classify queues and connections, aggregate a view.
export type { TopicEntry, OpenStackView, ServiceSummary, HostQueue } from './types.js';
export {
  buildTopicTable,
  DEFAULT_TOPIC_TABLE,
  expectedBinary,
  serviceOfBinary,
  PER_PROCESS_TOPICS,
  type TopicTable,
  type TopicSpec,
} from './topics.js';
export { classifyQueue, attributeConnection, hostOfPeer, parseQueueManagerName } from './classify.js';
export {
  openstackView,
  consumersByQueue,
  diagnoseHostQueue,
  hostOfServer,
  sameHost,
  type QueueConsumer,
  type HostQueueDiagnosis,
  type HostQueueVerdict,
} from './view.js';
