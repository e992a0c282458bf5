import { ConnectionError, SinkError } from '../errors.js';

const FENCED = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'INVALID_TXN_STATE']);

/** kafkajs errors → logtap errors: fencing ends this instance, everything else may be retried. */
export function kafkaError(err: unknown, doing: string, connector: string): Error {
  const e = err as { name?: string; type?: string; message?: string };
  if (e?.type && FENCED.has(e.type)) {
    return new SinkError(`another logtap instance named ${connector} took over Kafka's transactional id (${e.type}): this one stops`, { cause: err, retriable: false });
  }
  if (e?.type === 'MESSAGE_TOO_LARGE' || e?.type === 'RECORD_LIST_TOO_LARGE') {
    return new SinkError(`Kafka refused a record larger than it accepts while ${doing}: raise max.message.bytes on the topic (and message.max.bytes / replica.fetch.max.bytes on the brokers)`, { cause: err, retriable: false });
  }
  if (e?.name === 'KafkaJSConnectionError' || e?.name === 'KafkaJSNumberOfRetriesExceeded' || e?.name === 'KafkaJSRequestTimeoutError') {
    return new ConnectionError(`Kafka unreachable while ${doing}: ${e.message}`, { cause: err });
  }
  return new SinkError(`Kafka failed while ${doing}: ${e?.message ?? String(err)}`, { cause: err });
}
