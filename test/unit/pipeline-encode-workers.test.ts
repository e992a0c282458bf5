import { afterEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import type { SourceConnector } from '../../src/source/source-connector.js';
import { EventEncoder } from '../../src/events/event-encoder.js';
import type { ChangeSink } from '../../src/kafka/change-sink.js';
import { SchemaCatalog } from '../../src/schema/schema-catalog.js';
import { singleObjectWire } from '../../src/schema/wire-format.js';
import { EncodePool } from '../../src/encoding/encode-pool.js';
import { EncodingError } from '../../src/errors.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { silentLogger } from '../../src/logger.js';

const table: TableSchema = {
  id: { namespace: 'public', name: 'orders' },
  columns: [
    { name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' },
    { name: 'total', type: { kind: 'decimal', precision: 12, scale: 2, specials: true }, nullable: false, sourceType: 'numeric(12,2)' },
  ],
  key: ['id'],
};

let pool: EncodePool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

/** Runs the pipeline over transactions of changes (each a total) with encoding workers; returns its commits and failure. */
async function run(transactions: string[][], workers: number) {
  const encoder = new EventEncoder({
    topicPrefix: 'shop', envelope: 'entity', source: { connector: 'postgresql', database: 'shop', version: 't' }, catalog: new SchemaCatalog('fail'), wire: singleObjectWire,
  });
  pool = workers > 0 ? new EncodePool({ workers, encoder, log: silentLogger, batchChanges: 2 }) : undefined;
  let id = 0;
  const source: SourceConnector = {
    kind: 'postgres', debeziumConnector: 'postgresql', database: 'shop',
    check: async () => [],
    async stream(_from, handler) {
      for (const [t, totals] of transactions.entries()) {
        for (const total of totals) {
          const event: ChangeEvent = { table, op: 'c', after: { id: BigInt(++id), total }, position: { token: `tx${t + 1}.${id}`, display: '' }, txId: String(t + 1), snapshot: false };
          await handler.onChange(event);
        }
        await handler.onCommit({ token: `tx${t + 1}`, display: `tx${t + 1}` }, {});
      }
    },
    release: async () => {},
    close: async () => {},
  };
  const commits: Array<{ ids: string[]; checkpoint: string }> = [];
  const sink: ChangeSink = {
    mode: 'exactly-once',
    async commit(records, checkpoint) {
      commits.push({ ids: records.map((r) => r.headers['logtap.id']!), checkpoint: checkpoint.value!.toString() });
    },
    close: async () => {},
  };
  const pipeline = new Pipeline({
    name: 'n', source, encoder, ...(pool ? { encodePool: pool } : {}), sink, publishSchema: async () => {}, ensureTableTopic: async () => 1, ensureOutboxTopic: async () => {},
    checkpointRecord: (c) => ({ topic: 'cp', key: null, value: Buffer.from(c.position.token), headers: {} }),
    from: null, limits: { maxRecords: 1000, maxBytes: 1 << 20, maxDelayMs: 60_000 }, heartbeatIntervalMs: 60_000, version: 't', log: silentLogger,
  });
  const failure = await pipeline.run(new AbortController().signal).then(() => undefined, (err: unknown) => err);
  return { commits, failure };
}

describe('pipeline with encoding workers', () => {
  it('publishes the same records, in the same order, as encoding on the main thread', async () => {
    const transactions = [['1.00', '2.00', '3.00'], ['4.00'], ['5.00', '6.00', '7.00', '8.00']];
    const inThread = await run(transactions, 0);
    const withWorkers = await run(transactions, 2);
    expect(withWorkers.failure).toBeUndefined();
    expect(withWorkers.commits).toEqual(inThread.commits);
    expect(withWorkers.commits.flatMap((c) => c.ids)).toHaveLength(8);
  });

  it('a change found unencodable at the flush checkpoints right before its transaction, though later commits arrived', async () => {
    // Nothing flushes before the end (limits), so the bad total of tx2 fails only when the stream's last flush waits.
    const { commits, failure } = await run([['1.00', '2.00'], ['3.00', 'oops'], ['5.00']], 1);
    expect(failure).toBeInstanceOf(EncodingError);
    expect((failure as Error).message).toMatch(/^cannot encode public\.orders\.total at tx2\.4: /);
    expect(commits.map((c) => [c.ids.length, c.checkpoint])).toEqual([[2, 'tx1']]);
  });
});
