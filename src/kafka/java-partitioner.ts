import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * Kafka's murmur2 (Java client `Utils.murmur2`) in 32-bit integer arithmetic. kafkajs ships the same hash on
 * a 64-bit Long emulation, which costs more than the rest of partitioning; the result must stay identical,
 * so that Java producers and consumers (Kafka Streams, ksqlDB joins) place a key in the same partition.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= data[whole + 2]! << 16;
    if (tail >= 2) h ^= data[whole + 1]! << 8;
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition the Java client's default partitioner gives a keyed record. */
export function partitionOfKey(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/**
 * kafkajs' partitioner contract, Java-compatible for keyed records (every change record has a key). A record
 * without a key (an outbox message may have none) goes round-robin, as in kafkajs' default partitioner.
 */
export const JavaCompatiblePartitioner: ICustomPartitioner = () => {
  let next = 0;
  return ({ partitionMetadata, message }: PartitionerArgs) => {
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    const partitions = partitionMetadata.length;
    if (partitions === 1) return partitionMetadata[0]!.partitionId;
    const key = message.key;
    if (key !== null && key !== undefined) return partitionOfKey(typeof key === 'string' ? Buffer.from(key) : key, partitions);
    return (next++ & 0x7fffffff) % partitions;
  };
};
