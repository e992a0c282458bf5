import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// patches/kafkajs+2.2.4.patch rewrites kafkajs' record encoding for speed (docs/kafka-patches.md). These
// tests hold it to the wire format by decoding what it writes with kafkajs' own, unpatched decoders.
const require = createRequire(import.meta.url);
const Encoder = require('kafkajs/src/protocol/encoder.js');
const Decoder = require('kafkajs/src/protocol/decoder.js');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const Long = require('kafkajs/src/utils/long.js');

const headerValue = fc.oneof(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)), fc.string({ maxLength: 20 }));
const message = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)), { nil: null }),
  value: fc.option(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.tuple(fc.integer({ min: 4500, max: 9000 }), fc.integer({ min: 0, max: 255 })).map(([n, fill]) => new Uint8Array(n).fill(fill))).map((b) => Buffer.from(b)), { nil: null }),
  // Header names as logtap writes them (kafkajs' decoder keeps headers in a plain object: no `toString`).
  headers: fc.dictionary(fc.stringMatching(/^[a-z][a-z._]{0,15}$/), fc.oneof(headerValue, fc.array(headerValue, { minLength: 1, maxLength: 3 })), { maxKeys: 6 }),
  timestampDelta: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 2 ** 40 })),
});

describe('the kafkajs patch', () => {
  it('is applied (npm ci runs patch-package)', () => {
    const source = readFileSync(require.resolve('kafkajs/src/protocol/recordBatch/record/v0/index.js'), 'utf8');
    expect(source).toContain('logtap patch');
  });

  it('writes record batches that kafkajs\' decoder reads back exactly', { timeout: 30_000 }, async () => {
    await fc.assert(fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 30 }), async (messages) => {
      const records = messages.map((m, i) => Record({ key: m.key, value: m.value, headers: m.headers, offsetDelta: i, timestampDelta: m.timestampDelta }));
      const batch = await RecordBatch({ records, firstTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_000, lastOffsetDelta: records.length - 1, transactional: true, producerId: Long.fromValue(7), producerEpoch: 1 });
      const decoded = await decodeRecordBatch(new Decoder(batch.buffer));
      expect(decoded.records).toHaveLength(messages.length);
      decoded.records.forEach((r: { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | Buffer[]>; timestamp: string; offset: string }, i: number) => {
        const m = messages[i]!;
        expect(r.key === null ? null : Buffer.from(r.key)).toEqual(m.key);
        expect(r.value === null ? null : Buffer.from(r.value)).toEqual(m.value);
        expect(r.offset).toBe(String(i));
        expect(r.timestamp).toBe(String(1_700_000_000_000 + m.timestampDelta));
        const expectedHeaders = Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, Array.isArray(v) ? (v.length === 1 ? Buffer.from(v[0]!) : v.map((x) => Buffer.from(x))) : Buffer.from(v)]));
        const actualHeaders = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Array.isArray(v) ? v.map((x) => Buffer.from(x)) : Buffer.from(v)]));
        expect(actualHeaders).toEqual(expectedHeaders);
      });
    }), { numRuns: 100 });
  });

  it('checksums record batches with the native CRC-32C, equal to kafkajs\' own', () => {
    const crc = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
    const kafkajsCrc = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;
    // The prebuilt binary of this platform is installed (linux-x64 here and in the Docker image): the fast path is taken.
    expect(readFileSync(require.resolve('kafkajs/src/protocol/recordBatch/crc32C/index.js'), 'utf8')).toContain('@node-rs/crc32');
    expect(typeof (require('@node-rs/crc32') as { crc32c: unknown }).crc32c).toBe('function');
    expect(crc(Buffer.from('123456789'))).toBe(0xe3069283); // the CRC-32C check value
    fc.assert(fc.property(fc.uint8Array({ maxLength: 20_000 }), (bytes) => {
      const buffer = Buffer.from(bytes);
      expect(crc(buffer)).toBe(kafkajsCrc(buffer) >>> 0);
    }), { numRuns: 300 });
  });

  it('writes every 32-bit varint and small varlong as kafkajs\' decoder expects', () => {
    const edges = [0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, 8192, 2 ** 20, -(2 ** 20), 2 ** 30 - 1, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31)];
    fc.assert(fc.property(fc.oneof(fc.constantFrom(...edges), fc.integer()), (n) => {
      const e = new Encoder().writeVarInt(n).writeUVarInt(n >>> 0).writeVarLong(n);
      const d = new Decoder(e.buffer);
      expect(d.readVarInt()).toBe(n);
      expect(d.readUVarInt()).toBe(n >>> 0);
      expect(d.readVarLong().toString()).toBe(String(n));
      expect(d.canReadBytes(1)).toBe(false);
    }), { numRuns: 3000 });
    const big = new Encoder().writeVarLong(Long.fromString('-9223372036854775808')).writeVarLong(2 ** 45);
    const d = new Decoder(big.buffer);
    expect(d.readVarLong().toString()).toBe('-9223372036854775808');
    expect(d.readVarLong().toString()).toBe(String(2 ** 45));
  });

  describe('request queue', () => {
    const RequestQueue = require('kafkajs/src/network/requestQueue/index.js');
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const queue = () => new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 't', broker: 'b:1', logger: quiet });
    const request = (correlationId: number, sent: number[]) => ({
      entry: { correlationId, apiName: 'T', apiKey: 0, apiVersion: 0, resolve() {}, reject() {} },
      expectResponse: true,
      sendRequest: () => { sent.push(correlationId); },
    });

    it('arms no timer once nothing waits (unpatched: a 1 ms timer loop per connection, kafkajs #1556)', () => {
      const q = queue();
      const sent: number[] = [];
      q.push(request(1, sent));
      q.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
      expect(sent).toEqual([1]);
      expect(q.throttleCheckTimeoutId ?? null).toBeNull();
    });

    it('still sends a request that had to wait, after a throttle or an in-flight request', async () => {
      const q = queue();
      const sent: number[] = [];
      q.throttledUntil = Date.now() + 30;
      q.push(request(1, sent));
      expect(sent).toEqual([]);
      await new Promise((r) => setTimeout(r, 80));
      expect(sent).toEqual([1]);
      q.push(request(2, sent));
      expect(sent).toEqual([1]);
      q.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
      expect(sent).toEqual([1, 2]);
      q.fulfillRequest({ correlationId: 2, payload: Buffer.alloc(0), size: 0 });
      // The check armed while request 2 waited fires once and arms no other.
      await new Promise((r) => setTimeout(r, 40));
      expect(q.throttleCheckTimeoutId ?? null).toBeNull();
    });
  });

  describe('transaction coordinator', () => {
    const createEosManager = require('kafkajs/src/producer/eosManager/index.js');
    const logger = { debug() {}, info() {}, warn() {}, error() {}, namespace() { return logger; } };
    const notCoordinator = () => Object.assign(new Error('This is not the correct coordinator for this group'), { type: 'NOT_COORDINATOR_FOR_GROUP' });

    /** A cluster of two brokers whose transaction coordinator can move; it records lookups and requests. */
    function fakeCluster() {
      const cluster = {
        retry: { retries: 0 },
        coordinator: 1,
        lookups: 0,
        requests: [] as string[],
        failNext: undefined as Error | undefined,
        brokers: {} as Record<number, unknown>,
        async refreshMetadataIfNecessary() {},
        async findGroupCoordinator() { cluster.lookups++; return cluster.brokers[cluster.coordinator]; },
        async findBroker({ nodeId }: { nodeId: number }) { return cluster.brokers[nodeId]; },
      };
      const broker = (nodeId: number) => {
        const answer = async (name: string, result: unknown = {}) => {
          if (cluster.failNext) { const e = cluster.failNext; cluster.failNext = undefined; throw e; }
          if (cluster.coordinator !== nodeId) throw notCoordinator();
          cluster.requests.push(`${name}@${nodeId}`);
          return result;
        };
        return {
          nodeId,
          initProducerId: () => answer('InitProducerId', { producerId: 7, producerEpoch: 0 }),
          addPartitionsToTxn: () => answer('AddPartitionsToTxn'),
          endTxn: () => answer('EndTxn'),
        };
      };
      cluster.brokers = { 1: broker(1), 2: broker(2) };
      return cluster;
    }
    const transaction = async (eos: { beginTransaction(): void; addPartitionsToTransaction(t: unknown): Promise<void>; commit(): Promise<void> }) => {
      eos.beginTransaction();
      await eos.addPartitionsToTransaction([{ topic: 't', partitions: [{ partition: 0 }] }]);
      await eos.commit();
    };

    it('is looked up once, not before every AddPartitionsToTxn and EndTxn (unpatched: 2 lookups per transaction)', async () => {
      const cluster = fakeCluster();
      const eos = createEosManager({ logger, cluster, transactional: true, transactionalId: 'x' });
      await eos.initProducerId();
      for (let i = 0; i < 5; i++) await transaction(eos);
      expect(cluster.lookups).toBe(1);
      expect(cluster.requests).toHaveLength(11);
    });

    it('is looked up again when it moved, and the refused request goes to the new one', async () => {
      const cluster = fakeCluster();
      const eos = createEosManager({ logger, cluster, transactional: true, transactionalId: 'x' });
      await eos.initProducerId();
      await transaction(eos);
      cluster.coordinator = 2;
      await transaction(eos);
      expect(cluster.requests.slice(-2)).toEqual(['AddPartitionsToTxn@2', 'EndTxn@2']);
      expect(cluster.lookups).toBe(2);
    });

    it('is looked up again after a failed request (the failure still reaches the caller)', async () => {
      const cluster = fakeCluster();
      const eos = createEosManager({ logger, cluster, transactional: true, transactionalId: 'x' });
      await eos.initProducerId();
      eos.beginTransaction();
      const topics = [{ topic: 't', partitions: [{ partition: 0 }] }];
      cluster.failNext = Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' });
      await expect(eos.addPartitionsToTransaction(topics)).rejects.toThrow('Connection error');
      expect(cluster.lookups).toBe(1);
      await eos.addPartitionsToTransaction(topics);
      expect(cluster.lookups).toBe(2);
      expect(cluster.requests.at(-1)).toBe('AddPartitionsToTxn@1');
    });
  });
});
