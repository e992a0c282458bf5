import type { SourcePosition } from '../model/change-event.js';
import { tableIdText } from '../model/table-schema.js';
import type { NextTransaction, SourceConnector, SourceHandler } from '../source/source-connector.js';

export interface NextTransactionOptions {
  /** With nothing met yet, the source is taken as idle this long after it said it was caught up (a heartbeat). */
  idleAfterHeartbeatMs?: number;
  /** With nothing met at all, give up after this long (a PostgreSQL server may say nothing while idle). */
  maxWaitMs?: number;
  signal?: AbortSignal;
}

/** The connector's own reading of its log when it has one, else the stream up to the next commit. */
export async function nextTransaction(connector: SourceConnector, from: SourcePosition, options: NextTransactionOptions = {}): Promise<NextTransaction | null> {
  return connector.nextTransaction ? connector.nextTransaction(from) : findNextTransaction(connector, from, options);
}

/**
 * Finds where the transaction after `from` ends by streaming it through the connector itself (decoding up to
 * its commit), so the end position is exactly the one the connector would checkpoint, in its own format.
 * Nothing is published and nothing is released at the source. Null: no transaction follows (the source idles).
 */
export async function findNextTransaction(connector: SourceConnector, from: SourcePosition, options: NextTransactionOptions = {}): Promise<NextTransaction | null> {
  const idleAfterHeartbeatMs = options.idleAfterHeartbeatMs ?? 3_000;
  const maxWaitMs = options.maxWaitMs ?? 45_000;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const started = Date.now();
  const tables: string[] = [];
  let changes = 0;
  let messages = 0;
  let txId: string | null = null;
  let heartbeatAt: number | null = null;
  let found: NextTransaction | null = null;
  const handler: SourceHandler = {
    onChange(event) {
      if (found) return;
      changes++;
      txId ??= event.txId ?? null;
      const table = tableIdText(event.table.id);
      if (!tables.includes(table)) tables.push(table);
    },
    onMessage(message) {
      if (found || !message.transactional) return;
      messages++;
      txId ??= message.txId ?? null;
    },
    onCommit(position, info) {
      if (found) return;
      found = { txId: info.txId ?? txId, changes, messages, tables, commitTimeMicros: info.commitTimeMicros ?? null, end: position };
      stop.abort();
    },
    onHeartbeat() {
      if (changes === 0 && messages === 0) heartbeatAt = Date.now();
    },
  };
  const idle = setInterval(() => {
    if (changes > 0 || messages > 0) return; // inside the transaction: wait for its commit
    const now = Date.now();
    if ((heartbeatAt !== null && now - heartbeatAt >= idleAfterHeartbeatMs) || now - started >= maxWaitMs) stop.abort();
  }, 200);
  try {
    await connector.stream(from, handler, stop.signal);
  } finally {
    clearInterval(idle);
    options.signal?.removeEventListener('abort', onAbort);
  }
  return found;
}
