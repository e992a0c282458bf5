import { describe, expect, it } from 'vitest';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { TableSchema } from '../../src/model/table-schema.js';
import { EventEncoder } from '../../src/events/event-encoder.js';
import { EntityEventDecoder } from '../../src/events/event-decoder.js';
import { SchemaCatalog } from '../../src/schema/schema-catalog.js';
import { confluentWire } from '../../src/schema/confluent-wire.js';
import type { AvroSchema } from '../../src/avro/column-avro-type.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';

// The Confluent wire format against a real Confluent-compatible registry (Apicurio's ccompat API).
describe('Confluent Schema Registry encoding', () => {
  const { registryUrl } = testBed();
  const prefix = uniqueName('cc');
  const table: TableSchema = {
    id: { namespace: 'public', name: 'accounts' },
    columns: [
      { name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' },
      { name: 'balance', type: { kind: 'decimal', precision: 20, scale: 4, specials: true }, nullable: false, sourceType: 'numeric(20,4)' },
      { name: 'opened', type: { kind: 'timestamp-micros', zoned: true }, nullable: true, sourceType: 'timestamptz' },
    ],
    key: ['id'],
  };
  const encoderFor = () => new EventEncoder({
    topicPrefix: prefix, envelope: 'entity', source: { connector: 'postgresql', database: 'bank', version: 't' },
    catalog: new SchemaCatalog('allow'), wire: confluentWire(registryUrl),
  });
  const fetchById = async (id: number): Promise<AvroSchema> => {
    const res = await fetch(`${registryUrl}/schemas/ids/${id}`);
    return JSON.parse(((await res.json()) as { schema: string }).schema) as AvroSchema;
  };

  it('registers key and value under TopicNameStrategy subjects and frames records with magic byte and id', async () => {
    const encoder = encoderFor();
    await encoder.prepare(table, async () => {});
    const [record] = encoder.encode({ table, op: 'c', after: { id: 9007199254740993n, balance: '-12345678.9012', opened: 1700000000123456n }, position: { token: '0/1', display: '' }, snapshot: false });
    for (const part of [record!.key!, record!.value!]) expect(part[0]).toBe(0);

    const subjects = (await (await fetch(`${registryUrl}/subjects`)).json()) as string[];
    expect(subjects).toEqual(expect.arrayContaining([`${prefix}.public.accounts-key`, `${prefix}.public.accounts-value`]));
    const latest = (await (await fetch(`${registryUrl}/subjects/${prefix}.public.accounts-value/versions/latest`)).json()) as { id: number; version: number };
    expect(record!.value!.readUInt32BE(1)).toBe(latest.id);

    // A consumer that knows only the registry decodes the exact values (a long past 2^53 included).
    const decoder = new EntityEventDecoder(async (ref) => ('registryId' in ref ? fetchById(ref.registryId) : undefined));
    expect(await decoder.decode(record!)).toMatchObject({ kind: 'row', key: { id: 9007199254740993n }, row: { balance: '-12345678.9012', opened: 1700000000123456n } });

    // So does Confluent's JavaScript client, for a value within its number range.
    const [small] = encoder.encode({ table, op: 'c', after: { id: 5n, balance: 'NaN', opened: null }, position: { token: '0/2', display: '' }, snapshot: false });
    const viaClient = await new SchemaRegistry({ host: registryUrl }).decode(small!.value!) as Record<string, unknown>;
    expect(viaClient).toMatchObject({ id: 5, balance: 'NaN', opened: null });
  });

  it('gets the same ids again after a restart, and a compatible change becomes version 2', async () => {
    const before = encoderFor();
    await before.prepare(table, async () => {});
    const [first] = before.encode({ table, op: 'c', after: { id: 1n, balance: '1.0000', opened: null }, position: { token: '0/3', display: '' }, snapshot: false });
    const restarted = encoderFor();
    const v2: TableSchema = { ...table, columns: [...table.columns, { name: 'nick', type: { kind: 'string' }, nullable: true, sourceType: 'text' }] };
    const sameTable = { ...table };
    await restarted.prepare(sameTable, async () => {});
    const [again] = restarted.encode({ table: sameTable, op: 'c', after: { id: 1n, balance: '1.0000', opened: null }, position: { token: '0/3', display: '' }, snapshot: false });
    expect(again!.value!.subarray(0, 5)).toEqual(first!.value!.subarray(0, 5));
    await restarted.prepare(v2, async () => {});
    const versions = (await (await fetch(`${registryUrl}/subjects/${prefix}.public.accounts-value/versions`)).json()) as number[];
    expect(versions).toEqual([1, 2]);
  });

  it('is refused by the registry when a change breaks BACKWARD compatibility, with one clear error', async () => {
    const encoder = encoderFor();
    await encoder.prepare(table, async () => {});
    const broken: TableSchema = { ...table, columns: [...table.columns, { name: 'required', type: { kind: 'int', bits: 32 }, nullable: false, sourceType: 'integer' }] };
    await expect(encoder.prepare(broken, async () => {})).rejects.toThrow(new RegExp(`schema registry at .* refused ${prefix}\\.public\\.accounts-value`));
  });
});
