import type { Row } from '../model/change-event.js';

/**
 * One string per key, from canonical values (the same decoders make them for stream and backfill rows), so
 * that a chunk row and a streamed change of the same key compare equal. bigint, bytes and nested values are
 * spelled unambiguously; object keys keep their order (canonical values are built in a fixed order).
 */
export function keyText(row: Row, keyColumns: readonly string[]): string {
  return JSON.stringify(keyColumns.map((c) => row[c]), (_, value: unknown) => {
    if (typeof value === 'bigint') return { n: value.toString() };
    if (value instanceof Uint8Array) return { b: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex') };
    if (value !== null && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
      return { b: Buffer.from((value as { data: number[] }).data).toString('hex') };
    }
    return value;
  });
}
