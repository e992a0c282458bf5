import { describe, expect, it } from 'vitest';
import { ChangeTranslator } from '../../connectors/postgres/change-translator.js';
import { ResumeFilter } from '../../connectors/postgres/resume-filter.js';
import { parsePosition } from '../../connectors/postgres/pg-position.js';
import type { RelationCache, TableVersion } from '../../connectors/postgres/relation-cache.js';
import type { RawPgoutputMessage } from '../../connectors/postgres/raw-pgoutput-plugin.js';
import type { ChangeEvent } from '../../src/model/change-event.js';
import type { SourceHandler } from '../../src/source/source-connector.js';
import { silentLogger } from '../../src/logger.js';
import { UnchangedToastReader } from '../../connectors/postgres/unchanged-toast.js';

// A partitioned root (oid 1, key (id, day), partition key day) and an ordinary table (oid 2, key id).
const version = (oid: number, name: string, key: string[], moveIdentity: string[] | null): TableVersion => ({
  oid,
  schema: { id: { namespace: 'public', name }, columns: ['id', 'day', 'note'].map((c) => ({ name: c, type: { kind: 'string' }, nullable: true, sourceType: 'text' })), key },
  columns: [{ name: 'id' }, { name: 'day' }, { name: 'note' }] as TableVersion['columns'],
  decode: (tuple) => ({ ...tuple }),
  replicaIdentity: 'default',
  describedFrom: 'catalog',
  moveIdentity,
});
const versions = new Map([[1, version(1, 'measurements', ['id', 'day'], ['id'])], [2, version(2, 'plain', ['id'], null)], [3, version(3, 'keyless', [], [])]]);
const relations = { get: (oid: number) => versions.get(oid)!, onRelation: async () => versions.get(1)!, refresh: async (oid: number) => versions.get(oid)! } as unknown as RelationCache;

const rel = (oid: number) => ({ relationOid: oid }) as never;
const COMMIT = 0x1000n;
const begin: RawPgoutputMessage = { tag: 'begin', commitLsn: COMMIT, xid: 7, commitTime: 1n } as never;
const commit: RawPgoutputMessage = { tag: 'commit', commitLsn: COMMIT, commitEndLsn: 0x1040n } as never;
const del = (oid: number, id: string, day: string): RawPgoutputMessage => ({ tag: 'delete', relation: rel(oid), key: { id, day }, old: null }) as never;
const ins = (oid: number, id: string, day: string): RawPgoutputMessage => ({ tag: 'insert', relation: rel(oid), new: { id, day, note: 'n' } }) as never;
const relation: RawPgoutputMessage = { tag: 'relation', relationOid: 1 } as never;

async function translate(messages: RawPgoutputMessage[], from: string | null = null): Promise<string[]> {
  const seen: string[] = [];
  const handler: SourceHandler = {
    onChange: async (e: ChangeEvent) => {
      const b = e.before ? ` ${String(e.before['id'])}/${String(e.before['day'])}` : '';
      const a = e.after ? ` → ${String(e.after['id'])}/${String(e.after['day'])}` : '';
      seen.push(`${e.position.token} ${e.table.id.name} ${e.op}${b}${a}`);
    },
    onCommit: async (p) => { seen.push(`${p.token} commit`); },
    onHeartbeat: async () => {},
  };
  const translator = new ChangeTranslator({ relations, handler, resume: new ResumeFilter(from ? parsePosition(from) : null), startLsn: 0n, outboxPrefix: undefined, log: silentLogger,
    // No change here lacks a TOASTed value: the reader only keeps the order.
    unchangedToast: 'read-back', reader: new UnchangedToastReader({ query: async () => { throw new Error('no read-back expected'); } } as never, silentLogger, undefined, (e) => e) });
  for (const m of [begin, ...messages, commit]) await translator.message(m);
  return seen;
}

describe('a row moved between partitions', () => {
  it('is one update at the insert\'s position: the delete and the insert of the same row, adjacent, under the root', async () => {
    expect(await translate([ins(1, '1', 'jan'), del(1, '1', 'jan'), relation, ins(1, '1', 'feb'), del(1, '2', 'feb')])).toEqual([
      'pg1:0/1000#1 measurements c → 1/jan',
      'pg1:0/1000#3 measurements u 1/jan → 1/feb',
      'pg1:0/1000#4 measurements d 2/feb',
      'pg1:0/1040 commit',
    ]);
  });

  it('a delete and an insert of another row, of another table, or not adjacent stay apart', async () => {
    expect(await translate([del(1, '1', 'jan'), ins(1, '2', 'feb'), del(1, '3', 'jan'), ins(2, '3', 'feb'), del(1, '4', 'jan'), del(1, '5', 'jan'), ins(1, '4', 'feb'), del(2, '6', 'x'), ins(2, '6', 'y')])).toEqual([
      'pg1:0/1000#1 measurements d 1/jan',
      'pg1:0/1000#2 measurements c → 2/feb',
      'pg1:0/1000#3 measurements d 3/jan',
      'pg1:0/1000#4 plain c → 3/feb',
      'pg1:0/1000#5 measurements d 4/jan',
      'pg1:0/1000#6 measurements d 5/jan',
      'pg1:0/1000#7 measurements c → 4/feb',
      // Not partitioned: never joined.
      'pg1:0/1000#8 plain d 6/x',
      'pg1:0/1000#9 plain c → 6/y',
      'pg1:0/1040 commit',
    ]);
  });

  it('a keyless partitioned table joins any adjacent delete and insert', async () => {
    expect(await translate([del(3, '1', 'jan'), ins(3, '9', 'feb')])).toEqual(['pg1:0/1000#2 keyless u 1/jan → 9/feb', 'pg1:0/1040 commit']);
  });

  it('a restart inside the transaction skips whole changes: both halves or neither', async () => {
    const messages = [ins(1, '1', 'jan'), del(1, '1', 'jan'), ins(1, '1', 'feb'), del(1, '2', 'feb')];
    expect(await translate(messages, 'pg1:0/1000#1')).toEqual(['pg1:0/1000#3 measurements u 1/jan → 1/feb', 'pg1:0/1000#4 measurements d 2/feb', 'pg1:0/1040 commit']);
    expect(await translate(messages, 'pg1:0/1000#3')).toEqual(['pg1:0/1000#4 measurements d 2/feb', 'pg1:0/1040 commit']);
  });
});
