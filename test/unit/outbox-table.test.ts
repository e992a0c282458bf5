import { describe, expect, it } from 'vitest';
import type { ChangeEvent, Row } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import { OutboxTable, OutboxTables } from '../../src/outbox/outbox-table.js';
import { DEFAULT_OUTBOX_COLUMNS, DEFAULT_OUTBOX_TOPIC } from '../../src/outbox/outbox-config.js';

const table: TableSchema = { id: { namespace: 'public', name: 'outbox' }, columns: [], key: ['id'] };
const change = (op: ChangeEvent['op'], after?: Row): ChangeEvent => ({ table, op, ...(after ? { after } : {}), position: { token: 'T1', display: '0/1' }, snapshot: op === 'r', txId: '77', commitTimeMicros: 5n });
const config = { table: 'public.outbox', columns: { ...DEFAULT_OUTBOX_COLUMNS, headers: 'hdrs' }, topic: DEFAULT_OUTBOX_TOPIC, deleteAfterCapture: true };
const row = { id: 'a1b2', aggregatetype: 'Order', aggregateid: 42n, type: 'OrderCreated', payload: '{"total": 1.50}', hdrs: '{"trace":"t-1","n":3,"id":"not-this"}' };

describe('outbox table rows', () => {
  it('publishes an insert to its aggregate type\'s topic: key = aggregate id, value = payload as stored, headers', () => {
    const record = new OutboxTable(config, 'pfx').record(change('c', row))!;
    expect(record.topic).toBe('pfx.outbox.Order');
    expect(record.key!.toString()).toBe('42');
    expect(record.value!.toString()).toBe('{"total": 1.50}');
    expect(record.headers).toEqual({
      id: 'a1b2', eventType: 'OrderCreated', trace: 't-1', n: '3',
      'logtap.kind': 'outbox', 'logtap.table': 'public.outbox', 'logtap.position': 'T1', 'logtap.txid': '77', 'logtap.commit_us': '5',
    });
  });

  it('publishes snapshot rows like inserts; updates and deletes publish nothing', () => {
    const outbox = new OutboxTable(config, 'pfx');
    expect(outbox.record(change('r', row))?.topic).toBe('pfx.outbox.Order');
    expect(outbox.record(change('u', row))).toBeNull();
    expect(outbox.record({ ...change('d'), before: row })).toBeNull();
    expect(outbox.captured(change('c', row))).toEqual({ table: { namespace: 'public', name: 'outbox' }, idColumn: 'id', id: 'a1b2' });
    expect(outbox.captured(change('u', row))).toBeNull();
  });

  it('keeps bytes payloads as bytes and a null payload as a tombstone; makes an aggregate type fit a topic name', () => {
    const outbox = new OutboxTable({ ...config, topic: 'ev.{table}.{aggregateType}' }, 'pfx');
    const bytes = outbox.record(change('c', { ...row, aggregatetype: 'order line/v2', payload: new Uint8Array([0, 255, 7]) }))!;
    expect(bytes.topic).toBe('ev.outbox.order_line_v2');
    expect([...bytes.value!]).toEqual([0, 255, 7]);
    expect(outbox.record(change('c', { ...row, payload: null }))!.value).toBeNull();
  });

  it('says which row and column is wrong', () => {
    const outbox = new OutboxTable(config, 'pfx');
    expect(() => outbox.record(change('c', { ...row, aggregatetype: null }))).toThrow(/outbox row of public\.outbox at 0\/1: aggregatetype is null/);
    expect(() => outbox.record(change('c', { ...row, hdrs: '[1]' }))).toThrow(/hdrs is not a JSON object/);
    const { payload: _, ...noPayload } = row;
    expect(() => outbox.record(change('c', noPayload))).toThrow(/the table has no column payload/);
  });

  it('finds outbox tables by table id', () => {
    const tables = new OutboxTables([config], 'pfx');
    expect(tables.find({ namespace: 'public', name: 'outbox' })).toBeDefined();
    expect(tables.find({ namespace: 'public', name: 'orders' })).toBeUndefined();
  });
});
