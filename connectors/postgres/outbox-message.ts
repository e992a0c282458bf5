import type { SourcePosition } from '../../src/model/change-event.js';

/** `pg_logical_emit_message(transactional, 'logtap.outbox', content)`: a message for logtap to publish. */
export const OUTBOX_PREFIX = 'logtap.outbox';

/**
 * An outbox message from the source's log. Proposed as an optional SourceHandler method (`onMessage`)
 * until the core declares it; the PostgreSQL connector calls it when the handler has it.
 */
export interface OutboxMessage {
  /** The Kafka topic the writer asked for, as written. */
  topic: string;
  /** The record key as text, or null. */
  key: string | null;
  /** Any JSON value. */
  value: unknown;
  /** Like a change's: inside a transaction, the partial position of this message; outside, complete. */
  position: SourcePosition;
  /** Emitted inside a transaction (published with it) or not (published when decoded). */
  transactional: boolean;
  txId?: string;
  commitTimeMicros?: bigint;
}

export interface OutboxHandler {
  onMessage?(message: OutboxMessage): Promise<void> | void;
}

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
