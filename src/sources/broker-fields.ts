// The management API's per-object numbers that warren exports under kbudde's
// rabbitmq_exporter names (test/fixtures/kbudde-metrics.json lists kbudde's default
// modules and where each name comes from). One table for both stages that need it:
// collect.ts asks for exactly these columns, src/metrics renders them.

/** `default`: what real dashboards and rules written for kbudde use; `kbudde`: every name it had. */
export type MetricsProfile = 'default' | 'kbudde';

export interface BrokerField {
  /** The exported name (kbudde's). */
  readonly metric: string;
  /** The management API field, dotted for nested objects (as `columns=` takes it). */
  readonly column: string;
  readonly type: 'gauge' | 'counter';
  readonly help: string;
  readonly profile: MetricsProfile;
  /**
   * A message_stats counter: the broker leaves it out until the first such event, so with
   * statistics on an absent one is 0 (as warren's other per-queue counters and kbudde).
   */
  readonly zeroWhenAbsent?: boolean;
}

const D = 'default' as const;
const K = 'kbudde' as const;
const g = (metric: string, column: string, profile: MetricsProfile, help: string): BrokerField => ({ metric, column, type: 'gauge', help, profile });
const c = (metric: string, column: string, profile: MetricsProfile, help: string): BrokerField => ({
  metric,
  column,
  type: 'counter',
  help,
  profile,
  zeroWhenAbsent: column.startsWith('message_stats.'),
});

/** Per queue, beside warren's own queue families (src/metrics/render.ts). */
export const QUEUE_FIELDS: readonly BrokerField[] = [
  g('rabbitmq_queue_consumer_utilisation', 'consumer_utilisation', D, 'Fraction of the time (0 to 1) the queue can deliver to its consumers at once.'),
  g('rabbitmq_queue_memory', 'memory', D, 'Bytes of memory of the queue\'s Erlang process.'),
  g('rabbitmq_queue_message_bytes', 'message_bytes', D, 'Sum of the message body sizes in the queue, bytes.'),
  c('rabbitmq_queue_messages_ack_total', 'message_stats.ack', D, 'Messages acknowledged (kbudde\'s name; same value as rabbitmq_queue_messages_acked_total).'),
  c('rabbitmq_queue_messages_returned_total', 'message_stats.return', D, 'Messages returned to publishers as unroutable; queues never count returns, so 0 (as under kbudde).'),
  g('rabbitmq_queue_messages_ready_ram', 'messages_ready_ram', K, 'Ready messages resident in RAM.'),
  g('rabbitmq_queue_messages_unacknowledged_ram', 'messages_unacknowledged_ram', K, 'Unacknowledged messages resident in RAM.'),
  g('rabbitmq_queue_messages_ram', 'messages_ram', K, 'Messages resident in RAM.'),
  g('rabbitmq_queue_messages_persistent', 'messages_persistent', K, 'Persistent messages (0 for transient queues).'),
  g('rabbitmq_queue_message_bytes_ready', 'message_bytes_ready', K, 'Body bytes of ready messages.'),
  g('rabbitmq_queue_message_bytes_unacknowledged', 'message_bytes_unacknowledged', K, 'Body bytes of unacknowledged messages.'),
  g('rabbitmq_queue_message_bytes_ram', 'message_bytes_ram', K, 'Body bytes of messages in RAM.'),
  g('rabbitmq_queue_message_bytes_persistent', 'message_bytes_persistent', K, 'Body bytes of persistent messages.'),
  g('rabbitmq_queue_max_length', 'arguments.x-max-length', K, 'The x-max-length argument: ready messages kept before the head is dropped.'),
  g('rabbitmq_queue_max_length_bytes', 'arguments.x-max-length-bytes', K, 'The x-max-length-bytes argument: ready body bytes kept before the head is dropped.'),
  g('rabbitmq_queue_gc_min_heap', 'garbage_collection.min_heap_size', K, 'Minimum heap size of the queue process, words.'),
  g('rabbitmq_queue_gc_min_vheap', 'garbage_collection.min_bin_vheap_size', K, 'Minimum binary virtual heap size of the queue process, words.'),
  g('rabbitmq_queue_gc_collections_before_fullsweep', 'garbage_collection.fullsweep_after', K, 'Generational collections before a full sweep.'),
  g('rabbitmq_queue_messages_redeliver_rate', 'message_stats.redeliver_details.rate', K, 'Redeliveries per second, as the broker computes it.'),
  g('rabbitmq_queue_slave_nodes_len', 'slave_nodes', K, 'Mirrors of a classic mirrored queue.'),
  g('rabbitmq_queue_synchronised_slave_nodes_len', 'synchronised_slave_nodes', K, 'Mirrors in sync of a classic mirrored queue.'),
  c('rabbitmq_queue_disk_reads_total', 'disk_reads', K, 'Messages read from disk by the queue since it started.'),
  c('rabbitmq_queue_disk_writes_total', 'disk_writes', K, 'Messages written to disk by the queue since it started.'),
  c('rabbitmq_queue_messages_confirmed_total', 'message_stats.confirm', K, 'Messages confirmed (always 0 per queue, as under kbudde).'),
  c('rabbitmq_queue_messages_delivered_noack_total', 'message_stats.deliver_no_ack', K, 'Messages delivered to consumers in no-ack mode.'),
  c('rabbitmq_queue_messages_get_total', 'message_stats.get', K, 'Messages fetched with basic.get in ack mode.'),
  c('rabbitmq_queue_messages_get_noack_total', 'message_stats.get_no_ack', K, 'Messages fetched with basic.get in no-ack mode.'),
  c('rabbitmq_queue_messages_redelivered_total', 'message_stats.redeliver', K, 'Messages delivered again (redelivered flag set).'),
  c('rabbitmq_queue_reductions_total', 'reductions', K, 'Reductions (units of work) of the queue process.'),
  c('rabbitmq_queue_gc_minor_collections_total', 'garbage_collection.minor_gcs', K, 'Minor garbage collections of the queue process.'),
];

/** Per exchange, beside rabbitmq_exchange_messages_published_{in,out}_total. */
export const EXCHANGE_FIELDS: readonly BrokerField[] = [
  c('rabbitmq_exchange_messages_published_total', 'message_stats.publish', K, 'Messages published (kbudde\'s name; RabbitMQ reports it for few exchanges).'),
  c('rabbitmq_exchange_messages_confirmed_total', 'message_stats.confirm', K, 'Messages confirmed.'),
  c('rabbitmq_exchange_messages_delivered_total', 'message_stats.deliver', K, 'Messages delivered in ack mode.'),
  c('rabbitmq_exchange_messages_delivered_noack_total', 'message_stats.deliver_no_ack', K, 'Messages delivered in no-ack mode.'),
  c('rabbitmq_exchange_messages_get_total', 'message_stats.get', K, 'Messages fetched with basic.get in ack mode.'),
  c('rabbitmq_exchange_messages_get_noack_total', 'message_stats.get_no_ack', K, 'Messages fetched with basic.get in no-ack mode.'),
  c('rabbitmq_exchange_messages_ack_total', 'message_stats.ack', K, 'Messages acknowledged.'),
  c('rabbitmq_exchange_messages_redelivered_total', 'message_stats.redeliver', K, 'Messages redelivered.'),
  c('rabbitmq_exchange_messages_returned_total', 'message_stats.return_unroutable', K, 'Messages returned to publishers as unroutable.'),
];

/** Columns of `fields` the profile asks for, less the excluded metric names. */
export function fieldsFor(fields: readonly BrokerField[], profile: MetricsProfile, exclude: readonly string[]): readonly BrokerField[] {
  return fields.filter((f) => (profile === 'kbudde' || f.profile === 'default') && !exclude.includes(f.metric));
}

interface ProfileChoice {
  readonly metrics?: { readonly profile: MetricsProfile; readonly exclude: readonly string[] } | undefined;
}

// Configs built in code (benches, tests) may have no metrics key: the default profile.
const chosen = (fields: readonly BrokerField[], cfg: ProfileChoice) => fieldsFor(fields, cfg.metrics?.profile ?? 'default', cfg.metrics?.exclude ?? []);
export const queueFieldsOf = (cfg: ProfileChoice): readonly BrokerField[] => chosen(QUEUE_FIELDS, cfg);
export const exchangeFieldsOf = (cfg: ProfileChoice): readonly BrokerField[] => chosen(EXCHANGE_FIELDS, cfg);

/**
 * The fields' values from one API object: only what the broker reported (a message_stats
 * counter absent while statistics are on is 0; see BrokerField.zeroWhenAbsent). A list
 * (slave_nodes) gives its length. Null when no field has a value.
 */
export function readFields(o: Readonly<Record<string, unknown>>, fields: readonly BrokerField[], statsOn: boolean): Readonly<Record<string, number>> | null {
  let out: Record<string, number> | null = null;
  for (const f of fields) {
    let v: unknown = o;
    for (const part of splitColumn(f.column)) v = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[part] : undefined;
    const n = typeof v === 'number' && Number.isFinite(v) ? v : Array.isArray(v) ? v.length : f.zeroWhenAbsent && statsOn ? 0 : null;
    if (n === null) continue;
    (out ??= {})[f.metric] = n;
  }
  return out;
}

/** `arguments.x-max-length` is two parts; the dots inside `x-...` names are none. */
function splitColumn(column: string): string[] {
  return column.split('.');
}
