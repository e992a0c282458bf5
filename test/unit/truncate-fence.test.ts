import { describe, expect, it } from 'vitest';
import { TruncateFence } from '../../src/replay/truncate-fence.js';
import type { PositionOrder } from '../../src/replay/replay-target.js';

/** Positions are plain numbers here. */
const order: PositionOrder = { example: '1', parse: (t) => { if (!/^\d+$/.test(t)) throw new Error('no'); return Number(t); }, compare: (a, b) => (a as number) - (b as number) };

/** Folds records (partition, row id or marker) into a table the way replay does. */
function fold(records: Array<[number, string]>, partitions = 3): string[] {
  const fence = new TruncateFence(order);
  const table = new Set<string>();
  for (const [partition, what] of records) {
    const marker = /^T(\d+)$/.exec(what);
    const verdict = marker ? fence.marker(partition, marker[1]!, partitions) : fence.row(partition);
    if (verdict === 'truncate') table.clear();
    else if (verdict === 'apply') table.add(what);
  }
  return [...table].sort();
}

describe('TruncateFence', () => {
  it('one partition: the marker empties the table in offset order, also when read again (at-least-once re-sent it)', () => {
    expect(fold([[0, 'a'], [0, 'T10'], [0, 'b']], 1)).toEqual(['b']);
    expect(fold([[0, 'a'], [0, 'T10'], [0, 'b'], [0, 'a'], [0, 'T10'], [0, 'b']], 1)).toEqual(['b']);
  });

  it('removes the rows every partition held before its own marker, whatever the interleaving', () => {
    // p0: a T b   p1: c T d   p2: e T
    const p0: Array<[number, string]> = [[0, 'a'], [0, 'T10'], [0, 'b']];
    const p1: Array<[number, string]> = [[1, 'c'], [1, 'T10'], [1, 'd']];
    const p2: Array<[number, string]> = [[2, 'e'], [2, 'T10']];
    expect(fold([...p0, ...p1, ...p2])).toEqual(['b', 'd']);
    expect(fold([...p2, ...p1, ...p0])).toEqual(['b', 'd']);
    // Interleaved: p0's marker first, then p1's row written before the truncate, then p0's later row.
    expect(fold([p0[0]!, p0[1]!, p1[0]!, p0[2]!, p2[0]!, p1[1]!, p2[1]!, p1[2]!])).toEqual(['b', 'd']);
  });

  it('a partition whose older marker compaction removed catches up at the later one', () => {
    // p0 kept both markers; p1 only the later one (and a row between them that the later truncate removed).
    const records: Array<[number, string]> = [[1, 'x'], [1, 'T20'], [1, 'y'], [0, 'a'], [0, 'T10'], [0, 'b'], [0, 'T20'], [0, 'c']];
    expect(fold(records, 2)).toEqual(['c', 'y']);
  });

  it('a second truncate read before the first reached every partition empties the table again', () => {
    const records: Array<[number, string]> = [[0, 'T10'], [0, 'a'], [0, 'T20'], [0, 'b'], [1, 'T10'], [1, 'c'], [1, 'T20'], [1, 'd']];
    expect(fold(records, 2)).toEqual(['b', 'd']);
  });

  it('partitions beyond the count the marker was written to are not held back', () => {
    const fence = new TruncateFence(order);
    expect(fence.marker(0, '10', 2)).toBe('truncate');
    expect(fence.row(1)).toBe('skip');
    expect(fence.row(2)).toBe('apply');
    // A marker written by an older logtap (one partition, count unknown) empties the table and holds nothing back.
    expect(fence.marker(1, '20', undefined)).toBe('truncate');
    expect(fence.row(0)).toBe('apply');
  });
});
