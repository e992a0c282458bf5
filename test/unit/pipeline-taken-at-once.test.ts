import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import type { SourceConnector } from '../../src/source/source-connector.js';
import type { EventEncoder } from '../../src/events/event-encoder.js';
import type { ChangeSink } from '../../src/kafka/change-sink.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { silentLogger } from '../../src/logger.js';

const table: TableSchema = { id: { namespace: 'db', name: 't' }, columns: [], key: [] };

/**
 * Live streaming hands the pipeline a run of transactions at once: a change or commit that only encodes is taken
 * without a promise, one that waits (a flush behind a Kafka commit in flight) returns one, and everything still
 * commits in order, each checkpoint released only after its Kafka commit.
 */
describe('pipeline: calls taken at once', () => {
  it('returns a promise only when it waits, and commits and releases a run of transactions in order', async () => {
    const log: string[] = [];
    let immediate = 0;
    let waited = 0;
    const change = (n: number): ChangeEvent => ({ table, op: 'c', after: { n }, position: { token: `${n}#1`, display: `${n}#1` }, snapshot: false });
    const source: SourceConnector = {
      kind: 'mysql', debeziumConnector: 'mysql', database: 'db',
      check: async () => [],
      async stream(_from, handler) {
        // As the replication session does: the next call only after what a call returned, if anything.
        for (let n = 1; n <= 40; n++) {
          for (const pending of [handler.onChange(change(n)), handler.onCommit({ token: `${n}`, display: `${n}` }, {})]) {
            if (pending) {
              waited++;
              await pending;
            } else immediate++;
          }
        }
      },
      release: async (position) => {
        log.push(`release ${position.token}`);
      },
      close: async () => {},
    };
    const encoder = {
      isPrepared: () => true,
      encode: (event: ChangeEvent) => [{ topic: 't', key: null, value: Buffer.from(String(event.after!.n)), headers: {} }],
    } as unknown as EventEncoder;
    const sink: ChangeSink = {
      mode: 'exactly-once',
      async commit(records, checkpoint) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.push(`commit ${records.map((r) => r.value!.toString()).join(',')} @ ${checkpoint.value!.toString()}`);
      },
      close: async () => {},
    };
    const pipeline = new Pipeline({
      name: 'n', source, encoder, sink, publishSchema: async () => {}, ensureTableTopic: async () => 1, ensureOutboxTopic: async () => {},
      checkpointRecord: (c) => ({ topic: 'cp', key: null, value: Buffer.from(c.position.token), headers: {} }),
      from: null, limits: { maxRecords: 7, maxBytes: 1 << 20, maxDelayMs: 1000 }, heartbeatIntervalMs: 60_000, version: 't', log: silentLogger,
    });
    await pipeline.run(new AbortController().signal);

    // Most calls were taken at once; the full batches behind a commit in flight waited.
    expect(immediate).toBeGreaterThan(60);
    expect(waited).toBeGreaterThan(0);
    const commits = log.filter((l) => l.startsWith('commit'));
    expect(commits.map((c) => c.split(' @ ')[0]!.slice('commit '.length)).join(',')).toBe(Array.from({ length: 40 }, (_, i) => i + 1).join(','));
    expect(commits[commits.length - 1]).toMatch(/ @ 40$/);
    // Each release follows its own commit, in order.
    for (const [i, line] of log.entries()) {
      if (!line.startsWith('release')) continue;
      expect(log[i - 1]).toBe(`commit ${log[i - 1]!.split(' ')[1]} @ ${line.split(' ')[1]}`);
    }
    expect(log.filter((l) => l.startsWith('release')).length).toBe(commits.length);
  });
});
