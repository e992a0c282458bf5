import type { OutboxMessage } from '../../src/source/source-connector.js';

export type { OutboxMessage };

/** `pg_logical_emit_message(transactional, 'logtap.outbox', content)`: a message for logtap to publish. */
export const OUTBOX_PREFIX = 'logtap.outbox';

export class OutboxFormatError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'OutboxFormatError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The content as `{ "topic": "...", "key": "..." | null, "value": <any JSON> }` (key optional: null). */
export function parseOutboxContent(content: Uint8Array): Pick<OutboxMessage, 'topic' | 'key' | 'value'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(content));
  } catch (err) {
    throw new OutboxFormatError(`the content is not UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new OutboxFormatError('the content is not a JSON object');
  const o = parsed as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => k !== 'topic' && k !== 'key' && k !== 'value');
  if (extra.length > 0) throw new OutboxFormatError(`unknown field ${JSON.stringify(extra[0])} (expected topic, key, value)`);
  if (typeof o.topic !== 'string' || o.topic.length === 0) throw new OutboxFormatError('"topic" must be a non-empty string');
  const key = o.key ?? null;
  if (key !== null && typeof key !== 'string') throw new OutboxFormatError('"key" must be a string or null');
  if (!('value' in o)) throw new OutboxFormatError('"value" is missing');
  return { topic: o.topic, key, value: o.value };
}
