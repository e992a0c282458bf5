import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ConnectionError, LogtapError, SinkError } from '../../src/errors.js';
import { kafkaError, kafkaReadError } from '../../src/kafka/kafka-errors.js';

// A broker restart reaches logtap as kafkajs errors wrapped by kafkajs' own retrier. These tests wrap them
// with that retrier (no hand-made copies) and check what a restart of the daemon's attempt makes of them.
const require = createRequire(import.meta.url);
type ErrorClass = new (e: unknown, options?: Record<string, unknown>) => Error;
const errors = require('kafkajs/src/errors.js') as Record<string, ErrorClass>;
const createRetry = require('kafkajs/src/retry/index.js') as (options: Record<string, number>) => (fn: () => Promise<never>) => Promise<never>;

/** What kafkajs' retrier rejects with when `failure` is thrown on every attempt. */
const afterRetries = (failure: Error): Promise<Error> =>
  createRetry({ retries: 1, initialRetryTime: 1, maxRetryTime: 2 })(async () => { throw failure; }).catch((err: Error) => err);

const refused = () => new errors.KafkaJSConnectionError!('Connection error: connect ECONNREFUSED 127.0.0.1:9092', { broker: '127.0.0.1:9092', code: 'ECONNREFUSED' });
const protocol = (type: string) => new errors.KafkaJSProtocolError!({ message: `broker said ${type}`, type, code: 1, retriable: false });

describe('kafkaError: broker restarts and fencing through kafkajs wrappers', () => {
  it('a refused connection after kafkajs retries is a retriable connection error', async () => {
    const wrapped = await afterRetries(refused());
    expect(wrapped.name).toBe('KafkaJSNumberOfRetriesExceeded');
    const mapped = kafkaError(wrapped, 'committing 3 change record(s)', 'shop');
    expect(mapped).toBeInstanceOf(ConnectionError);
    expect((mapped as LogtapError).retriable).toBe(true);
    expect(mapped.message).toBe('Kafka unreachable while committing 3 change record(s): Connection error: connect ECONNREFUSED 127.0.0.1:9092');
  });

  it('a dropped connection wrapped as non-retriable by kafkajs is still a connection error', () => {
    const closed = new errors.KafkaJSConnectionClosedError!('Closed connection', { host: '127.0.0.1', port: 9092 });
    const wrapped = new errors.KafkaJSNonRetriableError!(closed, { cause: closed });
    expect(kafkaError(wrapped, 'committing', 'shop')).toBeInstanceOf(ConnectionError);
    expect(kafkaError(closed, 'committing', 'shop')).toBeInstanceOf(ConnectionError);
  });

  it('fencing inside a kafkajs wrapper still stops this instance', async () => {
    const wrapped = await afterRetries(protocol('PRODUCER_FENCED'));
    expect(wrapped.name).toBe('KafkaJSNonRetriableError');
    const mapped = kafkaError(wrapped, 'committing', 'shop') as LogtapError;
    expect(mapped).toBeInstanceOf(SinkError);
    expect(mapped.retriable).toBe(false);
    expect(mapped.message).toBe("another logtap instance named shop took over Kafka's transactional id (PRODUCER_FENCED): this one stops");
  });

  it('other broker refusals stay retriable sink errors', async () => {
    const mapped = kafkaError(await afterRetries(protocol('NOT_ENOUGH_REPLICAS')), 'committing', 'shop') as LogtapError;
    expect(mapped).toBeInstanceOf(SinkError);
    expect(mapped.retriable).toBe(true);
  });
});

describe('kafkaReadError: reading the checkpoint or the schemas', () => {
  it('a broker that went away is retried, with one line naming the read', async () => {
    const mapped = kafkaReadError(await afterRetries(refused()), 'reading the checkpoint from shop._offsets') as LogtapError;
    expect(mapped).toBeInstanceOf(ConnectionError);
    expect(mapped.retriable).toBe(true);
    expect(mapped.message).toBe('Kafka unreachable while reading the checkpoint from shop._offsets: Connection error: connect ECONNREFUSED 127.0.0.1:9092');
  });

  it("leaves logtap's own failures, a record that does not decode and an abort as they are", async () => {
    const own = new LogtapError('CHECKPOINT', 'bad checkpoint');
    const decode = new RangeError('invalid union index');
    const abort = new DOMException('This operation was aborted', 'AbortError');
    expect(kafkaReadError(own, 'reading')).toBe(own);
    expect(kafkaReadError(decode, 'reading')).toBe(decode);
    expect(kafkaReadError(abort, 'reading')).toBe(abort);
    // kafkajs wraps what a message handler threw: the handler's error is what went wrong.
    expect(kafkaReadError(await afterRetries(decode), 'reading')).toBe(decode);
  });
});
