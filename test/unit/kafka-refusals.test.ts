import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { LogtapError } from '../../src/errors.js';
import { kafkaError } from '../../src/kafka/kafka-errors.js';
import { refusedTopics } from '../../src/kafka/change-sink.js';
import { topicConflict, type TopicConfig } from '../../src/kafka/topic-manager.js';
import { tableTopicSettings } from '../../src/pipeline/runner.js';
import type { TableSchema } from '../../src/model/table-schema.js';

// kafkajs' own error classes and retrier, as the producer rejects with them.
const require = createRequire(import.meta.url);
type ErrorClass = new (e: unknown, options?: Record<string, unknown>) => Error;
const errors = require('kafkajs/src/errors.js') as Record<string, ErrorClass>;
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode: (code: number) => Error };
const createRetry = require('kafkajs/src/retry/index.js') as (options: Record<string, number>) => (fn: () => Promise<never>) => Promise<never>;
const afterRetries = (failure: Error): Promise<Error> =>
  createRetry({ retries: 1, initialRetryTime: 1, maxRetryTime: 2 })(async () => { throw failure; }).catch((err: Error) => err);

const ledger = { topic: 'shop.public.ledger', table: 'public.ledger' };
const record = (topic: string, key: Buffer | null) => ({ topic, key, value: Buffer.from('v'), headers: {} });

describe('kafkaError: records the broker refuses stop the daemon with the table, the topic and the fix', () => {
  it('INVALID_RECORD of keyless records (a compacted topic) names the keyless table and the cleanup policy to set', async () => {
    const refused = refusedTopics([record(ledger.topic, null), record('shop.public.orders', Buffer.from('k')), record('shop._offsets', Buffer.from('c'))],
      (t) => (t === ledger.topic ? ledger.table : t === 'shop.public.orders' ? 'public.orders' : undefined));
    const mapped = kafkaError(await afterRetries(createErrorFromCode(87)), 'committing 2400 change record(s)', 'shop', refused) as LogtapError;
    expect(mapped).toBeInstanceOf(LogtapError);
    expect(mapped.code).toBe('RECORD_REFUSED');
    expect(mapped.retriable).toBe(false);
    expect(mapped.message).toBe('Kafka refused records while committing 2400 change record(s): records without a key (a table without a primary key) of table public.ledger (topic shop.public.ledger) '
      + "failed the broker's validation (INVALID_RECORD): a compacted topic accepts only records with a key; fix: set cleanup.policy=delete, retention.ms=-1, retention.bytes=-1 on the topic "
      + '(or delete it and let logtap create it), or add a primary key to the table');
    expect(mapped.message).not.toContain('\n');
  });

  it('maps every refusal of a record to a non-retriable error naming the tables of the request (not logtap\'s own topics) and a fix', () => {
    const refused = refusedTopics([record('shop.public.orders', Buffer.from('k')), record('shop._offsets', Buffer.from('c'))], (t) => (t === 'shop.public.orders' ? 'public.orders' : undefined));
    const cases: Array<[number, RegExp]> = [
      [87, /INVALID_RECORD\); fix: check the topic's configuration/],
      [2, /corrupted \(CORRUPT_MESSAGE.*fix: check what sits between logtap and the broker/],
      [10, /larger than the broker accepts \(MESSAGE_TOO_LARGE\); fix: raise max\.message\.bytes/],
      [18, /RECORD_LIST_TOO_LARGE\); fix: raise max\.message\.bytes/],
      [32, /INVALID_TIMESTAMP\); fix: raise message\.timestamp\.difference\.max\.ms/],
      [44, /POLICY_VIOLATION\); fix: allow it in the broker's policy/],
      [43, /UNSUPPORTED_FOR_MESSAGE_FORMAT\); fix: set message\.format\.version/],
      [76, /UNSUPPORTED_COMPRESSION_TYPE\); fix: set compression\.type=producer/],
      [17, /INVALID_TOPIC_EXCEPTION\); fix: choose a topicPrefix/],
    ];
    for (const [code, fix] of cases) {
      const wrapped = new errors.KafkaJSNonRetriableError!(createErrorFromCode(code), { cause: createErrorFromCode(code) });
      const mapped = kafkaError(wrapped, 'committing 3 change record(s)', 'shop', refused) as LogtapError;
      expect(mapped.code, `code ${code}`).toBe('RECORD_REFUSED');
      expect(mapped.retriable, `code ${code}`).toBe(false);
      expect(mapped.message, `code ${code}`).toMatch(/^Kafka refused records while committing 3 change record\(s\): .*table public\.orders \(topic shop\.public\.orders\)/);
      expect(mapped.message, `code ${code}`).not.toContain('_offsets');
      expect(mapped.message, `code ${code}`).toMatch(fix);
    }
  });

  it('leaves transient failures retriable', async () => {
    const mapped = kafkaError(await afterRetries(createErrorFromCode(19)), 'committing', 'shop') as LogtapError; // NOT_ENOUGH_REPLICAS
    expect(mapped.retriable).toBe(true);
  });
});

const config = (partitions = 3, retentionMs = '604800000', cleanupPolicy = 'compact', retentionBytes = '-1'): TopicConfig => ({ cleanupPolicy, retentionMs, retentionBytes, partitions });
const table = (key: string[]): TableSchema => ({ id: { namespace: 'public', name: 'ledger' }, columns: [{ name: 'a', type: { kind: 'int', bits: 32, unsigned: false }, nullable: true, sourceType: 'integer' }], key });
const settingsFor = (key: string[], envelope: 'entity' | 'key-only' = 'entity') => tableTopicSettings({ envelope, topics: { partitions: 3, replicationFactor: undefined } } as never, table(key));

describe('table topics: how they are made and which existing ones contradict their table', () => {
  it('a keyed table gets a compacted topic; a keyless one a change log kept for ever in one partition; key-only a feed', () => {
    expect(settingsFor(['a'])).toMatchObject({ compacted: true, partitions: 3, table: 'public.ledger' });
    expect(settingsFor([])).toMatchObject({ compacted: false, keepAll: true, partitions: 1 });
    expect(settingsFor([], 'key-only')).toMatchObject({ compacted: false, partitions: 3 });
    expect(settingsFor([], 'key-only').keepAll).toBeUndefined();
  });

  it('a compacted topic for a keyless table is refused with the kafka-configs command that fixes it', () => {
    const conflict = topicConflict('shop.public.ledger', settingsFor([]), config(1));
    expect(conflict).toBe('topic shop.public.ledger of table public.ledger is compacted (cleanup.policy=compact) but the table has no primary key: Kafka refuses records without a key on a compacted topic; '
      + 'fix: kafka-configs.sh --bootstrap-server <broker> --alter --entity-type topics --entity-name shop.public.ledger --add-config cleanup.policy=delete,retention.ms=-1,retention.bytes=-1 '
      + '(or delete the topic and let logtap create it), or add a primary key to the table');
    expect(topicConflict('t', settingsFor([]), config(1, '-1', 'compact,delete'))).toMatch(/is compacted/);
  });

  it('a keyless table\'s topic must keep every record, in one partition', () => {
    expect(topicConflict('t', settingsFor([]), config(1, '-1', 'delete'))).toBeNull();
    expect(topicConflict('t', settingsFor([]), config(1, '604800000', 'delete'))).toMatch(/deletes records \(cleanup\.policy=delete, retention\.ms=604800000\) .*--add-config retention\.ms=-1,retention\.bytes=-1/);
    expect(topicConflict('t', settingsFor([]), config(1, '-1', 'delete', '1000'))).toMatch(/retention\.ms=-1, retention\.bytes=1000/);
    expect(topicConflict('t', settingsFor([]), config(2, '-1', 'delete'))).toMatch(/has 2 partitions but the table has no primary key/);
  });

  it('a keyed table\'s topic that deletes old records is not the table; compacted, or deleting nothing, is', () => {
    expect(topicConflict('t', settingsFor(['a']), config(3, '604800000', 'delete'))).toMatch(/^topic t of table public\.ledger deletes records .*so the topic is not the table; fix: .*--add-config cleanup\.policy=compact/);
    expect(topicConflict('t', settingsFor(['a']), config(3, '604800000', 'compact,delete'))).toMatch(/deletes records/);
    expect(topicConflict('t', settingsFor(['a']), config(3, '604800000', 'compact'))).toBeNull();
    expect(topicConflict('t', settingsFor(['a']), config(3, '-1', 'delete'))).toBeNull();
    expect(topicConflict('t', settingsFor(['a'], 'key-only'), config(3, '604800000', 'delete'))).toBeNull();
  });
});
