// promtool unit tests for alerts/warren.rules.yml, as data. Each case feeds synthetic
// series and says, by hand, which alerts fire when (labels and the rendered summary) and
// that they resolve. The remaining annotations (description, remedy, runbook_url) and
// the rule's static labels are filled in from src/rules/promql.ts, since promtool wants
// every annotation and they are the catalogue's text, not the behaviour under test.
//
// test/promtool/*.test.yml are renderPromtoolFiles() written out; a unit test holds them
// equal and runs `promtool test rules` on them. Regenerate with
//   WARREN_WRITE_GENERATED=1 npx vitest run --project unit test/unit/promql-promtool.test.ts
import { stringify } from 'yaml';
import { annotationsOf, labelsOf, promAlerts, type PromAlert } from '../../src/rules/promql.js';

export interface ExpectedAlert {
  /** Labels of the alert (severity included, by hand); the rule's static labels are added. */
  labels: Record<string, string>;
  /** The summary as Prometheus renders it. */
  summary: string;
}

export interface AlertEval {
  /** Minutes after the start (or a Prometheus duration). */
  at: number | string;
  alert: string;
  /** [] = this alertname is not firing (pending counts as not firing). */
  firing: ExpectedAlert[];
}

export interface PromtoolCase {
  name: string;
  /** Sample spacing; `1m` unless the case needs hours of history. */
  interval?: string;
  series: Array<[series: string, values: string]>;
  evals?: AlertEval[];
  exprs?: Array<{ at: number | string; expr: string; samples: Array<{ labels: string; value: number }> }>;
}

// ---- helpers to write series ----------------------------------------------------------

const SCRAPE = { cluster: 'prod', instance: 'warren:9419', job: 'warren' };

export function sel(metric: string, labels: Record<string, string> = {}): string {
  const all = { ...SCRAPE, ...labels };
  return `${metric}{${Object.entries(all)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
}

/** Values held for a number of samples each: steps([0, 2], [1, 3]) = 0 0 1 1 1. */
export function steps(...parts: Array<[value: number, samples: number]>): string {
  return parts.map(([v, count]) => (count === 1 ? `${v}` : `${v}x${count - 1}`)).join(' ');
}

/** `samples` values from `start`, adding `step` each time. */
function ramp(start: number, step: number, samples: number): string {
  return `${start}${step >= 0 ? '+' : ''}${step}x${samples - 1}`;
}

const NODE1 = { node: 'rabbit@n1' };
const NODE2 = { node: 'rabbit@n2' };
export const Q = (queue: string, kind = 'other', service = '') => ({ vhost: '/', queue, openstack_service: service, openstack_kind: kind });
/** The labels an alert carries: the series' (an empty value is no label in Prometheus) and severity. */
const at = (labels: Record<string, string>, severity?: string): Record<string, string> =>
  Object.fromEntries(
    Object.entries({ ...SCRAPE, ...labels, ...(severity ? { severity } : {}) }).filter(([, v]) => v !== ''),
  );

// ---- the cases ------------------------------------------------------------------------

export const PROMTOOL_FILES: Record<string, PromtoolCase[]> = {
  'broker.test.yml': [
    {
      name: 'broker-unreachable fires on a failed poll and resolves on the next good one',
      series: [[sel('rabbitmq_up'), steps([1, 2], [0, 2], [1, 3])]],
      evals: [
        { at: 1, alert: 'broker-unreachable', firing: [] },
        {
          at: 2,
          alert: 'broker-unreachable',
          firing: [{ labels: at({}, 'critical'), summary: 'warren cannot reach the management API of cluster prod' }],
        },
        { at: 5, alert: 'broker-unreachable', firing: [] },
      ],
    },
    {
      name: 'node-down fires for a node that stopped running, after 1m',
      series: [
        [sel('rabbitmq_running', NODE1), steps([1, 8])],
        [sel('rabbitmq_running', NODE2), steps([1, 2], [0, 4], [1, 2])],
        [sel('rabbitmq_nodes_expected'), steps([2, 8])],
      ],
      evals: [
        { at: 2, alert: 'node-down', firing: [] },
        {
          at: 4,
          alert: 'node-down',
          firing: [{ labels: at(NODE2, 'critical'), summary: 'Node rabbit@n2 of cluster prod is not running' }],
        },
        { at: 7, alert: 'node-down', firing: [] },
      ],
    },
    {
      name: 'node-down fires when fewer nodes are listed than expected',
      series: [
        [sel('rabbitmq_running', NODE1), steps([1, 10])],
        [sel('rabbitmq_running', NODE2), steps([1, 10])],
        [sel('rabbitmq_running', { node: 'rabbit@n3' }), `_x3 ${steps([1, 6])}`],
        [sel('rabbitmq_nodes_expected'), steps([3, 10])],
      ],
      evals: [
        {
          at: 2,
          alert: 'node-down',
          firing: [{ labels: { cluster: 'prod', severity: 'critical' }, summary: 'Cluster prod has only 2 nodes, fewer than expected' }],
        },
        { at: 5, alert: 'node-down', firing: [] },
      ],
    },
    {
      name: 'network-partition fires once per cluster while any node reports partitions',
      series: [
        [sel('rabbitmq_partitions', NODE1), steps([0, 2], [1, 2], [0, 3])],
        [sel('rabbitmq_partitions', NODE2), steps([0, 7])],
      ],
      evals: [
        { at: 1, alert: 'network-partition', firing: [] },
        {
          at: 2,
          alert: 'network-partition',
          firing: [
            { labels: { cluster: 'prod', severity: 'critical' }, summary: 'Network partition in cluster prod: a node cannot see 1 of its peers' },
          ],
        },
        { at: 5, alert: 'network-partition', firing: [] },
      ],
    },
    {
      name: 'memory-alarm fires while the alarm is set',
      series: [[sel('rabbitmq_node_mem_alarm', NODE1), steps([0, 1], [1, 2], [0, 3])]],
      evals: [
        { at: 0, alert: 'memory-alarm', firing: [] },
        {
          at: 1,
          alert: 'memory-alarm',
          firing: [{ labels: at(NODE1, 'critical'), summary: 'Memory alarm on node rabbit@n1 of cluster prod: all publishers are blocked' }],
        },
        { at: 4, alert: 'memory-alarm', firing: [] },
      ],
    },
    {
      name: 'memory-high fires after 10m at 80 % of the watermark, not on a node whose alarm is set',
      series: [
        [sel('rabbitmq_node_mem_used', NODE1), steps([700, 5], [850, 15], [500, 5])],
        [sel('rabbitmq_node_mem_limit', NODE1), steps([1000, 25])],
        [sel('rabbitmq_node_mem_alarm', NODE1), steps([0, 25])],
        [sel('rabbitmq_node_mem_used', NODE2), steps([990, 25])],
        [sel('rabbitmq_node_mem_limit', NODE2), steps([1000, 25])],
        [sel('rabbitmq_node_mem_alarm', NODE2), steps([1, 25])],
      ],
      evals: [
        { at: 12, alert: 'memory-high', firing: [] },
        {
          at: 16,
          alert: 'memory-high',
          firing: [{ labels: at(NODE1, 'warning'), summary: 'Node rabbit@n1 of cluster prod uses 85% of its memory watermark' }],
        },
        { at: 21, alert: 'memory-high', firing: [] },
      ],
    },
    {
      name: 'disk-alarm fires while the alarm is set',
      series: [[sel('rabbitmq_node_disk_free_alarm', NODE1), steps([0, 1], [1, 2], [0, 3])]],
      evals: [
        {
          at: 2,
          alert: 'disk-alarm',
          firing: [{ labels: at(NODE1, 'critical'), summary: 'Disk alarm on node rabbit@n1 of cluster prod: all publishers are blocked' }],
        },
        { at: 4, alert: 'disk-alarm', firing: [] },
      ],
    },
    {
      name: 'disk-low fires after 10m below 2 x the limit (not while the alarm is set), and resolves',
      series: [
        [sel('rabbitmq_node_disk_free', NODE1), steps([5e8, 5], [8e7, 15], [5e8, 5])],
        [sel('rabbitmq_node_disk_free_limit', NODE1), steps([5e7, 25])],
        [sel('rabbitmq_node_disk_free_alarm', NODE1), steps([0, 25])],
        [sel('rabbitmq_running', NODE1), steps([1, 25])],
        [sel('rabbitmq_node_disk_free', NODE2), steps([4e7, 25])],
        [sel('rabbitmq_node_disk_free_limit', NODE2), steps([5e7, 25])],
        [sel('rabbitmq_node_disk_free_alarm', NODE2), steps([1, 25])],
        [sel('rabbitmq_running', NODE2), steps([1, 25])],
      ],
      evals: [
        { at: 12, alert: 'disk-low', firing: [] },
        {
          at: 16,
          alert: 'disk-low',
          firing: [
            {
              labels: at(NODE1, 'warning'),
              summary: 'Node rabbit@n1 of cluster prod has 76.29MiB of disk free: less than 2 × its limit, or predicted to reach it within 24h',
            },
          ],
        },
        { at: 21, alert: 'disk-low', firing: [] },
      ],
    },
    {
      name: 'disk-low fires when the trend reaches the limit within 24h, once 30m of history exist',
      series: [
        // 20 GB free, losing 20 MB a minute (28.8 GB a day), then flat.
        [sel('rabbitmq_node_disk_free', NODE1), `${ramp(2e10, -2e7, 61)} ${steps([1.88e10, 120])}`],
        [sel('rabbitmq_node_disk_free_limit', NODE1), steps([1e9, 181])],
        [sel('rabbitmq_node_disk_free_alarm', NODE1), steps([0, 181])],
        [sel('rabbitmq_running', NODE1), steps([1, 181])],
      ],
      evals: [
        { at: 35, alert: 'disk-low', firing: [] },
        {
          at: 45,
          alert: 'disk-low',
          firing: [
            {
              labels: at(NODE1, 'warning'),
              summary: 'Node rabbit@n1 of cluster prod has 17.79GiB of disk free: less than 2 × its limit, or predicted to reach it within 24h',
            },
          ],
        },
        { at: 130, alert: 'disk-low', firing: [] },
      ],
    },
    {
      name: 'file-descriptors-high fires per exhausted resource, ignores totals of 0, and resolves',
      series: [
        [sel('rabbitmq_fd_used', NODE1), steps([900, 15], [100, 10])],
        [sel('rabbitmq_fd_available', NODE1), steps([1000, 25])],
        [sel('rabbitmq_sockets_used', NODE1), steps([0, 25])],
        [sel('rabbitmq_sockets_available', NODE1), steps([0, 25])],
        [sel('rabbitmq_node_proc_used', NODE1), steps([100, 25])],
        [sel('rabbitmq_node_proc_available', NODE1), steps([1000, 25])],
        [sel('rabbitmq_running', NODE1), steps([1, 25])],
      ],
      evals: [
        { at: 5, alert: 'file-descriptors-high', firing: [] },
        {
          at: 12,
          alert: 'file-descriptors-high',
          firing: [
            {
              labels: at({ ...NODE1, resource: 'file descriptors' }, 'warning'),
              summary: 'Node rabbit@n1 of cluster prod uses 90% of its file descriptors',
            },
          ],
        },
        { at: 20, alert: 'file-descriptors-high', firing: [] },
      ],
    },
    {
      name: 'cluster-version-mismatch fires after 30m of mixed versions and resolves after the upgrade',
      series: [
        [sel('rabbitmq_version_info', { ...NODE1, rabbitmq: '3.10.8', erlang: '25.2' }), steps([1, 61])],
        [sel('rabbitmq_version_info', { ...NODE2, rabbitmq: '3.12.1', erlang: '25.2' }), steps([1, 41])],
        [sel('rabbitmq_version_info', { ...NODE2, rabbitmq: '3.10.8', erlang: '25.2' }), `_x40 ${steps([1, 20])}`],
      ],
      evals: [
        { at: 20, alert: 'cluster-version-mismatch', firing: [] },
        {
          at: 35,
          alert: 'cluster-version-mismatch',
          firing: [
            { labels: { cluster: 'prod', severity: 'warning' }, summary: 'Nodes of cluster prod run 2 different RabbitMQ/Erlang version pairs' },
          ],
        },
        { at: 50, alert: 'cluster-version-mismatch', firing: [] },
      ],
    },
    {
      name: 'node-restarted fires while the uptime is under 10 minutes',
      series: [[sel('rabbitmq_uptime', NODE1), `${ramp(3600000, 60000, 11)} ${ramp(60000, 60000, 20)}`]],
      evals: [
        { at: 10, alert: 'node-restarted', firing: [] },
        {
          at: 12,
          alert: 'node-restarted',
          firing: [{ labels: at(NODE1, 'info'), summary: 'Node rabbit@n1 of cluster prod restarted 2m 0s ago' }],
        },
        { at: 22, alert: 'node-restarted', firing: [] },
      ],
    },
  ],

  'queues.test.yml': [
    {
      name: 'queue-backlog warns at 1000 ready, adds critical at 10000, skips queues OpenStack rules own',
      series: [
        [sel('rabbitmq_queue_messages_ready', Q('q1')), steps([0, 1], [2000, 10], [20000, 10], [0, 10])],
        [sel('rabbitmq_queue_consumers', Q('q1')), steps([1, 31])],
        // an RPC topic backlog is openstack-rpc-backlog's
        [sel('rabbitmq_queue_messages_ready', Q('conductor', 'rpc_topic', 'nova')), steps([20000, 31])],
        [sel('rabbitmq_queue_consumers', Q('conductor', 'rpc_topic', 'nova')), steps([1, 31])],
        // an unconsumed notification queue is openstack-notifications-unconsumed's
        [sel('rabbitmq_queue_messages_ready', Q('notifications.info', 'notification', 'nova')), steps([5000, 31])],
        [sel('rabbitmq_queue_consumers', Q('notifications.info', 'notification', 'nova')), steps([0, 31])],
      ],
      evals: [
        { at: 4, alert: 'queue-backlog', firing: [] },
        {
          at: 8,
          alert: 'queue-backlog',
          firing: [{ labels: at(Q('q1'), 'warning'), summary: 'Queue q1 (vhost /, cluster prod) holds 2000 ready messages' }],
        },
        {
          at: 18,
          alert: 'queue-backlog',
          firing: [
            { labels: at(Q('q1'), 'warning'), summary: 'Queue q1 (vhost /, cluster prod) holds 20000 ready messages' },
            { labels: at(Q('q1'), 'critical'), summary: 'Queue q1 (vhost /, cluster prod) holds 20000 ready messages' },
          ],
        },
        { at: 25, alert: 'queue-backlog', firing: [] },
      ],
    },
    {
      name: 'queue-growing fires after 5m of rising depth with publishers ahead, not when consumers keep up',
      series: [
        [sel('rabbitmq_queue_messages', Q('q1')), `${ramp(0, 10, 21)} ${steps([200, 10])}`],
        [sel('rabbitmq_queue_messages_publish_rate', Q('q1')), steps([5, 31])],
        [sel('rabbitmq_queue_messages_deliver_rate', Q('q1')), steps([1, 31])],
        [sel('rabbitmq_queue_consumers', Q('q1')), steps([1, 31])],
        // rising, but the rates say it drains: no alert
        [sel('rabbitmq_queue_messages', Q('q2')), ramp(0, 10, 31)],
        [sel('rabbitmq_queue_messages_publish_rate', Q('q2')), steps([1, 31])],
        [sel('rabbitmq_queue_messages_deliver_rate', Q('q2')), steps([5, 31])],
        [sel('rabbitmq_queue_consumers', Q('q2')), steps([1, 31])],
      ],
      evals: [
        { at: 5, alert: 'queue-growing', firing: [] },
        {
          at: 10,
          alert: 'queue-growing',
          firing: [{ labels: at(Q('q1'), 'warning'), summary: 'Queue q1 (vhost /, cluster prod) keeps growing (100 messages): publishers outpace consumers' }],
        },
        { at: 26, alert: 'queue-growing', firing: [] },
      ],
    },
    {
      name: 'queue-message-age fires once the head message is 15m old for 2m, not for fresh heads nor once the head has no timestamp',
      series: [
        // published at time 0 and never consumed, until the queue holds no stamped head
        [sel('rabbitmq_queue_head_message_timestamp', Q('q1')), `${steps([0, 21])} _x14`],
        // the head is always the message just published
        [sel('rabbitmq_queue_head_message_timestamp', Q('q2')), ramp(0, 60, 31)],
      ],
      evals: [
        { at: 10, alert: 'queue-message-age', firing: [] },
        { at: 16, alert: 'queue-message-age', firing: [] },
        {
          at: 20,
          alert: 'queue-message-age',
          firing: [{ labels: at(Q('q1'), 'warning'), summary: 'Queue q1 (vhost /, cluster prod): its head message is 20m 0s old' }],
        },
        { at: 30, alert: 'queue-message-age', firing: [] },
      ],
    },
    {
      name: 'queue-drain-time fires after 5m of a growing backlog that needs 30m to drain, not when consumers keep up or deliver nothing',
      series: [
        // grows 100/min, delivered 0.5/s: 30 min of backlog at 900 ready; then stops growing
        [sel('rabbitmq_queue_messages_ready', Q('q1')), `${ramp(0, 100, 21)} ${steps([2000, 10])}`],
        [sel('rabbitmq_queue_messages_deliver_rate', Q('q1')), steps([0.5, 31])],
        // grows as fast, but 10/s delivered drains it in minutes
        [sel('rabbitmq_queue_messages_ready', Q('q2')), ramp(0, 100, 31)],
        [sel('rabbitmq_queue_messages_deliver_rate', Q('q2')), steps([10, 31])],
        // nothing delivered: no consumer at work, other rules' matter
        [sel('rabbitmq_queue_messages_ready', Q('q3')), ramp(0, 100, 31)],
        [sel('rabbitmq_queue_messages_deliver_rate', Q('q3')), steps([0, 31])],
      ],
      evals: [
        { at: 8, alert: 'queue-drain-time', firing: [] },
        { at: 12, alert: 'queue-drain-time', firing: [] },
        {
          at: 15,
          alert: 'queue-drain-time',
          firing: [
            {
              labels: at(Q('q1'), 'warning'),
              summary: 'Queue q1 (vhost /, cluster prod) needs 50m 0s to drain at the current deliver rate, and its backlog grows',
            },
          ],
        },
        { at: 26, alert: 'queue-drain-time', firing: [] },
      ],
    },
    {
      name: 'queue-no-consumer fires after 2m, not for a per-host RPC queue (its own rule)',
      series: [
        [sel('rabbitmq_queue_messages', Q('q1')), steps([5, 11], [0, 5])],
        [sel('rabbitmq_queue_consumers', Q('q1')), steps([0, 16])],
        [sel('rabbitmq_queue_messages', Q('compute.cmp-01', 'rpc_host', 'nova')), steps([5, 16])],
        [sel('rabbitmq_queue_consumers', Q('compute.cmp-01', 'rpc_host', 'nova')), steps([0, 16])],
      ],
      evals: [
        { at: 1, alert: 'queue-no-consumer', firing: [] },
        {
          at: 4,
          alert: 'queue-no-consumer',
          firing: [{ labels: at(Q('q1'), 'warning'), summary: 'Queue q1 (vhost /, cluster prod) has 5 messages and no consumer' }],
        },
        { at: 12, alert: 'queue-no-consumer', firing: [] },
      ],
    },
    {
      name: 'unacked-high fires after 5m at 1000 unacked, not on RPC queues',
      series: [
        [sel('rabbitmq_queue_messages_unacknowledged', Q('q1')), steps([0, 1], [1500, 10], [0, 5])],
        [sel('rabbitmq_queue_messages_unacknowledged', Q('conductor', 'rpc_topic', 'nova')), steps([5000, 16])],
      ],
      evals: [
        { at: 4, alert: 'unacked-high', firing: [] },
        {
          at: 8,
          alert: 'unacked-high',
          firing: [{ labels: at(Q('q1'), 'warning'), summary: 'Queue q1 (vhost /, cluster prod) has 1500 unacknowledged messages' }],
        },
        { at: 13, alert: 'unacked-high', firing: [] },
      ],
    },
    {
      name: 'unroutable-messages fires while messages were returned or dropped in the last 5m',
      series: [
        [sel('rabbitmq_messages_unroutable_returned_total'), `${steps([0, 6])} ${ramp(10, 10, 4)} ${steps([40, 20])}`],
        [sel('rabbitmq_messages_unroutable_dropped_total'), `${steps([0, 8])} ${steps([5, 22])}`],
      ],
      evals: [
        { at: 5, alert: 'unroutable-messages', firing: [] },
        {
          at: 10,
          alert: 'unroutable-messages',
          firing: [
            {
              labels: at({}, 'warning'),
              summary: 'About 45 messages were unroutable (returned or dropped) on cluster prod in the last 5m',
            },
          ],
        },
        { at: 20, alert: 'unroutable-messages', firing: [] },
      ],
    },
  ],

  'connections.test.yml': [
    {
      name: 'connections-blocked fires per vhost at once and resolves',
      series: [
        [sel('rabbitmq_connections_state', { vhost: '/', user: 'nova', state: 'blocked' }), steps([0, 1], [3, 2], [0, 2])],
        [sel('rabbitmq_connections_state', { vhost: '/', user: 'nova', state: 'running' }), steps([10, 5])],
      ],
      evals: [
        {
          at: 1,
          alert: 'connections-blocked',
          firing: [
            {
              labels: { cluster: 'prod', vhost: '/', severity: 'critical' },
              summary: '3 connections in vhost / of cluster prod are blocked by a resource alarm',
            },
          ],
        },
        { at: 3, alert: 'connections-blocked', firing: [] },
      ],
    },
    {
      name: 'connection-count-high fires at 2 x the daily average, after an hour of history',
      interval: '5m',
      series: [[sel('rabbitmq_connections'), steps([100, 25], [300, 11], [100, 13])]],
      evals: [
        { at: 120, alert: 'connection-count-high', firing: [] },
        {
          at: 140,
          alert: 'connection-count-high',
          firing: [{ labels: at({}, 'warning'), summary: 'Cluster prod has 300 connections, 2 × its daily average or more' }],
        },
        { at: 190, alert: 'connection-count-high', firing: [] },
      ],
    },
    {
      name: 'connection-leak fires after 30m of a steadily rising floor, resolves when it falls',
      series: [[sel('rabbitmq_connections'), `${ramp(100, 1, 91)} ${steps([150, 30])}`]],
      evals: [
        { at: 45, alert: 'connection-leak', firing: [] },
        {
          at: 60,
          alert: 'connection-leak',
          firing: [
            {
              labels: at({}, 'warning'),
              summary: 'Connections to cluster prod grew by 25 over 30m without ever falling back: a connection leak',
            },
          ],
        },
        { at: 100, alert: 'connection-leak', firing: [] },
      ],
    },
    {
      name: 'connection-churn fires after 10m at 10 % of open connections per second',
      series: [
        [sel('rabbitmq_connections'), steps([200, 31])],
        [sel('rabbitmq_connections_opened_total'), `${ramp(0, 700, 21)} ${steps([14000, 10])}`],
        [sel('rabbitmq_connections_closed_total'), `${ramp(0, 700, 21)} ${steps([14000, 10])}`],
      ],
      evals: [
        { at: 8, alert: 'connection-churn', firing: [] },
        {
          at: 15,
          alert: 'connection-churn',
          firing: [
            {
              labels: at({}, 'warning'),
              summary: 'Connection churn on cluster prod: 11.67% of the open connections are opened or closed per second',
            },
          ],
        },
        { at: 25, alert: 'connection-churn', firing: [] },
      ],
    },
    {
      name: 'connection-churn stays quiet under 100 connections',
      series: [
        [sel('rabbitmq_connections'), steps([50, 31])],
        [sel('rabbitmq_connections_opened_total'), ramp(0, 700, 31)],
        [sel('rabbitmq_connections_closed_total'), ramp(0, 700, 31)],
      ],
      evals: [{ at: 20, alert: 'connection-churn', firing: [] }],
    },
    {
      name: 'channels-per-connection-high fires after 5m above 10 channels',
      series: [[sel('rabbitmq_connection_channels_max'), steps([1, 1], [12, 10], [3, 5])]],
      evals: [
        { at: 4, alert: 'channels-per-connection-high', firing: [] },
        {
          at: 8,
          alert: 'channels-per-connection-high',
          firing: [{ labels: at({}, 'warning'), summary: 'A connection to cluster prod holds 12 channels' }],
        },
        { at: 13, alert: 'channels-per-connection-high', firing: [] },
      ],
    },
  ],

  'openstack.test.yml': [
    {
      name: 'openstack-host-queue-unconsumed: critical for compute, warning for agents, after 2m',
      series: [
        [sel('rabbitmq_openstack_host_queue_consumers', { service: 'nova', topic: 'compute', host: 'cmp-01' }), steps([1, 1], [0, 6], [1, 5])],
        [sel('rabbitmq_openstack_host_queue_consumers', { service: 'neutron', topic: 'dhcp_agent', host: 'net-01' }), steps([1, 1], [0, 6], [1, 5])],
        [sel('rabbitmq_openstack_host_queue_consumers', { service: 'nova', topic: 'compute', host: 'cmp-02' }), steps([2, 12])],
      ],
      evals: [
        { at: 2, alert: 'openstack-host-queue-unconsumed', firing: [] },
        {
          at: 4,
          alert: 'openstack-host-queue-unconsumed',
          firing: [
            {
              labels: at({ service: 'nova', topic: 'compute', host: 'cmp-01' }, 'critical'),
              summary: 'RPC queue compute.cmp-01 has no consumer: nova on host cmp-01 is down (cluster prod)',
            },
            {
              labels: at({ service: 'neutron', topic: 'dhcp_agent', host: 'net-01' }, 'warning'),
              summary: 'RPC queue dhcp_agent.net-01 has no consumer: neutron on host net-01 is down (cluster prod)',
            },
          ],
        },
        { at: 9, alert: 'openstack-host-queue-unconsumed', firing: [] },
      ],
    },
    {
      name: 'openstack-rpc-backlog warns at 100 ready on a topic queue, adds critical at 1000',
      series: [[sel('rabbitmq_queue_messages_ready', Q('conductor', 'rpc_topic', 'nova')), steps([0, 1], [500, 10], [5000, 10], [0, 5])]],
      evals: [
        {
          at: 8,
          alert: 'openstack-rpc-backlog',
          firing: [
            {
              labels: at(Q('conductor', 'rpc_topic', 'nova'), 'warning'),
              summary: 'RPC topic queue conductor (nova, cluster prod) holds 500 ready messages: callers will hit MessagingTimeout',
            },
          ],
        },
        {
          at: 18,
          alert: 'openstack-rpc-backlog',
          firing: [
            {
              labels: at(Q('conductor', 'rpc_topic', 'nova'), 'warning'),
              summary: 'RPC topic queue conductor (nova, cluster prod) holds 5000 ready messages: callers will hit MessagingTimeout',
            },
            {
              labels: at(Q('conductor', 'rpc_topic', 'nova'), 'critical'),
              summary: 'RPC topic queue conductor (nova, cluster prod) holds 5000 ready messages: callers will hit MessagingTimeout',
            },
          ],
        },
        { at: 23, alert: 'openstack-rpc-backlog', firing: [] },
      ],
    },
    {
      name: 'openstack-rpc-unacked fires once unacked messages sat a minute without an acknowledgement, not on one caught in flight',
      series: [
        [sel('rabbitmq_queue_messages_unacknowledged', Q('compute.cmp-01', 'rpc_host', 'nova')), steps([0, 1], [2, 8], [0, 3])],
        // in flight: 1 unacked now and then, acknowledged in between
        [sel('rabbitmq_queue_messages_unacknowledged', Q('conductor', 'rpc_topic', 'nova')), '0 1 0 1 0 1 0 1 0 1 0 1'],
      ],
      evals: [
        { at: 1, alert: 'openstack-rpc-unacked', firing: [] },
        {
          at: 7,
          alert: 'openstack-rpc-unacked',
          firing: [
            {
              labels: at(Q('compute.cmp-01', 'rpc_host', 'nova'), 'warning'),
              summary: 'RPC queue compute.cmp-01 (nova, cluster prod) has held 2 unacknowledged messages for 1m without an acknowledgement: a consumer is stuck',
            },
          ],
        },
        { at: 11, alert: 'openstack-rpc-unacked', firing: [] },
      ],
    },
    {
      name: 'openstack-rpc-topic-unconsumed is critical after 1m without a consumer on a shared topic, resolves when one attaches',
      series: [
        [sel('rabbitmq_queue_consumers', Q('conductor', 'rpc_topic', 'nova')), steps([2, 2], [0, 5], [1, 4])],
        [sel('rabbitmq_queue_messages', Q('conductor', 'rpc_topic', 'nova')), steps([0, 2], [4, 5], [0, 4])],
      ],
      evals: [
        { at: 2, alert: 'openstack-rpc-topic-unconsumed', firing: [] },
        {
          at: 4,
          alert: 'openstack-rpc-topic-unconsumed',
          firing: [
            {
              labels: at(Q('conductor', 'rpc_topic', 'nova'), 'critical'),
              summary: 'RPC topic conductor (nova, cluster prod) has no consumer: every server of it is down and calls to it time out (MessagingTimeout)',
            },
          ],
        },
        { at: 8, alert: 'openstack-rpc-topic-unconsumed', firing: [] },
        { at: 8, alert: 'queue-no-consumer', firing: [] },
      ],
    },
    {
      name: 'openstack-notifications-unconsumed fires after 15m without consumer, resolves when one attaches',
      series: [
        [sel('rabbitmq_queue_messages', Q('notifications.info', 'notification', 'nova')), `${ramp(0, 100, 31)} ${steps([3000, 20])}`],
        [sel('rabbitmq_queue_consumers', Q('notifications.info', 'notification', 'nova')), steps([0, 41], [1, 10])],
        // consumed and growing: a slow consumer, not this rule
        [sel('rabbitmq_queue_messages', Q('versioned_notifications.info', 'notification', 'nova')), ramp(0, 100, 51)],
        [sel('rabbitmq_queue_consumers', Q('versioned_notifications.info', 'notification', 'nova')), steps([1, 51])],
      ],
      evals: [
        { at: 10, alert: 'openstack-notifications-unconsumed', firing: [] },
        {
          at: 22,
          alert: 'openstack-notifications-unconsumed',
          firing: [
            {
              labels: at(Q('notifications.info', 'notification', 'nova'), 'warning'),
              summary: 'Notification queue notifications.info (vhost /, cluster prod) has no consumer and holds 2200 messages',
            },
          ],
        },
        { at: 45, alert: 'openstack-notifications-unconsumed', firing: [] },
      ],
    },
    {
      name: 'openstack-orphan-queues fires over 500 orphans and for orphans that never expire',
      series: [
        [sel('rabbitmq_openstack_orphan_queues', { kind: 'reply' }), steps([100, 6], [400, 10], [100, 15])],
        [sel('rabbitmq_openstack_orphan_queues', { kind: 'fanout' }), steps([50, 6], [150, 10], [50, 15])],
        [sel('rabbitmq_openstack_orphan_queues_without_expiry'), steps([0, 11], [3, 10], [0, 10])],
      ],
      evals: [
        {
          at: 12,
          alert: 'openstack-orphan-queues',
          firing: [
            {
              labels: { cluster: 'prod', reason: 'too_many', severity: 'warning' },
              summary: '550 orphaned reply/fanout queues on cluster prod have no consumer',
            },
          ],
        },
        {
          at: 18,
          alert: 'openstack-orphan-queues',
          firing: [
            {
              labels: { cluster: 'prod', reason: 'without_expiry', severity: 'warning' },
              summary: '3 orphaned per-process queues on cluster prod never expire',
            },
          ],
        },
        { at: 25, alert: 'openstack-orphan-queues', firing: [] },
      ],
    },
    {
      name: 'openstack-service-connections-high fires above 2 x the daily average of one service on one host',
      interval: '5m',
      series: [
        [sel('rabbitmq_openstack_connections', { service: 'nova', host: 'ctl-1' }), steps([5, 25], [20, 12], [5, 13])],
        [sel('rabbitmq_openstack_connections', { service: 'neutron', host: 'ctl-1' }), steps([3, 25], [8, 25])],
      ],
      evals: [
        { at: 120, alert: 'openstack-service-connections-high', firing: [] },
        {
          at: 140,
          alert: 'openstack-service-connections-high',
          firing: [
            {
              labels: at({ service: 'nova', host: 'ctl-1' }, 'warning'),
              summary: 'nova holds 20 connections from host ctl-1 to cluster prod, over 2 × its daily average',
            },
          ],
        },
        { at: 200, alert: 'openstack-service-connections-high', firing: [] },
      ],
    },
  ],

  'probe.test.yml': [
    {
      name: 'amqp-probe-failed fires at once for a node with a failing listener, once per node',
      series: [
        [sel('warren_probe_success', { ...NODE1, protocol: 'amqp' }), steps([1, 8])],
        [sel('warren_probe_success', { ...NODE2, protocol: 'amqp' }), steps([1, 2], [0, 4], [1, 2])],
        [sel('warren_probe_success', { ...NODE2, protocol: 'amqps' }), steps([1, 3], [0, 2], [1, 3])],
        [sel('warren_probe_duration_seconds', { ...NODE1, protocol: 'amqp', phase: 'connect' }), steps([0.01, 8])],
        [sel('warren_probe_duration_seconds', { ...NODE2, protocol: 'amqp', phase: 'connect' }), steps([0.01, 8])],
      ],
      evals: [
        { at: 1, alert: 'amqp-probe-failed', firing: [] },
        {
          at: 2,
          alert: 'amqp-probe-failed',
          firing: [{ labels: at(NODE2, 'critical'), summary: "warren's AMQP probe fails on 1 listener(s) of node rabbit@n2 of cluster prod" }],
        },
        {
          at: 4,
          alert: 'amqp-probe-failed',
          firing: [{ labels: at(NODE2, 'critical'), summary: "warren's AMQP probe fails on 2 listener(s) of node rabbit@n2 of cluster prod" }],
        },
        { at: 7, alert: 'amqp-probe-failed', firing: [] },
      ],
    },
    {
      name: 'amqp-probe-slow fires after 2m of a round trip (publish + consume) over 1 s, not for a failed probe',
      series: [
        [sel('warren_probe_success', { ...NODE1, protocol: 'amqp' }), steps([1, 10])],
        [sel('warren_probe_duration_seconds', { ...NODE1, protocol: 'amqp', phase: 'publish' }), steps([0.01, 10])],
        [sel('warren_probe_duration_seconds', { ...NODE1, protocol: 'amqp', phase: 'consume' }), steps([0.02, 10])],
        [sel('warren_probe_success', { ...NODE2, protocol: 'amqp' }), steps([1, 10])],
        [sel('warren_probe_duration_seconds', { ...NODE2, protocol: 'amqp', phase: 'publish' }), steps([0.5, 10])],
        [sel('warren_probe_duration_seconds', { ...NODE2, protocol: 'amqp', phase: 'consume' }), steps([0.1, 2], [0.75, 5], [0.1, 3])],
        // A probe that failed at consume after a slow publish: amqp-probe-failed says it, not this rule.
        [sel('warren_probe_success', { node: 'rabbit@n3', protocol: 'amqp' }), steps([0, 10])],
        [sel('warren_probe_duration_seconds', { node: 'rabbit@n3', protocol: 'amqp', phase: 'publish' }), steps([3, 10])],
      ],
      evals: [
        { at: 3, alert: 'amqp-probe-slow', firing: [] },
        {
          at: 5,
          alert: 'amqp-probe-slow',
          firing: [{ labels: at(NODE2, 'warning'), summary: 'AMQP probe round trip on node rabbit@n2 of cluster prod took 1.25s' }],
        },
        { at: 8, alert: 'amqp-probe-slow', firing: [] },
      ],
    },
    {
      name: 'openstack-rpc-server-unresponsive fires on 2 unanswered pings in a row while the queue has a consumer: critical for compute, warning for agents',
      series: [
        [sel('warren_openstack_rpc_ping_consecutive_failures', { service: 'nova', topic: 'compute', host: 'cmp-01' }), steps([0, 2], [1, 1], [2, 3], [0, 3])],
        [sel('warren_openstack_rpc_ping_success', { service: 'nova', topic: 'compute', host: 'cmp-01' }), steps([1, 2], [0, 4], [1, 3])],
        [sel('warren_openstack_rpc_ping_seconds', { service: 'nova', topic: 'compute', host: 'cmp-01' }), steps([0.01, 9])],
        [sel('rabbitmq_openstack_host_queue_consumers', { service: 'nova', topic: 'compute', host: 'cmp-01' }), steps([1, 9])],
        [sel('warren_openstack_rpc_ping_consecutive_failures', { service: 'neutron', topic: 'dhcp_agent', host: 'net-01' }), steps([0, 3], [2, 3], [0, 3])],
        [sel('rabbitmq_openstack_host_queue_consumers', { service: 'neutron', topic: 'dhcp_agent', host: 'net-01' }), steps([1, 9])],
        // No consumer: openstack-host-queue-unconsumed says it, not this rule.
        [sel('warren_openstack_rpc_ping_consecutive_failures', { service: 'nova', topic: 'compute', host: 'cmp-02' }), steps([3, 9])],
        [sel('rabbitmq_openstack_host_queue_consumers', { service: 'nova', topic: 'compute', host: 'cmp-02' }), steps([0, 9])],
      ],
      evals: [
        { at: 2, alert: 'openstack-rpc-server-unresponsive', firing: [] },
        {
          at: 4,
          alert: 'openstack-rpc-server-unresponsive',
          firing: [
            {
              labels: at({ service: 'nova', topic: 'compute', host: 'cmp-01' }, 'critical'),
              summary: 'RPC server compute.cmp-01 (nova) holds its queue but left 2 pings in a row unanswered (cluster prod)',
            },
            {
              labels: at({ service: 'neutron', topic: 'dhcp_agent', host: 'net-01' }, 'warning'),
              summary: 'RPC server dhcp_agent.net-01 (neutron) holds its queue but left 2 pings in a row unanswered (cluster prod)',
            },
          ],
        },
        { at: 7, alert: 'openstack-rpc-server-unresponsive', firing: [] },
      ],
    },
  ],

  'forwarded.test.yml': [
    ...[
      'classic-mirroring-policy',
      'quorum-queue-underreplicated',
      'quorum-even-node-count',
      'guest-user-enabled',
      // issue 16's security rules, forwarded until their PromQL forms are written
      'authentication-failures',
      'listener-without-tls',
      'tls-certificate-expiring',
      'administrator-user-in-use',
      'shared-service-user',
      'unused-user',
    ].map(
      (rule): PromtoolCase => {
        const labels = { rule, severity: 'warning', subject_kind: 'cluster', subject: 'prod' };
        return {
          name: `${rule} is forwarded from warren_alert_active with warren's labels`,
          series: [[sel('warren_alert_active', labels), steps([1, 4], [0, 4])]],
          evals: [
            {
              at: 2,
              alert: rule,
              firing: [{ labels: at(labels), summary: `warren reports ${rule} on cluster prod (cluster prod)` }],
            },
            { at: 6, alert: rule, firing: [] },
          ],
        };
      },
    ),
    {
      name: 'openstack-correlated-outage is forwarded from warren_alert_active at critical, per service',
      series: [
        [
          sel('warren_alert_active', { rule: 'openstack-correlated-outage', severity: 'critical', subject_kind: 'service', subject: 'nova-compute', vhost: '/' }),
          steps([1, 4], [0, 4]),
        ],
      ],
      evals: [
        {
          at: 2,
          alert: 'openstack-correlated-outage',
          firing: [
            {
              labels: at({ rule: 'openstack-correlated-outage', severity: 'critical', subject_kind: 'service', subject: 'nova-compute', vhost: '/' }),
              summary: 'warren reports openstack-correlated-outage on service nova-compute (cluster prod)',
            },
          ],
        },
        { at: 6, alert: 'openstack-correlated-outage', firing: [] },
      ],
    },
  ],

  'self.test.yml': [
    {
      name: 'warren-stale fires after 5m of stale data',
      series: [[sel('warren_stale'), steps([0, 1], [1, 8], [0, 3])]],
      evals: [
        { at: 4, alert: 'warren-stale', firing: [] },
        { at: 7, alert: 'warren-stale', firing: [{ labels: at({}, 'warning'), summary: 'warren serves stale data for cluster prod' }] },
        { at: 10, alert: 'warren-stale', firing: [] },
      ],
    },
    {
      name: 'warren-poll-overrun fires after 15m of skipped polls',
      series: [[sel('warren_poll_skipped_total'), `${steps([0, 6])} ${ramp(1, 1, 10)} ${steps([10, 45])}`]],
      evals: [
        { at: 15, alert: 'warren-poll-overrun', firing: [] },
        {
          at: 25,
          alert: 'warren-poll-overrun',
          firing: [
            {
              labels: at({}, 'warning'),
              summary: 'warren skipped 5 polls of cluster prod in 15 minutes because the previous poll still ran',
            },
          ],
        },
        { at: 40, alert: 'warren-poll-overrun', firing: [] },
      ],
    },
    {
      name: 'warren-notifications-failing fires on failed deliveries',
      series: [
        [sel('warren_notifications_failed_total', { receiver: 'alertmanager' }), `${steps([0, 7])} ${ramp(1, 1, 3)} ${steps([3, 25])}`],
        [sel('warren_notifications_dropped_total', { receiver: 'alertmanager' }), steps([0, 35])],
      ],
      evals: [
        {
          at: 16,
          alert: 'warren-notifications-failing',
          firing: [
            {
              labels: at({ receiver: 'alertmanager' }, 'warning'),
              summary: 'warren failed or dropped 3 notifications to receiver alertmanager in 15 minutes',
            },
          ],
        },
        { at: 30, alert: 'warren-notifications-failing', firing: [] },
      ],
    },
  ],

  'recording.test.yml': [
    {
      name: 'recording rules sum per vhost and per service, and give node ratios',
      series: [
        [sel('rabbitmq_queue_messages_ready', Q('a', 'rpc_topic', 'nova')), steps([10, 6])],
        [sel('rabbitmq_queue_messages_ready', Q('b', 'rpc_host', 'nova')), steps([5, 6])],
        [sel('rabbitmq_queue_messages_ready', { ...Q('c'), vhost: 'other' }), steps([7, 6])],
        [sel('rabbitmq_node_mem_used', NODE1), steps([300, 6])],
        [sel('rabbitmq_node_mem_limit', NODE1), steps([1000, 6])],
        [sel('rabbitmq_node_disk_free', NODE1), steps([300, 6])],
        [sel('rabbitmq_node_disk_free_limit', NODE1), steps([0, 6])],
      ],
      exprs: [
        {
          at: 2,
          expr: 'cluster_vhost:rabbitmq_queue_messages_ready:sum',
          samples: [
            { labels: 'cluster_vhost:rabbitmq_queue_messages_ready:sum{cluster="prod",vhost="/"}', value: 15 },
            { labels: 'cluster_vhost:rabbitmq_queue_messages_ready:sum{cluster="prod",vhost="other"}', value: 7 },
          ],
        },
        {
          at: 2,
          expr: 'cluster_openstack_service:rabbitmq_queue_messages_ready:sum{openstack_service="nova"}',
          samples: [
            {
              labels: 'cluster_openstack_service:rabbitmq_queue_messages_ready:sum{cluster="prod",openstack_kind="rpc_host",openstack_service="nova"}',
              value: 5,
            },
            {
              labels: 'cluster_openstack_service:rabbitmq_queue_messages_ready:sum{cluster="prod",openstack_kind="rpc_topic",openstack_service="nova"}',
              value: 10,
            },
          ],
        },
        {
          at: 2,
          expr: 'cluster_node:rabbitmq_node_mem_used:ratio',
          samples: [
            { labels: 'cluster_node:rabbitmq_node_mem_used:ratio{cluster="prod",instance="warren:9419",job="warren",node="rabbit@n1"}', value: 0.3 },
          ],
        },
        // a limit of 0 means "not reported": no ratio rather than +Inf
        { at: 2, expr: 'cluster_node:rabbitmq_node_disk_free:limit_ratio', samples: [] },
      ],
    },
  ],
};

// ---- rendering --------------------------------------------------------------------------

function duration(t: number | string): string {
  return typeof t === 'number' ? `${t}m` : t;
}

/** The rule variant an expected alert belongs to (by alertname and severity label). */
function ruleFor(alert: string, labels: Record<string, string>): PromAlert {
  const variants = promAlerts().filter((a) => a.id === alert);
  const r = variants.find((a) => a.severity === null || a.severity === labels.severity) ?? variants[0];
  if (!r) throw new Error(`no alerting rule named ${alert}`);
  return r;
}

function renderCase(c: PromtoolCase): Record<string, unknown> {
  const test: Record<string, unknown> = {
    name: c.name,
    interval: c.interval ?? '1m',
    input_series: c.series.map(([series, values]) => ({ series, values })),
  };
  if (c.evals) {
    test.alert_rule_test = c.evals.map((e) => ({
      eval_time: duration(e.at),
      alertname: e.alert,
      exp_alerts: e.firing.map((f) => {
        const rule = ruleFor(e.alert, f.labels);
        return {
          exp_labels: { ...labelsOf(rule), ...f.labels },
          exp_annotations: { ...annotationsOf(rule), summary: f.summary },
        };
      }),
    }));
  }
  if (c.exprs) {
    test.promql_expr_test = c.exprs.map((x) => ({
      expr: x.expr,
      eval_time: duration(x.at),
      exp_samples: x.samples,
    }));
  }
  return test;
}

/** File name -> YAML text of test/promtool/*.test.yml. */
export function renderPromtoolFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, cases] of Object.entries(PROMTOOL_FILES)) {
    const doc = {
      rule_files: ['../../alerts/warren.rules.yml'],
      evaluation_interval: '1m',
      tests: cases.map(renderCase),
    };
    out[file] =
      '# promtool unit tests for alerts/warren.rules.yml: `promtool test rules test/promtool/*.yml`.\n' +
      '# Generated from test/promtool/cases.ts; do not edit by hand.\n' +
      stringify(doc, { lineWidth: 0 });
  }
  return out;
}
