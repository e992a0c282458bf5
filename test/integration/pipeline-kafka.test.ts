import { describe, expect, it } from 'vitest';
import type { ChangeEvent, SourcePosition } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import type { SourceConnector, SourceHandler } from '../../src/source/source-connector.js';
import { EventEncoder } from '../../src/events/event-encoder.js';
import { EntityEventDecoder, schemaTopicResolver } from '../../src/events/event-decoder.js';
import { SchemaCatalog } from '../../src/schema/schema-catalog.js';
import { singleObjectWire } from '../../src/schema/wire-format.js';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { type ChangeSink, openTransactionalSink } from '../../src/kafka/change-sink.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { SchemaTopic } from '../../src/kafka/schema-topic.js';
import { TopicManager } from '../../src/kafka/topic-manager.js';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';
import { tableTopic } from '../../src/events/topic-names.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { silentLogger } from '../../src/logger.js';
import { SinkError } from '../../src/errors.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';

const table: TableSchema = {
  id: { namespace: 'public', name: 'items' },
  columns: [
    { name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' },
    { name: 'qty', type: { kind: 'int', bits: 32 }, nullable: false, sourceType: 'integer' },
  ],
  key: ['id'],
};

/** A scripted source: `transactions` of `perTx` inserts each, positions `t<i>` and `t<i>#k`. */
function scriptedSource(transactions: number, perTx: number, log: string[]): SourceConnector {
  return {
    kind: 'postgres', debeziumConnector: 'postgresql', database: 'db',
    check: async () => [],
    async stream(from: SourcePosition | null, handler: SourceHandler) {
      for (let t = 1; t <= transactions; t++) {
        for (let k = 1; k <= perTx; k++) {
          const event: ChangeEvent = { table, op: 'c', after: { id: BigInt(t * 1000 + k), qty: k }, position: { token: `t${t}#${k}`, display: '' }, snapshot: false };
          await handler.onChange(event);
        }
        await handler.onCommit({ token: `t${t}`, display: `tx ${t}` }, {});
      }
      await handler.onHeartbeat({ token: 'idle', display: 'idle' });
    },
    async release(position) { log.push(`release ${position.token}`); },
    close: async () => {},
  };
}

describe('pipeline → Kafka', () => {
  const { kafkaBrokers } = testBed();
  const kafka = createKafka({ brokers: kafkaBrokers }, 'test');

  async function setup(name: string, prefix: string) {
    const topics = new TopicManager(kafka, name);
    const checkpoints = new CheckpointStore(kafka, prefix, name);
    const schemas = new SchemaTopic(kafka, prefix);
    await topics.ensure(checkpoints.topic, { partitions: 1, compacted: true });
    await topics.ensure(schemas.topic, { partitions: 1, compacted: true });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const encoder = new EventEncoder({ topicPrefix: prefix, envelope: 'entity', source: { connector: 'postgresql', database: 'db', version: 't' }, catalog: new SchemaCatalog('fail'), wire: singleObjectWire });
    return { topics, checkpoints, schemas, producer, encoder };
  }

  it('commits every change once with its checkpoint, and releases the source only after each commit', async () => {
    const name = uniqueName('pipe');
    const prefix = uniqueName('pp');
    const { topics, checkpoints, schemas, producer, encoder } = await setup(name, prefix);
    const log: string[] = [];
    const real = await openTransactionalSink(kafka, name);
    const sink: ChangeSink = {
      mode: real.mode,
      async commit(records, checkpoint) {
        await real.commit(records, checkpoint);
        log.push(`commit ${records.length} @ ${checkpoint.value ? 'checkpoint' : ''}`);
      },
      close: () => real.close(),
    };
    const pipeline = new Pipeline({
      name, source: scriptedSource(50, 7, log), encoder, sink,
      publishSchema: (e) => schemas.publish(producer, e),
      ensureTableTopic: (t) => topics.ensure(tableTopic(prefix, t.id), { partitions: 1, compacted: true }),
      ensureOutboxTopic: (t) => topics.ensure(t, { partitions: 1, compacted: false }),
      checkpointRecord: (c) => checkpoints.record(c),
      from: null, limits: { maxRecords: 40, maxBytes: 1 << 20, maxDelayMs: 50 }, heartbeatIntervalMs: 0, version: 't', log: silentLogger,
    });
    await pipeline.run(new AbortController().signal);
    await sink.close();
    await producer.disconnect();

    // Every release follows a commit, and nothing is released that was not committed.
    for (let i = 0; i < log.length; i++) if (log[i]!.startsWith('release')) expect(log[i - 1]).toMatch(/^commit/);
    // Batches were bounded by maxRecords: 350 changes in at least 9 commits, the last release the heartbeat.
    expect(log.filter((l) => l.startsWith('commit')).length).toBeGreaterThanOrEqual(9);
    expect(log.at(-1)).toBe('release idle');

    const entries = (await schemas.readAll())!;
    const decoder = new EntityEventDecoder(schemaTopicResolver(entries));
    const ids: bigint[] = [];
    await readTopicToEnd(kafka, tableTopic(prefix, table.id), async ({ message }) => {
      const d = await decoder.decode({ key: message.key, value: message.value, headers: message.headers as Record<string, Buffer> });
      if (d.kind === 'row') ids.push(d.row.id as bigint);
    });
    expect(ids).toHaveLength(350);
    expect(new Set(ids).size).toBe(350);
    expect((await checkpoints.load())?.position.token).toBe('idle');
  });

  it('commits a transaction far larger than one produce request may be (1 MiB by default)', async () => {
    const name = uniqueName('big');
    const prefix = uniqueName('pb');
    const { topics, checkpoints } = await setup(name, prefix);
    const topic = `${prefix}.big`;
    await topics.ensure(topic, { partitions: 1, compacted: false });
    const sink = await openTransactionalSink(kafka, name);
    const records = Array.from({ length: 6000 }, (_, i) => ({ topic, key: Buffer.from(String(i)), value: Buffer.alloc(300, i % 256), headers: { 'logtap.op': 'c', 'logtap.position': `pg1:0/16B3748#${i}`, 'logtap.snapshot': 'false', 'logtap.txid': '123456', 'logtap.commit_us': '1795311717811739' } }));
    await sink.commit(records, checkpoints.record({ connector: name, source: 'postgres', position: { token: 'big', display: 'big' }, snapshot: null, committedAtMicros: 0n, logtapVersion: 't' }));
    await sink.close();
    let count = 0;
    await readTopicToEnd(kafka, topic, () => { count++; });
    expect(count).toBe(6000);
  });

  it('keeps the order of back-to-back commits, which alternate between two transactional ids', async () => {
    const name = uniqueName('order');
    const prefix = uniqueName('po');
    const { checkpoints, topics, producer } = await setup(name, prefix);
    await producer.disconnect();
    const topic = `${prefix}.order`;
    await topics.ensure(topic, { partitions: 1, compacted: false });
    const sink = await openTransactionalSink(kafka, name);
    for (let i = 0; i < 60; i++) {
      const records = [0, 1, 2].map((k) => ({ topic, key: Buffer.from('k'), value: Buffer.from(String(i * 3 + k)), headers: {} }));
      await sink.commit(records, checkpoints.record({ connector: name, source: 'postgres', position: { token: `t${i}`, display: `t${i}` }, snapshot: null, committedAtMicros: 0n, logtapVersion: 't' }));
    }
    await sink.close();
    const seen: number[] = [];
    await readTopicToEnd(kafka, topic, (m) => { seen.push(Number(m.message.value!.toString())); });
    expect(seen).toEqual(Array.from({ length: 180 }, (_, i) => i));
    expect((await checkpoints.load())?.position.token).toBe('t59');
  });

  it('reads to the end what was committed, also while the commit markers are still pending, and waits for an open transaction', async () => {
    const prefix = uniqueName('rte');
    const topic = `${prefix}.t`;
    await new TopicManager(kafka, prefix).ensure(topic, { partitions: 1, compacted: false });
    const producer = kafka.producer({ transactionalId: uniqueName('rte'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const tx = await producer.transaction();
      await tx.send({ topic, messages: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] });
      // Started while the transaction is open: the end is past its records, so the read waits for the commit.
      const values: string[] = [];
      let returned = false;
      const read = readTopicToEnd(kafka, topic, (m) => { values.push(m.message.value!.toString()); }).then(() => { returned = true; });
      await new Promise((r) => setTimeout(r, 1500));
      expect(returned).toBe(false);
      await tx.commit();
      await read;
      expect(values).toEqual(['1', '2']);
    } finally {
      await producer.disconnect();
    }
  });

  it('is fenced when a second instance with the same name starts: the first can no longer commit', async () => {
    const name = uniqueName('fence');
    const prefix = uniqueName('pf');
    const { checkpoints } = await setup(name, prefix);
    const first = await openTransactionalSink(kafka, name);
    await first.commit([], checkpoints.record({ connector: name, source: 'postgres', position: { token: 'a', display: 'a' }, snapshot: null, committedAtMicros: 0n, logtapVersion: 't' }));
    const second = await openTransactionalSink(kafka, name);
    // Commits alternate between two transactional ids: the first instance is fenced on both.
    for (const token of ['b', 'b2']) {
      const error = await first.commit([], checkpoints.record({ connector: name, source: 'postgres', position: { token, display: token }, snapshot: null, committedAtMicros: 0n, logtapVersion: 't' })).catch((e) => e);
      expect(error).toBeInstanceOf(SinkError);
      expect(error.retriable).toBe(false);
      expect(error.message).toMatch(/another logtap instance named .* took over/);
    }
    await second.commit([], checkpoints.record({ connector: name, source: 'postgres', position: { token: 'c', display: 'c' }, snapshot: null, committedAtMicros: 0n, logtapVersion: 't' }));
    expect((await checkpoints.load())?.position.token).toBe('c');
    await first.close().catch(() => {});
    await second.close();
  });
});
