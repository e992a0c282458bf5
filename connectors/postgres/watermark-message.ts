/**
 * `pg_logical_emit_message(true, WATERMARK_PREFIX, '{"id","type","data"}')`: a backfill watermark without a
 * signal table (docs/backfill.md). Transactional, so it lies in the WAL at its commit like a signal row would.
 * Every slot of the database receives it; window ids are unique, so another connector ignores it.
 */
export const WATERMARK_PREFIX = 'logtap.watermark';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export const watermarkContent = (row: { id: string; type: string; data: string }): string => JSON.stringify({ id: row.id, type: row.type, data: row.data });

/** A watermark message's content, or null when it is not one (written by something else under the prefix). */
export function parseWatermarkContent(content: Uint8Array): { id: string; type: string; data: string } | null {
  try {
    const value = JSON.parse(utf8.decode(content)) as { id?: unknown; type?: unknown; data?: unknown };
    if (typeof value.id !== 'string' || typeof value.type !== 'string' || typeof value.data !== 'string') return null;
    return { id: value.id, type: value.type, data: value.data };
  } catch {
    return null;
  }
}
