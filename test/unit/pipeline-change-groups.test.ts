import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChangeEvent } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import type { SourceConnector } from '../../src/source/source-connector.js';
import type { EventEncoder } from '../../src/events/event-encoder.js';
import type { ChangeSink } from '../../src/kafka/change-sink.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { silentLogger } from '../../src/logger.js';

const table: TableSchema = { id: { namespace: 'db', name: 't' }, columns: [], key: [] };

/**
 * A group (a parent row and its foreign-key cascade, ChangeEvent.continuesGroup) shares one position: a flush
 * inside it would checkpoint that position with part of the group, and a restart would skip the rest.
 */
describe('pipeline: change groups', () => {
  it('never commits a checkpoint inside a group, neither when the batch is full nor when the timer fires', async () => {
    const commits: string[] = [];
    const change = (name: string, token: string, continuesGroup = false): ChangeEvent =>
      ({ table, op: 'u', after: { name }, position: { token, display: token }, snapshot: false, ...(continuesGroup ? { continuesGroup: true } : {}) });
    const source: SourceConnector = {
      kind: 'mysql', debeziumConnector: 'mysql', database: 'db',
      check: async () => [],
      async stream(_from, handler) {
        await handler.onChange(change('a', '#1'));
        for (const name of ['b', 'c', 'd']) {
          await handler.onChange(change(name, '#2', true));
          await sleep(15); // the timer (maxDelayMs 1) fires inside the group
        }
        await handler.onChange(change('e', '#2'));
        await handler.onChange(change('f', '#3'));
        await handler.onCommit({ token: 'end', display: 'end' }, {});
      },
      release: async () => {},
      close: async () => {},
    };
    const encoder = {
      isPrepared: () => true,
      encode: (event: ChangeEvent) => [{ topic: 't', key: null, value: Buffer.from(String(event.after!.name)), headers: {} }],
    } as unknown as EventEncoder;
    const sink: ChangeSink = {
      mode: 'exactly-once',
      async commit(records, checkpoint) {
        commits.push(`${records.map((r) => r.value!.toString()).join('')} @ ${checkpoint.value!.toString()}`);
      },
      close: async () => {},
    };
    const pipeline = new Pipeline({
      name: 'n', source, encoder, sink, publishSchema: async () => {}, ensureTableTopic: async () => 1, ensureOutboxTopic: async () => {},
      checkpointRecord: (c) => ({ topic: 'cp', key: null, value: Buffer.from(c.position.token), headers: {} }),
      from: null, limits: { maxRecords: 2, maxBytes: 1 << 20, maxDelayMs: 1 }, heartbeatIntervalMs: 60_000, version: 't', log: silentLogger,
    });
    await pipeline.run(new AbortController().signal);

    // Everything committed once, in order; b, c, d never end a batch (only e, the group's last, may).
    expect(commits.map((c) => c.split(' @ ')[0]).join('')).toBe('abcdef');
    for (const commit of commits) expect(commit).not.toMatch(/[bcd] @/);
    expect(commits.some((c) => /b.*e @ #2/.test(c))).toBe(true);
  });
});
