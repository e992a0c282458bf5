import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_REQUEST_BYTES, recordBytes, requestChunks } from '../../src/kafka/change-sink.js';
import type { KafkaRecord } from '../../src/events/kafka-record.js';

const record = (bytes: number): KafkaRecord => ({ topic: 't', key: Buffer.from('k'), value: Buffer.alloc(bytes), headers: { 'logtap.op': 'c', 'logtap.position': 'pg1:0/16B3748#3' } });

describe('produce requests of a transaction', () => {
  it('keep every record, in order, in requests under the broker limit (a larger record alone)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 2 * MAX_REQUEST_BYTES }), { maxLength: 60 }), (sizes) => {
      const records = sizes.map(record);
      const chunks = requestChunks(records);
      expect(chunks.flat()).toEqual(records);
      for (const chunk of chunks) {
        const bytes = chunk.reduce((n, r) => n + recordBytes(r), 0);
        expect(chunk.length === 1 || bytes <= MAX_REQUEST_BYTES).toBe(true);
      }
    }), { numRuns: 200 });
  });

  it('counts headers, which on small rows weigh as much as the row', () => {
    expect(recordBytes(record(100))).toBeGreaterThan(100 + 1 + 'logtap.op'.length + 'pg1:0/16B3748#3'.length);
  });
});
