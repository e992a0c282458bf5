import { describe, expect, it } from 'vitest';
import type { TableSchema } from '../../src/model/table-schema.js';
import type { SourceConnector, SourceHandler } from '../../src/source/source-connector.js';
import type { EventEncoder } from '../../src/events/event-encoder.js';
import type { ChangeSink } from '../../src/kafka/change-sink.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { silentLogger } from '../../src/logger.js';

const table: TableSchema = { id: { namespace: 'db', name: 't' }, columns: [], key: [] };
const at = (token: string) => ({ token, display: token });

/**
 * A finished snapshot is checkpointed at its stream start point before streaming begins: an idle source sends
 * nothing after it (no change, no keepalive that moves the log on), and a restart must not snapshot again.
 */
describe('pipeline: the end of a snapshot', () => {
  for (const rows of [0, 3]) {
    it(`is checkpointed before streaming starts, without a heartbeat (${rows} rows)`, async () => {
      const log: string[] = [];
      const stop = new AbortController();
      const source: SourceConnector = {
        kind: 'mysql', debeziumConnector: 'mysql', database: 'db',
        check: async () => [],
        async stream(from) {
          log.push(`stream from ${from?.token}`);
          stop.abort();
        },
        release: async (position) => { log.push(`release ${position.token}`); },
        close: async () => {},
      };
      const encoder = {
        isPrepared: () => true,
        encode: () => [{ topic: 't', key: null, value: Buffer.from('row'), headers: {} }],
      } as unknown as EventEncoder;
      const sink: ChangeSink = {
        mode: 'exactly-once',
        async commit(records, checkpoint) { log.push(`commit ${records.length} @ ${checkpoint.value!.toString()}`); },
        close: async () => {},
      };
      const pipeline = new Pipeline({
        name: 'n', source, encoder, sink, publishSchema: async () => {}, ensureTableTopic: async () => 1, ensureOutboxTopic: async () => {},
        checkpointRecord: (c) => ({ topic: 'cp', key: null, value: Buffer.from(c.position.token), headers: {} }),
        from: null, limits: { maxRecords: 1000, maxBytes: 1 << 20, maxDelayMs: 60_000 }, heartbeatIntervalMs: 60_000, version: 't', log: silentLogger,
        beforeStream: async (handler: SourceHandler) => {
          await handler.onHeartbeat(at('snap|'));
          for (let i = 0; i < rows; i++) await handler.onChange({ table, op: 'r', after: { i }, position: at('snap|'), snapshot: true });
          await handler.onCommit(at('snap|done'), {});
          await handler.onCommit(at('stream-start'), {});
          return at('stream-start');
        },
      });
      await pipeline.run(stop.signal);
      expect(log).toEqual(['commit 0 @ snap|', 'release snap|', `commit ${rows} @ stream-start`, 'release stream-start', 'stream from stream-start']);
    });
  }
});
