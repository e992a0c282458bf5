import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JavaCompatiblePartitioner, murmur2, partitionOfKey } from '../../src/kafka/java-partitioner.js';

// kafkajs' own Java-compatible murmur2 (64-bit Long arithmetic): an independent implementation to agree with.
const kafkajsMurmur2 = createRequire(import.meta.url)('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;

describe('Java-compatible murmur2 partitioning', () => {
  it('gives the Java client\'s hashes (Kafka UtilsTest vectors)', () => {
    const cases: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key)), key).toBe(hash);
  });

  it('agrees with kafkajs\' murmur2 on any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      expect(murmur2(bytes)).toBe(kafkajsMurmur2(Buffer.from(bytes)));
    }), { numRuns: 2000 });
  });

  it('places a keyed record where kafkajs\' default partitioner does', () => {
    const ours = JavaCompatiblePartitioner();
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (bytes, partitions) => {
      const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
      const expected = (kafkajsMurmur2(Buffer.from(bytes)) & 0x7fffffff) % partitions;
      expect(ours({ topic: 't', partitionMetadata, message: { key: Buffer.from(bytes), value: null } })).toBe(expected);
      expect(partitionOfKey(bytes, partitions)).toBe(expected);
    }), { numRuns: 1000 });
  });

  it('spreads records without a key over the partitions and honours an explicit partition', () => {
    const ours = JavaCompatiblePartitioner();
    const partitionMetadata = [0, 1, 2].map((i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
    const seen = new Set(Array.from({ length: 6 }, () => ours({ topic: 't', partitionMetadata, message: { key: null, value: null } })));
    expect([...seen].sort()).toEqual([0, 1, 2]);
    expect(ours({ topic: 't', partitionMetadata, message: { key: Buffer.from('k'), value: null, partition: 2 } })).toBe(2);
  });
});
