import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TableSchema } from '../../src/model/table-schema.js';
import { EventEncoder } from '../../src/events/event-encoder.js';
import { EntityEventDecoder, schemaTopicResolver } from '../../src/events/event-decoder.js';
import { SchemaCatalog } from '../../src/schema/schema-catalog.js';
import { singleObjectWire } from '../../src/schema/wire-format.js';
import { SchemaTopic } from '../../src/kafka/schema-topic.js';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';
import { TopicManager } from '../../src/kafka/topic-manager.js';
import { fingerprint64 } from '../../src/avro/fingerprint.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';

const run = promisify(execFile);

describe('the schema topic', () => {
  const { kafkaBrokers } = testBed();
  const prefix = uniqueName('schemas');
  const kafka = createKafka({ brokers: kafkaBrokers }, 'test');
  const producer = kafka.producer({ idempotent: true });
  const table: TableSchema = {
    id: { namespace: 'public', name: 'orders' },
    columns: [
      { name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' },
      { name: 'total', type: { kind: 'decimal', precision: 12, scale: 2 }, nullable: false, sourceType: 'numeric(12,2)' },
    ],
    key: ['id'],
  };
  const tableV2: TableSchema = { ...table, columns: [...table.columns, { name: 'note', type: { kind: 'string' }, nullable: true, sourceType: 'text' }] };

  afterAll(async () => {
    await producer.disconnect();
  });

  it('holds every schema before the records that use it, with versions that survive a restart, and decodes them', async () => {
    const schemas = new SchemaTopic(kafka, prefix);
    await new TopicManager(kafka, 'test').ensure(schemas.topic, { partitions: 1, compacted: true });
    await producer.connect();
    const encoder = new EventEncoder({ topicPrefix: prefix, envelope: 'entity', source: { connector: 'postgresql', database: 'shop', version: 't' }, catalog: new SchemaCatalog('fail', (await schemas.readAll()) ?? []), wire: singleObjectWire });
    // Log of what happened in order, to check "schema before record".
    const order: string[] = [];
    const publish = async (e: Parameters<typeof schemas.publish>[1]) => {
      await schemas.publish(producer, e);
      order.push(`schema ${e.subject} v${e.version}`);
    };
    const send = async (records: ReturnType<EventEncoder['encode']>) => {
      await producer.send({ topic: records[0]!.topic, acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })) });
      order.push(`record ${records[0]!.headers['logtap.op']}`);
    };
    await encoder.prepare(table, publish);
    await send(encoder.encode({ table, op: 'c', after: { id: 1n, total: '10.00' }, position: { token: '0/1', display: '' }, snapshot: false }));
    await encoder.prepare(tableV2, publish);
    await send(encoder.encode({ table: tableV2, op: 'u', after: { id: 1n, total: '11.00', note: 'hi' }, position: { token: '0/2', display: '' }, snapshot: false }));
    expect(order).toEqual([
      `schema ${prefix}.public.orders-key v1`, `schema ${prefix}.public.orders-value v1`, 'schema logtap.TruncateKey v1', 'schema logtap.Truncate v1', 'record c',
      `schema ${prefix}.public.orders-value v2`, 'record u',
    ]);

    // A reader that knows only the schema topic decodes both versions exactly.
    const entries = (await schemas.readAll())!;
    expect(entries.map((e) => `${e.subject} v${e.version}`).sort()).toEqual([
      `${prefix}.public.orders-key v1`, `${prefix}.public.orders-value v1`, `${prefix}.public.orders-value v2`, 'logtap.Truncate v1', 'logtap.TruncateKey v1',
    ].sort());
    for (const e of entries) expect(BigInt(`0x${e.fingerprintHex}`)).toBe(fingerprint64(e.schema as object));
    const decoder = new EntityEventDecoder(schemaTopicResolver(entries));
    const rows: unknown[] = [];
    await readTopicToEnd(kafka, `${prefix}.public.orders`, async ({ message }) => {
      const d = await decoder.decode({ key: message.key, value: message.value, headers: message.headers as Record<string, Buffer> });
      if (d.kind === 'row') rows.push(d.row);
    });
    expect(rows).toEqual([{ id: 1n, total: '10.00' }, { id: 1n, total: '11.00', note: 'hi' }]);

    // A restart: the catalog seeded from the topic keeps the versions, and publishes nothing twice.
    const again = new EventEncoder({ topicPrefix: prefix, envelope: 'entity', source: { connector: 'postgresql', database: 'shop', version: 't' }, catalog: new SchemaCatalog('fail', entries), wire: singleObjectWire });
    const republished: string[] = [];
    await again.prepare({ ...tableV2 }, async (e) => { republished.push(e.subject); });
    expect(republished).toEqual([]);
  });

  it('is exported by `logtap schemas export` as one .avsc file per subject and version', async () => {
    const out = mkdtempSync(join(tmpdir(), 'logtap-export-'));
    const { stderr } = await run('node', ['bin/logtap.js', 'schemas', 'export', '--brokers', kafkaBrokers.join(','), '--topic-prefix', prefix, '--out', out]);
    expect(stderr).toMatch(/wrote 5 schema file/);
    expect(readdirSync(out).sort()).toEqual([
      `${prefix}.public.orders-key-v1.avsc`, `${prefix}.public.orders-value-v1.avsc`, `${prefix}.public.orders-value-v2.avsc`, 'logtap.Truncate-v1.avsc', 'logtap.TruncateKey-v1.avsc',
    ].sort());
    const v2 = JSON.parse(readFileSync(join(out, `${prefix}.public.orders-value-v2.avsc`), 'utf8'));
    expect(v2.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'total', 'note']);
    const { stdout } = await run('node', ['bin/logtap.js', 'schemas', 'list', '--brokers', kafkaBrokers.join(','), '--topic-prefix', prefix]);
    expect(stdout.trim().split('\n')).toHaveLength(5);
  });
});
