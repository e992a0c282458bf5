import { describe, expect, it } from 'vitest';
import { BinlogCursor } from '../../connectors/mysql/binlog-cursor.js';
import type { BinlogItem } from '../../connectors/mysql/binlog-reader.js';
import { emitChanges, type DerivedChanges } from '../../connectors/mysql/change-emitter.js';
import { parseGtidState } from '../../connectors/mysql/gtid-set.js';
import type { TableVersion } from '../../connectors/mysql/schema-tracker.js';
import type { ChangeEvent } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import { silentLogger } from '../../src/logger.js';
import type { SourceHandler } from '../../src/source/source-connector.js';

const parent: TableSchema = { id: { namespace: 'db', name: 'parent' }, columns: [], key: ['id'] };
const child: TableSchema = { id: { namespace: 'db', name: 'child' }, columns: [], key: ['id'] };
const version = { schema: parent, decode: (row: Record<string, unknown>) => ({ ...row }) } as unknown as TableVersion;

/** Derives, for a parent delete of id n, the deletes of children n*10 and n*10+1 (unless the statement ran without FK checks). */
const derived = (seen: string[]): DerivedChanges => ({
  derive(event, foreignKeyChecks) {
    seen.push(`${event.op} ${JSON.stringify(event.before)} checks=${foreignKeyChecks}`);
    if (!foreignKeyChecks || event.op !== 'd') return [];
    const id = Number(event.before!.id);
    return [id * 10, id * 10 + 1].map((c): ChangeEvent => ({ table: child, op: 'd', before: { id: c }, position: event.position, txId: event.txId!, snapshot: false }));
  },
  truncated: () => {},
  schemaChanged: async () => {},
});

async function run(items: BinlogItem[], cursor: BinlogCursor, seen: string[] = []): Promise<string[]> {
  const calls: string[] = [];
  const handler: SourceHandler = {
    onChange: (e) => { calls.push(`${e.table.id.name} ${e.op} ${JSON.stringify(e.before)} ${e.position.token}${e.continuesGroup ? ' +' : ''}`); },
    onCommit: (p) => { calls.push(`commit ${p.token}`); },
    onHeartbeat: () => {},
  };
  const queue = [...items];
  await emitChanges(async () => queue.shift(), cursor, handler, silentLogger, new AbortController().signal, derived(seen));
  return calls;
}

describe('change emitter with derived (cascade) changes', () => {
  const items: BinlogItem[] = [
    { kind: 'begin', gtid: '0-1-2', standalone: false },
    { kind: 'rows', op: 'd', version, rows: [{ id: 1 }, { id: 2 }], timestampMs: 0, offset: 100 },
    { kind: 'rows', op: 'd', version, rows: [{ id: 3 }], timestampMs: 0, offset: 100, foreignKeyChecks: false },
    { kind: 'commit', endOffset: 500, timestampMs: 0 },
  ];

  it('hands the derived changes over right after their row, at its position, as one group (+: more of the group follows)', async () => {
    const seen: string[] = [];
    expect(await run(items, new BinlogCursor({ kind: 'gtid', executed: parseGtidState('0-1-1') }), seen)).toEqual([
      'parent d {"id":1} my1:gtid=0-1-1;in=0-1-2#1 +',
      'child d {"id":10} my1:gtid=0-1-1;in=0-1-2#1 +',
      'child d {"id":11} my1:gtid=0-1-1;in=0-1-2#1',
      'parent d {"id":2} my1:gtid=0-1-1;in=0-1-2#2 +',
      'child d {"id":20} my1:gtid=0-1-1;in=0-1-2#2 +',
      'child d {"id":21} my1:gtid=0-1-1;in=0-1-2#2',
      'parent d {"id":3} my1:gtid=0-1-1;in=0-1-2#3',
      'commit my1:gtid=0-1-2',
    ]);
    expect(seen[2]).toBe('d {"id":3} checks=false');
  });

  it('resumed after a row, derives nothing for the rows published before (the child topics hold their cascades)', async () => {
    const seen: string[] = [];
    const cursor = new BinlogCursor({ kind: 'gtid', executed: parseGtidState('0-1-1'), resume: { gtid: '0-1-2', published: 1 } });
    expect(await run(items, cursor, seen)).toEqual([
      'parent d {"id":2} my1:gtid=0-1-1;in=0-1-2#2 +',
      'child d {"id":20} my1:gtid=0-1-1;in=0-1-2#2 +',
      'child d {"id":21} my1:gtid=0-1-1;in=0-1-2#2',
      'parent d {"id":3} my1:gtid=0-1-1;in=0-1-2#3',
      'commit my1:gtid=0-1-2',
    ]);
    expect(seen).toHaveLength(2);
  });
});
