// Public surface of the poll stage: the per-cluster poll loop above sources, openstack
// and snapshot, its history and its per-cluster state.
export { startPoller, errorKey, type Poller, type PollerOptions, type PollStatus } from './poller.js';
export { appendHistory, appendSample, keepTimes, HISTORY_WINDOW_MS } from './history.js';
export { pollCluster, type PollContext } from './snapshot.js';
export { createPollState, warningsToLog, type ClusterPollState } from './state.js';
