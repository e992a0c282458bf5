import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_REQUEST_BYTES, recordBytes, requestChunks } from '../../src/kafka/change-sink.js';
import type { KafkaRecord } from '../../src/events/kafka-record.js';

const require = createRequire(import.meta.url);
/** kafkajs' own encoder of one record in a batch (what the sink's requests are made of). */
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: { offsetDelta: number; timestampDelta: number; key: Buffer | null; value: Buffer | null; headers: Record<string, string> }) => { buffer: Buffer };

const record = (bytes: number): KafkaRecord => ({ topic: 't', key: Buffer.from('k'), value: Buffer.alloc(bytes), headers: { 'logtap.op': 'c', 'logtap.position': 'pg1:0/16B3748#3' } });

const text = fc.string({ unit: 'binary', maxLength: 40 });
const bytes = fc.option(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)));
const anyRecord = fc.record({ key: bytes, value: bytes, headers: fc.dictionary(text, text, { maxKeys: 8 }) })
  .map(({ key, value, headers }): KafkaRecord => ({ topic: 't', key, value, headers }));

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

  it('bound what kafkajs writes for a record, whatever its headers hold (multi-byte text, widest deltas)', () => {
    fc.assert(fc.property(anyRecord, fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (r, offsetDelta, timestampDelta) => {
      const written = encodeRecord({ offsetDelta, timestampDelta, key: r.key, value: r.value, headers: r.headers }).buffer.length;
      expect(written).toBeLessThanOrEqual(recordBytes(r));
    }), { numRuns: 500 });
  });

  it('count headers in their bytes, close to what is written: a one-row change is not cut into needless requests', () => {
    const change: KafkaRecord = {
      topic: 't', key: Buffer.alloc(9), value: Buffer.alloc(200),
      headers: { 'logtap.op': 'c', 'logtap.position': 'pg1:0/16B3748#3', 'logtap.snapshot': 'false', 'logtap.id': 'x'.repeat(22), 'logtap.txid': '123456', 'logtap.commit_us': '1765123456789012' },
    };
    const written = encodeRecord({ offsetDelta: 4999, timestampDelta: 0, key: change.key, value: change.value, headers: change.headers }).buffer.length;
    expect(recordBytes(change)).toBeGreaterThanOrEqual(written);
    // Within the widest varints' slack (at most 36 + 10 per header bytes more than written).
    expect(recordBytes(change) - written).toBeLessThanOrEqual(36 + 6 * 10);
  });
});
