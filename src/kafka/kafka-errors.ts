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
export function causeChain(err: unknown): KafkaJsLike[] {
  const chain: KafkaJsLike[] = [];
  for (let e = err; e && typeof e === 'object' && chain.length < 8 && !chain.includes(e as KafkaJsLike); e = (e as KafkaJsLike).cause) chain.push(e as KafkaJsLike);
  return chain;
}

/** One topic of a request the broker refused: which table it holds and whether the request had records without a key for it. */
export interface RefusedTopic {
  topic: string;
  /** `namespace.table`, when the topic is a table's. */
  table?: string | undefined;
  keyless: boolean;
}

/** The tables' topics of a refused request (its other topics only when it had none: logtap's own records are not the cause). */
function topicsText(refused: readonly RefusedTopic[]): string {
  const tables = refused.filter((t) => t.table);
  const shown = tables.length > 0 ? tables : refused;
  if (shown.length === 0) return 'a topic';
  return shown.map((t) => (t.table ? `table ${t.table} (topic ${t.topic})` : `topic ${t.topic}`)).join(', ');
}

/**
 * Refusals of a record by the broker: the same records are refused again on every retry, so they stop the
 * daemon with the fix instead of restarting it for ever. Each gives the fix for the topics it names.
 */
const REFUSALS: Record<string, (topics: string, refused: readonly RefusedTopic[]) => string> = {
  INVALID_RECORD: (topics, refused) => (refused.some((t) => t.keyless)
    ? `records without a key (a table without a primary key) of ${topicsText(refused.filter((t) => t.keyless))} failed the broker's validation (INVALID_RECORD): a compacted topic accepts only records with a key; fix: set cleanup.policy=delete, retention.ms=-1, retention.bytes=-1 on the topic (or delete it and let logtap create it), or add a primary key to the table`
    : `records of ${topics} failed the broker's validation (INVALID_RECORD); fix: check the topic's configuration (cleanup.policy, message.timestamp.*, a broker-side record policy)`),
  CORRUPT_MESSAGE: (topics) => `records of ${topics} reached the broker corrupted (CORRUPT_MESSAGE, a checksum mismatch); fix: check what sits between logtap and the broker (a proxy, a faulty network device), then restart`,
  MESSAGE_TOO_LARGE: (topics) => `a record of ${topics} is larger than the broker accepts (MESSAGE_TOO_LARGE); fix: raise max.message.bytes on the topic (and message.max.bytes / replica.fetch.max.bytes on the brokers)`,
  RECORD_LIST_TOO_LARGE: (topics) => `a record batch of ${topics} is larger than the broker accepts (RECORD_LIST_TOO_LARGE); fix: raise max.message.bytes on the topic (and message.max.bytes / replica.fetch.max.bytes on the brokers)`,
  INVALID_TIMESTAMP: (topics) => `records of ${topics} were refused for their timestamp (INVALID_TIMESTAMP); fix: raise message.timestamp.difference.max.ms on the topic, or set message.timestamp.type=LogAppendTime`,
  POLICY_VIOLATION: (topics) => `a broker policy refused the request for ${topics} (POLICY_VIOLATION); fix: allow it in the broker's policy (create.topic.policy.class.name / alter.config.policy.class.name), or create the topic yourself`,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: (topics) => `the message format of ${topics} is too old for headers and transactions (UNSUPPORTED_FOR_MESSAGE_FORMAT); fix: set message.format.version ≥ 0.11 on the topic (or log.message.format.version on the brokers)`,
  UNSUPPORTED_COMPRESSION_TYPE: (topics) => `the broker refused the compression of records of ${topics} (UNSUPPORTED_COMPRESSION_TYPE); fix: set compression.type=producer on the topic`,
  INVALID_TOPIC_EXCEPTION: (topics) => `the broker refused the topic name ${topics} (INVALID_TOPIC_EXCEPTION); fix: choose a topicPrefix that makes valid topic names (letters, digits, '.', '_', '-'; at most 249 characters)`,
};

/**
 * kafkajs errors → logtap errors: fencing ends this instance, and so does a record the broker refuses
 * (`refused`: the topics of the request it was in, to name them); everything else may be retried.
 */
export function kafkaError(err: unknown, doing: string, connector: string, refused: readonly RefusedTopic[] = []): Error {
  const e = err as KafkaJsLike;
  const chain = causeChain(err);
  const type = chain.find((c) => c.type)?.type;
  if (type && FENCED.has(type)) {
    return new SinkError(`another logtap instance named ${connector} took over Kafka's transactional id (${type}): this one stops`, { cause: err, retriable: false });
  }
  const refusal = type === undefined ? undefined : REFUSALS[type];
  if (refusal) return new LogtapError('RECORD_REFUSED', `Kafka refused records while ${doing}: ${refusal(topicsText(refused), refused)}`, { cause: err, retriable: false });
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
