import { parentPort } from 'node:worker_threads';
import type { KafkaRecord } from '../events/kafka-record.js';
import { TableRecords } from '../events/table-records.js';
import { assignEventIds, rowReadBase } from '../events/event-id.js';
import { EncodingError } from '../errors.js';
import { type FromWorker, type ToWorker, packRecords, readChanges } from './encode-protocol.js';

/**
 * An encoding worker (encode-pool.ts): builds each table version's encoder from its PreparedTable, then turns
 * batches of changes into packed records, in order. A change that cannot be encoded ends its batch there.
 */
const port = parentPort;
if (!port) throw new Error('encode-worker.js runs as a worker thread');
const tables = new Map<number, TableRecords>();

port.on('message', (message: ToWorker) => {
  if (message.kind === 'prepare') {
    tables.set(message.id, new TableRecords(message.table));
    return;
  }
  const done: KafkaRecord[][] = [];
  let failure: { at: number; error: unknown } | undefined;
  const tableOf = (id: number) => {
    const table = tables.get(id);
    if (!table) throw new Error(`table version ${id} was not prepared in this worker`);
    return table.prepared.table;
  };
  const changes = readChanges(message.changes, tableOf);
  for (let i = 0; ; i++) {
    try {
      const next = changes.next();
      if (next.done) break;
      const { table, event, idBase } = next.value;
      const records = tables.get(table)!.records(event);
      assignEventIds(event, records, idBase ?? rowReadBase(event, records));
      done.push(records);
    } catch (error) {
      failure = { at: i, error };
      break;
    }
  }
  const packed = packRecords(done);
  const reply: FromWorker = { kind: 'encoded', batch: message.batch, ...packed };
  if (failure) {
    reply.failedAt = failure.at;
    reply.error = { message: failure.error instanceof Error ? failure.error.message : String(failure.error), encoding: failure.error instanceof EncodingError };
  }
  port.postMessage(reply, [packed.bytes, packed.layout.buffer as ArrayBuffer]);
});
