import { ConnectionError, LogtapError, SinkError } from '../errors.js';

const FENCED = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'INVALID_TXN_STATE']);
/** Broker unreachable, connection dropped (KafkaJSConnectionClosedError too), or no answer in time. */
const UNREACHABLE = /^KafkaJS(Connection|ConnectionClosed|RequestTimeout)Error$/;

interface KafkaJsLike { name?: string; type?: string; message?: string; cause?: unknown }

const isKafkaJs = (e: unknown): boolean => typeof (e as KafkaJsLike)?.name === 'string' && (e as KafkaJsLike).name!.startsWith('KafkaJS');

/**
 * The error and what it wraps: kafkajs reports the failure that ended its retries inside
 * KafkaJSNumberOfRetriesExceeded / KafkaJSNonRetriableError (`cause`), without its `type` or class.
 */
function causeChain(err: unknown): KafkaJsLike[] {
  const chain: KafkaJsLike[] = [];
  for (let e = err; e && typeof e === 'object' && chain.length < 8 && !chain.includes(e as KafkaJsLike); e = (e as KafkaJsLike).cause) chain.push(e as KafkaJsLike);
  return chain;
}

/** kafkajs errors → logtap errors: fencing ends this instance, everything else may be retried. */
export function kafkaError(err: unknown, doing: string, connector: string): Error {
  const e = err as KafkaJsLike;
  const chain = causeChain(err);
  const type = chain.find((c) => c.type)?.type;
  if (type && FENCED.has(type)) {
    return new SinkError(`another logtap instance named ${connector} took over Kafka's transactional id (${type}): this one stops`, { cause: err, retriable: false });
  }
  if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') {
    return new SinkError(`Kafka refused a record larger than it accepts while ${doing}: raise max.message.bytes on the topic (and message.max.bytes / replica.fetch.max.bytes on the brokers)`, { cause: err, retriable: false });
  }
  if (e?.name === 'KafkaJSNumberOfRetriesExceeded' || chain.some((c) => UNREACHABLE.test(c.name ?? ''))) {
    return new ConnectionError(`Kafka unreachable while ${doing}: ${e.message}`, { cause: err });
  }
  return new SinkError(`Kafka failed while ${doing}: ${e?.message ?? String(err)}`, { cause: err });
}

/**
 * For reads (checkpoint, schemas): a kafkajs failure becomes a logtap error (a broker restart is retried,
 * not fatal); anything else — logtap's own errors, a record that does not decode, an abort — stays as it is.
 */
export function kafkaReadError(err: unknown, doing: string): unknown {
  if (err instanceof LogtapError) return err;
  const chain = causeChain(err);
  const ours = chain.find((c) => !isKafkaJs(c));
  if (!isKafkaJs(err) || ours) return ours ?? err;
  return kafkaError(err, doing, '');
}
